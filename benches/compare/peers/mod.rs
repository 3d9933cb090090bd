//! The peers: one [`Runtime`](crate::rt::Runtime) implementation per runtime.
//!
//! [`Peer`] lists them in the order in which every measured round runs them.

mod evloop_rt;
mod smol_rt;
mod tokio_rt;

pub use evloop_rt::EvloopRt;
pub use smol_rt::SmolRt;
pub use tokio_rt::TokioRt;

use crate::rt::Runtime as _;

/// One of the runtimes under comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Peer {
    Evloop,
    Tokio,
    Smol,
}

impl Peer {
    /// Every peer, in round order (evloop first; ratios are evloop against
    /// each of the others).
    pub const ALL: [Peer; 3] = [Peer::Evloop, Peer::Tokio, Peer::Smol];

    pub fn name(self) -> &'static str {
        match self {
            Peer::Evloop => EvloopRt::NAME,
            Peer::Tokio => TokioRt::NAME,
            Peer::Smol => SmolRt::NAME,
        }
    }

    pub fn describe(self, workers: usize) -> String {
        match self {
            Peer::Evloop => EvloopRt::describe(workers),
            Peer::Tokio => TokioRt::describe(workers),
            Peer::Smol => SmolRt::describe(workers),
        }
    }

    /// Chart colour.
    pub fn colour(self) -> &'static str {
        match self {
            Peer::Evloop => "#d95f02",
            Peer::Tokio => "#1b9e77",
            Peer::Smol => "#7570b3",
        }
    }
}

//! Unix domain sockets: [`UnixListener`], [`UnixStream`], [`UnixDatagram`], and the halves a
//! stream splits into.
//!
//! Available on Unix platforms only. Addresses are filesystem paths; the [`SocketAddr`] that
//! `accept` and `recv_from` return is `std`'s.
//!
//! Binding creates the socket file, and nothing removes it when the socket is dropped: remove
//! it yourself (`std::fs::remove_file`) before binding the same path again.

mod datagram;
mod listener;
mod split;
mod stream;
#[cfg(any(target_os = "linux", target_os = "android"))]
mod ucred;

pub use datagram::UnixDatagram;
pub use listener::{Incoming, UnixListener};
pub use split::{OwnedReadHalf, OwnedWriteHalf, ReadHalf, ReuniteError, WriteHalf};
pub use std::os::unix::net::SocketAddr;
pub use stream::UnixStream;
#[cfg(any(target_os = "linux", target_os = "android"))]
pub use ucred::UCred;

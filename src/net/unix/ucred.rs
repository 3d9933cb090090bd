//! [`UCred`]: who is at the other end of a Unix stream (Linux and Android: `SO_PEERCRED`).

/// The credentials of the process at the other end of a [`UnixStream`](super::UnixStream), as
/// they were when it connected (or when the pair was created); see
/// [`UnixStream::peer_cred`](super::UnixStream::peer_cred).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct UCred {
    pid: Option<i32>,
    uid: u32,
    gid: u32,
}

impl UCred {
    pub(super) fn from_rustix(cred: rustix::net::UCred) -> UCred {
        UCred {
            pid: Some(cred.pid.as_raw_nonzero().get()),
            uid: cred.uid.as_raw(),
            gid: cred.gid.as_raw(),
        }
    }

    /// The peer's user id.
    pub fn uid(&self) -> u32 {
        self.uid
    }

    /// The peer's group id.
    pub fn gid(&self) -> u32 {
        self.gid
    }

    /// The peer's process id, where the system reports it.
    pub fn pid(&self) -> Option<i32> {
        self.pid
    }
}

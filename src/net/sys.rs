//! What `std` cannot do for the socket types: create a socket without blocking semantics,
//! connect it without blocking, and listen with a backlog of our choosing. All of it is a few
//! `rustix` calls; the platform differences are the two `cfg` blocks in [`socket`].

use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsFd, OwnedFd};

use rustix::io::Errno;
use rustix::net::addr::SocketAddrArg;
use rustix::net::{AddressFamily, SocketType};

use crate::io::Async;

/// Connections a listener lets the kernel queue before `accept` takes them. The kernel caps it
/// at `net.core.somaxconn` (4096 on current Linux); 1024 absorbs a burst of connections on a
/// busy server without holding much memory.
pub(super) const LISTEN_BACKLOG: i32 = 1024;

/// A new socket of `family` and `kind`, non-blocking and close-on-exec.
pub(super) fn socket(family: AddressFamily, kind: SocketType) -> io::Result<OwnedFd> {
    // Linux, Android and the BSDs set both flags atomically at creation, so the descriptor is
    // never inheritable by a concurrently spawned child process.
    #[cfg(not(any(target_vendor = "apple", target_os = "haiku")))]
    {
        use rustix::net::SocketFlags;
        Ok(rustix::net::socket_with(
            family,
            kind,
            SocketFlags::NONBLOCK | SocketFlags::CLOEXEC,
            None,
        )?)
    }
    // Elsewhere the flags are set right after creation (std does the same there).
    #[cfg(any(target_vendor = "apple", target_os = "haiku"))]
    {
        let fd = rustix::net::socket(family, kind, None)?;
        rustix::io::fcntl_setfd(&fd, rustix::io::FdFlags::CLOEXEC)?;
        rustix::io::ioctl_fionbio(&fd, true)?;
        Ok(fd)
    }
}

/// The address family of an internet socket address.
pub(super) fn family_of(addr: &SocketAddr) -> AddressFamily {
    match addr {
        SocketAddr::V4(_) => AddressFamily::INET,
        SocketAddr::V6(_) => AddressFamily::INET6,
    }
}

/// Binds the new socket `fd` to `addr` with `SO_REUSEADDR` (as `std` does on Unix, so that a
/// restarted server can bind while old connections linger in `TIME_WAIT`) and listens.
pub(super) fn bind_listener(fd: &OwnedFd, addr: &SocketAddr) -> io::Result<()> {
    rustix::net::sockopt::set_socket_reuseaddr(fd, true)?;
    rustix::net::bind(fd, addr)?;
    rustix::net::listen(fd, LISTEN_BACKLOG)?;
    Ok(())
}

/// Connects the non-blocking socket inside `io` to `addr` without blocking the thread.
///
/// `connect` on a non-blocking socket starts the handshake and reports `EINPROGRESS`; the socket
/// becomes writable when the handshake has finished, successfully or not, and `SO_ERROR` then
/// holds the outcome (`ECONNREFUSED`, `ETIMEDOUT`, …). An interrupted `connect` goes on in the
/// background just the same.
pub(super) async fn connect<T: AsFd>(io: &Async<T>, addr: &impl SocketAddrArg) -> io::Result<()> {
    match rustix::net::connect(io.get_ref(), addr) {
        Ok(()) => return Ok(()),
        Err(Errno::INPROGRESS | Errno::INTR) => {}
        Err(error) => return Err(error.into()),
    }
    io.writable().await?;
    match rustix::net::sockopt::socket_error(io.get_ref())? {
        Ok(()) => Ok(()),
        Err(error) => Err(error.into()),
    }
}

//! The Unix half of `sys`: a few `rustix` calls; the platform differences are the two `cfg`
//! blocks in [`socket`].

use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsFd, OwnedFd};
use std::time::Duration;

use rustix::io::Errno;
use rustix::net::addr::SocketAddrArg;
use rustix::net::{AddressFamily, SocketType};

use super::LISTEN_BACKLOG;
use crate::io::Async;

/// A new socket of `family` and `kind`, non-blocking and close-on-exec.
pub(in crate::net) fn socket(family: AddressFamily, kind: SocketType) -> io::Result<OwnedFd> {
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
fn family_of(addr: &SocketAddr) -> AddressFamily {
    match addr {
        SocketAddr::V4(_) => AddressFamily::INET,
        SocketAddr::V6(_) => AddressFamily::INET6,
    }
}

/// A new non-blocking TCP socket bound to `addr` and listening, with `SO_REUSEADDR` (as `std`
/// does on Unix, so that a restarted server can bind while old connections linger in
/// `TIME_WAIT`).
pub(in crate::net) fn tcp_listener(addr: &SocketAddr) -> io::Result<std::net::TcpListener> {
    let fd = socket(family_of(addr), SocketType::STREAM)?;
    rustix::net::sockopt::set_socket_reuseaddr(&fd, true)?;
    rustix::net::bind(&fd, addr)?;
    rustix::net::listen(&fd, LISTEN_BACKLOG)?;
    Ok(std::net::TcpListener::from(fd))
}

/// A new non-blocking, unconnected TCP socket for `addr`'s family.
pub(in crate::net) fn tcp_socket(addr: &SocketAddr) -> io::Result<std::net::TcpStream> {
    Ok(std::net::TcpStream::from(socket(
        family_of(addr),
        SocketType::STREAM,
    )?))
}

/// Connects the non-blocking socket inside `io` to `addr` without blocking the thread.
///
/// `connect` on a non-blocking socket starts the handshake and reports `EINPROGRESS`; the socket
/// becomes writable when the handshake has finished, successfully or not, and `SO_ERROR` then
/// holds the outcome (`ECONNREFUSED`, `ETIMEDOUT`, …). An interrupted `connect` goes on in the
/// background just the same.
pub(in crate::net) async fn connect<T: AsFd>(
    io: &Async<T>,
    addr: &impl SocketAddrArg,
) -> io::Result<()> {
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

/// Sets `SO_LINGER`.
pub(in crate::net) fn set_linger(socket: impl AsFd, linger: Option<Duration>) -> io::Result<()> {
    Ok(rustix::net::sockopt::set_socket_linger(socket, linger)?)
}

/// Reads `SO_LINGER`.
pub(in crate::net) fn linger(socket: impl AsFd) -> io::Result<Option<Duration>> {
    Ok(rustix::net::sockopt::socket_linger(socket)?)
}

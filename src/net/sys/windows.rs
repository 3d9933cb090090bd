//! The Windows half of `sys`, on the reactor's Winsock wrappers. Winsock's `connect` on a
//! non-blocking socket reports `WSAEWOULDBLOCK` (kind `WouldBlock`) where Unix says
//! `EINPROGRESS`; the rest matches the Unix half.

use std::io;
use std::net::SocketAddr;
use std::os::windows::io::AsSocket;
use std::time::Duration;

use super::LISTEN_BACKLOG;
use crate::io::Async;
use crate::reactor::winsock;

/// A new non-blocking TCP socket bound to `addr` and listening. Unlike Unix, no
/// `SO_REUSEADDR`: on Windows it would let another socket take over the port (std does not set
/// it either).
pub(in crate::net) fn tcp_listener(addr: &SocketAddr) -> io::Result<std::net::TcpListener> {
    let socket = winsock::tcp_socket(addr)?;
    winsock::bind(socket.as_socket(), addr)?;
    winsock::listen(socket.as_socket(), LISTEN_BACKLOG)?;
    Ok(std::net::TcpListener::from(socket))
}

/// A new non-blocking, unconnected TCP socket for `addr`'s family.
pub(in crate::net) fn tcp_socket(addr: &SocketAddr) -> io::Result<std::net::TcpStream> {
    Ok(std::net::TcpStream::from(winsock::tcp_socket(addr)?))
}

/// Connects the non-blocking socket inside `io` to `addr` without blocking the thread: start
/// the handshake, wait for writability (or the failure the reactor reports as an error), then
/// collect the outcome from `SO_ERROR`.
pub(in crate::net) async fn connect(
    io: &Async<std::net::TcpStream>,
    addr: &SocketAddr,
) -> io::Result<()> {
    match winsock::connect(io.get_ref().as_socket(), addr) {
        Ok(()) => return Ok(()),
        Err(error) if error.kind() == io::ErrorKind::WouldBlock => {}
        Err(error) => return Err(error),
    }
    io.writable().await?;
    match io.get_ref().take_error()? {
        None => Ok(()),
        Some(error) => Err(error),
    }
}

/// Sets `SO_LINGER` (Windows keeps whole seconds).
pub(in crate::net) fn set_linger(
    socket: impl AsSocket,
    linger: Option<Duration>,
) -> io::Result<()> {
    winsock::set_linger(socket.as_socket(), linger)
}

/// Reads `SO_LINGER`.
pub(in crate::net) fn linger(socket: impl AsSocket) -> io::Result<Option<Duration>> {
    winsock::linger(socket.as_socket())
}

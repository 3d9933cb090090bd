//! The Windows half of `sys`, on the reactor's Winsock wrappers. Winsock's `connect` on a
//! non-blocking socket reports `WSAEWOULDBLOCK` (kind `WouldBlock`) where Unix says
//! `EINPROGRESS`; the rest matches the Unix half. The socket options that neither `std` nor the
//! reactor's wrappers cover are read and written by [`set_int_option`] and [`int_option`], the
//! only `unsafe` code of this file.

use std::future::Future;
use std::io;
use std::mem::size_of;
use std::net::SocketAddr;
use std::os::windows::io::{AsRawSocket, AsSocket, BorrowedSocket, OwnedSocket};
use std::time::Duration;

use windows_sys::Win32::Networking::WinSock::{
    getsockopt, setsockopt, IPPROTO_IP, IP_TOS, SOCKET, SOCKET_ERROR, SOL_SOCKET, SO_ERROR,
    SO_KEEPALIVE, SO_RCVBUF, SO_REUSEADDR, SO_SNDBUF,
};

use super::LISTEN_BACKLOG;
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

/// Starts connecting the non-blocking `socket` to `addr`: `Ok(true)` while the handshake goes
/// on in the background (then register the socket and [`finish_connect`]), `Ok(false)` if it
/// connected at once.
pub(in crate::net) fn start_connect(socket: impl AsSocket, addr: &SocketAddr) -> io::Result<bool> {
    match winsock::connect(socket.as_socket(), addr) {
        Ok(()) => Ok(false),
        Err(error) if error.kind() == io::ErrorKind::WouldBlock => Ok(true),
        Err(error) => Err(error),
    }
}

/// Finishes a connect that [`start_connect`] left in progress: awaits `writable` (the reactor's
/// wait for the registered `socket` to become writable, or for the failure it reports as an
/// error), then collects the outcome from `SO_ERROR`.
pub(in crate::net) async fn finish_connect(
    socket: impl AsSocket,
    writable: impl Future<Output = io::Result<()>>,
) -> io::Result<()> {
    writable.await?;
    match int_option(socket.as_socket(), SOL_SOCKET, SO_ERROR)? {
        0 => Ok(()),
        code => Err(io::Error::from_raw_os_error(code)),
    }
}

/// Binds `socket` to `addr`.
pub(in crate::net) fn bind(socket: impl AsSocket, addr: &SocketAddr) -> io::Result<()> {
    winsock::bind(socket.as_socket(), addr)
}

/// Makes the bound TCP `socket` listen, with up to `backlog` connections queued, and hands it
/// back as a listener.
pub(in crate::net) fn listen(
    socket: std::net::TcpStream,
    backlog: i32,
) -> io::Result<std::net::TcpListener> {
    winsock::listen(socket.as_socket(), backlog)?;
    Ok(std::net::TcpListener::from(OwnedSocket::from(socket)))
}

/// Sets `SO_KEEPALIVE`.
pub(in crate::net) fn set_keepalive(socket: impl AsSocket, keepalive: bool) -> io::Result<()> {
    set_int_option(
        socket.as_socket(),
        SOL_SOCKET,
        SO_KEEPALIVE,
        keepalive.into(),
    )
}

/// Reads `SO_KEEPALIVE`.
pub(in crate::net) fn keepalive(socket: impl AsSocket) -> io::Result<bool> {
    Ok(int_option(socket.as_socket(), SOL_SOCKET, SO_KEEPALIVE)? != 0)
}

/// Sets `SO_REUSEADDR`. On Windows it lets the socket bind to an address that another socket
/// is bound to, even one that is listening.
pub(in crate::net) fn set_reuseaddr(socket: impl AsSocket, reuseaddr: bool) -> io::Result<()> {
    set_int_option(
        socket.as_socket(),
        SOL_SOCKET,
        SO_REUSEADDR,
        reuseaddr.into(),
    )
}

/// Reads `SO_REUSEADDR`.
pub(in crate::net) fn reuseaddr(socket: impl AsSocket) -> io::Result<bool> {
    Ok(int_option(socket.as_socket(), SOL_SOCKET, SO_REUSEADDR)? != 0)
}

/// Sets `SO_SNDBUF` (a size over `i32::MAX` is `InvalidInput`).
pub(in crate::net) fn set_send_buffer_size(socket: impl AsSocket, size: u32) -> io::Result<()> {
    let size = i32::try_from(size).map_err(|_| io::ErrorKind::InvalidInput)?;
    set_int_option(socket.as_socket(), SOL_SOCKET, SO_SNDBUF, size)
}

/// Reads `SO_SNDBUF`.
pub(in crate::net) fn send_buffer_size(socket: impl AsSocket) -> io::Result<usize> {
    let size = int_option(socket.as_socket(), SOL_SOCKET, SO_SNDBUF)?;
    Ok(usize::try_from(size).unwrap_or(0))
}

/// Sets `SO_RCVBUF` (a size over `i32::MAX` is `InvalidInput`).
pub(in crate::net) fn set_recv_buffer_size(socket: impl AsSocket, size: u32) -> io::Result<()> {
    let size = i32::try_from(size).map_err(|_| io::ErrorKind::InvalidInput)?;
    set_int_option(socket.as_socket(), SOL_SOCKET, SO_RCVBUF, size)
}

/// Reads `SO_RCVBUF`.
pub(in crate::net) fn recv_buffer_size(socket: impl AsSocket) -> io::Result<usize> {
    let size = int_option(socket.as_socket(), SOL_SOCKET, SO_RCVBUF)?;
    Ok(usize::try_from(size).unwrap_or(0))
}

/// Sets `IP_TOS` (Windows may accept the value and not apply it: it leaves traffic marking to
/// its QoS interfaces).
pub(in crate::net) fn set_tos_v4(socket: impl AsSocket, tos: u8) -> io::Result<()> {
    set_int_option(socket.as_socket(), IPPROTO_IP, IP_TOS, tos.into())
}

/// Reads `IP_TOS`.
pub(in crate::net) fn tos_v4(socket: impl AsSocket) -> io::Result<u8> {
    Ok(int_option(socket.as_socket(), IPPROTO_IP, IP_TOS)? as u8)
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

/// Sets a socket option whose value is an `int` (a `BOOL`, a `DWORD`, a size).
#[allow(unsafe_code)] // a Winsock call that neither `std` nor the reactor wraps
fn set_int_option(socket: BorrowedSocket<'_>, level: i32, name: i32, value: i32) -> io::Result<()> {
    // SAFETY: the socket is valid for the duration of the call (it is borrowed); the option
    // value points to a live `i32`, and the length passed is its size.
    let result = unsafe {
        setsockopt(
            socket.as_raw_socket() as SOCKET,
            level,
            name,
            std::ptr::from_ref(&value).cast(),
            size_of::<i32>() as i32,
        )
    };
    if result == SOCKET_ERROR {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Reads a socket option whose value is an `int`. The value starts at zero, so an option that
/// Winsock reports in fewer bytes (a one-byte `BOOLEAN`) reads as its value on this
/// little-endian platform.
#[allow(unsafe_code)] // a Winsock call that neither `std` nor the reactor wraps
fn int_option(socket: BorrowedSocket<'_>, level: i32, name: i32) -> io::Result<i32> {
    let mut value = 0i32;
    let mut len = size_of::<i32>() as i32;
    // SAFETY: the socket is valid for the duration of the call (it is borrowed); `value` is a
    // live, writable `i32`, `len` says so, and both outlive the call.
    let result = unsafe {
        getsockopt(
            socket.as_raw_socket() as SOCKET,
            level,
            name,
            std::ptr::from_mut(&mut value).cast(),
            &mut len,
        )
    };
    if result == SOCKET_ERROR {
        return Err(io::Error::last_os_error());
    }
    Ok(value)
}

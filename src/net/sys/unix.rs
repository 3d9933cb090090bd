//! The Unix half of `sys`: a few `rustix` calls; the platform differences are the two `cfg`
//! blocks in [`socket`] and the options that only some systems have. The one option `rustix`
//! lacks, Linux's `SO_BINDTODEVICE`, is set through `libc` ([`bind_device`], [`device`]), the
//! only `unsafe` code of this file.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsFd, OwnedFd};
use std::time::Duration;

use rustix::io::Errno;
use rustix::net::addr::SocketAddrArg;
use rustix::net::{sockopt, AddressFamily, SocketType};

use super::LISTEN_BACKLOG;

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

/// Starts connecting the non-blocking `socket` to `addr`: `Ok(true)` while the handshake goes
/// on in the background (then register the socket and [`finish_connect`]), `Ok(false)` if it
/// connected at once.
///
/// `connect` on a non-blocking socket starts the handshake and reports `EINPROGRESS` (an
/// interrupted `connect` goes on in the background just the same). Registering the socket with
/// the reactor only after this keeps the reactor from recording the hang-up that an unconnected
/// socket reports as stale readiness of the connection.
pub(in crate::net) fn start_connect(
    socket: impl AsFd,
    addr: &impl SocketAddrArg,
) -> io::Result<bool> {
    match rustix::net::connect(&socket, addr) {
        Ok(()) => Ok(false),
        Err(Errno::INPROGRESS | Errno::INTR) => Ok(true),
        Err(error) => Err(error.into()),
    }
}

/// Finishes a connect that [`start_connect`] left in progress: awaits `writable` (the reactor's
/// wait for the registered `socket` to become writable, which it does once the handshake has
/// finished, successfully or not), then returns the outcome `SO_ERROR` holds (`ECONNREFUSED`,
/// `ETIMEDOUT`, …).
pub(in crate::net) async fn finish_connect(
    socket: impl AsFd,
    writable: impl Future<Output = io::Result<()>>,
) -> io::Result<()> {
    writable.await?;
    match rustix::net::sockopt::socket_error(&socket)? {
        Ok(()) => Ok(()),
        Err(error) => Err(error.into()),
    }
}

/// Binds `socket` to `addr`.
pub(in crate::net) fn bind(socket: impl AsFd, addr: &SocketAddr) -> io::Result<()> {
    Ok(rustix::net::bind(socket, addr)?)
}

/// Makes the TCP `socket` listen, with up to `backlog` connections queued, and hands it back
/// as a listener.
pub(in crate::net) fn listen(
    socket: std::net::TcpStream,
    backlog: i32,
) -> io::Result<std::net::TcpListener> {
    rustix::net::listen(&socket, backlog)?;
    Ok(std::net::TcpListener::from(OwnedFd::from(socket)))
}

/// Sets `SO_KEEPALIVE`.
pub(in crate::net) fn set_keepalive(socket: impl AsFd, keepalive: bool) -> io::Result<()> {
    Ok(sockopt::set_socket_keepalive(socket, keepalive)?)
}

/// Reads `SO_KEEPALIVE`.
pub(in crate::net) fn keepalive(socket: impl AsFd) -> io::Result<bool> {
    Ok(sockopt::socket_keepalive(socket)?)
}

/// Sets `SO_REUSEADDR`.
pub(in crate::net) fn set_reuseaddr(socket: impl AsFd, reuseaddr: bool) -> io::Result<()> {
    Ok(sockopt::set_socket_reuseaddr(socket, reuseaddr)?)
}

/// Reads `SO_REUSEADDR`.
pub(in crate::net) fn reuseaddr(socket: impl AsFd) -> io::Result<bool> {
    Ok(sockopt::socket_reuseaddr(socket)?)
}

/// Sets `SO_REUSEPORT`.
#[cfg(not(any(target_os = "solaris", target_os = "illumos", target_os = "cygwin")))]
pub(in crate::net) fn set_reuseport(socket: impl AsFd, reuseport: bool) -> io::Result<()> {
    Ok(sockopt::set_socket_reuseport(socket, reuseport)?)
}

/// Reads `SO_REUSEPORT`.
#[cfg(not(any(target_os = "solaris", target_os = "illumos", target_os = "cygwin")))]
pub(in crate::net) fn reuseport(socket: impl AsFd) -> io::Result<bool> {
    Ok(sockopt::socket_reuseport(socket)?)
}

/// Sets `SO_SNDBUF` (a size over `i32::MAX` is `InvalidInput`).
pub(in crate::net) fn set_send_buffer_size(socket: impl AsFd, size: u32) -> io::Result<()> {
    Ok(sockopt::set_socket_send_buffer_size(socket, size as usize)?)
}

/// Reads `SO_SNDBUF`.
pub(in crate::net) fn send_buffer_size(socket: impl AsFd) -> io::Result<usize> {
    Ok(sockopt::socket_send_buffer_size(socket)?)
}

/// Sets `SO_RCVBUF` (a size over `i32::MAX` is `InvalidInput`).
pub(in crate::net) fn set_recv_buffer_size(socket: impl AsFd, size: u32) -> io::Result<()> {
    Ok(sockopt::set_socket_recv_buffer_size(socket, size as usize)?)
}

/// Reads `SO_RCVBUF`.
pub(in crate::net) fn recv_buffer_size(socket: impl AsFd) -> io::Result<usize> {
    Ok(sockopt::socket_recv_buffer_size(socket)?)
}

/// Sets `IP_TOS`.
pub(in crate::net) fn set_tos_v4(socket: impl AsFd, tos: u8) -> io::Result<()> {
    Ok(sockopt::set_ip_tos(socket, tos)?)
}

/// Reads `IP_TOS`.
pub(in crate::net) fn tos_v4(socket: impl AsFd) -> io::Result<u8> {
    Ok(sockopt::ip_tos(socket)?)
}

/// Sets `IPV6_TCLASS`.
pub(in crate::net) fn set_tclass_v6(socket: impl AsFd, tclass: u32) -> io::Result<()> {
    Ok(sockopt::set_ipv6_tclass(socket, tclass)?)
}

/// Reads `IPV6_TCLASS`.
pub(in crate::net) fn tclass_v6(socket: impl AsFd) -> io::Result<u32> {
    Ok(sockopt::ipv6_tclass(socket)?)
}

/// Linux: sets `SO_BINDTODEVICE` to the interface named `interface`, or clears it with `None`.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)] // `rustix` has no call for this option
pub(in crate::net) fn bind_device(socket: impl AsFd, interface: Option<&[u8]>) -> io::Result<()> {
    use std::os::fd::AsRawFd;

    // An empty value (a null pointer and a length of zero) removes the binding.
    let (value, len) = match interface {
        Some(name) => (name.as_ptr(), name.len()),
        None => (std::ptr::null(), 0),
    };
    let len = libc::socklen_t::try_from(len).map_err(|_| io::ErrorKind::InvalidInput)?;
    // SAFETY: the descriptor is open for the duration of the call (it is borrowed), and the
    // option value is either null with a length of zero or the `len` readable bytes of `name`.
    let result = unsafe {
        libc::setsockopt(
            socket.as_fd().as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_BINDTODEVICE,
            value.cast(),
            len,
        )
    };
    if result == -1 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Linux: the interface named by `SO_BINDTODEVICE`, without its terminating NUL; `None` when
/// the socket is bound to none.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)] // `rustix` has no call for this option
pub(in crate::net) fn device(socket: impl AsFd) -> io::Result<Option<Vec<u8>>> {
    use std::os::fd::AsRawFd;

    let mut name = [0u8; libc::IFNAMSIZ];
    let mut len = name.len() as libc::socklen_t;
    // SAFETY: the descriptor is open for the duration of the call (it is borrowed); `name` is
    // writable for `len` bytes, and `len` is a live, writable length the kernel updates.
    let result = unsafe {
        libc::getsockopt(
            socket.as_fd().as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_BINDTODEVICE,
            name.as_mut_ptr().cast(),
            &mut len,
        )
    };
    if result == -1 {
        return Err(io::Error::last_os_error());
    }
    let written = &name[..(len as usize).min(name.len())];
    let name = written.split(|&byte| byte == 0).next().unwrap_or_default();
    Ok((!name.is_empty()).then(|| name.to_vec()))
}

/// Sets `SO_LINGER`.
pub(in crate::net) fn set_linger(socket: impl AsFd, linger: Option<Duration>) -> io::Result<()> {
    Ok(sockopt::set_socket_linger(socket, linger)?)
}

/// Reads `SO_LINGER`.
pub(in crate::net) fn linger(socket: impl AsFd) -> io::Result<Option<Duration>> {
    Ok(sockopt::socket_linger(socket)?)
}

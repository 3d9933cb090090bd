//! The Winsock calls the socket types need and `std` does not offer: a socket created
//! non-blocking, a listen backlog of our choosing, a connect that does not block, `SO_LINGER`.
//! Safe wrappers, so that `net` needs no `unsafe`; `net`'s Windows half calls them.

use std::io;
use std::mem::size_of;
use std::net::SocketAddr;
use std::os::windows::io::{AsRawSocket, AsSocket, BorrowedSocket, FromRawSocket, OwnedSocket};
use std::ptr;
use std::sync::OnceLock;
use std::time::Duration;

use windows_sys::Win32::Networking::WinSock::{
    bind as wsa_bind, connect as wsa_connect, getsockopt, listen as wsa_listen, setsockopt,
    WSASocketW, WSAStartup, AF_INET, AF_INET6, IN6_ADDR, IN6_ADDR_0, INVALID_SOCKET, IN_ADDR,
    IN_ADDR_0, LINGER, SOCKADDR, SOCKADDR_IN, SOCKADDR_IN6, SOCKADDR_IN6_0, SOCKET, SOCKET_ERROR,
    SOCK_STREAM, SOL_SOCKET, SO_LINGER, WSADATA, WSA_FLAG_NO_HANDLE_INHERIT, WSA_FLAG_OVERLAPPED,
};

/// A new TCP socket for `addr`'s family: non-blocking, not inherited by child processes, and
/// able to take part in overlapped I/O (as `std`'s sockets are).
pub(crate) fn tcp_socket(addr: &SocketAddr) -> io::Result<OwnedSocket> {
    startup()?;
    let family = match addr {
        SocketAddr::V4(_) => AF_INET,
        SocketAddr::V6(_) => AF_INET6,
    };
    let flags = WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT;
    // SAFETY: no pointers are passed; the result is checked before use.
    let raw = unsafe { WSASocketW(i32::from(family), SOCK_STREAM, 0, ptr::null(), 0, flags) };
    if raw == INVALID_SOCKET {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `raw` is a new socket that nothing else owns.
    let socket = unsafe { OwnedSocket::from_raw_socket(raw as u64) };
    super::set_nonblocking(socket.as_socket())?;
    Ok(socket)
}

/// Binds `socket` to `addr`.
pub(crate) fn bind(socket: BorrowedSocket<'_>, addr: &SocketAddr) -> io::Result<()> {
    let (raw, len) = sockaddr(addr);
    // SAFETY: the socket is valid (borrowed); `raw` holds `len` bytes of a socket address.
    check(unsafe { wsa_bind(id(socket), raw.as_ptr(), len) })
}

/// Makes the bound `socket` listen, with up to `backlog` connections queued.
pub(crate) fn listen(socket: BorrowedSocket<'_>, backlog: i32) -> io::Result<()> {
    // SAFETY: the socket is valid (borrowed).
    check(unsafe { wsa_listen(id(socket), backlog) })
}

/// Starts connecting the non-blocking `socket` to `addr`: `Ok` if it connected at once, an error
/// of kind `WouldBlock` (`WSAEWOULDBLOCK`) if the handshake goes on in the background.
pub(crate) fn connect(socket: BorrowedSocket<'_>, addr: &SocketAddr) -> io::Result<()> {
    let (raw, len) = sockaddr(addr);
    // SAFETY: the socket is valid (borrowed); `raw` holds `len` bytes of a socket address.
    check(unsafe { wsa_connect(id(socket), raw.as_ptr(), len) })
}

/// Sets `SO_LINGER` (whole seconds, at most `u16::MAX`; Windows counts no finer).
pub(crate) fn set_linger(socket: BorrowedSocket<'_>, linger: Option<Duration>) -> io::Result<()> {
    let value = LINGER {
        l_onoff: u16::from(linger.is_some()),
        l_linger: linger.map_or(0, |d| d.as_secs().min(u64::from(u16::MAX)) as u16),
    };
    // SAFETY: the socket is valid (borrowed); `value` is the option's type and size.
    check(unsafe {
        setsockopt(
            id(socket),
            SOL_SOCKET,
            SO_LINGER,
            (&value as *const LINGER).cast(),
            size_of::<LINGER>() as i32,
        )
    })
}

/// Reads `SO_LINGER`.
pub(crate) fn linger(socket: BorrowedSocket<'_>) -> io::Result<Option<Duration>> {
    let mut value = LINGER {
        l_onoff: 0,
        l_linger: 0,
    };
    let mut len = size_of::<LINGER>() as i32;
    // SAFETY: the socket is valid (borrowed); `value` has room for the option, `len` says so.
    check(unsafe {
        getsockopt(
            id(socket),
            SOL_SOCKET,
            SO_LINGER,
            (&mut value as *mut LINGER).cast(),
            &mut len,
        )
    })?;
    Ok((value.l_onoff != 0).then(|| Duration::from_secs(value.l_linger.into())))
}

/// Initializes Winsock once for the process. `std` does the same before its first socket call;
/// the two initializations are counted, not in conflict.
fn startup() -> io::Result<()> {
    static STARTED: OnceLock<i32> = OnceLock::new();
    let result = *STARTED.get_or_init(|| {
        // SAFETY: an all-zero `WSADATA` is a valid value of this plain C struct.
        let mut data: WSADATA = unsafe { std::mem::zeroed() };
        // SAFETY: `data` is valid for the call to write into. Version 2.2.
        unsafe { WSAStartup(0x202, &mut data) }
    });
    match result {
        0 => Ok(()),
        code => Err(io::Error::from_raw_os_error(code)),
    }
}

/// A socket address in Winsock's layout, and its length.
fn sockaddr(addr: &SocketAddr) -> (SockAddr, i32) {
    match addr {
        SocketAddr::V4(v4) => (
            SockAddr {
                v4: SOCKADDR_IN {
                    sin_family: AF_INET,
                    sin_port: v4.port().to_be(),
                    sin_addr: IN_ADDR {
                        S_un: IN_ADDR_0 {
                            S_addr: u32::from_ne_bytes(v4.ip().octets()),
                        },
                    },
                    sin_zero: [0; 8],
                },
            },
            size_of::<SOCKADDR_IN>() as i32,
        ),
        SocketAddr::V6(v6) => (
            SockAddr {
                v6: SOCKADDR_IN6 {
                    sin6_family: AF_INET6,
                    sin6_port: v6.port().to_be(),
                    sin6_flowinfo: v6.flowinfo(),
                    sin6_addr: IN6_ADDR {
                        u: IN6_ADDR_0 {
                            Byte: v6.ip().octets(),
                        },
                    },
                    Anonymous: SOCKADDR_IN6_0 {
                        sin6_scope_id: v6.scope_id(),
                    },
                },
            },
            size_of::<SOCKADDR_IN6>() as i32,
        ),
    }
}

/// Storage for either kind of internet socket address.
#[repr(C)]
union SockAddr {
    v4: SOCKADDR_IN,
    v6: SOCKADDR_IN6,
}

impl SockAddr {
    fn as_ptr(&self) -> *const SOCKADDR {
        (self as *const SockAddr).cast()
    }
}

/// The socket's number, as Winsock takes it.
fn id(socket: BorrowedSocket<'_>) -> SOCKET {
    socket.as_raw_socket() as SOCKET
}

/// `Ok` unless a Winsock call returned `SOCKET_ERROR`.
fn check(result: i32) -> io::Result<()> {
    if result == SOCKET_ERROR {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

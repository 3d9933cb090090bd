//! [`TcpSocket`].

use std::fmt;
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use crate::net::sys;
use crate::net::tcp::{TcpListener, TcpStream};

/// A TCP socket that is neither connected nor listening yet, to configure before it becomes a
/// [`TcpStream`] (with [`connect`](TcpSocket::connect)) or a [`TcpListener`] (with
/// [`listen`](TcpSocket::listen)).
///
/// [`TcpStream::connect`] and [`TcpListener::bind`] cover the common cases; a `TcpSocket` is for
/// the rest: a socket option that must be set before the connection exists (buffer sizes,
/// `SO_REUSEADDR`, `SO_REUSEPORT`, keep-alive), a client bound to a chosen local address, or a
/// listen backlog of your own. The socket is created non-blocking and is not inherited by child
/// processes (close-on-exec on Unix, not inheritable on Windows). Dropping it closes it.
///
/// A client, the long way round to what `TcpStream::connect(addr)` does:
///
/// ```
/// use evloop::net::{TcpListener, TcpSocket};
///
/// # fn main() -> std::io::Result<()> {
/// evloop::block_on(async {
///     let listener = TcpListener::bind("127.0.0.1:0").await?;
///     let addr = listener.local_addr()?;
///
///     let socket = TcpSocket::new_v4()?;
///     socket.set_nodelay(true)?;
///     let stream = socket.connect(addr).await?;
///     assert_eq!(stream.peer_addr()?, addr);
///     assert!(stream.nodelay()?);
///     Ok(())
/// })
/// # }
/// ```
///
/// A server, as `TcpListener::bind(addr)` makes it on Unix (which sets `SO_REUSEADDR` there, so
/// that a restarted server can bind while connections of the old one linger), with a backlog of
/// its own:
///
/// ```
/// use evloop::net::{TcpSocket, TcpStream};
///
/// # fn main() -> std::io::Result<()> {
/// evloop::block_on(async {
///     let socket = TcpSocket::new_v4()?;
///     socket.set_reuseaddr(true)?;
///     socket.bind("127.0.0.1:0".parse().unwrap())?;
///     let listener = socket.listen(128)?;
///
///     let client = TcpStream::connect(listener.local_addr()?).await?;
///     let (_server, peer) = listener.accept().await?;
///     assert_eq!(peer, client.local_addr()?);
///     Ok(())
/// })
/// # }
/// ```
pub struct TcpSocket {
    /// The socket, unconnected (unless it came from [`TcpSocket::from_std_stream`]); `std`'s
    /// stream type provides the options it has (`TCP_NODELAY`, `SO_ERROR`, the local address),
    /// and `sys` the rest.
    inner: std::net::TcpStream,
}

impl TcpSocket {
    /// Creates an IPv4 TCP socket, non-blocking and not inherited by child processes.
    ///
    /// # Errors
    /// If the system cannot create a socket (out of descriptors, for example).
    ///
    /// ```
    /// use evloop::net::TcpSocket;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let socket = TcpSocket::new_v4()?;
    /// socket.bind("127.0.0.1:0".parse().unwrap())?;
    /// assert!(socket.local_addr()?.is_ipv4());
    /// # Ok(())
    /// # }
    /// ```
    pub fn new_v4() -> io::Result<TcpSocket> {
        TcpSocket::new(SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0)))
    }

    /// Creates an IPv6 TCP socket, non-blocking and not inherited by child processes.
    ///
    /// # Errors
    /// If the system cannot create a socket, or has no IPv6 support.
    ///
    /// ```
    /// use evloop::net::TcpSocket;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let socket = TcpSocket::new_v6()?;
    /// socket.bind("[::]:0".parse().unwrap())?;
    /// assert!(socket.local_addr()?.is_ipv6());
    /// # Ok(())
    /// # }
    /// ```
    pub fn new_v6() -> io::Result<TcpSocket> {
        TcpSocket::new(SocketAddr::from((Ipv6Addr::UNSPECIFIED, 0)))
    }

    /// A new socket of `family`'s address family.
    fn new(family: SocketAddr) -> io::Result<TcpSocket> {
        Ok(TcpSocket {
            inner: sys::tcp_socket(&family)?,
        })
    }

    /// Sets `SO_KEEPALIVE`: when `true`, the system probes an idle connection now and then and
    /// reports it broken if the peer stops answering (with the system's default intervals).
    ///
    /// # Errors
    /// If the system call fails.
    ///
    /// ```
    /// use evloop::net::TcpSocket;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let socket = TcpSocket::new_v4()?;
    /// socket.set_keepalive(true)?;
    /// assert!(socket.keepalive()?);
    /// # Ok(())
    /// # }
    /// ```
    pub fn set_keepalive(&self, keepalive: bool) -> io::Result<()> {
        sys::set_keepalive(&self.inner, keepalive)
    }

    /// Whether `SO_KEEPALIVE` is set; see [`set_keepalive`](TcpSocket::set_keepalive).
    ///
    /// # Errors
    /// If the system call fails.
    pub fn keepalive(&self) -> io::Result<bool> {
        sys::keepalive(&self.inner)
    }

    /// Sets `SO_REUSEADDR`, which must be set before [`bind`](TcpSocket::bind) to have an effect.
    ///
    /// On Unix it lets the socket bind to a local address that connections of an earlier socket
    /// still hold (for example in `TIME_WAIT` after a server restarts), but not to one that
    /// another socket is listening on. On Windows it goes further and lets the socket bind to
    /// an address in active use, which is why [`TcpListener::bind`] sets it on Unix only.
    ///
    /// # Errors
    /// If the system call fails.
    ///
    /// ```
    /// use evloop::net::TcpSocket;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let socket = TcpSocket::new_v4()?;
    /// socket.set_reuseaddr(true)?;
    /// assert!(socket.reuseaddr()?);
    /// # Ok(())
    /// # }
    /// ```
    pub fn set_reuseaddr(&self, reuseaddr: bool) -> io::Result<()> {
        sys::set_reuseaddr(&self.inner, reuseaddr)
    }

    /// Whether `SO_REUSEADDR` is set; see [`set_reuseaddr`](TcpSocket::set_reuseaddr).
    ///
    /// # Errors
    /// If the system call fails.
    pub fn reuseaddr(&self) -> io::Result<bool> {
        sys::reuseaddr(&self.inner)
    }

    /// Sets `SO_REUSEPORT`, which must be set before [`bind`](TcpSocket::bind) to have an effect:
    /// several sockets that all set it may bind the same address and port (on Linux, only
    /// sockets of the same user, and the kernel then spreads incoming connections over the
    /// listeners).
    ///
    /// Unix only, and not on Solaris, illumos or Cygwin.
    ///
    /// # Errors
    /// If the system call fails.
    ///
    /// ```
    /// use evloop::net::TcpSocket;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let socket = TcpSocket::new_v4()?;
    /// socket.set_reuseport(true)?;
    /// assert!(socket.reuseport()?);
    /// # Ok(())
    /// # }
    /// ```
    #[cfg(all(
        unix,
        not(any(target_os = "solaris", target_os = "illumos", target_os = "cygwin"))
    ))]
    pub fn set_reuseport(&self, reuseport: bool) -> io::Result<()> {
        sys::set_reuseport(&self.inner, reuseport)
    }

    /// Whether `SO_REUSEPORT` is set; see [`set_reuseport`](TcpSocket::set_reuseport).
    ///
    /// Unix only, and not on Solaris, illumos or Cygwin.
    ///
    /// # Errors
    /// If the system call fails.
    #[cfg(all(
        unix,
        not(any(target_os = "solaris", target_os = "illumos", target_os = "cygwin"))
    ))]
    pub fn reuseport(&self) -> io::Result<bool> {
        sys::reuseport(&self.inner)
    }

    /// Sets the size of the socket's send buffer (`SO_SNDBUF`).
    ///
    /// The system treats the value as a request: Linux doubles it (to leave room for its own
    /// bookkeeping) and caps it at `net.core.wmem_max`, and others round or cap it too, so
    /// [`send_buffer_size`](TcpSocket::send_buffer_size) may read back a different number.
    ///
    /// # Errors
    /// If the system refuses the value; a size over `i32::MAX` is
    /// [`InvalidInput`](io::ErrorKind::InvalidInput).
    ///
    /// ```
    /// use evloop::net::TcpSocket;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let socket = TcpSocket::new_v4()?;
    /// socket.set_send_buffer_size(64 * 1024)?;
    /// println!("send buffer: {} bytes", socket.send_buffer_size()?);
    /// # Ok(())
    /// # }
    /// ```
    pub fn set_send_buffer_size(&self, size: u32) -> io::Result<()> {
        sys::set_send_buffer_size(&self.inner, size)
    }

    /// The size of the socket's send buffer (`SO_SNDBUF`), as the system reports it; see
    /// [`set_send_buffer_size`](TcpSocket::set_send_buffer_size).
    ///
    /// # Errors
    /// If the system call fails.
    pub fn send_buffer_size(&self) -> io::Result<u32> {
        sys::send_buffer_size(&self.inner).map(saturate)
    }

    /// Sets the size of the socket's receive buffer (`SO_RCVBUF`). Set it before connecting (or
    /// listening) for it to shape the TCP window the socket announces.
    ///
    /// As with [`set_send_buffer_size`](TcpSocket::set_send_buffer_size), the system treats the
    /// value as a request (Linux doubles it, capped at `net.core.rmem_max`).
    ///
    /// # Errors
    /// If the system refuses the value; a size over `i32::MAX` is
    /// [`InvalidInput`](io::ErrorKind::InvalidInput).
    ///
    /// ```
    /// use evloop::net::TcpSocket;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let socket = TcpSocket::new_v4()?;
    /// socket.set_recv_buffer_size(64 * 1024)?;
    /// println!("receive buffer: {} bytes", socket.recv_buffer_size()?);
    /// # Ok(())
    /// # }
    /// ```
    pub fn set_recv_buffer_size(&self, size: u32) -> io::Result<()> {
        sys::set_recv_buffer_size(&self.inner, size)
    }

    /// The size of the socket's receive buffer (`SO_RCVBUF`), as the system reports it; see
    /// [`set_recv_buffer_size`](TcpSocket::set_recv_buffer_size).
    ///
    /// # Errors
    /// If the system call fails.
    pub fn recv_buffer_size(&self) -> io::Result<u32> {
        sys::recv_buffer_size(&self.inner).map(saturate)
    }

    /// Sets `SO_LINGER`, as [`TcpStream::set_linger`] does: with `Some(duration)`, closing the
    /// socket waits up to `duration` for unsent data to go out (with `Some(Duration::ZERO)` it
    /// resets the connection at once, discarding unsent data; see
    /// [`set_zero_linger`](TcpSocket::set_zero_linger)); with `None` (the default), closing
    /// returns at once and the system sends what is left in the background. The setting carries
    /// over to the stream that [`connect`](TcpSocket::connect) makes.
    ///
    /// A nonzero linger makes the `close` that drops the socket (or its stream) block the
    /// thread for up to `duration`. Windows keeps whole seconds.
    ///
    /// # Errors
    /// If the system call fails.
    ///
    /// ```
    /// use evloop::net::TcpSocket;
    /// use std::time::Duration;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let socket = TcpSocket::new_v4()?;
    /// socket.set_linger(Some(Duration::from_secs(1)))?;
    /// assert_eq!(socket.linger()?, Some(Duration::from_secs(1)));
    /// socket.set_linger(None)?;
    /// assert_eq!(socket.linger()?, None);
    /// # Ok(())
    /// # }
    /// ```
    pub fn set_linger(&self, linger: Option<Duration>) -> io::Result<()> {
        sys::set_linger(&self.inner, linger)
    }

    /// Sets a linger of zero: closing the connection resets it (the peer reads
    /// [`ConnectionReset`](io::ErrorKind::ConnectionReset)) and discards data not yet sent,
    /// instead of the orderly shutdown, and the local port is free again at once (no
    /// `TIME_WAIT`). Closing does not block. The same as `set_linger(Some(Duration::ZERO))`.
    ///
    /// # Errors
    /// If the system call fails.
    ///
    /// ```
    /// use evloop::net::TcpSocket;
    /// use std::time::Duration;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let socket = TcpSocket::new_v4()?;
    /// socket.set_zero_linger()?;
    /// assert_eq!(socket.linger()?, Some(Duration::ZERO));
    /// # Ok(())
    /// # }
    /// ```
    pub fn set_zero_linger(&self) -> io::Result<()> {
        self.set_linger(Some(Duration::ZERO))
    }

    /// The `SO_LINGER` setting; see [`set_linger`](TcpSocket::set_linger).
    ///
    /// # Errors
    /// If the system call fails.
    pub fn linger(&self) -> io::Result<Option<Duration>> {
        sys::linger(&self.inner)
    }

    /// Sets `TCP_NODELAY`: when `true`, small writes go out at once instead of being held back
    /// to coalesce with later ones (Nagle's algorithm). The setting carries over to the stream
    /// that [`connect`](TcpSocket::connect) makes.
    ///
    /// # Errors
    /// If the system call fails.
    ///
    /// ```
    /// use evloop::net::TcpSocket;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let socket = TcpSocket::new_v4()?;
    /// socket.set_nodelay(true)?;
    /// assert!(socket.nodelay()?);
    /// # Ok(())
    /// # }
    /// ```
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.inner.set_nodelay(nodelay)
    }

    /// Whether `TCP_NODELAY` is set; see [`set_nodelay`](TcpSocket::set_nodelay).
    ///
    /// # Errors
    /// If the system call fails.
    pub fn nodelay(&self) -> io::Result<bool> {
        self.inner.nodelay()
    }

    /// Sets the type-of-service byte (`IP_TOS`) of the IPv4 packets the socket sends: the
    /// DSCP class in the upper six bits and ECN in the lower two (which the system may manage
    /// itself).
    ///
    /// On Windows the system may accept the value without applying it (it leaves traffic marking
    /// to its QoS interfaces).
    ///
    /// # Errors
    /// If the system refuses the value; one over 255 is
    /// [`InvalidInput`](io::ErrorKind::InvalidInput).
    ///
    /// ```
    /// use evloop::net::TcpSocket;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let socket = TcpSocket::new_v4()?;
    /// socket.set_tos_v4(0x10)?; // "minimize delay"
    /// # #[cfg(unix)]
    /// assert_eq!(socket.tos_v4()?, 0x10);
    /// # Ok(())
    /// # }
    /// ```
    pub fn set_tos_v4(&self, tos: u32) -> io::Result<()> {
        let tos = u8::try_from(tos).map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "the type-of-service value is one byte",
            )
        })?;
        sys::set_tos_v4(&self.inner, tos)
    }

    /// The type-of-service byte (`IP_TOS`); see [`set_tos_v4`](TcpSocket::set_tos_v4).
    ///
    /// # Errors
    /// If the system call fails.
    pub fn tos_v4(&self) -> io::Result<u32> {
        sys::tos_v4(&self.inner).map(u32::from)
    }

    /// The former name of [`set_tos_v4`](TcpSocket::set_tos_v4), which it calls.
    ///
    /// # Errors
    /// As for [`set_tos_v4`](TcpSocket::set_tos_v4).
    #[deprecated(note = "renamed `set_tos_v4`, as `IP_TOS` applies to IPv4 only")]
    pub fn set_tos(&self, tos: u32) -> io::Result<()> {
        self.set_tos_v4(tos)
    }

    /// The former name of [`tos_v4`](TcpSocket::tos_v4), which it calls.
    ///
    /// # Errors
    /// As for [`tos_v4`](TcpSocket::tos_v4).
    #[deprecated(note = "renamed `tos_v4`, as `IP_TOS` applies to IPv4 only")]
    pub fn tos(&self) -> io::Result<u32> {
        self.tos_v4()
    }

    /// Sets the traffic class (`IPV6_TCLASS`) of the IPv6 packets the socket sends, the IPv6
    /// counterpart of [`set_tos_v4`](TcpSocket::set_tos_v4). Unix only.
    ///
    /// # Errors
    /// If the system refuses the value (one over 255, or on an IPv4 socket).
    ///
    /// ```
    /// use evloop::net::TcpSocket;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let socket = TcpSocket::new_v6()?;
    /// socket.set_tclass_v6(0x10)?;
    /// assert_eq!(socket.tclass_v6()?, 0x10);
    /// # Ok(())
    /// # }
    /// ```
    #[cfg(unix)]
    pub fn set_tclass_v6(&self, tclass: u32) -> io::Result<()> {
        sys::set_tclass_v6(&self.inner, tclass)
    }

    /// The traffic class (`IPV6_TCLASS`); see [`set_tclass_v6`](TcpSocket::set_tclass_v6).
    /// Unix only.
    ///
    /// # Errors
    /// If the system call fails (on an IPv4 socket, for example).
    #[cfg(unix)]
    pub fn tclass_v6(&self) -> io::Result<u32> {
        sys::tclass_v6(&self.inner)
    }

    /// Binds the socket to a network interface (`SO_BINDTODEVICE`), by name (`b"eth0"`), so
    /// that it sends and receives through that interface only; `None` removes the binding.
    /// Linux only.
    ///
    /// # Errors
    /// If there is no such interface (`ENODEV`), or if the process lacks the privilege the
    /// kernel asks for (`CAP_NET_RAW` on older kernels, and to change an existing binding).
    ///
    /// ```
    /// use evloop::net::TcpSocket;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let socket = TcpSocket::new_v4()?;
    /// match socket.bind_device(Some(b"lo")) {
    ///     Ok(()) => assert_eq!(socket.device()?.as_deref(), Some(&b"lo"[..])),
    ///     Err(e) => println!("not allowed here: {e}"),
    /// }
    /// # Ok(())
    /// # }
    /// ```
    #[cfg(target_os = "linux")]
    pub fn bind_device(&self, interface: Option<&[u8]>) -> io::Result<()> {
        sys::bind_device(&self.inner, interface)
    }

    /// The name of the interface the socket is bound to with
    /// [`bind_device`](TcpSocket::bind_device), or `None`. Linux only.
    ///
    /// # Errors
    /// If the system call fails.
    #[cfg(target_os = "linux")]
    pub fn device(&self) -> io::Result<Option<Vec<u8>>> {
        sys::device(&self.inner)
    }

    /// The local address the socket is bound to: after [`bind`](TcpSocket::bind) to port 0,
    /// the port the system picked.
    ///
    /// # Errors
    /// If the system call fails (on Windows, for a socket not bound yet).
    ///
    /// ```
    /// use evloop::net::TcpSocket;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let socket = TcpSocket::new_v4()?;
    /// socket.bind("127.0.0.1:0".parse().unwrap())?;
    /// let addr = socket.local_addr()?;
    /// assert!(addr.ip().is_loopback());
    /// assert_ne!(addr.port(), 0);
    /// # Ok(())
    /// # }
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }

    /// Takes the pending error of the socket (`SO_ERROR`), if any, clearing it.
    ///
    /// # Errors
    /// If the system call fails.
    ///
    /// ```
    /// use evloop::net::TcpSocket;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let socket = TcpSocket::new_v4()?;
    /// assert!(socket.take_error()?.is_none());
    /// # Ok(())
    /// # }
    /// ```
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.inner.take_error()
    }

    /// Binds the socket to the local address `addr` (port 0 asks the system to pick a free
    /// port). For a server, the address it will [`listen`](TcpSocket::listen) on; for a client,
    /// the address its connection will come from.
    ///
    /// # Errors
    /// If the address is taken ([`AddrInUse`](io::ErrorKind::AddrInUse)), is not local
    /// ([`AddrNotAvailable`](io::ErrorKind::AddrNotAvailable)), is of the other IP version, or
    /// the socket is bound already.
    ///
    /// ```
    /// use evloop::net::{TcpListener, TcpSocket};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// evloop::block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///
    ///     // A client whose connection comes from a port chosen in advance.
    ///     let socket = TcpSocket::new_v4()?;
    ///     socket.bind("127.0.0.1:0".parse().unwrap())?;
    ///     let from = socket.local_addr()?;
    ///     let stream = socket.connect(listener.local_addr()?).await?;
    ///     assert_eq!(stream.local_addr()?, from);
    ///     let (_server, peer) = listener.accept().await?;
    ///     assert_eq!(peer, from);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn bind(&self, addr: SocketAddr) -> io::Result<()> {
        sys::bind(&self.inner, &addr)
    }

    /// Connects the socket to `addr` and returns the connection as a [`TcpStream`], registered
    /// with the current runtime's reactor (the global runtime's outside any).
    ///
    /// The connection is made without blocking the thread: the handshake starts, and the task
    /// waits for the reactor to report its outcome. The socket's options (and its local address,
    /// if it was bound) carry over to the stream. A socket that came from
    /// [`from_std_stream`](TcpSocket::from_std_stream) is switched to non-blocking mode first.
    ///
    /// # Errors
    /// [`ConnectionRefused`](io::ErrorKind::ConnectionRefused) when nobody listens at `addr`;
    /// any other failure of the handshake (unreachable network, timeout); an `addr` of the other
    /// IP version; a socket that is connected or listening already.
    ///
    /// ```
    /// use evloop::net::{TcpListener, TcpSocket};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// evloop::block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let addr = listener.local_addr()?;
    ///     let stream = TcpSocket::new_v4()?.connect(addr).await?;
    ///     assert_eq!(stream.peer_addr()?, addr);
    ///
    ///     drop(listener);
    ///     let refused = TcpSocket::new_v4()?.connect(addr).await.unwrap_err();
    ///     assert_eq!(refused.kind(), std::io::ErrorKind::ConnectionRefused);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn connect(self, addr: SocketAddr) -> io::Result<TcpStream> {
        // The handshake starts before the stream registers the socket (see
        // `sys::start_connect`); the reactor reports its outcome all the same.
        self.inner.set_nonblocking(true)?;
        let pending = sys::start_connect(&self.inner, &addr)?;
        let stream = TcpStream::from_std(self.inner)?;
        if pending {
            sys::finish_connect(&stream, stream.writable()).await?;
        }
        Ok(stream)
    }

    /// Makes the socket listen for connections, with up to `backlog` of them queued before
    /// [`accept`](TcpListener::accept) takes them (the system caps the number, at
    /// `net.core.somaxconn` on Linux), and returns it as a [`TcpListener`] registered with the
    /// current runtime's reactor (the global runtime's outside any).
    ///
    /// Bind the socket first: on Unix an unbound socket listens on a port the system picks, on
    /// Windows it is an error.
    ///
    /// # Errors
    /// If the system call fails (the address is taken by now, the socket is connected), or the
    /// listener cannot be registered.
    ///
    /// ```
    /// use evloop::net::{TcpSocket, TcpStream};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// evloop::block_on(async {
    ///     let socket = TcpSocket::new_v4()?;
    ///     socket.bind("127.0.0.1:0".parse().unwrap())?;
    ///     let listener = socket.listen(16)?;
    ///     let _client = TcpStream::connect(listener.local_addr()?).await?;
    ///     listener.accept().await?;
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn listen(self, backlog: u32) -> io::Result<TcpListener> {
        let backlog = i32::try_from(backlog).unwrap_or(i32::MAX);
        TcpListener::from_std(sys::listen(self.inner, backlog)?)
    }

    /// Wraps a `std` TCP stream's socket, to set options on it before
    /// [`connect`](TcpSocket::connect) or [`listen`](TcpSocket::listen) (or to read them). The
    /// socket keeps its mode until then: `connect` and `listen` switch it to non-blocking mode.
    ///
    /// ```
    /// use evloop::net::TcpSocket;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// let std_stream = std::net::TcpStream::connect(listener.local_addr()?)?;
    /// let local = std_stream.local_addr()?;
    ///
    /// let socket = TcpSocket::from_std_stream(std_stream);
    /// socket.set_nodelay(true)?;
    /// assert_eq!(socket.local_addr()?, local);
    /// # Ok(())
    /// # }
    /// ```
    pub fn from_std_stream(std_stream: std::net::TcpStream) -> TcpSocket {
        TcpSocket { inner: std_stream }
    }
}

/// A size the system reports in a `usize`, as the `u32` of the public API.
fn saturate(size: usize) -> u32 {
    u32::try_from(size).unwrap_or(u32::MAX)
}

impl fmt::Debug for TcpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpSocket")
            .field("local", &self.local_addr().ok())
            .field("fd", &crate::reactor::raw::raw(&self.inner))
            .finish()
    }
}

#[cfg(unix)]
impl std::os::fd::AsFd for TcpSocket {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        std::os::fd::AsFd::as_fd(&self.inner)
    }
}

#[cfg(unix)]
impl std::os::fd::AsRawFd for TcpSocket {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        std::os::fd::AsRawFd::as_raw_fd(&self.inner)
    }
}

#[cfg(unix)]
impl std::os::fd::IntoRawFd for TcpSocket {
    fn into_raw_fd(self) -> std::os::fd::RawFd {
        std::os::fd::IntoRawFd::into_raw_fd(self.inner)
    }
}

#[cfg(unix)]
#[allow(unsafe_code)] // `from_raw_fd` is an `unsafe` method by definition
impl std::os::fd::FromRawFd for TcpSocket {
    /// Takes ownership of `fd`, a TCP socket (neither connected nor listening, for
    /// [`connect`](TcpSocket::connect) or [`listen`](TcpSocket::listen) to succeed).
    ///
    /// # Safety
    /// `fd` must be an open socket that nothing else owns or will close.
    unsafe fn from_raw_fd(fd: std::os::fd::RawFd) -> TcpSocket {
        // SAFETY: the caller hands over an open socket that nothing else owns, which is what
        // `std`'s constructor requires.
        TcpSocket::from_std_stream(unsafe { std::os::fd::FromRawFd::from_raw_fd(fd) })
    }
}

#[cfg(windows)]
impl std::os::windows::io::AsSocket for TcpSocket {
    fn as_socket(&self) -> std::os::windows::io::BorrowedSocket<'_> {
        std::os::windows::io::AsSocket::as_socket(&self.inner)
    }
}

#[cfg(windows)]
impl std::os::windows::io::AsRawSocket for TcpSocket {
    fn as_raw_socket(&self) -> std::os::windows::io::RawSocket {
        std::os::windows::io::AsRawSocket::as_raw_socket(&self.inner)
    }
}

#[cfg(windows)]
impl std::os::windows::io::IntoRawSocket for TcpSocket {
    fn into_raw_socket(self) -> std::os::windows::io::RawSocket {
        std::os::windows::io::IntoRawSocket::into_raw_socket(self.inner)
    }
}

#[cfg(windows)]
#[allow(unsafe_code)] // `from_raw_socket` is an `unsafe` method by definition
impl std::os::windows::io::FromRawSocket for TcpSocket {
    /// Takes ownership of `socket`, a TCP socket (neither connected nor listening, for
    /// [`connect`](TcpSocket::connect) or [`listen`](TcpSocket::listen) to succeed).
    ///
    /// # Safety
    /// `socket` must be an open socket that nothing else owns or will close.
    unsafe fn from_raw_socket(socket: std::os::windows::io::RawSocket) -> TcpSocket {
        // SAFETY: the caller hands over an open socket that nothing else owns, which is what
        // `std`'s constructor requires.
        TcpSocket::from_std_stream(unsafe {
            std::os::windows::io::FromRawSocket::from_raw_socket(socket)
        })
    }
}

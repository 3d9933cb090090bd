//! [`UdpSocket`].

use std::fmt;
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::task::{Context, Poll};

use crate::io::{Async, Interest, Ready};
use crate::net::addr::{no_addresses, resolve, try_each, ToSocketAddrs};
use crate::net::poll;

/// A UDP socket.
///
/// [`bind`](UdpSocket::bind) one, then exchange datagrams with any peer through
/// [`send_to`](UdpSocket::send_to) and [`recv_from`](UdpSocket::recv_from); or
/// [`connect`](UdpSocket::connect) it to one peer and use [`send`](UdpSocket::send) and
/// [`recv`](UdpSocket::recv), which then also filter out datagrams from anyone else.
///
/// Every receive waits until a datagram arrives; a datagram larger than the buffer is cut to
/// the buffer's length (the rest is lost, as with `std`).
///
/// # Sharing between tasks
/// One task may receive while another sends (through `&UdpSocket`, or an `Arc<UdpSocket>`).
/// Two tasks receiving at the same time (or two sending) are not supported: each direction has
/// one waiting slot, and the later waiter displaces the earlier, which may then miss its
/// wake-up. A task awaiting [`ready`](UdpSocket::ready) or [`async_io`](UdpSocket::async_io)
/// is the waiter of each direction of its [`Interest`].
///
/// ```
/// use evloop::net::UdpSocket;
///
/// # fn main() -> std::io::Result<()> {
/// evloop::block_on(async {
///     let a = UdpSocket::bind("127.0.0.1:0").await?;
///     let b = UdpSocket::bind("127.0.0.1:0").await?;
///     a.send_to(b"hello", b.local_addr()?).await?;
///
///     let mut buf = [0; 16];
///     let (len, from) = b.recv_from(&mut buf).await?;
///     assert_eq!((&buf[..len], from), (&b"hello"[..], a.local_addr()?));
///     Ok(())
/// })
/// # }
/// ```
pub struct UdpSocket {
    io: Async<std::net::UdpSocket>,
}

impl UdpSocket {
    /// Creates a socket bound to `addr`.
    ///
    /// If `addr` resolves to several addresses, each is tried in turn until one can be bound;
    /// if none can, the error of the last attempt is returned. Port 0 picks a free port.
    ///
    /// # Errors
    /// If resolution fails or no address can be bound (a port in use is
    /// [`ErrorKind::AddrInUse`](io::ErrorKind::AddrInUse)).
    ///
    /// ```
    /// use evloop::net::UdpSocket;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// evloop::block_on(async {
    ///     let socket = UdpSocket::bind("[::1]:0").await?;
    ///     assert!(socket.local_addr()?.is_ipv6());
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn bind(addr: impl ToSocketAddrs) -> io::Result<UdpSocket> {
        try_each(&addr, |addr| async move {
            UdpSocket::from_std(std::net::UdpSocket::bind(addr)?)
        })
        .await
    }

    /// Connects the socket to `addr`: [`send`](UdpSocket::send) goes there, and only datagrams
    /// from there are received. Connecting sends nothing; it only sets the default peer.
    ///
    /// If `addr` resolves to several addresses, each is tried in turn; the last error is
    /// returned if none can be used.
    ///
    /// # Errors
    /// If resolution fails or the address cannot be used (another address family, for one).
    ///
    /// ```
    /// use evloop::net::UdpSocket;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// evloop::block_on(async {
    ///     let a = UdpSocket::bind("127.0.0.1:0").await?;
    ///     let b = UdpSocket::bind("127.0.0.1:0").await?;
    ///     a.connect(b.local_addr()?).await?;
    ///     b.connect(a.local_addr()?).await?;
    ///
    ///     a.send(b"over").await?;
    ///     let mut buf = [0; 8];
    ///     let len = b.recv(&mut buf).await?;
    ///     assert_eq!(&buf[..len], b"over");
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn connect(&self, addr: impl ToSocketAddrs) -> io::Result<()> {
        try_each(&addr, |addr| async move { self.io.get_ref().connect(addr) }).await
    }

    /// Sends `buf` as one datagram to the connected peer; returns the bytes sent (all of them).
    ///
    /// # Errors
    /// If the socket is not [connected](UdpSocket::connect), the datagram is too large, or the
    /// peer reported an error for an earlier datagram (`ConnectionRefused` when nobody listens
    /// at its port).
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.write_with(|socket| socket.send(buf)).await
    }

    /// Polls to [`send`](UdpSocket::send) `buf`. Stores the task's waker when it returns
    /// `Pending`.
    pub fn poll_send(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        poll::poll_write(&self.io, cx, |socket| socket.send(buf))
    }

    /// Sends `buf` to the connected peer without waiting; `WouldBlock` if the send buffer is
    /// full.
    ///
    /// # Errors
    /// As for [`send`](UdpSocket::send), and `WouldBlock`.
    pub fn try_send(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.get_ref().send(buf)
    }

    /// Waits for a datagram from the connected peer and copies it into `buf`; returns its
    /// length (cut to `buf`'s).
    ///
    /// # Errors
    /// If the socket is not connected, or the peer reported an error for an earlier datagram.
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.read_with(|socket| socket.recv(buf)).await
    }

    /// Polls to [`recv`](UdpSocket::recv) into `buf`. Stores the task's waker when it returns
    /// `Pending`.
    pub fn poll_recv(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        poll::poll_read(&self.io, cx, |socket| socket.recv(buf))
    }

    /// Receives a datagram from the connected peer without waiting; `WouldBlock` if none is
    /// queued.
    ///
    /// # Errors
    /// As for [`recv`](UdpSocket::recv), and `WouldBlock`.
    pub fn try_recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.get_ref().recv(buf)
    }

    /// Waits for a datagram from the connected peer and copies it into `buf` without removing
    /// it from the queue.
    ///
    /// # Errors
    /// As for [`recv`](UdpSocket::recv).
    pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.read_with(|socket| socket.peek(buf)).await
    }

    /// Sends `buf` as one datagram to `target` (the first address it resolves to); returns the
    /// bytes sent.
    ///
    /// # Errors
    /// If `target` resolves to no address, or the datagram cannot be sent.
    ///
    /// ```
    /// use evloop::net::UdpSocket;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// evloop::block_on(async {
    ///     let socket = UdpSocket::bind("127.0.0.1:0").await?;
    ///     // A datagram to oneself.
    ///     socket.send_to(b"loop", socket.local_addr()?).await?;
    ///     let mut buf = [0; 4];
    ///     let (len, from) = socket.recv_from(&mut buf).await?;
    ///     assert_eq!((len, from), (4, socket.local_addr()?));
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn send_to(&self, buf: &[u8], target: impl ToSocketAddrs) -> io::Result<usize> {
        let target = resolve(&target).await?.next().ok_or_else(no_addresses)?;
        self.io
            .write_with(|socket| socket.send_to(buf, target))
            .await
    }

    /// Polls to send `buf` to `target`. Stores the task's waker when it returns `Pending`.
    pub fn poll_send_to(
        &self,
        cx: &mut Context<'_>,
        buf: &[u8],
        target: SocketAddr,
    ) -> Poll<io::Result<usize>> {
        poll::poll_write(&self.io, cx, |socket| socket.send_to(buf, target))
    }

    /// Sends `buf` to `target` without waiting; `WouldBlock` if the send buffer is full.
    ///
    /// # Errors
    /// As for [`send_to`](UdpSocket::send_to), and `WouldBlock`.
    pub fn try_send_to(&self, buf: &[u8], target: SocketAddr) -> io::Result<usize> {
        self.io.get_ref().send_to(buf, target)
    }

    /// Waits for a datagram and copies it into `buf`; returns its length (cut to `buf`'s) and
    /// its sender.
    ///
    /// # Errors
    /// If the system call fails.
    ///
    /// ```
    /// use evloop::net::UdpSocket;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// evloop::block_on(async {
    ///     let server = UdpSocket::bind("127.0.0.1:0").await?;
    ///     let addr = server.local_addr()?;
    ///     evloop::spawn(async move {
    ///         let client = UdpSocket::bind("127.0.0.1:0").await?;
    ///         client.send_to(b"0123456789", addr).await
    ///     });
    ///     let mut small = [0; 4];
    ///     let (len, _from) = server.recv_from(&mut small).await?;
    ///     assert_eq!((len, &small), (4, b"0123"), "the rest of the datagram is dropped");
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io.read_with(|socket| socket.recv_from(buf)).await
    }

    /// Polls to [`recv_from`](UdpSocket::recv_from) into `buf`. Stores the task's waker when it
    /// returns `Pending`.
    pub fn poll_recv_from(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<(usize, SocketAddr)>> {
        poll::poll_read(&self.io, cx, |socket| socket.recv_from(buf))
    }

    /// Receives a datagram without waiting; `WouldBlock` if none is queued.
    ///
    /// # Errors
    /// As for [`recv_from`](UdpSocket::recv_from), and `WouldBlock`.
    pub fn try_recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io.get_ref().recv_from(buf)
    }

    /// Waits for a datagram and copies it into `buf` without removing it from the queue; the
    /// next receive returns it again.
    ///
    /// # Errors
    /// If the system call fails.
    ///
    /// ```
    /// use evloop::net::UdpSocket;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// evloop::block_on(async {
    ///     let socket = UdpSocket::bind("127.0.0.1:0").await?;
    ///     socket.send_to(b"twice", socket.local_addr()?).await?;
    ///     let mut buf = [0; 8];
    ///     let (peeked, _) = socket.peek_from(&mut buf).await?;
    ///     let (received, _) = socket.recv_from(&mut buf).await?;
    ///     assert_eq!((peeked, received), (5, 5));
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io.read_with(|socket| socket.peek_from(buf)).await
    }

    /// Polls to [`peek_from`](UdpSocket::peek_from) into `buf`. Stores the task's waker when it
    /// returns `Pending`.
    pub fn poll_peek_from(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<(usize, SocketAddr)>> {
        poll::poll_read(&self.io, cx, |socket| socket.peek_from(buf))
    }

    /// Waits until a datagram is queued (or an error is pending).
    ///
    /// # Errors
    /// If the runtime that drives the socket has shut down.
    pub async fn readable(&self) -> io::Result<()> {
        self.io.readable().await
    }

    /// Waits until a datagram can be sent without waiting.
    ///
    /// # Errors
    /// If the runtime that drives the socket has shut down.
    pub async fn writable(&self) -> io::Result<()> {
        self.io.writable().await
    }

    /// Waits until the socket is ready for any of `interest`, and returns the readiness found;
    /// see [`TcpStream::ready`](crate::net::TcpStream::ready), whose rules (readiness checked
    /// with the kernel but possibly used up before the caller acts, one waiting task per
    /// direction) hold here too.
    ///
    /// [`Ready::ERROR`] reports an error pending on the socket: on a connected socket, a
    /// datagram refused by the peer's host is reported this way (where the platform reports it),
    /// and the next receive returns the error.
    ///
    /// # Errors
    /// If the runtime that drives the socket has shut down.
    ///
    /// ```
    /// use evloop::io::Interest;
    /// use evloop::net::UdpSocket;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// evloop::block_on(async {
    ///     let socket = UdpSocket::bind("127.0.0.1:0").await?;
    ///     let me = socket.local_addr()?;
    ///     let ready = socket.ready(Interest::READABLE | Interest::WRITABLE).await?;
    ///     assert!(ready.is_writable(), "nothing queued yet, but sending is possible");
    ///
    ///     socket.try_send_to(b"to myself", me)?;
    ///     let ready = socket.ready(Interest::READABLE).await?;
    ///     assert!(ready.is_readable());
    ///     let mut buf = [0; 16];
    ///     let (len, from) = socket.try_recv_from(&mut buf)?;
    ///     assert_eq!((&buf[..len], from), (&b"to myself"[..], me));
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn ready(&self, interest: Interest) -> io::Result<Ready> {
        self.io.ready(interest).await
    }

    /// Runs `f`, an I/O operation on the socket that does not wait, if the socket is ready for
    /// `interest`, and clears that readiness if `f` fails with `WouldBlock`; see
    /// [`TcpStream::try_io`](crate::net::TcpStream::try_io).
    ///
    /// # Errors
    /// `WouldBlock` if no readiness for `interest` is recorded (then `f` does not run) or if `f`
    /// returns it; an error if the runtime that drives the socket has shut down; whatever `f`
    /// returns.
    ///
    /// ```
    /// use evloop::io::Interest;
    /// use evloop::net::UdpSocket;
    /// use std::io::ErrorKind;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// evloop::block_on(async {
    ///     let socket = UdpSocket::bind("127.0.0.1:0").await?;
    ///     let mut buf = [0; 16];
    ///     let nothing = socket.try_io(Interest::READABLE, || socket.try_recv_from(&mut buf));
    ///     assert_eq!(nothing.unwrap_err().kind(), ErrorKind::WouldBlock);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn try_io<R>(
        &self,
        interest: Interest,
        f: impl FnOnce() -> io::Result<R>,
    ) -> io::Result<R> {
        self.io.try_io(interest, f)
    }

    /// Runs `f`, an I/O operation on the socket that does not wait, until it does not fail with
    /// `WouldBlock`, waiting for readiness for `interest` before each new attempt; see
    /// [`TcpStream::async_io`](crate::net::TcpStream::async_io).
    ///
    /// # Errors
    /// If the runtime that drives the socket has shut down; whatever else `f` returns.
    ///
    /// ```
    /// use evloop::io::Interest;
    /// use evloop::net::UdpSocket;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// evloop::block_on(async {
    ///     let socket = UdpSocket::bind("127.0.0.1:0").await?;
    ///     let sender = UdpSocket::bind("127.0.0.1:0").await?;
    ///     sender.send_to(b"hi", socket.local_addr()?).await?;
    ///     let mut buf = [0; 16];
    ///     let (len, _) = socket
    ///         .async_io(Interest::READABLE, || socket.try_recv_from(&mut buf))
    ///         .await?;
    ///     assert_eq!(&buf[..len], b"hi");
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn async_io<R>(
        &self,
        interest: Interest,
        f: impl FnMut() -> io::Result<R>,
    ) -> io::Result<R> {
        self.io.async_io(interest, f).await
    }

    /// The address the socket is bound to.
    ///
    /// # Errors
    /// If the system call fails.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// The address the socket is [connected](UdpSocket::connect) to.
    ///
    /// # Errors
    /// `NotConnected` if it is not connected.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// Sets `SO_BROADCAST`: whether datagrams may be sent to a broadcast address.
    ///
    /// # Errors
    /// If the system call fails.
    ///
    /// ```
    /// use evloop::net::UdpSocket;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// evloop::block_on(async {
    ///     let socket = UdpSocket::bind("127.0.0.1:0").await?;
    ///     socket.set_broadcast(true)?;
    ///     assert!(socket.broadcast()?);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn set_broadcast(&self, on: bool) -> io::Result<()> {
        self.io.get_ref().set_broadcast(on)
    }

    /// Whether `SO_BROADCAST` is set; see [`set_broadcast`](UdpSocket::set_broadcast).
    ///
    /// # Errors
    /// If the system call fails.
    pub fn broadcast(&self) -> io::Result<bool> {
        self.io.get_ref().broadcast()
    }

    /// Joins the IPv4 multicast group `multiaddr` on the interface with address `interface`
    /// ([`Ipv4Addr::UNSPECIFIED`] lets the system choose).
    ///
    /// # Errors
    /// If `multiaddr` is not a multicast address or the system refuses.
    ///
    /// ```
    /// use evloop::net::UdpSocket;
    /// use std::net::Ipv4Addr;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// evloop::block_on(async {
    ///     let socket = UdpSocket::bind("0.0.0.0:0").await?;
    ///     let group = Ipv4Addr::new(239, 255, 0, 1);
    ///     // Joining needs a multicast-capable interface, which a sandbox may lack.
    ///     if socket.join_multicast_v4(group, Ipv4Addr::LOCALHOST).is_ok() {
    ///         socket.leave_multicast_v4(group, Ipv4Addr::LOCALHOST)?;
    ///     }
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn join_multicast_v4(&self, multiaddr: Ipv4Addr, interface: Ipv4Addr) -> io::Result<()> {
        self.io.get_ref().join_multicast_v4(&multiaddr, &interface)
    }

    /// Leaves an IPv4 multicast group; see [`join_multicast_v4`](UdpSocket::join_multicast_v4).
    ///
    /// # Errors
    /// If the socket is not a member of the group on that interface.
    pub fn leave_multicast_v4(&self, multiaddr: Ipv4Addr, interface: Ipv4Addr) -> io::Result<()> {
        self.io.get_ref().leave_multicast_v4(&multiaddr, &interface)
    }

    /// Joins the IPv6 multicast group `multiaddr` on the interface with index `interface` (0
    /// lets the system choose).
    ///
    /// # Errors
    /// If `multiaddr` is not a multicast address or the system refuses.
    pub fn join_multicast_v6(&self, multiaddr: &Ipv6Addr, interface: u32) -> io::Result<()> {
        self.io.get_ref().join_multicast_v6(multiaddr, interface)
    }

    /// Leaves an IPv6 multicast group; see [`join_multicast_v6`](UdpSocket::join_multicast_v6).
    ///
    /// # Errors
    /// If the socket is not a member of the group on that interface.
    pub fn leave_multicast_v6(&self, multiaddr: &Ipv6Addr, interface: u32) -> io::Result<()> {
        self.io.get_ref().leave_multicast_v6(multiaddr, interface)
    }

    /// Sets `IP_MULTICAST_LOOP`: whether multicast datagrams this socket sends are looped back
    /// to the local host's members of the group.
    ///
    /// # Errors
    /// If the system call fails.
    pub fn set_multicast_loop_v4(&self, on: bool) -> io::Result<()> {
        self.io.get_ref().set_multicast_loop_v4(on)
    }

    /// Whether `IP_MULTICAST_LOOP` is set; see
    /// [`set_multicast_loop_v4`](UdpSocket::set_multicast_loop_v4).
    ///
    /// # Errors
    /// If the system call fails.
    pub fn multicast_loop_v4(&self) -> io::Result<bool> {
        self.io.get_ref().multicast_loop_v4()
    }

    /// Sets `IP_MULTICAST_TTL`: how many hops multicast datagrams travel (1, the default, keeps
    /// them on the local network).
    ///
    /// # Errors
    /// If the system call fails.
    pub fn set_multicast_ttl_v4(&self, ttl: u32) -> io::Result<()> {
        self.io.get_ref().set_multicast_ttl_v4(ttl)
    }

    /// The `IP_MULTICAST_TTL`; see [`set_multicast_ttl_v4`](UdpSocket::set_multicast_ttl_v4).
    ///
    /// # Errors
    /// If the system call fails.
    pub fn multicast_ttl_v4(&self) -> io::Result<u32> {
        self.io.get_ref().multicast_ttl_v4()
    }

    /// Sets `IPV6_MULTICAST_LOOP`; the IPv6 form of
    /// [`set_multicast_loop_v4`](UdpSocket::set_multicast_loop_v4).
    ///
    /// # Errors
    /// If the system call fails.
    pub fn set_multicast_loop_v6(&self, on: bool) -> io::Result<()> {
        self.io.get_ref().set_multicast_loop_v6(on)
    }

    /// Whether `IPV6_MULTICAST_LOOP` is set.
    ///
    /// # Errors
    /// If the system call fails.
    pub fn multicast_loop_v6(&self) -> io::Result<bool> {
        self.io.get_ref().multicast_loop_v6()
    }

    /// Sets the IP time-to-live of the datagrams sent (`IP_TTL`).
    ///
    /// # Errors
    /// If the system refuses the value.
    ///
    /// ```
    /// use evloop::net::UdpSocket;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// evloop::block_on(async {
    ///     let socket = UdpSocket::bind("127.0.0.1:0").await?;
    ///     socket.set_ttl(7)?;
    ///     assert_eq!(socket.ttl()?, 7);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.io.get_ref().set_ttl(ttl)
    }

    /// The IP time-to-live; see [`set_ttl`](UdpSocket::set_ttl).
    ///
    /// # Errors
    /// If the system call fails.
    pub fn ttl(&self) -> io::Result<u32> {
        self.io.get_ref().ttl()
    }

    /// Takes the pending error of the socket (`SO_ERROR`), if any.
    ///
    /// # Errors
    /// If the system call fails.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.io.get_ref().take_error()
    }

    /// Wraps a `std` socket, switching it to non-blocking mode and registering it with the
    /// current runtime's reactor (the global runtime's outside any).
    ///
    /// # Errors
    /// If the socket cannot be made non-blocking or registered.
    ///
    /// ```
    /// use evloop::net::UdpSocket;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// evloop::block_on(async {
    ///     let socket = UdpSocket::from_std(std::net::UdpSocket::bind("127.0.0.1:0")?)?;
    ///     let std_socket = socket.into_std()?;
    ///     std_socket.set_nonblocking(false)?;
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn from_std(socket: std::net::UdpSocket) -> io::Result<UdpSocket> {
        Ok(UdpSocket {
            io: Async::new(socket)?,
        })
    }

    /// Deregisters the socket and returns the `std` socket, still in non-blocking mode.
    ///
    /// # Errors
    /// If the reactor fails to deregister the descriptor.
    pub fn into_std(self) -> io::Result<std::net::UdpSocket> {
        self.io.into_inner()
    }
}

impl TryFrom<std::net::UdpSocket> for UdpSocket {
    type Error = io::Error;

    /// Same as [`UdpSocket::from_std`].
    fn try_from(socket: std::net::UdpSocket) -> io::Result<UdpSocket> {
        UdpSocket::from_std(socket)
    }
}

crate::net::impl_as_raw!(UdpSocket);

impl fmt::Debug for UdpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UdpSocket")
            .field("local", &self.local_addr().ok())
            .field("peer", &self.peer_addr().ok())
            .field("fd", &crate::reactor::raw::raw(self.io.get_ref()))
            .finish()
    }
}

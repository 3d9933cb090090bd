//! [`UnixDatagram`].

use std::fmt;
use std::io;
use std::net::Shutdown;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::os::unix::net::SocketAddr;
use std::path::Path;
use std::task::{Context, Poll};

use crate::io::{Async, Interest, Ready};
use crate::net::poll;

/// A Unix domain datagram socket.
///
/// Datagrams keep their boundaries and, unlike UDP, are never lost or reordered on the way;
/// a send waits while the receiver's queue is full. As with [`UdpSocket`](crate::net::UdpSocket),
/// one task may receive while another sends, but two tasks must not receive at once (and a task
/// awaiting [`ready`](UnixDatagram::ready) or [`async_io`](UnixDatagram::async_io) is the
/// waiter of each direction of its [`Interest`]).
///
/// ```
/// use evloop::net::UnixDatagram;
///
/// # fn main() -> std::io::Result<()> {
/// evloop::block_on(async {
///     let dir = tempfile::tempdir()?;
///     let server = UnixDatagram::bind(dir.path().join("server"))?;
///     let client = UnixDatagram::bind(dir.path().join("client"))?;
///
///     client.send_to(b"request", dir.path().join("server")).await?;
///     let mut buf = [0; 16];
///     let (len, from) = server.recv_from(&mut buf).await?;
///     assert_eq!(&buf[..len], b"request");
///
///     let reply_to = from.as_pathname().expect("the client is bound");
///     server.send_to(b"reply", reply_to).await?;
///     let len = client.recv(&mut buf).await?;
///     assert_eq!(&buf[..len], b"reply");
///     Ok(())
/// })
/// # }
/// ```
pub struct UnixDatagram {
    io: Async<std::os::unix::net::UnixDatagram>,
}

impl UnixDatagram {
    /// Creates a socket bound to `path` (which must not exist yet). Binding does not wait, so
    /// this is not `async`.
    ///
    /// # Errors
    /// If the path exists ([`ErrorKind::AddrInUse`](io::ErrorKind::AddrInUse)), its directory
    /// does not, or the socket cannot be created or registered.
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixDatagram> {
        UnixDatagram::from_std(std::os::unix::net::UnixDatagram::bind(path)?)
    }

    /// Creates a socket bound to no address: it can send (and, once
    /// [connected](UnixDatagram::connect), receive replies from its peer), but nobody can
    /// address a datagram to it by name.
    ///
    /// # Errors
    /// If the socket cannot be created or registered.
    ///
    /// ```
    /// use evloop::net::UnixDatagram;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// evloop::block_on(async {
    ///     let dir = tempfile::tempdir()?;
    ///     let path = dir.path().join("log");
    ///     let log = UnixDatagram::bind(&path)?;
    ///
    ///     let client = UnixDatagram::unbound()?;
    ///     client.connect(&path)?;
    ///     client.send(b"entry").await?;
    ///
    ///     let mut buf = [0; 8];
    ///     let (len, from) = log.recv_from(&mut buf).await?;
    ///     assert_eq!(&buf[..len], b"entry");
    ///     assert!(from.is_unnamed());
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn unbound() -> io::Result<UnixDatagram> {
        UnixDatagram::from_std(std::os::unix::net::UnixDatagram::unbound()?)
    }

    /// Creates a pair of connected sockets (`socketpair(2)`).
    ///
    /// # Errors
    /// If the sockets cannot be created or registered.
    ///
    /// ```
    /// use evloop::net::UnixDatagram;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// evloop::block_on(async {
    ///     let (a, b) = UnixDatagram::pair()?;
    ///     a.send(b"one").await?;
    ///     a.send(b"two").await?;
    ///     let mut buf = [0; 8];
    ///     let first = b.recv(&mut buf).await?;
    ///     assert_eq!(&buf[..first], b"one", "boundaries are kept");
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn pair() -> io::Result<(UnixDatagram, UnixDatagram)> {
        let (a, b) = std::os::unix::net::UnixDatagram::pair()?;
        Ok((UnixDatagram::from_std(a)?, UnixDatagram::from_std(b)?))
    }

    /// Connects the socket to the socket bound at `path`: [`send`](UnixDatagram::send) goes
    /// there, and only datagrams from there are received. Does not wait.
    ///
    /// # Errors
    /// If nothing is bound at `path`.
    pub fn connect(&self, path: impl AsRef<Path>) -> io::Result<()> {
        self.io.get_ref().connect(path)
    }

    /// Sends `buf` as one datagram to the connected peer, waiting while its queue is full.
    ///
    /// # Errors
    /// If the socket is not connected or the peer has gone.
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.write_with(|socket| socket.send(buf)).await
    }

    /// Polls to [`send`](UnixDatagram::send) `buf`. Stores the task's waker when it returns
    /// `Pending`.
    pub fn poll_send(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        poll::poll_write(&self.io, cx, |socket| socket.send(buf))
    }

    /// Sends `buf` to the connected peer without waiting; `WouldBlock` if its queue is full.
    ///
    /// # Errors
    /// As for [`send`](UnixDatagram::send), and `WouldBlock`.
    pub fn try_send(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.get_ref().send(buf)
    }

    /// Waits for a datagram from the connected peer and copies it into `buf`; returns its
    /// length (cut to `buf`'s).
    ///
    /// # Errors
    /// If the system call fails.
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.read_with(|socket| socket.recv(buf)).await
    }

    /// Polls to [`recv`](UnixDatagram::recv) into `buf`. Stores the task's waker when it returns
    /// `Pending`.
    pub fn poll_recv(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        poll::poll_read(&self.io, cx, |socket| socket.recv(buf))
    }

    /// Receives a datagram without waiting; `WouldBlock` if none is queued.
    ///
    /// # Errors
    /// As for [`recv`](UnixDatagram::recv), and `WouldBlock`.
    pub fn try_recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.get_ref().recv(buf)
    }

    /// Sends `buf` as one datagram to the socket bound at `path`, waiting while its queue is
    /// full.
    ///
    /// # Errors
    /// If nothing is bound at `path`.
    pub async fn send_to(&self, buf: &[u8], path: impl AsRef<Path>) -> io::Result<usize> {
        let path = path.as_ref();
        self.io.write_with(|socket| socket.send_to(buf, path)).await
    }

    /// Polls to [`send_to`](UnixDatagram::send_to). Stores the task's waker when it returns
    /// `Pending`.
    pub fn poll_send_to(
        &self,
        cx: &mut Context<'_>,
        buf: &[u8],
        path: impl AsRef<Path>,
    ) -> Poll<io::Result<usize>> {
        let path = path.as_ref();
        poll::poll_write(&self.io, cx, |socket| socket.send_to(buf, path))
    }

    /// Sends `buf` to the socket bound at `path` without waiting; `WouldBlock` if its queue is
    /// full.
    ///
    /// # Errors
    /// As for [`send_to`](UnixDatagram::send_to), and `WouldBlock`.
    pub fn try_send_to(&self, buf: &[u8], path: impl AsRef<Path>) -> io::Result<usize> {
        self.io.get_ref().send_to(buf, path)
    }

    /// Waits for a datagram and copies it into `buf`; returns its length (cut to `buf`'s) and
    /// its sender's address (unnamed if the sender is not bound).
    ///
    /// # Errors
    /// If the system call fails.
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io.read_with(|socket| socket.recv_from(buf)).await
    }

    /// Polls to [`recv_from`](UnixDatagram::recv_from) into `buf`. Stores the task's waker when
    /// it returns `Pending`.
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
    /// As for [`recv_from`](UnixDatagram::recv_from), and `WouldBlock`.
    pub fn try_recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io.get_ref().recv_from(buf)
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
    /// direction) hold here too. Writability here means the receiver's queue has room.
    ///
    /// # Errors
    /// If the runtime that drives the socket has shut down.
    ///
    /// ```
    /// use evloop::io::Interest;
    /// use evloop::net::UnixDatagram;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// evloop::block_on(async {
    ///     let (a, b) = UnixDatagram::pair()?;
    ///     assert!(a.ready(Interest::WRITABLE).await?.is_writable());
    ///     a.try_send(b"one")?;
    ///     let ready = b.ready(Interest::READABLE | Interest::WRITABLE).await?;
    ///     assert!(ready.is_readable());
    ///     let mut buf = [0; 8];
    ///     assert_eq!(b.try_recv(&mut buf)?, 3);
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
    /// use evloop::net::UnixDatagram;
    /// use std::io::ErrorKind;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// evloop::block_on(async {
    ///     let (a, b) = UnixDatagram::pair()?;
    ///     let mut buf = [0; 8];
    ///     let nothing = b.try_io(Interest::READABLE, || b.try_recv(&mut buf));
    ///     assert_eq!(nothing.unwrap_err().kind(), ErrorKind::WouldBlock);
    ///     a.send(b"two").await?;
    ///     let n = b.async_io(Interest::READABLE, || b.try_recv(&mut buf)).await?;
    ///     assert_eq!(&buf[..n], b"two");
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
    /// [`TcpStream::async_io`](crate::net::TcpStream::async_io) (and the example of
    /// [`try_io`](UnixDatagram::try_io)).
    ///
    /// # Errors
    /// If the runtime that drives the socket has shut down; whatever else `f` returns.
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

    /// The address of the connected peer.
    ///
    /// # Errors
    /// `NotConnected` if the socket is not connected.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// Shuts down the receiving side, the sending side, or both.
    ///
    /// # Errors
    /// If the system call fails.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.io.get_ref().shutdown(how)
    }

    /// Takes the pending error of the socket (`SO_ERROR`), if any.
    ///
    /// # Errors
    /// If the system call fails.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.io.get_ref().take_error()
    }

    /// Wraps a `std` socket, switching it to non-blocking mode and registering it with the
    /// current runtime's reactor.
    ///
    /// # Errors
    /// If the socket cannot be made non-blocking or registered.
    pub fn from_std(socket: std::os::unix::net::UnixDatagram) -> io::Result<UnixDatagram> {
        Ok(UnixDatagram {
            io: Async::new(socket)?,
        })
    }

    /// Deregisters the socket and returns the `std` socket, still in non-blocking mode.
    ///
    /// # Errors
    /// If the reactor fails to deregister the descriptor.
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixDatagram> {
        self.io.into_inner()
    }
}

impl TryFrom<std::os::unix::net::UnixDatagram> for UnixDatagram {
    type Error = io::Error;

    /// Same as [`UnixDatagram::from_std`].
    fn try_from(socket: std::os::unix::net::UnixDatagram) -> io::Result<UnixDatagram> {
        UnixDatagram::from_std(socket)
    }
}

impl AsFd for UnixDatagram {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.as_fd()
    }
}

impl AsRawFd for UnixDatagram {
    fn as_raw_fd(&self) -> RawFd {
        self.io.as_fd().as_raw_fd()
    }
}

impl fmt::Debug for UnixDatagram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixDatagram")
            .field("local", &self.local_addr().ok())
            .field("peer", &self.peer_addr().ok())
            .field("fd", &self.as_raw_fd())
            .finish()
    }
}

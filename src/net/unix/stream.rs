//! [`UnixStream`].

use std::fmt;
use std::io::{self, IoSlice, IoSliceMut, Read, Write};
use std::net::Shutdown;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::os::unix::net::SocketAddr;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};
use rustix::net::{AddressFamily, SocketAddrUnix, SocketType};

use crate::io::{Async, Interest, Ready};
use crate::net::sys;
use crate::net::unix::split::{self, OwnedReadHalf, OwnedWriteHalf, ReadHalf, WriteHalf};

/// A connected Unix domain stream socket.
///
/// Made by [`connect`](UnixStream::connect), [`pair`](UnixStream::pair) or
/// [`UnixListener::accept`](crate::net::UnixListener::accept). Like
/// [`TcpStream`](crate::net::TcpStream) it implements [`AsyncRead`] and [`AsyncWrite`] for both
/// `UnixStream` and `&UnixStream`, closing it shuts down its writing direction, and one task may
/// read while another writes (but two tasks must not read at once; a task awaiting
/// [`ready`](UnixStream::ready) or [`async_io`](UnixStream::async_io) is the waiter of each
/// direction of its [`Interest`]).
///
/// ```
/// use evloop::io::{AsyncReadExt, AsyncWriteExt};
/// use evloop::net::UnixStream;
///
/// # fn main() -> std::io::Result<()> {
/// evloop::block_on(async {
///     let (mut a, mut b) = UnixStream::pair()?;
///     a.write_all(b"ping").await?;
///     a.close().await?;
///     let mut received = Vec::new();
///     b.read_to_end(&mut received).await?;
///     assert_eq!(received, b"ping");
///     Ok(())
/// })
/// # }
/// ```
pub struct UnixStream {
    io: Async<std::os::unix::net::UnixStream>,
}

impl UnixStream {
    /// Connects to the listener at `path`, without blocking the thread.
    ///
    /// # Errors
    /// If nothing listens there (`ConnectionRefused`, or `NotFound` for a missing path), or the
    /// listener's queue of unaccepted connections is full (`WouldBlock`: Unix sockets refuse
    /// rather than wait; try again later).
    ///
    /// ```
    /// use evloop::net::{UnixListener, UnixStream};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// evloop::block_on(async {
    ///     let dir = tempfile::tempdir()?;
    ///     let path = dir.path().join("socket");
    ///     let missing = UnixStream::connect(&path).await.unwrap_err();
    ///     assert_eq!(missing.kind(), std::io::ErrorKind::NotFound);
    ///
    ///     let _listener = UnixListener::bind(&path)?;
    ///     let stream = UnixStream::connect(&path).await?;
    ///     assert_eq!(stream.peer_addr()?.as_pathname(), Some(path.as_path()));
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn connect(path: impl AsRef<Path>) -> io::Result<UnixStream> {
        let addr = SocketAddrUnix::new(path.as_ref())?;
        let fd = sys::socket(AddressFamily::UNIX, SocketType::STREAM)?;
        let pending = sys::start_connect(&fd, &addr)?;
        let io = Async::new(std::os::unix::net::UnixStream::from(fd))?;
        if pending {
            sys::finish_connect(io.get_ref(), io.writable()).await?;
        }
        Ok(UnixStream { io })
    }

    /// Creates a pair of connected streams (`socketpair(2)`).
    ///
    /// # Errors
    /// If the sockets cannot be created or registered.
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let (a, b) = std::os::unix::net::UnixStream::pair()?;
        Ok((UnixStream::from_std(a)?, UnixStream::from_std(b)?))
    }

    /// The address of this end of the connection.
    ///
    /// # Errors
    /// If the system call fails.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// The address of the other end.
    ///
    /// # Errors
    /// If the system call fails.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// The credentials of the peer process (`SO_PEERCRED`). Linux and Android only.
    ///
    /// # Errors
    /// If the system call fails.
    ///
    /// ```
    /// use evloop::net::UnixStream;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// evloop::block_on(async {
    ///     let (a, _b) = UnixStream::pair()?;
    ///     assert_eq!(a.peer_cred()?.pid(), Some(std::process::id() as i32));
    ///     Ok(())
    /// })
    /// # }
    /// ```
    #[cfg(any(target_os = "linux", target_os = "android"))]
    pub fn peer_cred(&self) -> io::Result<super::UCred> {
        let cred = rustix::net::sockopt::socket_peercred(self)?;
        Ok(super::UCred::from_rustix(cred))
    }

    /// Takes the pending error of the socket (`SO_ERROR`), if any.
    ///
    /// # Errors
    /// If the system call fails.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.io.get_ref().take_error()
    }

    /// Shuts down the reading side, the writing side, or both, at once. After
    /// `Shutdown::Write` the peer reads end-of-file while this end can still read.
    ///
    /// # Errors
    /// If the socket is not connected.
    ///
    /// ```
    /// use evloop::io::{AsyncReadExt, AsyncWriteExt};
    /// use evloop::net::UnixStream;
    /// use std::net::Shutdown;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// evloop::block_on(async {
    ///     let (mut a, mut b) = UnixStream::pair()?;
    ///     a.shutdown(Shutdown::Write)?;
    ///     let mut buf = [0; 4];
    ///     assert_eq!(b.read(&mut buf).await?, 0, "b sees end-of-file");
    ///     b.write_all(b"but").await?;
    ///     a.read_exact(&mut buf[..3]).await?;
    ///     assert_eq!(&buf[..3], b"but");
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.io.get_ref().shutdown(how)
    }

    /// Waits until the stream is readable; see
    /// [`TcpStream::readable`](crate::net::TcpStream::readable).
    ///
    /// # Errors
    /// If the runtime that drives the stream has shut down.
    pub async fn readable(&self) -> io::Result<()> {
        self.io.readable().await
    }

    /// Waits until the stream is writable; see
    /// [`TcpStream::writable`](crate::net::TcpStream::writable).
    ///
    /// # Errors
    /// If the runtime that drives the stream has shut down.
    pub async fn writable(&self) -> io::Result<()> {
        self.io.writable().await
    }

    /// Polls for readability. Stores the task's waker when it returns `Pending`.
    pub fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io.poll_readable(cx)
    }

    /// Polls for writability. Stores the task's waker when it returns `Pending`.
    pub fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io.poll_writable(cx)
    }

    /// Reads what is available without waiting; `WouldBlock` if nothing has arrived.
    ///
    /// # Errors
    /// `WouldBlock` when no data is waiting; any error of the connection.
    pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        Read::read(&mut self.io.get_ref(), buf)
    }

    /// Like [`try_read`](UnixStream::try_read), into several buffers in order.
    ///
    /// # Errors
    /// As for [`try_read`](UnixStream::try_read).
    pub fn try_read_vectored(&self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        Read::read_vectored(&mut self.io.get_ref(), bufs)
    }

    /// Writes what the send buffer takes without waiting; `WouldBlock` if it is full.
    ///
    /// # Errors
    /// `WouldBlock` when the send buffer is full; any error of the connection.
    pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        Write::write(&mut self.io.get_ref(), buf)
    }

    /// Like [`try_write`](UnixStream::try_write), from several buffers in order.
    ///
    /// # Errors
    /// As for [`try_write`](UnixStream::try_write).
    pub fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        Write::write_vectored(&mut self.io.get_ref(), bufs)
    }

    /// Waits until the stream is ready for any of `interest`, and returns the readiness found;
    /// see [`TcpStream::ready`](crate::net::TcpStream::ready), whose rules (readiness checked
    /// with the kernel but possibly used up before the caller acts, one waiting task per
    /// direction, [`Ready::READ_CLOSED`] once the peer has shut down its writing) hold here too.
    ///
    /// # Errors
    /// If the runtime that drives the stream has shut down.
    ///
    /// ```
    /// use evloop::io::Interest;
    /// use evloop::net::UnixStream;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// evloop::block_on(async {
    ///     let (a, b) = UnixStream::pair()?;
    ///     a.try_write(b"hi")?;
    ///     drop(a);
    ///     let ready = b.ready(Interest::READABLE).await?;
    ///     assert!(ready.is_readable());
    ///     let mut buf = [0; 4];
    ///     assert_eq!(b.try_read(&mut buf)?, 2);
    ///     assert_eq!(b.try_read(&mut buf)?, 0, "then end-of-file");
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn ready(&self, interest: Interest) -> io::Result<Ready> {
        self.io.ready(interest).await
    }

    /// Runs `f`, an I/O operation on the stream that does not wait, if the stream is ready for
    /// `interest`, and clears that readiness if `f` fails with `WouldBlock`; see
    /// [`TcpStream::try_io`](crate::net::TcpStream::try_io).
    ///
    /// # Errors
    /// `WouldBlock` if no readiness for `interest` is recorded (then `f` does not run) or if `f`
    /// returns it; an error if the runtime that drives the stream has shut down; whatever `f`
    /// returns.
    ///
    /// ```
    /// use evloop::io::Interest;
    /// use evloop::net::UnixStream;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// evloop::block_on(async {
    ///     let (a, b) = UnixStream::pair()?;
    ///     let sent = a.try_io(Interest::WRITABLE, || a.try_write(b"hello"))?;
    ///     assert_eq!(sent, 5);
    ///     let mut buf = [0; 8];
    ///     let n = b.async_io(Interest::READABLE, || b.try_read(&mut buf)).await?;
    ///     assert_eq!(&buf[..n], b"hello");
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

    /// Runs `f`, an I/O operation on the stream that does not wait, until it does not fail with
    /// `WouldBlock`, waiting for readiness for `interest` before each new attempt; see
    /// [`TcpStream::async_io`](crate::net::TcpStream::async_io) (and the example of
    /// [`try_io`](UnixStream::try_io)).
    ///
    /// # Errors
    /// If the runtime that drives the stream has shut down; whatever else `f` returns.
    pub async fn async_io<R>(
        &self,
        interest: Interest,
        f: impl FnMut() -> io::Result<R>,
    ) -> io::Result<R> {
        self.io.async_io(interest, f).await
    }

    /// Splits the stream into a reading and a writing half that borrow it.
    pub fn split(&mut self) -> (ReadHalf<'_>, WriteHalf<'_>) {
        split::split(self)
    }

    /// Splits the stream into halves that own it, to move into different tasks; dropping the
    /// [`OwnedWriteHalf`] shuts down the writing direction. See
    /// [`TcpStream::into_split`](crate::net::TcpStream::into_split).
    ///
    /// ```
    /// use evloop::io::{AsyncReadExt, AsyncWriteExt};
    /// use evloop::net::UnixStream;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// evloop::block_on(async {
    ///     let (a, mut b) = UnixStream::pair()?;
    ///     let (mut reader, writer) = a.into_split();
    ///     drop(writer); // shuts down a's writing side
    ///     let mut rest = Vec::new();
    ///     b.read_to_end(&mut rest).await?;
    ///     assert!(rest.is_empty());
    ///
    ///     b.write_all(b"still open this way").await?;
    ///     let mut buf = [0; 5];
    ///     reader.read_exact(&mut buf).await?;
    ///     assert_eq!(&buf, b"still");
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn into_split(self) -> (OwnedReadHalf, OwnedWriteHalf) {
        split::into_split(Arc::new(self))
    }

    /// Wraps a connected `std` stream, switching it to non-blocking mode and registering it
    /// with the current runtime's reactor.
    ///
    /// # Errors
    /// If the stream cannot be made non-blocking or registered.
    pub fn from_std(stream: std::os::unix::net::UnixStream) -> io::Result<UnixStream> {
        Ok(UnixStream {
            io: Async::new(stream)?,
        })
    }

    /// Deregisters the stream and returns the `std` stream, still in non-blocking mode.
    ///
    /// # Errors
    /// If the reactor fails to deregister the descriptor.
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixStream> {
        self.io.into_inner()
    }
}

impl TryFrom<std::os::unix::net::UnixStream> for UnixStream {
    type Error = io::Error;

    /// Same as [`UnixStream::from_std`].
    fn try_from(stream: std::os::unix::net::UnixStream) -> io::Result<UnixStream> {
        UnixStream::from_std(stream)
    }
}

impl AsFd for UnixStream {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.as_fd()
    }
}

impl AsRawFd for UnixStream {
    fn as_raw_fd(&self) -> RawFd {
        self.io.as_fd().as_raw_fd()
    }
}

impl fmt::Debug for UnixStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixStream")
            .field("local", &self.local_addr().ok())
            .field("peer", &self.peer_addr().ok())
            .field("fd", &self.as_raw_fd())
            .finish()
    }
}

// ===== futures-io =====
//
// As for `TcpStream`: everything through `&Async<std::os::unix::net::UnixStream>`; flushing is
// a no-op; closing shuts down the writing direction.

impl AsyncRead for &UnixStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.io.poll_read_stream(cx, buf)
    }

    fn poll_read_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &mut [IoSliceMut<'_>],
    ) -> Poll<io::Result<usize>> {
        self.io.poll_read_stream_vectored(cx, bufs)
    }
}

impl AsyncWrite for &UnixStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut &self.io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut &self.io).poll_write_vectored(cx, bufs)
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    /// Shuts down the writing direction; see [`UnixStream::shutdown`].
    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.shutdown(Shutdown::Write))
    }
}

impl AsyncRead for UnixStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut &*self).poll_read(cx, buf)
    }

    fn poll_read_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &mut [IoSliceMut<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut &*self).poll_read_vectored(cx, bufs)
    }
}

impl AsyncWrite for UnixStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut &*self).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut &*self).poll_write_vectored(cx, bufs)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut &*self).poll_flush(cx)
    }

    /// Shuts down the writing direction; see [`UnixStream::shutdown`].
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut &*self).poll_close(cx)
    }
}

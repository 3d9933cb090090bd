//! [`TcpStream`].

use std::fmt;
use std::io::{self, IoSlice, IoSliceMut, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_io::{AsyncRead, AsyncWrite};

use crate::io::{Async, Interest, Ready};
use crate::net::addr::{try_each, ToSocketAddrs};
use crate::net::tcp::split::{self, OwnedReadHalf, OwnedWriteHalf, ReadHalf, WriteHalf};
use crate::net::{poll, sys};

/// A TCP connection.
///
/// Made by [`connect`](TcpStream::connect) or returned by
/// [`TcpListener::accept`](crate::net::TcpListener::accept). Read and write it through the
/// [`AsyncRead`] and [`AsyncWrite`] traits (with [`AsyncReadExt`](crate::io::AsyncReadExt) and
/// [`AsyncWriteExt`](crate::io::AsyncWriteExt) for `read`, `write_all` and friends), which are
/// implemented for both `TcpStream` and `&TcpStream`; or with the `try_*` methods after
/// [`readable`](TcpStream::readable) / [`writable`](TcpStream::writable).
///
/// Dropping the stream closes the connection. [Closing](AsyncWrite::poll_close) it (or calling
/// [`shutdown`](TcpStream::shutdown) with [`Shutdown::Write`]) only ends the outgoing direction:
/// the peer reads end-of-file, and can still send.
///
/// # Sharing between tasks
/// Through `&TcpStream` one task may read while another writes. Two tasks reading (or two
/// writing) at the same time are not supported: each direction has one waiting slot, and the
/// later waiter displaces the earlier, which may then miss its wake-up. A task awaiting
/// [`ready`](TcpStream::ready) or [`async_io`](TcpStream::async_io) is the waiter of each
/// direction of its [`Interest`]. To hand the two directions to different tasks,
/// [`into_split`](TcpStream::into_split) the stream.
///
/// ```
/// use evloop::io::{AsyncReadExt, AsyncWriteExt};
/// use evloop::net::{TcpListener, TcpStream};
///
/// # fn main() -> std::io::Result<()> {
/// evloop::block_on(async {
///     let listener = TcpListener::bind("127.0.0.1:0").await?;
///     let mut client = TcpStream::connect(listener.local_addr()?).await?;
///     let (mut server, _) = listener.accept().await?;
///
///     client.write_all(b"ping").await?;
///     let mut buf = [0; 4];
///     server.read_exact(&mut buf).await?;
///     assert_eq!(&buf, b"ping");
///     Ok(())
/// })
/// # }
/// ```
pub struct TcpStream {
    io: Async<std::net::TcpStream>,
    /// Linux: whether the socket was asked to report its receive queue with each read (done on
    /// the first read that fills its buffer, see `Async::poll_read_tcp`).
    #[cfg(target_os = "linux")]
    reports_queue: std::sync::atomic::AtomicBool,
}

impl TcpStream {
    /// Opens a connection to `addr`.
    ///
    /// If `addr` resolves to several addresses, each is tried in turn until a connection is
    /// made; if none succeeds, the error of the last attempt is returned. The connection is
    /// made without blocking the thread: the socket is created non-blocking and the task waits
    /// for the handshake to finish. A port nobody listens on fails with
    /// [`ErrorKind::ConnectionRefused`](io::ErrorKind::ConnectionRefused).
    ///
    /// # Errors
    /// If resolution fails or no address accepts the connection.
    ///
    /// ```
    /// use evloop::net::{TcpListener, TcpStream};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// evloop::block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let addr = listener.local_addr()?;
    ///     let stream = TcpStream::connect(addr).await?;
    ///     assert_eq!(stream.peer_addr()?, addr);
    ///
    ///     drop(listener);
    ///     let refused = TcpStream::connect(addr).await.unwrap_err();
    ///     assert_eq!(refused.kind(), std::io::ErrorKind::ConnectionRefused);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn connect(addr: impl ToSocketAddrs) -> io::Result<TcpStream> {
        try_each(&addr, TcpStream::connect_addr).await
    }

    /// Connects to one address.
    async fn connect_addr(addr: SocketAddr) -> io::Result<TcpStream> {
        let socket = sys::tcp_socket(&addr)?;
        let pending = sys::start_connect(&socket, &addr)?;
        let io = Async::new(socket)?;
        if pending {
            sys::finish_connect(io.get_ref(), io.writable()).await?;
        }
        Ok(TcpStream::from_async(io))
    }

    fn from_async(io: Async<std::net::TcpStream>) -> TcpStream {
        TcpStream {
            io,
            #[cfg(target_os = "linux")]
            reports_queue: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// The address of the peer.
    ///
    /// # Errors
    /// If the connection is gone (`NotConnected`).
    ///
    /// ```
    /// use evloop::net::{TcpListener, TcpStream};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// evloop::block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let stream = TcpStream::connect(listener.local_addr()?).await?;
    ///     assert_eq!(stream.peer_addr()?, listener.local_addr()?);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// The local address of the connection.
    ///
    /// # Errors
    /// If the system call fails.
    ///
    /// ```
    /// use evloop::net::{TcpListener, TcpStream};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// evloop::block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let stream = TcpStream::connect(listener.local_addr()?).await?;
    ///     assert!(stream.local_addr()?.ip().is_loopback());
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// Sets `TCP_NODELAY`: when `true`, small writes are sent at once instead of being held back
    /// to coalesce with later ones (Nagle's algorithm).
    ///
    /// # Errors
    /// If the system call fails.
    ///
    /// ```
    /// use evloop::net::{TcpListener, TcpStream};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// evloop::block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let stream = TcpStream::connect(listener.local_addr()?).await?;
    ///     stream.set_nodelay(true)?;
    ///     assert!(stream.nodelay()?);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.io.get_ref().set_nodelay(nodelay)
    }

    /// Whether `TCP_NODELAY` is set; see [`set_nodelay`](TcpStream::set_nodelay).
    ///
    /// # Errors
    /// If the system call fails.
    pub fn nodelay(&self) -> io::Result<bool> {
        self.io.get_ref().nodelay()
    }

    /// Sets `SO_LINGER`: with `Some(duration)`, closing the socket waits up to `duration` for
    /// unsent data to go out (with `Some(Duration::ZERO)` it resets the connection at once,
    /// discarding unsent data); with `None` (the default), closing returns at once and the
    /// system sends what is left in the background.
    ///
    /// Note that a nonzero linger makes the `close` that drops the stream block the thread for
    /// up to `duration`.
    ///
    /// # Errors
    /// If the system call fails.
    ///
    /// ```
    /// use evloop::net::{TcpListener, TcpStream};
    /// use std::time::Duration;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// evloop::block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let stream = TcpStream::connect(listener.local_addr()?).await?;
    ///     stream.set_linger(Some(Duration::ZERO))?;
    ///     assert_eq!(stream.linger()?, Some(Duration::ZERO));
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn set_linger(&self, linger: Option<Duration>) -> io::Result<()> {
        sys::set_linger(self, linger)
    }

    /// The `SO_LINGER` setting; see [`set_linger`](TcpStream::set_linger).
    ///
    /// # Errors
    /// If the system call fails.
    pub fn linger(&self) -> io::Result<Option<Duration>> {
        sys::linger(self)
    }

    /// Sets the IP time-to-live of the packets sent (`IP_TTL`).
    ///
    /// # Errors
    /// If the system refuses the value.
    ///
    /// ```
    /// use evloop::net::{TcpListener, TcpStream};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// evloop::block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let stream = TcpStream::connect(listener.local_addr()?).await?;
    ///     stream.set_ttl(16)?;
    ///     assert_eq!(stream.ttl()?, 16);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.io.get_ref().set_ttl(ttl)
    }

    /// The IP time-to-live; see [`set_ttl`](TcpStream::set_ttl).
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

    /// Shuts down the reading side, the writing side, or both, at once (this does not wait).
    ///
    /// After `Shutdown::Write` the peer reads end-of-file once it has read what was sent, and
    /// writes here fail; reading still works, so a request can be ended this way while its
    /// response is read. [Closing](AsyncWrite::poll_close) the stream does the same.
    ///
    /// # Errors
    /// If the socket is not connected.
    ///
    /// ```
    /// use evloop::io::AsyncReadExt;
    /// use evloop::net::{TcpListener, TcpStream};
    /// use std::net::Shutdown;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// evloop::block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (mut server, _) = listener.accept().await?;
    ///     client.shutdown(Shutdown::Write)?;
    ///     let mut buf = [0; 8];
    ///     assert_eq!(server.read(&mut buf).await?, 0, "end-of-file");
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.io.get_ref().shutdown(how)
    }

    /// Waits until the stream is readable: data, end-of-file or an error is waiting, so a
    /// [`try_read`](TcpStream::try_read) would not fail with `WouldBlock`, unless another reader
    /// took the data first (then wait again).
    ///
    /// # Errors
    /// If the runtime that drives the stream has shut down.
    ///
    /// ```
    /// use evloop::io::AsyncWriteExt;
    /// use evloop::net::{TcpListener, TcpStream};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// evloop::block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let mut client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (server, _) = listener.accept().await?;
    ///     client.write_all(b"hello").await?;
    ///
    ///     let mut buf = [0; 16];
    ///     let n = loop {
    ///         server.readable().await?;
    ///         match server.try_read(&mut buf) {
    ///             Ok(n) => break n,
    ///             Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
    ///             Err(e) => return Err(e),
    ///         }
    ///     };
    ///     assert_eq!(&buf[..n], b"hello");
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn readable(&self) -> io::Result<()> {
        self.io.readable().await
    }

    /// Waits until the stream is writable: a [`try_write`](TcpStream::try_write) would not fail
    /// with `WouldBlock` (it may still fail, for example because the peer has gone).
    ///
    /// # Errors
    /// If the runtime that drives the stream has shut down.
    ///
    /// ```
    /// use evloop::net::{TcpListener, TcpStream};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// evloop::block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let client = TcpStream::connect(listener.local_addr()?).await?;
    ///     client.writable().await?;
    ///     assert_eq!(client.try_write(b"now")?, 3);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn writable(&self) -> io::Result<()> {
        self.io.writable().await
    }

    /// Polls for readability; see [`readable`](TcpStream::readable). Stores the task's waker
    /// when it returns `Pending`.
    ///
    /// ```
    /// use evloop::net::{TcpListener, TcpStream};
    /// use std::future::poll_fn;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// evloop::block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (server, _) = listener.accept().await?;
    ///     client.try_write(b"!")?;
    ///     poll_fn(|cx| server.poll_read_ready(cx)).await?;
    ///     assert_eq!(server.try_read(&mut [0; 1])?, 1);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io.poll_readable(cx)
    }

    /// Polls for writability; see [`writable`](TcpStream::writable). Stores the task's waker
    /// when it returns `Pending`.
    pub fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io.poll_writable(cx)
    }

    /// Reads what is available into `buf` without waiting: `Ok(0)` at end-of-file (or for an
    /// empty `buf`), `WouldBlock` if nothing has arrived. Pair it with
    /// [`readable`](TcpStream::readable).
    ///
    /// # Errors
    /// `WouldBlock` when no data is waiting; any error of the connection.
    pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        Read::read(&mut self.io.get_ref(), buf)
    }

    /// Like [`try_read`](TcpStream::try_read), into several buffers in order.
    ///
    /// # Errors
    /// As for [`try_read`](TcpStream::try_read).
    pub fn try_read_vectored(&self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        Read::read_vectored(&mut self.io.get_ref(), bufs)
    }

    /// Writes as much of `buf` as the socket's send buffer takes, without waiting; `WouldBlock`
    /// if it is full. Pair it with [`writable`](TcpStream::writable).
    ///
    /// # Errors
    /// `WouldBlock` when the send buffer is full; any error of the connection.
    pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        Write::write(&mut self.io.get_ref(), buf)
    }

    /// Like [`try_write`](TcpStream::try_write), from several buffers in order.
    ///
    /// # Errors
    /// As for [`try_write`](TcpStream::try_write).
    pub fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        Write::write_vectored(&mut self.io.get_ref(), bufs)
    }

    /// Waits until the stream is ready for any of `interest`, and returns the readiness found:
    /// the way to wait for reading and writing at once, acting on the result with the `try_*`
    /// methods or [`try_io`](TcpStream::try_io).
    ///
    /// The result holds the conditions of each requested direction that is ready:
    /// [`Ready::READABLE`] or [`Ready::WRITABLE`], with [`Ready::READ_CLOSED`] once the peer
    /// has closed its sending half and [`Ready::WRITE_CLOSED`] once the connection can no
    /// longer be written (as the reactor reports them: epoll, kqueue and the Windows poll
    /// device all tell a peer's close), and [`Ready::ERROR`] while an error is pending on the
    /// socket. A direction that only has an error to report is reported ready too, since its
    /// operation is what returns the error.
    ///
    /// As with [`readable`](TcpStream::readable), readiness is checked with the kernel before
    /// it is reported, so that a `try_read` that just failed with `WouldBlock` is not followed
    /// by a `ready` that returns at once. It can still be used up before the caller acts (by
    /// another reader, say): an operation may fail with `WouldBlock` after `ready`, and the
    /// caller then waits again. [`Interest::ERROR`] alone is reported from what the reactor
    /// recorded, without that check.
    ///
    /// # One waiting task per direction
    /// While it waits, `ready` is the stream's waiting reader if `interest` is readable, its
    /// waiting writer if it is writable, and both for `READABLE | WRITABLE` (its waiting reader
    /// for `ERROR` alone). So, as for two readers (see [sharing between
    /// tasks](TcpStream#sharing-between-tasks)), do not await `ready(Interest::WRITABLE)` in
    /// one task while another writes to the same stream, nor `ready(READABLE | WRITABLE)` while
    /// another task reads or writes it: one of the two may miss its wake-up. Dropping the
    /// future leaves nothing behind; later reads and writes wait as usual.
    ///
    /// # Errors
    /// If the runtime that drives the stream has shut down.
    ///
    /// ```
    /// use evloop::io::{AsyncReadExt, AsyncWriteExt, Interest};
    /// use evloop::net::{TcpListener, TcpStream};
    /// use std::io::ErrorKind;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// evloop::block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (mut server, _) = listener.accept().await?;
    ///     let echo = evloop::spawn(async move {
    ///         let mut buf = [0; 4];
    ///         server.read_exact(&mut buf).await?;
    ///         server.write_all(&buf).await
    ///     });
    ///
    ///     // Send and receive from one loop: wait for whichever direction is ready.
    ///     let mut to_send: &[u8] = b"ping";
    ///     let mut received = Vec::new();
    ///     while received.len() < 4 {
    ///         let interest = if to_send.is_empty() {
    ///             Interest::READABLE
    ///         } else {
    ///             Interest::READABLE | Interest::WRITABLE
    ///         };
    ///         let ready = client.ready(interest).await?;
    ///         if ready.is_writable() && !to_send.is_empty() {
    ///             match client.try_write(to_send) {
    ///                 Ok(n) => to_send = &to_send[n..],
    ///                 Err(e) if e.kind() == ErrorKind::WouldBlock => {}
    ///                 Err(e) => return Err(e),
    ///             }
    ///         }
    ///         if ready.is_readable() {
    ///             let mut buf = [0; 16];
    ///             match client.try_read(&mut buf) {
    ///                 Ok(0) => break,
    ///                 Ok(n) => received.extend_from_slice(&buf[..n]),
    ///                 Err(e) if e.kind() == ErrorKind::WouldBlock => {}
    ///                 Err(e) => return Err(e),
    ///             }
    ///         }
    ///     }
    ///     assert_eq!(received, b"ping");
    ///     echo.await??;
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn ready(&self, interest: Interest) -> io::Result<Ready> {
        self.io.ready(interest).await
    }

    /// Runs `f`, an I/O operation on the stream that does not wait, if the stream is ready for
    /// `interest`; the way to make calls the stream has no method for (on its descriptor,
    /// reached through `AsFd` or `AsSocket`) without losing track of readiness.
    ///
    /// `f` runs only if the reactor has recorded readiness for `interest` since the last
    /// operation in that direction that would have blocked; otherwise `try_io` fails with
    /// `WouldBlock` without running it. If `f` fails with `WouldBlock`, that readiness is
    /// cleared (unless the reactor reported newer readiness meanwhile): the next
    /// [`ready`](TcpStream::ready), [`readable`](TcpStream::readable), `try_io` or
    /// [`async_io`](TcpStream::async_io) for it waits for the reactor's next event. Anything
    /// else `f` returns is returned as it is.
    ///
    /// `f` should return `WouldBlock` only when a call it made on the socket did: a
    /// `WouldBlock` of its own making clears readiness that is real, and whoever waits for it
    /// then waits for an event that has already come. With `READABLE | WRITABLE` a
    /// `WouldBlock` clears both directions; with `ERROR` alone only the recorded error.
    ///
    /// # Errors
    /// `WouldBlock` as above; an error if the runtime that drives the stream has shut down;
    /// whatever `f` returns.
    ///
    /// ```
    /// use evloop::io::{AsyncWriteExt, Interest};
    /// use evloop::net::{TcpListener, TcpStream};
    /// use std::io::ErrorKind;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// evloop::block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let mut client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (server, _) = listener.accept().await?;
    ///     let mut buf = [0; 16];
    ///
    ///     // Nothing has been sent: the read would block, and its readiness is cleared, so the
    ///     // next attempt does not even run until the reactor reports data.
    ///     let first = server.try_io(Interest::READABLE, || server.try_read(&mut buf));
    ///     assert_eq!(first.unwrap_err().kind(), ErrorKind::WouldBlock);
    ///
    ///     client.write_all(b"hello").await?;
    ///     let n = loop {
    ///         server.ready(Interest::READABLE).await?;
    ///         match server.try_io(Interest::READABLE, || server.try_read(&mut buf)) {
    ///             Ok(n) => break n,
    ///             Err(e) if e.kind() == ErrorKind::WouldBlock => continue,
    ///             Err(e) => return Err(e),
    ///         }
    ///     };
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
    /// `WouldBlock`, waiting for readiness for `interest` before each new attempt.
    ///
    /// `f` runs at once if readiness for `interest` is recorded (as it is for a new stream), and
    /// then once after each readiness the reactor reports; every `WouldBlock` clears the
    /// readiness it ran on, as in [`try_io`](TcpStream::try_io), whose rule for `f` holds here
    /// too. While it waits it counts as the stream's waiting reader or writer, as
    /// [`ready`](TcpStream::ready) does.
    ///
    /// # Errors
    /// If the runtime that drives the stream has shut down; whatever else `f` returns.
    ///
    /// ```
    /// use evloop::io::{AsyncWriteExt, Interest};
    /// use evloop::net::{TcpListener, TcpStream};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// evloop::block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let mut client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (server, _) = listener.accept().await?;
    ///     client.write_all(b"hello").await?;
    ///
    ///     let mut buf = [0; 16];
    ///     let n = server
    ///         .async_io(Interest::READABLE, || server.try_read(&mut buf))
    ///         .await?;
    ///     assert_eq!(&buf[..n], b"hello");
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

    /// Waits for data and copies it into `buf` without consuming it: the next read returns the
    /// same bytes. Returns `Ok(0)` at end-of-file.
    ///
    /// # Errors
    /// Any error of the connection.
    ///
    /// ```
    /// use evloop::io::{AsyncReadExt, AsyncWriteExt};
    /// use evloop::net::{TcpListener, TcpStream};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// evloop::block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let mut client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (mut server, _) = listener.accept().await?;
    ///     client.write_all(b"x").await?;
    ///
    ///     let mut buf = [0; 1];
    ///     assert_eq!(server.peek(&mut buf).await?, 1);
    ///     assert_eq!(server.read(&mut buf).await?, 1, "still there");
    ///     assert_eq!(&buf, b"x");
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.read_with(|stream| stream.peek(buf)).await
    }

    /// Polls for data to [`peek`](TcpStream::peek) at. Stores the task's waker when it returns
    /// `Pending`.
    pub fn poll_peek(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        poll::poll_read(&self.io, cx, |stream| stream.peek(buf))
    }

    /// Splits the stream into a reading and a writing half that borrow it; use them in two
    /// futures that run concurrently (`join!`, `select!`).
    ///
    /// ```
    /// use evloop::io::{AsyncReadExt, AsyncWriteExt};
    /// use evloop::net::{TcpListener, TcpStream};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// evloop::block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let mut client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (mut server, _) = listener.accept().await?;
    ///     let (mut from_client, mut to_client) = server.split();
    ///
    ///     // Answer each byte while the client is still sending.
    ///     let echo = async {
    ///         let mut byte = [0; 1];
    ///         while from_client.read(&mut byte).await? == 1 {
    ///             to_client.write_all(&byte).await?;
    ///         }
    ///         to_client.close().await
    ///     };
    ///     let talk = async {
    ///         client.write_all(b"echo").await?;
    ///         client.close().await?;
    ///         let mut reply = Vec::new();
    ///         client.read_to_end(&mut reply).await?;
    ///         std::io::Result::Ok(reply)
    ///     };
    ///     let (echoed, reply) = futures_lite::future::zip(echo, talk).await;
    ///     echoed?;
    ///     assert_eq!(reply?, b"echo");
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn split(&mut self) -> (ReadHalf<'_>, WriteHalf<'_>) {
        split::split(self)
    }

    /// Splits the stream into halves that own it, to move into different tasks. Dropping the
    /// [`OwnedWriteHalf`] shuts down the writing direction (as
    /// [`shutdown(Shutdown::Write)`](TcpStream::shutdown) does); the connection closes when both
    /// halves are gone. [`OwnedReadHalf::reunite`] puts the stream back together.
    ///
    /// ```
    /// use evloop::io::{AsyncReadExt, AsyncWriteExt};
    /// use evloop::net::{TcpListener, TcpStream};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// evloop::block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (mut server, _) = listener.accept().await?;
    ///
    ///     let (mut reader, mut writer) = client.into_split();
    ///     let sending = evloop::spawn(async move { writer.write_all(b"hello").await });
    ///     server.write_all(b"world").await?;
    ///
    ///     let mut buf = [0; 5];
    ///     reader.read_exact(&mut buf).await?;
    ///     assert_eq!(&buf, b"world");
    ///     server.read_exact(&mut buf).await?;
    ///     assert_eq!(&buf, b"hello");
    ///     sending.await??;
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn into_split(self) -> (OwnedReadHalf, OwnedWriteHalf) {
        split::into_split(Arc::new(self))
    }

    /// Wraps a connected `std` stream, switching it to non-blocking mode and registering it
    /// with the current runtime's reactor (the global runtime's outside any).
    ///
    /// # Errors
    /// If the stream cannot be made non-blocking or registered.
    ///
    /// ```
    /// use evloop::net::TcpStream;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// evloop::block_on(async {
    ///     let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    ///     let std_stream = std::net::TcpStream::connect(listener.local_addr()?)?;
    ///     let stream = TcpStream::from_std(std_stream)?;
    ///     assert_eq!(stream.peer_addr()?, listener.local_addr()?);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn from_std(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        Ok(TcpStream::from_async(Async::new(stream)?))
    }

    /// Deregisters the stream and returns the `std` stream, still in non-blocking mode (call
    /// `set_nonblocking(false)` on it for blocking use).
    ///
    /// # Errors
    /// If the reactor fails to deregister the descriptor.
    ///
    /// ```
    /// use evloop::net::{TcpListener, TcpStream};
    /// use std::io::Write;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// evloop::block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let stream = TcpStream::connect(listener.local_addr()?).await?;
    ///     let mut std_stream = stream.into_std()?;
    ///     std_stream.set_nonblocking(false)?;
    ///     std_stream.write_all(b"blocking now")?;
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn into_std(self) -> io::Result<std::net::TcpStream> {
        self.io.into_inner()
    }
}

impl TryFrom<std::net::TcpStream> for TcpStream {
    type Error = io::Error;

    /// Same as [`TcpStream::from_std`].
    fn try_from(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        TcpStream::from_std(stream)
    }
}

crate::net::impl_as_raw!(TcpStream);

impl fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpStream")
            .field("local", &self.local_addr().ok())
            .field("peer", &self.peer_addr().ok())
            .field("fd", &crate::reactor::raw::raw(self.io.get_ref()))
            .finish()
    }
}

// ===== futures-io =====
//
// Everything goes through `&Async<std::net::TcpStream>`, whose reads and writes need only a
// shared reference; the owned stream forwards to the shared one. Flushing is a no-op (TCP has
// no user-space buffer here); closing shuts down the writing direction.

impl AsyncRead for &TcpStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        #[cfg(target_os = "linux")]
        return self
            .io
            .poll_read_tcp(cx, &mut [IoSliceMut::new(buf)], &self.reports_queue);
        #[cfg(not(target_os = "linux"))]
        self.io.poll_read_stream(cx, buf)
    }

    fn poll_read_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &mut [IoSliceMut<'_>],
    ) -> Poll<io::Result<usize>> {
        #[cfg(target_os = "linux")]
        return self.io.poll_read_tcp(cx, bufs, &self.reports_queue);
        #[cfg(not(target_os = "linux"))]
        self.io.poll_read_stream_vectored(cx, bufs)
    }
}

impl AsyncWrite for &TcpStream {
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

    /// Shuts down the writing direction; see [`TcpStream::shutdown`].
    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.shutdown(Shutdown::Write))
    }
}

impl AsyncRead for TcpStream {
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

impl AsyncWrite for TcpStream {
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

    /// Shuts down the writing direction; see [`TcpStream::shutdown`].
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut &*self).poll_close(cx)
    }
}

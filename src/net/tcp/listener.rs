//! [`TcpListener`] and its [`Incoming`] stream.

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use futures_core::Stream;

use crate::io::Async;
use crate::net::addr::{try_each, ToSocketAddrs};
use crate::net::tcp::TcpStream;
use crate::net::{poll, sys};

/// A TCP socket that listens for connections.
///
/// Created with [`bind`](TcpListener::bind); each [`accept`](TcpListener::accept) waits for the
/// next connection and returns it as a [`TcpStream`] with the peer's address.
///
/// # Running out of descriptors
/// `accept` reports every error of the system call, including the ones that say the process
/// (`EMFILE`) or the system (`ENFILE`) has no descriptor left for the new connection, or that
/// memory is short (`ENOBUFS`, `ENOMEM`). These are not fatal to the listener: the connection
/// stays queued in the kernel and the next `accept` tries again. An accept loop should log such
/// an error and **back off** (sleep a little, or wait until some connections have closed) before
/// calling `accept` again; retrying at once would spin, as the listener stays readable while its
/// queue holds connections. A connection the peer aborted before it was accepted
/// (`ECONNABORTED`) is skipped internally and never reported.
///
/// ```no_run
/// use evloop::net::TcpListener;
/// use std::time::Duration;
///
/// # #[allow(dead_code)]
/// # async fn serve() -> std::io::Result<()> {
/// let listener = TcpListener::bind("127.0.0.1:8080").await?;
/// loop {
///     match listener.accept().await {
///         Ok((stream, peer)) => {
///             evloop::spawn(async move {
///                 println!("connection from {peer}");
///                 drop(stream);
///             });
///         }
///         // Out of descriptors or memory: let some connections finish first.
///         Err(error) => {
///             eprintln!("accept failed: {error}");
///             evloop::time::sleep(Duration::from_millis(100)).await;
///         }
///     }
/// }
/// # }
/// ```
///
/// One task at a time should accept from a listener (see the [module documentation](crate::net)
/// on waiting tasks); hand the accepted streams to other tasks.
pub struct TcpListener {
    io: Async<std::net::TcpListener>,
}

impl TcpListener {
    /// Creates a listener bound to `addr`.
    ///
    /// If `addr` resolves to several addresses, each is tried in turn until one can be bound;
    /// if none can, the error of the last attempt is returned. Binding to port 0 picks a free
    /// port; [`local_addr`](TcpListener::local_addr) tells which. On Unix the socket has
    /// `SO_REUSEADDR` set, as `std`'s listeners do, so a restarted server can bind while its
    /// previous connections linger in `TIME_WAIT`; a port that another socket *listens* on is
    /// still refused with [`ErrorKind::AddrInUse`](io::ErrorKind::AddrInUse).
    ///
    /// # Errors
    /// If resolution fails or no address can be bound.
    ///
    /// ```
    /// use evloop::net::TcpListener;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// evloop::block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let taken = listener.local_addr()?;
    ///     let again = TcpListener::bind(taken).await;
    ///     assert_eq!(again.unwrap_err().kind(), std::io::ErrorKind::AddrInUse);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn bind(addr: impl ToSocketAddrs) -> io::Result<TcpListener> {
        try_each(&addr, |addr| async move { TcpListener::bind_addr(addr) }).await
    }

    /// Binds and listens on one address.
    fn bind_addr(addr: SocketAddr) -> io::Result<TcpListener> {
        Ok(TcpListener {
            io: Async::new(sys::tcp_listener(&addr)?)?,
        })
    }

    /// Waits for a connection and returns it with the peer's address.
    ///
    /// # Errors
    /// Whatever `accept(2)` reports other than "would block" and `ECONNABORTED`, notably
    /// running out of descriptors; see [the type's documentation](TcpListener#running-out-of-descriptors)
    /// for how to keep serving after that. Also if the accepted connection cannot be registered
    /// with the reactor.
    ///
    /// ```
    /// use evloop::net::{TcpListener, TcpStream};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// evloop::block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (server_side, peer) = listener.accept().await?;
    ///     assert_eq!(peer, client.local_addr()?);
    ///     assert_eq!(server_side.peer_addr()?, client.local_addr()?);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        poll_fn(|cx| self.poll_accept(cx)).await
    }

    /// Polls for a connection: the building block of [`accept`](TcpListener::accept) for code
    /// that implements futures or streams by hand. Stores the task's waker when it returns
    /// `Pending`.
    ///
    /// ```
    /// use evloop::net::{TcpListener, TcpStream};
    /// use std::future::poll_fn;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// evloop::block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let _client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (_stream, _peer) = poll_fn(|cx| listener.poll_accept(cx)).await?;
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(TcpStream, SocketAddr)>> {
        let (stream, peer) = ready!(poll::poll_read(&self.io, cx, accept_one))?;
        Poll::Ready(Ok((TcpStream::from_std(stream)?, peer)))
    }

    /// The connections of this listener as a [`Stream`], for use with stream combinators.
    /// Each item is what [`accept`](TcpListener::accept) would return, without the address;
    /// the stream never ends.
    ///
    /// ```
    /// use evloop::net::{TcpListener, TcpStream};
    /// use futures_lite::StreamExt;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// evloop::block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let addr = listener.local_addr()?;
    ///     evloop::spawn(async move {
    ///         for _ in 0..3 {
    ///             let _ = TcpStream::connect(addr).await;
    ///         }
    ///     });
    ///     let streams: Vec<_> = listener.incoming().take(3).collect().await;
    ///     assert_eq!(streams.len(), 3);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn incoming(&self) -> Incoming<'_> {
        Incoming { listener: self }
    }

    /// The address the listener is bound to.
    ///
    /// # Errors
    /// If the system call fails (it practically never does).
    ///
    /// ```
    /// use evloop::net::TcpListener;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// evloop::block_on(async {
    ///     let listener = TcpListener::bind("[::1]:0").await?;
    ///     assert!(listener.local_addr()?.is_ipv6());
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// Sets the IP time-to-live of the connections this listener accepts (`IP_TTL`).
    ///
    /// # Errors
    /// If the system refuses the value.
    ///
    /// ```
    /// use evloop::net::TcpListener;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// evloop::block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     listener.set_ttl(42)?;
    ///     assert_eq!(listener.ttl()?, 42);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.io.get_ref().set_ttl(ttl)
    }

    /// The IP time-to-live; see [`set_ttl`](TcpListener::set_ttl).
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

    /// Wraps a `std` listener, switching it to non-blocking mode and registering it with the
    /// current runtime's reactor (the global runtime's outside any).
    ///
    /// # Errors
    /// If the listener cannot be made non-blocking or registered.
    ///
    /// ```
    /// use evloop::net::TcpListener;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// evloop::block_on(async {
    ///     let std_listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    ///     let listener = TcpListener::from_std(std_listener)?;
    ///     assert!(listener.local_addr()?.ip().is_loopback());
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn from_std(listener: std::net::TcpListener) -> io::Result<TcpListener> {
        Ok(TcpListener {
            io: Async::new(listener)?,
        })
    }

    /// Deregisters the listener and returns the `std` listener, still in non-blocking mode
    /// (call `set_nonblocking(false)` on it for blocking use).
    ///
    /// # Errors
    /// If the reactor fails to deregister the descriptor.
    ///
    /// ```
    /// use evloop::net::TcpListener;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// evloop::block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?.into_std()?;
    ///     listener.set_nonblocking(false)?;
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn into_std(self) -> io::Result<std::net::TcpListener> {
        self.io.into_inner()
    }
}

/// One `accept(2)`, skipping connections that were aborted before they could be accepted.
fn accept_one(listener: &std::net::TcpListener) -> io::Result<(std::net::TcpStream, SocketAddr)> {
    loop {
        match listener.accept() {
            Err(error) if error.kind() == io::ErrorKind::ConnectionAborted => continue,
            result => return result,
        }
    }
}

impl TryFrom<std::net::TcpListener> for TcpListener {
    type Error = io::Error;

    /// Same as [`TcpListener::from_std`].
    fn try_from(listener: std::net::TcpListener) -> io::Result<TcpListener> {
        TcpListener::from_std(listener)
    }
}

crate::net::impl_as_raw!(TcpListener);

impl fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpListener")
            .field("addr", &self.local_addr().ok())
            .field("fd", &crate::reactor::raw::raw(self.io.get_ref()))
            .finish()
    }
}

/// The connections of a [`TcpListener`], as a never-ending [`Stream`]; see
/// [`TcpListener::incoming`].
#[must_use = "streams do nothing unless polled"]
pub struct Incoming<'a> {
    listener: &'a TcpListener,
}

impl Stream for Incoming<'_> {
    type Item = io::Result<TcpStream>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let (stream, _peer) = ready!(self.listener.poll_accept(cx))?;
        Poll::Ready(Some(Ok(stream)))
    }
}

impl fmt::Debug for Incoming<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Incoming")
            .field("listener", self.listener)
            .finish()
    }
}

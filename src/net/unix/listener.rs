//! [`UnixListener`] and its [`Incoming`] stream.

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::os::unix::net::SocketAddr;
use std::path::Path;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use futures_core::Stream;

use crate::io::Async;
use crate::net::poll;
use crate::net::unix::UnixStream;

/// A Unix domain socket that listens for connections at a filesystem path.
///
/// Accepting follows [`TcpListener`](crate::net::TcpListener)'s rules, including what to do when
/// the process runs out of descriptors: `accept` reports the error, the connection stays queued,
/// and the caller should back off before accepting again.
///
/// ```
/// use evloop::io::{AsyncReadExt, AsyncWriteExt};
/// use evloop::net::{UnixListener, UnixStream};
///
/// # fn main() -> std::io::Result<()> {
/// evloop::block_on(async {
///     let dir = tempfile::tempdir()?;
///     let path = dir.path().join("socket");
///     let listener = UnixListener::bind(&path)?;
///
///     let mut client = UnixStream::connect(&path).await?;
///     let (mut server, _addr) = listener.accept().await?;
///     client.write_all(b"hi").await?;
///     let mut buf = [0; 2];
///     server.read_exact(&mut buf).await?;
///     assert_eq!(&buf, b"hi");
///     Ok(())
/// })
/// # }
/// ```
pub struct UnixListener {
    io: Async<std::os::unix::net::UnixListener>,
}

impl UnixListener {
    /// Creates a listener bound to `path`, which must not exist yet (remove a socket file left
    /// by an earlier listener first). Binding does not wait, so this is not `async`.
    ///
    /// Call it inside a runtime (or from `evloop::block_on`); outside any, the listener is
    /// registered with the global runtime.
    ///
    /// # Errors
    /// If the path exists ([`ErrorKind::AddrInUse`](io::ErrorKind::AddrInUse)), its directory
    /// does not, or the socket cannot be created or registered.
    ///
    /// ```
    /// use evloop::net::UnixListener;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// evloop::block_on(async {
    ///     let dir = tempfile::tempdir()?;
    ///     let path = dir.path().join("socket");
    ///     let listener = UnixListener::bind(&path)?;
    ///     assert_eq!(listener.local_addr()?.as_pathname(), Some(path.as_path()));
    ///
    ///     let again = UnixListener::bind(&path).unwrap_err();
    ///     assert_eq!(again.kind(), std::io::ErrorKind::AddrInUse);
    ///     drop(listener);
    ///     std::fs::remove_file(&path)?; // the file outlives the listener
    ///     UnixListener::bind(&path)?;
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixListener> {
        UnixListener::from_std(std::os::unix::net::UnixListener::bind(path)?)
    }

    /// Waits for a connection and returns it with the peer's address (usually unnamed: clients
    /// rarely bind their sockets).
    ///
    /// # Errors
    /// Whatever `accept(2)` reports other than "would block" and `ECONNABORTED`, notably
    /// running out of descriptors (see [`TcpListener`](crate::net::TcpListener)'s
    /// documentation); also if the accepted connection cannot be registered with the reactor.
    pub async fn accept(&self) -> io::Result<(UnixStream, SocketAddr)> {
        poll_fn(|cx| self.poll_accept(cx)).await
    }

    /// Polls for a connection; see [`accept`](UnixListener::accept). Stores the task's waker when
    /// it returns `Pending`.
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(UnixStream, SocketAddr)>> {
        let (stream, addr) = ready!(poll::poll_read(&self.io, cx, accept_one))?;
        Poll::Ready(Ok((UnixStream::from_std(stream)?, addr)))
    }

    /// The connections of this listener as a never-ending [`Stream`].
    ///
    /// ```
    /// use evloop::net::{UnixListener, UnixStream};
    /// use futures_lite::StreamExt;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// evloop::block_on(async {
    ///     let dir = tempfile::tempdir()?;
    ///     let path = dir.path().join("socket");
    ///     let listener = UnixListener::bind(&path)?;
    ///     let _client = UnixStream::connect(&path).await?;
    ///     let first = listener.incoming().next().await;
    ///     assert!(matches!(first, Some(Ok(_))));
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
    /// If the system call fails.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// Takes the pending error of the socket (`SO_ERROR`), if any.
    ///
    /// # Errors
    /// If the system call fails.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.io.get_ref().take_error()
    }

    /// Wraps a `std` listener, switching it to non-blocking mode and registering it with the
    /// current runtime's reactor.
    ///
    /// # Errors
    /// If the listener cannot be made non-blocking or registered.
    pub fn from_std(listener: std::os::unix::net::UnixListener) -> io::Result<UnixListener> {
        Ok(UnixListener {
            io: Async::new(listener)?,
        })
    }

    /// Deregisters the listener and returns the `std` listener, still in non-blocking mode.
    ///
    /// # Errors
    /// If the reactor fails to deregister the descriptor.
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixListener> {
        self.io.into_inner()
    }
}

/// One `accept(2)`, skipping connections that were aborted before they could be accepted.
fn accept_one(
    listener: &std::os::unix::net::UnixListener,
) -> io::Result<(std::os::unix::net::UnixStream, SocketAddr)> {
    loop {
        match listener.accept() {
            Err(error) if error.kind() == io::ErrorKind::ConnectionAborted => continue,
            result => return result,
        }
    }
}

impl TryFrom<std::os::unix::net::UnixListener> for UnixListener {
    type Error = io::Error;

    /// Same as [`UnixListener::from_std`].
    fn try_from(listener: std::os::unix::net::UnixListener) -> io::Result<UnixListener> {
        UnixListener::from_std(listener)
    }
}

impl AsFd for UnixListener {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.as_fd()
    }
}

impl AsRawFd for UnixListener {
    fn as_raw_fd(&self) -> RawFd {
        self.io.as_fd().as_raw_fd()
    }
}

impl fmt::Debug for UnixListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixListener")
            .field("addr", &self.local_addr().ok())
            .field("fd", &self.as_raw_fd())
            .finish()
    }
}

/// The connections of a [`UnixListener`], as a never-ending [`Stream`]; see
/// [`UnixListener::incoming`].
#[must_use = "streams do nothing unless polled"]
pub struct Incoming<'a> {
    listener: &'a UnixListener,
}

impl Stream for Incoming<'_> {
    type Item = io::Result<UnixStream>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let (stream, _addr) = ready!(self.listener.poll_accept(cx))?;
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

//! The halves of a [`TcpStream`]: borrowed ([`ReadHalf`], [`WriteHalf`]) and owned
//! ([`OwnedReadHalf`], [`OwnedWriteHalf`]).
//!
//! Both kinds are thin: a reference (or an `Arc`) to the stream, with the reading or the writing
//! half of its API. They need no lock, because the stream's reactor source has one waiting slot
//! per direction and each half only ever waits in its own.

use std::error::Error;
use std::fmt;
use std::io::{self, IoSlice, IoSliceMut};
use std::net::{Shutdown, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};

use crate::io::{Interest, Ready};

use crate::net::tcp::TcpStream;

pub(super) fn split(stream: &mut TcpStream) -> (ReadHalf<'_>, WriteHalf<'_>) {
    (ReadHalf(stream), WriteHalf(stream))
}

pub(super) fn into_split(stream: Arc<TcpStream>) -> (OwnedReadHalf, OwnedWriteHalf) {
    (
        OwnedReadHalf {
            inner: stream.clone(),
        },
        OwnedWriteHalf {
            inner: stream,
            shutdown_on_drop: true,
        },
    )
}

// ===== Borrowed halves =====

/// The reading half of a [`TcpStream`], borrowed by [`TcpStream::split`].
pub struct ReadHalf<'a>(&'a TcpStream);

/// The writing half of a [`TcpStream`], borrowed by [`TcpStream::split`].
///
/// [Closing](AsyncWrite::poll_close) it shuts down the stream's writing direction. Dropping it
/// does nothing.
pub struct WriteHalf<'a>(&'a TcpStream);

impl ReadHalf<'_> {
    /// See [`TcpStream::peek`].
    ///
    /// # Errors
    /// Any error of the connection.
    pub async fn peek(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.peek(buf).await
    }

    /// See [`TcpStream::poll_peek`].
    pub fn poll_peek(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.0.poll_peek(cx, buf)
    }

    /// See [`TcpStream::ready`]. Waiting for the other half's direction takes that
    /// direction's one waiting slot (see [`TcpStream`]'s notes on sharing).
    ///
    /// # Errors
    /// If the runtime that drives the stream has shut down.
    pub async fn ready(&self, interest: Interest) -> io::Result<Ready> {
        self.0.ready(interest).await
    }

    /// See [`TcpStream::readable`].
    ///
    /// # Errors
    /// If the runtime that drives the stream has shut down.
    pub async fn readable(&self) -> io::Result<()> {
        self.0.readable().await
    }

    /// See [`TcpStream::try_read`].
    ///
    /// # Errors
    /// `WouldBlock` when no data is waiting; any error of the connection.
    pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.try_read(buf)
    }

    /// See [`TcpStream::try_read_vectored`].
    ///
    /// # Errors
    /// `WouldBlock` when no data is waiting; any error of the connection.
    pub fn try_read_vectored(&self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        self.0.try_read_vectored(bufs)
    }

    /// See [`TcpStream::peer_addr`].
    ///
    /// # Errors
    /// If the connection is gone.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.0.peer_addr()
    }

    /// See [`TcpStream::local_addr`].
    ///
    /// # Errors
    /// If the system call fails.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.0.local_addr()
    }
}

impl WriteHalf<'_> {
    /// See [`TcpStream::ready`]. Waiting for the other half's direction takes that
    /// direction's one waiting slot (see [`TcpStream`]'s notes on sharing).
    ///
    /// # Errors
    /// If the runtime that drives the stream has shut down.
    pub async fn ready(&self, interest: Interest) -> io::Result<Ready> {
        self.0.ready(interest).await
    }

    /// See [`TcpStream::writable`].
    ///
    /// # Errors
    /// If the runtime that drives the stream has shut down.
    pub async fn writable(&self) -> io::Result<()> {
        self.0.writable().await
    }

    /// See [`TcpStream::try_write`].
    ///
    /// # Errors
    /// `WouldBlock` when the send buffer is full; any error of the connection.
    pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        self.0.try_write(buf)
    }

    /// See [`TcpStream::try_write_vectored`].
    ///
    /// # Errors
    /// `WouldBlock` when the send buffer is full; any error of the connection.
    pub fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.0.try_write_vectored(bufs)
    }

    /// See [`TcpStream::peer_addr`].
    ///
    /// # Errors
    /// If the connection is gone.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.0.peer_addr()
    }

    /// See [`TcpStream::local_addr`].
    ///
    /// # Errors
    /// If the system call fails.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.0.local_addr()
    }
}

impl AsyncRead for ReadHalf<'_> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut &*self.0).poll_read(cx, buf)
    }

    fn poll_read_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &mut [IoSliceMut<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut &*self.0).poll_read_vectored(cx, bufs)
    }
}

impl AsyncWrite for WriteHalf<'_> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut &*self.0).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut &*self.0).poll_write_vectored(cx, bufs)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut &*self.0).poll_flush(cx)
    }

    /// Shuts down the stream's writing direction.
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut &*self.0).poll_close(cx)
    }
}

impl fmt::Debug for ReadHalf<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ReadHalf").field(self.0).finish()
    }
}

impl fmt::Debug for WriteHalf<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("WriteHalf").field(self.0).finish()
    }
}

// ===== Owned halves =====

/// The reading half of a [`TcpStream`], owned; made by [`TcpStream::into_split`].
pub struct OwnedReadHalf {
    inner: Arc<TcpStream>,
}

/// The writing half of a [`TcpStream`], owned; made by [`TcpStream::into_split`].
///
/// Dropping it shuts down the stream's writing direction, so the peer reads end-of-file (unless
/// it is dropped through [`forget`](OwnedWriteHalf::forget) or put back by
/// [`reunite`](OwnedReadHalf::reunite)). [Closing](AsyncWrite::poll_close) it shuts the
/// direction down at once.
pub struct OwnedWriteHalf {
    inner: Arc<TcpStream>,
    /// Cleared by `forget`, `reunite` and a successful close.
    shutdown_on_drop: bool,
}

/// The error of [`OwnedReadHalf::reunite`]: the two halves came from different streams. Both
/// are handed back, unchanged.
pub struct ReuniteError(pub OwnedReadHalf, pub OwnedWriteHalf);

impl OwnedReadHalf {
    /// Puts the stream back together from its two halves.
    ///
    /// # Errors
    /// If `other` is the writing half of another stream; both halves are returned in the error.
    ///
    /// ```
    /// use evloop::net::{TcpListener, TcpStream};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// evloop::block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let stream = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (reader, writer) = stream.into_split();
    ///     let stream = reader.reunite(writer).expect("halves of one stream");
    ///     assert_eq!(stream.peer_addr()?, listener.local_addr()?);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn reunite(self, other: OwnedWriteHalf) -> Result<TcpStream, ReuniteError> {
        if !Arc::ptr_eq(&self.inner, &other.inner) {
            return Err(ReuniteError(self, other));
        }
        other.forget();
        Ok(Arc::try_unwrap(self.inner)
            .unwrap_or_else(|_| unreachable!("only the two halves hold the stream")))
    }

    /// See [`TcpStream::peek`].
    ///
    /// # Errors
    /// Any error of the connection.
    pub async fn peek(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.peek(buf).await
    }

    /// See [`TcpStream::poll_peek`].
    pub fn poll_peek(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.inner.poll_peek(cx, buf)
    }

    /// See [`TcpStream::ready`]. Waiting for the other half's direction takes that
    /// direction's one waiting slot (see [`TcpStream`]'s notes on sharing).
    ///
    /// # Errors
    /// If the runtime that drives the stream has shut down.
    pub async fn ready(&self, interest: Interest) -> io::Result<Ready> {
        self.inner.ready(interest).await
    }

    /// See [`TcpStream::readable`].
    ///
    /// # Errors
    /// If the runtime that drives the stream has shut down.
    pub async fn readable(&self) -> io::Result<()> {
        self.inner.readable().await
    }

    /// See [`TcpStream::try_read`].
    ///
    /// # Errors
    /// `WouldBlock` when no data is waiting; any error of the connection.
    pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.try_read(buf)
    }

    /// See [`TcpStream::try_read_vectored`].
    ///
    /// # Errors
    /// `WouldBlock` when no data is waiting; any error of the connection.
    pub fn try_read_vectored(&self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        self.inner.try_read_vectored(bufs)
    }

    /// See [`TcpStream::peer_addr`].
    ///
    /// # Errors
    /// If the connection is gone.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.peer_addr()
    }

    /// See [`TcpStream::local_addr`].
    ///
    /// # Errors
    /// If the system call fails.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }
}

impl OwnedWriteHalf {
    /// Puts the stream back together; see [`OwnedReadHalf::reunite`].
    ///
    /// # Errors
    /// If `other` is the reading half of another stream.
    pub fn reunite(self, other: OwnedReadHalf) -> Result<TcpStream, ReuniteError> {
        other.reunite(self)
    }

    /// Drops the half without shutting down the writing direction: the connection stays fully
    /// open until the reading half is dropped too.
    pub fn forget(mut self) {
        self.shutdown_on_drop = false;
    }

    /// See [`TcpStream::ready`]. Waiting for the other half's direction takes that
    /// direction's one waiting slot (see [`TcpStream`]'s notes on sharing).
    ///
    /// # Errors
    /// If the runtime that drives the stream has shut down.
    pub async fn ready(&self, interest: Interest) -> io::Result<Ready> {
        self.inner.ready(interest).await
    }

    /// See [`TcpStream::writable`].
    ///
    /// # Errors
    /// If the runtime that drives the stream has shut down.
    pub async fn writable(&self) -> io::Result<()> {
        self.inner.writable().await
    }

    /// See [`TcpStream::try_write`].
    ///
    /// # Errors
    /// `WouldBlock` when the send buffer is full; any error of the connection.
    pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        self.inner.try_write(buf)
    }

    /// See [`TcpStream::try_write_vectored`].
    ///
    /// # Errors
    /// `WouldBlock` when the send buffer is full; any error of the connection.
    pub fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.inner.try_write_vectored(bufs)
    }

    /// See [`TcpStream::peer_addr`].
    ///
    /// # Errors
    /// If the connection is gone.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.peer_addr()
    }

    /// See [`TcpStream::local_addr`].
    ///
    /// # Errors
    /// If the system call fails.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }
}

impl Drop for OwnedWriteHalf {
    fn drop(&mut self) {
        if self.shutdown_on_drop {
            // The peer may already be gone; there is nobody to tell then.
            let _ = self.inner.shutdown(Shutdown::Write);
        }
    }
}

impl AsyncRead for OwnedReadHalf {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut &*self.inner).poll_read(cx, buf)
    }

    fn poll_read_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &mut [IoSliceMut<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut &*self.inner).poll_read_vectored(cx, bufs)
    }
}

impl AsyncWrite for OwnedWriteHalf {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut &*self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut &*self.inner).poll_write_vectored(cx, bufs)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut &*self.inner).poll_flush(cx)
    }

    /// Shuts down the stream's writing direction (once; dropping the half then does nothing
    /// more).
    fn poll_close(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let result = self.inner.shutdown(Shutdown::Write);
        if result.is_ok() {
            self.shutdown_on_drop = false;
        }
        Poll::Ready(result)
    }
}

impl fmt::Debug for OwnedReadHalf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedReadHalf")
            .field("stream", &*self.inner)
            .finish()
    }
}

impl fmt::Debug for OwnedWriteHalf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedWriteHalf")
            .field("stream", &*self.inner)
            .field("shutdown_on_drop", &self.shutdown_on_drop)
            .finish()
    }
}

impl fmt::Debug for ReuniteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ReuniteError")
            .field(&self.0)
            .field(&self.1)
            .finish()
    }
}

impl fmt::Display for ReuniteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("tried to reunite halves that are not from the same socket")
    }
}

impl Error for ReuniteError {}

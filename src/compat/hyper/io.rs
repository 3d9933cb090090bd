//! [`HyperIo<T>`]: hyper's `rt::Read`/`rt::Write` for `futures-io` types, and back.
//!
//! This file holds the one `unsafe` block of `compat`: hyper offers no safe way to mark bytes
//! of its read buffer as filled, so after handing an initialized part of it to a `futures-io`
//! reader, [`ReadBufCursor::advance`] must be called (see the `SAFETY` comment there).

#![allow(unsafe_code)]

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use hyper::rt::ReadBufCursor;

/// Most bytes handed to the reader in one `poll_read`: 64 KiB.
///
/// hyper hands over a buffer whose unfilled part is uninitialized at every call, and a
/// `futures-io` reader needs it initialized, so each call zeroes what it hands over. A 64 KiB
/// cap bounds that cost by what one system call typically returns anyway.
const MAX_READ: usize = 64 * 1024;

pin_project_lite::pin_project! {
    /// Adapts an I/O object between the `futures-io` traits and hyper's
    /// [`rt::Read`](hyper::rt::Read)/[`rt::Write`](hyper::rt::Write).
    ///
    /// - `HyperIo<T>` with `T: futures_io::AsyncRead`/`AsyncWrite` (any evloop stream, a TLS
    ///   stream over one, ...) implements hyper's `rt::Read`/`rt::Write`: give it to hyper's
    ///   `serve_connection` or `handshake`.
    /// - `HyperIo<T>` with `T: hyper::rt::Read`/`rt::Write` (such as `hyper::upgrade::Upgraded`)
    ///   implements `futures_io::AsyncRead`/`AsyncWrite`.
    ///
    /// Closing and shutting down map to each other.
    #[derive(Debug)]
    pub struct HyperIo<T> {
        #[pin]
        inner: T,
    }
}

impl<T> HyperIo<T> {
    /// Wraps `inner`.
    pub fn new(inner: T) -> HyperIo<T> {
        HyperIo { inner }
    }

    /// The wrapped object.
    pub fn get_ref(&self) -> &T {
        &self.inner
    }

    /// The wrapped object, mutably.
    pub fn get_mut(&mut self) -> &mut T {
        &mut self.inner
    }

    /// The wrapped object, pinned.
    pub fn get_pin_mut(self: Pin<&mut Self>) -> Pin<&mut T> {
        self.project().inner
    }

    /// Unwraps the object.
    pub fn into_inner(self) -> T {
        self.inner
    }
}

// ===== futures-io → hyper =====

impl<T: futures_io::AsyncRead> hyper::rt::Read for HyperIo<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        let want = buf.remaining().min(MAX_READ);
        let unfilled = buf.initialize_unfilled_to(want);
        let n = ready!(self.project().inner.poll_read(cx, unfilled))?;
        if n > want {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("reader reported {n} bytes read into a buffer of {want}"),
            )));
        }
        // SAFETY: `initialize_unfilled_to(want)` initialized the first `want` unfilled bytes
        // and the reader cannot de-initialize a `&mut [u8]`; `n <= want` was checked above, so
        // the `n` bytes marked filled are initialized, which is `advance`'s requirement.
        unsafe { buf.advance(n) };
        Poll::Ready(Ok(()))
    }
}

impl<T: futures_io::AsyncWrite> hyper::rt::Write for HyperIo<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.project().inner.poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.project().inner.poll_flush(cx)
    }

    /// Closes the `futures-io` way: for sockets, shuts the write half down.
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.project().inner.poll_close(cx)
    }

    /// `true`: evloop's sockets write vectors natively, and `futures-io`'s default writes the
    /// first non-empty buffer, which is what hyper expects of a writer without support.
    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.project().inner.poll_write_vectored(cx, bufs)
    }
}

// ===== hyper → futures-io =====

impl<T: hyper::rt::Read> futures_io::AsyncRead for HyperIo<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let mut read_buf = hyper::rt::ReadBuf::new(buf);
        ready!(self.project().inner.poll_read(cx, read_buf.unfilled()))?;
        Poll::Ready(Ok(read_buf.filled().len()))
    }
}

impl<T: hyper::rt::Write> futures_io::AsyncWrite for HyperIo<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.project().inner.poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.project().inner.poll_write_vectored(cx, bufs)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.project().inner.poll_flush(cx)
    }

    /// Shuts the writer down (hyper's name for closing).
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.project().inner.poll_shutdown(cx)
    }
}

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

/// Most bytes handed to the reader in one `poll_read`: 64 KiB, what one system call
/// typically returns anyway.
const MAX_READ: usize = 64 * 1024;

/// Fewest bytes handed to the reader in one `poll_read` (unless hyper offers fewer): 1 KiB.
const MIN_READ: usize = 1024;

/// What the first `poll_read` hands over: 8 KiB, hyper's own first read buffer.
const FIRST_READ: usize = 8 * 1024;

/// The size of the next read window after a read of `n` bytes into a window of `window` bytes
/// of which `want` were handed over (`want < window` when hyper offered less).
///
/// hyper hands over a buffer whose unfilled part is uninitialized at every call, and a
/// `futures-io` reader needs it initialized, so each call zeroes what it hands over, even when
/// the reader then has nothing to read. The window keeps that cost near the size of the reads
/// the stream actually makes: it doubles when a read filled it (there may be more waiting) and
/// halves when a read used less than a quarter of it, between [`MIN_READ`] and [`MAX_READ`].
/// A small request on a keep-alive connection then costs a 1 KiB zeroing instead of 8 KiB or
/// more, twice per request (the read, and the poll that finds nothing); a bulk transfer reaches
/// full-size reads after a few calls.
///
/// (`n <= want <= window`, so `n == window` is a read that filled the whole window, and a read
/// of all that hyper offered below the window says nothing about it.)
fn next_window(window: usize, want: usize, n: usize) -> usize {
    if n == window {
        (window * 2).min(MAX_READ)
    } else if n < want && n < window / 4 {
        (window / 2).max(MIN_READ)
    } else {
        window
    }
}

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
    ///
    /// Reading for hyper, each call hands the `futures-io` reader a zeroed window of hyper's
    /// buffer that follows the sizes of the stream's reads (8 KiB first, then between 1 KiB
    /// and 64 KiB), so that small requests do not pay for zeroing a large buffer.
    #[derive(Debug)]
    pub struct HyperIo<T> {
        #[pin]
        inner: T,
        // Bytes the next `rt::Read::poll_read` hands to `inner`; see `next_window`.
        read_window: usize,
    }
}

impl<T> HyperIo<T> {
    /// Wraps `inner`.
    pub fn new(inner: T) -> HyperIo<T> {
        HyperIo {
            inner,
            read_window: FIRST_READ,
        }
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
        let this = self.project();
        let want = buf.remaining().min(*this.read_window);
        let unfilled = buf.initialize_unfilled_to(want);
        let n = ready!(this.inner.poll_read(cx, unfilled))?;
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
        *this.read_window = next_window(*this.read_window, want, n);
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

#[cfg(test)]
mod tests {
    use std::future::poll_fn;
    use std::io;
    use std::mem::MaybeUninit;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    use hyper::rt::{Read, ReadBuf};

    use super::{next_window, HyperIo, FIRST_READ, MAX_READ, MIN_READ};

    /// A `futures-io` reader that gives at most `chunk` bytes per call of what is left of `data`,
    /// counting its calls.
    struct Chunked {
        data: Vec<u8>,
        at: usize,
        chunk: usize,
        calls: usize,
    }

    impl Chunked {
        /// `data` behind `HyperIo`, read `chunk` bytes at most per call.
        fn behind_hyper_io(data: &[u8], chunk: usize) -> HyperIo<Chunked> {
            HyperIo::new(Chunked {
                data: data.to_vec(),
                at: 0,
                chunk,
                calls: 0,
            })
        }
    }

    impl futures_io::AsyncRead for Chunked {
        fn poll_read(
            mut self: Pin<&mut Self>,
            _cx: &mut Context<'_>,
            buf: &mut [u8],
        ) -> Poll<io::Result<usize>> {
            self.calls += 1;
            let n = buf.len().min(self.chunk).min(self.data.len() - self.at);
            buf[..n].copy_from_slice(&self.data[self.at..self.at + n]);
            self.at += n;
            Poll::Ready(Ok(n))
        }
    }

    /// Reads `io` to its end through hyper's `rt::Read`, into uninitialized buffers of `offer`
    /// bytes, as hyper does.
    fn read_all(io: &mut HyperIo<Chunked>, offer: usize) -> Vec<u8> {
        let mut out = Vec::new();
        let mut storage = vec![MaybeUninit::<u8>::uninit(); offer];
        loop {
            let mut buf = ReadBuf::uninit(&mut storage);
            let polled = futures_lite::future::block_on(poll_fn(|cx| {
                Poll::Ready(Pin::new(&mut *io).poll_read(cx, buf.unfilled()))
            }));
            match polled {
                Poll::Ready(Ok(())) if buf.filled().is_empty() => return out,
                Poll::Ready(Ok(())) => out.extend_from_slice(buf.filled()),
                other => panic!("read failed: {other:?}"),
            }
        }
    }

    #[test]
    fn the_window_doubles_on_full_reads_and_halves_on_small_ones() {
        assert_eq!(
            next_window(FIRST_READ, FIRST_READ, FIRST_READ),
            2 * FIRST_READ
        );
        assert_eq!(next_window(MAX_READ, MAX_READ, MAX_READ), MAX_READ);
        // hyper offered less than the window: a full read of that says nothing about the window.
        assert_eq!(next_window(FIRST_READ, 100, 100), FIRST_READ);
        assert_eq!(next_window(FIRST_READ, FIRST_READ, 64), FIRST_READ / 2);
        assert_eq!(next_window(MIN_READ, MIN_READ, 1), MIN_READ);
        // A read of a quarter or more keeps the window.
        assert_eq!(
            next_window(FIRST_READ, FIRST_READ, FIRST_READ / 4),
            FIRST_READ
        );
    }

    #[test]
    fn a_bulk_stream_reaches_full_size_reads_and_loses_no_byte() {
        let data: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
        let mut io = Chunked::behind_hyper_io(&data, usize::MAX);
        let read = read_all(&mut io, 256 * 1024);
        assert_eq!(read, data);
        // Reads of 8, 16 and 32 KiB, then 14 of 64 KiB and the last 25 KiB, and one at the end
        // of the stream.
        assert_eq!(io.get_ref().calls, 19);
    }

    #[test]
    fn small_messages_shrink_the_window_to_its_floor() {
        let data: Vec<u8> = (0..10_000u32).map(|i| (i % 13) as u8).collect();
        let mut io = Chunked::behind_hyper_io(&data, 60);
        assert_eq!(read_all(&mut io, 16 * 1024), data);
        assert_eq!(io.read_window, MIN_READ);
    }
}

//! tokio's I/O traits on evloop's I/O types and on [`Compat`], delegated to `futures-io`.
//!
//! # Reading into a `ReadBuf`
//! tokio's `poll_read` fills a [`ReadBuf`], whose tail may be uninitialized memory, while
//! `futures-io`'s fills an initialized `&mut [u8]`. The bridge asks the `ReadBuf` for its
//! unfilled part *initialized* ([`ReadBuf::initialize_unfilled`], which zeroes only the bytes
//! never initialized before, so a reused buffer is zeroed once), hands that slice to the
//! `futures-io` reader, and [`advance`](ReadBuf::advance)s by the count it returns. No
//! uninitialized byte is ever exposed, and a reader that claims more bytes than it was given
//! gets an error instead of a panic.
//!
//! # Seeking
//! tokio seeks in two steps (`start_seek(pos)`, then `poll_complete` until ready), `futures-io`
//! in one (`poll_seek(pos)` until ready). The bridge keeps the target between the two steps.
//! `poll_complete` without a seek begun returns 0, which tokio's contract allows ("unspecified
//! ... some placeholder value"); tokio's `AsyncSeekExt::seek` calls it that way first to settle
//! an earlier seek, and a placeholder costs nothing where asking the file would cost a trip to
//! the blocking pool.

use std::io::{self, IoSlice, SeekFrom};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use tokio::io::ReadBuf;

use super::Compat;

/// Reads from a `futures-io` reader into a tokio `ReadBuf`.
pub(super) fn poll_read_buf<R: futures_io::AsyncRead + ?Sized>(
    reader: Pin<&mut R>,
    cx: &mut Context<'_>,
    buf: &mut ReadBuf<'_>,
) -> Poll<io::Result<()>> {
    let unfilled = buf.initialize_unfilled();
    let capacity = unfilled.len();
    let n = ready!(reader.poll_read(cx, unfilled))?;
    if n > capacity {
        return Poll::Ready(Err(overread(n, capacity)));
    }
    buf.advance(n);
    Poll::Ready(Ok(()))
}

/// Reads from a tokio reader into a `futures-io` slice.
fn poll_read_slice<R: tokio::io::AsyncRead + ?Sized>(
    reader: Pin<&mut R>,
    cx: &mut Context<'_>,
    buf: &mut [u8],
) -> Poll<io::Result<usize>> {
    let mut read_buf = ReadBuf::new(buf);
    ready!(reader.poll_read(cx, &mut read_buf))?;
    Poll::Ready(Ok(read_buf.filled().len()))
}

fn overread(n: usize, capacity: usize) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("reader reported {n} bytes read into a buffer of {capacity}"),
    )
}

fn seek_in_progress() -> io::Error {
    io::Error::other("a seek is in progress: call poll_complete before start_seek")
}

/// `start_seek` for a `futures-io` seeker: remembers the target.
pub(super) fn start_seek(slot: &mut Option<SeekFrom>, pos: SeekFrom) -> io::Result<()> {
    if slot.is_some() {
        return Err(seek_in_progress());
    }
    *slot = Some(pos);
    Ok(())
}

/// `poll_complete` for a `futures-io` seeker: runs the remembered seek.
pub(super) fn poll_complete<S: futures_io::AsyncSeek + ?Sized>(
    seeker: Pin<&mut S>,
    slot: &mut Option<SeekFrom>,
    cx: &mut Context<'_>,
) -> Poll<io::Result<u64>> {
    let Some(pos) = *slot else {
        return Poll::Ready(Ok(0));
    };
    let result = ready!(seeker.poll_seek(cx, pos));
    *slot = None;
    Poll::Ready(result)
}

/// Implements the tokio I/O traits for evloop types that implement the `futures-io` ones.
///
/// `read [generics] Type where [bounds];` implements `AsyncRead`, `write [..] ..;` implements
/// `AsyncWrite` (with `vectored` before `[` when the type writes vectors natively).
macro_rules! tokio_io {
    () => {};
    ($(#[$attr:meta])* read [$($generics:tt)*] $ty:ty $(where [$($bound:tt)+])?; $($rest:tt)*) => {
        $(#[$attr])*
        impl<$($generics)*> tokio::io::AsyncRead for $ty $(where $($bound)+)? {
            fn poll_read(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &mut ReadBuf<'_>,
            ) -> Poll<io::Result<()>> {
                poll_read_buf(self, cx, buf)
            }
        }
        tokio_io!($($rest)*);
    };
    ($(#[$attr:meta])* write $($vectored:ident)? [$($generics:tt)*] $ty:ty $(where [$($bound:tt)+])?; $($rest:tt)*) => {
        $(#[$attr])*
        impl<$($generics)*> tokio::io::AsyncWrite for $ty $(where $($bound)+)? {
            fn poll_write(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &[u8],
            ) -> Poll<io::Result<usize>> {
                futures_io::AsyncWrite::poll_write(self, cx, buf)
            }

            fn poll_write_vectored(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                bufs: &[IoSlice<'_>],
            ) -> Poll<io::Result<usize>> {
                futures_io::AsyncWrite::poll_write_vectored(self, cx, bufs)
            }

            fn is_write_vectored(&self) -> bool {
                tokio_io!(@vectored $($vectored)?)
            }

            fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                futures_io::AsyncWrite::poll_flush(self, cx)
            }

            /// Closes the `futures-io` way: for sockets, shuts the write half down.
            fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                futures_io::AsyncWrite::poll_close(self, cx)
            }
        }
        tokio_io!($($rest)*);
    };
    (@vectored vectored) => { true };
    (@vectored) => { false };
}

// ===== evloop's own types =====

tokio_io! {
    read [] crate::net::TcpStream;
    read ['a] &'a crate::net::TcpStream;
    read ['a] crate::net::tcp::ReadHalf<'a>;
    read [] crate::net::tcp::OwnedReadHalf;
    write vectored [] crate::net::TcpStream;
    write vectored ['a] &'a crate::net::TcpStream;
    write vectored ['a] crate::net::tcp::WriteHalf<'a>;
    write vectored [] crate::net::tcp::OwnedWriteHalf;

    #[cfg(unix)] read [] crate::net::UnixStream;
    #[cfg(unix)] read ['a] &'a crate::net::UnixStream;
    #[cfg(unix)] read ['a] crate::net::unix::ReadHalf<'a>;
    #[cfg(unix)] read [] crate::net::unix::OwnedReadHalf;
    #[cfg(unix)] write vectored [] crate::net::UnixStream;
    #[cfg(unix)] write vectored ['a] &'a crate::net::UnixStream;
    #[cfg(unix)] write vectored ['a] crate::net::unix::WriteHalf<'a>;
    #[cfg(unix)] write vectored [] crate::net::unix::OwnedWriteHalf;

    #[cfg(unix)] read [T: std::os::fd::AsFd + std::io::Read] crate::io::Async<T>;
    #[cfg(unix)] read ['a, T: std::os::fd::AsFd] &'a crate::io::Async<T>
        where [for<'b> &'b T: std::io::Read];
    #[cfg(unix)] write vectored [T: std::os::fd::AsFd + std::io::Write] crate::io::Async<T>;
    #[cfg(unix)] write vectored ['a, T: std::os::fd::AsFd] &'a crate::io::Async<T>
        where [for<'b> &'b T: std::io::Write];

    read [] crate::fs::File;
    write vectored [] crate::fs::File;

    read [] crate::io::Stdin;
    write [] crate::io::Stdout;
    write [] crate::io::Stderr;

    read [T: std::io::Read + Send + 'static] crate::blocking::Unblock<T>;
    write [T: std::io::Write + Send + 'static] crate::blocking::Unblock<T>;

    // Their `AsyncRead` impls, which copy straight into the `ReadBuf`, are in `io::duplex`.
    write vectored [] crate::io::DuplexStream;
    write vectored [] crate::io::SimplexStream;
}

impl tokio::io::AsyncSeek for crate::fs::File {
    fn start_seek(self: Pin<&mut Self>, pos: SeekFrom) -> io::Result<()> {
        start_seek(self.get_mut().tokio_seek(), pos)
    }

    fn poll_complete(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        let this = self.get_mut();
        let mut slot = *this.tokio_seek();
        let result = poll_complete(Pin::new(&mut *this), &mut slot, cx);
        *this.tokio_seek() = slot;
        result
    }
}

impl<T: std::io::Seek + Send + 'static> tokio::io::AsyncSeek for crate::blocking::Unblock<T> {
    fn start_seek(self: Pin<&mut Self>, pos: SeekFrom) -> io::Result<()> {
        start_seek(&mut self.get_mut().tokio_seek, pos)
    }

    fn poll_complete(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        let this = self.get_mut();
        let mut slot = this.tokio_seek;
        let result = poll_complete(Pin::new(&mut *this), &mut slot, cx);
        this.tokio_seek = slot;
        result
    }
}

// ===== Compat: futures-io → tokio =====

impl<T: futures_io::AsyncRead> tokio::io::AsyncRead for Compat<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        poll_read_buf(self.get_pin_mut(), cx, buf)
    }
}

impl<T: futures_io::AsyncWrite> tokio::io::AsyncWrite for Compat<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_pin_mut().poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.get_pin_mut().poll_write_vectored(cx, bufs)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_pin_mut().poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_pin_mut().poll_close(cx)
    }
}

impl<T: futures_io::AsyncBufRead> tokio::io::AsyncBufRead for Compat<T> {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        self.get_pin_mut().poll_fill_buf(cx)
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        self.get_pin_mut().consume(amt)
    }
}

impl<T: futures_io::AsyncSeek> tokio::io::AsyncSeek for Compat<T> {
    fn start_seek(self: Pin<&mut Self>, pos: SeekFrom) -> io::Result<()> {
        let (_, target, _) = self.parts();
        start_seek(target, pos)
    }

    fn poll_complete(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        let (inner, target, _) = self.parts();
        poll_complete(inner, target, cx)
    }
}

// ===== Compat: tokio → futures-io =====

impl<T: tokio::io::AsyncRead> futures_io::AsyncRead for Compat<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        poll_read_slice(self.get_pin_mut(), cx, buf)
    }
}

impl<T: tokio::io::AsyncWrite> futures_io::AsyncWrite for Compat<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_pin_mut().poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.get_pin_mut().poll_write_vectored(cx, bufs)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_pin_mut().poll_flush(cx)
    }

    /// Shuts the writer down (tokio's name for closing).
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_pin_mut().poll_shutdown(cx)
    }
}

impl<T: tokio::io::AsyncBufRead> futures_io::AsyncBufRead for Compat<T> {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        self.get_pin_mut().poll_fill_buf(cx)
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        self.get_pin_mut().consume(amt)
    }
}

impl<T: tokio::io::AsyncSeek> futures_io::AsyncSeek for Compat<T> {
    /// Starts the seek on the first call and waits for it on the calls that follow with the
    /// same target (the `futures-io` contract).
    ///
    /// A seek whose caller stopped waiting is completed first, and its outcome dropped, when a
    /// call brings another target.
    fn poll_seek(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        pos: SeekFrom,
    ) -> Poll<io::Result<u64>> {
        let (mut inner, _, started) = self.parts();
        loop {
            match *started {
                None => {
                    inner.as_mut().start_seek(pos)?;
                    *started = Some(pos);
                }
                Some(target) => {
                    let result = ready!(inner.as_mut().poll_complete(cx));
                    *started = None;
                    if target == pos {
                        return Poll::Ready(result);
                    }
                }
            }
        }
    }
}

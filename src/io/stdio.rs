//! Asynchronous standard input, output and error.
//!
//! The process's standard streams may be terminals, pipes or files, and the portable way to use
//! them is through std's blocking handles. Each type here therefore wraps the std handle in an
//! [`Unblock`], which performs the blocking calls on the blocking pool while the task waits
//! without holding up a worker thread.
//!
//! Output is ordered: every write is handed to the pool at once, and the next write (or flush)
//! waits until the previous one has reached the std handle. Std's own handles keep their
//! behaviour behind that: standard output is line-buffered by std, standard error is not
//! buffered. [`poll_flush`](AsyncWrite::poll_flush) waits for the pending write and then flushes
//! the std handle, so after `flush().await` the bytes have been handed to the operating system.
//!
//! Writes from different [`Stdout`] (or [`Stderr`]) values are not coordinated with each other
//! and may interleave at the granularity of single writes; keep one value per stream where the
//! order of whole messages matters.

#![forbid(unsafe_code)]

use std::fmt;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};

use crate::blocking::Unblock;

/// Constructs a handle to the current process's standard input.
///
/// Each read takes up to 8 KiB from std's (buffered, process-wide) standard input on the blocking
/// pool.
///
/// A read of a terminal or pipe blocks a pool thread until input arrives or the stream ends, and
/// a blocking call cannot be interrupted: a task that stops waiting leaves the read running, and
/// a runtime that is dropped waits for it (use `Runtime::shutdown_timeout` or
/// `shutdown_background` to bound that wait).
///
/// # Examples
///
/// ```no_run
/// use evloop::io::{stdin, AsyncBufReadExt, BufReader};
///
/// # fn main() -> std::io::Result<()> {
/// evloop::block_on(async {
///     let mut line = String::new();
///     BufReader::new(stdin()).read_line(&mut line).await?;
///     println!("read {line:?}");
///     Ok(())
/// })
/// # }
/// ```
pub fn stdin() -> Stdin {
    Stdin {
        inner: Unblock::new(io::stdin()),
    }
}

/// Constructs a handle to the current process's standard output.
///
/// Each write is passed on to std's standard output on the blocking pool right away; call
/// [`flush`](crate::io::AsyncWriteExt::flush) before the handle is dropped or the program exits
/// to be sure the last write has reached the operating system.
///
/// # Examples
///
/// ```
/// use evloop::io::{stdout, AsyncWriteExt};
///
/// # fn main() -> std::io::Result<()> {
/// evloop::block_on(async {
///     let mut out = stdout();
///     out.write_all(b"hello from evloop\n").await?;
///     out.flush().await
/// })
/// # }
/// ```
pub fn stdout() -> Stdout {
    Stdout {
        inner: Unblock::new(io::stdout()),
    }
}

/// Constructs a handle to the current process's standard error.
///
/// It behaves as [`stdout()`] does: each write is passed on to std's (unbuffered) standard error
/// on the blocking pool right away, and [`flush`](crate::io::AsyncWriteExt::flush) waits for
/// the last one.
///
/// # Examples
///
/// ```
/// use evloop::io::{stderr, AsyncWriteExt};
///
/// # fn main() -> std::io::Result<()> {
/// evloop::block_on(async {
///     let mut err = stderr();
///     err.write_all(b"a diagnostic\n").await?;
///     err.flush().await
/// })
/// # }
/// ```
pub fn stderr() -> Stderr {
    Stderr {
        inner: Unblock::new(io::stderr()),
    }
}

/// The standard input of the process, readable asynchronously; made by [`stdin()`].
pub struct Stdin {
    inner: Unblock<io::Stdin>,
}

/// The standard output of the process, writable asynchronously; made by [`stdout()`].
pub struct Stdout {
    inner: Unblock<io::Stdout>,
}

/// The standard error of the process, writable asynchronously; made by [`stderr()`].
pub struct Stderr {
    inner: Unblock<io::Stderr>,
}

impl AsyncRead for Stdin {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for Stdout {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_through(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_close(cx)
    }
}

impl AsyncWrite for Stderr {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_through(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_close(cx)
    }
}

impl fmt::Debug for Stdin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Stdin").field("inner", &self.inner).finish()
    }
}

impl fmt::Debug for Stdout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Stdout")
            .field("inner", &self.inner)
            .finish()
    }
}

impl fmt::Debug for Stderr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Stderr")
            .field("inner", &self.inner)
            .finish()
    }
}

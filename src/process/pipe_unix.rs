//! Unix: the pipes to a child are non-blocking descriptors registered with the reactor.

use std::fmt;
use std::io::{self, IoSlice, IoSliceMut, Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};

use super::child::{closed, ChildStderr, ChildStdin, ChildStdout};
use crate::io::Async;

/// One end of a pipe to the child, as the platform-independent pipe types hold it.
pub(super) struct Pipe(Async<Fd>);

impl Pipe {
    /// Takes a std pipe end (`ChildStdin`, `ChildStdout` or `ChildStderr`) onto the reactor.
    pub(super) fn new(pipe: impl Into<OwnedFd>) -> io::Result<Pipe> {
        Ok(Pipe(Async::new(Fd(pipe.into()))?))
    }

    fn into_owned_fd(self) -> io::Result<OwnedFd> {
        Ok(self.0.into_inner()?.0)
    }

    fn as_fd(&self) -> BorrowedFd<'_> {
        self.0.get_ref().0.as_fd()
    }
}

impl AsyncRead for Pipe {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }

    fn poll_read_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &mut [IoSliceMut<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_read_vectored(cx, bufs)
    }
}

impl AsyncWrite for Pipe {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write_vectored(cx, bufs)
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // Pipes have no user-space buffer.
        Poll::Ready(Ok(()))
    }

    /// Nothing to do before the owner drops the pipe, which deregisters and closes the
    /// descriptor: the child then reads end-of-file.
    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// A pipe descriptor, read and written with plain system calls (the reactor makes them wait).
#[derive(Debug)]
struct Fd(OwnedFd);

impl Read for &Fd {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        Ok(rustix::io::read(&self.0, buf)?)
    }

    fn read_vectored(&mut self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        Ok(rustix::io::readv(&self.0, bufs)?)
    }
}

impl Read for Fd {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        (&*self).read(buf)
    }

    fn read_vectored(&mut self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        (&*self).read_vectored(bufs)
    }
}

impl Write for &Fd {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Ok(rustix::io::write(&self.0, buf)?)
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        Ok(rustix::io::writev(&self.0, bufs)?)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Write for Fd {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        (&*self).write(buf)
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        (&*self).write_vectored(bufs)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl AsFd for Fd {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.0.as_fd()
    }
}

// ===== The descriptor traits of the public pipe types =====

impl ChildStdin {
    /// The pipe's descriptor, for its owner to give away (it stays non-blocking).
    ///
    /// # Errors
    /// If the pipe was closed, or cannot be deregistered.
    pub fn into_owned_fd(mut self) -> io::Result<OwnedFd> {
        match self.inner.take() {
            Some(inner) => inner.into_owned_fd(),
            None => Err(closed()),
        }
    }
}

impl AsFd for ChildStdin {
    /// # Panics
    /// If the pipe was closed with `AsyncWriteExt::close`.
    fn as_fd(&self) -> BorrowedFd<'_> {
        match &self.inner {
            Some(inner) => inner.as_fd(),
            None => panic!("`ChildStdin::as_fd` called after the pipe was closed"),
        }
    }
}

impl fmt::Debug for ChildStdin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fd = self.inner.as_ref().map(|inner| inner.as_fd().as_raw_fd());
        f.debug_struct("ChildStdin").field("fd", &fd).finish()
    }
}

macro_rules! reader {
    ($name:ident) => {
        impl $name {
            /// The pipe's descriptor, for its owner to give away (it stays non-blocking).
            ///
            /// # Errors
            /// If the descriptor cannot be deregistered.
            pub fn into_owned_fd(self) -> io::Result<OwnedFd> {
                self.inner.into_owned_fd()
            }
        }

        impl AsFd for $name {
            fn as_fd(&self) -> BorrowedFd<'_> {
                self.inner.as_fd()
            }
        }

        impl AsRawFd for $name {
            fn as_raw_fd(&self) -> RawFd {
                self.inner.as_fd().as_raw_fd()
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($name))
                    .field("fd", &self.as_raw_fd())
                    .finish()
            }
        }
    };
}

reader!(ChildStdout);
reader!(ChildStderr);

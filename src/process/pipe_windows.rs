//! Windows: the pipes to a child run on the blocking pool.
//!
//! std's pipes to a child cannot be associated with a completion port for readiness, so each
//! pipe end is a [`File`] driven by [`Unblock`], as the process's own standard streams are. The
//! file is shared through an [`Arc`] so that its handle stays at hand (for `AsHandle` and
//! `into_owned_handle`) while a pool thread holds the [`Unblock`]'s side for a read or write.

use std::fmt;
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::windows::io::{AsHandle, AsRawHandle, BorrowedHandle, OwnedHandle, RawHandle};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};

use super::child::{closed, ChildStderr, ChildStdin, ChildStdout};
use crate::blocking::Unblock;

/// One end of a pipe to the child, as the platform-independent pipe types hold it.
pub(super) struct Pipe {
    io: Unblock<Shared>,
    file: Arc<File>,
}

impl Pipe {
    /// Takes a std pipe end (`ChildStdin`, `ChildStdout` or `ChildStderr`) onto the blocking
    /// pool. Never fails; the `Result` matches the Unix side.
    pub(super) fn new(pipe: impl Into<OwnedHandle>) -> io::Result<Pipe> {
        let file = Arc::new(File::from(pipe.into()));
        Ok(Pipe {
            io: Unblock::new(Shared(Arc::clone(&file))),
            file,
        })
    }

    /// The handle, to own. An operation still running on the pool keeps its own reference to
    /// the pipe until it ends; the handle returned is then a duplicate.
    fn into_owned_handle(self) -> io::Result<OwnedHandle> {
        let Pipe { io, file } = self;
        drop(io);
        match Arc::try_unwrap(file) {
            Ok(file) => Ok(file.into()),
            Err(file) => Ok(file.try_clone()?.into()),
        }
    }

    fn as_handle(&self) -> BorrowedHandle<'_> {
        self.file.as_handle()
    }
}

impl AsyncRead for Pipe {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl AsyncWrite for Pipe {
    /// Accepts `buf` and hands it to the pool at once (`Unblock` alone would keep it until its
    /// buffer fills or a flush), so that the child gets the bytes without waiting for a flush,
    /// and a pipe dropped right after a write still delivers them. The next write or flush
    /// waits for this one, which keeps the bytes in order and reports its error.
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_through(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    /// Waits for the writes under way; the owner then drops the pipe, which closes it.
    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_close(cx)
    }
}

/// The pipe as the pool threads read and write it.
#[derive(Debug)]
struct Shared(Arc<File>);

impl Read for Shared {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        (&*self.0).read(buf)
    }
}

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        (&*self.0).write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        (&*self.0).flush()
    }
}

// ===== The handle traits of the public pipe types =====

impl ChildStdin {
    /// The pipe's handle, for its owner to give away. Flush first: a write still running on
    /// the blocking pool goes on in the background (and the handle is then a duplicate).
    ///
    /// # Errors
    /// If the pipe was closed, or its handle cannot be duplicated.
    pub fn into_owned_handle(mut self) -> io::Result<OwnedHandle> {
        match self.inner.take() {
            Some(inner) => inner.into_owned_handle(),
            None => Err(closed()),
        }
    }
}

impl AsHandle for ChildStdin {
    /// # Panics
    /// If the pipe was closed with `AsyncWriteExt::close`.
    fn as_handle(&self) -> BorrowedHandle<'_> {
        match &self.inner {
            Some(inner) => inner.as_handle(),
            None => panic!("`ChildStdin::as_handle` called after the pipe was closed"),
        }
    }
}

impl fmt::Debug for ChildStdin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let handle = self
            .inner
            .as_ref()
            .map(|inner| inner.as_handle().as_raw_handle());
        f.debug_struct("ChildStdin")
            .field("handle", &handle)
            .finish()
    }
}

macro_rules! reader {
    ($name:ident) => {
        impl $name {
            /// The pipe's handle, for its owner to give away. Bytes the blocking pool has read
            /// ahead and not yet returned are lost, and a read still running there goes on in
            /// the background (the handle is then a duplicate).
            ///
            /// # Errors
            /// If the handle cannot be duplicated.
            pub fn into_owned_handle(self) -> io::Result<OwnedHandle> {
                self.inner.into_owned_handle()
            }
        }

        impl AsHandle for $name {
            fn as_handle(&self) -> BorrowedHandle<'_> {
                self.inner.as_handle()
            }
        }

        impl AsRawHandle for $name {
            fn as_raw_handle(&self) -> RawHandle {
                self.inner.as_handle().as_raw_handle()
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($name))
                    .field("handle", &self.as_raw_handle())
                    .finish()
            }
        }
    };
}

reader!(ChildStdout);
reader!(ChildStderr);

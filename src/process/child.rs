//! [`Child`] and its piped standard streams.

use std::fmt;
use std::future::poll_fn;
use std::io::{self, IoSlice, IoSliceMut, Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::pin::Pin;
use std::process::{Child as StdChild, ExitStatus, Output};
use std::task::{Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};
use futures_lite::AsyncReadExt;

use super::exit::{self, ExitWatcher};
use crate::io::Async;

/// A child process spawned by [`Command::spawn`](super::Command::spawn).
///
/// Its exit is noticed through the reactor (see the [module documentation](super)); its piped
/// standard streams are futures-io readers and writers.
///
/// Dropping a `Child` does not kill the process unless
/// [`kill_on_drop`](super::Command::kill_on_drop) was set; either way the process is reaped
/// once it exits, so no zombie is left behind.
pub struct Child {
    /// The child's standard input, if it was [`Stdio::piped`](std::process::Stdio::piped).
    pub stdin: Option<ChildStdin>,
    /// The child's standard output, if it was piped.
    pub stdout: Option<ChildStdout>,
    /// The child's standard error, if it was piped.
    pub stderr: Option<ChildStderr>,
    state: State,
}

enum State {
    Running {
        child: StdChild,
        watcher: ExitWatcher,
        kill_on_drop: bool,
    },
    Exited(ExitStatus),
    /// Only while `drop` runs.
    Dropped,
}

impl Child {
    /// Builds the child from a freshly spawned process. On error the process is killed and
    /// reaped.
    pub(super) fn new(mut child: StdChild, kill_on_drop: bool) -> io::Result<Child> {
        let parts = (|| {
            let watcher = ExitWatcher::new(child.id())?;
            let stdin = child.stdin.take().map(ChildStdin::new).transpose()?;
            let stdout = child.stdout.take().map(ChildStdout::new).transpose()?;
            let stderr = child.stderr.take().map(ChildStderr::new).transpose()?;
            Ok((watcher, stdin, stdout, stderr))
        })();
        match parts {
            Ok((watcher, stdin, stdout, stderr)) => Ok(Child {
                stdin,
                stdout,
                stderr,
                state: State::Running {
                    child,
                    watcher,
                    kill_on_drop,
                },
            }),
            Err(error) => {
                let _ = child.kill();
                exit::reap(child);
                Err(error)
            }
        }
    }

    /// The process ID of the child, or `None` once its exit status has been collected (the ID
    /// may then belong to another process).
    pub fn id(&self) -> Option<u32> {
        match &self.state {
            State::Running { child, .. } => Some(child.id()),
            State::Exited(_) | State::Dropped => None,
        }
    }

    /// The exit status if the child has exited, without waiting.
    ///
    /// # Errors
    /// If the status cannot be collected (`waitpid` fails).
    pub fn try_wait(&mut self) -> io::Result<Option<ExitStatus>> {
        match &mut self.state {
            State::Running { child, .. } => {
                let status = child.try_wait()?;
                if let Some(status) = status {
                    self.state = State::Exited(status);
                }
                Ok(status)
            }
            State::Exited(status) => Ok(Some(*status)),
            State::Dropped => Ok(None),
        }
    }

    /// Waits for the child to exit and returns its status.
    ///
    /// The child's stdin is closed first (if it was piped and is still here), so that a child
    /// reading its input to the end does not wait for the parent forever.
    ///
    /// Cancel-safe: dropping the future and calling `wait` again loses nothing.
    ///
    /// ```
    /// use evloop::process::Command;
    ///
    /// # evloop::block_on(async {
    /// let status = Command::new("sh").args(["-c", "exit 3"]).spawn()?.wait().await?;
    /// assert_eq!(status.code(), Some(3));
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub async fn wait(&mut self) -> io::Result<ExitStatus> {
        drop(self.stdin.take());
        loop {
            if let Some(status) = self.try_wait()? {
                return Ok(status);
            }
            let State::Running { watcher, .. } = &mut self.state else {
                unreachable!("`try_wait` returned `None` for a child that is not running");
            };
            poll_fn(|cx| watcher.poll_changed(cx)).await?;
        }
    }

    /// Sends `SIGKILL` to the child without waiting for it to exit.
    ///
    /// # Errors
    /// If the child's status has already been collected (`InvalidInput`), or the signal
    /// cannot be sent.
    pub fn start_kill(&mut self) -> io::Result<()> {
        match &mut self.state {
            State::Running { child, .. } => child.kill(),
            State::Exited(_) | State::Dropped => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "invalid argument: can't kill an exited process",
            )),
        }
    }

    /// Kills the child and waits for it to exit.
    ///
    /// ```
    /// use evloop::process::Command;
    ///
    /// # evloop::block_on(async {
    /// let mut child = Command::new("sleep").arg("1000").spawn()?;
    /// child.kill().await?;
    /// assert!(child.id().is_none());
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub async fn kill(&mut self) -> io::Result<()> {
        self.start_kill()?;
        self.wait().await?;
        Ok(())
    }

    /// Waits for the child to exit, collecting everything it writes to its piped stdout and
    /// stderr meanwhile (streams that were not piped, or were taken, give empty buffers).
    ///
    /// ```
    /// use evloop::process::Command;
    /// use std::process::Stdio;
    ///
    /// # evloop::block_on(async {
    /// let child = Command::new("echo").arg("hi").stdout(Stdio::piped()).spawn()?;
    /// let output = child.wait_with_output().await?;
    /// assert_eq!(output.stdout, b"hi\n");
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub async fn wait_with_output(mut self) -> io::Result<Output> {
        async fn read_all(pipe: Option<impl AsyncRead + Unpin>) -> io::Result<Vec<u8>> {
            let mut buf = Vec::new();
            if let Some(mut pipe) = pipe {
                pipe.read_to_end(&mut buf).await?;
            }
            Ok(buf)
        }
        let stdout = read_all(self.stdout.take());
        let stderr = read_all(self.stderr.take());
        let (status, (stdout, stderr)) = futures_lite::future::try_zip(
            self.wait(),
            futures_lite::future::try_zip(stdout, stderr),
        )
        .await?;
        Ok(Output {
            status,
            stdout,
            stderr,
        })
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        if let State::Running {
            mut child,
            watcher,
            kill_on_drop,
        } = std::mem::replace(&mut self.state, State::Dropped)
        {
            if kill_on_drop {
                let _ = child.kill();
            }
            drop(watcher);
            exit::reap(child);
        }
    }
}

impl fmt::Debug for Child {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let status = match &self.state {
            State::Exited(status) => Some(status),
            _ => None,
        };
        f.debug_struct("Child")
            .field("id", &self.id())
            .field("status", &status)
            .field("stdin", &self.stdin)
            .field("stdout", &self.stdout)
            .field("stderr", &self.stderr)
            .finish()
    }
}

// ===== Pipes =====

/// One end of a pipe to the child, read and written with plain system calls (the reactor makes
/// them wait).
#[derive(Debug)]
struct Pipe(OwnedFd);

impl Read for &Pipe {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        Ok(rustix::io::read(&self.0, buf)?)
    }

    fn read_vectored(&mut self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        Ok(rustix::io::readv(&self.0, bufs)?)
    }
}

impl Read for Pipe {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        (&*self).read(buf)
    }

    fn read_vectored(&mut self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        (&*self).read_vectored(bufs)
    }
}

impl Write for &Pipe {
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

impl Write for Pipe {
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

impl AsFd for Pipe {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.0.as_fd()
    }
}

fn closed() -> io::Error {
    io::Error::new(io::ErrorKind::BrokenPipe, "the child's stdin was closed")
}

/// The writing end of a child's standard input: an [`AsyncWrite`].
///
/// Closing it (`AsyncWriteExt::close`) or dropping it closes the pipe, so the child reads
/// end-of-file; writes after `close` fail with `BrokenPipe`.
pub struct ChildStdin {
    /// `None` once closed.
    inner: Option<Async<Pipe>>,
}

/// The reading end of a child's standard output: an [`AsyncRead`].
pub struct ChildStdout {
    inner: Async<Pipe>,
}

/// The reading end of a child's standard error: an [`AsyncRead`].
pub struct ChildStderr {
    inner: Async<Pipe>,
}

impl ChildStdin {
    fn new(stdin: std::process::ChildStdin) -> io::Result<ChildStdin> {
        Ok(ChildStdin {
            inner: Some(Async::new(Pipe(stdin.into()))?),
        })
    }

    /// Takes a std `ChildStdin` (for example from a child spawned with `std::process`) onto the
    /// reactor.
    ///
    /// # Errors
    /// If the descriptor cannot be made non-blocking or registered.
    pub fn from_std(stdin: std::process::ChildStdin) -> io::Result<ChildStdin> {
        ChildStdin::new(stdin)
    }

    /// The pipe's descriptor, for its owner to give away (it stays non-blocking).
    ///
    /// # Errors
    /// If the pipe was closed, or cannot be deregistered.
    pub fn into_owned_fd(mut self) -> io::Result<OwnedFd> {
        match self.inner.take() {
            Some(inner) => Ok(inner.into_inner()?.0),
            None => Err(closed()),
        }
    }
}

macro_rules! reader {
    ($name:ident, $std:ty) => {
        impl $name {
            fn new(pipe: $std) -> io::Result<$name> {
                Ok($name {
                    inner: Async::new(Pipe(pipe.into()))?,
                })
            }

            /// Takes the std type (for example from a child spawned with `std::process`) onto
            /// the reactor.
            ///
            /// # Errors
            /// If the descriptor cannot be made non-blocking or registered.
            pub fn from_std(pipe: $std) -> io::Result<$name> {
                $name::new(pipe)
            }

            /// The pipe's descriptor, for its owner to give away (it stays non-blocking).
            ///
            /// # Errors
            /// If the descriptor cannot be deregistered.
            pub fn into_owned_fd(self) -> io::Result<OwnedFd> {
                Ok(self.inner.into_inner()?.0)
            }
        }

        impl AsyncRead for $name {
            fn poll_read(
                mut self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &mut [u8],
            ) -> Poll<io::Result<usize>> {
                Pin::new(&mut self.inner).poll_read(cx, buf)
            }

            fn poll_read_vectored(
                mut self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                bufs: &mut [IoSliceMut<'_>],
            ) -> Poll<io::Result<usize>> {
                Pin::new(&mut self.inner).poll_read_vectored(cx, bufs)
            }
        }

        impl AsFd for $name {
            fn as_fd(&self) -> BorrowedFd<'_> {
                self.inner.get_ref().as_fd()
            }
        }

        impl AsRawFd for $name {
            fn as_raw_fd(&self) -> RawFd {
                self.inner.get_ref().0.as_raw_fd()
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

reader!(ChildStdout, std::process::ChildStdout);
reader!(ChildStderr, std::process::ChildStderr);

impl AsyncWrite for ChildStdin {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.inner.as_mut() {
            Some(inner) => Pin::new(inner).poll_write(cx, buf),
            None => Poll::Ready(Err(closed())),
        }
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.inner.as_mut() {
            Some(inner) => Pin::new(inner).poll_write_vectored(cx, bufs),
            None => Poll::Ready(Err(closed())),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // Pipes have no user-space buffer.
        Poll::Ready(Ok(()))
    }

    fn poll_close(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // Dropping the `Async` deregisters and closes the descriptor: the child sees EOF.
        drop(self.inner.take());
        Poll::Ready(Ok(()))
    }
}

impl AsFd for ChildStdin {
    /// # Panics
    /// If the pipe was closed with `AsyncWriteExt::close`.
    fn as_fd(&self) -> BorrowedFd<'_> {
        match &self.inner {
            Some(inner) => inner.get_ref().as_fd(),
            None => panic!("`ChildStdin::as_fd` called after the pipe was closed"),
        }
    }
}

impl fmt::Debug for ChildStdin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fd = self
            .inner
            .as_ref()
            .map(|inner| inner.get_ref().0.as_raw_fd());
        f.debug_struct("ChildStdin").field("fd", &fd).finish()
    }
}

//! [`Child`] and its piped standard streams, written once above the platform layer: the exit
//! watcher (`exit`) and the pipe ends (`pipe`) of the platform.

use std::fmt;
use std::future::poll_fn;
use std::io::{self, IoSlice, IoSliceMut};
use std::pin::Pin;
use std::process::{Child as StdChild, ExitStatus, Output};
use std::task::{Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};
use futures_lite::AsyncReadExt;

use super::exit::{self, ExitWatcher};
use super::pipe::Pipe;

/// A child process spawned by [`Command::spawn`](super::Command::spawn).
///
/// Its exit is noticed without a thread of its own (see the [module documentation](super)); its
/// piped standard streams are futures-io readers and writers.
///
/// Dropping a `Child` does not kill the process unless
/// [`kill_on_drop`](super::Command::kill_on_drop) was set; either way a Unix process is reaped
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
    /// Builds the child from a freshly spawned process. On error the process is killed (and
    /// reaped).
    pub(super) fn new(mut child: StdChild, kill_on_drop: bool) -> io::Result<Child> {
        let parts = (|| {
            let watcher = ExitWatcher::new(&child)?;
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

    /// The child's process handle, or `None` once its exit status has been collected (the
    /// handle is closed then). Windows only.
    #[cfg(windows)]
    pub fn raw_handle(&self) -> Option<std::os::windows::io::RawHandle> {
        use std::os::windows::io::AsRawHandle;
        match &self.state {
            State::Running { child, .. } => Some(child.as_raw_handle()),
            State::Exited(_) | State::Dropped => None,
        }
    }

    /// The exit status if the child has exited, without waiting.
    ///
    /// # Errors
    /// If the status cannot be collected (`waitpid` fails on Unix, `GetExitCodeProcess` on
    /// Windows).
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

    /// Kills the child without waiting for it to exit: `SIGKILL` on Unix, `TerminateProcess`
    /// (exit code 1) on Windows.
    ///
    /// # Errors
    /// If the child's status has already been collected (`InvalidInput`), or the process
    /// cannot be killed.
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

/// The error of a write to a closed [`ChildStdin`].
pub(super) fn closed() -> io::Error {
    io::Error::new(io::ErrorKind::BrokenPipe, "the child's stdin was closed")
}

/// The writing end of a child's standard input: an [`AsyncWrite`].
///
/// Closing it (`AsyncWriteExt::close`) or dropping it closes the pipe, so the child reads
/// end-of-file; writes after `close` fail with `BrokenPipe`. On Windows, where each write is
/// handed to the blocking pool, `close` (and `flush`) wait until the bytes written so far have
/// reached the pipe, and a `ChildStdin` dropped with a write still under way closes the pipe
/// once that write is done.
pub struct ChildStdin {
    /// `None` once closed.
    pub(super) inner: Option<Pipe>,
}

/// The reading end of a child's standard output: an [`AsyncRead`].
pub struct ChildStdout {
    pub(super) inner: Pipe,
}

/// The reading end of a child's standard error: an [`AsyncRead`].
pub struct ChildStderr {
    pub(super) inner: Pipe,
}

impl ChildStdin {
    fn new(stdin: std::process::ChildStdin) -> io::Result<ChildStdin> {
        Ok(ChildStdin {
            inner: Some(Pipe::new(stdin)?),
        })
    }

    /// Takes a std `ChildStdin` (for example from a child spawned with `std::process`) onto the
    /// reactor (Unix) or the blocking pool (Windows).
    ///
    /// # Errors
    /// On Unix, if the descriptor cannot be made non-blocking or registered.
    pub fn from_std(stdin: std::process::ChildStdin) -> io::Result<ChildStdin> {
        ChildStdin::new(stdin)
    }
}

macro_rules! reader {
    ($name:ident, $std:ty) => {
        impl $name {
            fn new(pipe: $std) -> io::Result<$name> {
                Ok($name {
                    inner: Pipe::new(pipe)?,
                })
            }

            /// Takes the std type (for example from a child spawned with `std::process`) onto
            /// the reactor (Unix) or the blocking pool (Windows).
            ///
            /// # Errors
            /// On Unix, if the descriptor cannot be made non-blocking or registered.
            pub fn from_std(pipe: $std) -> io::Result<$name> {
                $name::new(pipe)
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

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.inner.as_mut() {
            Some(inner) => Pin::new(inner).poll_flush(cx),
            None => Poll::Ready(Ok(())),
        }
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let Some(inner) = self.inner.as_mut() else {
            return Poll::Ready(Ok(()));
        };
        // Writes still under way finish first; then dropping the pipe end closes it and the
        // child sees end-of-file (even if finishing the writes failed).
        let result = futures_core::ready!(Pin::new(inner).poll_close(cx));
        self.inner = None;
        Poll::Ready(result)
    }
}

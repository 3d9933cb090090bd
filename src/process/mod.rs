//! Child processes: [`Command`] spawns a [`Child`] whose exit is awaited without a thread per
//! child and whose piped standard streams are futures-io readers and writers.
//!
//! This is tokio's `process` module under the same names. A [`Command`] wraps
//! [`std::process::Command`] (every std option is reachable through [`Command::as_std_mut`]),
//! and adds [`kill_on_drop`](Command::kill_on_drop).
//!
//! # How the exit of a child is noticed
//! Without a thread per child. On Unix: on Linux each child gets a pidfd that the reactor
//! watches; on the other Unix systems children listen for `SIGCHLD` through
//! [`signal`](crate::signal). The status is always collected for that one child only (never
//! `waitpid(-1)`), so children that other code spawned are left alone. A [`Child`] dropped
//! before it was reaped is reaped in the background once it exits: no zombies. On Windows, see
//! below.
//!
//! # Platforms
//! Unix and Windows, with the same API, as tokio's `process`: the Unix-only std options are
//! reached through [`Command::as_std_mut`], and Windows adds `Command::creation_flags`,
//! `Command::raw_arg` and `Child::raw_handle` (documented on Windows builds). What differs on
//! Windows:
//!
//! - **The exit** is awaited with `RegisterWaitForSingleObject` on the process handle: the
//!   system's thread pool waits (many processes per thread) and its callback wakes the task;
//!   the status is then read with std's `try_wait`. There are no zombies to reap: dropping a
//!   [`Child`] only closes its handle.
//! - **The pipes** are the ones std makes for a child, which a completion port cannot report
//!   readiness for, so their reads and writes run on the blocking pool (as
//!   [`io::stdin`](crate::io::stdin) and friends do), through
//!   [`Unblock`](crate::blocking::Unblock). Each write is handed to the pool at once;
//!   [`ChildStdin`]'s `flush` and `close` wait until it has reached the pipe. A read in progress
//!   keeps a pool thread until the child writes or closes the pipe.
//! - **Killing** is `TerminateProcess`, with exit code 1, where Unix sends `SIGKILL`.
//! - The pipe types give their handle out through `AsHandle`, `AsRawHandle` (the readers) and
//!   `into_owned_handle`, where Unix has the descriptor traits and `into_owned_fd`.
//!
//! The examples in this documentation run Unix programs (`cat`, `sh`, `sleep`).
//!
//! ```
//! use evloop::process::Command;
//! use futures_lite::{AsyncReadExt, AsyncWriteExt};
//! use std::process::Stdio;
//!
//! # evloop::block_on(async {
//! let mut child = Command::new("cat")
//!     .stdin(Stdio::piped())
//!     .stdout(Stdio::piped())
//!     .spawn()?;
//! let mut stdin = child.stdin.take().unwrap();
//! stdin.write_all(b"hello").await?;
//! drop(stdin); // `cat` sees end-of-file
//! let mut echoed = String::new();
//! child.stdout.take().unwrap().read_to_string(&mut echoed).await?;
//! assert_eq!(echoed, "hello");
//! assert!(child.wait().await?.success());
//! # std::io::Result::Ok(())
//! # }).unwrap();
//! ```

// Only the Windows exit watcher calls into the system (and allows `unsafe` for that file).
#![deny(unsafe_code)]

mod child;
#[cfg(unix)]
mod exit;
#[cfg(windows)]
#[path = "exit_windows.rs"]
mod exit;
#[cfg(unix)]
#[path = "pipe_unix.rs"]
mod pipe;
#[cfg(windows)]
#[path = "pipe_windows.rs"]
mod pipe;

use std::ffi::OsStr;
use std::fmt;
use std::io;
use std::path::Path;
use std::process::{ExitStatus, Output, Stdio};

pub use child::{Child, ChildStderr, ChildStdin, ChildStdout};

/// A process builder, as [`std::process::Command`] with asynchronous `spawn`, `status` and
/// `output`.
///
/// The child must be spawned inside a runtime (or under [`crate::block_on`]): on Unix its exit
/// watcher and pipes register with that runtime's reactor. (On Windows the exit is awaited
/// through the system's thread pool and the pipes use the blocking pool of the runtime they are
/// read or written in.)
pub struct Command {
    std: std::process::Command,
    kill_on_drop: bool,
}

impl Command {
    /// A command that runs `program`, with the defaults of [`std::process::Command::new`]
    /// (inherited environment, working directory and standard streams).
    pub fn new(program: impl AsRef<OsStr>) -> Command {
        Command::from(std::process::Command::new(program))
    }

    /// Adds one argument.
    pub fn arg(&mut self, arg: impl AsRef<OsStr>) -> &mut Command {
        self.std.arg(arg);
        self
    }

    /// Adds several arguments.
    pub fn args<I, S>(&mut self, args: I) -> &mut Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.std.args(args);
        self
    }

    /// Sets an environment variable for the child.
    pub fn env(&mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> &mut Command {
        self.std.env(key, value);
        self
    }

    /// Sets several environment variables for the child.
    pub fn envs<I, K, V>(&mut self, vars: I) -> &mut Command
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        self.std.envs(vars);
        self
    }

    /// Removes an environment variable from the child's environment.
    pub fn env_remove(&mut self, key: impl AsRef<OsStr>) -> &mut Command {
        self.std.env_remove(key);
        self
    }

    /// Clears the child's environment.
    pub fn env_clear(&mut self) -> &mut Command {
        self.std.env_clear();
        self
    }

    /// Sets the child's working directory.
    pub fn current_dir(&mut self, dir: impl AsRef<Path>) -> &mut Command {
        self.std.current_dir(dir);
        self
    }

    /// The child's standard input; [`Stdio::piped`] makes [`Child::stdin`] a writer.
    pub fn stdin(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.std.stdin(cfg);
        self
    }

    /// The child's standard output; [`Stdio::piped`] makes [`Child::stdout`] a reader.
    pub fn stdout(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.std.stdout(cfg);
        self
    }

    /// The child's standard error; [`Stdio::piped`] makes [`Child::stderr`] a reader.
    pub fn stderr(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.std.stderr(cfg);
        self
    }

    /// Whether dropping the [`Child`] before it exited kills it (default `false`, as tokio's):
    /// `SIGKILL` on Unix, `TerminateProcess` on Windows. Either way a Unix process is reaped
    /// once it exits.
    ///
    /// ```
    /// use evloop::process::Command;
    ///
    /// # evloop::block_on(async {
    /// let child = Command::new("sleep").arg("1000").kill_on_drop(true).spawn()?;
    /// drop(child); // killed, and reaped in the background
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn kill_on_drop(&mut self, kill_on_drop: bool) -> &mut Command {
        self.kill_on_drop = kill_on_drop;
        self
    }

    /// Whether [`kill_on_drop`](Command::kill_on_drop) is set.
    pub fn get_kill_on_drop(&self) -> bool {
        self.kill_on_drop
    }

    /// The wrapped std command, for options this type does not repeat
    /// (`std::os::unix::process::CommandExt`: `uid`, `gid`, `process_group`, …;
    /// `std::os::windows::process::CommandExt`: `show_window`, …).
    pub fn as_std(&self) -> &std::process::Command {
        &self.std
    }

    /// The wrapped std command, mutably.
    pub fn as_std_mut(&mut self) -> &mut std::process::Command {
        &mut self.std
    }

    /// Sets the [process creation flags] of the child (`CREATE_NO_WINDOW`,
    /// `CREATE_NEW_PROCESS_GROUP`, …), as std's `CommandExt::creation_flags`. Windows only.
    ///
    /// [process creation flags]: https://learn.microsoft.com/en-us/windows/win32/procthread/process-creation-flags
    #[cfg(windows)]
    pub fn creation_flags(&mut self, flags: u32) -> &mut Command {
        std::os::windows::process::CommandExt::creation_flags(&mut self.std, flags);
        self
    }

    /// Appends an argument to the command line as it is, without the quoting that
    /// [`arg`](Command::arg) applies, as std's `CommandExt::raw_arg` (for programs such as
    /// `cmd.exe /C` that parse their command line their own way). Windows only.
    #[cfg(windows)]
    pub fn raw_arg(&mut self, text: impl AsRef<OsStr>) -> &mut Command {
        std::os::windows::process::CommandExt::raw_arg(&mut self.std, text);
        self
    }

    /// Starts the process.
    ///
    /// # Errors
    /// If the program cannot be started (`NotFound` for a missing program), or its exit watcher
    /// or pipes cannot be set up (then the process is killed, and reaped on Unix).
    pub fn spawn(&mut self) -> io::Result<Child> {
        let child = self.std.spawn()?;
        Child::new(child, self.kill_on_drop)
    }

    /// Starts the process and waits for it to exit. The standard streams are inherited unless
    /// set otherwise; a piped stdin is closed at once.
    ///
    /// ```
    /// use evloop::process::Command;
    ///
    /// # evloop::block_on(async {
    /// let status = Command::new("true").status().await?;
    /// assert!(status.success());
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    ///
    /// # Errors
    /// As [`spawn`](Command::spawn) and [`Child::wait`].
    pub async fn status(&mut self) -> io::Result<ExitStatus> {
        let mut child = self.spawn()?;
        // Nothing reads them: close the pipes so that the child is not blocked writing.
        drop((child.stdout.take(), child.stderr.take()));
        child.wait().await
    }

    /// Starts the process with its stdout and stderr piped (as tokio's and std's `output`),
    /// and collects them and its exit status.
    ///
    /// ```
    /// use evloop::process::Command;
    ///
    /// # evloop::block_on(async {
    /// let output = Command::new("sh").args(["-c", "echo out; echo err >&2"]).output().await?;
    /// assert_eq!(output.stdout, b"out\n");
    /// assert_eq!(output.stderr, b"err\n");
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    ///
    /// # Errors
    /// As [`spawn`](Command::spawn), or if reading the pipes fails.
    pub async fn output(&mut self) -> io::Result<Output> {
        self.std.stdout(Stdio::piped());
        self.std.stderr(Stdio::piped());
        self.spawn()?.wait_with_output().await
    }
}

impl From<std::process::Command> for Command {
    fn from(std: std::process::Command) -> Command {
        Command {
            std,
            kill_on_drop: false,
        }
    }
}

impl fmt::Debug for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Command")
            .field("std", &self.std)
            .field("kill_on_drop", &self.kill_on_drop)
            .finish()
    }
}

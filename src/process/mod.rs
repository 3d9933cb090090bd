//! Child processes: [`Command`] spawns a [`Child`] whose exit is awaited through the reactor and
//! whose piped standard streams are futures-io readers and writers (Unix).
//!
//! This is tokio's `process` module under the same names. A [`Command`] wraps
//! [`std::process::Command`] (every std option is reachable through [`Command::as_std_mut`]),
//! and adds [`kill_on_drop`](Command::kill_on_drop).
//!
//! # How the exit of a child is noticed
//! Without a thread per child: on Linux each child gets a pidfd that the reactor watches; on the
//! other Unix systems children listen for `SIGCHLD` through [`signal`](crate::signal). The
//! status is always collected for that one child only (never `waitpid(-1)`), so children that
//! other code spawned are left alone. A [`Child`] dropped before it was reaped is reaped in the
//! background once it exits: no zombies.
//!
//! # Platforms
//! Unix only for now; on Windows this module is compiled out (README's feature table says so).
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

#![forbid(unsafe_code)]

mod child;
mod exit;

use std::ffi::OsStr;
use std::fmt;
use std::io;
use std::path::Path;
use std::process::{ExitStatus, Output, Stdio};

pub use child::{Child, ChildStderr, ChildStdin, ChildStdout};

/// A process builder, as [`std::process::Command`] with asynchronous `spawn`, `status` and
/// `output`.
///
/// The child must be spawned inside a runtime (or under [`crate::block_on`]): its exit watcher
/// and pipes register with that runtime's reactor.
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

    /// Whether dropping the [`Child`] before it exited sends it `SIGKILL` (default `false`,
    /// as tokio's). Either way the process is reaped once it exits.
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
    /// (`std::os::unix::process::CommandExt`: `uid`, `gid`, `process_group`, …).
    pub fn as_std(&self) -> &std::process::Command {
        &self.std
    }

    /// The wrapped std command, mutably.
    pub fn as_std_mut(&mut self) -> &mut std::process::Command {
        &mut self.std
    }

    /// Starts the process.
    ///
    /// # Errors
    /// If the program cannot be started (`NotFound` for a missing program), or its exit watcher
    /// or pipes cannot be registered (then the process is killed and reaped).
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

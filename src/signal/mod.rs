//! Asynchronous signal handling: [`ctrl_c`], and on Unix [`unix::signal`] for any signal.
//!
//! # How a signal reaches a task (Unix)
//! 1. The first listener for a signal number installs a process-wide handler for it (through
//!    `signal-hook-registry`, which chains to any handler installed before and is what tokio
//!    uses). The handler stays installed for the life of the process: once a program listens for
//!    `SIGINT`, Ctrl-C no longer terminates it by default.
//! 2. The handler does only async-signal-safe work: it sets the signal's *pending* flag and
//!    writes one byte to a process-wide, non-blocking socket pair (the "self-pipe"); a full pipe
//!    is fine, since the flag is what counts.
//! 3. Every [`Signal`](unix::Signal) owns a duplicate of the pipe's reading end, registered with
//!    the reactor of the runtime it was created in, so a write wakes every listener, whichever
//!    runtime (or the global one) drives it.
//! 4. A woken listener *drives* the registry: under one lock it drains the pipe, then turns each
//!    pending flag into one more "delivered" count for that signal and wakes that signal's
//!    listeners. Each listener remembers the count it last reported, so every listener of a
//!    signal sees every delivery; deliveries that arrive before a listener next polls coalesce
//!    into one (as with tokio and the operating system itself).
//!
//! # Windows
//! [`ctrl_c`] listens through `SetConsoleCtrlHandler`: the system calls the handler on a thread
//! of its own, which counts the event and wakes the waiting tasks directly.
//!
//! ```no_run
//! # fn main() -> std::io::Result<()> {
//! # evloop::block_on(async {
//! evloop::signal::ctrl_c().await?;
//! println!("received Ctrl-C, shutting down");
//! # Ok(())
//! # })
//! # }
//! ```

#[cfg(unix)]
mod registry;
#[cfg(unix)]
pub mod unix;
#[cfg(windows)]
mod windows;

use std::io;

/// Waits for the next Ctrl-C: `SIGINT` on Unix, a console `CTRL_C_EVENT` on Windows.
///
/// The listener is set up when the future is first polled; a Ctrl-C before that is not seen.
/// After the first call the default behaviour of Ctrl-C (terminating the process) is replaced for
/// good: the program decides what to do.
///
/// # Errors
/// If the handler cannot be installed, or the runtime the future was polled in shuts down
/// before a Ctrl-C arrives.
///
/// ```no_run
/// #[evloop::main]
/// async fn main() {
///     evloop::spawn(async { /* serve */ });
///     evloop::signal::ctrl_c().await.expect("listening for Ctrl-C");
///     println!("bye");
/// }
/// ```
pub async fn ctrl_c() -> io::Result<()> {
    #[cfg(unix)]
    {
        let mut interrupt = unix::signal(unix::SignalKind::interrupt())?;
        match interrupt.recv().await {
            Some(()) => Ok(()),
            None => Err(io::Error::other(
                "the runtime shut down while waiting for Ctrl-C",
            )),
        }
    }
    #[cfg(windows)]
    {
        windows::ctrl_c().await
    }
}

//! # evloop
//!
//! A work-stealing async runtime for Rust: a drop-in for tokio users (same names, a one-page
//! migration in `MIGRATION.md`), native to the `futures-io` ecosystem.
//!
//! ```
//! #[evloop::main(worker_threads = 2)]
//! async fn main() {
//!     let task = evloop::spawn(async { 1 + 1 });
//!     assert_eq!(task.await.unwrap(), 2);
//! }
//! ```
//!
//! ## Module map
//! | module | what it holds |
//! |---|---|
//! | [`runtime`] | [`Builder`](runtime::Builder), [`Runtime`](runtime::Runtime), [`Handle`](runtime::Handle), metrics, shutdown |
//! | [`task`] | [`spawn`], [`JoinHandle`](task::JoinHandle), [`task_local!`], [`JoinSet`](task::JoinSet) and its [`AbortHandle`](task::AbortHandle)s, [`yield_now`](task::yield_now), [`spawn_blocking`](task::spawn_blocking) |
//! | [`time`] | [`sleep`](time::sleep), [`timeout`](time::timeout), [`interval`](time::interval): timers in the reactor's hierarchical wheel |
//! | [`io`] | the `futures-io` traits and helpers, [`Async`](io::Async) for any file descriptor, async stdio |
//! | [`fs`] | files and directories, on the blocking pool |
//! | [`blocking`] | the blocking thread pool's adapter [`Unblock`](blocking::Unblock) |
//! | [`compat`] | the ecosystem: tokio's I/O traits on evloop types and `Compat` (feature `tokio-io`), `compat::tokio(fut)` for tokio-only libraries (feature `tokio`), hyper 1.x's `rt` traits (feature `hyper`) |
//! | [`sync`] | channels ([`mpsc`](sync::mpsc), [`oneshot`](sync::oneshot), [`broadcast`](sync::broadcast), [`watch`](sync::watch)), [`Mutex`](sync::Mutex), [`RwLock`](sync::RwLock), [`Semaphore`](sync::Semaphore), [`Notify`](sync::Notify), [`Barrier`](sync::Barrier), [`OnceCell`](sync::OnceCell), [`SetOnce`](sync::SetOnce) |
//! | [`net`] | [`TcpListener`](net::TcpListener), [`TcpStream`](net::TcpStream), [`UdpSocket`](net::UdpSocket), Unix domain sockets, [`lookup_host`](net::lookup_host) |
//! | [`signal`] | [`ctrl_c`](signal::ctrl_c) and, on Unix, [`signal::unix::signal`] for any signal, through a self-pipe watched by the reactor |
//! | [`process`] | [`Command`](process::Command) and [`Child`](process::Child): child processes whose exit is awaited without a thread per child (a pidfd on Linux, `RegisterWaitForSingleObject` on Windows), with futures-io pipes |
//! | `scheduler` (internal) | the multi-thread work-stealing scheduler and the current-thread one |
//! | `reactor` (internal) | the epoll backend, readiness sources, the timer wheel and the per-runtime driver |
//! | [`select!`], [`join!`], [`try_join!`] | waiting on several futures at once, from `macros` (internal; helpers under `__private`) |
//! | `loom` (internal) | the synchronization facade that model checks swap out |
//!
//! ## The path of a task
//! A future given to [`spawn`] becomes an [`async-task`](https://docs.rs/async-task) task whose
//! schedule function pushes its runnable onto a run queue; worker threads pop runnables and poll
//! them; a task that returns `Pending` has handed its waker to whatever it waits on, and waking it
//! pushes it again. Blocking work goes to the blocking pool and comes back as a `JoinHandle`.

#![warn(
    missing_docs,
    missing_debug_implementations,
    rust_2018_idioms,
    unreachable_pub,
    clippy::undocumented_unsafe_blocks
)]
#![deny(unsafe_op_in_unsafe_fn)]
#![doc(test(attr(deny(warnings))))]

pub mod blocking;
pub mod compat;
pub mod fs;
pub mod io;
pub(crate) mod loom;
mod macros;
pub mod net;
#[cfg(any(unix, windows))]
pub mod process;
pub(crate) mod reactor;
pub mod runtime;
pub(crate) mod scheduler;
pub mod signal;
pub mod sync;
pub mod task;
pub mod time;

pub use evloop_macros::{main, test};
#[doc(hidden)]
pub use macros::__private;
pub use task::spawn;

/// Runs a future to completion on the current thread, with the global runtime current.
///
/// Tasks spawned inside run on the global multi-threaded runtime (started on first use); the
/// future itself is polled on the calling thread, which sleeps while it is pending.
///
/// # Panics
/// If called from a thread that drives a runtime's tasks, or inside another `block_on`.
///
/// ```
/// let value = evloop::block_on(async {
///     let task = evloop::spawn(async { 21 * 2 });
///     task.await.unwrap()
/// });
/// assert_eq!(value, 42);
/// ```
#[track_caller]
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    runtime::Handle::global().block_on(future)
}

/// README.md's examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

/// MIGRATION.md's examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../MIGRATION.md")]
pub struct MigrationDoctests;

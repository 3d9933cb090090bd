//! The blocking thread pool.
//!
//! Some work cannot be done without blocking a thread: reading a regular
//! file, resolving a host name, or any user closure handed to
//! [`spawn_blocking`](crate::task::spawn_blocking). Running such work on a
//! worker thread would stall every task queued behind it, so the runtime
//! sends it to a separate pool of threads that exist only to block.
//!
//! Jobs are [`async_task::Runnable`]s. They are queued in FIFO order and each
//! one is run to completion by exactly one pool thread. A job that panics is
//! contained: the panic is reported through the task's join handle and the
//! thread moves on to the next job.
//!
//! # Growing and shrinking
//!
//! The pool starts with no threads and grows on demand:
//!
//! * when a job is queued and a thread is idle, exactly one idle thread is
//!   woken to take it;
//! * otherwise, if fewer than `max_threads` threads exist, a new thread is
//!   started for it;
//! * otherwise the job waits in the queue until a thread finishes its
//!   current job.
//!
//! A thread that has found no work for `keep_alive` exits, so a burst of
//! blocking work does not leave hundreds of sleeping threads behind.
//!
//! # Shutdown
//!
//! Shutting the pool down proceeds as follows:
//!
//! 1. The pool stops accepting jobs; anything scheduled from now on is
//!    dropped, which cancels its task.
//! 2. Jobs that are queued but have not started are dropped (cancelled).
//! 3. Idle threads are woken so they notice the shutdown and exit; busy
//!    threads exit once their current job returns.
//! 4. The caller waits for the threads to exit, either without limit or up to
//!    a timeout. Threads still running a job when the timeout passes are left
//!    to finish on their own, detached. A pool thread that shuts down its own
//!    pool never waits for itself.
//!
//! Only the first shutdown does anything; later calls, including the one made
//! when the pool is dropped, return at once and leave detached threads be.
//!
//! # Adapting blocking I/O
//!
//! [`Unblock`] wraps a blocking reader, writer or seeker and drives it on the
//! pool, exposing it through the asynchronous `futures-io` traits.

mod pool;
mod unblock;

pub(crate) use pool::{BlockingConfig, BlockingPool};
pub use unblock::Unblock;

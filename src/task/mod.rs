//! Asynchronous tasks: [`spawn`], [`JoinHandle`], [`JoinSet`] (with an [`AbortHandle`] per
//! task), [`yield_now`], [`spawn_blocking`], [`block_in_place`], and [`spawn_local`] on a
//! [`LocalSet`] for `!Send` futures.
//!
//! A task is an [`async-task`](https://docs.rs/async-task) task: one allocation holding the
//! future, its state word and a `TaskMeta` header. Spawning creates it and pushes
//! it onto a run queue; waking it pushes it again; a worker pops it and polls it. A
//! [`LocalSet`]'s tasks are the same, with a smaller header and the set's own queue (see
//! `local.rs`).

mod block_in_place;
pub(crate) mod coop;
mod join;
mod join_set;
mod local;
pub(crate) mod raw;
pub(crate) mod registry;
mod task_local;
mod yield_now;

use std::future::Future;

pub use block_in_place::block_in_place;
pub use coop::{consume_budget, unconstrained, Unconstrained};
pub use join::{JoinError, JoinHandle};
pub use join_set::{AbortHandle, JoinSet};
pub use local::{spawn_local, LocalEnterGuard, LocalSet};
pub(crate) use raw::TaskMeta;
pub use raw::{id, try_id, Id};
pub use task_local::{AccessError, LocalKey};
pub use yield_now::yield_now;

/// Task-related futures.
pub mod futures {
    pub use super::task_local::TaskLocalFuture;
}

use crate::runtime::{context, Handle};

/// Spawns a new asynchronous task, returning a [`JoinHandle`] for it.
///
/// Inside a runtime (on one of its threads, or inside its `block_on` or `enter`) the task runs on
/// that runtime. Outside any runtime it runs on a global multi-threaded runtime that is started
/// the first time it is needed, so `spawn` never panics for want of a runtime.
///
/// The task starts running at once, whether or not the `JoinHandle` is awaited; dropping the
/// handle detaches the task.
///
/// Spawned from a task on a multi-threaded runtime, the new task is queued on the same worker,
/// where a sleeping worker is woken to steal it if need be: unlike tokio's, a child spawned by a
/// task that then blocks its thread (instead of awaiting) still runs. Blocking work belongs in
/// [`spawn_blocking`] or [`block_in_place`] all the same.
///
/// ```
/// # evloop::block_on(async {
/// let handle = evloop::spawn(async { "hello" });
/// assert_eq!(handle.await.unwrap(), "hello");
/// # });
/// ```
#[track_caller]
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    match context::try_with_current(future, |handle, future| handle.spawn_inner(future)) {
        Ok(handle) => handle,
        Err(future) => Handle::global().spawn_inner(future),
    }
}

/// Runs a blocking closure on the blocking thread pool, returning a [`JoinHandle`] for its
/// result.
///
/// Use it for work that would otherwise stall a worker: blocking system calls, synchronous
/// libraries, long CPU-bound computations. The pool grows on demand up to
/// `Builder::max_blocking_threads` threads (512 by default); beyond that, closures wait in a FIFO
/// queue. A closure that panics yields a [`JoinError`] for which [`JoinError::is_panic`] is true.
///
/// A closure that has started cannot be aborted; aborting its handle only detaches it.
///
/// ```
/// # evloop::block_on(async {
/// let sum = evloop::task::spawn_blocking(|| (1..=100u32).sum::<u32>()).await.unwrap();
/// assert_eq!(sum, 5050);
/// # });
/// ```
#[track_caller]
pub fn spawn_blocking<F, R>(f: F) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    match context::try_with_current(f, |handle, f| handle.spawn_blocking_inner(f)) {
        Ok(handle) => handle,
        Err(f) => Handle::global().spawn_blocking_inner(f),
    }
}

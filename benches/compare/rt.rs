//! The small runtime abstraction every workload is written against.
//!
//! Each peer implements [`Runtime`] with the calls its users would write
//! (`tokio::spawn`, `Executor::spawn`, `evloop::spawn`, ...). Workloads only
//! use this trait, so every peer runs identical workload code; the only
//! per-peer code is the thin mapping below each `impl Runtime`.

use std::future::Future;

/// A runtime under test.
///
/// Associated functions without `&self` (`spawn`, `yield_now`, ...) must be
/// called from inside the runtime: from a future passed to
/// [`Runtime::block_on`] or from a task spawned on it.
pub trait Runtime: Sized {
    /// Name used in tables, JSON and the chart.
    const NAME: &'static str;

    /// Builds a runtime with `workers` worker threads; `workers == 1` selects
    /// the peer's single-threaded flavour.
    fn new(workers: usize) -> Self;

    /// How the runtime was configured, in words (for the JSON report).
    fn describe(workers: usize) -> String;

    /// Runs `f` to completion on the calling thread.
    fn block_on<F: Future>(&self, f: F) -> F::Output;

    /// Spawns from a thread outside the runtime; the returned future resolves
    /// to the task's output.
    fn spawn_remote<F>(&self, f: F) -> impl Future<Output = F::Output> + Send + 'static
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static;

    /// Spawns from inside the runtime; the returned future resolves to the
    /// task's output (a panic in the task is a bug in the workload and
    /// aborts the benchmark).
    fn spawn<F>(f: F) -> impl Future<Output = F::Output> + Send + 'static
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static;

    /// Spawns from inside the runtime and lets the task run to completion on
    /// its own (the handle is dropped or detached).
    fn spawn_detached<F>(f: F)
    where
        F: Future<Output = ()> + Send + 'static;

    /// Yields once to the scheduler.
    fn yield_now() -> impl Future<Output = ()> + Send;

    /// Whether [`Runtime::spawn_blocking`] is backed by a pool in this build.
    const BLOCKING_POOL: bool = true;

    /// Runs `f` on the peer's pool for blocking work; the returned future
    /// resolves to its result.
    fn spawn_blocking<F, T>(f: F) -> impl Future<Output = T> + Send + 'static
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static;
}

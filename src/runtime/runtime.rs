use std::fmt;
use std::future::Future;
use std::thread::JoinHandle as ThreadHandle;
use std::time::{Duration, Instant};

use super::inner::Scheduler;
use super::{Builder, EnterGuard, Handle, RuntimeMetrics};
use crate::task::JoinHandle;

/// The evloop runtime: worker threads (or the current thread), their run queues and the blocking
/// pool.
///
/// Dropping a `Runtime` shuts it down: every task that has not finished is cancelled (its future
/// dropped, destructors run), and the runtime's threads are joined. See
/// [`Runtime::shutdown_timeout`] to bound the wait for blocking closures.
///
/// ```
/// use evloop::runtime::Runtime;
///
/// let rt = Runtime::new().unwrap();
/// let answer = rt.block_on(async {
///     let task = evloop::spawn(async { 40 });
///     task.await.unwrap() + 2
/// });
/// assert_eq!(answer, 42);
/// ```
pub struct Runtime {
    handle: Handle,
    workers: Vec<ThreadHandle<()>>,
}

/// The kind of scheduler a runtime uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RuntimeFlavor {
    /// Every task runs on the thread that drives the runtime.
    CurrentThread,
    /// Tasks run on a pool of work-stealing worker threads.
    MultiThread,
}

impl Runtime {
    /// A multi-threaded runtime with default settings (one worker per core).
    ///
    /// # Errors
    /// If a thread cannot be started.
    pub fn new() -> std::io::Result<Runtime> {
        Builder::new_multi_thread().build()
    }

    pub(crate) fn from_parts(handle: Handle) -> Runtime {
        Runtime {
            handle,
            workers: Vec::new(),
        }
    }

    pub(crate) fn push_worker(&mut self, thread: ThreadHandle<()>) {
        self.workers.push(thread);
    }

    /// The runtime's [`Handle`].
    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    /// Spawns a task on this runtime; see [`crate::spawn`].
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.handle.spawn(future)
    }

    /// Runs a blocking closure on this runtime's blocking pool.
    #[track_caller]
    pub fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.handle.spawn_blocking(f)
    }

    /// Runs `future` to completion on the current thread; see [`Handle::block_on`].
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.handle.block_on(future)
    }

    /// Makes this runtime current until the guard drops; see [`Handle::enter`].
    pub fn enter(&self) -> EnterGuard<'_> {
        self.handle.enter()
    }

    /// Counters describing this runtime.
    pub fn metrics(&self) -> RuntimeMetrics {
        self.handle.metrics()
    }

    /// Drives the runtime until every task spawned on it (including `spawn_blocking` closures)
    /// has finished, then shuts it down.
    ///
    /// This is the event loop's own mode of use: a program whose work is all spawned tasks needs
    /// no `block_on`. Tasks spawned while `run` waits are waited for too.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    ///
    /// let rt = evloop::runtime::Runtime::new().unwrap();
    /// let done = Arc::new(AtomicUsize::new(0));
    /// for _ in 0..10 {
    ///     let done = done.clone();
    ///     rt.spawn(async move {
    ///         evloop::task::yield_now().await;
    ///         done.fetch_add(1, Ordering::SeqCst);
    ///     });
    /// }
    /// rt.run();
    /// assert_eq!(done.load(Ordering::SeqCst), 10);
    /// ```
    #[track_caller]
    pub fn run(self) {
        {
            let _block_on = super::context::enter_block_on();
            let _current = super::context::set_current(self.handle.clone());
            self.handle.inner.wait_all_tasks();
        }
        drop(self);
    }

    /// Shuts the runtime down, waiting at most `timeout` for its threads (blocking closures that
    /// are still running after that are left to finish on their own, detached).
    pub fn shutdown_timeout(mut self, timeout: Duration) {
        self.shutdown(Some(timeout));
    }

    /// Shuts the runtime down without waiting for its threads.
    pub fn shutdown_background(self) {
        self.shutdown_timeout(Duration::ZERO);
    }

    fn shutdown(&mut self, timeout: Option<Duration>) {
        let deadline = timeout.map(|t| Instant::now() + t);
        let inner = &self.handle.inner;
        match &inner.scheduler {
            Scheduler::MultiThread(shared) => {
                shared.begin_shutdown();
                join_threads(std::mem::take(&mut self.workers), deadline);
                // Threads that took a worker over from one in `block_in_place`. A thread pushes
                // its replacement before it blocks, so once it is joined, its replacement is
                // listed.
                loop {
                    let replacements = inner.workers.take_replacements();
                    if replacements.is_empty() {
                        break;
                    }
                    join_threads(replacements, deadline);
                }
                shared.drain_queues();
            }
            Scheduler::CurrentThread(shared) => shared.shutdown(),
        }
        // Every task still alive is woken, which (the scheduler being shut down) drops it:
        // including tasks only reachable through each other's wakers or a JoinHandle.
        for waker in inner.registry.drain() {
            waker.wake();
        }
        // Tasks waiting on I/O or timers are woken, which (the scheduler being shut down) drops
        // them.
        inner.driver.shutdown();
        let remaining = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        inner.blocking.shutdown(remaining);
    }
}

/// Joins `threads`, giving up at `deadline`; never joins the calling thread itself (a runtime
/// dropped from inside one of its own tasks).
fn join_threads(threads: Vec<ThreadHandle<()>>, deadline: Option<Instant>) {
    let me = std::thread::current().id();
    for thread in threads {
        if thread.thread().id() == me {
            continue;
        }
        match deadline {
            None => {
                let _ = thread.join();
            }
            Some(deadline) => {
                // Bounded wait: shutdown is not a hot path, so a short sleep between checks is
                // fine and keeps the join cancellable.
                while !thread.is_finished() && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(1));
                }
                if thread.is_finished() {
                    let _ = thread.join();
                }
            }
        }
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.shutdown(None);
    }
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime")
            .field("flavor", &self.handle.runtime_flavor())
            .field("workers", &self.workers.len())
            .finish()
    }
}

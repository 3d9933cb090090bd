use std::fmt;

use super::inner::{RuntimeInner, Scheduler};
use std::sync::Arc;

use crate::loom::Ordering;
use crate::scheduler::multi_thread::WorkerMetrics;

/// A snapshot view of a runtime's counters.
///
/// Counters are read with relaxed loads while the runtime runs, so values read together are not
/// an atomic snapshot; each is exact on its own.
///
/// ```
/// let rt = evloop::runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap();
/// let m = rt.metrics();
/// assert_eq!(m.num_workers(), 2);
/// assert_eq!(m.num_alive_tasks(), 0);
/// ```
#[derive(Clone)]
pub struct RuntimeMetrics {
    inner: Arc<RuntimeInner>,
}

impl fmt::Debug for RuntimeMetrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RuntimeMetrics")
            .field("num_workers", &self.num_workers())
            .field("num_alive_tasks", &self.num_alive_tasks())
            .field("global_queue_depth", &self.global_queue_depth())
            .finish_non_exhaustive()
    }
}

impl RuntimeMetrics {
    pub(crate) fn new(inner: Arc<RuntimeInner>) -> RuntimeMetrics {
        RuntimeMetrics { inner }
    }

    /// Number of worker threads (1 for a current-thread runtime).
    pub fn num_workers(&self) -> usize {
        self.inner.num_workers()
    }

    /// Number of tasks (including `spawn_blocking` closures) whose future has not been dropped
    /// yet.
    pub fn num_alive_tasks(&self) -> usize {
        self.inner.live_tasks()
    }

    /// Number of runnables waiting in the global (injector) queue.
    pub fn global_queue_depth(&self) -> usize {
        match &self.inner.scheduler {
            Scheduler::MultiThread(shared) => shared.injector.len(),
            Scheduler::CurrentThread(shared) => shared.injector_len(),
        }
    }

    /// Number of runnables in worker `worker`'s local queue (0 for a current-thread runtime).
    ///
    /// # Panics
    /// If `worker >= num_workers()`.
    pub fn worker_local_queue_depth(&self, worker: usize) -> usize {
        match &self.inner.scheduler {
            Scheduler::MultiThread(shared) => shared.workers[worker].local.len(),
            Scheduler::CurrentThread(_) => {
                assert_eq!(worker, 0, "worker index out of range");
                0
            }
        }
    }

    /// Number of task polls performed by worker `worker`.
    ///
    /// # Panics
    /// If `worker >= num_workers()`.
    pub fn worker_poll_count(&self, worker: usize) -> u64 {
        self.worker(worker).polls.load(Ordering::Relaxed)
    }

    /// Number of successful steals (each moving half of a victim's queue) by worker `worker`.
    ///
    /// # Panics
    /// If `worker >= num_workers()`.
    pub fn worker_steal_count(&self, worker: usize) -> u64 {
        self.worker(worker).steals.load(Ordering::Relaxed)
    }

    /// Number of times worker `worker` went to sleep for want of work.
    ///
    /// # Panics
    /// If `worker >= num_workers()`.
    pub fn worker_park_count(&self, worker: usize) -> u64 {
        self.worker(worker).parks.load(Ordering::Relaxed)
    }

    /// Number of threads in the blocking pool (busy or idle).
    pub fn num_blocking_threads(&self) -> usize {
        self.inner.blocking.num_threads()
    }

    /// Number of idle threads in the blocking pool.
    pub fn num_idle_blocking_threads(&self) -> usize {
        self.inner.blocking.num_idle_threads()
    }

    /// Number of closures waiting for a blocking-pool thread.
    pub fn blocking_queue_depth(&self) -> usize {
        self.inner.blocking.queue_depth()
    }

    fn worker(&self, worker: usize) -> &WorkerMetrics {
        match &self.inner.scheduler {
            Scheduler::MultiThread(shared) => &shared.workers[worker].metrics,
            Scheduler::CurrentThread(shared) => {
                assert_eq!(worker, 0, "worker index out of range");
                &shared.metrics
            }
        }
    }
}

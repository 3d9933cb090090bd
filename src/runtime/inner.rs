//! [`RuntimeInner`]: the state one runtime's threads, handles and tasks share.

use std::fmt;
use std::future::Future;

use crate::blocking::BlockingPool;
use crate::reactor::Driver;
use crate::runtime::{context, WorkerThreads};
use std::sync::Arc;

use super::live::LiveCount;
use crate::loom::{lock, AtomicBool, Condvar, Mutex, Ordering};
use crate::scheduler::{current_thread, multi_thread, schedule_local, Reason};
use crate::task::raw::{new_task, Placement, Runnable};
use crate::task::registry::Registry;
use crate::task::JoinHandle;

/// Which scheduler a runtime uses.
pub(crate) enum Scheduler {
    MultiThread(multi_thread::Shared),
    CurrentThread(current_thread::Shared),
}

pub(crate) struct RuntimeInner {
    pub(crate) scheduler: Scheduler,
    /// The reactor and timers.
    pub(crate) driver: Arc<Driver>,
    /// Every live async task, for shutdown.
    pub(crate) registry: Registry,
    pub(crate) blocking: BlockingPool,
    /// How worker threads are started (multi-thread flavor), and those started by
    /// `block_in_place`.
    pub(crate) workers: WorkerThreads,
    /// Tasks (async and blocking) whose future has not been dropped yet.
    live: LiveCount,
    /// Set while some thread waits in `Runtime::run` for `live` to reach zero.
    run_waiting: AtomicBool,
    run_lock: Mutex<()>,
    run_cvar: Condvar,
}

impl fmt::Debug for RuntimeInner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RuntimeInner")
            .field("live_tasks", &self.live_tasks())
            .finish_non_exhaustive()
    }
}

impl RuntimeInner {
    pub(crate) fn new(
        scheduler: Scheduler,
        driver: Arc<Driver>,
        blocking: BlockingPool,
        workers: WorkerThreads,
    ) -> RuntimeInner {
        let threads = match &scheduler {
            Scheduler::MultiThread(shared) => shared.workers.len(),
            Scheduler::CurrentThread(_) => 1,
        };
        let registry = Registry::new(threads);
        RuntimeInner {
            scheduler,
            driver,
            registry,
            blocking,
            workers,
            live: LiveCount::new(threads),
            run_waiting: AtomicBool::new(false),
            run_lock: Mutex::new(()),
            run_cvar: Condvar::new(),
        }
    }

    pub(crate) fn multi_thread(&self) -> &multi_thread::Shared {
        match &self.scheduler {
            Scheduler::MultiThread(shared) => shared,
            Scheduler::CurrentThread(_) => unreachable!("not a multi-thread runtime"),
        }
    }

    /// Starts a thread that takes worker `index` over from the calling thread, which is that
    /// worker's thread and is about to block (`block_in_place`).
    pub(crate) fn spawn_replacement_worker(&self, index: usize) -> std::io::Result<()> {
        // A worker thread has its runtime's handle current for its whole life.
        match context::current() {
            Some(handle) if std::ptr::eq(Arc::as_ptr(&handle.inner), self) => {
                self.workers.spawn_replacement(&handle, index)
            }
            _ => Err(std::io::Error::other(
                "not on a worker thread of this runtime",
            )),
        }
    }

    pub(crate) fn num_workers(&self) -> usize {
        match &self.scheduler {
            Scheduler::MultiThread(shared) => shared.workers.len(),
            Scheduler::CurrentThread(_) => 1,
        }
    }

    /// Spawns `future` as a task of this runtime.
    pub(crate) fn spawn<F>(self: &Arc<Self>, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let (runnable, task) = new_task(self.clone(), Placement::Scheduler, future);
        self.schedule_runnable(runnable, Reason::Spawned);
        JoinHandle::new(task)
    }

    /// Runs `f` on this runtime's blocking pool.
    pub(crate) fn spawn_blocking<F, R>(self: &Arc<Self>, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        let (runnable, task) = new_task(self.clone(), Placement::Blocking, async move { f() });
        self.blocking.schedule(runnable);
        JoinHandle::new(task)
    }

    /// The schedule function of every task (see `task::raw`).
    pub(crate) fn schedule(runnable: Runnable, yielded: bool) {
        let reason = if yielded {
            Reason::Yielded
        } else {
            Reason::Woken
        };
        let meta = runnable.metadata();
        if meta.placement() == Placement::Blocking {
            let rt = meta.rt.clone();
            rt.blocking.schedule(runnable);
            return;
        }
        let rt: *const RuntimeInner = Arc::as_ptr(&meta.rt);
        // Fast path: this thread drives `rt`, and keeps it alive while it does.
        if let Err(runnable) = schedule_local(rt, runnable, reason) {
            // Slow path: keep the runtime alive ourselves, since the runnable (and with it the
            // task's reference to the runtime) may be gone as soon as it is pushed.
            let rt = runnable.metadata().rt.clone();
            rt.schedule_remote(runnable);
        }
    }

    fn schedule_runnable(&self, runnable: Runnable, reason: Reason) {
        if let Err(runnable) = schedule_local(self, runnable, reason) {
            self.schedule_remote(runnable);
        }
    }

    fn schedule_remote(&self, runnable: Runnable) {
        match &self.scheduler {
            Scheduler::MultiThread(shared) => shared.schedule_remote(runnable),
            Scheduler::CurrentThread(shared) => shared.schedule_remote(runnable),
        }
    }

    pub(crate) fn task_spawned(&self) {
        self.live.spawned();
    }

    /// Called exactly once per task, when its future is dropped.
    pub(crate) fn task_dropped(&self) {
        // The drop is counted (`SeqCst`) before the flag is read; `wait_all_tasks` sets the flag
        // before it reads the count: one of the two sees the other.
        self.live.dropped();
        if self.run_waiting.load(Ordering::SeqCst) && self.live.is_zero() {
            self.notify_run_waiter();
        }
    }

    pub(crate) fn live_tasks(&self) -> usize {
        self.live.get()
    }

    fn notify_run_waiter(&self) {
        drop(lock(&self.run_lock));
        self.run_cvar.notify_all();
        if let Scheduler::CurrentThread(shared) = &self.scheduler {
            shared.wake_driver();
        }
    }

    /// Blocks until every task of this runtime has finished (multi-thread flavor), or drives the
    /// runtime until then (current-thread flavor).
    pub(crate) fn wait_all_tasks(&self) {
        self.run_waiting.store(true, Ordering::SeqCst);
        match &self.scheduler {
            Scheduler::CurrentThread(shared) => {
                shared.block_on(self, |_cx| {
                    if self.live.is_zero() {
                        std::task::Poll::Ready(())
                    } else {
                        std::task::Poll::Pending
                    }
                });
            }
            Scheduler::MultiThread(_) => {
                let mut guard = lock(&self.run_lock);
                while !self.live.is_zero() {
                    guard = match self.run_cvar.wait(guard) {
                        Ok(guard) => guard,
                        Err(poisoned) => poisoned.into_inner(),
                    };
                }
            }
        }
        self.run_waiting.store(false, Ordering::SeqCst);
    }
}

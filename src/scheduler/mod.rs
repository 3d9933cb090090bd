//! The schedulers: where runnable tasks wait and which thread runs them.
//!
//! - [`multi_thread`]: a pool of workers, each with a local run queue and a LIFO slot, sharing a
//!   global injector, stealing from each other when idle.
//! - [`current_thread`]: every task runs on the thread that calls `block_on` (or `run`).
//!
//! Both receive runnables from the one schedule function of every task
//! (`RuntimeInner::schedule`). A thread that drives a scheduler publishes a [`Local`] context in a
//! thread local; a wake-up from such a thread for its own runtime takes the fast local path (no
//! synchronisation beyond the local queue), any other wake-up goes through the shared injector.

pub(crate) mod current_thread;
pub(crate) mod multi_thread;
pub(crate) mod park;

use std::cell::Cell;

use crate::runtime::RuntimeInner;
use crate::task::raw::Runnable;

/// The scheduler-side state of a thread that drives a runtime.
pub(crate) struct Local<'a> {
    pub(crate) rt: &'a RuntimeInner,
    pub(crate) kind: LocalKind<'a>,
}

pub(crate) enum LocalKind<'a> {
    Worker(&'a multi_thread::WorkerLocal),
    Current(&'a current_thread::CoreLocal),
}

thread_local! {
    /// The `Local` of the scheduler this thread drives, or null.
    ///
    /// # Invariant
    /// When non-null, it points to a `Local` that lives on this thread's stack for as long as the
    /// pointer is set ([`LocalGuard`] restores the previous value before that frame returns).
    static LOCAL: Cell<*const Local<'static>> = const { Cell::new(std::ptr::null()) };
}

/// Publishes a `Local` for the current thread until dropped.
pub(crate) struct LocalGuard {
    prev: *const Local<'static>,
}

impl LocalGuard {
    pub(crate) fn enter(local: &Local<'_>) -> LocalGuard {
        let ptr = (local as *const Local<'_>).cast::<Local<'static>>();
        LocalGuard {
            prev: LOCAL.with(|l| l.replace(ptr)),
        }
    }
}

impl Drop for LocalGuard {
    fn drop(&mut self) {
        LOCAL.with(|l| l.set(self.prev));
    }
}

/// Why a runnable is being scheduled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reason {
    /// A new task's first schedule.
    Spawned,
    /// Woken by another task or a resource.
    Woken,
    /// Woken by itself while running: `yield_now`, or a resource whose poll budget ran out.
    Yielded,
}

/// Calls `f` with the `Local` of the scheduler this thread drives, or `None` if it drives none.
#[inline]
fn with_local<R>(f: impl FnOnce(Option<&Local<'_>>) -> R) -> R {
    LOCAL.with(|l| {
        let ptr = l.get();
        // SAFETY: when non-null, it points to a live `Local` on this thread's stack (invariant
        // of `LOCAL`), which outlives this call; we only read through it on this thread.
        f(unsafe { ptr.as_ref() })
    })
}

/// Schedules `runnable` through the current thread's `Local` if that thread drives `rt`;
/// gives the runnable back otherwise.
#[inline]
pub(crate) fn schedule_local(
    rt: *const RuntimeInner,
    runnable: Runnable,
    reason: Reason,
) -> Result<(), Runnable> {
    with_local(|local| {
        let Some(local) = local.filter(|local| std::ptr::eq(local.rt, rt)) else {
            return Err(runnable);
        };
        match &local.kind {
            LocalKind::Worker(worker) => worker.schedule(local.rt, runnable, reason),
            LocalKind::Current(core) => core.schedule(runnable),
        }
        Ok(())
    })
}

/// The index of the multi-thread worker this thread runs, if it runs one (of any runtime).
pub(crate) fn current_worker_index() -> Option<usize> {
    with_local(|local| match &local?.kind {
        LocalKind::Worker(worker) => Some(worker.index()),
        LocalKind::Current(_) => None,
    })
}

/// Hands the registry key of a task whose future was just dropped to this thread's worker, if
/// it is a running worker of runtime `rt`, which removes such keys in batches; `Err` gives the
/// key back to be removed by the caller.
#[inline]
pub(crate) fn retire_local(
    rt: *const RuntimeInner,
    key: crate::task::registry::EntryKey,
) -> Result<(), crate::task::registry::EntryKey> {
    with_local(|local| match local {
        Some(Local {
            rt: local_rt,
            kind: LocalKind::Worker(worker),
        }) if std::ptr::eq(*local_rt, rt) => worker.retire(local_rt, key),
        _ => Err(key),
    })
}

/// Returns `true` if the current thread is a worker or driver of some runtime (where blocking
/// would stall other tasks).
pub(crate) fn on_runtime_thread() -> bool {
    LOCAL.with(|l| !l.get().is_null())
}

/// What [`enter_block_in_place`] found on the calling thread.
pub(crate) enum BlockInPlace {
    /// Not a thread that runs a scheduler's tasks (or one inside a blocking region already):
    /// blocking it stalls no other task.
    Elsewhere,
    /// The thread of a current-thread runtime: no other thread can take its tasks over.
    CurrentThread,
    /// A multi-thread worker, whose worker a new thread has taken over (or, if no thread could
    /// be started, that keeps it and blocks it anyway).
    Worker(BlockingRegion),
}

/// Makes the calling thread a plain thread until dropped: `LOCAL` is cleared, so that what the
/// blocking code spawns or wakes goes through the injector and it may call `block_on`.
pub(crate) struct BlockingRegion {
    prev: *const Local<'static>,
}

impl Drop for BlockingRegion {
    fn drop(&mut self) {
        LOCAL.with(|l| l.set(self.prev));
    }
}

/// The scheduler's part of `task::block_in_place`: hands the calling thread's worker to a new
/// thread (see `WorkerLocal::hand_off`) and opens a blocking region.
pub(crate) fn enter_block_in_place() -> BlockInPlace {
    LOCAL.with(|l| {
        let ptr = l.get();
        if ptr.is_null() {
            return BlockInPlace::Elsewhere;
        }
        // SAFETY: non-null, so it points to a live `Local` on this thread's stack (invariant of
        // `LOCAL`); we only read through it on this thread. The region restores the pointer
        // before that frame can return: the region lives inside the task poll that the frame
        // is running.
        let local = unsafe { &*ptr };
        match &local.kind {
            LocalKind::Current(_) => BlockInPlace::CurrentThread,
            LocalKind::Worker(worker) => {
                if worker.is_running() {
                    // Without a new thread this worker's queued tasks wait until the blocking
                    // code returns, as they would without `block_in_place`: no error to report.
                    let _ = worker.hand_off(local.rt);
                }
                l.set(std::ptr::null());
                BlockInPlace::Worker(BlockingRegion { prev: ptr })
            }
        }
    })
}

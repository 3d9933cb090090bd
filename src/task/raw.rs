//! How a future becomes an `async-task` task.
//!
//! Each task carries a [`TaskMeta`] in its header: its [`Id`], the runtime it belongs to and
//! whether it runs on the workers or on the blocking pool. The schedule function is a zero-sized
//! closure that reads the runtime from that header, so waking a task costs no reference-count
//! traffic beyond what `async-task` itself does.
//!
//! The future is wrapped in a [`TaskFuture`] that
//! 1. catches a panic of the future and hands it to the `JoinHandle` as a value (so a panicking
//!    task never unwinds through a worker), and
//! 2. when the future is dropped (completed, panicked or cancelled), takes the task's entry out
//!    of the runtime's task registry and tells the runtime (the live-task count behind
//!    `Runtime::run` and `metrics().num_alive_tasks()`).

use std::any::Any;
use std::cell::Cell;
use std::fmt;
use std::future::Future;
use std::mem::ManuallyDrop;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll};

use std::sync::atomic::{AtomicU64, Ordering};

use super::registry::EntryKey;
use crate::runtime::RuntimeInner;
use std::sync::Arc;

/// A task's runnable handle, as the schedulers and the blocking pool see it.
pub(crate) type Runnable = async_task::Runnable<TaskMeta>;

/// The payload of a caught panic.
pub(crate) type Panic = Box<dyn Any + Send + 'static>;

/// What a task's future resolves to inside `async-task`: its output, or the panic it raised.
pub(crate) type Output<T> = Result<T, Panic>;

/// An opaque ID that identifies a task among the tasks that exist at the same time.
///
/// As with tokio's task IDs, no two tasks that exist at once share an ID, but once a task is
/// gone (it finished or was cancelled, and its `JoinHandle` was dropped) its ID may be given to
/// a new one. The ID is derived from where the task lives in memory, so a task header carries
/// no ID field and costs eight bytes less.
#[derive(Clone, Copy, Debug, Hash, Eq, PartialEq, Ord, PartialOrd)]
pub struct Id(u64);

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl Id {
    /// The ID of the task whose header holds `meta`: its address, which no other live task
    /// shares.
    pub(crate) fn of<M>(meta: &M) -> Id {
        Id(std::ptr::from_ref(meta) as usize as u64)
    }
}

thread_local! {
    /// The task being polled (or whose future is being dropped) on this thread.
    static CURRENT_ID: Cell<Option<Id>> = const { Cell::new(None) };
}

/// Makes `id` the current task's ID until dropped, then restores the previous one (a task's
/// poll can run inside another's: `block_on` within `block_in_place`, a `LocalSet` driven from
/// a task).
pub(crate) struct IdGuard(Option<Id>);

impl IdGuard {
    #[inline]
    pub(crate) fn enter(id: Id) -> IdGuard {
        IdGuard(CURRENT_ID.with(|c| c.replace(Some(id))))
    }
}

impl Drop for IdGuard {
    #[inline]
    fn drop(&mut self) {
        CURRENT_ID.with(|c| c.set(self.0));
    }
}

/// The [`Id`] of the task that is running.
///
/// # Panics
/// Outside a task (in `block_on`'s own future, or on a thread that runs no task); see
/// [`try_id`] for a version that does not panic.
///
/// ```
/// # evloop::block_on(async {
/// let handle = evloop::spawn(async { evloop::task::id() });
/// let expected = handle.id();
/// assert_eq!(handle.await.unwrap(), expected);
/// # });
/// ```
#[track_caller]
pub fn id() -> Id {
    try_id().expect("`task::id()` called outside a task")
}

/// The [`Id`] of the task that is running, or `None` outside a task.
///
/// Inside a task's poll and inside the destructor of its future; a closure of `spawn_blocking`
/// counts as a task.
pub fn try_id() -> Option<Id> {
    CURRENT_ID.with(Cell::get)
}

/// Where a task runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Placement {
    /// On the runtime's scheduler (workers or the current-thread driver).
    Scheduler,
    /// On the runtime's blocking pool.
    Blocking,
}

/// The header data of every task: two words, which is what keeps the header of a small task
/// within a 96-byte allocation (its ID is its address, and its placement is a value of the
/// registry word that no registry key takes).
pub(crate) struct TaskMeta {
    pub(crate) rt: Arc<RuntimeInner>,
    /// The task's entry in the runtime's registry (`EntryKey::NONE` if it has none), or
    /// [`BLOCKING`] for a task of the blocking pool (which is never registered). Written once,
    /// right after the task is created and before it is first scheduled.
    entry: AtomicU64,
}

/// The `entry` word of a task that runs on the blocking pool.
const BLOCKING: u64 = u64::MAX - 1;

impl TaskMeta {
    fn new(rt: Arc<RuntimeInner>, placement: Placement) -> TaskMeta {
        let entry = match placement {
            Placement::Scheduler => EntryKey::NONE.to_raw(),
            Placement::Blocking => BLOCKING,
        };
        TaskMeta {
            rt,
            entry: AtomicU64::new(entry),
        }
    }

    /// Where the task runs.
    pub(crate) fn placement(&self) -> Placement {
        // The word changes only from `NONE` to a registry key, never to or from `BLOCKING`.
        if self.entry.load(Ordering::Relaxed) == BLOCKING {
            Placement::Blocking
        } else {
            Placement::Scheduler
        }
    }
}

impl fmt::Debug for TaskMeta {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskMeta")
            .field("id", &Id::of(self))
            .field("placement", &self.placement())
            .finish_non_exhaustive()
    }
}

/// The future `async-task` runs: the user's future plus the bookkeeping in the module doc.
struct TaskFuture<'a, F> {
    meta: &'a TaskMeta,
    /// # Invariant
    /// Dropped exactly once, in `TaskFuture::drop`.
    future: ManuallyDrop<F>,
}

impl<F: Future> Future for TaskFuture<'_, F> {
    type Output = Output<F::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let _id = IdGuard::enter(Id::of(self.meta));
        // SAFETY: `future` is structurally pinned: it is never moved out of `self`, and it is
        // dropped in place.
        let future = unsafe { self.map_unchecked_mut(|this| &mut *this.future) };
        match catch_unwind(AssertUnwindSafe(|| future.poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(value)) => Poll::Ready(Ok(value)),
            Err(panic) => Poll::Ready(Err(panic)),
        }
    }
}

impl<F> Drop for TaskFuture<'_, F> {
    fn drop(&mut self) {
        let id = IdGuard::enter(Id::of(self.meta));
        let future = &mut self.future;
        // A destructor that panics must not unwind into `async-task`, which would abort the
        // process; the panic is reported by the panic hook and the task still ends normally.
        let _ = catch_unwind(AssertUnwindSafe(|| {
            // SAFETY: dropped exactly once (the invariant of `future`), and never used again.
            unsafe { ManuallyDrop::drop(future) };
        }));
        drop(id);
        let entry = self.meta.entry.load(Ordering::Relaxed);
        let waker = if entry == BLOCKING {
            None
        } else {
            // A worker of this runtime collects the key and removes a batch at a time (see
            // `WorkerLocal::retire`); elsewhere the entry is removed now.
            let key = EntryKey::from_raw(entry);
            crate::scheduler::retire_local(&*self.meta.rt, key)
                .err()
                .and_then(|key| self.meta.rt.registry.remove(key))
        };
        self.meta.rt.task_dropped();
        // The registry's waker refers to this very task; dropping it here is fine: the caller
        // (the runnable or the task handle) still holds a reference.
        drop(waker);
    }
}

/// The schedule function of every task: hand the runnable to the runtime named in its header.
fn schedule(runnable: Runnable, info: async_task::ScheduleInfo) {
    RuntimeInner::schedule(runnable, info.woken_while_running);
}

/// The closure `async-task` calls to build the task's future next to its header.
fn wrap<'a, F: 'a>(future: F) -> impl FnOnce(&'a TaskMeta) -> TaskFuture<'a, F> + 'a {
    move |meta| TaskFuture {
        meta,
        future: ManuallyDrop::new(future),
    }
}

/// Creates a task for `future` on `rt` without scheduling it.
///
/// The caller schedules the returned runnable (first schedule goes through
/// `RuntimeInner::schedule_new`) and wraps the task in a `JoinHandle`.
pub(crate) fn new_task<F>(
    rt: Arc<RuntimeInner>,
    placement: Placement,
    future: F,
) -> (Runnable, async_task::Task<Output<F::Output>, TaskMeta>)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    rt.task_spawned();
    let meta = TaskMeta::new(rt, placement);
    let make = wrap(future);
    // SAFETY: `spawn_unchecked` is unsafe for three reasons, each handled here:
    // - the future borrows the metadata for `'a`: the metadata lives in the task's header, which
    //   outlives the future (`async-task` drops the future before the header);
    // - `Send`: `F` and its output are `Send`, `TaskMeta` is `Send + Sync`, so the runnable may
    //   move between threads;
    // - `'static`: `F` is `'static` and so is the schedule function.
    let (runnable, task) = unsafe {
        async_task::Builder::new()
            .metadata(meta)
            .spawn_unchecked(make, async_task::WithInfo(schedule))
    };
    if placement == Placement::Scheduler {
        let meta = runnable.metadata();
        match meta.rt.registry.insert(runnable.waker()) {
            Ok(entry) => meta.entry.store(entry.to_raw(), Ordering::Relaxed),
            // The runtime is shutting down: scheduling will drop the task.
            Err(waker) => drop(waker),
        }
    }
    (runnable, task)
}

#[cfg(test)]
impl Default for TaskMeta {
    /// Metadata bound to a fresh, idle current-thread runtime: for unit tests that build tasks
    /// by hand and schedule them somewhere other than the runtime.
    fn default() -> TaskMeta {
        use crate::blocking::{BlockingConfig, BlockingPool};
        use crate::runtime::Scheduler;
        use crate::scheduler::current_thread;
        let driver = Arc::new(crate::reactor::Driver::new().expect("reactor for a unit test"));
        let rt = RuntimeInner::new(
            Scheduler::CurrentThread(current_thread::Shared::new(driver.clone())),
            driver,
            BlockingPool::new(BlockingConfig::default()),
            crate::runtime::WorkerThreads::new(Arc::new(String::new), None, None, None),
        );
        rt.task_spawned();
        TaskMeta::new(Arc::new(rt), Placement::Scheduler)
    }
}

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
//! 2. tells the runtime when the future is gone (the live-task count behind `Runtime::run` and
//!    `metrics().num_alive_tasks()`), and
//! 3. makes sure the future's destructor runs even on the one path where `async-task` would skip
//!    it: a detached task that returned `Pending` and kept no waker can never be polled again, and
//!    `async-task` frees such a task without dropping its future. The wrapper records where its
//!    future lives in the header's [`OrphanSlot`]; when the header is dropped with the slot still
//!    armed, the future is dropped there.

use std::any::Any;
use std::cell::{Cell, UnsafeCell};
use std::fmt;
use std::future::Future;
use std::mem::ManuallyDrop;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll};

use std::sync::atomic::{AtomicU64, Ordering};

use crate::runtime::RuntimeInner;
use std::sync::Arc;

/// A task's runnable handle, as the schedulers and the blocking pool see it.
pub(crate) type Runnable = async_task::Runnable<TaskMeta>;

/// The payload of a caught panic.
pub(crate) type Panic = Box<dyn Any + Send + 'static>;

/// What a task's future resolves to inside `async-task`: its output, or the panic it raised.
pub(crate) type Output<T> = Result<T, Panic>;

/// An opaque ID that uniquely identifies a task among all tasks of the process.
#[derive(Clone, Copy, Debug, Hash, Eq, PartialEq, Ord, PartialOrd)]
pub struct Id(u64);

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// IDs are handed out to threads in blocks of this size, so that spawning touches the shared
/// counter once per block instead of once per task (a shared counter is a contended cache line
/// when several workers spawn at once).
const ID_BLOCK: u64 = 1024;

impl Id {
    pub(crate) fn next() -> Id {
        static NEXT_BLOCK: AtomicU64 = AtomicU64::new(1);
        thread_local! {
            // (next id, end of this thread's block)
            static RANGE: Cell<(u64, u64)> = const { Cell::new((0, 0)) };
        }
        RANGE.with(|range| {
            let (mut next, mut end) = range.get();
            if next == end {
                next = NEXT_BLOCK.fetch_add(1, Ordering::Relaxed) * ID_BLOCK;
                end = next + ID_BLOCK;
            }
            range.set((next + 1, end));
            Id(next)
        })
    }
}

/// Where a task runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Placement {
    /// On the runtime's scheduler (workers or the current-thread driver).
    Scheduler,
    /// On the runtime's blocking pool.
    Blocking,
}

/// The header data of every task.
pub(crate) struct TaskMeta {
    pub(crate) id: Id,
    pub(crate) rt: Arc<RuntimeInner>,
    pub(crate) placement: Placement,
    orphan: OrphanSlot,
}

impl fmt::Debug for TaskMeta {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskMeta")
            .field("id", &self.id)
            .field("placement", &self.placement)
            .finish_non_exhaustive()
    }
}

/// A type-erased pointer to a task's future plus the function that drops it in place.
///
/// # Invariant
/// The slot is written only by the thread that polls or drops the task's future (`async-task`
/// gives that thread exclusive access to the future), and read in `TaskMeta::drop`, which runs
/// when no reference to the task remains. `async-task`'s reference counting (acquire/release)
/// orders these accesses, so they never overlap.
struct OrphanSlot(UnsafeCell<Option<ErasedFuture>>);

/// A future's address and the function that drops it in place.
type ErasedFuture = (*mut (), unsafe fn(*mut ()));

// SAFETY: see the invariant on `OrphanSlot`: accesses never overlap, and the pointer it holds is
// only dereferenced by the single thread that holds the task exclusively.
unsafe impl Send for OrphanSlot {}
// SAFETY: as above.
unsafe impl Sync for OrphanSlot {}

impl Drop for TaskMeta {
    fn drop(&mut self) {
        // SAFETY: `drop` has exclusive access to the header (invariant of `OrphanSlot`).
        if let Some((ptr, drop_fn)) = unsafe { (*self.orphan.0.get()).take() } {
            // SAFETY: the slot is armed, so the future at `ptr` is alive and was never dropped;
            // `async-task` drops the header before it frees the task's memory, so `ptr` is still
            // valid. Disarming first makes the wrapper's own `Drop` (should it ever run) a no-op.
            unsafe { drop_fn(ptr) };
            self.rt.task_dropped();
        }
    }
}

/// Drops the `F` at `ptr`.
///
/// # Safety
/// `ptr` must point to a live `F` that is never used again.
unsafe fn drop_erased<F>(ptr: *mut ()) {
    // SAFETY: guaranteed by the caller.
    unsafe { std::ptr::drop_in_place(ptr.cast::<F>()) }
}

/// The future `async-task` runs: the user's future plus the bookkeeping in the module doc.
struct TaskFuture<'a, F> {
    meta: &'a TaskMeta,
    /// # Invariant
    /// Dropped exactly once: by `TaskFuture::drop` if the orphan slot is armed (or was never
    /// armed), or by `TaskMeta::drop` through the orphan slot.
    future: ManuallyDrop<F>,
    armed: bool,
}

impl<F: Future> Future for TaskFuture<'_, F> {
    type Output = Output<F::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: `future` is structurally pinned: it is never moved out of `self`.
        let this = unsafe { self.get_unchecked_mut() };
        if !this.armed {
            let ptr: *mut F = &mut *this.future;
            // SAFETY: we are the only thread polling this task (invariant of `OrphanSlot`).
            unsafe { *this.meta.orphan.0.get() = Some((ptr.cast(), drop_erased::<F>)) };
            this.armed = true;
        }
        // SAFETY: pinned projection, see above.
        let future = unsafe { Pin::new_unchecked(&mut *this.future) };
        match catch_unwind(AssertUnwindSafe(|| future.poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(value)) => Poll::Ready(Ok(value)),
            Err(panic) => Poll::Ready(Err(panic)),
        }
    }
}

impl<F> Drop for TaskFuture<'_, F> {
    fn drop(&mut self) {
        let owned = if self.armed {
            // SAFETY: we are the only thread touching the task (invariant of `OrphanSlot`).
            unsafe { (*self.meta.orphan.0.get()).take().is_some() }
        } else {
            true
        };
        if owned {
            // SAFETY: the slot was armed (or never armed), so nobody dropped the future yet, and
            // it is not used again.
            unsafe { ManuallyDrop::drop(&mut self.future) };
            self.meta.rt.task_dropped();
        }
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
        armed: false,
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
    let meta = TaskMeta {
        id: Id::next(),
        rt,
        placement,
        orphan: OrphanSlot(UnsafeCell::new(None)),
    };
    let make = wrap(future);
    // SAFETY: `spawn_unchecked` is unsafe for three reasons, each handled here:
    // - the future borrows the metadata for `'a`: the metadata lives in the task's header, which
    //   outlives the future (the future is dropped before the header, or by the header's own drop
    //   through the orphan slot while the header is still intact);
    // - `Send`: `F` and its output are `Send`, `TaskMeta` is `Send + Sync`, so the runnable may
    //   move between threads;
    // - `'static`: `F` is `'static` and so is the schedule function.
    unsafe {
        async_task::Builder::new()
            .metadata(meta)
            .spawn_unchecked(make, async_task::WithInfo(schedule))
    }
}

#[cfg(test)]
impl Default for TaskMeta {
    /// Metadata bound to a fresh, idle current-thread runtime: for unit tests that build tasks
    /// by hand and schedule them somewhere other than the runtime.
    fn default() -> TaskMeta {
        use crate::blocking::{BlockingConfig, BlockingPool};
        use crate::runtime::Scheduler;
        use crate::scheduler::current_thread;
        let rt = RuntimeInner::new(
            Scheduler::CurrentThread(current_thread::Shared::new()),
            BlockingPool::new(BlockingConfig::default()),
        );
        rt.task_spawned();
        TaskMeta {
            id: Id::next(),
            rt: Arc::new(rt),
            placement: Placement::Scheduler,
            orphan: OrphanSlot(UnsafeCell::new(None)),
        }
    }
}

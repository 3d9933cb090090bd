//! [`LocalSet`] and [`spawn_local`]: tasks that never leave the thread that runs them.
//!
//! A `LocalSet` is a small executor of its own, run from inside whatever task or `block_on`
//! drives it ([`LocalSet::run_until`], [`LocalSet::block_on`], or awaiting the set). Its tasks
//! are `async-task` tasks built with `spawn_local`, so their futures may be `!Send`; their
//! runnables go to the set's own queue instead of a runtime's run queues.
//!
//! # How it runs
//! * Spawning builds the task and schedules it: the schedule function pushes the runnable onto
//!   the set's queue and wakes the task that drives the set. Wakers may be woken from any thread
//!   (a reactor on another worker, a channel sender), so the queue is a concurrent one.
//! * Each poll of the driving future (`run_until`'s, or the set's own) first polls the user's
//!   future, then runs up to [`MAX_TASKS_PER_TICK`] queued tasks, each under a fresh poll budget;
//!   if tasks are left over it wakes itself and returns `Pending`, so the runtime's other tasks
//!   get their turn.
//! * While the set is being driven (or entered with [`LocalSet::enter`]) it is the thread's
//!   current set, which is how [`spawn_local`] finds it.
//!
//! # Dropping the set
//! Every live task's waker is kept in the set (taken back when the task's future is dropped).
//! Dropping the set stops new spawns, wakes every live task (which queues it), closes the queue
//! and drops what it holds: each unfinished future is dropped on the set's thread, destructors
//! run, and their `JoinHandle`s report cancellation. A waker woken after that finds the queue
//! closed and drops a runnable whose future is already gone.

use std::cell::RefCell;
use std::fmt;
use std::future::{poll_fn, Future};
use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::{pin, Pin};
use std::rc::{Rc, Weak};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use concurrent_queue::ConcurrentQueue;

use super::coop;
use super::raw::{Id, IdGuard, Output};
use super::JoinHandle;
use crate::runtime::Runtime;

/// Tasks a set runs per poll of the future that drives it before it yields to the runtime (the
/// value tokio uses: enough to amortise the poll, few enough that the runtime's own tasks and
/// the reactor are not starved by a busy set).
const MAX_TASKS_PER_TICK: usize = 61;

/// The header data of a local task: nothing (its ID is its address, see [`Id`](super::Id)).
#[derive(Debug)]
pub(crate) struct LocalMeta {
    /// Not zero-sized, so that its address is a place inside the task's allocation.
    _id: u8,
}

/// A local task's runnable.
type LocalRunnable = async_task::Runnable<LocalMeta>;

/// What the schedule function (any thread) shares with the set (one thread).
struct Shared {
    queue: ConcurrentQueue<LocalRunnable>,
    /// The task driving the set, woken when a runnable is queued.
    waker: Mutex<Option<Waker>>,
}

impl Shared {
    fn schedule(&self, runnable: LocalRunnable) {
        // A closed queue means the set is gone and every task's future was dropped with it, so
        // dropping the runnable here (on whichever thread) only releases the task's memory.
        if let Err(error) = self.queue.push(runnable) {
            drop(error.into_inner());
            return;
        }
        let waker = self.waker.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    fn register(&self, waker: &Waker) {
        let mut slot = self.waker.lock().unwrap_or_else(|e| e.into_inner());
        match slot.as_ref() {
            Some(current) if current.will_wake(waker) => {}
            _ => *slot = Some(waker.clone()),
        }
    }
}

/// The wakers of a set's live tasks, by slot.
#[derive(Default)]
struct Tasks {
    slots: Vec<Option<Waker>>,
    free: Vec<usize>,
    len: usize,
    /// Set when the set is dropped: no new entries.
    closed: bool,
}

/// The set's state, shared (on its thread) with its tasks' futures and the thread-local
/// "current set".
struct LocalContext {
    shared: Arc<Shared>,
    tasks: RefCell<Tasks>,
}

impl LocalContext {
    fn spawn<F>(self: &Rc<Self>, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        // Reserve the task's entry first: the future must know its slot, and the set must know
        // the task before it is first scheduled, so that a set dropped at any later point finds
        // it. A set being dropped takes no new entries (its queue is closed: the task is
        // cancelled as soon as it is scheduled).
        let slot = {
            let mut tasks = self.tasks.borrow_mut();
            if tasks.closed {
                None
            } else {
                tasks.len += 1;
                Some(tasks.free.pop().unwrap_or_else(|| {
                    tasks.slots.push(None);
                    tasks.slots.len() - 1
                }))
            }
        };
        let context = Rc::downgrade(self);
        let shared = self.shared.clone();
        let (runnable, task) = async_task::Builder::new()
            .metadata(LocalMeta { _id: 0 })
            .spawn_local(
                move |meta: &LocalMeta| LocalFuture {
                    future: ManuallyDrop::new(future),
                    context,
                    slot,
                    id: Id::of(meta),
                },
                move |runnable| shared.schedule(runnable),
            );
        if let Some(slot) = slot {
            self.tasks.borrow_mut().slots[slot] = Some(runnable.waker());
        }
        runnable.schedule();
        JoinHandle::new_local(task)
    }

    /// Runs up to `MAX_TASKS_PER_TICK` queued tasks; `true` if some are still queued.
    fn tick(&self) -> bool {
        for _ in 0..MAX_TASKS_PER_TICK {
            match self.shared.queue.pop() {
                Ok(runnable) => {
                    coop::with_budget(|| runnable.run());
                }
                Err(_) => return false,
            }
        }
        !self.shared.queue.is_empty()
    }

    fn live(&self) -> usize {
        self.tasks.borrow().len
    }

    /// Takes the entry of a task whose future is being dropped.
    fn remove(&self, slot: usize) -> Option<Waker> {
        let mut tasks = self.tasks.try_borrow_mut().ok()?;
        let waker = tasks.slots.get_mut(slot)?.take();
        if waker.is_some() {
            tasks.free.push(slot);
            tasks.len -= 1;
        }
        waker
    }
}

thread_local! {
    /// The set being driven or entered on this thread.
    static CURRENT: RefCell<Option<Rc<LocalContext>>> = const { RefCell::new(None) };
}

/// The future a local task runs: the user's future, with its panic caught and its registry entry
/// returned when it is dropped.
struct LocalFuture<F> {
    /// # Invariant
    /// Dropped exactly once, in `LocalFuture::drop`.
    future: ManuallyDrop<F>,
    context: Weak<LocalContext>,
    /// The task's entry in the set's `tasks`; `None` for a task spawned while the set was being
    /// dropped.
    slot: Option<usize>,
    /// The task's ID, current while it is polled or its future dropped.
    id: Id,
}

impl<F: Future> Future for LocalFuture<F> {
    type Output = Output<F::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let _id = IdGuard::enter(self.id);
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

impl<F> Drop for LocalFuture<F> {
    fn drop(&mut self) {
        let id = IdGuard::enter(self.id);
        let future = &mut self.future;
        // A destructor that panics must not unwind into `async-task`; the panic hook has
        // reported it, and the task ends as it would have.
        let _ = catch_unwind(AssertUnwindSafe(|| {
            // SAFETY: dropped exactly once (the invariant of `future`), and never used again.
            unsafe { ManuallyDrop::drop(future) };
        }));
        drop(id);
        if let (Some(slot), Some(context)) = (self.slot, self.context.upgrade()) {
            // The waker refers to this very task; the caller still holds a reference to it.
            drop(context.remove(slot));
        }
    }
}

/// A set of tasks that all run on the current thread: the home of [`spawn_local`].
///
/// Futures that are not `Send` (they hold an `Rc`, a `RefCell` borrow across an `.await`, a
/// thread-bound handle) cannot be given to [`spawn`](crate::spawn), whose tasks move between
/// worker threads. A `LocalSet` runs such tasks on the thread that drives it: through
/// [`run_until`](LocalSet::run_until) (inside any runtime's `block_on` or task that stays on one
/// thread), [`block_on`](LocalSet::block_on), or by awaiting the set itself, which finishes once
/// all its tasks have.
///
/// Dropping the set drops every task it still holds (destructors run on this thread) and their
/// `JoinHandle`s report cancellation.
///
/// ```
/// use std::rc::Rc;
/// use evloop::task::{self, LocalSet};
///
/// let rt = evloop::runtime::Builder::new_current_thread().build().unwrap();
/// let local = LocalSet::new();
/// let shared = Rc::new(41);
/// let answer = local.block_on(&rt, async move {
///     let shared2 = shared.clone();
///     let task = task::spawn_local(async move { *shared2 + 1 });
///     task.await.unwrap()
/// });
/// assert_eq!(answer, 42);
/// ```
pub struct LocalSet {
    context: Rc<LocalContext>,
    /// `!Send` and `!Sync` already through the `Rc`; spelled out for the reader.
    _not_send: PhantomData<*const ()>,
}

impl LocalSet {
    /// Creates an empty set; no runtime is needed until it is driven.
    pub fn new() -> LocalSet {
        LocalSet {
            context: Rc::new(LocalContext {
                shared: Arc::new(Shared {
                    queue: ConcurrentQueue::unbounded(),
                    waker: Mutex::new(None),
                }),
                tasks: RefCell::new(Tasks::default()),
            }),
            _not_send: PhantomData,
        }
    }

    /// Spawns a `!Send` future on this set, returning a [`JoinHandle`] for it.
    ///
    /// The task runs when the set is next driven (by `run_until`, `block_on` or awaiting the
    /// set), even if the set is not driven yet when it is spawned.
    ///
    /// ```
    /// use evloop::task::LocalSet;
    ///
    /// let rt = evloop::runtime::Runtime::new().unwrap();
    /// let local = LocalSet::new();
    /// let handle = local.spawn_local(async { std::rc::Rc::new("from the set") });
    /// let value = local.block_on(&rt, handle).unwrap();
    /// assert_eq!(*value, "from the set");
    /// ```
    #[track_caller]
    pub fn spawn_local<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        self.context.spawn(future)
    }

    /// Runs `future` to completion on `rt`'s [`block_on`](Runtime::block_on), with this set
    /// driven alongside it: tasks spawned with [`spawn_local`] run while the future waits.
    ///
    /// Tasks still unfinished when `future` completes stay in the set.
    ///
    /// # Panics
    /// Where `Runtime::block_on` panics: on a thread that already drives a runtime.
    #[track_caller]
    pub fn block_on<F: Future>(&self, rt: &Runtime, future: F) -> F::Output {
        rt.block_on(self.run_until(future))
    }

    /// Runs `future` to completion, driving this set's tasks while it waits.
    ///
    /// ```
    /// use evloop::task::{self, LocalSet};
    ///
    /// # evloop::block_on(async {
    /// let local = LocalSet::new();
    /// let n = local
    ///     .run_until(async {
    ///         let counter = std::rc::Rc::new(std::cell::Cell::new(0));
    ///         let tasks: Vec<_> = (0..3)
    ///             .map(|_| {
    ///                 let counter = counter.clone();
    ///                 task::spawn_local(async move { counter.set(counter.get() + 1) })
    ///             })
    ///             .collect();
    ///         for t in tasks {
    ///             t.await.unwrap();
    ///         }
    ///         counter.get()
    ///     })
    ///     .await;
    /// assert_eq!(n, 3);
    /// # });
    /// ```
    pub async fn run_until<F: Future>(&self, future: F) -> F::Output {
        let mut future = pin!(future);
        poll_fn(|cx| {
            let _enter = self.enter_inner();
            self.context.shared.register(cx.waker());
            if let Poll::Ready(output) = coop::with_budget(|| future.as_mut().poll(cx)) {
                return Poll::Ready(output);
            }
            if self.context.tick() {
                cx.waker().wake_by_ref();
            }
            Poll::Pending
        })
        .await
    }

    /// Makes this set the thread's current one until the guard is dropped, so that
    /// [`spawn_local`] spawns onto it without the set being driven.
    ///
    /// ```
    /// use evloop::task::{self, LocalSet};
    ///
    /// let local = LocalSet::new();
    /// let handle = {
    ///     let _guard = local.enter();
    ///     task::spawn_local(async { 7 })
    /// };
    /// let rt = evloop::runtime::Builder::new_current_thread().build().unwrap();
    /// assert_eq!(local.block_on(&rt, handle).unwrap(), 7);
    /// ```
    pub fn enter(&self) -> LocalEnterGuard {
        LocalEnterGuard {
            prev: Some(enter(self.context.clone())),
            _not_send: PhantomData,
        }
    }

    fn enter_inner(&self) -> LocalEnterGuard {
        self.enter()
    }
}

/// Makes `context` current, returning the previous current set.
fn enter(context: Rc<LocalContext>) -> Option<Rc<LocalContext>> {
    CURRENT.with(|current| current.borrow_mut().replace(context))
}

/// Keeps a [`LocalSet`] current on this thread (see [`LocalSet::enter`]) until dropped.
#[must_use = "the set is current only while the guard is alive"]
pub struct LocalEnterGuard {
    /// The set that was current before (`Some(None)`: none was).
    prev: Option<Option<Rc<LocalContext>>>,
    _not_send: PhantomData<*const ()>,
}

impl Drop for LocalEnterGuard {
    fn drop(&mut self) {
        if let Some(prev) = self.prev.take() {
            // During thread teardown the slot may be gone; nothing to restore then.
            let _ = CURRENT.try_with(|current| *current.borrow_mut() = prev);
        }
    }
}

impl fmt::Debug for LocalEnterGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalEnterGuard").finish_non_exhaustive()
    }
}

/// Awaiting a set drives its tasks until every one of them has finished.
///
/// ```
/// use evloop::task::LocalSet;
///
/// let rt = evloop::runtime::Builder::new_current_thread().build().unwrap();
/// let local = LocalSet::new();
/// let log = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
/// for i in 0..3 {
///     let log = log.clone();
///     local.spawn_local(async move { log.borrow_mut().push(i) });
/// }
/// rt.block_on(local);
/// assert_eq!(log.borrow().len(), 3);
/// ```
impl Future for LocalSet {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let _enter = self.enter_inner();
        self.context.shared.register(cx.waker());
        if self.context.tick() {
            cx.waker().wake_by_ref();
            Poll::Pending
        } else if self.context.live() == 0 {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

impl Default for LocalSet {
    fn default() -> LocalSet {
        LocalSet::new()
    }
}

impl fmt::Debug for LocalSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalSet")
            .field("tasks", &self.context.live())
            .finish_non_exhaustive()
    }
}

impl Drop for LocalSet {
    fn drop(&mut self) {
        // Destructors of the tasks' futures may call `spawn_local`: keep the set current, so
        // that they get a cancelled task instead of a panic.
        let _enter = self.enter_inner();
        let wakers = {
            let mut tasks = self.context.tasks.borrow_mut();
            tasks.closed = true;
            tasks.free.clear();
            tasks.len = 0;
            std::mem::take(&mut tasks.slots)
        };
        // Waking queues every task that is not queued yet (an idle one) ...
        for waker in wakers.into_iter().flatten() {
            waker.wake();
        }
        // ... and closing the queue makes every later schedule drop its runnable.
        self.context.shared.queue.close();
        // Dropping a runnable that has not run cancels its task and drops its future, here.
        while let Ok(runnable) = self.context.shared.queue.pop() {
            drop(runnable);
        }
    }
}

/// Spawns a `!Send` future on the current [`LocalSet`], returning a [`JoinHandle`] for it.
///
/// The task runs on this thread, interleaved with the future that drives the set.
///
/// # Panics
/// Outside a `LocalSet`: when no set is being driven on this thread (by
/// [`LocalSet::run_until`], [`LocalSet::block_on`] or awaiting a set) and none was entered with
/// [`LocalSet::enter`].
///
/// ```
/// use std::rc::Rc;
/// use evloop::task::{self, LocalSet};
///
/// let rt = evloop::runtime::Builder::new_current_thread().build().unwrap();
/// LocalSet::new().block_on(&rt, async {
///     let data = Rc::new(vec![1, 2, 3]);
///     let d = data.clone();
///     let sum = task::spawn_local(async move { d.iter().sum::<i32>() }).await.unwrap();
///     assert_eq!(sum, 6);
/// });
/// ```
#[track_caller]
pub fn spawn_local<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    let context = CURRENT
        .try_with(|current| current.borrow().clone())
        .ok()
        .flatten();
    match context {
        Some(context) => context.spawn(future),
        None => panic!(
            "`spawn_local` called from outside of a `task::LocalSet`: run the code that spawns \
             inside `LocalSet::run_until`, `LocalSet::block_on`, or a task of the set"
        ),
    }
}

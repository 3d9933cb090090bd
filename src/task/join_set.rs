//! [`JoinSet`]: a collection of tasks awaited in completion order, and the [`AbortHandle`]s of
//! its tasks.
//!
//! Each task of a set runs inside an [`Abortable`] wrapper that shares a small [`AbortState`]
//! with the task's `AbortHandle`s: aborting sets a flag and wakes the task, whose next poll
//! drops the future and ends the task with `None`, which the set reports as a cancellation. The
//! wrapper also owns the task's [`Notice`], which tells the set (and the abort handles, through
//! `finished`) once the future has been dropped, however it ended.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use concurrent_queue::ConcurrentQueue;

use super::{Id, JoinError, JoinHandle};
use crate::runtime::Handle;
use crate::sync::atomic_waker::AtomicWaker;

/// A set of tasks spawned on a runtime, joined in the order they finish.
///
/// Dropping a `JoinSet` aborts every task still in it.
///
/// ```
/// use evloop::task::JoinSet;
///
/// # evloop::block_on(async {
/// let mut set = JoinSet::new();
/// for i in 0..10u64 {
///     set.spawn(async move { i * 2 });
/// }
/// let mut sum = 0;
/// while let Some(result) = set.join_next().await {
///     sum += result.unwrap();
/// }
/// assert_eq!(sum, 90);
/// # });
/// ```
pub struct JoinSet<T> {
    /// Handles by slot; `None` marks a free slot (listed in `free`). A task's output is `None`
    /// when it was ended through an [`AbortHandle`].
    handles: Vec<Option<JoinHandle<Option<T>>>>,
    free: Vec<usize>,
    len: usize,
    shared: Arc<Shared>,
}

/// Completion notices from the tasks to the set.
struct Shared {
    /// Slots whose task has finished (or been dropped).
    done: ConcurrentQueue<usize>,
    waker: Mutex<Option<Waker>>,
}

/// Posts the slot to `done` when the task's future is dropped: after completion, after a panic
/// (during unwinding) or on cancellation.
struct Notice {
    slot: usize,
    shared: Arc<Shared>,
    abort: Arc<AbortState>,
}

impl Drop for Notice {
    fn drop(&mut self) {
        self.abort.finished.store(true, Ordering::Release);
        // An unbounded queue only refuses a push when closed, and it is never closed.
        let _ = self.shared.done.push(self.slot);
        let waker = self
            .shared
            .waker
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// What a task of a set shares with its [`AbortHandle`]s.
struct AbortState {
    /// Set by [`AbortHandle::abort`]; the task's next poll ends it.
    aborted: AtomicBool,
    /// Set once the task's future has been dropped (completed, panicked, aborted).
    finished: AtomicBool,
    /// The task's waker, registered at every poll, so that an abort gets the task polled.
    waker: AtomicWaker,
}

/// A task's future inside a set: resolves to `None`, dropping `future` at once, if the task was
/// aborted through an [`AbortHandle`].
struct Abortable<F> {
    future: F,
    notice: Notice,
}

impl<F: Future> Future for Abortable<F> {
    type Output = Option<F::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<F::Output>> {
        // SAFETY: `future` is structurally pinned: it is never moved out of `self` (no method
        // takes it by value, `Abortable` has no `Drop` impl and is not `Unpin` unless `F` is),
        // and `notice` is never pinned.
        let this = unsafe { self.get_unchecked_mut() };
        let state = &this.notice.abort;
        if state.aborted.load(Ordering::Acquire) {
            return Poll::Ready(None);
        }
        // Registered before the flag is read again: an abort that lands after that read wakes
        // this waker; one that landed before it is seen.
        state.waker.register(cx.waker());
        if state.aborted.load(Ordering::Acquire) {
            return Poll::Ready(None);
        }
        // SAFETY: see above; `this.future` stays where it is until `this` is dropped.
        let future = unsafe { Pin::new_unchecked(&mut this.future) };
        future.poll(cx).map(Some)
    }
}

/// Aborts a task without owning it: what [`JoinSet::spawn`] and its siblings return, and what
/// [`JoinHandle::abort_handle`] makes.
///
/// Aborting cancels the task as [`JoinHandle::abort`] does: its future is dropped at once if it
/// is idle, or right after its current poll, and the task is reported as cancelled
/// ([`JoinError::is_cancelled`]) by its set or its `JoinHandle`. Aborting a finished task has no
/// effect. A closure on the blocking pool that has started cannot be stopped; one that has not
/// started does not run.
///
/// ```
/// use evloop::task::JoinSet;
///
/// # evloop::block_on(async {
/// let mut set = JoinSet::new();
/// let stuck = set.spawn(std::future::pending::<u32>());
/// set.spawn(async { 7 });
/// stuck.abort();
/// let mut seen = Vec::new();
/// while let Some(result) = set.join_next().await {
///     match result {
///         Ok(value) => seen.push(value),
///         Err(err) => assert!(err.is_cancelled()),
///     }
/// }
/// assert_eq!(seen, [7]);
/// assert!(stuck.is_finished());
/// # });
/// ```
#[derive(Clone)]
pub struct AbortHandle {
    target: Target,
    id: Id,
}

#[derive(Clone)]
enum Target {
    /// A task of a `JoinSet`.
    Member(Arc<AbortState>),
    /// A task whose `JoinHandle` made this handle ([`JoinHandle::abort_handle`]).
    Task(Arc<dyn AbortTarget>),
}

/// What an [`AbortHandle`] made by [`JoinHandle::abort_handle`] acts on.
pub(super) trait AbortTarget: Send + Sync {
    fn abort(&self);
    fn is_finished(&self) -> bool;
}

impl AbortHandle {
    pub(super) fn for_task(target: Arc<dyn AbortTarget>, id: Id) -> AbortHandle {
        AbortHandle {
            target: Target::Task(target),
            id,
        }
    }

    /// Aborts the task; see the type's documentation.
    pub fn abort(&self) {
        match &self.target {
            Target::Member(state) => {
                state.aborted.store(true, Ordering::Release);
                state.waker.wake();
            }
            Target::Task(task) => task.abort(),
        }
    }

    /// Returns `true` once the task has finished: completed, panicked or been aborted.
    pub fn is_finished(&self) -> bool {
        match &self.target {
            Target::Member(state) => state.finished.load(Ordering::Acquire),
            Target::Task(task) => task.is_finished(),
        }
    }

    /// The [`Id`] of the task.
    pub fn id(&self) -> Id {
        self.id
    }
}

impl fmt::Debug for AbortHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AbortHandle").field("id", &self.id).finish()
    }
}

impl<T> JoinSet<T> {
    /// Creates an empty set.
    pub fn new() -> JoinSet<T> {
        JoinSet {
            handles: Vec::new(),
            free: Vec::new(),
            len: 0,
            shared: Arc::new(Shared {
                done: ConcurrentQueue::unbounded(),
                waker: Mutex::new(None),
            }),
        }
    }

    /// The number of tasks in the set (spawned and not yet joined).
    pub fn len(&self) -> usize {
        self.len
    }

    /// Returns `true` if the set holds no task.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Aborts every task in the set; they stay in the set until joined.
    pub fn abort_all(&mut self) {
        for handle in self.handles.iter().flatten() {
            handle.abort();
        }
    }

    /// Removes every task from the set without aborting them (they keep running, detached).
    pub fn detach_all(&mut self) {
        self.handles.clear();
        self.free.clear();
        self.len = 0;
        while self.shared.done.pop().is_ok() {}
    }

    fn insert(&mut self, make: impl FnOnce(Notice) -> JoinHandle<Option<T>>) -> AbortHandle {
        let slot = self.free.pop().unwrap_or_else(|| {
            self.handles.push(None);
            self.handles.len() - 1
        });
        let state = Arc::new(AbortState {
            aborted: AtomicBool::new(false),
            finished: AtomicBool::new(false),
            waker: AtomicWaker::new(),
        });
        let notice = Notice {
            slot,
            shared: self.shared.clone(),
            abort: state.clone(),
        };
        let handle = make(notice);
        let id = handle.id();
        self.handles[slot] = Some(handle);
        self.len += 1;
        AbortHandle {
            target: Target::Member(state),
            id,
        }
    }
}

impl<T: 'static> JoinSet<T> {
    /// Spawns a `!Send` future on the current [`LocalSet`](super::LocalSet) and adds it to the
    /// set.
    ///
    /// # Panics
    /// Outside a `LocalSet`, as [`spawn_local`](super::spawn_local) does.
    ///
    /// ```
    /// use evloop::task::{JoinSet, LocalSet};
    ///
    /// let rt = evloop::runtime::Builder::new_current_thread().build().unwrap();
    /// LocalSet::new().block_on(&rt, async {
    ///     let mut set = JoinSet::new();
    ///     for i in 0..3 {
    ///         let value = std::rc::Rc::new(i);
    ///         set.spawn_local(async move { *value });
    ///     }
    ///     let mut sum = 0;
    ///     while let Some(result) = set.join_next().await {
    ///         sum += result.unwrap();
    ///     }
    ///     assert_eq!(sum, 3);
    /// });
    /// ```
    #[track_caller]
    pub fn spawn_local<F>(&mut self, future: F) -> AbortHandle
    where
        F: Future<Output = T> + 'static,
    {
        self.insert(|notice| super::spawn_local(Abortable { future, notice }))
    }
}

impl<T: Send + 'static> JoinSet<T> {
    /// Spawns `future` on the current runtime (or the global one) and adds it to the set.
    /// Returns an [`AbortHandle`] for the task.
    pub fn spawn<F>(&mut self, future: F) -> AbortHandle
    where
        F: Future<Output = T> + Send + 'static,
    {
        self.insert(|notice| crate::spawn(Abortable { future, notice }))
    }

    /// Spawns `future` on the runtime of `handle` and adds it to the set.
    pub fn spawn_on<F>(&mut self, future: F, handle: &Handle) -> AbortHandle
    where
        F: Future<Output = T> + Send + 'static,
    {
        self.insert(|notice| handle.spawn(Abortable { future, notice }))
    }

    /// Runs `f` on the blocking pool of the current runtime (or the global one) and adds it to
    /// the set. Aborting it has effect only before it starts.
    pub fn spawn_blocking<F>(&mut self, f: F) -> AbortHandle
    where
        F: FnOnce() -> T + Send + 'static,
    {
        self.insert(|notice| crate::task::spawn_blocking(blocking_body(f, notice)))
    }

    /// Runs `f` on the blocking pool of the runtime of `handle` and adds it to the set.
    pub fn spawn_blocking_on<F>(&mut self, f: F, handle: &Handle) -> AbortHandle
    where
        F: FnOnce() -> T + Send + 'static,
    {
        self.insert(|notice| handle.spawn_blocking(blocking_body(f, notice)))
    }
}

/// The waker of [`JoinSet::try_join_next`], which does not wait.
struct NoWake;

impl std::task::Wake for NoWake {
    fn wake(self: Arc<Self>) {}
}

/// A blocking task's closure inside a set: skipped if the task was aborted before it started.
fn blocking_body<T, F: FnOnce() -> T>(f: F, notice: Notice) -> impl FnOnce() -> Option<T> {
    move || {
        // Dropped when the closure returns, after `f`: the set hears of the task once it ended.
        let notice = notice;
        if notice.abort.aborted.load(Ordering::Acquire) {
            None
        } else {
            Some(f())
        }
    }
}

impl<T, F> Extend<F> for JoinSet<T>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    /// Spawns every future of `iter` into the set, as [`JoinSet::spawn`] does.
    fn extend<I: IntoIterator<Item = F>>(&mut self, iter: I) {
        for future in iter {
            self.spawn(future);
        }
    }
}

impl<T, F> FromIterator<F> for JoinSet<T>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    /// Spawns every future of `iter` into a new set, as [`JoinSet::spawn`] does.
    ///
    /// ```
    /// use evloop::task::JoinSet;
    ///
    /// # evloop::block_on(async {
    /// let set: JoinSet<u32> = (1..=4).map(|i| async move { i * i }).collect();
    /// let mut squares = set.join_all().await;
    /// squares.sort();
    /// assert_eq!(squares, [1, 4, 9, 16]);
    /// # });
    /// ```
    fn from_iter<I: IntoIterator<Item = F>>(iter: I) -> Self {
        let mut set = JoinSet::new();
        set.extend(iter);
        set
    }
}

impl<T> JoinSet<T> {
    /// Waits for one of the tasks to finish and returns its result; `None` once the set is
    /// empty.
    pub async fn join_next(&mut self) -> Option<Result<T, JoinError>> {
        std::future::poll_fn(|cx| self.poll_join_next(cx)).await
    }

    /// [`JoinSet::join_next`], with the [`Id`] of the task that finished.
    pub async fn join_next_with_id(&mut self) -> Option<Result<(Id, T), JoinError>> {
        std::future::poll_fn(|cx| self.poll_join_next_with_id(cx)).await
    }

    /// Returns the result of a task that has finished, if there is one, without waiting; `None`
    /// if the set is empty or no task has finished yet.
    pub fn try_join_next(&mut self) -> Option<Result<T, JoinError>> {
        self.try_join_next_with_id()
            .map(|result| result.map(|(_, value)| value))
    }

    /// [`JoinSet::try_join_next`], with the [`Id`] of the task that finished.
    pub fn try_join_next_with_id(&mut self) -> Option<Result<(Id, T), JoinError>> {
        let waker = Waker::from(Arc::new(NoWake));
        let mut cx = Context::from_waker(&waker);
        // Slots whose task has dropped its future but not yet stored its output are put back
        // by the poll; looking at each queued slot once is enough.
        for _ in 0..self.shared.done.len() {
            match self.poll_done(&mut cx) {
                Some(Poll::Ready(result)) => return Some(result),
                Some(Poll::Pending) => {}
                None => return None,
            }
        }
        None
    }

    /// Waits for every task and returns their outputs, in the order they finished.
    ///
    /// # Panics
    /// If a task panicked, that panic is resumed here; if one was cancelled, this panics with
    /// the [`JoinError`]. Use [`JoinSet::join_next`] to handle those cases instead.
    pub async fn join_all(mut self) -> Vec<T> {
        let mut outputs = Vec::with_capacity(self.len);
        while let Some(result) = self.join_next().await {
            match result {
                Ok(value) => outputs.push(value),
                Err(err) if err.is_panic() => std::panic::resume_unwind(err.into_panic()),
                Err(err) => panic!("{err}"),
            }
        }
        outputs
    }

    /// Polls for the next finished task; see [`JoinSet::join_next`].
    pub fn poll_join_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<T, JoinError>>> {
        self.poll_join_next_with_id(cx)
            .map(|next| next.map(|result| result.map(|(_, value)| value)))
    }

    /// [`JoinSet::poll_join_next`], with the [`Id`] of the task that finished.
    pub fn poll_join_next_with_id(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<(Id, T), JoinError>>> {
        if self.len == 0 {
            return Poll::Ready(None);
        }
        loop {
            match self.poll_done(cx) {
                Some(Poll::Ready(result)) => return Poll::Ready(Some(result)),
                Some(Poll::Pending) => return Poll::Pending,
                None => {
                    *self.shared.waker.lock().unwrap_or_else(|e| e.into_inner()) =
                        Some(cx.waker().clone());
                    // A task may have finished between the pop and the registration.
                    if self.shared.done.is_empty() {
                        return Poll::Pending;
                    }
                }
            }
        }
    }

    /// Takes one slot from `done` and polls its handle: `None` if `done` is empty; `Pending` if
    /// the task has dropped its future but not yet stored its output (the slot goes back to
    /// `done`, and the handle has registered `cx`'s waker).
    fn poll_done(&mut self, cx: &mut Context<'_>) -> Option<Poll<Result<(Id, T), JoinError>>> {
        loop {
            let slot = self.shared.done.pop().ok()?;
            let Some(handle) = self.handles[slot].as_mut() else {
                continue;
            };
            let id = handle.id();
            let Poll::Ready(result) = Pin::new(handle).poll(cx) else {
                let _ = self.shared.done.push(slot);
                return Some(Poll::Pending);
            };
            self.handles[slot] = None;
            self.free.push(slot);
            self.len -= 1;
            return Some(Poll::Ready(match result {
                Ok(Some(value)) => Ok((id, value)),
                Ok(None) => Err(JoinError::cancelled(id)),
                Err(err) => Err(err),
            }));
        }
    }

    /// Aborts every task and waits for all of them to stop.
    pub async fn shutdown(&mut self) {
        self.abort_all();
        while self.join_next().await.is_some() {}
    }
}

impl<T> Default for JoinSet<T> {
    fn default() -> Self {
        JoinSet::new()
    }
}

impl<T> Drop for JoinSet<T> {
    fn drop(&mut self) {
        self.abort_all();
    }
}

impl<T> fmt::Debug for JoinSet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinSet").field("len", &self.len).finish()
    }
}

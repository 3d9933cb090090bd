//! [`JoinHandle`] and [`JoinError`].

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};

use super::coop;
use super::join_set::{AbortHandle, AbortTarget};
use super::local::LocalMeta;
use super::raw::{Id, Output, Panic, TaskMeta};

/// The `async-task` handle behind a `JoinHandle`: a runtime's task, or a [`LocalSet`]'s, held
/// by the `JoinHandle` alone or, once [`JoinHandle::abort_handle`] was called, shared with
/// [`AbortHandle`]s.
///
/// [`LocalSet`]: super::LocalSet
enum Inner<T> {
    Runtime(async_task::FallibleTask<Output<T>, TaskMeta>),
    Local(async_task::FallibleTask<Output<T>, LocalMeta>),
    /// The slot shared with the `AbortHandle`s; it never holds another `Shared`.
    Shared(Arc<TaskSlot<T>>),
}

impl<T> Inner<T> {
    fn is_finished(&self) -> bool {
        match self {
            Inner::Runtime(task) => task.is_finished(),
            Inner::Local(task) => task.is_finished(),
            Inner::Shared(shared) => shared.is_finished(),
        }
    }

    /// `Ready(None)`: the task was cancelled (for a shared task, also: aborted through an
    /// `AbortHandle`).
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Option<Output<T>>> {
        match self {
            Inner::Runtime(task) => Pin::new(task).poll(cx),
            Inner::Local(task) => Pin::new(task).poll(cx),
            Inner::Shared(shared) => match shared.lock().as_mut() {
                Some(task) => task.poll(cx),
                None => Poll::Ready(None),
            },
        }
    }

    /// Lets the task run on without this handle. A shared task is detached once its last
    /// `AbortHandle` is gone too (when the shared slot is dropped).
    fn detach(self) {
        match self {
            Inner::Runtime(task) => task.detach(),
            Inner::Local(task) => task.detach(),
            Inner::Shared(shared) => drop(shared),
        }
    }
}

/// A task handle behind a lock: what a `JoinHandle` holds, and what it shares with its
/// [`AbortHandle`]s once it has made one. `None` once the task was aborted through it or its
/// output was taken. Dropping the slot detaches the task it still holds.
///
/// The lock is uncontended: only `abort`, `is_finished` and `abort_handle` take it on a
/// `JoinHandle`'s own slot, polling uses `get_mut`; a shared slot is locked by every poll.
struct TaskSlot<T>(Mutex<Option<Inner<T>>>);

impl<T> TaskSlot<T> {
    fn new(task: Option<Inner<T>>) -> TaskSlot<T> {
        TaskSlot(Mutex::new(task))
    }

    fn lock(&self) -> MutexGuard<'_, Option<Inner<T>>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn get_mut(&mut self) -> &mut Option<Inner<T>> {
        self.0.get_mut().unwrap_or_else(|e| e.into_inner())
    }

    fn is_finished(&self) -> bool {
        self.lock().as_ref().is_none_or(Inner::is_finished)
    }

    /// Cancels the task unless it has finished: takes it out and drops it (through the shared
    /// slot if there is one).
    fn abort(&self) {
        let taken = {
            let mut slot = self.lock();
            match slot.as_ref() {
                Some(Inner::Shared(shared)) => {
                    let shared = shared.clone();
                    drop(slot);
                    return shared.abort();
                }
                Some(task) if !task.is_finished() => slot.take(),
                _ => None,
            }
        };
        // Dropping the task handle cancels the task; done outside the lock because it may run
        // the future's destructor.
        drop(taken);
    }
}

impl<T> Drop for TaskSlot<T> {
    fn drop(&mut self) {
        // The last holder is gone (a `JoinHandle`, or the last of a shared slot's handles): the
        // task runs on, detached.
        if let Some(task) = self.get_mut().take() {
            task.detach();
        }
    }
}

impl<T: Send> AbortTarget for TaskSlot<T> {
    fn abort(&self) {
        TaskSlot::abort(self);
    }

    fn is_finished(&self) -> bool {
        TaskSlot::is_finished(self)
    }
}

/// An owned permission to join on a task (await its termination).
///
/// Awaiting a `JoinHandle` gives the task's output, or a [`JoinError`] if the task panicked or
/// was cancelled. Dropping a `JoinHandle` *detaches* the task: it keeps running and its output is
/// discarded, as with tokio.
///
/// # Examples
/// ```
/// # evloop::block_on(async {
/// let handle = evloop::spawn(async { 6 * 7 });
/// assert_eq!(handle.await.unwrap(), 42);
/// # });
/// ```
pub struct JoinHandle<T> {
    /// Lets `abort(&self)` cancel the task while the handle is shared.
    task: TaskSlot<T>,
    id: Id,
}

impl<T> JoinHandle<T> {
    pub(crate) fn new(task: async_task::Task<Output<T>, TaskMeta>) -> JoinHandle<T> {
        let id = Id::of(task.metadata());
        JoinHandle {
            task: TaskSlot::new(Some(Inner::Runtime(task.fallible()))),
            id,
        }
    }

    pub(crate) fn new_local(task: async_task::Task<Output<T>, LocalMeta>) -> JoinHandle<T> {
        let id = Id::of(task.metadata());
        JoinHandle {
            task: TaskSlot::new(Some(Inner::Local(task.fallible()))),
            id,
        }
    }

    /// Cancels the task.
    ///
    /// If the task has not finished yet, its future is dropped (at once if it is idle, or right
    /// after its current poll if it is running on another thread) and awaiting this handle gives
    /// a [`JoinError`] for which [`JoinError::is_cancelled`] is true. Aborting a finished task has
    /// no effect: awaiting still gives its output.
    ///
    /// ```
    /// # evloop::block_on(async {
    /// let handle = evloop::spawn(std::future::pending::<()>());
    /// handle.abort();
    /// assert!(handle.await.unwrap_err().is_cancelled());
    /// # });
    /// ```
    pub fn abort(&self) {
        self.task.abort();
    }

    /// Returns `true` once the task has finished: completed, panicked or been cancelled.
    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }

    /// The [`Id`] of the task.
    pub fn id(&self) -> Id {
        self.id
    }
}

impl<T: Send + 'static> JoinHandle<T> {
    /// An [`AbortHandle`] for the task: it can abort the task without owning it, from any
    /// thread, also after this `JoinHandle` is dropped.
    ///
    /// Once all of the task's handles (this one and its `AbortHandle`s) are dropped, the task
    /// runs on detached, as when a `JoinHandle` alone is dropped.
    ///
    /// ```
    /// # evloop::block_on(async {
    /// let handle = evloop::spawn(std::future::pending::<()>());
    /// let abort = handle.abort_handle();
    /// let waiter = evloop::spawn(async move { handle.await });
    /// abort.abort();
    /// assert!(waiter.await.unwrap().unwrap_err().is_cancelled());
    /// assert!(abort.is_finished());
    /// # });
    /// ```
    pub fn abort_handle(&self) -> AbortHandle {
        let mut slot = self.task.lock();
        let shared = match slot.take() {
            Some(Inner::Shared(shared)) => shared,
            // Aborted or joined already (`None`): a handle whose `abort` finds nothing to do.
            task => Arc::new(TaskSlot::new(task)),
        };
        *slot = Some(Inner::Shared(shared.clone()));
        AbortHandle::for_task(shared, self.id)
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let id = self.id;
        let slot = self.get_mut().task.get_mut();
        let Some(task) = slot.as_mut() else {
            return Poll::Ready(Err(JoinError::cancelled(id)));
        };
        std::task::ready!(coop::poll_proceed(cx));
        let result = match task.poll(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(Some(Ok(value))) => Ok(value),
            Poll::Ready(Some(Err(panic))) => Err(JoinError::panic(id, panic)),
            Poll::Ready(None) => Err(JoinError::cancelled(id)),
        };
        *slot = None;
        Poll::Ready(result)
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle").field("id", &self.id).finish()
    }
}

/// A task failed to run to completion: it panicked, or it was cancelled.
pub struct JoinError {
    id: Id,
    repr: Repr,
}

enum Repr {
    Cancelled,
    /// The lock only makes the payload `Sync`, so that `JoinError` converts into
    /// `Box<dyn Error + Send + Sync>`; it is never contended.
    Panic(Mutex<Panic>),
}

impl JoinError {
    pub(crate) fn cancelled(id: Id) -> JoinError {
        JoinError {
            id,
            repr: Repr::Cancelled,
        }
    }

    pub(crate) fn panic(id: Id, payload: Panic) -> JoinError {
        JoinError {
            id,
            repr: Repr::Panic(Mutex::new(payload)),
        }
    }

    /// Returns `true` if the task was cancelled (aborted, or dropped by a runtime shutdown).
    pub fn is_cancelled(&self) -> bool {
        matches!(self.repr, Repr::Cancelled)
    }

    /// Returns `true` if the task panicked.
    pub fn is_panic(&self) -> bool {
        matches!(self.repr, Repr::Panic(_))
    }

    /// The [`Id`] of the task that failed.
    pub fn id(&self) -> Id {
        self.id
    }

    /// Consumes the error, returning the panic payload.
    ///
    /// # Panics
    /// If the error is not a panic; see [`JoinError::try_into_panic`].
    ///
    /// ```
    /// # evloop::block_on(async {
    /// let err = evloop::spawn(async { panic!("boom") }).await.unwrap_err();
    /// let payload = err.into_panic();
    /// assert_eq!(payload.downcast_ref::<&str>(), Some(&"boom"));
    /// # });
    /// ```
    #[track_caller]
    pub fn into_panic(self) -> Box<dyn std::any::Any + Send + 'static> {
        self.try_into_panic()
            .expect("`JoinError::into_panic` called on a cancellation, not a panic")
    }

    /// Consumes the error, returning the panic payload if the task panicked, or the error back.
    pub fn try_into_panic(self) -> Result<Box<dyn std::any::Any + Send + 'static>, JoinError> {
        match self.repr {
            Repr::Panic(payload) => Ok(payload.into_inner().unwrap_or_else(|e| e.into_inner())),
            Repr::Cancelled => Err(self),
        }
    }

    fn panic_message(&self) -> Option<String> {
        let Repr::Panic(payload) = &self.repr else {
            return None;
        };
        let payload = payload.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(s) = payload.downcast_ref::<&'static str>() {
            Some((*s).to_string())
        } else {
            payload.downcast_ref::<String>().cloned()
        }
    }
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.repr {
            Repr::Cancelled => write!(f, "task {} was cancelled", self.id),
            Repr::Panic(_) => match self.panic_message() {
                Some(msg) => write!(f, "task {} panicked with message {:?}", self.id, msg),
                None => write!(f, "task {} panicked", self.id),
            },
        }
    }
}

impl fmt::Debug for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.repr {
            Repr::Cancelled => write!(f, "JoinError::Cancelled({:?})", self.id),
            Repr::Panic(_) => match self.panic_message() {
                Some(msg) => write!(f, "JoinError::Panic({:?}, {:?}, ...)", self.id, msg),
                None => write!(f, "JoinError::Panic({:?}, ...)", self.id),
            },
        }
    }
}

impl std::error::Error for JoinError {}

impl From<JoinError> for std::io::Error {
    fn from(err: JoinError) -> std::io::Error {
        std::io::Error::other(err.to_string())
    }
}

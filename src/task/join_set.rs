//! [`JoinSet`]: a collection of tasks awaited in completion order.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use concurrent_queue::ConcurrentQueue;

use super::{JoinError, JoinHandle};
use crate::runtime::Handle;

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
    /// Handles by slot; `None` marks a free slot (listed in `free`).
    handles: Vec<Option<JoinHandle<T>>>,
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
}

impl Drop for Notice {
    fn drop(&mut self) {
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

    fn insert(&mut self, make: impl FnOnce(Notice) -> JoinHandle<T>) {
        let slot = self.free.pop().unwrap_or_else(|| {
            self.handles.push(None);
            self.handles.len() - 1
        });
        let notice = Notice {
            slot,
            shared: self.shared.clone(),
        };
        self.handles[slot] = Some(make(notice));
        self.len += 1;
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
    pub fn spawn_local<F>(&mut self, future: F)
    where
        F: Future<Output = T> + 'static,
    {
        self.insert(|notice| {
            super::spawn_local(async move {
                let _notice = notice;
                future.await
            })
        });
    }
}

impl<T: Send + 'static> JoinSet<T> {
    /// Spawns `future` on the current runtime (or the global one) and adds it to the set.
    pub fn spawn<F>(&mut self, future: F)
    where
        F: Future<Output = T> + Send + 'static,
    {
        self.insert(|notice| {
            crate::spawn(async move {
                let _notice = notice;
                future.await
            })
        });
    }

    /// Spawns `future` on the runtime of `handle` and adds it to the set.
    pub fn spawn_on<F>(&mut self, future: F, handle: &Handle)
    where
        F: Future<Output = T> + Send + 'static,
    {
        self.insert(|notice| {
            handle.spawn(async move {
                let _notice = notice;
                future.await
            })
        });
    }

    /// Runs `f` on the blocking pool and adds it to the set.
    pub fn spawn_blocking<F>(&mut self, f: F)
    where
        F: FnOnce() -> T + Send + 'static,
    {
        self.insert(|notice| {
            crate::task::spawn_blocking(move || {
                let _notice = notice;
                f()
            })
        });
    }
}

impl<T> JoinSet<T> {
    /// Waits for one of the tasks to finish and returns its result; `None` once the set is
    /// empty.
    pub async fn join_next(&mut self) -> Option<Result<T, JoinError>> {
        std::future::poll_fn(|cx| self.poll_join_next(cx)).await
    }

    /// Polls for the next finished task; see [`JoinSet::join_next`].
    pub fn poll_join_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<T, JoinError>>> {
        if self.len == 0 {
            return Poll::Ready(None);
        }
        loop {
            match self.shared.done.pop() {
                Ok(slot) => {
                    let Some(handle) = self.handles[slot].as_mut() else {
                        continue;
                    };
                    // The notice is posted as the future is dropped, a moment before the task
                    // stores its output; if we are early, the handle registers our waker.
                    match Pin::new(handle).poll(cx) {
                        Poll::Ready(result) => {
                            self.handles[slot] = None;
                            self.free.push(slot);
                            self.len -= 1;
                            return Poll::Ready(Some(result));
                        }
                        Poll::Pending => {
                            // Keep the slot for the next poll.
                            let _ = self.shared.done.push(slot);
                            return Poll::Pending;
                        }
                    }
                }
                Err(_) => {
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

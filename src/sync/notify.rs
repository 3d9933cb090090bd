//! [`Notify`]: wake one task or all tasks, without sending data.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use super::wait_list::{set_waker, WaitList, WakeList};
use crate::loom::{lock, AtomicUsize, Mutex, Ordering};

/// Notifies waiting tasks: the building block for hand-rolled synchronization.
///
/// - [`notify_one`](Notify::notify_one) wakes the longest-waiting [`Notified`] future. If
///   nobody is waiting it stores a *permit* (at most one; notifying again does not add a second)
///   that the next [`notified()`](Notify::notified) consumes at once.
/// - [`notify_waiters`](Notify::notify_waiters) wakes every `Notified` future that exists when
///   it is called, including ones created but not yet polled. It stores no permit.
///
/// A `Notified` that was chosen by `notify_one` but is dropped before it reports completion
/// passes the notification on to the next waiter (or back into the permit), so a cancelled
/// waiter never swallows a notification.
///
/// ```
/// use std::sync::Arc;
/// use evloop::sync::Notify;
///
/// # evloop::block_on(async {
/// let notify = Arc::new(Notify::new());
/// let waiter = notify.clone();
/// let task = evloop::spawn(async move {
///     waiter.notified().await;
///     "woken"
/// });
/// notify.notify_one(); // wakes the task, or leaves a permit if it is not waiting yet
/// assert_eq!(task.await.unwrap(), "woken");
/// # });
/// ```
pub struct Notify {
    /// How many times `notify_waiters` has been called. A `Notified` records it when created;
    /// finding it changed later means a `notify_waiters` call happened in between. Written only
    /// under the lock.
    calls: AtomicUsize,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    /// A stored `notify_one` that nobody has consumed.
    permit: bool,
    waiters: WaitList<Waiter>,
}

#[derive(Debug)]
struct Waiter {
    waker: Option<Waker>,
    notified: Option<Notification>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Notification {
    One,
    All,
}

/// The future of [`Notify::notified`]; completes when notified.
///
/// ```
/// use evloop::sync::Notify;
///
/// # evloop::block_on(async {
/// let notify = Notify::new();
/// let notified = notify.notified();
/// notify.notify_waiters(); // counts for `notified`, which already exists
/// notified.await;
/// # });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Notified<'a> {
    notify: &'a Notify,
    /// `notify.calls` when this future was created.
    calls: usize,
    state: NotifiedState,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NotifiedState {
    Init,
    Waiting(usize),
    Done,
}

impl Notify {
    /// Creates a `Notify` with no stored permit.
    ///
    /// ```
    /// use evloop::sync::Notify;
    /// let notify = Notify::new();
    /// # drop(notify);
    /// ```
    pub fn new() -> Notify {
        Notify {
            calls: AtomicUsize::new(0),
            state: Mutex::new(State {
                permit: false,
                waiters: WaitList::new(),
            }),
        }
    }

    /// Creates a `Notify` in a `const` context, for example a `static`.
    ///
    /// ```
    /// use evloop::sync::Notify;
    /// static READY: Notify = Notify::const_new();
    /// READY.notify_one();
    /// ```
    #[cfg(not(loom))]
    pub const fn const_new() -> Notify {
        Notify {
            calls: AtomicUsize::new(0),
            state: Mutex::new(State {
                permit: false,
                waiters: WaitList::new(),
            }),
        }
    }

    /// Returns a future that completes when this `Notify` is notified.
    ///
    /// The future counts as waiting for [`notify_waiters`](Notify::notify_waiters) from the
    /// moment it is created; for [`notify_one`](Notify::notify_one) from its first poll (or
    /// [`Notified::enable`]). Cancellation safe: dropping it never loses a `notify_one`.
    ///
    /// ```
    /// use evloop::sync::Notify;
    ///
    /// # evloop::block_on(async {
    /// let notify = Notify::new();
    /// notify.notify_one();
    /// notify.notified().await; // consumes the stored permit
    /// # });
    /// ```
    pub fn notified(&self) -> Notified<'_> {
        Notified {
            notify: self,
            calls: self.calls.load(Ordering::SeqCst),
            state: NotifiedState::Init,
        }
    }

    /// Wakes the task that has waited longest, or stores a permit if none is waiting.
    ///
    /// ```
    /// use evloop::sync::Notify;
    ///
    /// # evloop::block_on(async {
    /// let notify = Notify::new();
    /// notify.notify_one();
    /// notify.notify_one(); // still one permit, not two
    /// notify.notified().await;
    /// # });
    /// ```
    pub fn notify_one(&self) {
        let mut state = lock(&self.state);
        let waker = notify_one_locked(&mut state);
        drop(state);
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Wakes every task waiting right now (every [`Notified`] created before this call). Stores
    /// no permit: a `notified()` created afterwards waits for the next notification.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use evloop::sync::Notify;
    ///
    /// # evloop::block_on(async {
    /// let notify = Arc::new(Notify::new());
    /// let tasks: Vec<_> = (0..3)
    ///     .map(|_| {
    ///         // Created here, before `notify_waiters`, so it counts even if the task has not
    ///         // started yet.
    ///         let notified = notify.clone().notified_owned();
    ///         evloop::spawn(notified)
    ///     })
    ///     .collect();
    /// notify.notify_waiters();
    /// for task in tasks {
    ///     task.await.unwrap();
    /// }
    /// # });
    /// ```
    pub fn notify_waiters(&self) {
        let mut state = lock(&self.state);
        self.calls.fetch_add(1, Ordering::SeqCst);
        let mut wakers = WakeList::new();
        state.waiters.drain(|waiter| {
            waiter.notified = Some(Notification::All);
            wakers.push(waiter.waker.take());
        });
        drop(state);
        wakers.wake_all();
    }

    /// Like [`notified`](Notify::notified) for a shared `Notify`: the returned future owns a
    /// reference to it, so it is `'static` and can move into a task.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use evloop::sync::Notify;
    ///
    /// # evloop::block_on(async {
    /// let notify = Arc::new(Notify::new());
    /// let notified = notify.clone().notified_owned();
    /// notify.notify_one();
    /// evloop::spawn(notified).await.unwrap();
    /// # });
    /// ```
    pub fn notified_owned(self: std::sync::Arc<Self>) -> OwnedNotified {
        let calls = self.calls.load(Ordering::SeqCst);
        OwnedNotified {
            notify: self,
            calls,
            state: NotifiedState::Init,
        }
    }
}

/// Picks the waiter for a `notify_one`, or stores the permit; returns the waker to wake.
fn notify_one_locked(state: &mut State) -> Option<Waker> {
    match state.waiters.pop_front() {
        Some(key) => {
            let waiter = state.waiters.get_mut(key);
            waiter.notified = Some(Notification::One);
            waiter.waker.take()
        }
        None => {
            state.permit = true;
            None
        }
    }
}

impl Default for Notify {
    fn default() -> Notify {
        Notify::new()
    }
}

impl fmt::Debug for Notify {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = lock(&self.state);
        f.debug_struct("Notify")
            .field("permit", &state.permit)
            .field("waiters", &state.waiters.len())
            .finish()
    }
}

/// The shared logic of [`Notified`] and [`OwnedNotified`].
fn poll_notified(
    notify: &Notify,
    calls: usize,
    slot: &mut NotifiedState,
    waker: Option<&Waker>,
) -> Poll<()> {
    match *slot {
        NotifiedState::Done => Poll::Ready(()),
        NotifiedState::Init => {
            let mut state = lock(&notify.state);
            if notify.calls.load(Ordering::SeqCst) != calls {
                *slot = NotifiedState::Done;
                return Poll::Ready(());
            }
            if state.permit {
                state.permit = false;
                *slot = NotifiedState::Done;
                return Poll::Ready(());
            }
            let key = state.waiters.push_back(Waiter {
                waker: waker.cloned(),
                notified: None,
            });
            *slot = NotifiedState::Waiting(key);
            Poll::Pending
        }
        NotifiedState::Waiting(key) => {
            let mut state = lock(&notify.state);
            let waiter = state.waiters.get_mut(key);
            if waiter.notified.is_some() {
                state.waiters.remove(key);
                *slot = NotifiedState::Done;
                return Poll::Ready(());
            }
            if let Some(waker) = waker {
                set_waker(&mut waiter.waker, waker);
            }
            Poll::Pending
        }
    }
}

/// Cleanup of a dropped [`Notified`] or [`OwnedNotified`].
fn drop_notified(notify: &Notify, slot: NotifiedState) {
    let NotifiedState::Waiting(key) = slot else {
        return;
    };
    let mut state = lock(&notify.state);
    let waiter = state.waiters.remove(key);
    if waiter.notified == Some(Notification::One) {
        // Chosen by `notify_one` but never completed: hand the notification on.
        let waker = notify_one_locked(&mut state);
        drop(state);
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl Notified<'_> {
    /// Registers this future as a waiter without polling it, so that a
    /// [`notify_one`](Notify::notify_one) can choose it. Returns `true` if it is already
    /// notified (polling it will complete at once).
    ///
    /// ```
    /// use std::pin::pin;
    /// use evloop::sync::Notify;
    ///
    /// # evloop::block_on(async {
    /// let notify = Notify::new();
    /// let mut notified = pin!(notify.notified());
    /// assert!(!notified.as_mut().enable());
    /// notify.notify_one(); // goes to `notified`, not into a permit
    /// assert!(notified.as_mut().enable());
    /// notified.await;
    /// # });
    /// ```
    pub fn enable(self: Pin<&mut Self>) -> bool {
        let this = self.get_mut();
        poll_notified(this.notify, this.calls, &mut this.state, None).is_ready()
    }
}

impl Future for Notified<'_> {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        poll_notified(this.notify, this.calls, &mut this.state, Some(cx.waker()))
    }
}

impl Drop for Notified<'_> {
    fn drop(&mut self) {
        drop_notified(self.notify, self.state);
    }
}

impl fmt::Debug for Notified<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Notified")
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

/// The future of [`Notify::notified_owned`]; behaves like [`Notified`].
///
/// ```
/// use std::sync::Arc;
/// use evloop::sync::Notify;
///
/// # evloop::block_on(async {
/// let notify = Arc::new(Notify::new());
/// let notified = notify.clone().notified_owned();
/// notify.notify_waiters();
/// notified.await;
/// # });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct OwnedNotified {
    notify: std::sync::Arc<Notify>,
    calls: usize,
    state: NotifiedState,
}

impl OwnedNotified {
    /// See [`Notified::enable`].
    ///
    /// ```
    /// use std::pin::pin;
    /// use std::sync::Arc;
    /// use evloop::sync::Notify;
    ///
    /// let notify = Arc::new(Notify::new());
    /// let mut notified = pin!(notify.clone().notified_owned());
    /// notify.notify_one();
    /// assert!(notified.as_mut().enable());
    /// ```
    pub fn enable(self: Pin<&mut Self>) -> bool {
        let this = self.get_mut();
        poll_notified(&this.notify, this.calls, &mut this.state, None).is_ready()
    }
}

impl Future for OwnedNotified {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        poll_notified(&this.notify, this.calls, &mut this.state, Some(cx.waker()))
    }
}

impl Drop for OwnedNotified {
    fn drop(&mut self) {
        drop_notified(&self.notify, self.state);
    }
}

impl fmt::Debug for OwnedNotified {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedNotified")
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::sync::loom_support::{block_on, model};
    use loom::thread;
    use std::sync::Arc;

    #[test]
    fn notify_one_is_never_lost() {
        model(|| {
            let notify = Arc::new(Notify::new());
            let other = notify.clone();
            let t = thread::spawn(move || other.notify_one());
            block_on(notify.notified());
            t.join().unwrap();
        });
    }

    #[test]
    fn notify_waiters_reaches_a_future_created_before_it() {
        model(|| {
            let notify = Arc::new(Notify::new());
            let notified = notify.clone().notified_owned();
            let other = notify.clone();
            let t = thread::spawn(move || other.notify_waiters());
            block_on(notified);
            t.join().unwrap();
        });
    }
}

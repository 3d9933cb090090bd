//! [`SetOnce`]: a value set once, that tasks can wait for.
//!
//! # How it works
//! A `SetOnce` is three fields: `slot`, a `OnceSlot` (an atomic flag, `value_set` below, and
//! the possibly uninitialized `value`, published once); `setting`, a short blocking lock that
//! admits one `set` at a time; and `notify`, a [`Notify`] on which [`wait`](SetOnce::wait)
//! sleeps.
//!
//! - [`set`](SetOnce::set) takes `setting`, checks `value_set`, writes `value`, stores `true`
//!   into `value_set` (release) and lets go of the lock; then it calls
//!   [`Notify::notify_waiters`]. No user code runs under the lock, only a move of the value.
//! - [`wait`](SetOnce::wait) looks at `value_set`; if the value is missing, it creates a
//!   [`Notified`](super::Notified) future, looks again, and only then sleeps. A `Notified`
//!   counts every `notify_waiters` call made after it was created, so a `set` that stored the
//!   flag after the second look also wakes it: no wake-up is lost. A `set` that stored the flag
//!   before the `Notified` was created is seen by the second look (the `Notified` reads the
//!   call count with a sequentially consistent load, which synchronizes with the increment made
//!   after the flag was stored).
//! - Once `value_set` is true, `value` is only read through `&self`; it is moved out or dropped
//!   only through `&mut self` or by value (`into_inner`, drop).
//!
//! Dropping a waiting `wait` future removes it from the `Notify`'s list and loses nothing,
//! since every waiter is woken by the one `notify_waiters` call.

use std::error::Error;
use std::fmt;

use super::once_slot::OnceSlot;
use super::Notify;
use crate::loom::{lock, Mutex};

/// A thread-safe cell that is written once, and that tasks can wait on until it is.
///
/// Where a [`OnceCell`](super::OnceCell) is filled by whichever caller gets there first with an
/// initializer, a `SetOnce` is filled by one party with [`set`](SetOnce::set) while others
/// [`wait`](SetOnce::wait) for it, like an event that carries a value (Python's
/// `asyncio.Event`). Reading it with [`get`](SetOnce::get) never waits.
///
/// - **Set once**: the first `set` stores the value and wakes every waiter; later calls fail
///   with [`SetOnceError`], which hands their value back.
/// - **Cancellation safe**: a `wait` future may be dropped at any time (a lost `select!`
///   branch, a timeout) without affecting the other waiters.
/// - **No runtime needed**: it works on any executor.
///
/// # Examples
/// ```
/// use evloop::sync::SetOnce;
///
/// static READY: SetOnce<u32> = SetOnce::const_new();
///
/// # evloop::block_on(async {
/// let waiter = evloop::spawn(async { *READY.wait().await + 1 });
/// assert_eq!(READY.get(), None); // `get` does not wait
/// READY.set(41).unwrap();
/// assert_eq!(waiter.await.unwrap(), 42);
/// assert!(READY.set(0).is_err()); // set once only
/// # });
/// ```
///
/// Shared through an `Arc`:
/// ```
/// use std::sync::Arc;
/// use evloop::sync::SetOnce;
///
/// # evloop::block_on(async {
/// let address = Arc::new(SetOnce::<String>::new());
/// let tasks: Vec<_> = (0..3)
///     .map(|_| {
///         let address = address.clone();
///         evloop::spawn(async move { address.wait().await.len() })
///     })
///     .collect();
/// address.set(String::from("127.0.0.1:8080")).unwrap();
/// for task in tasks {
///     assert_eq!(task.await.unwrap(), 14);
/// }
/// # });
/// ```
pub struct SetOnce<T> {
    /// The value; written only by a `set` that holds `setting` and found it empty.
    slot: OnceSlot<T>,
    /// Admits one `set` at a time.
    setting: Mutex<()>,
    /// Wakes the waiters once the value is set.
    notify: Notify,
}

impl<T> SetOnce<T> {
    /// Creates an empty `SetOnce`.
    ///
    /// ```
    /// use evloop::sync::SetOnce;
    ///
    /// let once = SetOnce::<u32>::new();
    /// assert!(!once.initialized());
    /// ```
    pub fn new() -> SetOnce<T> {
        SetOnce {
            slot: OnceSlot::new(),
            setting: Mutex::new(()),
            notify: Notify::new(),
        }
    }

    /// Creates an empty `SetOnce` in a `const` context, for example a `static`.
    ///
    /// ```
    /// use evloop::sync::SetOnce;
    ///
    /// static SHUTDOWN_REASON: SetOnce<&str> = SetOnce::const_new();
    ///
    /// SHUTDOWN_REASON.set("signal").unwrap();
    /// assert_eq!(SHUTDOWN_REASON.get(), Some(&"signal"));
    /// ```
    #[cfg(not(loom))]
    pub const fn const_new() -> SetOnce<T> {
        SetOnce {
            slot: OnceSlot::const_new(),
            setting: Mutex::new(()),
            notify: Notify::const_new(),
        }
    }

    /// Creates a `SetOnce` holding `value` if it is `Some`, and an empty one (like
    /// [`new`](SetOnce::new)) if it is `None`.
    ///
    /// ```
    /// use evloop::sync::SetOnce;
    ///
    /// assert_eq!(SetOnce::new_with(Some(3)).get(), Some(&3));
    /// assert_eq!(SetOnce::<u32>::new_with(None).get(), None);
    /// ```
    pub fn new_with(value: Option<T>) -> SetOnce<T> {
        match value {
            Some(value) => SetOnce::from(value),
            None => SetOnce::new(),
        }
    }

    /// Creates a `SetOnce` holding `value`, in a `const` context, for example a `static`.
    ///
    /// ```
    /// use evloop::sync::SetOnce;
    ///
    /// static LIMIT: SetOnce<u32> = SetOnce::const_new_with(100);
    ///
    /// # evloop::block_on(async {
    /// assert_eq!(*LIMIT.wait().await, 100); // already set: does not wait
    /// assert!(LIMIT.set(5).is_err());
    /// # });
    /// ```
    #[cfg(not(loom))]
    pub const fn const_new_with(value: T) -> SetOnce<T> {
        SetOnce {
            slot: OnceSlot::const_new_with(value),
            setting: Mutex::new(()),
            notify: Notify::const_new(),
        }
    }

    /// Whether the value has been set.
    ///
    /// ```
    /// use evloop::sync::SetOnce;
    ///
    /// let once = SetOnce::new();
    /// assert!(!once.initialized());
    /// once.set(()).unwrap();
    /// assert!(once.initialized());
    /// ```
    pub fn initialized(&self) -> bool {
        self.slot.is_set()
    }

    /// A reference to the value, or `None` if it has not been set. Never waits.
    ///
    /// ```
    /// use evloop::sync::SetOnce;
    ///
    /// let once = SetOnce::new();
    /// assert_eq!(once.get(), None);
    /// once.set(5).unwrap();
    /// assert_eq!(once.get(), Some(&5));
    /// ```
    pub fn get(&self) -> Option<&T> {
        self.slot.get()
    }

    /// Sets the value and wakes every task waiting in [`wait`](SetOnce::wait).
    ///
    /// Fails with [`SetOnceError`], handing `value` back, if the value has already been set.
    /// When several tasks call `set` at once, exactly one succeeds, and by the time the others
    /// get their error, [`get`](SetOnce::get) returns the winner's value.
    ///
    /// ```
    /// use evloop::sync::{SetOnce, SetOnceError};
    ///
    /// let once = SetOnce::new();
    /// assert_eq!(once.set(1), Ok(()));
    /// assert_eq!(once.set(2), Err(SetOnceError(2)));
    /// assert_eq!(once.get(), Some(&1));
    /// ```
    pub fn set(&self, value: T) -> Result<(), SetOnceError<T>> {
        if self.initialized() {
            return Err(SetOnceError(value));
        }
        let setting = lock(&self.setting);
        // Under the lock: a `set` that got in first stored `true` before unlocking.
        if self.initialized() {
            return Err(SetOnceError(value));
        }
        // SAFETY: we hold `setting` and the slot is empty, so we are its only writer. The value
        // is published before the `notify_waiters` below, so that a woken waiter finds it.
        unsafe { self.slot.set_unchecked(value) };
        drop(setting);
        self.notify.notify_waiters();
        Ok(())
    }

    /// Consumes the `SetOnce` and returns its value, or `None` if it was never set.
    ///
    /// ```
    /// use evloop::sync::SetOnce;
    ///
    /// let once = SetOnce::new();
    /// once.set(String::from("value")).unwrap();
    /// assert_eq!(once.into_inner(), Some(String::from("value")));
    /// assert_eq!(SetOnce::<String>::new().into_inner(), None);
    /// ```
    pub fn into_inner(mut self) -> Option<T> {
        self.slot.take()
    }

    /// Waits until the value is set, and returns a reference to it.
    ///
    /// Returns at once if it is already set. Any number of tasks may wait at the same time;
    /// [`set`](SetOnce::set) wakes them all. Cancellation safe: dropping the future before it
    /// completes loses nothing.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use evloop::sync::SetOnce;
    ///
    /// # evloop::block_on(async {
    /// let once = Arc::new(SetOnce::new());
    /// let setter = once.clone();
    /// evloop::spawn(async move { setter.set("ready").unwrap() });
    /// assert_eq!(*once.wait().await, "ready");
    /// # });
    /// ```
    pub async fn wait(&self) -> &T {
        loop {
            if let Some(value) = self.get() {
                return value;
            }
            // Created before the second look: a `set` that stores the value after that look
            // calls `notify_waiters` afterwards, which this future counts (see the module
            // documentation).
            let notified = self.notify.notified();
            if let Some(value) = self.get() {
                return value;
            }
            notified.await;
            // `notify_waiters` is only called once the value is stored, so the next look
            // finds it.
        }
    }
}

impl<T> Default for SetOnce<T> {
    /// An empty `SetOnce`, like [`SetOnce::new`].
    fn default() -> SetOnce<T> {
        SetOnce::new()
    }
}

impl<T> From<T> for SetOnce<T> {
    /// A `SetOnce` that already holds `value`.
    fn from(value: T) -> SetOnce<T> {
        SetOnce {
            slot: OnceSlot::new_with(value),
            setting: Mutex::new(()),
            notify: Notify::new(),
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for SetOnce<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SetOnce")
            .field("value", &self.get())
            .finish()
    }
}

impl<T: Clone> Clone for SetOnce<T> {
    /// A new `SetOnce` holding a clone of the value, or an empty one if the value is not set.
    /// Waiters of the original are not carried over.
    fn clone(&self) -> SetOnce<T> {
        SetOnce::new_with(self.get().cloned())
    }
}

impl<T: PartialEq> PartialEq for SetOnce<T> {
    /// Two `SetOnce`s are equal when neither is set, or both hold equal values.
    fn eq(&self, other: &SetOnce<T>) -> bool {
        self.get() == other.get()
    }
}

impl<T: Eq> Eq for SetOnce<T> {}

/// Error returned by [`SetOnce::set`] when the value was already set; it hands the rejected
/// value back, in its public field or through [`into_inner`](SetOnceError::into_inner).
///
/// ```
/// use evloop::sync::{SetOnce, SetOnceError};
///
/// let once = SetOnce::new_with(Some(1));
/// let err: SetOnceError<i32> = once.set(2).unwrap_err();
/// assert_eq!(err.to_string(), "SetOnceError");
/// assert_eq!(err.0, 2);
/// assert_eq!(err.into_inner(), 2);
/// ```
#[derive(Debug, PartialEq, Eq)]
pub struct SetOnceError<T>(pub T);

impl<T> SetOnceError<T> {
    /// The value that [`SetOnce::set`] was given and did not store.
    ///
    /// ```
    /// use evloop::sync::SetOnce;
    ///
    /// let once = SetOnce::from(String::from("first"));
    /// let err = once.set(String::from("second")).unwrap_err();
    /// assert_eq!(err.into_inner(), "second");
    /// ```
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> fmt::Display for SetOnceError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SetOnceError")
    }
}

impl<T: fmt::Debug> Error for SetOnceError<T> {}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use futures_lite::future::{block_on, poll_once};
    use std::pin::pin;

    #[test]
    fn a_waiter_created_before_set_is_woken_and_leaves_no_trace() {
        let once = SetOnce::new();
        {
            let mut wait = pin!(once.wait());
            assert!(block_on(poll_once(&mut wait)).is_none());
            once.set(3).unwrap();
            assert_eq!(block_on(poll_once(&mut wait)), Some(&3));
        }
        assert!(format!("{:?}", once.notify).contains("waiters: 0"));
    }

    #[test]
    fn a_dropped_waiter_leaves_the_waiter_list() {
        let once = SetOnce::<u8>::new();
        {
            let mut wait = pin!(once.wait());
            assert!(block_on(poll_once(&mut wait)).is_none());
            assert!(format!("{:?}", once.notify).contains("waiters: 1"));
        }
        assert!(format!("{:?}", once.notify).contains("waiters: 0"));
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::sync::loom_support::{block_on, model};
    use loom::sync::Arc;
    use loom::thread;

    #[test]
    fn wait_sees_a_racing_set() {
        model(|| {
            let once = Arc::new(SetOnce::new());
            let other = once.clone();
            let t = thread::spawn(move || other.set(1).is_ok());
            assert_eq!(*block_on(once.wait()), 1);
            assert!(t.join().unwrap());
        });
    }

    #[test]
    fn two_setters_one_value() {
        model(|| {
            let once = Arc::new(SetOnce::new());
            let other = once.clone();
            let t = thread::spawn(move || other.set(1).is_ok());
            let here = once.set(2).is_ok();
            // Whoever lost sees the winner's value as soon as its `set` fails.
            if !here {
                assert_eq!(once.get(), Some(&1));
            }
            let there = t.join().unwrap();
            assert!(here != there, "exactly one `set` succeeds");
            assert_eq!(*block_on(once.wait()), if here { 2 } else { 1 });
        });
    }

    #[test]
    fn a_set_wakes_waiters_on_two_threads() {
        model(|| {
            let once = Arc::new(SetOnce::new());
            let other = once.clone();
            let t = thread::spawn(move || *block_on(other.wait()));
            let setter = once.clone();
            let s = thread::spawn(move || setter.set(7).unwrap());
            assert_eq!(*block_on(once.wait()), 7);
            s.join().unwrap();
            assert_eq!(t.join().unwrap(), 7);
        });
    }
}

//! [`OnceCell`]: a cell written at most once, whose initializer may be asynchronous.
//!
//! # How it works
//! A cell is two fields: `slot`, a `OnceSlot` (an atomic flag, `value_set` below, and the
//! possibly uninitialized `value`, published once); and `semaphore`, a fair [`Semaphore`] that
//! decides who may write `value`.
//!
//! - While `value_set` is false, the semaphore is open and owns exactly one permit in total:
//!   available, held by the one task that is initializing, or in flight to the next waiter.
//!   Only the holder of that permit writes `value`.
//! - The holder sets the value by writing `value`, storing `true` into `value_set` (release),
//!   forgetting its permit and closing the semaphore. Closing wakes every waiter, and their
//!   acquires fail: that failure is how they learn the value is there. Setting the flag before
//!   closing means whoever sees the semaphore closed also sees the value.
//! - A cell created full starts with `value_set` true and a semaphore that has no permit to
//!   give: closed ([`OnceCell::new_with`], [`From`]) or simply empty and never released
//!   ([`OnceCell::const_new_with`], where closing is not possible in a `const` context).
//!   Every path checks `value_set` before it acquires, so nobody ever waits on such a cell.
//! - Once `value_set` is true, `value` is only read through `&self`; it is written or moved out
//!   only through `&mut self` or by value (`get_mut`, `take`, `into_inner`, drop).
//!
//! An initializer that is cancelled (its future dropped), panics or fails drops the permit,
//! which the semaphore hands straight to the next waiter in FIFO order; that waiter then runs
//! its own initializer.

use std::error::Error;
use std::fmt;
use std::future::Future;

use super::once_slot::OnceSlot;
use super::{Semaphore, SemaphorePermit, TryAcquireError};

/// A thread-safe cell that can be written to only once, with an asynchronous initializer.
///
/// A `OnceCell` is typically used for a value that is set up on first use and never changes
/// afterwards: a global configuration, a connection, a lazily computed table. Unlike
/// [`std::sync::OnceLock`], the initializer given to [`get_or_init`](OnceCell::get_or_init)
/// is a future, and tasks waiting for it wait without blocking their thread.
///
/// - **One initializer at a time**: while one task runs its initializer, the others wait in
///   FIFO order and all get the value it produced.
/// - **Cancellation safe**: if the running initializer is cancelled (its future dropped),
///   panics, or (with [`get_or_try_init`](OnceCell::get_or_try_init)) fails, the cell stays
///   empty and the next waiter runs its own initializer. No waiter is left hanging.
/// - **No runtime needed**: it works on any executor.
///
/// # Examples
/// ```
/// use evloop::sync::OnceCell;
///
/// async fn some_computation() -> u32 {
///     1 + 1
/// }
///
/// static ONCE: OnceCell<u32> = OnceCell::const_new();
///
/// # evloop::block_on(async {
/// let result = ONCE.get_or_init(some_computation).await;
/// assert_eq!(*result, 2);
/// # });
/// ```
///
/// It is often useful to wrap the access in a function:
/// ```
/// use evloop::sync::OnceCell;
///
/// static ONCE: OnceCell<u32> = OnceCell::const_new();
///
/// async fn get_global_integer() -> &'static u32 {
///     ONCE.get_or_init(|| async { 1 + 1 }).await
/// }
///
/// # evloop::block_on(async {
/// assert_eq!(*get_global_integer().await, 2);
/// # });
/// ```
pub struct OnceCell<T> {
    /// The value; written only by the holder of the semaphore's permit (see the module
    /// documentation).
    slot: OnceSlot<T>,
    /// Hands the right to initialize to one task at a time; closed (or permit-less) once the
    /// value is set.
    semaphore: Semaphore,
}

impl<T> OnceCell<T> {
    /// Creates an empty cell.
    ///
    /// ```
    /// use evloop::sync::OnceCell;
    ///
    /// let cell = OnceCell::<u32>::new();
    /// assert!(!cell.initialized());
    /// assert_eq!(cell.get(), None);
    /// ```
    pub fn new() -> OnceCell<T> {
        OnceCell {
            slot: OnceSlot::new(),
            semaphore: Semaphore::new(1),
        }
    }

    /// Creates an empty cell in a `const` context, for example a `static`.
    ///
    /// ```
    /// use evloop::sync::OnceCell;
    ///
    /// static ONCE: OnceCell<u32> = OnceCell::const_new();
    ///
    /// async fn get_global_integer() -> &'static u32 {
    ///     ONCE.get_or_init(|| async { 1 + 1 }).await
    /// }
    ///
    /// # evloop::block_on(async {
    /// assert_eq!(*get_global_integer().await, 2);
    /// # });
    /// ```
    #[cfg(not(loom))]
    pub const fn const_new() -> OnceCell<T> {
        OnceCell {
            slot: OnceSlot::const_new(),
            semaphore: Semaphore::const_new(1),
        }
    }

    /// Creates a cell holding `value` if it is `Some`, and an empty one (like
    /// [`new`](OnceCell::new)) if it is `None`.
    ///
    /// ```
    /// use evloop::sync::OnceCell;
    ///
    /// assert_eq!(OnceCell::new_with(Some(3)).get(), Some(&3));
    /// assert_eq!(OnceCell::<u32>::new_with(None).get(), None);
    /// ```
    pub fn new_with(value: Option<T>) -> OnceCell<T> {
        match value {
            Some(value) => OnceCell::from(value),
            None => OnceCell::new(),
        }
    }

    /// Creates a cell holding `value`, in a `const` context, for example a `static`.
    ///
    /// ```
    /// use evloop::sync::OnceCell;
    ///
    /// static ONCE: OnceCell<u32> = OnceCell::const_new_with(1);
    ///
    /// async fn get_global_integer() -> &'static u32 {
    ///     ONCE.get_or_init(|| async { 1 + 1 }).await
    /// }
    ///
    /// # evloop::block_on(async {
    /// // The cell was full from the start: the initializer does not run.
    /// assert_eq!(*get_global_integer().await, 1);
    /// # });
    /// ```
    #[cfg(not(loom))]
    pub const fn const_new_with(value: T) -> OnceCell<T> {
        OnceCell {
            slot: OnceSlot::const_new_with(value),
            // A semaphore cannot be closed in a `const` context; one without permits, never
            // released, keeps everyone out just as well (see the module documentation).
            semaphore: Semaphore::const_new(0),
        }
    }

    /// Whether the cell holds a value.
    ///
    /// ```
    /// use evloop::sync::OnceCell;
    ///
    /// let cell = OnceCell::new();
    /// assert!(!cell.initialized());
    /// cell.set(1).unwrap();
    /// assert!(cell.initialized());
    /// ```
    pub fn initialized(&self) -> bool {
        self.slot.is_set()
    }

    /// Stores `value` with the semaphore's permit in hand, publishes it and lets every waiter
    /// through.
    fn set_value(&self, value: T, permit: SemaphorePermit<'_>) -> &T {
        // SAFETY: we hold the semaphore's only permit and the value is not set, so we are the
        // only writer of an empty slot (see the module documentation).
        let value = unsafe { self.slot.set_unchecked(value) };
        // The value is published before `close`, so a waiter that finds the semaphore closed
        // also finds the value. The permit is never given back: nobody may initialize a full
        // cell.
        permit.forget();
        self.semaphore.close();
        value
    }

    /// The value of a cell whose semaphore turned out closed: by the time a semaphore is
    /// closed, its cell holds a value (see the module documentation).
    fn get_after_close(&self) -> &T {
        match self.get() {
            Some(value) => value,
            None => unreachable!("a OnceCell's semaphore is closed only once its value is set"),
        }
    }

    /// A reference to the value, or `None` if the cell is empty (or still being initialized).
    ///
    /// ```
    /// use evloop::sync::OnceCell;
    ///
    /// let cell = OnceCell::new();
    /// assert_eq!(cell.get(), None);
    /// cell.set("hello").unwrap();
    /// assert_eq!(cell.get(), Some(&"hello"));
    /// ```
    pub fn get(&self) -> Option<&T> {
        self.slot.get()
    }

    /// A mutable reference to the value, or `None` if the cell is empty.
    ///
    /// The `&mut self` borrow guarantees that no other reference to the value exists, so it is
    /// safe to change it in place.
    ///
    /// ```
    /// use evloop::sync::OnceCell;
    ///
    /// let mut cell = OnceCell::new_with(Some(1));
    /// *cell.get_mut().unwrap() += 1;
    /// assert_eq!(cell.get(), Some(&2));
    /// ```
    pub fn get_mut(&mut self) -> Option<&mut T> {
        self.slot.get_mut()
    }

    /// Sets the value if the cell is empty.
    ///
    /// Fails, handing `value` back, with [`SetError::AlreadyInitializedError`] if the cell
    /// already holds a value, and with [`SetError::InitializingError`] if it is empty but
    /// another task is running an initializer (or is about to).
    ///
    /// ```
    /// use evloop::sync::{OnceCell, SetError};
    ///
    /// let cell = OnceCell::new();
    /// assert_eq!(cell.set(1), Ok(()));
    /// assert_eq!(cell.set(2), Err(SetError::AlreadyInitializedError(2)));
    /// assert_eq!(cell.get(), Some(&1));
    /// ```
    pub fn set(&self, value: T) -> Result<(), SetError<T>> {
        if self.initialized() {
            return Err(SetError::AlreadyInitializedError(value));
        }
        // Whoever holds the permit is initializing the cell; if we get it, that is us.
        match self.semaphore.try_acquire() {
            Ok(permit) => {
                debug_assert!(!self.initialized());
                self.set_value(value, permit);
                Ok(())
            }
            Err(TryAcquireError::NoPermits) => Err(SetError::InitializingError(value)),
            // Closed: another task has set the value since we looked.
            Err(TryAcquireError::Closed) => Err(SetError::AlreadyInitializedError(value)),
        }
    }

    /// Returns the value, first initializing the cell with `f` if it is empty.
    ///
    /// If another task is running its initializer, this waits for it to finish and returns the
    /// value it produced. Callers wait in FIFO order and only one initializer runs at a time:
    /// once one has produced the value, no other caller's `f` is called.
    ///
    /// If the initializer is cancelled (this future is dropped while `f`'s future runs) or
    /// panics, the attempt is abandoned and the cell stays empty; the next waiting caller, if
    /// any, then runs its own initializer.
    ///
    /// This deadlocks if `f` tries to initialize the same cell itself.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use evloop::sync::OnceCell;
    ///
    /// # evloop::block_on(async {
    /// let cell = Arc::new(OnceCell::new());
    /// let calls = Arc::new(AtomicUsize::new(0));
    /// let mut tasks = Vec::new();
    /// for _ in 0..10 {
    ///     let (cell, calls) = (cell.clone(), calls.clone());
    ///     tasks.push(evloop::spawn(async move {
    ///         *cell
    ///             .get_or_init(|| async {
    ///                 calls.fetch_add(1, Ordering::SeqCst);
    ///                 "configuration".to_string()
    ///             })
    ///             .await
    ///             == "configuration"
    ///     }));
    /// }
    /// for task in tasks {
    ///     assert!(task.await.unwrap());
    /// }
    /// assert_eq!(calls.load(Ordering::SeqCst), 1);
    /// # });
    /// ```
    pub async fn get_or_init<F, Fut>(&self, f: F) -> &T
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = T>,
    {
        if let Some(value) = self.get() {
            return value;
        }
        match self.semaphore.acquire().await {
            Ok(permit) => {
                debug_assert!(!self.initialized());
                // If `f` panics or this future is dropped while it runs, the permit is dropped
                // with it and goes to the next waiter.
                let value = f().await;
                self.set_value(value, permit)
            }
            Err(_) => self.get_after_close(),
        }
    }

    /// Returns the value, first initializing the cell with the fallible `f` if it is empty.
    ///
    /// Like [`get_or_init`](OnceCell::get_or_init), except that `f` may fail: its error is
    /// returned to this caller, the cell stays empty, and the next waiting caller, if any, runs
    /// its own initializer. A caller that waited while another task initialized the cell gets
    /// `Ok` with that task's value.
    ///
    /// This deadlocks if `f` tries to initialize the same cell itself.
    ///
    /// ```
    /// use evloop::sync::OnceCell;
    ///
    /// # evloop::block_on(async {
    /// let cell = OnceCell::new();
    /// let failed = cell.get_or_try_init(|| async { "x".parse::<u32>() }).await;
    /// assert!(failed.is_err());
    /// assert!(!cell.initialized());
    /// let value = cell.get_or_try_init(|| async { "7".parse::<u32>() }).await;
    /// assert_eq!(value, Ok(&7));
    /// # });
    /// ```
    pub async fn get_or_try_init<E, F, Fut>(&self, f: F) -> Result<&T, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        if let Some(value) = self.get() {
            return Ok(value);
        }
        match self.semaphore.acquire().await {
            Ok(permit) => {
                debug_assert!(!self.initialized());
                // On an error, a panic or cancellation, the permit is dropped here and goes to
                // the next waiter.
                let value = f().await?;
                Ok(self.set_value(value, permit))
            }
            Err(_) => Ok(self.get_after_close()),
        }
    }

    /// Consumes the cell and returns its value, or `None` if it was empty.
    ///
    /// ```
    /// use evloop::sync::OnceCell;
    ///
    /// let cell = OnceCell::new();
    /// cell.set(String::from("value")).unwrap();
    /// assert_eq!(cell.into_inner(), Some(String::from("value")));
    /// assert_eq!(OnceCell::<String>::new().into_inner(), None);
    /// ```
    pub fn into_inner(mut self) -> Option<T> {
        self.slot.take()
    }

    /// Takes the value out, leaving the cell empty (and ready to be initialized again).
    /// Returns `None` if it was empty.
    ///
    /// ```
    /// use evloop::sync::OnceCell;
    ///
    /// let mut cell = OnceCell::new_with(Some(5));
    /// assert_eq!(cell.take(), Some(5));
    /// assert_eq!(cell.take(), None);
    /// assert!(cell.set(6).is_ok());
    /// ```
    pub fn take(&mut self) -> Option<T> {
        std::mem::take(self).into_inner()
    }
}

impl<T> Default for OnceCell<T> {
    /// An empty cell, like [`OnceCell::new`].
    fn default() -> OnceCell<T> {
        OnceCell::new()
    }
}

impl<T> From<T> for OnceCell<T> {
    /// A cell that already holds `value`.
    fn from(value: T) -> OnceCell<T> {
        let semaphore = Semaphore::new(0);
        semaphore.close();
        OnceCell {
            slot: OnceSlot::new_with(value),
            semaphore,
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for OnceCell<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OnceCell")
            .field("value", &self.get())
            .finish()
    }
}

impl<T: Clone> Clone for OnceCell<T> {
    /// A new cell holding a clone of the value, or an empty cell if this one is empty (or
    /// still being initialized).
    fn clone(&self) -> OnceCell<T> {
        OnceCell::new_with(self.get().cloned())
    }
}

impl<T: PartialEq> PartialEq for OnceCell<T> {
    /// Two cells are equal when both are empty, or both hold equal values.
    fn eq(&self, other: &OnceCell<T>) -> bool {
        self.get() == other.get()
    }
}

impl<T: Eq> Eq for OnceCell<T> {}

/// Error returned by [`OnceCell::set`]; either way it hands the value back.
///
/// ```
/// use evloop::sync::{OnceCell, SetError};
///
/// let cell = OnceCell::new_with(Some(1));
/// let err = cell.set(2).unwrap_err();
/// assert!(err.is_already_init_err());
/// assert_eq!(err.to_string(), "AlreadyInitializedError");
/// match err {
///     SetError::AlreadyInitializedError(value) => assert_eq!(value, 2),
///     SetError::InitializingError(_) => unreachable!(),
/// }
/// ```
#[derive(Debug, PartialEq, Eq)]
pub enum SetError<T> {
    /// The cell already held a value when [`OnceCell::set`] was called.
    AlreadyInitializedError(T),
    /// The cell was empty, but another task was initializing it.
    InitializingError(T),
}

impl<T> SetError<T> {
    /// Whether the error is [`SetError::AlreadyInitializedError`].
    ///
    /// ```
    /// use evloop::sync::SetError;
    /// assert!(SetError::AlreadyInitializedError(1).is_already_init_err());
    /// assert!(!SetError::InitializingError(1).is_already_init_err());
    /// ```
    pub fn is_already_init_err(&self) -> bool {
        matches!(self, SetError::AlreadyInitializedError(_))
    }

    /// Whether the error is [`SetError::InitializingError`].
    ///
    /// ```
    /// use evloop::sync::SetError;
    /// assert!(SetError::InitializingError(1).is_initializing_err());
    /// assert!(!SetError::AlreadyInitializedError(1).is_initializing_err());
    /// ```
    pub fn is_initializing_err(&self) -> bool {
        matches!(self, SetError::InitializingError(_))
    }
}

impl<T> fmt::Display for SetError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SetError::AlreadyInitializedError(_) => f.write_str("AlreadyInitializedError"),
            SetError::InitializingError(_) => f.write_str("InitializingError"),
        }
    }
}

impl<T: fmt::Debug> Error for SetError<T> {}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use futures_lite::future::{block_on, pending, poll_once};
    use std::pin::pin;

    #[test]
    fn const_new_with_never_waits_and_refuses_set() {
        static CELL: OnceCell<u8> = OnceCell::const_new_with(4);
        assert_eq!(CELL.set(5), Err(SetError::AlreadyInitializedError(5)));
        assert_eq!(block_on(CELL.get_or_init(|| async { 9 })), &4);
        assert_eq!(
            block_on(CELL.get_or_try_init(|| async { Err::<u8, ()>(()) })),
            Ok(&4)
        );
    }

    #[test]
    fn the_permit_goes_back_when_an_initializer_is_dropped() {
        let cell = OnceCell::<u8>::new();
        {
            let mut init = pin!(cell.get_or_init(pending));
            assert!(block_on(poll_once(&mut init)).is_none());
            assert_eq!(cell.semaphore.available_permits(), 0);
        }
        assert_eq!(cell.semaphore.available_permits(), 1);
        assert!(!cell.semaphore.is_closed());
    }

    #[test]
    fn setting_closes_the_semaphore_for_good() {
        let cell = OnceCell::new();
        cell.set(1).unwrap();
        assert!(cell.semaphore.is_closed());
        assert_eq!(cell.semaphore.available_permits(), 0);
        let full = OnceCell::from(1);
        assert!(full.semaphore.is_closed());
    }

    #[test]
    fn take_leaves_a_fresh_cell() {
        let mut cell = OnceCell::new_with(Some(1));
        assert_eq!(cell.take(), Some(1));
        assert!(!cell.semaphore.is_closed());
        assert_eq!(cell.semaphore.available_permits(), 1);
        assert_eq!(block_on(cell.get_or_init(|| async { 2 })), &2);
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::sync::loom_support::{block_on, model};
    use futures_lite::future::poll_once;
    use loom::sync::Arc;
    use loom::thread;

    #[test]
    fn two_initializers_one_value() {
        model(|| {
            let cell = Arc::new(OnceCell::new());
            let other = cell.clone();
            let t = thread::spawn(move || *block_on(other.get_or_init(|| async { 1 })));
            let here = *block_on(cell.get_or_init(|| async { 2 }));
            let there = t.join().unwrap();
            assert_eq!(here, there);
            assert_eq!(cell.get(), Some(&here));
        });
    }

    #[test]
    fn set_races_get_or_init() {
        model(|| {
            let cell = Arc::new(OnceCell::new());
            let other = cell.clone();
            let t = thread::spawn(move || other.set(1).is_ok());
            let value = *block_on(cell.get_or_init(|| async { 2 }));
            let set = t.join().unwrap();
            assert_eq!(value, if set { 1 } else { 2 });
        });
    }

    #[test]
    fn dropped_initializer_lets_the_waiter_in() {
        model(|| {
            let cell = Arc::new(OnceCell::new());
            let other = cell.clone();
            let t = thread::spawn(move || *block_on(other.get_or_init(|| async { 1 })));
            block_on(async {
                let mut init = std::pin::pin!(cell.get_or_init(|| async {
                    futures_lite::future::yield_now().await;
                    2
                }));
                // Poll once, then give up: whatever happened, nobody must hang.
                let _ = poll_once(&mut init).await;
            });
            let there = t.join().unwrap();
            assert_eq!(cell.get(), Some(&there));
        });
    }
}

//! [`Mutex`]: an asynchronous, fair, poison-free mutual-exclusion lock.

use std::cell::UnsafeCell;
use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use super::batch_semaphore as ll;

/// An asynchronous mutex: [`lock`](Mutex::lock) waits (without blocking the thread) until the
/// lock is free and returns a guard that gives access to the data and unlocks when dropped.
///
/// - **Fair**: waiting tasks get the lock in the order they asked for it.
/// - **Poison-free**: if a task panics while holding the guard, the guard's destructor still
///   unlocks the mutex and the next `lock` succeeds as usual; there is no poisoning (unlike
///   `std::sync::Mutex`). The data is whatever the panicking task left behind.
/// - **Cancellation safe**: dropping a pending `lock()` future gives up its place in the
///   queue; if the lock had just been handed to it, it passes to the next waiter.
/// - The guard may be held across `.await` points and, for `T: Send`, sent to another thread.
///
/// Prefer `std::sync::Mutex` for data that is only touched briefly between awaits; use this one
/// when the lock must be held across an `.await`.
///
/// ```
/// use std::sync::Arc;
/// use evloop::sync::Mutex;
///
/// # evloop::block_on(async {
/// let counter = Arc::new(Mutex::new(0));
/// let mut tasks = Vec::new();
/// for _ in 0..10 {
///     let counter = counter.clone();
///     tasks.push(evloop::spawn(async move {
///         *counter.lock().await += 1;
///     }));
/// }
/// for task in tasks {
///     task.await.unwrap();
/// }
/// assert_eq!(*counter.lock().await, 10);
/// # });
/// ```
pub struct Mutex<T: ?Sized> {
    /// One permit: held by whoever holds a guard.
    semaphore: ll::Semaphore,
    /// # Invariant
    /// Accessed only through a guard (which holds the semaphore's single permit) or through
    /// `&mut self`, so never by two parties at once.
    data: UnsafeCell<T>,
}

// SAFETY: the semaphore hands the data to one guard at a time (see `data`'s invariant), so
// sharing the mutex only ever moves `T` between threads; that needs `T: Send`, not `T: Sync`.
unsafe impl<T: ?Sized + Send> Sync for Mutex<T> {}

/// Proof of holding a [`Mutex`]: dereferences to the data; dropping it unlocks.
///
/// ```
/// use evloop::sync::Mutex;
///
/// # evloop::block_on(async {
/// let mutex = Mutex::new(vec![1]);
/// let mut guard = mutex.lock().await;
/// guard.push(2);
/// drop(guard);
/// assert_eq!(*mutex.lock().await, [1, 2]);
/// # });
/// ```
#[must_use = "if unused the Mutex will immediately unlock"]
pub struct MutexGuard<'a, T: ?Sized> {
    lock: &'a Mutex<T>,
    /// Makes the guard `Send`/`Sync` exactly when `&mut T` is (on top of the mutex being
    /// `Sync`).
    _marker: PhantomData<&'a mut T>,
}

/// An owned [`MutexGuard`], from [`Mutex::lock_owned`]: it keeps the mutex alive through an
/// `Arc` and so has no lifetime; it can be moved into a spawned task.
///
/// ```
/// use std::sync::Arc;
/// use evloop::sync::Mutex;
///
/// # evloop::block_on(async {
/// let mutex = Arc::new(Mutex::new(1));
/// let mut guard = mutex.clone().lock_owned().await;
/// evloop::spawn(async move { *guard += 1 }).await.unwrap();
/// assert_eq!(*mutex.lock().await, 2);
/// # });
/// ```
#[must_use = "if unused the Mutex will immediately unlock"]
pub struct OwnedMutexGuard<T: ?Sized> {
    lock: Arc<Mutex<T>>,
    /// Adds `T: Sync` to what sharing the guard needs (the `Arc` alone asks only `T: Send`).
    _marker: PhantomData<T>,
}

/// Error returned by [`Mutex::try_lock`] (and [`RwLock::try_read`](super::RwLock::try_read) /
/// [`try_write`](super::RwLock::try_write)) when the lock is held.
///
/// ```
/// use evloop::sync::Mutex;
///
/// let mutex = Mutex::new(());
/// let _guard = mutex.try_lock().unwrap();
/// let err = mutex.try_lock().unwrap_err();
/// assert_eq!(err.to_string(), "operation would block");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TryLockError(pub(super) ());

impl fmt::Display for TryLockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("operation would block")
    }
}

impl std::error::Error for TryLockError {}

impl<T> Mutex<T> {
    /// Creates an unlocked mutex holding `value`.
    ///
    /// ```
    /// use evloop::sync::Mutex;
    /// let mutex = Mutex::new(5);
    /// assert_eq!(mutex.into_inner(), 5);
    /// ```
    pub fn new(value: T) -> Mutex<T> {
        Mutex {
            semaphore: ll::Semaphore::new(1),
            data: UnsafeCell::new(value),
        }
    }

    /// Creates an unlocked mutex in a `const` context, for example a `static`.
    ///
    /// ```
    /// use evloop::sync::Mutex;
    ///
    /// static LOG: Mutex<Vec<String>> = Mutex::const_new(Vec::new());
    /// # evloop::block_on(async {
    /// LOG.lock().await.push("started".into());
    /// assert_eq!(LOG.lock().await.len(), 1);
    /// # });
    /// ```
    #[cfg(not(loom))]
    pub const fn const_new(value: T) -> Mutex<T> {
        Mutex {
            semaphore: ll::Semaphore::const_new(1),
            data: UnsafeCell::new(value),
        }
    }

    /// Consumes the mutex and returns the data.
    ///
    /// ```
    /// use evloop::sync::Mutex;
    /// assert_eq!(Mutex::new("data").into_inner(), "data");
    /// ```
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

impl<T: ?Sized> Mutex<T> {
    /// Waits for the lock and returns a guard.
    ///
    /// Waiters are served in FIFO order. Cancellation safe: dropping the future before it
    /// completes loses nothing and gives up its place in the queue.
    ///
    /// ```
    /// use evloop::sync::Mutex;
    ///
    /// # evloop::block_on(async {
    /// let mutex = Mutex::new(1);
    /// *mutex.lock().await += 1;
    /// assert_eq!(*mutex.lock().await, 2);
    /// # });
    /// ```
    pub async fn lock(&self) -> MutexGuard<'_, T> {
        self.acquire().await;
        MutexGuard {
            lock: self,
            _marker: PhantomData,
        }
    }

    /// Waits for the lock of a shared mutex and returns an [`OwnedMutexGuard`]; see
    /// [`lock`](Mutex::lock).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use evloop::sync::Mutex;
    ///
    /// # evloop::block_on(async {
    /// let mutex = Arc::new(Mutex::new(0));
    /// let mut guard = mutex.clone().lock_owned().await;
    /// *guard = 7;
    /// drop(guard);
    /// assert_eq!(*mutex.lock().await, 7);
    /// # });
    /// ```
    pub async fn lock_owned(self: Arc<Self>) -> OwnedMutexGuard<T> {
        self.acquire().await;
        OwnedMutexGuard {
            lock: self,
            _marker: PhantomData,
        }
    }

    async fn acquire(&self) {
        if self.semaphore.acquire(1).await.is_err() {
            unreachable!("a mutex's semaphore is never closed");
        }
    }

    /// Takes the lock if it is free right now.
    ///
    /// Fails with [`TryLockError`] if it is held, or if other tasks are already queued for it.
    ///
    /// ```
    /// use evloop::sync::Mutex;
    ///
    /// let mutex = Mutex::new(1);
    /// let guard = mutex.try_lock().unwrap();
    /// assert!(mutex.try_lock().is_err());
    /// drop(guard);
    /// assert!(mutex.try_lock().is_ok());
    /// ```
    pub fn try_lock(&self) -> Result<MutexGuard<'_, T>, TryLockError> {
        match self.semaphore.try_acquire(1) {
            Ok(()) => Ok(MutexGuard {
                lock: self,
                _marker: PhantomData,
            }),
            Err(_) => Err(TryLockError(())),
        }
    }

    /// Takes the lock of a shared mutex if it is free right now; see
    /// [`try_lock`](Mutex::try_lock).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use evloop::sync::Mutex;
    ///
    /// let mutex = Arc::new(Mutex::new(1));
    /// let guard = mutex.clone().try_lock_owned().unwrap();
    /// assert!(mutex.clone().try_lock_owned().is_err());
    /// drop(guard);
    /// ```
    pub fn try_lock_owned(self: Arc<Self>) -> Result<OwnedMutexGuard<T>, TryLockError> {
        match self.semaphore.try_acquire(1) {
            Ok(()) => Ok(OwnedMutexGuard {
                lock: self,
                _marker: PhantomData,
            }),
            Err(_) => Err(TryLockError(())),
        }
    }

    /// Locks from synchronous code, blocking the thread until the lock is free.
    ///
    /// Meant for threads outside the runtime: called from asynchronous code it would block a
    /// runtime thread, which can deadlock it.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use evloop::sync::Mutex;
    ///
    /// let mutex = Arc::new(Mutex::new(1));
    /// let other = mutex.clone();
    /// std::thread::spawn(move || *other.blocking_lock() += 1).join().unwrap();
    /// assert_eq!(*mutex.blocking_lock(), 2);
    /// ```
    pub fn blocking_lock(&self) -> MutexGuard<'_, T> {
        futures_lite::future::block_on(self.lock())
    }

    /// Mutable access to the data, without locking: `&mut self` proves nobody else holds it.
    ///
    /// ```
    /// use evloop::sync::Mutex;
    /// let mut mutex = Mutex::new(1);
    /// *mutex.get_mut() = 2;
    /// assert_eq!(mutex.into_inner(), 2);
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        self.data.get_mut()
    }
}

impl<T: Default> Default for Mutex<T> {
    fn default() -> Mutex<T> {
        Mutex::new(T::default())
    }
}

impl<T> From<T> for Mutex<T> {
    fn from(value: T) -> Mutex<T> {
        Mutex::new(value)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Mutex");
        match self.try_lock() {
            Ok(guard) => d.field("data", &&*guard),
            Err(_) => d.field("data", &format_args!("<locked>")),
        };
        d.finish()
    }
}

impl<'a, T: ?Sized> MutexGuard<'a, T> {
    /// The mutex this guard locks.
    ///
    /// ```
    /// use evloop::sync::{Mutex, MutexGuard};
    ///
    /// let mutex = Mutex::new(1);
    /// let guard = mutex.try_lock().unwrap();
    /// assert!(std::ptr::eq(MutexGuard::mutex(&guard), &mutex));
    /// ```
    pub fn mutex(this: &Self) -> &'a Mutex<T> {
        this.lock
    }
}

impl<T: ?Sized> Deref for MutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: this guard holds the mutex's permit, so no other access exists (invariant of
        // `Mutex::data`).
        unsafe { &*self.lock.data.get() }
    }
}

impl<T: ?Sized> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`; `&mut self` makes this the only access through the guard.
        unsafe { &mut *self.lock.data.get() }
    }
}

impl<T: ?Sized> Drop for MutexGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.semaphore.release(1);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

impl<T: ?Sized> OwnedMutexGuard<T> {
    /// The mutex this guard locks.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use evloop::sync::Mutex;
    ///
    /// let mutex = Arc::new(Mutex::new(1));
    /// let guard = mutex.clone().try_lock_owned().unwrap();
    /// assert!(Arc::ptr_eq(guard.mutex(), &mutex));
    /// ```
    pub fn mutex(&self) -> &Arc<Mutex<T>> {
        &self.lock
    }
}

impl<T: ?Sized> Deref for OwnedMutexGuard<T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: this guard holds the mutex's permit, so no other access exists (invariant of
        // `Mutex::data`).
        unsafe { &*self.lock.data.get() }
    }
}

impl<T: ?Sized> DerefMut for OwnedMutexGuard<T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`; `&mut self` makes this the only access through the guard.
        unsafe { &mut *self.lock.data.get() }
    }
}

impl<T: ?Sized> Drop for OwnedMutexGuard<T> {
    fn drop(&mut self) {
        self.lock.semaphore.release(1);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for OwnedMutexGuard<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for OwnedMutexGuard<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

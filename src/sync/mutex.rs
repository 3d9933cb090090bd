//! [`Mutex`]: an asynchronous, fair, poison-free mutual-exclusion lock.

use std::cell::UnsafeCell;
use std::fmt;
use std::marker::PhantomData;
use std::mem::{self, ManuallyDrop};
use std::ops::{Deref, DerefMut};
use std::ptr;
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

/// A [`MutexGuard`] narrowed to a part of the data (a field, an element, a variant) by
/// [`MutexGuard::map`] or [`MutexGuard::try_map`].
///
/// It keeps the whole mutex locked and unlocks it when dropped, but gives access only to the
/// part it was mapped to. It can be narrowed further with [`MappedMutexGuard::map`]. Unlike a
/// `MutexGuard` it cannot name its mutex, since the type of the whole data is gone.
///
/// ```
/// use evloop::sync::{MappedMutexGuard, Mutex, MutexGuard};
///
/// struct Config {
///     name: String,
///     retries: u32,
/// }
///
/// # evloop::block_on(async {
/// let mutex = Mutex::new(Config { name: "api".into(), retries: 1 });
/// let mut retries: MappedMutexGuard<'_, u32> =
///     MutexGuard::map(mutex.lock().await, |config| &mut config.retries);
/// *retries += 2;
/// assert!(mutex.try_lock().is_err()); // the whole mutex is still locked
/// drop(retries);
/// let config = mutex.lock().await;
/// assert_eq!((config.name.as_str(), config.retries), ("api", 3));
/// # });
/// ```
#[must_use = "if unused the Mutex will immediately unlock"]
pub struct MappedMutexGuard<'a, T: ?Sized> {
    /// The semaphore of the locked mutex; this guard holds its single permit.
    semaphore: &'a ll::Semaphore,
    /// # Invariant
    /// Points into the data of the mutex whose permit this guard holds, and was derived from
    /// the exclusive reference a guard of that mutex handed out; it stays valid for `'a`, and
    /// while this guard lives nothing else reaches the data.
    data: *mut T,
    /// The guard acts as a `&'a mut T` (lifetime and invariance).
    _marker: PhantomData<&'a mut T>,
}

/// An [`OwnedMutexGuard`] narrowed to a part of the data by [`OwnedMutexGuard::map`] or
/// [`OwnedMutexGuard::try_map`]: `T` is the type of the mutex's data, `U` the part it gives
/// access to.
///
/// Like the owned guard, it keeps the mutex alive through an `Arc`, so it has no lifetime and
/// can be moved into a spawned task; it unlocks the mutex when dropped.
///
/// ```
/// use std::sync::Arc;
/// use evloop::sync::{Mutex, OwnedMappedMutexGuard, OwnedMutexGuard};
///
/// # evloop::block_on(async {
/// let mutex = Arc::new(Mutex::new((String::from("log"), 0u64)));
/// let mut count: OwnedMappedMutexGuard<(String, u64), u64> =
///     OwnedMutexGuard::map(mutex.clone().lock_owned().await, |pair| &mut pair.1);
/// evloop::spawn(async move { *count += 5 }).await.unwrap();
/// assert_eq!(mutex.lock().await.1, 5);
/// # });
/// ```
#[must_use = "if unused the Mutex will immediately unlock"]
pub struct OwnedMappedMutexGuard<T: ?Sized, U: ?Sized = T> {
    /// The locked mutex; this guard holds its single permit, and the `Arc` keeps `data` alive.
    lock: Arc<Mutex<T>>,
    /// # Invariant
    /// Points into the data of `lock`, derived from the exclusive reference a guard of that
    /// mutex handed out; while this guard lives nothing else reaches the data.
    data: *mut U,
}

// SAFETY: the guard is in effect a `&mut T` (see `data`'s invariant) plus a reference to a
// semaphore, which any thread may release; sending the guard sends that `&mut T`, which needs
// `T: Send`.
unsafe impl<T: ?Sized + Send> Send for MappedMutexGuard<'_, T> {}

// SAFETY: a shared guard only hands out `&T` (through `Deref`), which needs `T: Sync`.
unsafe impl<T: ?Sized + Sync> Sync for MappedMutexGuard<'_, T> {}

// SAFETY: sending the guard sends the `Arc<Mutex<T>>`, which may drop the mutex and its `T` on
// the other thread (`T: Send`), and exclusive access to `U` (`U: Send`).
unsafe impl<T: ?Sized + Send, U: ?Sized + Send> Send for OwnedMappedMutexGuard<T, U> {}

// SAFETY: a shared guard hands out `&U` (`U: Sync`) and `&Arc<Mutex<T>>`, whose sharing needs
// `Mutex<T>: Send + Sync`, that is `T: Send`; the extra `Send`/`Sync` bounds are the ones tokio
// asks for, kept so that code written for it finds the same bounds.
unsafe impl<T: ?Sized + Send + Sync, U: ?Sized + Send + Sync> Sync for OwnedMappedMutexGuard<T, U> {}

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

    /// Narrows the guard to a part of the data chosen by `f`, keeping the mutex locked.
    ///
    /// The mutex stays locked until the returned [`MappedMutexGuard`] is dropped. This is an
    /// associated function (`MutexGuard::map(guard, f)`), not a method, so that it does not
    /// hide a method of the same name on the data. If `f` panics, the guard is dropped and the
    /// mutex unlocked as usual.
    ///
    /// ```
    /// use evloop::sync::{Mutex, MutexGuard};
    ///
    /// # evloop::block_on(async {
    /// let mutex = Mutex::new((1, String::from("one")));
    /// let mut name = MutexGuard::map(mutex.lock().await, |pair| &mut pair.1);
    /// name.push_str(" and two");
    /// drop(name);
    /// assert_eq!(mutex.lock().await.1, "one and two");
    /// # });
    /// ```
    pub fn map<U, F>(mut this: Self, f: F) -> MappedMutexGuard<'a, U>
    where
        U: ?Sized,
        F: FnOnce(&mut T) -> &mut U,
    {
        let data: *mut U = f(&mut *this);
        MappedMutexGuard {
            semaphore: this.into_semaphore(),
            data,
            _marker: PhantomData,
        }
    }

    /// Narrows the guard to a part of the data if `f` finds one; otherwise hands the guard
    /// back, still holding the lock.
    ///
    /// An associated function, like [`MutexGuard::map`].
    ///
    /// ```
    /// use evloop::sync::{Mutex, MutexGuard};
    ///
    /// # evloop::block_on(async {
    /// let mutex = Mutex::new(vec![1, 2]);
    /// let guard = mutex.lock().await;
    /// // No third element: the original guard comes back.
    /// let guard = MutexGuard::try_map(guard, |v| v.get_mut(2)).unwrap_err();
    /// assert!(mutex.try_lock().is_err());
    /// let mut second = MutexGuard::try_map(guard, |v| v.get_mut(1)).unwrap();
    /// *second = 20;
    /// drop(second);
    /// assert_eq!(*mutex.lock().await, [1, 20]);
    /// # });
    /// ```
    pub fn try_map<U, F>(mut this: Self, f: F) -> Result<MappedMutexGuard<'a, U>, Self>
    where
        U: ?Sized,
        F: FnOnce(&mut T) -> Option<&mut U>,
    {
        let data: *mut U = match f(&mut *this) {
            Some(data) => data,
            None => return Err(this),
        };
        Ok(MappedMutexGuard {
            semaphore: this.into_semaphore(),
            data,
            _marker: PhantomData,
        })
    }

    /// Gives up the guard without unlocking: its permit passes to the caller, which must
    /// release it once.
    fn into_semaphore(self) -> &'a ll::Semaphore {
        let lock = self.lock;
        mem::forget(self);
        &lock.semaphore
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

    /// Narrows the guard to a part of the data chosen by `f`, keeping the mutex locked.
    ///
    /// The returned [`OwnedMappedMutexGuard`] keeps the mutex alive and locked until it is
    /// dropped. An associated function (`OwnedMutexGuard::map(guard, f)`), so that it does not
    /// hide a method of the data; if `f` panics, the guard is dropped and the mutex unlocked.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use evloop::sync::{Mutex, OwnedMutexGuard};
    ///
    /// # evloop::block_on(async {
    /// let mutex = Arc::new(Mutex::new([0u8; 4]));
    /// let mut last = OwnedMutexGuard::map(mutex.clone().lock_owned().await, |a| &mut a[3]);
    /// *last = 9;
    /// drop(last);
    /// assert_eq!(*mutex.lock().await, [0, 0, 0, 9]);
    /// # });
    /// ```
    pub fn map<U, F>(mut this: Self, f: F) -> OwnedMappedMutexGuard<T, U>
    where
        U: ?Sized,
        F: FnOnce(&mut T) -> &mut U,
    {
        let data: *mut U = f(&mut *this);
        OwnedMappedMutexGuard {
            lock: this.into_lock(),
            data,
        }
    }

    /// Narrows the guard to a part of the data if `f` finds one; otherwise hands the guard
    /// back, still holding the lock.
    ///
    /// An associated function, like [`OwnedMutexGuard::map`].
    ///
    /// ```
    /// use std::sync::Arc;
    /// use evloop::sync::{Mutex, OwnedMutexGuard};
    ///
    /// # evloop::block_on(async {
    /// let mutex = Arc::new(Mutex::new(None::<String>));
    /// let guard = mutex.clone().lock_owned().await;
    /// let mut guard = OwnedMutexGuard::try_map(guard, Option::as_mut).unwrap_err();
    /// *guard = Some(String::from("set"));
    /// let text = OwnedMutexGuard::try_map(guard, Option::as_mut).unwrap();
    /// assert_eq!(*text, "set");
    /// # });
    /// ```
    pub fn try_map<U, F>(mut this: Self, f: F) -> Result<OwnedMappedMutexGuard<T, U>, Self>
    where
        U: ?Sized,
        F: FnOnce(&mut T) -> Option<&mut U>,
    {
        let data: *mut U = match f(&mut *this) {
            Some(data) => data,
            None => return Err(this),
        };
        Ok(OwnedMappedMutexGuard {
            lock: this.into_lock(),
            data,
        })
    }

    /// Gives up the guard without unlocking: the mutex and its permit pass to the caller,
    /// which must release the permit once.
    fn into_lock(self) -> Arc<Mutex<T>> {
        let this = ManuallyDrop::new(self);
        // SAFETY: `this` is never used or dropped again, so the `Arc` is moved out of it
        // exactly once.
        unsafe { ptr::read(&this.lock) }
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

impl<'a, T: ?Sized> MappedMutexGuard<'a, T> {
    /// Narrows the guard further, to a part of the part it gives access to.
    ///
    /// An associated function, like [`MutexGuard::map`].
    ///
    /// ```
    /// use evloop::sync::{MappedMutexGuard, Mutex, MutexGuard};
    ///
    /// # evloop::block_on(async {
    /// let mutex = Mutex::new(((1, 2), 3));
    /// let inner = MutexGuard::map(mutex.lock().await, |t| &mut t.0);
    /// let mut second = MappedMutexGuard::map(inner, |pair| &mut pair.1);
    /// *second = 20;
    /// drop(second);
    /// assert_eq!(*mutex.lock().await, ((1, 20), 3));
    /// # });
    /// ```
    pub fn map<U, F>(mut this: Self, f: F) -> MappedMutexGuard<'a, U>
    where
        U: ?Sized,
        F: FnOnce(&mut T) -> &mut U,
    {
        let data: *mut U = f(&mut *this);
        MappedMutexGuard {
            semaphore: this.into_semaphore(),
            data,
            _marker: PhantomData,
        }
    }

    /// Narrows the guard further if `f` finds a part; otherwise hands the guard back, still
    /// holding the lock.
    ///
    /// ```
    /// use evloop::sync::{MappedMutexGuard, Mutex, MutexGuard};
    ///
    /// # evloop::block_on(async {
    /// let mutex = Mutex::new((0, vec![1]));
    /// let list = MutexGuard::map(mutex.lock().await, |t| &mut t.1);
    /// let list = MappedMutexGuard::try_map(list, |v| v.get_mut(5)).unwrap_err();
    /// assert_eq!(*list, [1]);
    /// # });
    /// ```
    pub fn try_map<U, F>(mut this: Self, f: F) -> Result<MappedMutexGuard<'a, U>, Self>
    where
        U: ?Sized,
        F: FnOnce(&mut T) -> Option<&mut U>,
    {
        let data: *mut U = match f(&mut *this) {
            Some(data) => data,
            None => return Err(this),
        };
        Ok(MappedMutexGuard {
            semaphore: this.into_semaphore(),
            data,
            _marker: PhantomData,
        })
    }

    /// Gives up the guard without unlocking: its permit passes to the caller.
    fn into_semaphore(self) -> &'a ll::Semaphore {
        let semaphore = self.semaphore;
        mem::forget(self);
        semaphore
    }
}

impl<T: ?Sized> Deref for MappedMutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: by `data`'s invariant the pointer is valid and nothing else reaches the data
        // while this guard lives.
        unsafe { &*self.data }
    }
}

impl<T: ?Sized> DerefMut for MappedMutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`; `&mut self` makes this the only access through the guard.
        unsafe { &mut *self.data }
    }
}

impl<T: ?Sized> Drop for MappedMutexGuard<'_, T> {
    fn drop(&mut self) {
        self.semaphore.release(1);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for MappedMutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for MappedMutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

impl<T: ?Sized, U: ?Sized> OwnedMappedMutexGuard<T, U> {
    /// Narrows the guard further, to a part of the part it gives access to.
    ///
    /// An associated function, like [`OwnedMutexGuard::map`].
    ///
    /// ```
    /// use std::sync::Arc;
    /// use evloop::sync::{Mutex, OwnedMappedMutexGuard, OwnedMutexGuard};
    ///
    /// # evloop::block_on(async {
    /// let mutex = Arc::new(Mutex::new((0, (String::new(), 1))));
    /// let inner = OwnedMutexGuard::map(mutex.clone().lock_owned().await, |t| &mut t.1);
    /// let mut text = OwnedMappedMutexGuard::map(inner, |pair| &mut pair.0);
    /// text.push('x');
    /// drop(text);
    /// assert_eq!(mutex.lock().await.1 .0, "x");
    /// # });
    /// ```
    pub fn map<S, F>(mut this: Self, f: F) -> OwnedMappedMutexGuard<T, S>
    where
        S: ?Sized,
        F: FnOnce(&mut U) -> &mut S,
    {
        let data: *mut S = f(&mut *this);
        OwnedMappedMutexGuard {
            lock: this.into_lock(),
            data,
        }
    }

    /// Narrows the guard further if `f` finds a part; otherwise hands the guard back, still
    /// holding the lock.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use evloop::sync::{Mutex, OwnedMappedMutexGuard, OwnedMutexGuard};
    ///
    /// # evloop::block_on(async {
    /// let mutex = Arc::new(Mutex::new((0, Some(7))));
    /// let slot = OwnedMutexGuard::map(mutex.clone().lock_owned().await, |t| &mut t.1);
    /// let value = OwnedMappedMutexGuard::try_map(slot, Option::as_mut).unwrap();
    /// assert_eq!(*value, 7);
    /// # });
    /// ```
    pub fn try_map<S, F>(mut this: Self, f: F) -> Result<OwnedMappedMutexGuard<T, S>, Self>
    where
        S: ?Sized,
        F: FnOnce(&mut U) -> Option<&mut S>,
    {
        let data: *mut S = match f(&mut *this) {
            Some(data) => data,
            None => return Err(this),
        };
        Ok(OwnedMappedMutexGuard {
            lock: this.into_lock(),
            data,
        })
    }

    /// Gives up the guard without unlocking: the mutex and its permit pass to the caller.
    fn into_lock(self) -> Arc<Mutex<T>> {
        let this = ManuallyDrop::new(self);
        // SAFETY: `this` is never used or dropped again, so the `Arc` is moved out of it
        // exactly once.
        unsafe { ptr::read(&this.lock) }
    }
}

impl<T: ?Sized, U: ?Sized> Deref for OwnedMappedMutexGuard<T, U> {
    type Target = U;
    fn deref(&self) -> &U {
        // SAFETY: by `data`'s invariant the pointer points into the mutex that `lock` keeps
        // alive, and nothing else reaches the data while this guard lives.
        unsafe { &*self.data }
    }
}

impl<T: ?Sized, U: ?Sized> DerefMut for OwnedMappedMutexGuard<T, U> {
    fn deref_mut(&mut self) -> &mut U {
        // SAFETY: as in `deref`; `&mut self` makes this the only access through the guard.
        unsafe { &mut *self.data }
    }
}

impl<T: ?Sized, U: ?Sized> Drop for OwnedMappedMutexGuard<T, U> {
    fn drop(&mut self) {
        self.lock.semaphore.release(1);
    }
}

impl<T: ?Sized, U: ?Sized + fmt::Debug> fmt::Debug for OwnedMappedMutexGuard<T, U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized, U: ?Sized + fmt::Display> fmt::Display for OwnedMappedMutexGuard<T, U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

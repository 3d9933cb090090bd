//! [`RwLock`]: an asynchronous, fair, poison-free reader-writer lock.

use std::cell::UnsafeCell;
use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use super::batch_semaphore as ll;
use super::TryLockError;

/// Readers a lock admits at once unless told otherwise ([`RwLock::with_max_readers`]). A writer
/// acquires this many permits of the lock's semaphore, so the number is kept well below the
/// semaphore's maximum.
const MAX_READS: u32 = u32::MAX >> 3;

/// An asynchronous reader-writer lock: any number of readers, or one writer.
///
/// Readers and writers are served in the order they asked (a FIFO queue of both), so a steady
/// stream of readers cannot starve a writer: once a writer waits, later readers queue behind
/// it. Like [`Mutex`](super::Mutex) it is poison-free and every waiting future is cancellation
/// safe.
///
/// ```
/// use evloop::sync::RwLock;
///
/// # evloop::block_on(async {
/// let lock = RwLock::new(5);
/// {
///     let r1 = lock.read().await;
///     let r2 = lock.read().await;
///     assert_eq!(*r1 + *r2, 10);
/// }
/// *lock.write().await += 1;
/// assert_eq!(*lock.read().await, 6);
/// # });
/// ```
pub struct RwLock<T: ?Sized> {
    max_readers: u32,
    /// `max_readers` permits: a reader holds one, a writer all of them.
    semaphore: ll::Semaphore,
    /// # Invariant
    /// Read only through a guard holding at least one permit, written only through a guard
    /// holding all `max_readers` permits (or through `&mut self`).
    data: UnsafeCell<T>,
}

// SAFETY: by `data`'s invariant, a writer has exclusive access (which moves `T` between threads:
// `T: Send`) and readers share `&T` across threads (`T: Sync`).
unsafe impl<T: ?Sized + Send + Sync> Sync for RwLock<T> {}

/// Shared access to the data of a [`RwLock`], released when dropped.
///
/// ```
/// use evloop::sync::RwLock;
///
/// # evloop::block_on(async {
/// let lock = RwLock::new(String::from("hi"));
/// let guard = lock.read().await;
/// assert_eq!(guard.len(), 2);
/// # });
/// ```
#[must_use = "if unused the RwLock will immediately unlock"]
pub struct RwLockReadGuard<'a, T: ?Sized> {
    lock: &'a RwLock<T>,
    _marker: PhantomData<&'a T>,
}

/// Exclusive access to the data of a [`RwLock`], released when dropped.
///
/// ```
/// use evloop::sync::RwLock;
///
/// # evloop::block_on(async {
/// let lock = RwLock::new(vec![1]);
/// lock.write().await.push(2);
/// assert_eq!(*lock.read().await, [1, 2]);
/// # });
/// ```
#[must_use = "if unused the RwLock will immediately unlock"]
pub struct RwLockWriteGuard<'a, T: ?Sized> {
    lock: &'a RwLock<T>,
    _marker: PhantomData<&'a mut T>,
}

/// An owned [`RwLockReadGuard`] from [`RwLock::read_owned`]; it keeps the lock alive.
///
/// ```
/// use std::sync::Arc;
/// use evloop::sync::RwLock;
///
/// # evloop::block_on(async {
/// let lock = Arc::new(RwLock::new(3));
/// let guard = lock.clone().read_owned().await;
/// let task = evloop::spawn(async move { *guard * 2 });
/// assert_eq!(task.await.unwrap(), 6);
/// # });
/// ```
#[must_use = "if unused the RwLock will immediately unlock"]
pub struct OwnedRwLockReadGuard<T: ?Sized> {
    lock: Arc<RwLock<T>>,
    _marker: PhantomData<T>,
}

/// An owned [`RwLockWriteGuard`] from [`RwLock::write_owned`]; it keeps the lock alive.
///
/// ```
/// use std::sync::Arc;
/// use evloop::sync::RwLock;
///
/// # evloop::block_on(async {
/// let lock = Arc::new(RwLock::new(3));
/// let mut guard = lock.clone().write_owned().await;
/// evloop::spawn(async move { *guard = 4 }).await.unwrap();
/// assert_eq!(*lock.read().await, 4);
/// # });
/// ```
#[must_use = "if unused the RwLock will immediately unlock"]
pub struct OwnedRwLockWriteGuard<T: ?Sized> {
    lock: Arc<RwLock<T>>,
    _marker: PhantomData<T>,
}

impl<T> RwLock<T> {
    /// Creates an unlocked lock holding `value`.
    ///
    /// ```
    /// use evloop::sync::RwLock;
    /// let lock = RwLock::new(1);
    /// assert_eq!(lock.into_inner(), 1);
    /// ```
    pub fn new(value: T) -> RwLock<T> {
        RwLock::with_max_readers(value, MAX_READS)
    }

    /// Creates an unlocked lock that admits at most `max_readers` readers at once.
    ///
    /// # Panics
    /// If `max_readers` is zero or above `u32::MAX >> 3`.
    ///
    /// ```
    /// use evloop::sync::RwLock;
    ///
    /// let lock = RwLock::with_max_readers(0, 2);
    /// let _a = lock.try_read().unwrap();
    /// let _b = lock.try_read().unwrap();
    /// assert!(lock.try_read().is_err());
    /// ```
    #[track_caller]
    pub fn with_max_readers(value: T, max_readers: u32) -> RwLock<T> {
        assert!(
            max_readers > 0 && max_readers <= MAX_READS,
            "a RwLock admits between 1 and {MAX_READS} readers, not {max_readers}"
        );
        RwLock {
            max_readers,
            semaphore: ll::Semaphore::new(max_readers as usize),
            data: UnsafeCell::new(value),
        }
    }

    /// Creates an unlocked lock in a `const` context, for example a `static`.
    ///
    /// ```
    /// use evloop::sync::RwLock;
    ///
    /// static CONFIG: RwLock<u32> = RwLock::const_new(8);
    /// # evloop::block_on(async {
    /// assert_eq!(*CONFIG.read().await, 8);
    /// # });
    /// ```
    #[cfg(not(loom))]
    pub const fn const_new(value: T) -> RwLock<T> {
        RwLock {
            max_readers: MAX_READS,
            semaphore: ll::Semaphore::const_new(MAX_READS as usize),
            data: UnsafeCell::new(value),
        }
    }

    /// Consumes the lock and returns the data.
    ///
    /// ```
    /// use evloop::sync::RwLock;
    /// assert_eq!(RwLock::new("x").into_inner(), "x");
    /// ```
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

impl<T: ?Sized> RwLock<T> {
    async fn acquire(&self, permits: u32) {
        if self.semaphore.acquire(permits as usize).await.is_err() {
            unreachable!("a RwLock's semaphore is never closed");
        }
    }

    /// Waits for shared access.
    ///
    /// Queued writers ahead of this call go first. Cancellation safe.
    ///
    /// ```
    /// use evloop::sync::RwLock;
    ///
    /// # evloop::block_on(async {
    /// let lock = RwLock::new(1);
    /// let a = lock.read().await;
    /// let b = lock.read().await;
    /// assert_eq!(*a, *b);
    /// # });
    /// ```
    pub async fn read(&self) -> RwLockReadGuard<'_, T> {
        self.acquire(1).await;
        RwLockReadGuard {
            lock: self,
            _marker: PhantomData,
        }
    }

    /// Waits for exclusive access. Cancellation safe.
    ///
    /// ```
    /// use evloop::sync::RwLock;
    ///
    /// # evloop::block_on(async {
    /// let lock = RwLock::new(1);
    /// *lock.write().await = 2;
    /// assert_eq!(*lock.read().await, 2);
    /// # });
    /// ```
    pub async fn write(&self) -> RwLockWriteGuard<'_, T> {
        self.acquire(self.max_readers).await;
        RwLockWriteGuard {
            lock: self,
            _marker: PhantomData,
        }
    }

    /// Waits for shared access to a shared lock; see [`read`](RwLock::read).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use evloop::sync::RwLock;
    ///
    /// # evloop::block_on(async {
    /// let lock = Arc::new(RwLock::new(1));
    /// let guard = lock.clone().read_owned().await;
    /// assert_eq!(*guard, 1);
    /// # });
    /// ```
    pub async fn read_owned(self: Arc<Self>) -> OwnedRwLockReadGuard<T> {
        self.acquire(1).await;
        OwnedRwLockReadGuard {
            lock: self,
            _marker: PhantomData,
        }
    }

    /// Waits for exclusive access to a shared lock; see [`write`](RwLock::write).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use evloop::sync::RwLock;
    ///
    /// # evloop::block_on(async {
    /// let lock = Arc::new(RwLock::new(1));
    /// *lock.clone().write_owned().await += 1;
    /// assert_eq!(*lock.read().await, 2);
    /// # });
    /// ```
    pub async fn write_owned(self: Arc<Self>) -> OwnedRwLockWriteGuard<T> {
        self.acquire(self.max_readers).await;
        OwnedRwLockWriteGuard {
            lock: self,
            _marker: PhantomData,
        }
    }

    /// Takes shared access if it is available right now (no writer holds or waits for it).
    ///
    /// ```
    /// use evloop::sync::RwLock;
    ///
    /// let lock = RwLock::new(1);
    /// let writer = lock.try_write().unwrap();
    /// assert!(lock.try_read().is_err());
    /// drop(writer);
    /// assert_eq!(*lock.try_read().unwrap(), 1);
    /// ```
    pub fn try_read(&self) -> Result<RwLockReadGuard<'_, T>, TryLockError> {
        match self.semaphore.try_acquire(1) {
            Ok(()) => Ok(RwLockReadGuard {
                lock: self,
                _marker: PhantomData,
            }),
            Err(_) => Err(TryLockError(())),
        }
    }

    /// Takes exclusive access if it is available right now.
    ///
    /// ```
    /// use evloop::sync::RwLock;
    ///
    /// let lock = RwLock::new(1);
    /// let reader = lock.try_read().unwrap();
    /// assert!(lock.try_write().is_err());
    /// drop(reader);
    /// assert!(lock.try_write().is_ok());
    /// ```
    pub fn try_write(&self) -> Result<RwLockWriteGuard<'_, T>, TryLockError> {
        match self.semaphore.try_acquire(self.max_readers as usize) {
            Ok(()) => Ok(RwLockWriteGuard {
                lock: self,
                _marker: PhantomData,
            }),
            Err(_) => Err(TryLockError(())),
        }
    }

    /// Takes shared access to a shared lock if it is available right now.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use evloop::sync::RwLock;
    ///
    /// let lock = Arc::new(RwLock::new(1));
    /// assert_eq!(*lock.clone().try_read_owned().unwrap(), 1);
    /// ```
    pub fn try_read_owned(self: Arc<Self>) -> Result<OwnedRwLockReadGuard<T>, TryLockError> {
        match self.semaphore.try_acquire(1) {
            Ok(()) => Ok(OwnedRwLockReadGuard {
                lock: self,
                _marker: PhantomData,
            }),
            Err(_) => Err(TryLockError(())),
        }
    }

    /// Takes exclusive access to a shared lock if it is available right now.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use evloop::sync::RwLock;
    ///
    /// let lock = Arc::new(RwLock::new(1));
    /// *lock.clone().try_write_owned().unwrap() = 2;
    /// assert_eq!(*lock.clone().try_read_owned().unwrap(), 2);
    /// ```
    pub fn try_write_owned(self: Arc<Self>) -> Result<OwnedRwLockWriteGuard<T>, TryLockError> {
        match self.semaphore.try_acquire(self.max_readers as usize) {
            Ok(()) => Ok(OwnedRwLockWriteGuard {
                lock: self,
                _marker: PhantomData,
            }),
            Err(_) => Err(TryLockError(())),
        }
    }

    /// Shared access from synchronous code, blocking the thread; meant for threads outside the
    /// runtime.
    ///
    /// ```
    /// use evloop::sync::RwLock;
    /// let lock = RwLock::new(1);
    /// assert_eq!(*lock.blocking_read(), 1);
    /// ```
    pub fn blocking_read(&self) -> RwLockReadGuard<'_, T> {
        futures_lite::future::block_on(self.read())
    }

    /// Exclusive access from synchronous code, blocking the thread; meant for threads outside
    /// the runtime.
    ///
    /// ```
    /// use evloop::sync::RwLock;
    /// let lock = RwLock::new(1);
    /// *lock.blocking_write() = 2;
    /// assert_eq!(*lock.blocking_read(), 2);
    /// ```
    pub fn blocking_write(&self) -> RwLockWriteGuard<'_, T> {
        futures_lite::future::block_on(self.write())
    }

    /// Mutable access to the data, without locking: `&mut self` proves nobody else holds it.
    ///
    /// ```
    /// use evloop::sync::RwLock;
    /// let mut lock = RwLock::new(1);
    /// *lock.get_mut() = 3;
    /// assert_eq!(lock.into_inner(), 3);
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        self.data.get_mut()
    }
}

impl<T: Default> Default for RwLock<T> {
    fn default() -> RwLock<T> {
        RwLock::new(T::default())
    }
}

impl<T> From<T> for RwLock<T> {
    fn from(value: T) -> RwLock<T> {
        RwLock::new(value)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("RwLock");
        match self.try_read() {
            Ok(guard) => d.field("data", &&*guard),
            Err(_) => d.field("data", &format_args!("<locked>")),
        };
        d.finish()
    }
}

impl<'a, T: ?Sized> RwLockWriteGuard<'a, T> {
    /// Turns exclusive access into shared access without letting a writer in between.
    ///
    /// ```
    /// use evloop::sync::RwLock;
    ///
    /// # evloop::block_on(async {
    /// let lock = RwLock::new(1);
    /// let mut writer = lock.write().await;
    /// *writer = 2;
    /// let reader = writer.downgrade();
    /// assert_eq!(*reader, 2);
    /// assert_eq!(*lock.try_read().unwrap(), 2);
    /// # });
    /// ```
    pub fn downgrade(self) -> RwLockReadGuard<'a, T> {
        let lock = self.lock;
        std::mem::forget(self);
        lock.semaphore.release(lock.max_readers as usize - 1);
        RwLockReadGuard {
            lock,
            _marker: PhantomData,
        }
    }
}

impl<T: ?Sized> OwnedRwLockWriteGuard<T> {
    /// Turns exclusive access into shared access without letting a writer in between.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use evloop::sync::RwLock;
    ///
    /// # evloop::block_on(async {
    /// let lock = Arc::new(RwLock::new(1));
    /// let reader = lock.clone().write_owned().await.downgrade();
    /// assert_eq!(*reader, 1);
    /// assert!(lock.try_write().is_err());
    /// # });
    /// ```
    pub fn downgrade(self) -> OwnedRwLockReadGuard<T> {
        let this = std::mem::ManuallyDrop::new(self);
        // SAFETY: `this` is never used or dropped again, so the `Arc` is moved out exactly once.
        let lock = unsafe { std::ptr::read(&this.lock) };
        lock.semaphore.release(lock.max_readers as usize - 1);
        OwnedRwLockReadGuard {
            lock,
            _marker: PhantomData,
        }
    }
}

macro_rules! guard_impls {
    ($guard:ident $(<$lt:lifetime>)?, $permits:expr) => {
        impl<$($lt,)? T: ?Sized> Deref for $guard<$($lt,)? T> {
            type Target = T;
            fn deref(&self) -> &T {
                // SAFETY: the guard holds at least one permit, so no writer has access
                // (invariant of `RwLock::data`).
                unsafe { &*self.lock.data.get() }
            }
        }

        impl<$($lt,)? T: ?Sized> Drop for $guard<$($lt,)? T> {
            fn drop(&mut self) {
                let permits: fn(&RwLock<T>) -> u32 = $permits;
                self.lock.semaphore.release(permits(&self.lock) as usize);
            }
        }

        impl<$($lt,)? T: ?Sized + fmt::Debug> fmt::Debug for $guard<$($lt,)? T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&**self, f)
            }
        }

        impl<$($lt,)? T: ?Sized + fmt::Display> fmt::Display for $guard<$($lt,)? T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&**self, f)
            }
        }
    };
}

guard_impls!(RwLockReadGuard<'a>, |_| 1);
guard_impls!(OwnedRwLockReadGuard, |_| 1);
guard_impls!(RwLockWriteGuard<'a>, |lock| lock.max_readers);
guard_impls!(OwnedRwLockWriteGuard, |lock| lock.max_readers);

impl<T: ?Sized> DerefMut for RwLockWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: a write guard holds all permits, so it is the only access (invariant of
        // `RwLock::data`); `&mut self` makes this the only access through the guard.
        unsafe { &mut *self.lock.data.get() }
    }
}

impl<T: ?Sized> DerefMut for OwnedRwLockWriteGuard<T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as for `RwLockWriteGuard`.
        unsafe { &mut *self.lock.data.get() }
    }
}

//! [`RwLock`]: an asynchronous, fair, poison-free reader-writer lock.

use std::cell::UnsafeCell;
use std::fmt;
use std::marker::PhantomData;
use std::mem::{self, ManuallyDrop};
use std::ops::{Deref, DerefMut};
use std::ptr;
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
///
/// [`RwLockReadGuard::map`] narrows a read guard to a part of the data; the result is again an
/// `RwLockReadGuard`, of the part's type.
#[must_use = "if unused the RwLock will immediately unlock"]
pub struct RwLockReadGuard<'a, T: ?Sized> {
    /// The semaphore of the locked `RwLock`; this guard holds one of its permits.
    semaphore: &'a ll::Semaphore,
    /// # Invariant
    /// Points into the data of the lock whose permit this guard holds (all of it, or the part
    /// the guard was mapped to); valid for `'a` and only read while the guard lives.
    data: *const T,
    /// The guard acts as a `&'a T`.
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
///
/// `T` is the type of the lock's data and `U` the type the guard gives access to: the same
/// unless the guard was narrowed by [`OwnedRwLockReadGuard::map`].
#[must_use = "if unused the RwLock will immediately unlock"]
pub struct OwnedRwLockReadGuard<T: ?Sized, U: ?Sized = T> {
    /// The locked `RwLock`; this guard holds one of its permits, and the `Arc` keeps `data`
    /// alive.
    lock: Arc<RwLock<T>>,
    /// # Invariant
    /// Points into the data of `lock` (all of it or a part), only read while the guard lives.
    data: *const U,
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

/// An [`RwLockWriteGuard`] narrowed to a part of the data by [`RwLockWriteGuard::map`] (or
/// turned into this type whole by [`RwLockWriteGuard::into_mapped`]).
///
/// It keeps exclusive access to the whole lock, released when dropped, but reaches only the
/// part it was mapped to. It cannot be downgraded: map before downgrading instead, with
/// [`RwLockWriteGuard::downgrade_map`].
///
/// ```
/// use evloop::sync::{RwLock, RwLockMappedWriteGuard, RwLockWriteGuard};
///
/// # evloop::block_on(async {
/// let lock = RwLock::new((String::from("counter"), 0));
/// let mut count: RwLockMappedWriteGuard<'_, i32> =
///     RwLockWriteGuard::map(lock.write().await, |pair| &mut pair.1);
/// *count += 1;
/// assert!(lock.try_read().is_err()); // still exclusive
/// drop(count);
/// assert_eq!(lock.read().await.1, 1);
/// # });
/// ```
#[must_use = "if unused the RwLock will immediately unlock"]
pub struct RwLockMappedWriteGuard<'a, T: ?Sized> {
    /// The semaphore of the locked `RwLock`.
    semaphore: &'a ll::Semaphore,
    /// How many permits this guard holds: all of the lock's.
    permits: u32,
    /// # Invariant
    /// Points into the data of the lock whose permits this guard holds, derived from the
    /// exclusive reference a write guard handed out; valid for `'a`, and nothing else reaches
    /// the data while the guard lives.
    data: *mut T,
    /// The guard acts as a `&'a mut T` (lifetime and invariance).
    _marker: PhantomData<&'a mut T>,
}

/// An [`OwnedRwLockWriteGuard`] narrowed to a part of the data by
/// [`OwnedRwLockWriteGuard::map`] (or turned into this type whole by
/// [`OwnedRwLockWriteGuard::into_mapped`]): `T` is the type of the lock's data, `U` the part it
/// gives access to.
///
/// ```
/// use std::sync::Arc;
/// use evloop::sync::{OwnedRwLockWriteGuard, RwLock};
///
/// # evloop::block_on(async {
/// let lock = Arc::new(RwLock::new(vec![1, 2, 3]));
/// let mut first = OwnedRwLockWriteGuard::map(lock.clone().write_owned().await, |v| &mut v[0]);
/// evloop::spawn(async move { *first = 10 }).await.unwrap();
/// assert_eq!(*lock.read().await, [10, 2, 3]);
/// # });
/// ```
#[must_use = "if unused the RwLock will immediately unlock"]
pub struct OwnedRwLockMappedWriteGuard<T: ?Sized, U: ?Sized = T> {
    /// The locked `RwLock`; this guard holds all of its permits, and the `Arc` keeps `data`
    /// alive.
    lock: Arc<RwLock<T>>,
    /// # Invariant
    /// Points into the data of `lock`, derived from the exclusive reference a write guard
    /// handed out; nothing else reaches the data while the guard lives.
    data: *mut U,
}

// SAFETY: a read guard is in effect a `&T` (see `data`'s invariant) plus a reference to a
// semaphore that any thread may release; `&T` is `Send` when `T: Sync`.
unsafe impl<T: ?Sized + Sync> Send for RwLockReadGuard<'_, T> {}

// SAFETY: a shared read guard hands out `&T` only, which needs `T: Sync`; `T: Send` is asked
// as well, matching tokio's bounds.
unsafe impl<T: ?Sized + Send + Sync> Sync for RwLockReadGuard<'_, T> {}

// SAFETY: sending the guard sends the `Arc<RwLock<T>>`, whose sending needs `T: Send + Sync`,
// and a `&U`, which needs `U: Sync`.
unsafe impl<T: ?Sized + Send + Sync, U: ?Sized + Sync> Send for OwnedRwLockReadGuard<T, U> {}

// SAFETY: a shared guard hands out `&U` (`U: Sync`) and `&Arc<RwLock<T>>` (`T: Send + Sync`);
// `U: Send` is asked as well, matching tokio's bounds.
unsafe impl<T: ?Sized + Send + Sync, U: ?Sized + Send + Sync> Sync for OwnedRwLockReadGuard<T, U> {}

// SAFETY: the guard is in effect a `&mut T` (see `data`'s invariant) plus a semaphore reference;
// sending it moves the exclusive access (`T: Send`) and sharing it shares `&T` (`T: Sync`).
// Both ask for `T: Send + Sync`, like the unmapped write guard.
unsafe impl<T: ?Sized + Send + Sync> Send for RwLockMappedWriteGuard<'_, T> {}

// SAFETY: see the `Send` impl just above.
unsafe impl<T: ?Sized + Send + Sync> Sync for RwLockMappedWriteGuard<'_, T> {}

// SAFETY: the guard owns an `Arc<RwLock<T>>` (sending or sharing it needs `T: Send + Sync`) and
// exclusive access to `U` (moving it needs `U: Send`, sharing `&U` needs `U: Sync`).
unsafe impl<T: ?Sized + Send + Sync, U: ?Sized + Send + Sync> Send
    for OwnedRwLockMappedWriteGuard<T, U>
{
}

// SAFETY: see the `Send` impl just above.
unsafe impl<T: ?Sized + Send + Sync, U: ?Sized + Send + Sync> Sync
    for OwnedRwLockMappedWriteGuard<T, U>
{
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
    /// A read guard over the whole data, for a caller that holds one permit.
    fn read_guard(&self) -> RwLockReadGuard<'_, T> {
        RwLockReadGuard {
            semaphore: &self.semaphore,
            data: self.data.get(),
            _marker: PhantomData,
        }
    }

    /// An owned read guard over the whole data, for a caller that holds one permit.
    fn owned_read_guard(this: Arc<Self>) -> OwnedRwLockReadGuard<T> {
        OwnedRwLockReadGuard {
            data: this.data.get(),
            lock: this,
        }
    }

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
        self.read_guard()
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
        RwLock::owned_read_guard(self)
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
            Ok(()) => Ok(self.read_guard()),
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
            Ok(()) => Ok(RwLock::owned_read_guard(self)),
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

impl<'a, T: ?Sized> RwLockReadGuard<'a, T> {
    /// Narrows the guard to a part of the data chosen by `f`; the lock stays read-locked until
    /// the returned guard is dropped.
    ///
    /// This is an associated function (`RwLockReadGuard::map(guard, f)`), not a method, so that
    /// it does not hide a method of the same name on the data. If `f` panics, the guard is
    /// dropped and its read access released as usual.
    ///
    /// ```
    /// use evloop::sync::{RwLock, RwLockReadGuard};
    ///
    /// # evloop::block_on(async {
    /// let lock = RwLock::new((String::from("name"), 7));
    /// let number: RwLockReadGuard<'_, i32> = RwLockReadGuard::map(lock.read().await, |p| &p.1);
    /// assert_eq!(*number, 7);
    /// assert!(lock.try_write().is_err()); // still read-locked
    /// drop(number);
    /// assert!(lock.try_write().is_ok());
    /// # });
    /// ```
    pub fn map<F, U: ?Sized>(this: Self, f: F) -> RwLockReadGuard<'a, U>
    where
        F: FnOnce(&T) -> &U,
    {
        let data: *const U = f(&*this);
        RwLockReadGuard {
            semaphore: this.into_semaphore(),
            data,
            _marker: PhantomData,
        }
    }

    /// Narrows the guard to a part of the data if `f` finds one; otherwise hands the guard
    /// back, still holding its read access.
    ///
    /// An associated function, like [`RwLockReadGuard::map`].
    ///
    /// ```
    /// use evloop::sync::{RwLock, RwLockReadGuard};
    ///
    /// # evloop::block_on(async {
    /// let lock = RwLock::new(vec![1, 2]);
    /// let guard = RwLockReadGuard::try_map(lock.read().await, |v| v.get(9)).unwrap_err();
    /// let second = RwLockReadGuard::try_map(guard, |v| v.get(1)).unwrap();
    /// assert_eq!(*second, 2);
    /// # });
    /// ```
    pub fn try_map<F, U: ?Sized>(this: Self, f: F) -> Result<RwLockReadGuard<'a, U>, Self>
    where
        F: FnOnce(&T) -> Option<&U>,
    {
        let data: *const U = match f(&*this) {
            Some(data) => data,
            None => return Err(this),
        };
        Ok(RwLockReadGuard {
            semaphore: this.into_semaphore(),
            data,
            _marker: PhantomData,
        })
    }

    /// Gives up the guard without releasing its permit, which passes to the caller.
    fn into_semaphore(self) -> &'a ll::Semaphore {
        let semaphore = self.semaphore;
        mem::forget(self);
        semaphore
    }
}

impl<'a, T: ?Sized> RwLockWriteGuard<'a, T> {
    /// Narrows the guard to a part of the data chosen by `f`, keeping exclusive access to the
    /// whole lock until the returned [`RwLockMappedWriteGuard`] is dropped.
    ///
    /// An associated function (`RwLockWriteGuard::map(guard, f)`), so that it does not hide a
    /// method of the data. If `f` panics, the guard is dropped and the lock released.
    ///
    /// ```
    /// use evloop::sync::{RwLock, RwLockWriteGuard};
    ///
    /// # evloop::block_on(async {
    /// let lock = RwLock::new((0, String::new()));
    /// let mut text = RwLockWriteGuard::map(lock.write().await, |pair| &mut pair.1);
    /// text.push_str("written");
    /// drop(text);
    /// assert_eq!(lock.read().await.1, "written");
    /// # });
    /// ```
    pub fn map<F, U: ?Sized>(mut this: Self, f: F) -> RwLockMappedWriteGuard<'a, U>
    where
        F: FnOnce(&mut T) -> &mut U,
    {
        let data: *mut U = f(&mut *this);
        let lock = this.into_lock();
        RwLockMappedWriteGuard {
            semaphore: &lock.semaphore,
            permits: lock.max_readers,
            data,
            _marker: PhantomData,
        }
    }

    /// Narrows the guard to a part of the data if `f` finds one; otherwise hands the guard
    /// back, still holding exclusive access.
    ///
    /// An associated function, like [`RwLockWriteGuard::map`].
    ///
    /// ```
    /// use evloop::sync::{RwLock, RwLockWriteGuard};
    ///
    /// # evloop::block_on(async {
    /// let lock = RwLock::new(Some(1));
    /// let mut value = RwLockWriteGuard::try_map(lock.write().await, Option::as_mut).unwrap();
    /// *value = 2;
    /// drop(value);
    /// *lock.write().await = None;
    /// let guard = RwLockWriteGuard::try_map(lock.write().await, Option::as_mut).unwrap_err();
    /// assert!(lock.try_read().is_err()); // the returned guard still excludes readers
    /// drop(guard);
    /// assert_eq!(*lock.read().await, None);
    /// # });
    /// ```
    pub fn try_map<F, U: ?Sized>(
        mut this: Self,
        f: F,
    ) -> Result<RwLockMappedWriteGuard<'a, U>, Self>
    where
        F: FnOnce(&mut T) -> Option<&mut U>,
    {
        let data: *mut U = match f(&mut *this) {
            Some(data) => data,
            None => return Err(this),
        };
        let lock = this.into_lock();
        Ok(RwLockMappedWriteGuard {
            semaphore: &lock.semaphore,
            permits: lock.max_readers,
            data,
            _marker: PhantomData,
        })
    }

    /// Turns the guard into an [`RwLockMappedWriteGuard`] over the whole data, for code that
    /// handles mapped and unmapped guards alike.
    ///
    /// An associated function, like [`RwLockWriteGuard::map`].
    ///
    /// ```
    /// use evloop::sync::{RwLock, RwLockMappedWriteGuard, RwLockWriteGuard};
    ///
    /// # evloop::block_on(async {
    /// let lock = RwLock::new(1);
    /// let mut guard: RwLockMappedWriteGuard<'_, i32> =
    ///     RwLockWriteGuard::into_mapped(lock.write().await);
    /// *guard = 2;
    /// drop(guard);
    /// assert_eq!(*lock.read().await, 2);
    /// # });
    /// ```
    pub fn into_mapped(this: Self) -> RwLockMappedWriteGuard<'a, T> {
        RwLockWriteGuard::map(this, |data| data)
    }

    /// Narrows the guard to a part of the data and turns exclusive access into shared access
    /// in one step, without letting a writer in between.
    ///
    /// `f` sees the data through a shared reference. The returned read guard holds one read
    /// permit; the others are released at once, so other readers may come in. An associated
    /// function, like [`RwLockWriteGuard::map`].
    ///
    /// ```
    /// use evloop::sync::{RwLock, RwLockWriteGuard};
    ///
    /// # evloop::block_on(async {
    /// let lock = RwLock::new((1, 2));
    /// let mut writer = lock.write().await;
    /// writer.1 = 3;
    /// let second = RwLockWriteGuard::downgrade_map(writer, |pair| &pair.1);
    /// assert_eq!(*second, 3);
    /// assert_eq!(lock.try_read().unwrap().0, 1); // readers may come in
    /// assert!(lock.try_write().is_err()); // writers may not
    /// # });
    /// ```
    pub fn downgrade_map<F, U: ?Sized>(this: Self, f: F) -> RwLockReadGuard<'a, U>
    where
        F: FnOnce(&T) -> &U,
    {
        let data: *const U = f(&*this);
        let lock = this.into_lock();
        let guard = RwLockReadGuard {
            semaphore: &lock.semaphore,
            data,
            _marker: PhantomData,
        };
        // The read guard keeps one permit; the others go back.
        lock.semaphore.release(lock.max_readers as usize - 1);
        guard
    }

    /// Like [`downgrade_map`](RwLockWriteGuard::downgrade_map) if `f` finds a part of the
    /// data; otherwise hands the write guard back, still holding exclusive access.
    ///
    /// ```
    /// use evloop::sync::{RwLock, RwLockWriteGuard};
    ///
    /// # evloop::block_on(async {
    /// let lock = RwLock::new(vec![5]);
    /// let writer = RwLockWriteGuard::try_downgrade_map(lock.write().await, |v| v.get(3))
    ///     .unwrap_err();
    /// assert!(lock.try_read().is_err());
    /// let first = RwLockWriteGuard::try_downgrade_map(writer, |v| v.first()).unwrap();
    /// assert_eq!(*first, 5);
    /// assert!(lock.try_read().is_ok());
    /// # });
    /// ```
    pub fn try_downgrade_map<F, U: ?Sized>(this: Self, f: F) -> Result<RwLockReadGuard<'a, U>, Self>
    where
        F: FnOnce(&T) -> Option<&U>,
    {
        let data: *const U = match f(&*this) {
            Some(data) => data,
            None => return Err(this),
        };
        let lock = this.into_lock();
        let guard = RwLockReadGuard {
            semaphore: &lock.semaphore,
            data,
            _marker: PhantomData,
        };
        lock.semaphore.release(lock.max_readers as usize - 1);
        Ok(guard)
    }

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
        let lock = self.into_lock();
        let guard = lock.read_guard();
        lock.semaphore.release(lock.max_readers as usize - 1);
        guard
    }

    /// Gives up the guard without releasing its permits, which pass to the caller.
    fn into_lock(self) -> &'a RwLock<T> {
        let lock = self.lock;
        mem::forget(self);
        lock
    }
}

impl<'a, T: ?Sized> RwLockMappedWriteGuard<'a, T> {
    /// Narrows the guard further, to a part of the part it gives access to.
    ///
    /// An associated function, like [`RwLockWriteGuard::map`].
    ///
    /// ```
    /// use evloop::sync::{RwLock, RwLockMappedWriteGuard, RwLockWriteGuard};
    ///
    /// # evloop::block_on(async {
    /// let lock = RwLock::new((0, (1, 2)));
    /// let inner = RwLockWriteGuard::map(lock.write().await, |t| &mut t.1);
    /// let mut first = RwLockMappedWriteGuard::map(inner, |pair| &mut pair.0);
    /// *first = 10;
    /// drop(first);
    /// assert_eq!(*lock.read().await, (0, (10, 2)));
    /// # });
    /// ```
    pub fn map<F, U: ?Sized>(mut this: Self, f: F) -> RwLockMappedWriteGuard<'a, U>
    where
        F: FnOnce(&mut T) -> &mut U,
    {
        let data: *mut U = f(&mut *this);
        let (semaphore, permits) = this.into_parts();
        RwLockMappedWriteGuard {
            semaphore,
            permits,
            data,
            _marker: PhantomData,
        }
    }

    /// Narrows the guard further if `f` finds a part; otherwise hands the guard back, still
    /// holding exclusive access.
    ///
    /// ```
    /// use evloop::sync::{RwLock, RwLockMappedWriteGuard, RwLockWriteGuard};
    ///
    /// # evloop::block_on(async {
    /// let lock = RwLock::new(vec![1]);
    /// let all = RwLockWriteGuard::into_mapped(lock.write().await);
    /// let all = RwLockMappedWriteGuard::try_map(all, |v| v.get_mut(1)).unwrap_err();
    /// let mut first = RwLockMappedWriteGuard::try_map(all, |v| v.get_mut(0)).unwrap();
    /// *first += 1;
    /// drop(first);
    /// assert_eq!(*lock.read().await, [2]);
    /// # });
    /// ```
    pub fn try_map<F, U: ?Sized>(
        mut this: Self,
        f: F,
    ) -> Result<RwLockMappedWriteGuard<'a, U>, Self>
    where
        F: FnOnce(&mut T) -> Option<&mut U>,
    {
        let data: *mut U = match f(&mut *this) {
            Some(data) => data,
            None => return Err(this),
        };
        let (semaphore, permits) = this.into_parts();
        Ok(RwLockMappedWriteGuard {
            semaphore,
            permits,
            data,
            _marker: PhantomData,
        })
    }

    /// Gives up the guard without releasing its permits, which pass to the caller.
    fn into_parts(self) -> (&'a ll::Semaphore, u32) {
        let parts = (self.semaphore, self.permits);
        mem::forget(self);
        parts
    }
}

impl<T: ?Sized, U: ?Sized> OwnedRwLockReadGuard<T, U> {
    /// Narrows the guard to a part of the data chosen by `f`; the lock stays read-locked (and
    /// alive) until the returned guard is dropped.
    ///
    /// An associated function (`OwnedRwLockReadGuard::map(guard, f)`), so that it does not
    /// hide a method of the data. If `f` panics, the guard is dropped and its read access
    /// released.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use evloop::sync::{OwnedRwLockReadGuard, RwLock};
    ///
    /// # evloop::block_on(async {
    /// let lock = Arc::new(RwLock::new((String::from("id"), 42)));
    /// let number: OwnedRwLockReadGuard<(String, i32), i32> =
    ///     OwnedRwLockReadGuard::map(lock.clone().read_owned().await, |pair| &pair.1);
    /// let task = evloop::spawn(async move { *number + 1 });
    /// assert_eq!(task.await.unwrap(), 43);
    /// # });
    /// ```
    pub fn map<F, V: ?Sized>(this: Self, f: F) -> OwnedRwLockReadGuard<T, V>
    where
        F: FnOnce(&U) -> &V,
    {
        let data: *const V = f(&*this);
        OwnedRwLockReadGuard {
            lock: this.into_lock(),
            data,
        }
    }

    /// Narrows the guard to a part of the data if `f` finds one; otherwise hands the guard
    /// back, still holding its read access.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use evloop::sync::{OwnedRwLockReadGuard, RwLock};
    ///
    /// # evloop::block_on(async {
    /// let lock = Arc::new(RwLock::new(vec![1, 2, 3]));
    /// let guard = lock.clone().read_owned().await;
    /// let guard = OwnedRwLockReadGuard::try_map(guard, |v| v.get(3)).unwrap_err();
    /// let last = OwnedRwLockReadGuard::try_map(guard, |v| v.last()).unwrap();
    /// assert_eq!(*last, 3);
    /// # });
    /// ```
    pub fn try_map<F, V: ?Sized>(this: Self, f: F) -> Result<OwnedRwLockReadGuard<T, V>, Self>
    where
        F: FnOnce(&U) -> Option<&V>,
    {
        let data: *const V = match f(&*this) {
            Some(data) => data,
            None => return Err(this),
        };
        Ok(OwnedRwLockReadGuard {
            lock: this.into_lock(),
            data,
        })
    }

    /// The lock this guard holds.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use evloop::sync::{OwnedRwLockReadGuard, RwLock};
    ///
    /// let lock = Arc::new(RwLock::new(1));
    /// let guard = lock.clone().try_read_owned().unwrap();
    /// assert!(Arc::ptr_eq(OwnedRwLockReadGuard::rwlock(&guard), &lock));
    /// ```
    pub fn rwlock(this: &Self) -> &Arc<RwLock<T>> {
        &this.lock
    }

    /// Gives up the guard without releasing its permit: the lock and the permit pass to the
    /// caller.
    fn into_lock(self) -> Arc<RwLock<T>> {
        let this = ManuallyDrop::new(self);
        // SAFETY: `this` is never used or dropped again, so the `Arc` is moved out of it
        // exactly once.
        unsafe { ptr::read(&this.lock) }
    }
}

impl<T: ?Sized> OwnedRwLockWriteGuard<T> {
    /// Narrows the guard to a part of the data chosen by `f`, keeping exclusive access to the
    /// whole lock until the returned [`OwnedRwLockMappedWriteGuard`] is dropped.
    ///
    /// An associated function (`OwnedRwLockWriteGuard::map(guard, f)`), so that it does not
    /// hide a method of the data. If `f` panics, the guard is dropped and the lock released.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use evloop::sync::{OwnedRwLockWriteGuard, RwLock};
    ///
    /// # evloop::block_on(async {
    /// let lock = Arc::new(RwLock::new((1, 2)));
    /// let mut second = OwnedRwLockWriteGuard::map(lock.clone().write_owned().await, |p| &mut p.1);
    /// *second = 20;
    /// drop(second);
    /// assert_eq!(*lock.read().await, (1, 20));
    /// # });
    /// ```
    pub fn map<F, U: ?Sized>(mut this: Self, f: F) -> OwnedRwLockMappedWriteGuard<T, U>
    where
        F: FnOnce(&mut T) -> &mut U,
    {
        let data: *mut U = f(&mut *this);
        OwnedRwLockMappedWriteGuard {
            lock: this.into_lock(),
            data,
        }
    }

    /// Narrows the guard to a part of the data if `f` finds one; otherwise hands the guard
    /// back, still holding exclusive access.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use evloop::sync::{OwnedRwLockWriteGuard, RwLock};
    ///
    /// # evloop::block_on(async {
    /// let lock = Arc::new(RwLock::new(Vec::<u8>::new()));
    /// let mut all = OwnedRwLockWriteGuard::try_map(lock.clone().write_owned().await, |v| {
    ///     v.first_mut()
    /// })
    /// .unwrap_err();
    /// all.push(1);
    /// let first = OwnedRwLockWriteGuard::try_map(all, |v| v.first_mut()).unwrap();
    /// assert_eq!(*first, 1);
    /// # });
    /// ```
    pub fn try_map<F, U: ?Sized>(
        mut this: Self,
        f: F,
    ) -> Result<OwnedRwLockMappedWriteGuard<T, U>, Self>
    where
        F: FnOnce(&mut T) -> Option<&mut U>,
    {
        let data: *mut U = match f(&mut *this) {
            Some(data) => data,
            None => return Err(this),
        };
        Ok(OwnedRwLockMappedWriteGuard {
            lock: this.into_lock(),
            data,
        })
    }

    /// Turns the guard into an [`OwnedRwLockMappedWriteGuard`] over the whole data.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use evloop::sync::{OwnedRwLockMappedWriteGuard, OwnedRwLockWriteGuard, RwLock};
    ///
    /// # evloop::block_on(async {
    /// let lock = Arc::new(RwLock::new(1));
    /// let mut guard: OwnedRwLockMappedWriteGuard<i32> =
    ///     OwnedRwLockWriteGuard::into_mapped(lock.clone().write_owned().await);
    /// *guard += 1;
    /// drop(guard);
    /// assert_eq!(*lock.read().await, 2);
    /// # });
    /// ```
    pub fn into_mapped(this: Self) -> OwnedRwLockMappedWriteGuard<T> {
        OwnedRwLockWriteGuard::map(this, |data| data)
    }

    /// Narrows the guard to a part of the data and turns exclusive access into shared access
    /// in one step, without letting a writer in between.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use evloop::sync::{OwnedRwLockWriteGuard, RwLock};
    ///
    /// # evloop::block_on(async {
    /// let lock = Arc::new(RwLock::new((String::from("a"), 1)));
    /// let mut writer = lock.clone().write_owned().await;
    /// writer.0.push('b');
    /// let text = OwnedRwLockWriteGuard::downgrade_map(writer, |pair| &pair.0);
    /// assert_eq!(*text, "ab");
    /// assert!(lock.try_read().is_ok());
    /// assert!(lock.try_write().is_err());
    /// # });
    /// ```
    pub fn downgrade_map<F, U: ?Sized>(this: Self, f: F) -> OwnedRwLockReadGuard<T, U>
    where
        F: FnOnce(&T) -> &U,
    {
        let data: *const U = f(&*this);
        let lock = this.into_lock();
        let release = lock.max_readers as usize - 1;
        let guard = OwnedRwLockReadGuard { lock, data };
        // The read guard keeps one permit; the others go back.
        guard.lock.semaphore.release(release);
        guard
    }

    /// Like [`downgrade_map`](OwnedRwLockWriteGuard::downgrade_map) if `f` finds a part of
    /// the data; otherwise hands the write guard back, still holding exclusive access.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use evloop::sync::{OwnedRwLockWriteGuard, RwLock};
    ///
    /// # evloop::block_on(async {
    /// let lock = Arc::new(RwLock::new(None::<u8>));
    /// let mut writer = lock.clone().write_owned().await;
    /// writer = OwnedRwLockWriteGuard::try_downgrade_map(writer, Option::as_ref).unwrap_err();
    /// *writer = Some(4);
    /// let value = OwnedRwLockWriteGuard::try_downgrade_map(writer, Option::as_ref).unwrap();
    /// assert_eq!(*value, 4);
    /// # });
    /// ```
    pub fn try_downgrade_map<F, U: ?Sized>(
        this: Self,
        f: F,
    ) -> Result<OwnedRwLockReadGuard<T, U>, Self>
    where
        F: FnOnce(&T) -> Option<&U>,
    {
        let data: *const U = match f(&*this) {
            Some(data) => data,
            None => return Err(this),
        };
        let lock = this.into_lock();
        let release = lock.max_readers as usize - 1;
        let guard = OwnedRwLockReadGuard { lock, data };
        guard.lock.semaphore.release(release);
        Ok(guard)
    }

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
        let lock = self.into_lock();
        let release = lock.max_readers as usize - 1;
        let guard = RwLock::owned_read_guard(lock);
        guard.lock.semaphore.release(release);
        guard
    }

    /// The lock this guard holds.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use evloop::sync::{OwnedRwLockWriteGuard, RwLock};
    ///
    /// let lock = Arc::new(RwLock::new(1));
    /// let guard = lock.clone().try_write_owned().unwrap();
    /// assert!(Arc::ptr_eq(OwnedRwLockWriteGuard::rwlock(&guard), &lock));
    /// ```
    pub fn rwlock(this: &Self) -> &Arc<RwLock<T>> {
        &this.lock
    }

    /// Gives up the guard without releasing its permits: the lock and the permits pass to the
    /// caller.
    fn into_lock(self) -> Arc<RwLock<T>> {
        let this = ManuallyDrop::new(self);
        // SAFETY: `this` is never used or dropped again, so the `Arc` is moved out of it
        // exactly once.
        unsafe { ptr::read(&this.lock) }
    }
}

impl<T: ?Sized, U: ?Sized> OwnedRwLockMappedWriteGuard<T, U> {
    /// Narrows the guard further, to a part of the part it gives access to.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use evloop::sync::{OwnedRwLockMappedWriteGuard, OwnedRwLockWriteGuard, RwLock};
    ///
    /// # evloop::block_on(async {
    /// let lock = Arc::new(RwLock::new((0, [1, 2])));
    /// let array = OwnedRwLockWriteGuard::map(lock.clone().write_owned().await, |t| &mut t.1);
    /// let mut last = OwnedRwLockMappedWriteGuard::map(array, |a| &mut a[1]);
    /// *last = 5;
    /// drop(last);
    /// assert_eq!(*lock.read().await, (0, [1, 5]));
    /// # });
    /// ```
    pub fn map<F, V: ?Sized>(mut this: Self, f: F) -> OwnedRwLockMappedWriteGuard<T, V>
    where
        F: FnOnce(&mut U) -> &mut V,
    {
        let data: *mut V = f(&mut *this);
        OwnedRwLockMappedWriteGuard {
            lock: this.into_lock(),
            data,
        }
    }

    /// Narrows the guard further if `f` finds a part; otherwise hands the guard back, still
    /// holding exclusive access.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use evloop::sync::{OwnedRwLockMappedWriteGuard, OwnedRwLockWriteGuard, RwLock};
    ///
    /// # evloop::block_on(async {
    /// let lock = Arc::new(RwLock::new(Some(1)));
    /// let all = OwnedRwLockWriteGuard::into_mapped(lock.clone().write_owned().await);
    /// let mut value = OwnedRwLockMappedWriteGuard::try_map(all, Option::as_mut).unwrap();
    /// *value = 3;
    /// drop(value);
    /// assert_eq!(*lock.read().await, Some(3));
    /// # });
    /// ```
    pub fn try_map<F, V: ?Sized>(
        mut this: Self,
        f: F,
    ) -> Result<OwnedRwLockMappedWriteGuard<T, V>, Self>
    where
        F: FnOnce(&mut U) -> Option<&mut V>,
    {
        let data: *mut V = match f(&mut *this) {
            Some(data) => data,
            None => return Err(this),
        };
        Ok(OwnedRwLockMappedWriteGuard {
            lock: this.into_lock(),
            data,
        })
    }

    /// The lock this guard holds.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use evloop::sync::{OwnedRwLockMappedWriteGuard, OwnedRwLockWriteGuard, RwLock};
    ///
    /// let lock = Arc::new(RwLock::new(1));
    /// let guard = OwnedRwLockWriteGuard::into_mapped(lock.clone().try_write_owned().unwrap());
    /// assert!(Arc::ptr_eq(OwnedRwLockMappedWriteGuard::rwlock(&guard), &lock));
    /// ```
    pub fn rwlock(this: &Self) -> &Arc<RwLock<T>> {
        &this.lock
    }

    /// Gives up the guard without releasing its permits: the lock and the permits pass to the
    /// caller.
    fn into_lock(self) -> Arc<RwLock<T>> {
        let this = ManuallyDrop::new(self);
        // SAFETY: `this` is never used or dropped again, so the `Arc` is moved out of it
        // exactly once.
        unsafe { ptr::read(&this.lock) }
    }
}

impl<T: ?Sized> Deref for RwLockReadGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard holds a read permit, so no writer has access (invariant of
        // `RwLock::data`), and `data` points into that data (invariant of `data`).
        unsafe { &*self.data }
    }
}

impl<T: ?Sized, U: ?Sized> Deref for OwnedRwLockReadGuard<T, U> {
    type Target = U;
    fn deref(&self) -> &U {
        // SAFETY: as for `RwLockReadGuard`; the `Arc` in `lock` keeps the data alive.
        unsafe { &*self.data }
    }
}

impl<T: ?Sized> Deref for RwLockWriteGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: a write guard holds all permits, so it is the only access (invariant of
        // `RwLock::data`).
        unsafe { &*self.lock.data.get() }
    }
}

impl<T: ?Sized> DerefMut for RwLockWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: a write guard holds all permits, so it is the only access (invariant of
        // `RwLock::data`); `&mut self` makes this the only access through the guard.
        unsafe { &mut *self.lock.data.get() }
    }
}

impl<T: ?Sized> Deref for OwnedRwLockWriteGuard<T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: as for `RwLockWriteGuard`.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T: ?Sized> DerefMut for OwnedRwLockWriteGuard<T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as for `RwLockWriteGuard`.
        unsafe { &mut *self.lock.data.get() }
    }
}

impl<T: ?Sized> Deref for RwLockMappedWriteGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard holds all permits, so nothing else reaches the data, and `data`
        // points into it (invariant of `data`).
        unsafe { &*self.data }
    }
}

impl<T: ?Sized> DerefMut for RwLockMappedWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`; `&mut self` makes this the only access through the guard.
        unsafe { &mut *self.data }
    }
}

impl<T: ?Sized, U: ?Sized> Deref for OwnedRwLockMappedWriteGuard<T, U> {
    type Target = U;
    fn deref(&self) -> &U {
        // SAFETY: as for `RwLockMappedWriteGuard`; the `Arc` in `lock` keeps the data alive.
        unsafe { &*self.data }
    }
}

impl<T: ?Sized, U: ?Sized> DerefMut for OwnedRwLockMappedWriteGuard<T, U> {
    fn deref_mut(&mut self) -> &mut U {
        // SAFETY: as in `deref`; `&mut self` makes this the only access through the guard.
        unsafe { &mut *self.data }
    }
}

impl<T: ?Sized> Drop for RwLockReadGuard<'_, T> {
    fn drop(&mut self) {
        self.semaphore.release(1);
    }
}

impl<T: ?Sized, U: ?Sized> Drop for OwnedRwLockReadGuard<T, U> {
    fn drop(&mut self) {
        self.lock.semaphore.release(1);
    }
}

impl<T: ?Sized> Drop for RwLockWriteGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.semaphore.release(self.lock.max_readers as usize);
    }
}

impl<T: ?Sized> Drop for OwnedRwLockWriteGuard<T> {
    fn drop(&mut self) {
        self.lock.semaphore.release(self.lock.max_readers as usize);
    }
}

impl<T: ?Sized> Drop for RwLockMappedWriteGuard<'_, T> {
    fn drop(&mut self) {
        self.semaphore.release(self.permits as usize);
    }
}

impl<T: ?Sized, U: ?Sized> Drop for OwnedRwLockMappedWriteGuard<T, U> {
    fn drop(&mut self) {
        self.lock.semaphore.release(self.lock.max_readers as usize);
    }
}

/// `Debug` and `Display` for a guard, showing the data it gives access to.
macro_rules! fmt_impls {
    ($([$($generics:tt)*] $guard:ty => $target:ident;)*) => {$(
        impl<$($generics)*> fmt::Debug for $guard
        where
            $target: fmt::Debug,
        {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&**self, f)
            }
        }

        impl<$($generics)*> fmt::Display for $guard
        where
            $target: fmt::Display,
        {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&**self, f)
            }
        }
    )*};
}

fmt_impls! {
    [T: ?Sized] RwLockReadGuard<'_, T> => T;
    [T: ?Sized, U: ?Sized] OwnedRwLockReadGuard<T, U> => U;
    [T: ?Sized] RwLockWriteGuard<'_, T> => T;
    [T: ?Sized] OwnedRwLockWriteGuard<T> => T;
    [T: ?Sized] RwLockMappedWriteGuard<'_, T> => T;
    [T: ?Sized, U: ?Sized] OwnedRwLockMappedWriteGuard<T, U> => U;
}

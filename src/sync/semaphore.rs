//! [`Semaphore`]: a counting semaphore with fair (first-in, first-out) waiters.

use std::fmt;
use std::sync::Arc;

use super::batch_semaphore::{self as ll, AcquireError, TryAcquireError};

/// A counting semaphore: a pool of permits that tasks acquire and give back.
///
/// [`acquire`](Semaphore::acquire) waits until a permit is available; the returned
/// [`SemaphorePermit`] gives it back when dropped. Waiters are served strictly in the order
/// they started waiting, including those asking for several permits at once with
/// [`acquire_many`](Semaphore::acquire_many): a large request at the front of the queue is not
/// overtaken by smaller ones behind it.
///
/// A semaphore can be [closed](Semaphore::close): pending and later acquires then fail with
/// [`AcquireError`].
///
/// # Cancellation
/// Every `acquire*` future may be dropped at any time (for instance by losing a
/// [`select!`](crate::select)): it leaves the queue, and permits that had already been
/// assigned to it go to the next waiter. No permit is lost.
///
/// # Example: limiting concurrency
/// ```
/// use std::sync::Arc;
/// use evloop::sync::Semaphore;
///
/// # evloop::block_on(async {
/// let limit = Arc::new(Semaphore::new(3));
/// let mut tasks = Vec::new();
/// for i in 0..10 {
///     let permit = limit.clone().acquire_owned().await.unwrap();
///     tasks.push(evloop::spawn(async move {
///         let _permit = permit; // at most three tasks hold one at a time
///         i * 2
///     }));
/// }
/// let mut sum = 0;
/// for task in tasks {
///     sum += task.await.unwrap();
/// }
/// assert_eq!(sum, 90);
/// # });
/// ```
pub struct Semaphore {
    ll: ll::Semaphore,
}

/// A permit from a [`Semaphore`], given back when dropped.
///
/// ```
/// use evloop::sync::Semaphore;
///
/// # evloop::block_on(async {
/// let semaphore = Semaphore::new(2);
/// let permit = semaphore.acquire_many(2).await.unwrap();
/// assert_eq!(permit.num_permits(), 2);
/// assert_eq!(semaphore.available_permits(), 0);
/// drop(permit);
/// assert_eq!(semaphore.available_permits(), 2);
/// # });
/// ```
#[must_use = "dropping the permit gives it back at once"]
pub struct SemaphorePermit<'a> {
    semaphore: &'a Semaphore,
    permits: u32,
}

/// A permit from an `Arc<Semaphore>`, given back when dropped; it can move into a task.
///
/// ```
/// use std::sync::Arc;
/// use evloop::sync::Semaphore;
///
/// # evloop::block_on(async {
/// let semaphore = Arc::new(Semaphore::new(1));
/// let permit = semaphore.clone().acquire_owned().await.unwrap();
/// let task = evloop::spawn(async move {
///     let _held = permit;
/// });
/// task.await.unwrap();
/// assert_eq!(semaphore.available_permits(), 1);
/// # });
/// ```
#[must_use = "dropping the permit gives it back at once"]
pub struct OwnedSemaphorePermit {
    semaphore: Arc<Semaphore>,
    permits: u32,
}

impl Semaphore {
    /// The largest number of permits a semaphore can hold (`usize::MAX >> 3`).
    ///
    /// ```
    /// use evloop::sync::Semaphore;
    /// assert_eq!(Semaphore::MAX_PERMITS, usize::MAX >> 3);
    /// ```
    pub const MAX_PERMITS: usize = ll::MAX_PERMITS;

    /// Creates a semaphore with `permits` permits.
    ///
    /// # Panics
    /// If `permits` exceeds [`Semaphore::MAX_PERMITS`].
    ///
    /// ```
    /// use evloop::sync::Semaphore;
    /// let semaphore = Semaphore::new(4);
    /// assert_eq!(semaphore.available_permits(), 4);
    /// ```
    #[track_caller]
    pub fn new(permits: usize) -> Semaphore {
        Semaphore {
            ll: ll::Semaphore::new(permits),
        }
    }

    /// Creates a semaphore in a `const` context, for example a `static`.
    ///
    /// ```
    /// use evloop::sync::Semaphore;
    ///
    /// static LIMIT: Semaphore = Semaphore::const_new(2);
    /// assert_eq!(LIMIT.available_permits(), 2);
    /// ```
    #[cfg(not(loom))]
    #[track_caller]
    pub const fn const_new(permits: usize) -> Semaphore {
        Semaphore {
            ll: ll::Semaphore::const_new(permits),
        }
    }

    /// The number of permits available right now.
    ///
    /// ```
    /// use evloop::sync::Semaphore;
    /// let semaphore = Semaphore::new(3);
    /// let _permit = semaphore.try_acquire().unwrap();
    /// assert_eq!(semaphore.available_permits(), 2);
    /// ```
    pub fn available_permits(&self) -> usize {
        self.ll.available_permits()
    }

    /// Adds `n` permits, waking waiters that can now proceed (in queue order).
    ///
    /// # Panics
    /// If the total would exceed [`Semaphore::MAX_PERMITS`].
    ///
    /// ```
    /// use evloop::sync::Semaphore;
    /// let semaphore = Semaphore::new(0);
    /// semaphore.add_permits(2);
    /// assert_eq!(semaphore.available_permits(), 2);
    /// ```
    #[track_caller]
    pub fn add_permits(&self, n: usize) {
        self.ll.release(n);
    }

    /// Removes up to `n` available permits for good and returns how many were removed. Permits
    /// held by others are not affected.
    ///
    /// ```
    /// use evloop::sync::Semaphore;
    /// let semaphore = Semaphore::new(3);
    /// assert_eq!(semaphore.forget_permits(5), 3);
    /// assert_eq!(semaphore.available_permits(), 0);
    /// ```
    pub fn forget_permits(&self, n: usize) -> usize {
        self.ll.forget_permits(n)
    }

    /// Waits for one permit.
    ///
    /// Fails with [`AcquireError`] if the semaphore is closed before the permit is acquired.
    /// Waiters are served in FIFO order. Dropping the future gives up its place without losing
    /// a permit (cancellation safe).
    ///
    /// ```
    /// use evloop::sync::Semaphore;
    ///
    /// # evloop::block_on(async {
    /// let semaphore = Semaphore::new(1);
    /// let permit = semaphore.acquire().await.unwrap();
    /// assert_eq!(semaphore.available_permits(), 0);
    /// drop(permit);
    /// assert_eq!(semaphore.available_permits(), 1);
    /// # });
    /// ```
    pub async fn acquire(&self) -> Result<SemaphorePermit<'_>, AcquireError> {
        self.ll.acquire(1).await?;
        Ok(SemaphorePermit {
            semaphore: self,
            permits: 1,
        })
    }

    /// Waits for `n` permits at once; see [`acquire`](Semaphore::acquire).
    ///
    /// ```
    /// use evloop::sync::Semaphore;
    ///
    /// # evloop::block_on(async {
    /// let semaphore = Semaphore::new(5);
    /// let permit = semaphore.acquire_many(3).await.unwrap();
    /// assert_eq!(semaphore.available_permits(), 2);
    /// assert_eq!(permit.num_permits(), 3);
    /// # });
    /// ```
    pub async fn acquire_many(&self, n: u32) -> Result<SemaphorePermit<'_>, AcquireError> {
        self.ll.acquire(n as usize).await?;
        Ok(SemaphorePermit {
            semaphore: self,
            permits: n,
        })
    }

    /// Takes one permit if one is available right now.
    ///
    /// Fails with [`TryAcquireError::NoPermits`] if none is (or if others are queued for them),
    /// with [`TryAcquireError::Closed`] if the semaphore is closed.
    ///
    /// ```
    /// use evloop::sync::{Semaphore, TryAcquireError};
    ///
    /// let semaphore = Semaphore::new(1);
    /// let permit = semaphore.try_acquire().unwrap();
    /// assert_eq!(semaphore.try_acquire().err(), Some(TryAcquireError::NoPermits));
    /// drop(permit);
    /// assert!(semaphore.try_acquire().is_ok());
    /// ```
    pub fn try_acquire(&self) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        self.ll.try_acquire(1)?;
        Ok(SemaphorePermit {
            semaphore: self,
            permits: 1,
        })
    }

    /// Takes `n` permits if they are available right now; see
    /// [`try_acquire`](Semaphore::try_acquire).
    ///
    /// ```
    /// use evloop::sync::{Semaphore, TryAcquireError};
    ///
    /// let semaphore = Semaphore::new(2);
    /// assert_eq!(semaphore.try_acquire_many(3).err(), Some(TryAcquireError::NoPermits));
    /// assert!(semaphore.try_acquire_many(2).is_ok());
    /// ```
    pub fn try_acquire_many(&self, n: u32) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        self.ll.try_acquire(n as usize)?;
        Ok(SemaphorePermit {
            semaphore: self,
            permits: n,
        })
    }

    /// Waits for one permit of a shared semaphore; the permit keeps the semaphore alive and can
    /// move into a spawned task. See [`acquire`](Semaphore::acquire).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use evloop::sync::Semaphore;
    ///
    /// # evloop::block_on(async {
    /// let semaphore = Arc::new(Semaphore::new(1));
    /// let permit = semaphore.clone().acquire_owned().await.unwrap();
    /// assert_eq!(semaphore.available_permits(), 0);
    /// drop(permit);
    /// assert_eq!(semaphore.available_permits(), 1);
    /// # });
    /// ```
    pub async fn acquire_owned(self: Arc<Self>) -> Result<OwnedSemaphorePermit, AcquireError> {
        self.ll.acquire(1).await?;
        Ok(OwnedSemaphorePermit {
            semaphore: self,
            permits: 1,
        })
    }

    /// Waits for `n` permits of a shared semaphore; see
    /// [`acquire_owned`](Semaphore::acquire_owned).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use evloop::sync::Semaphore;
    ///
    /// # evloop::block_on(async {
    /// let semaphore = Arc::new(Semaphore::new(4));
    /// let permit = semaphore.clone().acquire_many_owned(4).await.unwrap();
    /// assert_eq!(permit.num_permits(), 4);
    /// # });
    /// ```
    pub async fn acquire_many_owned(
        self: Arc<Self>,
        n: u32,
    ) -> Result<OwnedSemaphorePermit, AcquireError> {
        self.ll.acquire(n as usize).await?;
        Ok(OwnedSemaphorePermit {
            semaphore: self,
            permits: n,
        })
    }

    /// Takes one permit of a shared semaphore if one is available right now.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use evloop::sync::Semaphore;
    ///
    /// let semaphore = Arc::new(Semaphore::new(1));
    /// let permit = semaphore.clone().try_acquire_owned().unwrap();
    /// assert!(semaphore.clone().try_acquire_owned().is_err());
    /// drop(permit);
    /// ```
    pub fn try_acquire_owned(self: Arc<Self>) -> Result<OwnedSemaphorePermit, TryAcquireError> {
        self.ll.try_acquire(1)?;
        Ok(OwnedSemaphorePermit {
            semaphore: self,
            permits: 1,
        })
    }

    /// Takes `n` permits of a shared semaphore if they are available right now.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use evloop::sync::Semaphore;
    ///
    /// let semaphore = Arc::new(Semaphore::new(3));
    /// let permit = semaphore.clone().try_acquire_many_owned(3).unwrap();
    /// assert_eq!(permit.num_permits(), 3);
    /// ```
    pub fn try_acquire_many_owned(
        self: Arc<Self>,
        n: u32,
    ) -> Result<OwnedSemaphorePermit, TryAcquireError> {
        self.ll.try_acquire(n as usize)?;
        Ok(OwnedSemaphorePermit {
            semaphore: self,
            permits: n,
        })
    }

    /// Closes the semaphore: pending acquires fail with [`AcquireError`], later ones too, and
    /// `try_acquire*` fails with [`TryAcquireError::Closed`]. Permits already held stay valid.
    ///
    /// ```
    /// use evloop::sync::{Semaphore, TryAcquireError};
    ///
    /// let semaphore = Semaphore::new(1);
    /// semaphore.close();
    /// assert!(semaphore.is_closed());
    /// assert_eq!(semaphore.try_acquire().err(), Some(TryAcquireError::Closed));
    /// ```
    pub fn close(&self) {
        self.ll.close();
    }

    /// Whether [`close`](Semaphore::close) has been called.
    ///
    /// ```
    /// use evloop::sync::Semaphore;
    /// let semaphore = Semaphore::new(1);
    /// assert!(!semaphore.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.ll.is_closed()
    }
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Semaphore")
            .field("available_permits", &self.available_permits())
            .field("closed", &self.is_closed())
            .finish()
    }
}

impl<'a> SemaphorePermit<'a> {
    /// Keeps the permits out of the semaphore for good: dropping does not give them back.
    ///
    /// ```
    /// use evloop::sync::Semaphore;
    ///
    /// let semaphore = Semaphore::new(2);
    /// semaphore.try_acquire().unwrap().forget();
    /// assert_eq!(semaphore.available_permits(), 1);
    /// ```
    pub fn forget(mut self) {
        self.permits = 0;
    }

    /// The number of permits this holds.
    ///
    /// ```
    /// use evloop::sync::Semaphore;
    /// let semaphore = Semaphore::new(2);
    /// assert_eq!(semaphore.try_acquire_many(2).unwrap().num_permits(), 2);
    /// ```
    pub fn num_permits(&self) -> usize {
        self.permits as usize
    }

    /// Moves the permits of `other` (of the same semaphore) into this one.
    ///
    /// # Panics
    /// If `other` comes from a different semaphore.
    ///
    /// ```
    /// use evloop::sync::Semaphore;
    ///
    /// let semaphore = Semaphore::new(2);
    /// let mut a = semaphore.try_acquire().unwrap();
    /// a.merge(semaphore.try_acquire().unwrap());
    /// assert_eq!(a.num_permits(), 2);
    /// ```
    #[track_caller]
    pub fn merge(&mut self, mut other: SemaphorePermit<'a>) {
        assert!(
            std::ptr::eq(self.semaphore, other.semaphore),
            "merging permits from different semaphores"
        );
        self.permits += other.permits;
        other.permits = 0;
    }

    /// Splits `n` permits off into a new permit; `None` if this holds fewer than `n`.
    ///
    /// ```
    /// use evloop::sync::Semaphore;
    ///
    /// let semaphore = Semaphore::new(3);
    /// let mut permit = semaphore.try_acquire_many(3).unwrap();
    /// let part = permit.split(1).unwrap();
    /// assert_eq!((permit.num_permits(), part.num_permits()), (2, 1));
    /// ```
    pub fn split(&mut self, n: usize) -> Option<SemaphorePermit<'a>> {
        let n = u32::try_from(n).ok()?;
        if n > self.permits {
            return None;
        }
        self.permits -= n;
        Some(SemaphorePermit {
            semaphore: self.semaphore,
            permits: n,
        })
    }
}

impl Drop for SemaphorePermit<'_> {
    fn drop(&mut self) {
        self.semaphore.add_permits(self.permits as usize);
    }
}

impl fmt::Debug for SemaphorePermit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SemaphorePermit")
            .field("permits", &self.permits)
            .finish_non_exhaustive()
    }
}

impl OwnedSemaphorePermit {
    /// Keeps the permits out of the semaphore for good: dropping does not give them back.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use evloop::sync::Semaphore;
    ///
    /// let semaphore = Arc::new(Semaphore::new(1));
    /// semaphore.clone().try_acquire_owned().unwrap().forget();
    /// assert_eq!(semaphore.available_permits(), 0);
    /// ```
    pub fn forget(mut self) {
        self.permits = 0;
    }

    /// The number of permits this holds.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use evloop::sync::Semaphore;
    ///
    /// let semaphore = Arc::new(Semaphore::new(1));
    /// assert_eq!(semaphore.try_acquire_owned().unwrap().num_permits(), 1);
    /// ```
    pub fn num_permits(&self) -> usize {
        self.permits as usize
    }

    /// The semaphore this permit came from.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use evloop::sync::Semaphore;
    ///
    /// let semaphore = Arc::new(Semaphore::new(1));
    /// let permit = semaphore.clone().try_acquire_owned().unwrap();
    /// assert!(Arc::ptr_eq(permit.semaphore(), &semaphore));
    /// ```
    pub fn semaphore(&self) -> &Arc<Semaphore> {
        &self.semaphore
    }

    /// Moves the permits of `other` (of the same semaphore) into this one.
    ///
    /// # Panics
    /// If `other` comes from a different semaphore.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use evloop::sync::Semaphore;
    ///
    /// let semaphore = Arc::new(Semaphore::new(2));
    /// let mut a = semaphore.clone().try_acquire_owned().unwrap();
    /// a.merge(semaphore.clone().try_acquire_owned().unwrap());
    /// assert_eq!(a.num_permits(), 2);
    /// ```
    #[track_caller]
    pub fn merge(&mut self, mut other: OwnedSemaphorePermit) {
        assert!(
            Arc::ptr_eq(&self.semaphore, &other.semaphore),
            "merging permits from different semaphores"
        );
        self.permits += other.permits;
        other.permits = 0;
    }

    /// Splits `n` permits off into a new permit; `None` if this holds fewer than `n`.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use evloop::sync::Semaphore;
    ///
    /// let semaphore = Arc::new(Semaphore::new(2));
    /// let mut permit = semaphore.clone().try_acquire_many_owned(2).unwrap();
    /// let part = permit.split(1).unwrap();
    /// assert_eq!((permit.num_permits(), part.num_permits()), (1, 1));
    /// ```
    pub fn split(&mut self, n: usize) -> Option<OwnedSemaphorePermit> {
        let n = u32::try_from(n).ok()?;
        if n > self.permits {
            return None;
        }
        self.permits -= n;
        Some(OwnedSemaphorePermit {
            semaphore: self.semaphore.clone(),
            permits: n,
        })
    }
}

impl Drop for OwnedSemaphorePermit {
    fn drop(&mut self) {
        self.semaphore.add_permits(self.permits as usize);
    }
}

impl fmt::Debug for OwnedSemaphorePermit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedSemaphorePermit")
            .field("permits", &self.permits)
            .finish_non_exhaustive()
    }
}

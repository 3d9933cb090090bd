//! The fair semaphore underneath [`Semaphore`](super::Semaphore), [`Mutex`](super::Mutex),
//! [`RwLock`](super::RwLock) and the bounded [`mpsc`](super::mpsc) channel.
//!
//! # State
//! - `permits` holds the available permits shifted left by one, with bit 0 meaning *closed*.
//!   Acquiring when enough permits are available is one compare-and-swap on this word and takes
//!   no lock.
//! - `waiters` is the FIFO of acquirers that could not be served, behind a lock. Each waiter
//!   records how many permits it still *needs*.
//!
//! # Fairness
//! Permits are handed out strictly in arrival order. A released permit goes to the waiter at the
//! front of the queue, even if it needs more than is being released (it keeps what it got and
//! waits for the rest); only when the queue is empty do permits go back to `permits`. So:
//!
//! > Outside the lock, `permits` is non-zero only if the queue is empty.
//!
//! which is why the lock-free fast path can never overtake a queued waiter: while anyone waits
//! there is nothing to take. An acquirer that fails the fast path takes the lock, takes whatever
//! is still available (possibly zero) and queues for the rest.
//!
//! # Cancellation
//! A waiting [`Acquire`] owns its queue slot. Dropping it unlinks the slot (if still queued) and
//! gives back every permit that was already assigned to it, partial or complete, to the next
//! waiters, so an abandoned acquire neither loses nor leaks permits.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll, Waker};

use super::wait_list::{set_waker, WaitList, WakeList};
use crate::loom::{lock, AtomicUsize, Mutex, MutexGuard, Ordering};
use crate::task::coop;

/// Bit 0 of `permits`: the semaphore is closed.
const CLOSED: usize = 1;
/// Permits are counted above the closed bit.
const PERMIT_SHIFT: u32 = 1;

/// The largest number of permits a semaphore can hold: three bits below `usize::MAX`, leaving
/// room for the closed bit and for the sum of a release and the current count to never wrap.
pub(crate) const MAX_PERMITS: usize = usize::MAX >> 3;

/// Error returned from [`Semaphore::acquire`](super::Semaphore::acquire) and its relatives: the
/// semaphore has been closed.
///
/// ```
/// use evloop::sync::Semaphore;
///
/// # evloop::block_on(async {
/// let semaphore = Semaphore::new(0);
/// semaphore.close();
/// let err = semaphore.acquire().await.unwrap_err();
/// assert_eq!(err.to_string(), "semaphore closed");
/// # });
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcquireError(());

impl fmt::Display for AcquireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("semaphore closed")
    }
}

impl std::error::Error for AcquireError {}

/// Error returned from [`Semaphore::try_acquire`](super::Semaphore::try_acquire) and its
/// relatives.
///
/// ```
/// use evloop::sync::{Semaphore, TryAcquireError};
///
/// let semaphore = Semaphore::new(1);
/// let _permit = semaphore.try_acquire().unwrap();
/// assert_eq!(semaphore.try_acquire().unwrap_err(), TryAcquireError::NoPermits);
/// semaphore.close();
/// assert_eq!(semaphore.try_acquire().unwrap_err(), TryAcquireError::Closed);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TryAcquireError {
    /// The semaphore has been closed.
    Closed,
    /// Not enough permits are available right now.
    NoPermits,
}

impl TryAcquireError {
    /// Whether the error is [`TryAcquireError::Closed`].
    ///
    /// ```
    /// use evloop::sync::TryAcquireError;
    /// assert!(TryAcquireError::Closed.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        matches!(self, TryAcquireError::Closed)
    }

    /// Whether the error is [`TryAcquireError::NoPermits`].
    ///
    /// ```
    /// use evloop::sync::TryAcquireError;
    /// assert!(TryAcquireError::NoPermits.is_no_permits());
    /// ```
    pub fn is_no_permits(&self) -> bool {
        matches!(self, TryAcquireError::NoPermits)
    }
}

impl fmt::Display for TryAcquireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryAcquireError::Closed => f.write_str("semaphore closed"),
            TryAcquireError::NoPermits => f.write_str("no permits available"),
        }
    }
}

impl std::error::Error for TryAcquireError {}

/// A queued acquirer.
#[derive(Debug)]
struct Waiter {
    /// Permits still missing. Zero once the waiter has been served; non-zero on a waiter that
    /// left the queue means the semaphore was closed.
    needed: usize,
    waker: Option<Waker>,
}

/// A fair, batch-capable semaphore; see the module documentation.
pub(crate) struct Semaphore {
    permits: AtomicUsize,
    waiters: Mutex<WaitList<Waiter>>,
}

impl Semaphore {
    #[track_caller]
    pub(crate) fn new(permits: usize) -> Semaphore {
        assert!(
            permits <= MAX_PERMITS,
            "a semaphore may not have more than MAX_PERMITS permits ({MAX_PERMITS})"
        );
        Semaphore {
            permits: AtomicUsize::new(permits << PERMIT_SHIFT),
            waiters: Mutex::new(WaitList::new()),
        }
    }

    #[cfg(not(loom))]
    #[track_caller]
    pub(crate) const fn const_new(permits: usize) -> Semaphore {
        assert!(permits <= MAX_PERMITS);
        Semaphore {
            permits: AtomicUsize::new(permits << PERMIT_SHIFT),
            waiters: Mutex::new(WaitList::new()),
        }
    }

    pub(crate) fn available_permits(&self) -> usize {
        self.permits.load(Ordering::Acquire) >> PERMIT_SHIFT
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.permits.load(Ordering::Acquire) & CLOSED == CLOSED
    }

    /// Takes `n` permits if they are available right now.
    pub(crate) fn try_acquire(&self, n: usize) -> Result<(), TryAcquireError> {
        let mut current = self.permits.load(Ordering::Acquire);
        loop {
            if current & CLOSED == CLOSED {
                return Err(TryAcquireError::Closed);
            }
            if current >> PERMIT_SHIFT < n {
                return Err(TryAcquireError::NoPermits);
            }
            let next = current - (n << PERMIT_SHIFT);
            match self.permits.compare_exchange_weak(
                current,
                next,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return Ok(()),
                Err(actual) => current = actual,
            }
        }
    }

    /// Waits for `n` permits; see [`Acquire`].
    pub(crate) fn acquire(&self, n: usize) -> Acquire<'_> {
        Acquire {
            semaphore: self,
            num: n,
            key: None,
        }
    }

    /// Returns `n` permits: to the waiters in queue order first, the rest to the pool.
    #[track_caller]
    pub(crate) fn release(&self, n: usize) {
        if n == 0 {
            return;
        }
        self.release_locked(n, lock(&self.waiters));
    }

    #[track_caller]
    fn release_locked(&self, mut n: usize, mut waiters: MutexGuard<'_, WaitList<Waiter>>) {
        let mut wakers = WakeList::new();
        while n > 0 {
            let Some(key) = waiters.front() else { break };
            let waiter = waiters.get_mut(key);
            let given = n.min(waiter.needed);
            waiter.needed -= given;
            n -= given;
            if waiter.needed > 0 {
                break;
            }
            wakers.push(waiter.waker.take());
            waiters.unlink(key);
        }
        if n > 0 {
            // Releases are serialized by the lock and acquirers only ever lower the count, so
            // this check cannot be invalidated before the addition below.
            let available = self.permits.load(Ordering::Acquire) >> PERMIT_SHIFT;
            assert!(
                n <= MAX_PERMITS - available,
                "number of added permits ({n}) would overflow MAX_PERMITS ({MAX_PERMITS})"
            );
            self.permits.fetch_add(n << PERMIT_SHIFT, Ordering::Release);
        }
        drop(waiters);
        wakers.wake_all();
    }

    /// Removes up to `n` available permits for good; returns how many were removed.
    pub(crate) fn forget_permits(&self, n: usize) -> usize {
        let mut current = self.permits.load(Ordering::Acquire);
        loop {
            let removed = n.min(current >> PERMIT_SHIFT);
            if removed == 0 {
                return 0;
            }
            match self.permits.compare_exchange_weak(
                current,
                current - (removed << PERMIT_SHIFT),
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return removed,
                Err(actual) => current = actual,
            }
        }
    }

    /// Closes the semaphore: every waiter and every later acquire fails. Permits can still be
    /// released (and counted), they just cannot be acquired.
    pub(crate) fn close(&self) {
        let mut waiters = lock(&self.waiters);
        self.permits.fetch_or(CLOSED, Ordering::Release);
        let mut wakers = WakeList::new();
        waiters.drain(|waiter| wakers.push(waiter.waker.take()));
        drop(waiters);
        wakers.wake_all();
    }
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Semaphore")
            .field("permits", &self.available_permits())
            .field("closed", &self.is_closed())
            .finish()
    }
}

/// The future of [`Semaphore::acquire`]: resolves once `num` permits have been assigned to it,
/// or with [`AcquireError`] if the semaphore is closed first.
///
/// Permits it resolves with belong to the caller, who must [`release`](Semaphore::release)
/// them. Dropped before it resolves, it gives back whatever it had been assigned.
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub(crate) struct Acquire<'a> {
    semaphore: &'a Semaphore,
    num: usize,
    /// Our slot in the wait list, once queued.
    key: Option<usize>,
}

impl Acquire<'_> {
    fn poll_first(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), AcquireError>> {
        match self.semaphore.try_acquire(self.num) {
            Ok(()) => return Poll::Ready(Ok(())),
            Err(TryAcquireError::Closed) => return Poll::Ready(Err(AcquireError(()))),
            Err(TryAcquireError::NoPermits) => {}
        }
        let semaphore = self.semaphore;
        let mut waiters = lock(&semaphore.waiters);
        // Under the lock nothing can be added to the pool, and the pool is empty whenever
        // somebody is queued, so taking what is there never overtakes a waiter.
        let mut current = semaphore.permits.load(Ordering::Acquire);
        let taken = loop {
            if current & CLOSED == CLOSED {
                return Poll::Ready(Err(AcquireError(())));
            }
            let taken = self.num.min(current >> PERMIT_SHIFT);
            match semaphore.permits.compare_exchange_weak(
                current,
                current - (taken << PERMIT_SHIFT),
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => break taken,
                Err(actual) => current = actual,
            }
        };
        if taken == self.num {
            return Poll::Ready(Ok(()));
        }
        self.key = Some(waiters.push_back(Waiter {
            needed: self.num - taken,
            waker: Some(cx.waker().clone()),
        }));
        Poll::Pending
    }
}

impl Future for Acquire<'_> {
    type Output = Result<(), AcquireError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        ready!(coop::poll_proceed(cx));
        let Some(key) = this.key else {
            return this.poll_first(cx);
        };
        let mut waiters = lock(&this.semaphore.waiters);
        if waiters.is_linked(key) {
            set_waker(&mut waiters.get_mut(key).waker, cx.waker());
            return Poll::Pending;
        }
        this.key = None;
        let waiter = waiters.remove(key);
        if waiter.needed == 0 {
            Poll::Ready(Ok(()))
        } else {
            // Closed while we waited: hand back the part we had been given.
            this.semaphore
                .release_locked(this.num - waiter.needed, waiters);
            Poll::Ready(Err(AcquireError(())))
        }
    }
}

impl Drop for Acquire<'_> {
    fn drop(&mut self) {
        let Some(key) = self.key.take() else { return };
        let mut waiters = lock(&self.semaphore.waiters);
        let waiter = waiters.remove(key);
        let assigned = self.num - waiter.needed;
        if assigned > 0 {
            self.semaphore.release_locked(assigned, waiters);
        }
    }
}

impl fmt::Debug for Acquire<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Acquire")
            .field("num", &self.num)
            .field("queued", &self.key.is_some())
            .finish()
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
    fn two_acquirers_one_permit() {
        model(|| {
            let semaphore = Arc::new(Semaphore::new(1));
            let other = semaphore.clone();
            let t = thread::spawn(move || {
                block_on(other.acquire(1)).unwrap();
                other.release(1);
            });
            block_on(semaphore.acquire(1)).unwrap();
            semaphore.release(1);
            t.join().unwrap();
            assert_eq!(semaphore.available_permits(), 1);
        });
    }

    #[test]
    fn dropped_waiter_passes_its_permit_on() {
        model(|| {
            let semaphore = Arc::new(Semaphore::new(1));
            semaphore.try_acquire(1).unwrap();
            let other = semaphore.clone();
            let t = thread::spawn(move || other.release(1));
            block_on(async {
                let mut acquire = semaphore.acquire(1);
                if poll_once(&mut acquire).await.is_some() {
                    semaphore.release(1);
                }
            });
            t.join().unwrap();
            assert_eq!(semaphore.available_permits(), 1);
        });
    }

    #[test]
    fn batch_waiter_gets_partial_then_rest() {
        model(|| {
            let semaphore = Arc::new(Semaphore::new(1));
            let a = semaphore.clone();
            let t = thread::spawn(move || a.release(1));
            block_on(semaphore.acquire(2)).unwrap();
            t.join().unwrap();
            assert_eq!(semaphore.available_permits(), 0);
            semaphore.release(2);
            assert_eq!(semaphore.available_permits(), 2);
        });
    }

    #[test]
    fn close_wakes_a_waiter() {
        model(|| {
            let semaphore = Arc::new(Semaphore::new(0));
            let other = semaphore.clone();
            let t = thread::spawn(move || other.close());
            assert!(block_on(semaphore.acquire(1)).is_err());
            t.join().unwrap();
            assert!(semaphore.is_closed());
        });
    }
}

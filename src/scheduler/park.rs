//! [`Parker`]: how a thread with nothing to do sleeps until it is notified.
//!
//! The state word makes notifications sticky: an `unpark` that arrives before `park` is not lost,
//! it makes the next `park` return at once. This is the property the scheduler's no-lost-wakeup
//! argument rests on (see `multi_thread::idle`).

use std::time::Duration;

use crate::loom::{lock, AtomicUsize, Condvar, Mutex, MutexGuard, Ordering::SeqCst};
use crate::reactor::Driver;

/// Nobody is parked and no notification is pending.
const EMPTY: usize = 0;
/// A thread is parked (or about to wait on the condition variable).
const PARKED: usize = 1;
/// A notification is pending; the next `park` consumes it and returns.
const NOTIFIED: usize = 2;
/// The thread is blocked in the driver (the reactor's poller): waking it is `Driver::unpark`.
const PARKED_DRIVER: usize = 3;

/// A one-thread parking spot.
#[derive(Debug)]
pub(crate) struct Parker {
    state: AtomicUsize,
    lock: Mutex<()>,
    cvar: Condvar,
}

impl Parker {
    pub(crate) fn new() -> Parker {
        Parker {
            state: AtomicUsize::new(EMPTY),
            lock: Mutex::new(()),
            cvar: Condvar::new(),
        }
    }

    /// Sleeps until unparked, preferably as the thread that drives `driver` (waits for I/O and
    /// timers). Returns `true` if it drove: then it may also have returned because of I/O or a
    /// timer, and the caller must look for work woken that way.
    pub(crate) fn park_or_drive(&self, driver: &Driver) -> bool {
        if self
            .state
            .compare_exchange(NOTIFIED, EMPTY, SeqCst, SeqCst)
            .is_ok()
        {
            return false;
        }
        let drove = driver.try_park(|| {
            match self
                .state
                .compare_exchange(EMPTY, PARKED_DRIVER, SeqCst, SeqCst)
            {
                Ok(_) => true,
                Err(NOTIFIED) => false,
                Err(actual) => unreachable!("two threads parked on one Parker (state {actual})"),
            }
        });
        if drove {
            // Whether woken by `unpark`, by I/O or by a timer: consume any notification.
            self.state.store(EMPTY, SeqCst);
            return true;
        }
        self.park();
        false
    }

    /// Blocks until [`Parker::unpark`] is called, or returns at once if it was called since the
    /// last `park`. Only one thread parks on a given `Parker`.
    pub(crate) fn park(&self) {
        let Some(mut guard) = self.begin_park() else {
            return;
        };
        loop {
            guard = match self.cvar.wait(guard) {
                Ok(guard) => guard,
                Err(poisoned) => poisoned.into_inner(),
            };
            if self
                .state
                .compare_exchange(NOTIFIED, EMPTY, SeqCst, SeqCst)
                .is_ok()
            {
                return;
            }
            // Spurious wakeup: still PARKED, wait again.
        }
    }

    /// [`Parker::park`] that also returns once `timeout` has passed (or earlier, on a spurious
    /// wake-up of the condition variable): the caller tells a notification from a timeout by its
    /// own state, as it does for spurious wake-ups of `park`. A notification that arrives while
    /// it returns is consumed, as `park` would consume it.
    pub(crate) fn park_timeout(&self, timeout: Duration) {
        let Some(guard) = self.begin_park() else {
            return;
        };
        let guard = match self.cvar.wait_timeout(guard, timeout) {
            Ok((guard, _)) => guard,
            Err(poisoned) => poisoned.into_inner().0,
        };
        // Still under the lock: an `unpark` that saw PARKED waits for it before it signals, so
        // its signal finds nobody waiting and is harmless.
        match self.state.swap(EMPTY, SeqCst) {
            NOTIFIED | PARKED => {}
            actual => unreachable!("invalid Parker state {actual}"),
        }
        drop(guard);
    }

    /// The start of both parks: consumes a pending notification and returns `None`, or marks the
    /// thread PARKED and returns the lock, under which it is to wait.
    fn begin_park(&self) -> Option<MutexGuard<'_, ()>> {
        // Fast path: consume a pending notification without touching the lock.
        if self
            .state
            .compare_exchange(NOTIFIED, EMPTY, SeqCst, SeqCst)
            .is_ok()
        {
            return None;
        }
        let guard = lock(&self.lock);
        match self.state.compare_exchange(EMPTY, PARKED, SeqCst, SeqCst) {
            Ok(_) => Some(guard),
            Err(NOTIFIED) => {
                // Notified between the fast path and taking the lock.
                self.state.store(EMPTY, SeqCst);
                None
            }
            Err(actual) => unreachable!("two threads parked on one Parker (state {actual})"),
        }
    }

    /// Wakes the parked thread, or makes its next `park` return at once.
    ///
    /// Costs one atomic swap when nobody is parked; a lock and a condition-variable signal (a
    /// system call) only when a thread is actually asleep.
    pub(crate) fn unpark(&self) {
        self.unpark_inner(None);
    }

    /// [`Parker::unpark`] for a parker that may be parked in `driver` ([`Parker::park_or_drive`]).
    pub(crate) fn unpark_driver(&self, driver: &Driver) {
        self.unpark_inner(Some(driver));
    }

    fn unpark_inner(&self, driver: Option<&Driver>) {
        match self.state.swap(NOTIFIED, SeqCst) {
            EMPTY | NOTIFIED => {}
            PARKED_DRIVER => match driver {
                Some(driver) => driver.unpark(),
                None => unreachable!("parked in a driver that the waker does not know"),
            },
            PARKED => {
                // Taking the lock orders this notify after the parked thread's wait began.
                drop(lock(&self.lock));
                self.cvar.notify_one();
            }
            actual => unreachable!("invalid Parker state {actual}"),
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn unpark_before_park_is_not_lost() {
        let p = Parker::new();
        p.unpark();
        p.park(); // returns at once
    }

    #[test]
    fn park_timeout_returns_without_a_notification() {
        let p = Parker::new();
        p.park_timeout(Duration::from_millis(1));
        // It left no state behind: a later notification is kept for the next park.
        p.unpark();
        p.park();
    }

    #[test]
    fn park_timeout_returns_early_when_unparked() {
        let p = Arc::new(Parker::new());
        for _ in 0..100 {
            let p2 = p.clone();
            let t = std::thread::spawn(move || p2.park_timeout(Duration::from_secs(3600)));
            p.unpark();
            t.join().unwrap();
        }
    }

    #[test]
    fn unpark_wakes_a_parked_thread() {
        let p = Arc::new(Parker::new());
        for _ in 0..100 {
            let p2 = p.clone();
            let t = std::thread::spawn(move || p2.park());
            p.unpark();
            t.join().unwrap();
        }
    }
}

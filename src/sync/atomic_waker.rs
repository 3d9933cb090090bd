//! A waker slot that one task registers in and any thread wakes, without a lock.
//!
//! # Protocol
//! `state` says who may touch the `waker` cell:
//! - `WAITING`: nobody; a registered waker (if any) sits in the cell.
//! - `REGISTERING`: the (single) registering task owns the cell.
//! - `WAKING`: a waking thread owns the cell and is taking the waker out.
//! - `REGISTERING | WAKING`: a wake arrived while a registration was in progress; the waking
//!   thread left the cell alone, and the registering task wakes its own new waker as it finishes.
//!
//! So a wake is never lost: it either takes the registered waker, or the registration in
//! progress sees the `WAKING` bit and wakes itself. Callers register first and then re-check
//! their condition; producers make the condition true first and then wake.

use std::fmt;
use std::task::Waker;

use super::cell::UnsafeCell;
use super::wait_list::set_waker;
use crate::loom::{AtomicUsize, Ordering};

const WAITING: usize = 0;
const REGISTERING: usize = 0b01;
const WAKING: usize = 0b10;

pub(crate) struct AtomicWaker {
    state: AtomicUsize,
    /// # Invariant
    /// Accessed only by whoever moved `state` away from `WAITING`: the registering task while
    /// `state` is `REGISTERING` (and that task again to clean up after a concurrent wake), or a
    /// waking thread while `state` is `WAKING`.
    waker: UnsafeCell<Option<Waker>>,
}

// SAFETY: the waker cell is accessed by one party at a time (invariant of `waker`) and
// `Waker` is `Send + Sync`.
unsafe impl Send for AtomicWaker {}
// SAFETY: as above.
unsafe impl Sync for AtomicWaker {}

impl AtomicWaker {
    pub(crate) fn new() -> AtomicWaker {
        AtomicWaker {
            state: AtomicUsize::new(WAITING),
            waker: UnsafeCell::new(None),
        }
    }

    /// Registers `waker` to be woken by the next [`wake`](AtomicWaker::wake). Must not be called
    /// by two threads at once (one consumer).
    pub(crate) fn register(&self, waker: &Waker) {
        match self.state.compare_exchange(
            WAITING,
            REGISTERING,
            Ordering::Acquire,
            Ordering::Acquire,
        ) {
            Ok(_) => {
                // SAFETY: `state` is `REGISTERING`, so we own the cell (invariant of `waker`).
                self.waker
                    .with_mut(|slot| set_waker(unsafe { &mut *slot }, waker));
                if let Err(actual) = self.state.compare_exchange(
                    REGISTERING,
                    WAITING,
                    Ordering::AcqRel,
                    Ordering::Acquire,
                ) {
                    // A wake came in meanwhile and left the cell to us.
                    debug_assert_eq!(actual, REGISTERING | WAKING);
                    // SAFETY: the waking thread saw `REGISTERING` and did not touch the cell;
                    // we still own it until `state` goes back to `WAITING` below.
                    let woken = self.waker.with_mut(|slot| unsafe { (*slot).take() });
                    self.state.swap(WAITING, Ordering::AcqRel);
                    if let Some(woken) = woken {
                        woken.wake();
                    }
                }
            }
            Err(_) => {
                // A wake is in progress and may have taken an older waker: make sure this task
                // runs again and re-checks its condition. (The waking thread is a few
                // instructions from done; under the model checker, say that progress now depends
                // on it.)
                waker.wake_by_ref();
                #[cfg(loom)]
                loom::thread::yield_now();
            }
        }
    }

    /// Takes the registered waker, if any, so that the caller can wake it.
    pub(crate) fn take(&self) -> Option<Waker> {
        match self.state.fetch_or(WAKING, Ordering::AcqRel) {
            WAITING => {
                // SAFETY: we moved `state` from `WAITING` to `WAKING`, so we own the cell.
                let waker = self.waker.with_mut(|slot| unsafe { (*slot).take() });
                self.state.fetch_and(!WAKING, Ordering::Release);
                waker
            }
            // A registration is in progress (it will see `WAKING` and wake itself), or another
            // thread is waking already.
            _ => None,
        }
    }

    /// Wakes the registered waker, if any.
    pub(crate) fn wake(&self) {
        if let Some(waker) = self.take() {
            waker.wake();
        }
    }
}

impl fmt::Debug for AtomicWaker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AtomicWaker")
            .field("state", &self.state.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::loom::AtomicBool;
    use crate::sync::loom_support::{block_on, model};
    use loom::thread;
    use std::future::poll_fn;
    use std::sync::Arc;
    use std::task::Poll;

    #[test]
    fn wake_after_condition_is_never_lost() {
        model(|| {
            let waker = Arc::new(AtomicWaker::new());
            let flag = Arc::new(AtomicBool::new(false));
            let (w, f) = (waker.clone(), flag.clone());
            let t = thread::spawn(move || {
                f.store(true, Ordering::Release);
                w.wake();
            });
            block_on(poll_fn(|cx| {
                if flag.load(Ordering::Acquire) {
                    return Poll::Ready(());
                }
                waker.register(cx.waker());
                if flag.load(Ordering::Acquire) {
                    Poll::Ready(())
                } else {
                    Poll::Pending
                }
            }));
            t.join().unwrap();
        });
    }

    #[test]
    fn two_wakers_race_one_registration() {
        model(|| {
            let waker = Arc::new(AtomicWaker::new());
            let flag = Arc::new(crate::loom::AtomicUsize::new(0));
            let threads: Vec<_> = (0..2)
                .map(|_| {
                    let (w, f) = (waker.clone(), flag.clone());
                    thread::spawn(move || {
                        f.fetch_add(1, Ordering::Release);
                        w.wake();
                    })
                })
                .collect();
            block_on(poll_fn(|cx| {
                waker.register(cx.waker());
                if flag.load(Ordering::Acquire) == 2 {
                    Poll::Ready(())
                } else {
                    Poll::Pending
                }
            }));
            for t in threads {
                t.join().unwrap();
            }
        });
    }
}

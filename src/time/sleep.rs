use std::fmt;
use std::future::Future;
use std::marker::PhantomPinned;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use pin_project_lite::pin_project;

use super::{far_future, TimerHandle, TimerKey};
use crate::task::coop;

/// Waits until `duration` has elapsed.
///
/// Equivalent to `sleep_until(now + duration)`. The returned [`Sleep`] does nothing until it is
/// polled; it completes at or after its deadline, never before (the runtime's timers have a
/// resolution of one millisecond, and a deadline is rounded up to it). A duration too large to
/// add to the current instant means "practically never" (about 30 years) rather than a panic.
///
/// ```
/// use evloop::time::{sleep, Duration, Instant};
///
/// evloop::block_on(async {
///     let start = Instant::now();
///     sleep(Duration::from_millis(10)).await;
///     assert!(start.elapsed() >= Duration::from_millis(10));
/// });
/// ```
// `#[inline]` here and on the other constructors of a `Sleep` or a `Timeout`: called across
// crates, as a user's code calls them, they were not inlined, and the caller copied the returned
// value out of the return slot, which cost a `timeout` whose inner future is ready at once more
// than its clock read (20.3 and 15.3 ms of CPU for 500,000, against 11.3 ms inlined).
#[inline]
pub fn sleep(duration: Duration) -> Sleep {
    let now = TimerHandle::current_now();
    let deadline = now.checked_add(duration).unwrap_or_else(|| far_future(now));
    Sleep::new(TimerHandle::unbound(), deadline)
}

/// Waits until `deadline` is reached.
///
/// The returned [`Sleep`] does nothing until it is polled. A deadline in the past completes at
/// the first poll.
///
/// ```
/// use evloop::time::{sleep_until, Duration, Instant};
///
/// evloop::block_on(async {
///     let deadline = Instant::now() + Duration::from_millis(10);
///     sleep_until(deadline).await;
///     assert!(Instant::now() >= deadline);
/// });
/// ```
#[inline]
pub fn sleep_until(deadline: Instant) -> Sleep {
    Sleep::new(TimerHandle::unbound(), deadline)
}

pin_project! {
    /// The future returned by [`sleep`] and [`sleep_until`]: completes once its deadline has
    /// passed.
    ///
    /// A `Sleep` takes no timer until it is first polled; it then registers with the timer
    /// wheel of the runtime it is polled in (the global runtime's outside any), which wakes the
    /// task once the deadline has passed, and deregisters when it is dropped. Creating and
    /// dropping a `Sleep` that never waits touches no state shared with other threads. Polling it again after it completed completes again. [`reset`](Sleep::reset)
    /// moves the deadline of a `Sleep` that is waiting (or has completed) without a new
    /// registration.
    ///
    /// A `Sleep` is `!Unpin`; pin it (`std::pin::pin!`, `Box::pin`) to poll it by reference,
    /// for example in a loop:
    ///
    /// ```
    /// use std::pin::pin;
    /// use evloop::time::{sleep, Duration, Instant};
    ///
    /// evloop::block_on(async {
    ///     let mut delay = pin!(sleep(Duration::from_millis(5)));
    ///     (&mut delay).await;
    ///     assert!(delay.is_elapsed());
    ///     delay.as_mut().reset(Instant::now() + Duration::from_millis(5));
    ///     delay.await;
    /// });
    /// ```
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct Sleep {
        deadline: Instant,
        timer: Registration,
        // Keeps the option open of an intrusive timer entry, as the type promises no `Unpin`.
        #[pin]
        _pinned: PhantomPinned,
    }
}

/// The timer a `Sleep` holds in the wheel, removed on drop unless its deadline has passed.
struct Registration {
    handle: TimerHandle,
    key: Option<TimerKey>,
    /// The `Sleep` completed since its deadline was last set. The timer `key` (if any) then has
    /// fired, or fires at the driver's next turn, and a fired timer frees its own slot: dropping
    /// leaves the wheel alone, as the entry is cold by now and visiting it only to find it gone
    /// is the larger part of what a completed sleep would otherwise cost. (A timer that had not
    /// fired yet wakes the task once more when it does, which a task must tolerate anyway.)
    elapsed: bool,
}

impl Drop for Registration {
    #[inline]
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            if !self.elapsed {
                self.handle.remove(key);
            }
        }
    }
}

impl Sleep {
    #[inline]
    pub(crate) fn new(handle: TimerHandle, deadline: Instant) -> Sleep {
        Sleep {
            deadline,
            timer: Registration {
                handle,
                key: None,
                elapsed: false,
            },
            _pinned: PhantomPinned,
        }
    }

    /// The instant at which this `Sleep` completes.
    ///
    /// ```
    /// use evloop::time::{sleep_until, Duration, Instant};
    ///
    /// let deadline = Instant::now() + Duration::from_secs(1);
    /// assert_eq!(sleep_until(deadline).deadline(), deadline);
    /// ```
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Returns `true` once the deadline has passed (whether or not the `Sleep` has been polled
    /// since).
    ///
    /// ```
    /// use evloop::time::{sleep, Duration};
    ///
    /// assert!(sleep(Duration::ZERO).is_elapsed());
    /// assert!(!sleep(Duration::from_secs(60)).is_elapsed());
    /// ```
    pub fn is_elapsed(&self) -> bool {
        self.timer.elapsed || self.deadline <= self.timer.handle.now()
    }

    /// Moves the deadline to `deadline`, whether the `Sleep` is waiting, has completed or has
    /// not been polled yet; it then completes at the new deadline, earlier or later than the
    /// old one.
    ///
    /// A task that was waiting on this `Sleep` stays registered: it is woken at the new deadline
    /// even if it does not poll the `Sleep` again before then.
    ///
    /// ```
    /// use std::pin::pin;
    /// use evloop::time::{sleep, Duration, Instant};
    ///
    /// evloop::block_on(async {
    ///     let mut delay = pin!(sleep(Duration::from_secs(3600)));
    ///     let deadline = Instant::now() + Duration::from_millis(5);
    ///     delay.as_mut().reset(deadline);
    ///     delay.await;
    ///     assert!(Instant::now() >= deadline);
    /// });
    /// ```
    pub fn reset(self: Pin<&mut Self>, deadline: Instant) {
        let this = self.project();
        *this.deadline = deadline;
        let timer = this.timer;
        timer.elapsed = false;
        if let Some(key) = timer.key {
            if !timer.handle.reset(key, deadline) {
                // It fired: the next poll arms a new timer.
                timer.key = None;
            }
        }
    }

    /// Polls for the deadline without spending the task's budget: registers the timer on the
    /// first poll (unless the deadline has passed already) and updates its waker on later ones.
    pub(crate) fn poll_deadline(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.project();
        let timer = this.timer;
        if timer.elapsed {
            return Poll::Ready(());
        }
        // A deadline that has passed completes at once, without waiting for the driver to
        // process the wheel (a timer reset into the past is only marked fired then). A timer
        // still armed in the wheel then fires shortly, waking the task once more, harmlessly.
        let ready = match timer.key {
            Some(key) => {
                *this.deadline <= timer.handle.now()
                    || timer.handle.poll_elapsed(key, cx).is_ready()
            }
            None => match timer.handle.insert_unless_due(*this.deadline, cx.waker()) {
                Some(key) => {
                    timer.key = Some(key);
                    false
                }
                None => true,
            },
        };
        if ready {
            timer.elapsed = true;
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }

    /// The current time on the clock of this sleep's timer driver.
    pub(crate) fn clock_now(&self) -> Instant {
        self.timer.handle.now()
    }

    /// The wheel key of the registration, if any, for tests.
    #[cfg(test)]
    pub(crate) fn timer_key(&self) -> Option<TimerKey> {
        self.timer.key
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // The budget is spent only when the sleep is ready to complete: a pending timer costs
        // nothing, so a task waiting on many timers is not made to yield for it.
        if self.poll_deadline(cx).is_pending() {
            return Poll::Pending;
        }
        coop::poll_proceed(cx)
    }
}

impl fmt::Debug for Sleep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sleep")
            .field("deadline", &self.deadline)
            .field("registered", &self.timer.key.is_some())
            .field("elapsed", &self.timer.elapsed)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::pin::pin;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::task::{Wake, Waker};

    use super::*;

    struct CountingWaker(AtomicUsize);

    impl Wake for CountingWaker {
        fn wake(self: Arc<Self>) {
            self.wake_by_ref();
        }

        fn wake_by_ref(self: &Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn counting() -> (Arc<CountingWaker>, Waker) {
        let counter = Arc::new(CountingWaker(AtomicUsize::new(0)));
        let waker = Waker::from(counter.clone());
        (counter, waker)
    }

    /// Waits (up to a generous limit) for `counter` to reach `n` wake-ups.
    fn wait_for_wakes(counter: &CountingWaker, n: usize) {
        let give_up = Instant::now() + Duration::from_secs(10);
        while counter.0.load(Ordering::SeqCst) < n {
            assert!(Instant::now() < give_up, "never woken");
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    #[test]
    fn registers_lazily_and_deregisters_on_drop() {
        let sleep = sleep(Duration::from_secs(60));
        assert_eq!(sleep.timer_key(), None, "no timer before the first poll");
        let mut sleep = Box::pin(sleep);
        let (_counter, waker) = counting();
        let mut cx = Context::from_waker(&waker);
        assert!(sleep.as_mut().poll(&mut cx).is_pending());
        let key = sleep.timer_key().expect("registered on the first poll");
        let handle = TimerHandle::current();
        assert!(handle.contains(key));
        assert!(sleep.as_mut().poll(&mut cx).is_pending());
        assert_eq!(sleep.timer_key(), Some(key), "registered once");
        drop(sleep);
        assert!(
            !handle.contains(key),
            "dropping the sleep removes its timer"
        );
    }

    #[test]
    fn past_deadline_completes_without_a_timer() {
        let mut sleep = pin!(sleep(Duration::ZERO));
        let (_counter, waker) = counting();
        assert!(sleep
            .as_mut()
            .poll(&mut Context::from_waker(&waker))
            .is_ready());
        assert_eq!(sleep.timer_key(), None);
    }

    #[test]
    fn fires_and_wakes_not_early() {
        let deadline = Instant::now() + Duration::from_millis(20);
        let mut sleep = Box::pin(sleep_until(deadline));
        let (counter, waker) = counting();
        let mut cx = Context::from_waker(&waker);
        if sleep.as_mut().poll(&mut cx).is_ready() {
            // The thread was held up past the deadline before the first poll.
            assert!(Instant::now() >= deadline, "completed early");
            return;
        }
        wait_for_wakes(&counter, 1);
        assert!(Instant::now() >= deadline, "woken early");
        assert!(sleep.as_mut().poll(&mut cx).is_ready());
        assert!(sleep.as_mut().poll(&mut cx).is_ready(), "stays complete");
        let key = sleep.timer_key().unwrap();
        drop(sleep);
        assert!(!TimerHandle::current().contains(key));
    }

    #[test]
    fn reset_keeps_the_waiting_task_registered() {
        let mut sleep = Box::pin(sleep(Duration::from_secs(3600)));
        let (counter, waker) = counting();
        let mut cx = Context::from_waker(&waker);
        assert!(sleep.as_mut().poll(&mut cx).is_pending());
        // Moved earlier without polling again: the registered task is still woken.
        let deadline = Instant::now() + Duration::from_millis(10);
        sleep.as_mut().reset(deadline);
        wait_for_wakes(&counter, 1);
        assert!(Instant::now() >= deadline);
        assert!(sleep.as_mut().poll(&mut cx).is_ready());

        // Reset after completing: pending again, and the task registered by that poll is woken
        // at the deadline set afterwards.
        sleep
            .as_mut()
            .reset(Instant::now() + Duration::from_secs(3600));
        assert!(!sleep.is_elapsed());
        assert!(sleep.as_mut().poll(&mut cx).is_pending());
        let deadline = Instant::now() + Duration::from_millis(10);
        sleep.as_mut().reset(deadline);
        wait_for_wakes(&counter, 2);
        assert!(Instant::now() >= deadline);
        assert!(sleep.as_mut().poll(&mut cx).is_ready());
    }

    #[test]
    fn huge_durations_do_not_panic() {
        let mut sleep = Box::pin(sleep(Duration::MAX));
        assert!(sleep.deadline() > Instant::now() + Duration::from_secs(86_400 * 365));
        let (_counter, waker) = counting();
        assert!(sleep
            .as_mut()
            .poll(&mut Context::from_waker(&waker))
            .is_pending());
        let key = sleep.timer_key().unwrap();
        drop(sleep);
        assert!(!TimerHandle::current().contains(key));
    }
}

use std::fmt;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use super::{far_future, Sleep, TimerHandle};

/// A stream of ticks, `period` apart, the first of which completes immediately.
///
/// Equivalent to `interval_at(now, period)`. Ticks are never early: the `n`-th tick completes
/// no sooner than `start + n * period`. What happens when ticks are missed (the task was busy
/// for longer than a period) is chosen with [`Interval::set_missed_tick_behavior`]; the default
/// is [`MissedTickBehavior::Burst`].
///
/// # Panics
/// If `period` is zero.
///
/// ```
/// use evloop::time::{interval, Duration, Instant};
///
/// evloop::block_on(async {
///     let start = Instant::now();
///     let mut ticks = interval(Duration::from_millis(10));
///     ticks.tick().await; // immediately
///     ticks.tick().await;
///     ticks.tick().await;
///     assert!(start.elapsed() >= Duration::from_millis(20));
/// });
/// ```
#[track_caller]
pub fn interval(period: Duration) -> Interval {
    check_period(period);
    let handle = TimerHandle::current();
    let start = handle.now();
    Interval::new(handle, start, period)
}

/// A stream of ticks, `period` apart, the first of which completes at `start`.
///
/// # Panics
/// If `period` is zero.
///
/// ```
/// use evloop::time::{interval_at, Duration, Instant};
///
/// evloop::block_on(async {
///     let start = Instant::now() + Duration::from_millis(10);
///     let mut ticks = interval_at(start, Duration::from_millis(10));
///     assert_eq!(ticks.tick().await, start);
///     assert_eq!(ticks.tick().await, start + Duration::from_millis(10));
/// });
/// ```
#[track_caller]
pub fn interval_at(start: Instant, period: Duration) -> Interval {
    check_period(period);
    Interval::new(TimerHandle::current(), start, period)
}

#[track_caller]
fn check_period(period: Duration) {
    assert!(
        period > Duration::ZERO,
        "the period of an `Interval` must be greater than zero"
    );
}

/// What an [`Interval`] does when a tick is observed late by a whole period or more.
///
/// Ticks are due at `start`, `start + period`, `start + 2 * period`, ... A tick is *missed*
/// when, by the time the interval's task observes a tick, the next one is already due as well
/// (the task was blocked, or busy elsewhere, for longer than a period). The late tick itself
/// always completes at once; this setting chooses the deadline of the ticks after it.
///
/// Every tick returns the instant it was scheduled for, which may be earlier than the moment it
/// completed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum MissedTickBehavior {
    /// Catch up: the missed ticks complete one after the other, as fast as they are polled,
    /// until the schedule is met again; the schedule itself never moves. Suits work that must
    /// run a fixed number of times per unit of time.
    ///
    /// With a 10 ms period and a tick observed at 35 ms for the one due at 10 ms, the next
    /// ticks are due at 20 and 30 ms (both at once) and then 40, 50, ... ms.
    #[default]
    Burst,
    /// Start over from now: the next tick is due one `period` after the late tick was
    /// observed, and later ones every `period` after that. Guarantees at least a period between
    /// ticks.
    ///
    /// In the same example the next ticks are due at 45, 55, 65, ... ms.
    Delay,
    /// Drop the missed ticks: the next tick is the first one of the original schedule that is
    /// still in the future.
    ///
    /// In the same example the next ticks are due at 40, 50, 60, ... ms.
    Skip,
}

impl MissedTickBehavior {
    /// The deadline of the tick after a late one that was due at `due` and observed at `now`.
    fn next_after_missed(self, due: Instant, now: Instant, period: Duration) -> Instant {
        let next = match self {
            MissedTickBehavior::Burst => due.checked_add(period),
            MissedTickBehavior::Delay => now.checked_add(period),
            MissedTickBehavior::Skip => {
                // `due + k * period` for the smallest `k` that lands after `now`.
                let behind = now.saturating_duration_since(due).as_nanos();
                let step = period.as_nanos();
                let periods = behind / step + 1;
                u64::try_from(step * periods)
                    .ok()
                    .and_then(|nanos| due.checked_add(Duration::from_nanos(nanos)))
            }
        };
        next.unwrap_or_else(|| far_future(now))
    }
}

/// Ticks every `period`; see [`interval`] and [`interval_at`].
///
/// Await [`tick`](Interval::tick) (or call [`poll_tick`](Interval::poll_tick)) for each tick;
/// between ticks the interval holds one timer.
pub struct Interval {
    /// Due at the next tick's deadline.
    delay: Pin<Box<Sleep>>,
    period: Duration,
    missed_tick_behavior: MissedTickBehavior,
}

impl Interval {
    fn new(handle: TimerHandle, start: Instant, period: Duration) -> Interval {
        Interval {
            delay: Box::pin(Sleep::new(handle, start)),
            period,
            missed_tick_behavior: MissedTickBehavior::default(),
        }
    }

    /// Completes at the next tick, returning the instant that tick was scheduled for.
    ///
    /// Cancel safe: dropping the returned future before it completes loses no tick.
    ///
    /// ```
    /// use evloop::time::{interval, Duration};
    ///
    /// evloop::block_on(async {
    ///     let mut ticks = interval(Duration::from_millis(5));
    ///     let first = ticks.tick().await;
    ///     let second = ticks.tick().await;
    ///     assert_eq!(second - first, Duration::from_millis(5));
    /// });
    /// ```
    pub fn tick(&mut self) -> impl Future<Output = Instant> + '_ {
        poll_fn(move |cx| self.poll_tick(cx))
    }

    /// Polls for the next tick: `Ready` with the instant the tick was scheduled for once it is
    /// due; otherwise `Pending`, and `cx`'s task is woken when it is due. Only the task of the
    /// latest poll is woken.
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use std::task::Poll;
    /// use evloop::time::{interval, Duration};
    ///
    /// evloop::block_on(async {
    ///     let mut ticks = interval(Duration::from_secs(60));
    ///     poll_fn(|cx| {
    ///         assert!(ticks.poll_tick(cx).is_ready()); // the first tick is immediate
    ///         assert!(ticks.poll_tick(cx).is_pending());
    ///         Poll::Ready(())
    ///     })
    ///     .await;
    /// });
    /// ```
    pub fn poll_tick(&mut self, cx: &mut Context<'_>) -> Poll<Instant> {
        if self.delay.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        let due = self.delay.deadline();
        let now = self.delay.clock_now();
        let on_time = due
            .checked_add(self.period)
            .unwrap_or_else(|| far_future(due));
        let next = if now < on_time {
            on_time
        } else {
            self.missed_tick_behavior
                .next_after_missed(due, now, self.period)
        };
        self.delay.as_mut().reset(next);
        Poll::Ready(due)
    }

    /// Restarts the schedule: the next tick is due one period from now.
    ///
    /// ```
    /// use evloop::time::{interval, Duration, Instant};
    ///
    /// evloop::block_on(async {
    ///     let mut ticks = interval(Duration::from_millis(10));
    ///     ticks.tick().await;
    ///     let reset_at = Instant::now();
    ///     ticks.reset();
    ///     assert!(ticks.tick().await >= reset_at + Duration::from_millis(10));
    /// });
    /// ```
    pub fn reset(&mut self) {
        let now = self.delay.clock_now();
        self.reset_at(
            now.checked_add(self.period)
                .unwrap_or_else(|| far_future(now)),
        );
    }

    /// Restarts the schedule with the next tick due immediately.
    ///
    /// ```
    /// use evloop::time::{interval, Duration, Instant};
    ///
    /// evloop::block_on(async {
    ///     let mut ticks = interval(Duration::from_secs(60));
    ///     ticks.tick().await;
    ///     let before = Instant::now();
    ///     ticks.reset_immediately();
    ///     assert!(ticks.tick().await >= before);
    /// });
    /// ```
    pub fn reset_immediately(&mut self) {
        let now = self.delay.clock_now();
        self.reset_at(now);
    }

    /// Restarts the schedule with the next tick due `after` from now.
    ///
    /// ```
    /// use evloop::time::{interval, Duration, Instant};
    ///
    /// evloop::block_on(async {
    ///     let mut ticks = interval(Duration::from_secs(60));
    ///     ticks.tick().await;
    ///     let before = Instant::now();
    ///     ticks.reset_after(Duration::from_millis(5));
    ///     assert!(ticks.tick().await >= before + Duration::from_millis(5));
    /// });
    /// ```
    pub fn reset_after(&mut self, after: Duration) {
        let now = self.delay.clock_now();
        self.reset_at(now.checked_add(after).unwrap_or_else(|| far_future(now)));
    }

    /// Restarts the schedule with the next tick due at `deadline`.
    ///
    /// ```
    /// use evloop::time::{interval, Duration, Instant};
    ///
    /// evloop::block_on(async {
    ///     let mut ticks = interval(Duration::from_secs(60));
    ///     ticks.tick().await;
    ///     let at = Instant::now() + Duration::from_millis(5);
    ///     ticks.reset_at(at);
    ///     assert_eq!(ticks.tick().await, at);
    /// });
    /// ```
    pub fn reset_at(&mut self, deadline: Instant) {
        self.delay.as_mut().reset(deadline);
    }

    /// The period between ticks.
    ///
    /// ```
    /// use evloop::time::{interval, Duration};
    ///
    /// assert_eq!(interval(Duration::from_secs(2)).period(), Duration::from_secs(2));
    /// ```
    pub fn period(&self) -> Duration {
        self.period
    }

    /// What the interval does about missed ticks.
    ///
    /// ```
    /// use evloop::time::{interval, Duration, MissedTickBehavior};
    ///
    /// let ticks = interval(Duration::from_secs(1));
    /// assert_eq!(ticks.missed_tick_behavior(), MissedTickBehavior::Burst);
    /// ```
    pub fn missed_tick_behavior(&self) -> MissedTickBehavior {
        self.missed_tick_behavior
    }

    /// Chooses what the interval does about missed ticks; see [`MissedTickBehavior`].
    ///
    /// ```
    /// use evloop::time::{interval, Duration, MissedTickBehavior};
    ///
    /// let mut ticks = interval(Duration::from_secs(1));
    /// ticks.set_missed_tick_behavior(MissedTickBehavior::Skip);
    /// assert_eq!(ticks.missed_tick_behavior(), MissedTickBehavior::Skip);
    /// ```
    pub fn set_missed_tick_behavior(&mut self, behavior: MissedTickBehavior) {
        self.missed_tick_behavior = behavior;
    }
}

impl fmt::Debug for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Interval")
            .field("next_tick", &self.delay.deadline())
            .field("period", &self.period)
            .field("missed_tick_behavior", &self.missed_tick_behavior)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: Duration = Duration::from_millis(10);

    fn next(behavior: MissedTickBehavior, due_ms: u64, now_ms: u64) -> Duration {
        let base = Instant::now();
        let due = base + Duration::from_millis(due_ms);
        let now = base + Duration::from_millis(now_ms);
        behavior.next_after_missed(due, now, P) - base
    }

    #[test]
    fn missed_tick_arithmetic() {
        let ms = Duration::from_millis;
        assert_eq!(next(MissedTickBehavior::Burst, 10, 35), ms(20));
        assert_eq!(next(MissedTickBehavior::Delay, 10, 35), ms(45));
        assert_eq!(next(MissedTickBehavior::Skip, 10, 35), ms(40));
        // Exactly on a later tick: that tick is due now, the next one is a period away.
        assert_eq!(next(MissedTickBehavior::Skip, 10, 30), ms(40));
        assert_eq!(next(MissedTickBehavior::Skip, 10, 20), ms(30));
    }
}

//! `interval` and `interval_at`: the first tick is immediate, ticks are never early, and missed
//! ticks are handled as each `MissedTickBehavior` promises. Ticks are missed on purpose by
//! blocking the task's thread with `std::thread::sleep`. Only lower bounds on time, exact tick
//! instants and counts that follow from them are asserted, never how fast a tick comes.

#[macro_use]
mod util;

use std::task::{Context, Poll, Wake, Waker};

use evloop::time::{interval, interval_at, Duration, Instant, Interval, MissedTickBehavior};

const PERIOD: Duration = Duration::from_millis(20);

/// A waker that does nothing, for polling an interval by hand.
struct Noop;

impl Wake for Noop {
    fn wake(self: std::sync::Arc<Self>) {}
}

fn poll_now(interval: &mut Interval) -> Poll<Instant> {
    let waker = Waker::from(std::sync::Arc::new(Noop));
    interval.poll_tick(&mut Context::from_waker(&waker))
}

/// Creates an interval, takes its immediate first tick, then blocks the thread for five and a
/// half periods so that five ticks are missed. Returns the interval, the first tick and the
/// instant the block ended.
fn miss_five_ticks(behavior: MissedTickBehavior) -> (Interval, Instant, Instant) {
    let mut ticks = interval(PERIOD);
    ticks.set_missed_tick_behavior(behavior);
    let first = match poll_now(&mut ticks) {
        Poll::Ready(at) => at,
        Poll::Pending => panic!("the first tick is not immediate"),
    };
    std::thread::sleep(PERIOD * 5 + PERIOD / 2);
    (ticks, first, Instant::now())
}

rt_test! {
    fn first_tick_is_immediate_and_ticks_are_never_early(rt) {
        rt.block_on(async {
            let created = Instant::now();
            let mut ticks = interval(PERIOD);
            let first = ticks.tick().await;
            assert!(first >= created);
            assert!(first <= Instant::now());
            for k in 1..=4u32 {
                let at = ticks.tick().await;
                // The default (burst) keeps the schedule exactly.
                assert_eq!(at, first + PERIOD * k);
                assert!(Instant::now() >= at, "tick {k} completed early");
            }
        });
    }

    fn interval_at_starts_at_its_start(rt) {
        rt.block_on(async {
            let start = Instant::now() + Duration::from_millis(15);
            let mut ticks = interval_at(start, PERIOD);
            assert_eq!(ticks.tick().await, start);
            assert!(Instant::now() >= start);
            assert_eq!(ticks.tick().await, start + PERIOD);
            assert!(Instant::now() >= start + PERIOD);
        });
    }

    fn burst_fires_every_missed_tick_then_keeps_the_schedule(rt) {
        rt.block_on(async {
            let (mut ticks, first, _) = miss_five_ticks(MissedTickBehavior::Burst);
            // The five missed ticks are all due: each completes on its first poll, reporting
            // the instant it was scheduled for.
            for k in 1..=5u32 {
                assert_eq!(poll_now(&mut ticks), Poll::Ready(first + PERIOD * k), "tick {k}");
            }
            let sixth = ticks.tick().await;
            assert_eq!(sixth, first + PERIOD * 6);
            assert!(Instant::now() >= sixth);
        });
    }

    fn delay_restarts_the_schedule_from_the_late_tick(rt) {
        rt.block_on(async {
            let (mut ticks, first, unblocked) = miss_five_ticks(MissedTickBehavior::Delay);
            // The late tick completes at once, reporting its original instant.
            assert_eq!(poll_now(&mut ticks), Poll::Ready(first + PERIOD));
            let second = ticks.tick().await;
            assert!(second >= unblocked + PERIOD, "the next tick did not wait a whole period");
            assert!(Instant::now() >= second);
            let third = ticks.tick().await;
            assert!(third >= second + PERIOD);
            assert!(Instant::now() >= third);
        });
    }

    fn skip_drops_the_missed_ticks(rt) {
        rt.block_on(async {
            let (mut ticks, first, unblocked) = miss_five_ticks(MissedTickBehavior::Skip);
            assert_eq!(poll_now(&mut ticks), Poll::Ready(first + PERIOD));
            let next = ticks.tick().await;
            // On the original schedule, and after the ticks that were missed.
            let offset = (next - first).as_nanos();
            assert_eq!(offset % PERIOD.as_nanos(), 0, "off the original schedule");
            assert!(next > unblocked);
            assert!(next >= first + PERIOD * 6);
            assert!(Instant::now() >= next);
            let after = ticks.tick().await;
            let gap = (after - next).as_nanos();
            assert_eq!(gap % PERIOD.as_nanos(), 0);
            assert!(after >= next + PERIOD);
        });
    }

    fn reset_restarts_the_schedule(rt) {
        rt.block_on(async {
            let mut ticks = interval(PERIOD);
            ticks.tick().await;
            std::thread::sleep(Duration::from_millis(5));
            let reset_at = Instant::now();
            ticks.reset();
            let next = ticks.tick().await;
            assert!(next >= reset_at + PERIOD);
            assert!(Instant::now() >= next);

            ticks.reset_immediately();
            assert!(poll_now(&mut ticks).is_ready());

            let at = Instant::now() + Duration::from_millis(7);
            ticks.reset_at(at);
            assert_eq!(ticks.tick().await, at);
            assert!(Instant::now() >= at);
        });
    }

    fn ticks_from_a_spawned_task(rt) {
        rt.block_on(async {
            let task = evloop::spawn(async {
                let mut ticks = interval(Duration::from_millis(2));
                let first = ticks.tick().await;
                for _ in 0..5 {
                    ticks.tick().await;
                }
                first
            });
            let first = task.await.unwrap();
            assert!(Instant::now() >= first + Duration::from_millis(10));
        });
    }
}

#[test]
fn accessors() {
    let mut ticks = interval(Duration::from_secs(3600));
    assert_eq!(ticks.period(), Duration::from_secs(3600));
    assert_eq!(ticks.missed_tick_behavior(), MissedTickBehavior::Burst);
    assert_eq!(MissedTickBehavior::default(), MissedTickBehavior::Burst);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    assert_eq!(ticks.missed_tick_behavior(), MissedTickBehavior::Delay);
    assert!(poll_now(&mut ticks).is_ready(), "first tick immediate");
    assert!(poll_now(&mut ticks).is_pending());
    assert!(format!("{ticks:?}").contains("period"));
}

#[test]
#[should_panic(expected = "must be greater than zero")]
fn zero_period_panics() {
    let _ = interval(Duration::ZERO);
}

#[test]
#[should_panic(expected = "must be greater than zero")]
fn zero_period_panics_for_interval_at() {
    let _ = interval_at(Instant::now(), Duration::ZERO);
}

//! `sleep` and `sleep_until`: they complete, never before their deadline, many at once, after a
//! reset to an earlier or a later deadline. Each test runs on every runtime flavor (`rt_test!`).
//! Only lower bounds on time are asserted; upper bounds are hang guards.

#[macro_use]
mod util;

use std::future::Future;
use std::pin::{pin, Pin};
use std::task::{Context, Poll};

use evloop::time::{sleep, sleep_until, timeout, Duration, Instant};

/// SplitMix64, for reproducible random durations.
struct Rng(u64);

impl Rng {
    fn below(&mut self, bound: u64) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) % bound
    }
}

/// Polls `future` once and hands it back with the result.
struct PollOnce<'a, F>(Pin<&'a mut F>);

impl<F: Future> Future for PollOnce<'_, F> {
    type Output = Poll<F::Output>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Poll::Ready(self.0.as_mut().poll(cx))
    }
}

rt_test! {
    fn sleep_zero_completes(rt) {
        rt.block_on(async {
            sleep(Duration::ZERO).await;
            sleep_until(Instant::now()).await;
            evloop::spawn(sleep(Duration::ZERO)).await.unwrap();
        });
    }

    fn past_deadlines_complete(rt) {
        rt.block_on(async {
            let past = Instant::now().checked_sub(Duration::from_secs(1)).unwrap();
            sleep_until(past).await;
            assert!(sleep_until(past).is_elapsed());
        });
    }

    fn sleeps_are_never_early(rt) {
        rt.block_on(async {
            for micros in [1, 500, 1_000, 1_001, 2_500, 10_000, 17_300] {
                let duration = Duration::from_micros(micros);
                let start = Instant::now();
                let delay = sleep(duration);
                let deadline = delay.deadline();
                assert!(deadline >= start + duration);
                delay.await;
                assert!(Instant::now() >= deadline, "woke before the deadline");
            }
        });
    }

    fn hundred_thousand_concurrent_sleeps_complete_never_early(rt) {
        const SLEEPS: usize = 100_000;
        let woken = rt.block_on(async {
            let mut rng = Rng(0x5EED);
            let tasks: Vec<_> = (0..SLEEPS)
                .map(|_| {
                    let duration = Duration::from_nanos(rng.below(50_000_000));
                    evloop::spawn(async move {
                        let delay = sleep(duration);
                        let deadline = delay.deadline();
                        delay.await;
                        (deadline, Instant::now())
                    })
                })
                .collect();
            let mut woken = 0;
            for task in tasks {
                let (deadline, woke) = task.await.unwrap();
                assert!(woke >= deadline, "a sleep completed {:?} early", deadline - woke);
                woken += 1;
            }
            woken
        });
        assert_eq!(woken, SLEEPS);
    }

    fn sleeps_in_one_task_complete_in_deadline_order(rt) {
        rt.block_on(async {
            let start = Instant::now();
            for ms in [5, 1, 3] {
                sleep(Duration::from_millis(ms)).await;
            }
            assert!(start.elapsed() >= Duration::from_millis(9));
        });
    }

    fn reset_to_an_earlier_deadline(rt) {
        rt.block_on(async {
            let mut delay = pin!(sleep(Duration::from_secs(3600)));
            // Registered with the far deadline first.
            assert!(PollOnce(delay.as_mut()).await.is_pending());
            let deadline = Instant::now() + Duration::from_millis(15);
            delay.as_mut().reset(deadline);
            assert_eq!(delay.deadline(), deadline);
            // The hour-long timeout is a hang guard only.
            timeout(Duration::from_secs(3600), delay).await.expect("reset to earlier was lost");
            assert!(Instant::now() >= deadline);
        });
    }

    fn reset_to_a_later_deadline(rt) {
        rt.block_on(async {
            let start = Instant::now();
            let mut delay = pin!(sleep(Duration::from_millis(5)));
            // Normally pending (and registered) here; if the thread was held up past the first
            // deadline the sleep has completed instead, and the reset re-arms it all the same.
            let _ = PollOnce(delay.as_mut()).await;
            let deadline = start + Duration::from_millis(40);
            delay.as_mut().reset(deadline);
            delay.await;
            assert!(Instant::now() >= deadline, "completed at the old deadline");
        });
    }

    fn reset_before_the_first_poll_and_after_completion(rt) {
        rt.block_on(async {
            let mut delay = pin!(sleep(Duration::from_secs(3600)));
            let first = Instant::now() + Duration::from_millis(5);
            delay.as_mut().reset(first);
            delay.as_mut().await;
            assert!(Instant::now() >= first);
            assert!(delay.is_elapsed());

            delay.as_mut().reset(Instant::now() + Duration::from_secs(3600));
            assert!(!delay.is_elapsed(), "a reset sleep is no longer elapsed");
            let second = Instant::now() + Duration::from_millis(5);
            delay.as_mut().reset(second);
            delay.as_mut().await;
            assert!(Instant::now() >= second);
        });
    }

    fn dropping_pending_sleeps_is_fine(rt) {
        rt.block_on(async {
            for _ in 0..1_000 {
                let mut delay = pin!(sleep(Duration::from_secs(3600)));
                assert!(PollOnce(delay.as_mut()).await.is_pending());
            }
            // The runtime keeps working after all those cancellations.
            sleep(Duration::from_millis(1)).await;
        });
    }

    fn huge_durations_do_not_panic(rt) {
        rt.block_on(async {
            let mut delay = pin!(sleep(Duration::MAX));
            assert!(PollOnce(delay.as_mut()).await.is_pending());
            assert!(!delay.is_elapsed());
            assert!(timeout(Duration::from_millis(5), delay).await.is_err());
        });
    }
}

#[test]
fn block_on_and_spawned_tasks_on_the_global_runtime() {
    let start = Instant::now();
    evloop::block_on(async {
        let task = evloop::spawn(async {
            sleep(Duration::from_millis(10)).await;
            Instant::now()
        });
        sleep(Duration::from_millis(5)).await;
        let done = task.await.unwrap();
        assert!(done >= start + Duration::from_millis(10));
    });
    assert!(start.elapsed() >= Duration::from_millis(10));
}

#[test]
fn sleep_debug_names_its_deadline() {
    let delay = sleep(Duration::from_secs(1));
    let text = format!("{delay:?}");
    assert!(text.starts_with("Sleep"), "{text}");
    assert!(text.contains("deadline"), "{text}");
}

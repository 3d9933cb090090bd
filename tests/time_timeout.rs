//! `timeout` and `timeout_at`: the inner future wins if it completes first (and is polled
//! first), the deadline wins otherwise and the inner future is dropped, and a future that spends
//! its whole poll budget cannot keep the deadline from being reported.

#[macro_use]
mod util;

use std::future::{pending, ready};
use std::io;

use evloop::time::error::Elapsed;
use evloop::time::{sleep, timeout, timeout_at, Duration, Instant};
use util::{pending_with_waker, track_drop, DropCounter, PollCounter};

rt_test! {
    fn ok_when_the_inner_future_completes_first(rt) {
        rt.block_on(async {
            let out = timeout(Duration::from_secs(3600), async {
                sleep(Duration::from_millis(5)).await;
                7
            })
            .await;
            assert_eq!(out, Ok(7));
            let out = timeout_at(Instant::now() + Duration::from_secs(3600), ready("x")).await;
            assert_eq!(out, Ok("x"));
        });
    }

    fn the_inner_future_is_polled_first(rt) {
        rt.block_on(async {
            // Even with the deadline already passed, a ready future wins.
            assert_eq!(timeout(Duration::ZERO, ready(3)).await, Ok(3));
            let past = Instant::now().checked_sub(Duration::from_secs(1)).unwrap();
            assert_eq!(timeout_at(past, ready(4)).await, Ok(4));

            let polls = PollCounter::new();
            let result = timeout(Duration::ZERO, polls.wrap(pending::<()>())).await;
            assert!(result.is_err());
            assert_eq!(polls.get(), 1, "the inner future was not polled before giving up");
        });
    }

    fn elapsed_drops_the_inner_future_and_is_never_early(rt) {
        let drops = DropCounter::new();
        let token = drops.token();
        rt.block_on(async {
            let start = Instant::now();
            let limit = Duration::from_millis(20);
            let result = timeout(limit, track_drop(token, pending_with_waker::<u8>())).await;
            assert!(result.is_err());
            assert!(start.elapsed() >= limit, "timed out early");
            drops.assert(1, "the timed-out future is dropped with the Timeout");
        });
        drops.assert(1, "after block_on");
    }

    fn ok_drops_the_inner_future_once(rt) {
        let drops = DropCounter::new();
        let token = drops.token();
        rt.block_on(async {
            let out = timeout(Duration::from_secs(3600), track_drop(token, ready(1))).await;
            assert_eq!(out, Ok(1));
            drops.assert(1, "the completed future is dropped with the Timeout");
        });
    }

    fn timeouts_in_spawned_tasks(rt) {
        rt.block_on(async {
            let tasks: Vec<_> = (0..100u64)
                .map(|i| {
                    evloop::spawn(async move {
                        let millis = if i % 2 == 0 { 1 } else { 3_600_000 };
                        let inner = sleep(Duration::from_millis(millis));
                        (i, timeout(Duration::from_millis(10), inner).await.is_ok())
                    })
                })
                .collect();
            for task in tasks {
                let (i, ok) = task.await.unwrap();
                assert_eq!(ok, i % 2 == 0, "task {i}");
            }
        });
    }

    fn a_budget_hog_still_times_out(rt) {
        rt.block_on(async {
            // Each completed zero sleep spends a unit of the task's budget, so every poll of
            // this future spends all of it and then yields.
            let hog = async {
                loop {
                    sleep(Duration::ZERO).await;
                }
            };
            let start = Instant::now();
            let limit = Duration::from_millis(20);
            let task = evloop::spawn(async move { timeout(limit, hog).await });
            let result: Result<(), Elapsed> = task.await.unwrap();
            assert!(result.is_err());
            assert!(start.elapsed() >= limit);
        });
    }
}

#[test]
fn accessors_reach_the_inner_future() {
    let mut t = timeout(Duration::from_secs(1), ready(5u32));
    let by_ref: &std::future::Ready<u32> = t.get_ref();
    assert!(format!("{by_ref:?}").contains("Ready"));
    let by_mut: &mut std::future::Ready<u32> = t.get_mut();
    assert!(format!("{by_mut:?}").contains("Ready"));
    let inner = t.into_inner();
    assert_eq!(evloop::block_on(inner), 5);
}

#[test]
fn elapsed_displays_and_converts() {
    let err = evloop::block_on(timeout(Duration::ZERO, pending::<()>())).unwrap_err();
    assert_eq!(err.to_string(), "deadline has elapsed");
    let as_error: &dyn std::error::Error = &err;
    assert!(as_error.source().is_none());
    let io_error = io::Error::from(err);
    assert_eq!(io_error.kind(), io::ErrorKind::TimedOut);
}

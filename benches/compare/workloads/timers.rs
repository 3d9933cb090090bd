//! Timer workloads: many sleeps at once, and timeouts that never fire.

use std::hint::black_box;
use std::time::{Duration, Instant};

use super::{timed_in_task, Sample};
use crate::rt::Runtime;

/// `timers` draws each sleep uniformly from `0..MAX_SLEEP_US` µs.
const MAX_SLEEP_US: u64 = 50_000;
/// Seed of the sleep durations: the same sequence for every peer and run.
const SEED: u64 = 0x5eed_0007_7153_ab1e;
/// The deadline of every `timeout_churn` timeout; it never passes.
const CHURN_DEADLINE: Duration = Duration::from_secs(1);

/// A small fixed-seed PRNG (splitmix64), so that every peer sleeps the same
/// durations in the same order.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..bound` (the modulo bias is far below the noise).
    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }
}

/// 7: `n` tasks, each sleeping a random duration in `0..50 ms`, spawned from
/// one task and all awaited. The timed section runs from the first spawn to
/// the last completion. Each task measures its own lateness: when it woke
/// after the sleep minus the deadline it asked for (taken just before
/// calling `sleep`); the first extra value is the mean lateness in µs.
pub fn timers<R: Runtime>(rt: &R, n: usize) -> Option<Sample> {
    let mut rng = SplitMix64(SEED);
    let delays: Vec<Duration> = (0..n)
        .map(|_| Duration::from_micros(rng.below(MAX_SLEEP_US)))
        .collect();
    let (elapsed, late_ns) = timed_in_task(rt, async move {
        let handles: Vec<_> = delays
            .into_iter()
            .map(|d| {
                R::spawn(async move {
                    let deadline = Instant::now() + d;
                    R::sleep(d).await;
                    let woke = Instant::now();
                    assert!(woke >= deadline, "a sleep completed before its deadline");
                    (woke - deadline).as_nanos() as u64
                })
            })
            .collect();
        let mut total: u64 = 0;
        for h in handles {
            total += h.await;
        }
        total
    });
    Some(Sample {
        elapsed,
        value: None,
        extras: vec![late_ns as f64 / n as f64 / 1e3],
    })
}

/// 8: `n` calls of `timeout(1 s, ready)` whose inner future is ready at once,
/// so each creates a timeout and drops it unfired. They are split evenly
/// over one task per worker thread, all spawned from a root task.
pub fn timeout_churn<R: Runtime>(rt: &R, n: usize) -> Option<Sample> {
    let tasks = rt.workers().max(1);
    let (elapsed, ()) = timed_in_task(rt, async move {
        let handles: Vec<_> = (0..tasks)
            .map(|t| {
                let count = n / tasks + usize::from(t < n % tasks);
                R::spawn(async move {
                    for i in 0..count {
                        let out = R::timeout(CHURN_DEADLINE, std::future::ready(i)).await;
                        assert_eq!(black_box(out), Some(i), "a ready future timed out");
                    }
                })
            })
            .collect();
        for h in handles {
            h.await;
        }
    });
    Some(Sample::timed(elapsed))
}

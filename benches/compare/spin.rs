//! Calibrated CPU work, identical for every peer.
//!
//! [`calibrate`] measures, once per process and before any workload runs, how
//! many iterations of a fixed loop take one microsecond on this machine;
//! [`spin_us`] then burns that many iterations per requested microsecond. All
//! peers run the same loop with the same iteration count, so the work per task
//! is identical even if the clock rate drifts.

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

static ITERS_PER_US: AtomicU64 = AtomicU64::new(0);

/// The loop all CPU work is made of.
#[inline(never)]
pub fn spin(iters: u64) {
    let mut acc = 0u64;
    for i in 0..iters {
        acc = black_box(acc.wrapping_mul(31).wrapping_add(i));
    }
    black_box(acc);
}

/// Busy-works for about `us` microseconds.
pub fn spin_us(us: u64) {
    let per_us = ITERS_PER_US.load(Ordering::Relaxed);
    assert!(per_us > 0, "spin::calibrate must run first");
    spin(us * per_us);
}

/// Measures the loop and returns (and remembers) the iterations per µs.
///
/// Takes the fastest of several timed batches, i.e. the rate of an
/// undisturbed core.
pub fn calibrate() -> u64 {
    const BATCH: u64 = 2_000_000;
    spin(BATCH); // warm-up
    let best_ns = (0..7)
        .map(|_| {
            let t = Instant::now();
            spin(BATCH);
            t.elapsed().as_nanos().max(1)
        })
        .min()
        .unwrap();
    let per_us = ((BATCH as u128 * 1000) / best_ns).max(1) as u64;
    ITERS_PER_US.store(per_us, Ordering::Relaxed);
    per_us
}

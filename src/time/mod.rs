//! Time: waiting for a duration, putting a deadline on a future, ticking at an interval.
//!
//! - [`sleep`](fn@sleep) and [`sleep_until`] return a [`Sleep`], a future that completes once
//!   its deadline has passed.
//! - [`timeout`](fn@timeout) and [`timeout_at`] wrap a future in a [`Timeout`], which gives up
//!   with [`error::Elapsed`] (and drops the future) if the deadline passes first.
//! - [`interval`](fn@interval) and [`interval_at`] return an [`Interval`], which ticks every
//!   period; what it does when ticks are missed is a [`MissedTickBehavior`].
//!
//! [`Instant`] and [`Duration`] are the standard library's.
//!
//! # How timers work
//! Every timer is an entry in a hierarchical timing wheel (six levels of 64 slots, 1 ms
//! resolution) owned by the runtime. A timer takes its entry when it is first polled, not when it
//! is created, updates the entry's waker when polled again, and removes it when dropped; all
//! three are O(1). When no task is runnable, the runtime sleeps until the wheel's next deadline
//! and then wakes the tasks whose timers are due. Deadlines are rounded *up* to the millisecond,
//! so a timer never completes before its deadline; it may complete up to about a millisecond
//! after it (more if the system is busy).
//!
//! Timer futures take part in the runtime's cooperative budget: one that is ready spends a unit,
//! and a task that has spent its budget yields before it sees its timer complete.
//!
//! ```
//! use evloop::time::{interval, sleep, timeout, Duration, Instant};
//!
//! evloop::block_on(async {
//!     let start = Instant::now();
//!     sleep(Duration::from_millis(10)).await;
//!     assert!(start.elapsed() >= Duration::from_millis(10));
//!
//!     let slow = sleep(Duration::from_secs(3600));
//!     assert!(timeout(Duration::from_millis(10), slow).await.is_err());
//!
//!     let mut ticks = interval(Duration::from_millis(5));
//!     for _ in 0..3 {
//!         ticks.tick().await;
//!     }
//! });
//! ```

#![forbid(unsafe_code)]

use crate::reactor::{TimerHandle, TimerKey};

pub mod error;
mod interval;
mod pause;
mod sleep;
mod timeout;

pub use std::time::{Duration, Instant};

pub use interval::{interval, interval_at, Interval, MissedTickBehavior};
pub use pause::{advance, pause, resume};
pub use sleep::{sleep, sleep_until, Sleep};
pub use timeout::{timeout, timeout_at, Timeout};

/// The stand-in for a deadline too far ahead to represent: about 30 years from `now`, later
/// than any real program waits, early enough that adding to it stays representable.
fn far_future(now: Instant) -> Instant {
    const THIRTY_YEARS: Duration = Duration::from_secs(30 * 365 * 24 * 60 * 60);
    now.checked_add(THIRTY_YEARS).unwrap_or(now)
}

//! Timers: the hierarchical timing wheel that the reactor owns, and its entries.
//!
//! The reactor keeps one [`Wheel`] per runtime behind a lock. Its use is a loop of three steps:
//!
//! 1. The user-facing timers (`Sleep`, `Timeout`, `Interval`) insert an entry on their first poll,
//!    update its waker on later polls, reset it, and remove it when dropped; each of these is
//!    O(1).
//! 2. A thread about to block in the poller uses [`Wheel::next_deadline`] as its timeout, so an
//!    idle runtime with no timers blocks indefinitely (no periodic wake-ups).
//! 3. After the poller returns, [`Wheel::process`] advances the wheel to the current time and
//!    hands back the wakers of the timers that are due; they are woken after the lock is
//!    released.
//!
//! Deadlines are rounded up to the wheel's 1 ms tick, so a timer never fires before its
//! deadline, and fires at most one tick (plus the poller's latency) after it. The layout and
//! the cascading are explained in `wheel.rs`; the entry slab and its lists in `entry.rs`.

mod entry;
mod wheel;

#[cfg(test)]
mod tests;

pub(crate) use entry::TimerKey;
pub(crate) use wheel::Wheel;

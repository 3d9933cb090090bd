//! How many of a runtime's tasks are alive, counted without a cache line that every spawn and
//! every drop writes.
//!
//! A task is usually spawned on one thread and dropped on another (a worker steals it, or it is
//! woken onto another worker), so one shared counter would move between the cores twice per
//! task: in a spawn-heavy profile its increment and decrement were the two hottest
//! instructions. Instead each thread counts in a shard of its own: how many tasks it spawned
//! and how many it dropped, two numbers that only grow. The number alive is the sum of the
//! spawns minus the sum of the drops.
//!
//! # Reading zero
//! [`LiveCount::is_zero`] sums every shard's drops first, then every shard's spawns. A drop that
//! the first pass counts happened after its task's spawn, so the second pass counts that spawn
//! too: the spawns read are never fewer than the drops read. When the two are equal, every task
//! spawned before the first pass had been dropped when it ended, along with every task those
//! spawned, as a task spawns only while alive (its spawn happens before its drop, which the first
//! pass counted). So "zero" means there was a moment with no task alive, never that one was
//! missed; a task spawned from outside the runtime during the reading may or may not be
//! counted, as it could have been spawned a moment later.

use std::cell::Cell;

use crate::loom::{AtomicUsize, Ordering};

/// The number of a runtime's live tasks (see the module doc).
pub(crate) struct LiveCount {
    shards: Box<[Shard]>,
    mask: usize,
}

/// One thread's counts (more than one thread's where threads outnumber the shards), alone on
/// its cache lines.
#[repr(align(128))]
#[derive(Default)]
struct Shard {
    spawned: AtomicUsize,
    dropped: AtomicUsize,
}

/// The fewest shards a runtime has: enough that the workers and the few threads around them
/// (the one blocking on the runtime, blocking-pool threads) rarely share one.
const MIN_SHARDS: usize = 16;

impl LiveCount {
    /// A count of zero, with shards for about `threads` threads.
    pub(crate) fn new(threads: usize) -> LiveCount {
        let n = (2 * threads).next_power_of_two().max(MIN_SHARDS);
        LiveCount {
            shards: (0..n).map(|_| Shard::default()).collect(),
            mask: n - 1,
        }
    }

    /// A task was created.
    pub(crate) fn spawned(&self) {
        self.spawned_on(this_thread())
    }

    /// A task's future was dropped.
    pub(crate) fn dropped(&self) {
        self.dropped_on(this_thread())
    }

    fn spawned_on(&self, shard: usize) {
        // Release is more than the module doc's argument needs (the task is published to other
        // threads by a release of its own after this), and costs nothing more.
        self.shards[shard & self.mask]
            .spawned
            .fetch_add(1, Ordering::Release);
    }

    /// `SeqCst`: a caller that then reads a waiter's flag pairs with the waiter's `SeqCst` store
    /// of the flag followed by its [`is_zero`](Self::is_zero).
    fn dropped_on(&self, shard: usize) {
        self.shards[shard & self.mask]
            .dropped
            .fetch_add(1, Ordering::SeqCst);
    }

    /// Returns `true` if no task was alive at some moment during the call (see the module doc).
    pub(crate) fn is_zero(&self) -> bool {
        let (spawned, dropped) = self.sums();
        spawned == dropped
    }

    /// The number of live tasks at some moment during the call, give or take tasks spawned or
    /// dropped meanwhile.
    pub(crate) fn get(&self) -> usize {
        let (spawned, dropped) = self.sums();
        spawned.wrapping_sub(dropped)
    }

    /// The drops, then the spawns (the order the module doc's argument needs).
    fn sums(&self) -> (usize, usize) {
        let dropped = self.shards.iter().fold(0usize, |sum, shard| {
            sum.wrapping_add(shard.dropped.load(Ordering::SeqCst))
        });
        let spawned = self.shards.iter().fold(0usize, |sum, shard| {
            sum.wrapping_add(shard.spawned.load(Ordering::SeqCst))
        });
        (spawned, dropped)
    }
}

/// This thread's shard number (before masking): threads take consecutive numbers as they first
/// count something, so a runtime's workers, started one after another, land in different shards.
fn this_thread() -> usize {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    thread_local! {
        static SHARD: Cell<usize> = const { Cell::new(usize::MAX) };
    }
    SHARD
        .try_with(|shard| {
            if shard.get() == usize::MAX {
                shard.set(
                    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed) & (usize::MAX >> 1),
                );
            }
            shard.get()
        })
        // A thread whose locals are being destroyed (a task dropped by one) counts in shard 0.
        .unwrap_or(0)
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn counts_across_threads() {
        let live = std::sync::Arc::new(LiveCount::new(2));
        assert!(live.is_zero());
        for _ in 0..10 {
            live.spawned();
        }
        assert_eq!(live.get(), 10);
        // Dropped on other threads (other shards).
        let threads: Vec<_> = (0..5)
            .map(|_| {
                let live = live.clone();
                std::thread::spawn(move || {
                    live.dropped();
                    live.dropped();
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(live.get(), 0);
        assert!(live.is_zero());
    }

    #[test]
    fn shards_are_cache_line_aligned_and_a_power_of_two() {
        assert_eq!(std::mem::align_of::<Shard>(), 128);
        for threads in [0, 1, 2, 9, 100] {
            let live = LiveCount::new(threads);
            assert!(live.shards.len().is_power_of_two());
            assert!(live.shards.len() >= MIN_SHARDS.max(threads));
        }
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::loom::AtomicBool;
    use loom::sync::Arc;

    /// Task X is spawned on shard 0; on another thread X spawns Y (shard 1) and is dropped
    /// (shard 1); Y is dropped on a third shard. A reader that starts once X exists may read
    /// zero only after Y's drop has begun: a drop counted without its task's spawn (or a child's
    /// spawn) would show a moment with X or Y alive as zero.
    #[test]
    fn zero_is_never_read_while_a_task_lives() {
        loom::model(|| {
            let live = Arc::new(LiveCount::new(2));
            let x_published = Arc::new(AtomicBool::new(false));
            let y_published = Arc::new(AtomicBool::new(false));
            let y_dropping = Arc::new(AtomicBool::new(false));

            live.spawned_on(0);
            x_published.store(true, Ordering::Release);

            let runner = {
                let (live, y_published) = (live.clone(), y_published.clone());
                loom::thread::spawn(move || {
                    // X runs here: it spawns Y, then finishes.
                    live.spawned_on(1);
                    y_published.store(true, Ordering::Release);
                    live.dropped_on(1);
                })
            };
            let dropper = {
                let (live, y_published, y_dropping) =
                    (live.clone(), y_published.clone(), y_dropping.clone());
                loom::thread::spawn(move || {
                    while !y_published.load(Ordering::Acquire) {
                        loom::thread::yield_now();
                    }
                    y_dropping.store(true, Ordering::SeqCst);
                    live.dropped_on(2);
                })
            };
            // The reader, once X exists.
            assert!(x_published.load(Ordering::Acquire));
            if live.is_zero() {
                assert!(
                    y_dropping.load(Ordering::SeqCst),
                    "read zero while a task was alive"
                );
            }
            runner.join().unwrap();
            dropper.join().unwrap();
            assert!(live.is_zero());
        });
    }
}

//! The run queues of the multi-threaded scheduler, on `concurrent-queue`.
//!
//! - Each worker owns a bounded *local* queue of [`LOCAL_QUEUE_CAPACITY`] runnables. The owner
//!   pushes to its back and pops from its front; other workers steal from its front.
//! - The *injector* is an unbounded queue shared by all: tasks scheduled from outside the workers,
//!   and a runnable that finds its worker's local queue full, go there. Workers take from it in
//!   batches of up to [`INJECTOR_BATCH`].
//!
//! [`steal_half`] moves half of a victim's queue at once, so that one steal balances the load
//! instead of taking one task and coming back for the next.

use concurrent_queue::ConcurrentQueue;

use crate::task::raw::Runnable;

/// Capacity of each worker's local queue.
///
/// Large enough to absorb a burst of spawns without touching the shared injector, and to hold a
/// worker's share of a thousand tasks that keep yielding (with 256, most of those yields spilled
/// into the injector, which every worker contends for). 16 KiB per worker. Tiny under loom so
/// that the model explores the overflow and steal paths.
#[cfg(not(loom))]
pub(crate) const LOCAL_QUEUE_CAPACITY: usize = 1024;
#[cfg(loom)]
pub(crate) const LOCAL_QUEUE_CAPACITY: usize = 4;

/// How many runnables at most a worker moves from the injector into its local queue at once.
///
/// Taking a batch means that a worker whose local queue ran dry touches the shared injector once
/// per batch instead of once per task: while another thread keeps pushing to the injector (a
/// spawn storm whose spawner's local queue is full, or spawns from outside), every pop would
/// contend with those pushes for the same cache lines. Bounding it leaves work for the other
/// workers.
#[cfg(not(loom))]
pub(crate) const INJECTOR_BATCH: usize = 32;
#[cfg(loom)]
pub(crate) const INJECTOR_BATCH: usize = 2;

pub(crate) fn local_queue() -> ConcurrentQueue<Runnable> {
    ConcurrentQueue::bounded(LOCAL_QUEUE_CAPACITY)
}

/// Pushes `runnable` onto the owner's `local` queue; if it is full, pushes it to `injector`
/// instead.
///
/// Only the runnable that does not fit moves: the queued ones keep their place. (A scheduler
/// whose global queue sits behind a lock moves half of the local queue at once, to take the lock
/// once per batch; the injector here is lock-free with one atomic operation per element either
/// way, so moving more than the one runnable would only add a pop and a push for each.)
///
/// Returns `true` if the runnable went to the injector.
pub(crate) fn push_local_or_overflow<T>(
    local: &ConcurrentQueue<T>,
    injector: &ConcurrentQueue<T>,
    runnable: T,
) -> bool {
    match local.push(runnable) {
        Ok(()) => false,
        Err(err) => {
            push_unbounded(injector, err.into_inner());
            true
        }
    }
}

/// Pushes onto an unbounded queue that is never closed, so the push cannot fail.
pub(crate) fn push_unbounded<T>(queue: &ConcurrentQueue<T>, value: T) {
    if queue.push(value).is_err() {
        unreachable!("the injector is unbounded and never closed");
    }
}

/// Steals half of `victim`'s runnables (rounded up) into `dest`, returning one of them to run
/// now, or `None` if the victim was empty.
pub(crate) fn steal_half<T>(victim: &ConcurrentQueue<T>, dest: &ConcurrentQueue<T>) -> Option<T> {
    steal(victim, dest, victim.len().div_ceil(2))
}

/// Steals up to `count` (at least one) of `victim`'s runnables into `dest`, returning one of
/// them to run now, or `None` if the victim was empty.
pub(crate) fn steal<T>(
    victim: &ConcurrentQueue<T>,
    dest: &ConcurrentQueue<T>,
    count: usize,
) -> Option<T> {
    let first = victim.pop().ok()?;
    // Only as many as `dest` has room for; if the victim shrank meanwhile, stop early.
    for _ in 1..count.min(dest.capacity().unwrap_or(usize::MAX) - dest.len()) {
        match victim.pop() {
            Ok(r) => {
                if let Err(err) = dest.push(r) {
                    // Cannot happen for the reason above; put it back rather than lose it.
                    let _ = victim.push(err.into_inner());
                    break;
                }
            }
            Err(_) => break,
        }
    }
    Some(first)
}

/// Moves up to `max` runnables from `injector` into `dest`, returning one to run now.
pub(crate) fn take_from_injector<T>(
    injector: &ConcurrentQueue<T>,
    dest: &ConcurrentQueue<T>,
    max: usize,
) -> Option<T> {
    let first = injector.pop().ok()?;
    let room = dest.capacity().unwrap_or(usize::MAX) - dest.len();
    for _ in 1..max.min(room) {
        match injector.pop() {
            Ok(r) => {
                if let Err(err) = dest.push(r) {
                    push_unbounded(injector, err.into_inner());
                    break;
                }
            }
            Err(_) => break,
        }
    }
    Some(first)
}

//! Model checks of the scheduler's concurrency protocols (`RUSTFLAGS="--cfg loom"`).
//!
//! - The local queue: the owner's push (with overflow into the injector) and pop race against a
//!   thief's steal-half; every item must be taken exactly once.
//! - Parking: a worker that finds nothing and goes to sleep races against a producer that pushes
//!   work and notifies; the worker must never sleep through the work (loom reports the deadlock
//!   if it does). The worker side mirrors `Worker::{run, search, park}` step by step.

use concurrent_queue::ConcurrentQueue;
use loom::sync::Arc;
use loom::thread;

use super::idle::Idle;
use super::queue::{push_local_or_overflow, steal_half, take_from_injector, LOCAL_QUEUE_CAPACITY};
use crate::scheduler::park::Parker;

fn drain<T>(queue: &ConcurrentQueue<T>) -> usize {
    let mut n = 0;
    while queue.pop().is_ok() {
        n += 1;
    }
    n
}

fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(3);
    builder.check(f);
}

#[test]
fn push_pop_steal_takes_each_item_once() {
    model(|| {
        let local = Arc::new(ConcurrentQueue::bounded(LOCAL_QUEUE_CAPACITY));
        let injector = Arc::new(ConcurrentQueue::unbounded());
        let thief = {
            let local = local.clone();
            thread::spawn(move || {
                let dest = ConcurrentQueue::bounded(LOCAL_QUEUE_CAPACITY);
                match steal_half(&local, &dest) {
                    Some(_) => 1 + drain(&dest),
                    None => 0,
                }
            })
        };
        for i in 0..3 {
            push_local_or_overflow(&local, &injector, i);
        }
        let mut taken = usize::from(local.pop().is_ok());
        let stolen = thief.join().unwrap();
        taken += drain(&local) + drain(&injector);
        assert_eq!(taken + stolen, 3);
    });
}

#[test]
fn overflow_goes_to_the_injector_without_loss() {
    model(|| {
        let local = Arc::new(ConcurrentQueue::bounded(LOCAL_QUEUE_CAPACITY));
        let injector = Arc::new(ConcurrentQueue::unbounded());
        for i in 0..LOCAL_QUEUE_CAPACITY {
            push_local_or_overflow(&local, &injector, i);
        }
        let thief = {
            let local = local.clone();
            let injector = injector.clone();
            thread::spawn(move || {
                let dest = ConcurrentQueue::bounded(LOCAL_QUEUE_CAPACITY);
                let mut n = 0;
                if steal_half(&local, &dest).is_some() {
                    n += 1 + drain(&dest);
                }
                if take_from_injector(&injector, &dest, 2).is_some() {
                    n += 1 + drain(&dest);
                }
                n
            })
        };
        // The queue is full: this push overflows into the injector.
        push_local_or_overflow(&local, &injector, LOCAL_QUEUE_CAPACITY);
        let stolen = thief.join().unwrap();
        let taken = drain(&local) + drain(&injector);
        assert_eq!(taken + stolen, LOCAL_QUEUE_CAPACITY + 1);
    });
}

/// One worker's side of the protocol: loop until it has taken one item from `queue`.
fn worker(idle: &Idle, parker: &Parker, queue: &ConcurrentQueue<usize>, index: usize) {
    let mut is_searching = false;
    loop {
        // next_task / search
        if !is_searching {
            is_searching = idle.transition_worker_to_searching();
        }
        if queue.pop().is_ok() {
            if is_searching && idle.transition_worker_from_searching() {
                if let Some(i) = idle.worker_to_notify() {
                    assert_ne!(i, index);
                }
            }
            return;
        }
        // park
        let was_last = idle.transition_worker_to_parked(index, is_searching);
        if was_last && !queue.is_empty() {
            if let Some(i) = idle.worker_to_notify() {
                assert_eq!(i, index, "one worker: only we can be asleep");
                parker.unpark();
            }
        }
        loop {
            parker.park();
            if !idle.is_parked(index) {
                is_searching = true;
                break;
            }
        }
    }
}

#[test]
fn producer_never_lost_by_a_parking_worker() {
    model(|| {
        let idle = Arc::new(Idle::new(1));
        let parker = Arc::new(Parker::new());
        let queue = Arc::new(ConcurrentQueue::unbounded());
        let w = {
            let (idle, parker, queue) = (idle.clone(), parker.clone(), queue.clone());
            thread::spawn(move || worker(&idle, &parker, &queue, 0))
        };
        queue.push(1).unwrap();
        if let Some(index) = idle.worker_to_notify() {
            assert_eq!(index, 0);
            parker.unpark();
        }
        w.join().unwrap();
        assert!(queue.is_empty());
    });
}

/// Two workers and a producer of two items: both items are taken, then shutdown wakes whoever
/// sleeps. A lost wake-up shows up as a deadlock (an item left while both workers sleep).
#[test]
fn two_workers_take_all_work() {
    use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};

    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(2);
    builder.check(|| {
        let idle = Arc::new(Idle::new(2));
        let parkers = Arc::new([Parker::new(), Parker::new()]);
        let queue = Arc::new(ConcurrentQueue::unbounded());
        let taken = Arc::new(AtomicUsize::new(0));
        let shutdown = Arc::new(AtomicBool::new(false));
        let workers: Vec<_> = (0..2)
            .map(|index| {
                let (idle, parkers, queue) = (idle.clone(), parkers.clone(), queue.clone());
                let (taken, shutdown) = (taken.clone(), shutdown.clone());
                thread::spawn(move || {
                    let mut is_searching = false;
                    while !shutdown.load(SeqCst) {
                        if !is_searching {
                            is_searching = idle.transition_worker_to_searching();
                        }
                        if queue.pop().is_ok() {
                            taken.fetch_add(1, SeqCst);
                            if is_searching && idle.transition_worker_from_searching() {
                                if let Some(i) = idle.worker_to_notify() {
                                    parkers[i].unpark();
                                }
                            }
                            is_searching = false;
                            continue;
                        }
                        // Parked, the worker is not searching; the wait below sets the flag
                        // again when a notification takes it off the sleepers list.
                        let was_last = idle.transition_worker_to_parked(index, is_searching);
                        if was_last && !queue.is_empty() {
                            if let Some(i) = idle.worker_to_notify() {
                                parkers[i].unpark();
                            }
                        }
                        loop {
                            parkers[index].park();
                            if shutdown.load(SeqCst) {
                                return;
                            }
                            if !idle.is_parked(index) {
                                is_searching = true;
                                break;
                            }
                        }
                    }
                })
            })
            .collect();
        for item in 0..2 {
            queue.push(item).unwrap();
            if let Some(i) = idle.worker_to_notify() {
                parkers[i].unpark();
            }
        }
        // Wait (by yielding) until the workers took both items: if a wake-up were lost, an item
        // would stay queued while both sleep, and loom reports the resulting deadlock.
        while taken.load(SeqCst) < 2 {
            thread::yield_now();
        }
        shutdown.store(true, SeqCst);
        for i in idle.unpark_all() {
            parkers[i].unpark();
        }
        for p in parkers.iter() {
            p.unpark();
        }
        for w in workers {
            w.join().unwrap();
        }
    });
}

/// Runs `park` on a new thread while this one calls `unpark`, and returns the parker once that
/// thread is done: the notification must either wake the park or be consumed by it.
fn park_racing_unpark(park: fn(&Parker)) -> Arc<Parker> {
    let parker = Arc::new(Parker::new());
    let t = {
        let parker = parker.clone();
        thread::spawn(move || park(&parker))
    };
    parker.unpark();
    t.join().unwrap();
    parker
}

#[test]
fn unpark_before_park_is_kept() {
    model(|| {
        park_racing_unpark(Parker::park);
    });
}

/// A timed park racing a notification: the notification wakes it or is consumed by it, and either
/// way leaves no state behind for the next park (which a second notification then ends).
#[test]
fn park_timeout_consumes_or_is_woken_by_a_notification() {
    model(|| {
        let parker = park_racing_unpark(|p| p.park_timeout(std::time::Duration::from_secs(1)));
        parker.unpark();
        parker.park();
    });
}

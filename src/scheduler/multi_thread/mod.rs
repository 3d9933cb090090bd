//! The multi-threaded, work-stealing scheduler.
//!
//! # Where a runnable goes
//! - Spawned from a worker: the back of that worker's local queue.
//! - Woken from a worker (by the task it is running): the worker's **LIFO slot**, displacing the
//!   slot's previous occupant to the back of the local queue. A message sent to a task is then
//!   handled right after the sender yields, while the data is still in cache. To keep two tasks
//!   that wake each other from monopolising a worker, at most [`MAX_LIFO_POLLS`] LIFO tasks run in
//!   a row; after that the slot's task goes to the back of the queue.
//! - Woken by the driver on a worker (I/O readiness, a timer): the same, but the worker does not
//!   wake a sibling for it (see *Keeping I/O work together* below).
//! - Woken by itself while running (`yield_now`, an exhausted budget): the back of the local
//!   queue, never the LIFO slot, so it waits for everyone else.
//! - From any other thread: the global injector.
//!
//! # Where a worker looks for work, in order
//! 1. Every [`GLOBAL_QUEUE_INTERVAL`] ticks, the injector first (so remote work is never starved
//!    by a busy local queue); if it is empty, a look at a random sibling's local queue, taking
//!    half the difference if it is much longer than this one's (a worker busy with a few tasks
//!    that yield never runs dry, so it would never steal).
//! 2. Its LIFO slot, then its local queue.
//! 3. The injector, taking up to `INJECTOR_BATCH` runnables at once.
//! 4. Stealing: becomes *searching* (at most half of the workers search at once), then visits the
//!    other workers starting at a random one and steals half of the first non-empty queue.
//! 5. The injector once more, then sleep.
//!
//! # Sleeping and waking
//! A worker with nothing to do becomes the *driver* if no other worker is (it waits in the
//! reactor's poller for I/O, the nearest timer, or a wake-up); the others sleep on their own
//! condition variables, one of them perhaps as the *watcher* (below). Busy workers give the driver
//! a non-blocking turn every [`DRIVER_INTERVAL`] ticks. See [`idle`]: producers wake a sleeper
//! only when no worker is searching, and a worker that finds work while searching wakes another
//! if it was the last searcher, so work spreads without a thundering herd. Waking costs a system
//! call only when a worker is actually asleep.
//!
//! # Keeping I/O work together
//! The tasks a driver turn wakes stay with the worker that turned it: no sibling is woken to
//! steal them. Spreading them costs more than it brings when each does little besides its system
//! calls, which is most I/O work: the kernel's state for a socket (its buffers, its locks, the
//! data just written to it) is in the cache of the CPU that last used it, and a task polled on
//! another CPU moves it over. Measured with 100 echo connections on loopback, client and server in
//! one 2-worker runtime: 216,000 round trips/s when these wake-ups were spread, 272,000 when kept
//! together; one worker alone made 281,000, so the second CPU was a loss.
//!
//! A *watcher* keeps this from costing parallelism or liveness. After a driver turn that left work
//! in a worker's queue, one sleeping worker (if one sleeps and nobody watches yet) is asked to
//! watch: it sleeps [`WATCH_INTERVAL`] at a time instead of indefinitely (twice as long after each
//! look that did not call for help, up to [`WATCH_INTERVAL_MAX`]), does not drive, and at each
//! wake-up looks at its siblings. If one has polled fewer tasks since the last look than it had
//! queued then (so some have waited a whole interval: CPU-heavy work, or a task blocking its
//! thread), or nobody drives and no turn ended since the last look (every awake worker is inside a
//! long poll), the watcher wakes up for good and joins in: it steals, or drives. It stops watching
//! once every other worker sleeps, so an idle runtime still makes no periodic wake-ups, and at most
//! one worker watches at a time. Work on a worker that keeps up is left where it is: those echo
//! connections keep one worker's queue from ever running dry, but a round trip takes 0.37 ms at the
//! median, so no task waits a whole interval.
//!
//! # Shutdown, in order
//! 1. The `shutdown` flag is set and every sleeping worker is woken.
//! 2. Each worker sees the flag at the top of its loop, drops its LIFO slot and exits.
//! 3. The runtime joins the workers, then drains the local queues and the injector, dropping each
//!    runnable, which cancels its task and drops its future.
//! 4. From then on the schedule function drops whatever is woken, so futures whose wakers were held
//!    elsewhere are dropped when they are next woken.

pub(crate) mod idle;
#[cfg(all(test, loom))]
mod loom_tests;
pub(crate) mod queue;
mod worker;

use std::fmt;

use concurrent_queue::ConcurrentQueue;

use std::sync::Arc;
use std::time::Duration;

use crate::loom::{fence, AtomicBool, AtomicU64, AtomicUsize, Ordering};
use crate::reactor::Driver;
use crate::scheduler::park::Parker;
use crate::task::raw::Runnable;
use idle::Idle;
pub(crate) use worker::{run_worker, WorkerLocal};

/// A worker checks the injector before its own queue once every this many ticks.
///
/// A prime, as in tokio, so that it does not fall into step with other periodic behaviour of a
/// workload; small enough that remote wake-ups wait for at most a few dozen local polls.
pub(crate) const GLOBAL_QUEUE_INTERVAL: u32 = 61;

/// How many tasks from the LIFO slot a worker runs in a row before the slot's task has to queue.
///
/// Only the LIFO slot cannot be stolen, so this bounds how long the tasks queued behind two tasks
/// that wake each other wait when no sibling is awake to steal them. tokio allows 3; with 3, a
/// pair passing messages goes to the back of the queue every third poll. Measured with 1,000 such
/// pairs on 2 workers (the `ping_pong` benchmark, three alternating rounds of 5 runs): 10.6-10.9 ms
/// with 3, 10.1-10.2 with 8, 9.7-9.8 with 16, 9.5-10.2 with 64, with no change beyond the noise on
/// the spawn, timer and I/O benchmarks.
pub(crate) const MAX_LIFO_POLLS: u32 = 16;

/// A busy worker gives the driver a non-blocking turn (I/O events, due timers) once every this
/// many ticks, so that I/O and timers make progress even when no worker is ever idle.
pub(crate) const DRIVER_INTERVAL: u32 = 61;

/// How long a watching worker sleeps between its first looks at its siblings (see the module
/// doc).
///
/// Work kept on one worker waits at most about two of these for a sibling to join in while a
/// watch is young; the watcher costs one wake-up per interval.
pub(crate) const WATCH_INTERVAL: Duration = Duration::from_millis(1);

/// The longest a watching worker sleeps between two looks: the interval doubles after each look
/// that did not call for help, and a new watch starts again at [`WATCH_INTERVAL`].
///
/// A busy server keeps a watcher up for as long as it is busy, and a look every millisecond cost
/// `http_hello` (hyper, 50 client threads on the same 2 CPUs) its lead over tokio: in alternating
/// 10-run measurements, 0.98x and 0.99x tokio with a look every 1 ms (about 860 looks a second),
/// 1.07x and 1.09x with this bound (about 125). The price is that a worker that blocks its thread
/// late in a long watch is noticed after up to about twice this.
pub(crate) const WATCH_INTERVAL_MAX: Duration = Duration::from_millis(8);

/// The value of [`Shared::watcher`] while no worker watches.
const NO_WATCHER: usize = usize::MAX;

/// Per-worker state that other threads touch: the local queue (stolen from), the parker (woken)
/// and the metrics (read).
///
/// Each part has cache lines of its own (two, as adjacent-line prefetching pairs them): the
/// owner writes its counters on every poll and the parker on every sleep, while thieves read the
/// queue handle on every steal attempt; sharing a line would turn each steal attempt into a
/// miss for the owner's next poll.
pub(crate) struct WorkerShared {
    pub(crate) local: Padded<ConcurrentQueue<Runnable>>,
    pub(crate) parker: Padded<Parker>,
    pub(crate) metrics: Padded<WorkerMetrics>,
}

/// A value alone on its cache lines.
#[repr(align(128))]
pub(crate) struct Padded<T>(pub(crate) T);

impl<T> std::ops::Deref for Padded<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

/// Counters of one worker; written by that worker only (relaxed load + store, no contended
/// read-modify-write), read by `metrics()`.
#[derive(Debug, Default)]
pub(crate) struct WorkerMetrics {
    pub(crate) polls: AtomicU64,
    pub(crate) steals: AtomicU64,
    pub(crate) parks: AtomicU64,
}

impl WorkerMetrics {
    #[inline]
    pub(crate) fn bump(counter: &AtomicU64, by: u64) {
        counter.store(
            counter.load(Ordering::Relaxed).wrapping_add(by),
            Ordering::Relaxed,
        );
    }
}

/// The state shared by all workers of one runtime.
pub(crate) struct Shared {
    pub(crate) injector: ConcurrentQueue<Runnable>,
    pub(crate) workers: Box<[WorkerShared]>,
    /// Written on every search and sleep transition; on lines of its own so that those writes do
    /// not evict the read-mostly fields around it (`shutdown` is read on every loop iteration).
    pub(crate) idle: Padded<Idle>,
    pub(crate) shutdown: AtomicBool,
    pub(crate) driver: Arc<Driver>,
    /// The index of the worker asked to watch, or [`NO_WATCHER`].
    pub(crate) watcher: AtomicUsize,
}

impl fmt::Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("multi_thread::Shared")
            .field("workers", &self.workers.len())
            .field("injector", &self.injector.len())
            .finish_non_exhaustive()
    }
}

impl Shared {
    pub(crate) fn new(num_workers: usize, driver: Arc<Driver>) -> Shared {
        let workers = (0..num_workers)
            .map(|_| WorkerShared {
                local: Padded(queue::local_queue()),
                parker: Padded(Parker::new()),
                metrics: Padded(WorkerMetrics::default()),
            })
            .collect();
        Shared {
            injector: ConcurrentQueue::unbounded(),
            workers,
            idle: Padded(Idle::new(num_workers)),
            shutdown: AtomicBool::new(false),
            driver,
            watcher: AtomicUsize::new(NO_WATCHER),
        }
    }

    pub(crate) fn is_shutdown(&self) -> bool {
        self.shutdown.load(Ordering::Acquire)
    }

    /// Schedules from a thread that is not one of this runtime's workers.
    pub(crate) fn schedule_remote(&self, runnable: Runnable) {
        if self.is_shutdown() {
            drop(runnable);
            return;
        }
        queue::push_unbounded(&self.injector, runnable);
        self.notify_parked();
        // Shutdown may have drained the injector between our check and our push; if so, drain
        // again so that the task is not stranded (see the shutdown steps in the module doc).
        fence(Ordering::SeqCst);
        if self.shutdown.load(Ordering::SeqCst) {
            self.drain_injector();
        }
    }

    /// Wakes a sleeping worker if work was published and nobody is looking for it.
    #[inline]
    pub(crate) fn notify_parked(&self) {
        if let Some(index) = self.idle.worker_to_notify() {
            self.workers[index].parker.unpark_driver(&self.driver);
        }
    }

    /// After a driver turn left work in a worker's queue without waking anyone: asks a sleeping
    /// worker to watch, unless one watches already or none sleeps.
    #[inline]
    pub(crate) fn ask_to_watch(&self) {
        if self.watcher.load(Ordering::Relaxed) != NO_WATCHER {
            return;
        }
        let Some(index) = self.idle.any_sleeper() else {
            return;
        };
        if self
            .watcher
            .compare_exchange(NO_WATCHER, index, Ordering::AcqRel, Ordering::Relaxed)
            .is_ok()
        {
            // Seen as a spurious wake-up by the idle protocol; the worker reads `watcher`.
            self.workers[index].parker.unpark_driver(&self.driver);
        }
    }

    /// Whether worker `index` is the one asked to watch.
    pub(crate) fn is_watcher(&self, index: usize) -> bool {
        self.watcher.load(Ordering::Acquire) == index
    }

    /// Worker `index` stops watching, if it was the watcher.
    pub(crate) fn stop_watching(&self, index: usize) {
        let _ =
            self.watcher
                .compare_exchange(index, NO_WATCHER, Ordering::AcqRel, Ordering::Relaxed);
    }

    /// Returns `true` if any queue holds a runnable.
    pub(crate) fn has_work(&self) -> bool {
        !self.injector.is_empty() || self.workers.iter().any(|w| !w.local.is_empty())
    }

    /// Step 1 of shutdown: raise the flag and wake every worker.
    pub(crate) fn begin_shutdown(&self) {
        self.shutdown.store(true, Ordering::SeqCst);
        for index in self.idle.unpark_all() {
            self.workers[index].parker.unpark_driver(&self.driver);
        }
        // A worker between its last check and `park` is covered by the parker's sticky state.
        for worker in self.workers.iter() {
            worker.parker.unpark_driver(&self.driver);
        }
    }

    /// Step 3 of shutdown: drop every queued runnable.
    pub(crate) fn drain_queues(&self) {
        for worker in self.workers.iter() {
            while let Ok(runnable) = worker.local.pop() {
                drop(runnable);
            }
        }
        self.drain_injector();
    }

    fn drain_injector(&self) {
        while let Ok(runnable) = self.injector.pop() {
            drop(runnable);
        }
    }
}

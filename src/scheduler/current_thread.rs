//! The current-thread scheduler: every task runs on the thread that calls `block_on` or `run`.
//!
//! Only one thread drives the runtime at a time (it holds the *driver* role). Tasks woken on that
//! thread go to a plain local queue; tasks woken anywhere else go to the shared injector and
//! unpark the driver. When the driver leaves (its `block_on` future finished), it moves its local
//! queue into the injector so that the next driver picks the tasks up, and wakes any thread that
//! was waiting to drive.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::pin;
use std::sync::Arc as StdArc;
use std::task::{Context, Poll, Wake, Waker};

use concurrent_queue::ConcurrentQueue;

use super::multi_thread::queue::push_unbounded;
use super::multi_thread::{WorkerMetrics, GLOBAL_QUEUE_INTERVAL};
use super::park::Parker;
use super::{Local, LocalGuard, LocalKind};
use crate::loom::{lock, AtomicBool, Mutex, Ordering};
use crate::reactor::Driver;
use crate::runtime::RuntimeInner;
use crate::task::coop;
use crate::task::raw::Runnable;

/// The driver polls its `block_on` future (and checks the injector) at least once every this many
/// task polls, so a busy task set cannot starve the future the caller waits for.
const EVENT_INTERVAL: u32 = 61;

/// The driver's local queue, reachable from the schedule function through `Local`.
pub(crate) struct CoreLocal {
    queue: RefCell<VecDeque<Runnable>>,
}

impl CoreLocal {
    pub(crate) fn schedule(&self, runnable: Runnable) {
        self.queue.borrow_mut().push_back(runnable);
    }

    fn pop(&self) -> Option<Runnable> {
        self.queue.borrow_mut().pop_front()
    }
}

/// Wakes the driver's `block_on` future: flag plus unpark.
struct MainWaker {
    woken: AtomicBool,
    parker: StdArc<Parker>,
    driver: StdArc<Driver>,
}

impl Wake for MainWaker {
    fn wake(self: StdArc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &StdArc<Self>) {
        self.woken.store(true, Ordering::SeqCst);
        self.parker.unpark_driver(&self.driver);
    }
}

pub(crate) struct Shared {
    injector: ConcurrentQueue<Runnable>,
    parker: StdArc<Parker>,
    main: StdArc<MainWaker>,
    driver: StdArc<Driver>,
    driving: AtomicBool,
    /// Threads blocked in `block_on` while another thread drives.
    waiters: Mutex<Vec<Waker>>,
    shutdown: AtomicBool,
    pub(crate) metrics: WorkerMetrics,
}

impl fmt::Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("current_thread::Shared")
            .field("injector", &self.injector.len())
            .finish_non_exhaustive()
    }
}

impl Shared {
    pub(crate) fn new(driver: StdArc<Driver>) -> Shared {
        let parker = StdArc::new(Parker::new());
        Shared {
            injector: ConcurrentQueue::unbounded(),
            main: StdArc::new(MainWaker {
                woken: AtomicBool::new(false),
                parker: parker.clone(),
                driver: driver.clone(),
            }),
            driver,
            parker,
            driving: AtomicBool::new(false),
            waiters: Mutex::new(Vec::new()),
            shutdown: AtomicBool::new(false),
            metrics: WorkerMetrics::default(),
        }
    }

    pub(crate) fn injector_len(&self) -> usize {
        self.injector.len()
    }

    /// Schedules from a thread that is not the driver.
    pub(crate) fn schedule_remote(&self, runnable: Runnable) {
        if self.shutdown.load(Ordering::SeqCst) {
            drop(runnable);
            return;
        }
        push_unbounded(&self.injector, runnable);
        self.parker.unpark_driver(&self.driver);
        if self.shutdown.load(Ordering::SeqCst) {
            self.drain();
        }
    }

    /// Wakes the driver as if its `block_on` future had been woken (used by `Runtime::run`).
    pub(crate) fn wake_driver(&self) {
        self.main.wake_by_ref();
    }

    pub(crate) fn shutdown(&self) {
        self.shutdown.store(true, Ordering::SeqCst);
        self.drain();
        self.wake_driver();
    }

    fn drain(&self) {
        while let Ok(runnable) = self.injector.pop() {
            drop(runnable);
        }
    }

    /// Drives the runtime on the current thread until `poll_main` is ready.
    ///
    /// `poll_main` is polled first, then whenever the waker it was given is woken.
    pub(crate) fn block_on<R>(
        &self,
        rt: &RuntimeInner,
        mut poll_main: impl FnMut(&mut Context<'_>) -> Poll<R>,
    ) -> R {
        let thread_waker = StdArc::new(ThreadWaker {
            woken: AtomicBool::new(true),
            parker: Parker::new(),
        });
        let waker = Waker::from(thread_waker.clone());
        loop {
            if self
                .driving
                .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
            {
                return self.drive(rt, &mut poll_main);
            }
            // Somebody else drives: make progress on our own future and wait for either it or
            // the driver role.
            lock(&self.waiters).push(waker.clone());
            if !self.driving.load(Ordering::Acquire) {
                continue;
            }
            if thread_waker.woken.swap(false, Ordering::SeqCst) {
                let mut cx = Context::from_waker(&waker);
                if let Poll::Ready(value) = poll_main(&mut cx) {
                    return value;
                }
            }
            thread_waker.parker.park();
        }
    }

    fn drive<R>(
        &self,
        rt: &RuntimeInner,
        poll_main: &mut impl FnMut(&mut Context<'_>) -> Poll<R>,
    ) -> R {
        let core = CoreLocal {
            queue: RefCell::new(VecDeque::new()),
        };
        let ctx = Local {
            rt,
            kind: LocalKind::Current(&core),
        };
        let _release = Release {
            shared: self,
            core: &core,
        };
        let _guard = LocalGuard::enter(&ctx);
        let waker = Waker::from(self.main.clone());
        let mut cx = Context::from_waker(&waker);
        self.main.woken.store(true, Ordering::SeqCst);
        let mut tick: u32 = 0;
        loop {
            if self.main.woken.swap(false, Ordering::SeqCst) {
                if let Poll::Ready(value) = coop::with_budget(|| poll_main(&mut cx)) {
                    return value;
                }
            }
            let mut ran = 0;
            while ran < EVENT_INTERVAL {
                tick = tick.wrapping_add(1);
                let task = if tick % GLOBAL_QUEUE_INTERVAL == 0 {
                    self.injector.pop().ok().or_else(|| core.pop())
                } else {
                    core.pop().or_else(|| self.injector.pop().ok())
                };
                let Some(task) = task else { break };
                ran += 1;
                WorkerMetrics::bump(&self.metrics.polls, 1);
                coop::with_budget(|| task.run());
            }
            if ran == EVENT_INTERVAL {
                // Busy: give I/O and timers a non-blocking turn.
                self.driver.poll_ready();
            } else if ran == 0 && !self.main.woken.load(Ordering::SeqCst) {
                WorkerMetrics::bump(&self.metrics.parks, 1);
                self.parker.park_or_drive(&self.driver);
            }
        }
    }
}

/// Gives up the driver role when the driver leaves, even by unwinding.
struct Release<'a> {
    shared: &'a Shared,
    core: &'a CoreLocal,
}

impl Drop for Release<'_> {
    fn drop(&mut self) {
        while let Some(runnable) = self.core.pop() {
            if self.shared.shutdown.load(Ordering::SeqCst) {
                drop(runnable);
            } else {
                push_unbounded(&self.shared.injector, runnable);
            }
        }
        self.shared.driving.store(false, Ordering::Release);
        let waiters = std::mem::take(&mut *lock(&self.shared.waiters));
        for waiter in waiters {
            waiter.wake();
        }
    }
}

/// The waker of a `block_on` that waits while another thread drives.
struct ThreadWaker {
    woken: AtomicBool,
    parker: Parker,
}

impl Wake for ThreadWaker {
    fn wake(self: StdArc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &StdArc<Self>) {
        self.woken.store(true, Ordering::SeqCst);
        self.parker.unpark();
    }
}

/// Polls `future` to completion on the current thread without any runtime, parking between polls.
pub(crate) fn park_on<F: Future>(future: F) -> F::Output {
    thread_local! {
        static WAKER: (StdArc<ThreadWaker>, Waker) = {
            let inner = StdArc::new(ThreadWaker { woken: AtomicBool::new(false), parker: Parker::new() });
            let waker = Waker::from(inner.clone());
            (inner, waker)
        };
    }
    let mut future = pin!(future);
    WAKER.with(|(inner, waker)| {
        let mut cx = Context::from_waker(waker);
        loop {
            if let Poll::Ready(value) = future.as_mut().poll(&mut cx) {
                return value;
            }
            while !inner.woken.swap(false, Ordering::SeqCst) {
                inner.parker.park();
            }
        }
    })
}

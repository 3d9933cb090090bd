// TEMPORARY: replaced by the reactor's timer driver
//! A stand-in for the reactor's timer driver.
//!
//! A process-wide timer driver with the interface that the reactor will provide
//! (`TimerHandle`), so that the time types work end to end before timers are part of the
//! reactor: one global [`Wheel`] behind a mutex, and one background thread that sleeps on a
//! condition variable until the wheel's next deadline (or until a timer is armed earlier than
//! that), processes the wheel, and wakes the due wakers after releasing the lock.
//!
//! It differs from the real driver in two ways the time types do not observe: every runtime
//! shares the one wheel, and the thread lives for the rest of the process. Swapping it out is
//! the one `use` line in `time/mod.rs` that names this module.

use std::fmt;
use std::sync::OnceLock;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use crate::loom::{lock, Condvar, Mutex};
pub(crate) use crate::reactor::timer::TimerKey;
use crate::reactor::timer::Wheel;

/// The shared state of the driver.
struct Driver {
    state: Mutex<State>,
    /// Signalled when a timer is armed earlier than the deadline the thread is waiting for.
    wakeup: Condvar,
}

struct State {
    wheel: Wheel,
    /// What the driver thread is doing, so that arming a timer knows whether to wake it.
    thread: ThreadState,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ThreadState {
    /// Not started yet.
    NotStarted,
    /// Awake (or already signalled): it will look at the wheel before waiting again.
    Running,
    /// Waiting until the given instant.
    WaitingUntil(Instant),
    /// Waiting with no deadline.
    WaitingForever,
}

/// A cheap handle to the timer driver: the interface the time types are written against.
#[derive(Clone, Copy)]
pub(crate) struct TimerHandle {
    driver: &'static Driver,
}

impl fmt::Debug for TimerHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TimerHandle").finish_non_exhaustive()
    }
}

impl TimerHandle {
    /// The timer driver of the current runtime (here: the one process-wide driver). Never
    /// panics.
    pub(crate) fn current() -> TimerHandle {
        static DRIVER: OnceLock<Driver> = OnceLock::new();
        let driver = DRIVER.get_or_init(|| Driver {
            state: Mutex::new(State {
                wheel: Wheel::new(Instant::now()),
                thread: ThreadState::NotStarted,
            }),
            wakeup: Condvar::new(),
        });
        TimerHandle { driver }
    }

    /// Arms a timer that wakes `waker` once `deadline` has passed.
    pub(crate) fn insert(&self, deadline: Instant, waker: &Waker) -> TimerKey {
        let mut state = lock(&self.driver.state);
        let key = state.wheel.insert(deadline, waker.clone());
        self.after_arming(&mut state);
        key
    }

    /// Moves a timer to a new deadline, re-arming it if it had fired; it keeps the waker it
    /// has (a fired timer has none until the next [`poll_elapsed`](Self::poll_elapsed)).
    pub(crate) fn reset(&self, key: TimerKey, deadline: Instant) {
        let mut state = lock(&self.driver.state);
        if state.wheel.reset(key, deadline) {
            self.after_arming(&mut state);
        }
    }

    /// `Ready` if the timer has fired; otherwise makes `cx`'s waker the one it wakes.
    pub(crate) fn poll_elapsed(&self, key: TimerKey, cx: &Context<'_>) -> Poll<()> {
        let replaced = {
            let mut state = lock(&self.driver.state);
            if state.wheel.is_fired(key) {
                return Poll::Ready(());
            }
            state.wheel.update_waker(key, cx.waker())
        };
        // Dropped outside the lock: dropping a waker can drop a task and the timers it holds.
        drop(replaced);
        Poll::Pending
    }

    /// Removes a timer (fired or not); its key is stale afterwards.
    pub(crate) fn remove(&self, key: TimerKey) {
        let waker = {
            let mut state = lock(&self.driver.state);
            let waker = state.wheel.take_waker(key);
            state.wheel.remove(key);
            waker
        };
        drop(waker);
    }

    /// The driver's clock.
    pub(crate) fn now(&self) -> Instant {
        Instant::now()
    }

    /// Whether `key` names a timer still in the wheel, for tests.
    #[cfg(test)]
    pub(crate) fn contains(&self, key: TimerKey) -> bool {
        lock(&self.driver.state).wheel.contains(key)
    }

    /// Starts the driver thread, or wakes it if the wheel's next deadline is now earlier than
    /// the one it waits for.
    fn after_arming(&self, state: &mut State) {
        let Some(next) = state.wheel.next_deadline() else {
            return;
        };
        match state.thread {
            ThreadState::NotStarted => {
                let driver = self.driver;
                let spawned = std::thread::Builder::new()
                    .name("evloop-timer".into())
                    .spawn(move || driver.run());
                if let Err(err) = spawned {
                    panic!("failed to start the evloop timer thread: {err}");
                }
                state.thread = ThreadState::Running;
            }
            ThreadState::WaitingUntil(at) if next < at => {
                state.thread = ThreadState::Running;
                self.driver.wakeup.notify_one();
            }
            ThreadState::WaitingForever => {
                state.thread = ThreadState::Running;
                self.driver.wakeup.notify_one();
            }
            ThreadState::Running | ThreadState::WaitingUntil(_) => {}
        }
    }
}

impl Driver {
    /// The driver thread: process, wake outside the lock, sleep until the next deadline.
    fn run(&self) {
        let mut due = Vec::new();
        let mut state = lock(&self.state);
        loop {
            state.thread = ThreadState::Running;
            state.wheel.process(Instant::now(), &mut due);
            if !due.is_empty() {
                drop(state);
                for waker in due.drain(..) {
                    waker.wake();
                }
                state = lock(&self.state);
                continue;
            }
            state = match state.wheel.next_deadline() {
                None => {
                    state.thread = ThreadState::WaitingForever;
                    match self.wakeup.wait(state) {
                        Ok(guard) => guard,
                        Err(poisoned) => poisoned.into_inner(),
                    }
                }
                Some(at) => {
                    let now = Instant::now();
                    if at <= now {
                        continue;
                    }
                    state.thread = ThreadState::WaitingUntil(at);
                    match self.wakeup.wait_timeout(state, at - now) {
                        Ok((guard, _)) => guard,
                        Err(poisoned) => poisoned.into_inner().0,
                    }
                }
            };
        }
    }
}

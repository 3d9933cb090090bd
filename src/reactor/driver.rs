//! [`Driver`]: one runtime's reactor and timer wheels, and the token that makes a parked thread
//! the one that waits in the operating system.
//!
//! A thread with nothing to run calls [`Driver::try_park`]. If no other thread is driving, it
//! becomes the driver: it waits in the backend (epoll, kqueue, IOCP) until an I/O event, the
//! nearest timer deadline, or [`Driver::unpark`]; then it fires the due timers and wakes their
//! tasks. Other idle threads sleep on their own condition variables, so exactly one thread
//! blocks in the poller at a time and waking any other costs no system call on the reactor.
//!
//! Busy workers call [`Driver::poll_ready`] every so many ticks: a non-blocking turn of the
//! same loop, so that I/O and timers make progress even when no thread is ever idle.
//!
//! An idle runtime makes no periodic wake-ups: with no timer armed, the driver waits without a
//! timeout.
//!
//! Timers live in one hierarchical wheel per worker ([`WheelShard`]), each behind its own lock:
//! a worker arms timers in its own wheel, and the driving thread fires the due timers of all of
//! them. How a timer armed while the driving thread gets ready to wait still cuts that wait
//! short is [`WaitState`]'s protocol (modelled under loom).

use std::fmt;
use std::io;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use super::timer::{TimerKey as WheelKey, Wheel};
use super::Reactor;
use crate::loom::{lock, AtomicBool, AtomicU64, Mutex, MutexGuard, Ordering};

/// One timer armed in a driver: the wheel it is in, and its key there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TimerKey {
    shard: usize,
    key: WheelKey,
}

/// One of a driver's timer wheels, alone on its cache lines.
///
/// A multi-thread runtime has one wheel per worker: a worker arms its timers in its own wheel,
/// so that two workers arming timers at once do not contend for one lock (nor move one wheel's
/// memory between their caches). The driving thread fires the due timers of every wheel; other
/// threads (outside the workers) arm theirs in the first wheel.
#[repr(align(128))]
struct WheelShard {
    wheel: Mutex<Wheel>,
    /// Whether the wheel held no timer when its lock was last released. A busy worker's turn
    /// reads it without the lock and skips an empty wheel (and, with every wheel empty, the
    /// clock): a timer armed meanwhile is not due yet and is fired by a later turn, and a turn
    /// that waits reads every wheel under its lock.
    empty: AtomicBool,
}

impl WheelShard {
    fn new(now: Instant) -> WheelShard {
        WheelShard {
            wheel: Mutex::new(Wheel::new(now)),
            empty: AtomicBool::new(true),
        }
    }

    /// Locks the wheel; releasing the guard records whether it is empty.
    fn lock(&self) -> WheelGuard<'_> {
        WheelGuard {
            wheel: lock(&self.wheel),
            empty: &self.empty,
        }
    }
}

/// A locked wheel (see [`WheelShard::lock`]).
struct WheelGuard<'a> {
    wheel: MutexGuard<'a, Wheel>,
    empty: &'a AtomicBool,
}

impl std::ops::Deref for WheelGuard<'_> {
    type Target = Wheel;

    fn deref(&self) -> &Wheel {
        &self.wheel
    }
}

impl std::ops::DerefMut for WheelGuard<'_> {
    fn deref_mut(&mut self) -> &mut Wheel {
        &mut self.wheel
    }
}

impl Drop for WheelGuard<'_> {
    fn drop(&mut self) {
        // Still under the lock: the guard's fields are dropped after this.
        self.empty.store(self.wheel.is_empty(), Ordering::Release);
    }
}

/// What the driving thread is waiting for, so that arming an earlier timer knows whether to
/// interrupt its wait.
///
/// The protocol (no timer armed during a wait can be missed): the driving thread announces that
/// it is about to wait ([`WaitState::begin`]) *before* it reads the wheels' next deadlines, each
/// under that wheel's lock, and only then publishes the deadline it will wait for. A thread that
/// arms a timer reads the announcement *after* releasing the wheel's lock. Either the driving
/// thread read that wheel after the timer went in (and waits for it), or the arming thread's
/// read comes after the announcement (and interrupts the wait unless it ends earlier anyway).
#[derive(Debug)]
pub(crate) struct WaitState {
    /// [`NOT_WAITING`], [`WAIT_FOREVER`] (also while the deadline is being computed), or the
    /// instant waited for, as nanoseconds after `epoch`.
    word: AtomicU64,
    epoch: Instant,
}

/// Nobody is blocked in the poller.
const NOT_WAITING: u64 = 0;
/// Blocked with no timeout, or about to block with a timeout not computed yet.
const WAIT_FOREVER: u64 = u64::MAX;

impl WaitState {
    pub(crate) fn new(epoch: Instant) -> WaitState {
        WaitState {
            word: AtomicU64::new(NOT_WAITING),
            epoch,
        }
    }

    fn encode(&self, at: Instant) -> u64 {
        let nanos = at.saturating_duration_since(self.epoch).as_nanos();
        // Never one of the two reserved values.
        nanos.clamp(1, u128::from(WAIT_FOREVER - 1)) as u64
    }

    /// The driving thread is about to read the wheels' deadlines and wait.
    pub(crate) fn begin(&self) {
        self.word.store(WAIT_FOREVER, Ordering::SeqCst);
    }

    /// The driving thread will wait until `until` (`None`: without a timeout), or not at all.
    pub(crate) fn set(&self, until: Option<Instant>, waits: bool) {
        let word = match (waits, until) {
            (false, _) => NOT_WAITING,
            (true, None) => WAIT_FOREVER,
            (true, Some(at)) => self.encode(at),
        };
        self.word.store(word, Ordering::SeqCst);
    }

    /// The wait is over.
    pub(crate) fn end(&self) {
        if self.word.load(Ordering::Relaxed) != NOT_WAITING {
            self.word.store(NOT_WAITING, Ordering::SeqCst);
        }
    }

    /// Whether a wheel whose next deadline is now `next` (read under its lock, after arming a
    /// timer) needs the driving thread's wait interrupted. Call after releasing the lock.
    pub(crate) fn should_interrupt(&self, next: Option<Instant>) -> bool {
        let Some(next) = next else { return false };
        match self.word.load(Ordering::SeqCst) {
            NOT_WAITING => false,
            WAIT_FOREVER => true,
            until => self.encode(next) < until,
        }
    }
}

/// Whether any runtime's clock was ever paused in this process: until then, reading the current
/// runtime's clock needs no lookup of the current runtime. Set (by `pause`) before the paused
/// clock is read, by the thread that pauses it.
static ANY_CLOCK_PAUSED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// The runtime's clock: real time, unless paused (see `time::pause`).
///
/// While time was never paused, `now` is `Instant::now()` and takes no lock. Once paused, the
/// clock reads `base_virtual + (real now - base_real)` while running and `base_virtual` while
/// paused; `advance` moves `base_virtual` forward.
struct Clock {
    ever_paused: AtomicBool,
    state: Mutex<ClockState>,
}

struct ClockState {
    paused: bool,
    base_real: Instant,
    base_virtual: Instant,
}

impl Clock {
    fn new() -> Clock {
        let now = Instant::now();
        Clock {
            ever_paused: AtomicBool::new(false),
            state: Mutex::new(ClockState {
                paused: false,
                base_real: now,
                base_virtual: now,
            }),
        }
    }

    fn now(&self) -> Instant {
        if !self.ever_paused.load(Ordering::Acquire) {
            return Instant::now();
        }
        let state = lock(&self.state);
        if state.paused {
            state.base_virtual
        } else {
            state.base_virtual + Instant::now().saturating_duration_since(state.base_real)
        }
    }

    fn is_paused(&self) -> bool {
        self.ever_paused.load(Ordering::Acquire) && lock(&self.state).paused
    }
}

/// A runtime's I/O and timer driver.
pub(crate) struct Driver {
    reactor: Arc<Reactor>,
    clock: Clock,
    /// The timer wheels; see [`WheelShard`].
    wheels: Box<[WheelShard]>,
    waiting: WaitState,
    /// Set once by `shutdown`: a timer armed afterwards fires at once.
    shut_down: AtomicBool,
    /// Held by the thread that currently drives (polls the reactor).
    driving: AtomicBool,
    /// How many turns have ended; written only by the thread holding `driving`.
    turns: AtomicU64,
}

impl fmt::Debug for Driver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Driver")
            .field("reactor", &self.reactor)
            .finish_non_exhaustive()
    }
}

impl Driver {
    /// A driver with one timer wheel.
    #[cfg(test)]
    pub(crate) fn new() -> io::Result<Driver> {
        Driver::with_timer_wheels(1)
    }

    /// A driver with `wheels` timer wheels (at least one): one per worker of a multi-thread
    /// runtime.
    pub(crate) fn with_timer_wheels(wheels: usize) -> io::Result<Driver> {
        let clock = Clock::new();
        let now = clock.now();
        Ok(Driver {
            reactor: Arc::new(Reactor::new()?),
            wheels: (0..wheels.max(1)).map(|_| WheelShard::new(now)).collect(),
            waiting: WaitState::new(now),
            shut_down: AtomicBool::new(false),
            driving: AtomicBool::new(false),
            turns: AtomicU64::new(0),
            clock,
        })
    }

    /// The runtime's clock.
    pub(crate) fn now(&self) -> Instant {
        self.clock.now()
    }

    /// Freezes the clock (`time::pause`). Pausing a paused clock does nothing.
    pub(crate) fn pause(&self) {
        let mut state = lock(&self.clock.state);
        if !state.paused {
            let real = Instant::now();
            let ran = real.saturating_duration_since(state.base_real);
            state.base_virtual += ran;
            state.base_real = real;
            state.paused = true;
        }
        self.clock.ever_paused.store(true, Ordering::Release);
        ANY_CLOCK_PAUSED.store(true, Ordering::Release);
    }

    /// Lets the clock run again from where it stands (`time::resume`).
    pub(crate) fn resume(&self) {
        let mut state = lock(&self.clock.state);
        if state.paused {
            state.base_real = Instant::now();
            state.paused = false;
        }
    }

    /// Moves a paused clock forward by `by` and fires the timers that are then due
    /// (`time::advance`). Returns `false` if the clock is not paused.
    pub(crate) fn advance(&self, by: Duration) -> bool {
        {
            let mut state = lock(&self.clock.state);
            if !state.paused {
                return false;
            }
            state.base_virtual += by;
        }
        self.fire_timers();
        true
    }

    /// The reactor I/O objects register with.
    pub(crate) fn reactor(&self) -> &Arc<Reactor> {
        &self.reactor
    }

    fn try_acquire(&self) -> bool {
        !self.driving.load(Ordering::Relaxed)
            && self
                .driving
                .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
    }

    fn release(&self) {
        // Only the holder writes: a load and a store, no read-modify-write.
        self.turns
            .store(self.turns.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
        self.driving.store(false, Ordering::Release);
    }

    /// Whether a thread drives now, and how many turns have ended so far: a thread that sees
    /// no driver and the same count twice knows that nobody turned the driver in between.
    pub(crate) fn progress(&self) -> (bool, u64) {
        (
            self.driving.load(Ordering::Relaxed),
            self.turns.load(Ordering::Relaxed),
        )
    }

    /// If no other thread drives, calls `before_wait` (the caller's last chance to see a pending
    /// notification: if it returns `false` the wait is skipped) and waits for I/O, the nearest
    /// timer or [`Driver::unpark`], then fires due timers. Returns `false` without waiting if
    /// another thread drives.
    pub(crate) fn try_park(&self, before_wait: impl FnOnce() -> bool) -> bool {
        if !self.try_acquire() {
            return false;
        }
        if before_wait() {
            self.turn(None);
        }
        self.release();
        true
    }

    /// A non-blocking turn: dispatch ready I/O and fire due timers, unless another thread drives.
    pub(crate) fn poll_ready(&self) {
        if self.try_acquire() {
            self.turn(Some(Duration::ZERO));
            self.release();
        }
    }

    /// Makes the driving thread's wait return.
    pub(crate) fn unpark(&self) {
        // A failed write to the wake-up descriptor leaves the driver asleep until its next
        // event or deadline; there is nobody to report it to, and retrying cannot help.
        let _ = self.reactor.notify();
    }

    /// One turn of the loop; the caller holds the driving token.
    fn turn(&self, max_wait: Option<Duration>) {
        if max_wait == Some(Duration::ZERO) {
            // A busy worker's turn: no deadline to compute, and with no I/O source registered
            // no event to collect, so no system call at all.
            if self.reactor.has_sources() {
                let _ = self.reactor.poll(Some(Duration::ZERO));
            }
            if self
                .wheels
                .iter()
                .any(|shard| !shard.empty.load(Ordering::Acquire))
            {
                self.fire_timers();
            }
            return;
        }
        let paused = self.clock.is_paused();
        // Before reading the wheels: see `WaitState`.
        self.waiting.begin();
        let next = self.next_deadline();
        if paused {
            if let Some(next) = next {
                // Paused time and nothing else to do: jump to the next timer, so that a test
                // sleeping an hour takes no time at all.
                let mut state = lock(&self.clock.state);
                if next > state.base_virtual {
                    state.base_virtual = next;
                }
            }
        }
        let now = self.clock.now();
        let until_timer = next.map(|at| at.saturating_duration_since(now));
        let timeout = match (max_wait, until_timer) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.waiting
            .set(timeout.map(|t| now + t), timeout != Some(Duration::ZERO));
        // An error from the backend (other than an interrupted wait) means the poller itself is
        // broken; the timers below still fire, and the next turn tries again.
        let _ = self.reactor.poll(timeout);
        self.fire_timers();
    }

    /// The earliest deadline of all wheels.
    fn next_deadline(&self) -> Option<Instant> {
        self.wheels
            .iter()
            .filter_map(|shard| shard.lock().next_deadline())
            .min()
    }

    fn fire_timers(&self) {
        self.waiting.end();
        let mut due = Vec::new();
        let now = self.clock.now();
        for shard in self.wheels.iter() {
            shard.lock().process(now, &mut due);
        }
        for waker in due {
            waker.wake();
        }
    }

    /// Shuts the driver down: every task waiting on I/O or a timer is woken (and, the runtime
    /// being shut down, dropped), breaking the cycles between tasks and the driver.
    pub(crate) fn shutdown(&self) {
        self.reactor.shutdown();
        // Before the wheels are emptied: a timer armed from now on fires at once (see
        // `insert_timer`, which looks at the flag under its wheel's lock).
        self.shut_down.store(true, Ordering::SeqCst);
        let mut wakers = Vec::new();
        for shard in self.wheels.iter() {
            shard.lock().process(far_future(), &mut wakers);
        }
        for waker in wakers {
            waker.wake();
        }
    }

    /// The wheel this thread arms its timers in: its worker's, on a worker thread.
    fn home_wheel(&self) -> usize {
        if self.wheels.len() == 1 {
            return 0;
        }
        crate::scheduler::current_worker_index().map_or(0, |index| index % self.wheels.len())
    }

    // ===== Timers =====

    /// Arms a timer that wakes `waker` once `deadline` has passed.
    pub(crate) fn insert_timer(&self, deadline: Instant, waker: &Waker) -> TimerKey {
        let shard = self.home_wheel();
        let (key, next) = {
            let mut wheel = self.wheels[shard].lock();
            let key = wheel.insert(deadline, waker.clone());
            if self.shut_down.load(Ordering::SeqCst) {
                // Nothing will ever fire it: fire it now, so the task does not hang.
                let mut wakers = Vec::new();
                wheel.process(far_future(), &mut wakers);
                drop(wheel);
                wakers.into_iter().for_each(Waker::wake);
                return TimerKey { shard, key };
            }
            (key, wheel.next_deadline())
        };
        if self.waiting.should_interrupt(next) {
            self.unpark();
        }
        TimerKey { shard, key }
    }

    /// Moves an armed timer to a new deadline. Returns `false`, doing nothing, if the timer has
    /// fired or was removed (its key is stale): arming it again takes a new insertion.
    pub(crate) fn reset_timer(&self, key: TimerKey, deadline: Instant) -> bool {
        let (armed, next) = {
            let mut wheel = self.wheels[key.shard].lock();
            let armed = wheel.reset(key.key, deadline);
            (armed, wheel.next_deadline())
        };
        if armed && self.waiting.should_interrupt(next) {
            self.unpark();
        }
        armed
    }

    /// `Ready` if the timer has fired; otherwise makes `cx`'s waker the one it wakes.
    pub(crate) fn poll_timer(&self, key: TimerKey, cx: &Context<'_>) -> Poll<()> {
        let replaced = {
            let mut wheel = self.wheels[key.shard].lock();
            if wheel.is_fired(key.key) {
                return Poll::Ready(());
            }
            wheel.update_waker(key.key, cx.waker())
        };
        // Dropped outside the lock: dropping a waker can drop a task and the timers it holds.
        drop(replaced);
        Poll::Pending
    }

    /// Removes a timer that has not fired (for one that has, this does nothing).
    pub(crate) fn remove_timer(&self, key: TimerKey) {
        let waker = {
            let mut wheel = self.wheels[key.shard].lock();
            let waker = wheel.take_waker(key.key);
            wheel.remove(key.key);
            waker
        };
        drop(waker);
    }

    #[cfg(test)]
    pub(crate) fn contains_timer(&self, key: TimerKey) -> bool {
        self.wheels[key.shard].lock().contains(key.key)
    }
}

/// An instant later than every deadline a timer can have (the time types cap deadlines at 30
/// years from when they are set).
fn far_future() -> Instant {
    let now = Instant::now();
    now.checked_add(Duration::from_secs(86400 * 365 * 31))
        .unwrap_or(now)
}

impl Driver {
    /// Calls `f` with the current runtime's driver, or the global runtime's outside any.
    ///
    /// The driver is borrowed from the thread-local context, not cloned: a clone would be a
    /// read-modify-write on a reference count that every worker of the runtime shares, which is
    /// what a timer that never needs the driver (a timeout whose future is ready at once) would
    /// otherwise pay for. `f` runs while the context is borrowed, so it must not enter a runtime
    /// or wake anything.
    pub(crate) fn with_current<R>(f: impl FnOnce(&Arc<Driver>) -> R) -> R {
        match crate::runtime::context::try_with_current(f, |handle, f| f(&handle.inner.driver)) {
            Ok(r) => r,
            Err(f) => f(&crate::runtime::Handle::global().inner.driver),
        }
    }
}

/// Which runtime's timers a time type uses: what `Sleep`, `Timeout` and `Interval` are written
/// against.
///
/// A handle is either *bound* to a driver or *unbound*. An unbound handle (what `sleep` and
/// `timeout` create, so that creating and dropping one touches nothing shared) reads the clock
/// of the current runtime and binds to it when its first timer is inserted; a bound one
/// ([`TimerHandle::current`]) holds the driver from the start.
#[derive(Clone)]
pub(crate) struct TimerHandle {
    driver: Option<Arc<Driver>>,
}

impl fmt::Debug for TimerHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TimerHandle")
            .field("bound", &self.driver.is_some())
            .finish_non_exhaustive()
    }
}

impl TimerHandle {
    /// The timers of the current runtime, or of the global runtime outside any, bound now.
    /// Never panics.
    pub(crate) fn current() -> TimerHandle {
        TimerHandle {
            driver: Some(Driver::with_current(Arc::clone)),
        }
    }

    /// A handle that binds to the current runtime's timers (the global runtime's outside any)
    /// when its first timer is inserted. Costs nothing.
    pub(crate) const fn unbound() -> TimerHandle {
        TimerHandle { driver: None }
    }

    /// The current runtime's clock (the global runtime's outside any), without binding to it.
    ///
    /// While no runtime's clock was ever paused every clock is `Instant::now()`, read without
    /// looking the runtime up.
    #[inline]
    pub(crate) fn current_now() -> Instant {
        if !ANY_CLOCK_PAUSED.load(Ordering::Acquire) {
            return Instant::now();
        }
        Driver::with_current(|driver| driver.now())
    }

    /// Unless `deadline` has passed on the clock of this handle's driver, binds the handle (if
    /// it is unbound) and arms a timer that wakes `waker` at `deadline`. `None` if it has passed.
    pub(crate) fn insert_unless_due(
        &mut self,
        deadline: Instant,
        waker: &Waker,
    ) -> Option<TimerKey> {
        let driver = match &self.driver {
            Some(driver) => {
                if deadline <= driver.now() {
                    return None;
                }
                driver
            }
            None => {
                // The clone happens only for a timer that is really armed; the insertion itself
                // runs outside the borrow of the context (it may wake tasks).
                let driver = Driver::with_current(|driver| {
                    (deadline > driver.now()).then(|| driver.clone())
                })?;
                self.driver.insert(driver)
            }
        };
        Some(driver.insert_timer(deadline, waker))
    }

    fn bound(&self) -> &Driver {
        self.driver
            .as_deref()
            .expect("a timer key exists only for a bound handle")
    }

    /// Moves the timer `key` (inserted through this handle) to `deadline`; `false` if it has
    /// fired or was removed, and so needs inserting again.
    pub(crate) fn reset(&self, key: TimerKey, deadline: Instant) -> bool {
        self.bound().reset_timer(key, deadline)
    }

    /// Polls the timer `key` (inserted through this handle).
    pub(crate) fn poll_elapsed(&self, key: TimerKey, cx: &Context<'_>) -> Poll<()> {
        self.bound().poll_timer(key, cx)
    }

    /// Removes the timer `key` (inserted through this handle).
    pub(crate) fn remove(&self, key: TimerKey) {
        self.bound().remove_timer(key);
    }

    /// The clock of this handle's driver; for an unbound handle, the current runtime's.
    pub(crate) fn now(&self) -> Instant {
        match &self.driver {
            Some(driver) => driver.now(),
            None => TimerHandle::current_now(),
        }
    }

    #[cfg(test)]
    pub(crate) fn contains(&self, key: TimerKey) -> bool {
        self.bound().contains_timer(key)
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use std::time::{Duration, Instant};

    use loom::sync::Arc;
    use loom::thread;

    use super::WaitState;
    use crate::loom::{lock, AtomicBool, Mutex, Ordering};

    /// The driving thread computes its wait from a wheel (reduced here to its next deadline)
    /// while another thread arms an earlier timer in it: either the wait ends by that timer's
    /// deadline, or the arming thread interrupts it.
    #[test]
    fn a_timer_armed_while_the_driver_gets_ready_to_wait_is_not_missed() {
        for already_armed in [None, Some(5)] {
            loom::model(move || {
                let epoch = Instant::now();
                let at = move |ms| epoch + Duration::from_millis(ms);
                let shared = Arc::new((
                    WaitState::new(epoch),
                    Mutex::new(already_armed.map(at)),
                    AtomicBool::new(false),
                ));
                let armer = {
                    let shared = shared.clone();
                    thread::spawn(move || {
                        let (waiting, wheel, interrupted) = &*shared;
                        let next = {
                            let mut wheel = lock(wheel);
                            let next = wheel.map_or(at(1), |armed| armed.min(at(1)));
                            *wheel = Some(next);
                            Some(next)
                        };
                        if waiting.should_interrupt(next) {
                            interrupted.store(true, Ordering::SeqCst);
                        }
                    })
                };
                let (waiting, wheel, interrupted) = &*shared;
                waiting.begin();
                let until = *lock(wheel);
                waiting.set(until, true);
                armer.join().unwrap();
                let ends_by_the_new_timer = until.is_some_and(|until| until <= at(1));
                assert!(
                    ends_by_the_new_timer || interrupted.load(Ordering::SeqCst),
                    "the driver would sleep past the new timer"
                );
                waiting.end();
            });
        }
    }
}

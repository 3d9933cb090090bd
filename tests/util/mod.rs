//! Helpers shared by the runtime and task integration tests.
//!
//! - [`rt_test!`] turns one test body into three tests: on a current-thread runtime, on a
//!   multi-thread runtime with one worker and on one with four workers. Every body runs under a
//!   watchdog, so a hang fails the test (after [`HANG_LIMIT`]) instead of stalling the suite.
//!   [`rt_tests!`] does the same for the `sync` tests' `async fn`s, on two flavours.
//! - Counters that assert exact numbers: [`DropCounter`] (destructors run), [`PollCounter`]
//!   (polls of a future).
//! - Small synchronization tools that do not depend on the runtime under test: a [`oneshot`]
//!   channel and a [`Flag`] that can be awaited by a task or waited for by a plain thread.
//!
//! Deadlines here are hang guards only; no test asserts how fast anything is.

// Each test binary uses its own subset of these helpers.
#![allow(dead_code, unused_macros)]

use std::any::Any;
use std::future::Future;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::{Duration, Instant};

use evloop::runtime::{Builder, Runtime};
use evloop::task::JoinError;

/// How long a test may run before the watchdog declares it hung.
///
/// Far above what any test needs (a few seconds in a debug build on two cores); it only exists
/// so that a deadlock shows up as a failure with a name instead of a stuck test run.
pub const HANG_LIMIT: Duration = Duration::from_secs(30);

/// How long [`wait_until`] and the blocking waits give a condition that must eventually hold;
/// shorter than [`HANG_LIMIT`] so that they report what they waited for before the watchdog
/// fires.
pub const WAIT_LIMIT: Duration = Duration::from_secs(20);

/// The runtime configurations every [`rt_test!`] body runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    /// `Builder::new_current_thread()`.
    CurrentThread,
    /// `Builder::new_multi_thread()` with this many workers.
    MultiThread(usize),
}

impl Flavor {
    /// The configurations [`rt_test!`] covers, in the order its tests are generated.
    pub const ALL: [Flavor; 3] = [
        Flavor::CurrentThread,
        Flavor::MultiThread(1),
        Flavor::MultiThread(4),
    ];

    /// A builder for this flavor, for tests that want to add settings.
    pub fn builder(self) -> Builder {
        let mut builder = match self {
            Flavor::CurrentThread => Builder::new_current_thread(),
            Flavor::MultiThread(workers) => {
                let mut builder = Builder::new_multi_thread();
                builder.worker_threads(workers);
                builder
            }
        };
        builder.enable_all();
        builder
    }

    /// Builds a runtime of this flavor, failing the test if that is refused.
    #[track_caller]
    pub fn build(self) -> Runtime {
        match self.builder().build() {
            Ok(rt) => rt,
            Err(err) => panic!("building a {self:?} runtime failed: {err}"),
        }
    }

    /// Number of workers a runtime of this flavor reports.
    pub fn workers(self) -> usize {
        match self {
            Flavor::CurrentThread => 1,
            Flavor::MultiThread(workers) => workers,
        }
    }
}

/// Defines one test per runtime flavor from a single body.
///
/// ```ignore
/// rt_test! {
///     /// Doc comments and attributes apply to every generated test.
///     fn spawn_returns_output(rt) {
///         assert_eq!(rt.block_on(async { evloop::spawn(async { 1 }).await.unwrap() }), 1);
///     }
/// }
/// ```
///
/// expands to a module `spawn_returns_output` holding the tests `current_thread`,
/// `multi_thread_1_worker` and `multi_thread_4_workers`; the body receives the runtime by value
/// (so it may call `run`, `shutdown_timeout` or drop it) and runs under the watchdog.
macro_rules! rt_test {
    ($( $(#[$attr:meta])* fn $name:ident($rt:ident) $body:block )+) => {
        $(
            mod $name {
                #[allow(unused_imports)]
                use super::*;

                fn body($rt: ::evloop::runtime::Runtime) $body

                $(#[$attr])*
                #[test]
                fn current_thread() {
                    crate::util::run_test(crate::util::Flavor::CurrentThread, body);
                }

                $(#[$attr])*
                #[test]
                fn multi_thread_1_worker() {
                    crate::util::run_test(crate::util::Flavor::MultiThread(1), body);
                }

                $(#[$attr])*
                #[test]
                fn multi_thread_4_workers() {
                    crate::util::run_test(crate::util::Flavor::MultiThread(4), body);
                }
            }
        )+
    };
}

/// For the `sync` tests, whose types work on any executor: turns each `async fn` into two
/// `#[evloop::test]`s, in a module `current_thread` (the default flavour) and in a module
/// `multi_thread` (two workers).
macro_rules! rt_tests {
    ($(async fn $name:ident() $body:block)*) => {
        mod current_thread {
            #[allow(unused_imports)]
            use super::*;
            $(#[evloop::test] async fn $name() $body)*
        }
        mod multi_thread {
            #[allow(unused_imports)]
            use super::*;
            $(#[evloop::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() $body)*
        }
    };
}

/// Builds a runtime of `flavor` and runs `body` with it under the watchdog.
#[track_caller]
pub fn run_test(flavor: Flavor, body: fn(Runtime)) {
    with_watchdog(move || body(flavor.build()));
}

/// Runs `f` on a fresh thread and returns its result; fails the test if `f` panics (with the
/// original panic) or if it has not returned after [`HANG_LIMIT`].
///
/// The fresh thread is named after the calling test so that panic messages point at it. On a
/// hang the thread is abandoned; the test binary exits without it.
#[track_caller]
pub fn with_watchdog<R, F>(f: F) -> R
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let name = thread::current().name().unwrap_or("test").to_string();
    let (tx, rx) = mpsc::channel();
    let thread = thread::Builder::new()
        .name(name.clone())
        .spawn(move || {
            let result = catch_unwind(AssertUnwindSafe(f));
            let _ = tx.send(result);
        })
        .expect("failed to start the test thread");
    match rx.recv_timeout(HANG_LIMIT) {
        Ok(Ok(value)) => {
            let _ = thread.join();
            value
        }
        Ok(Err(panic)) => {
            let _ = thread.join();
            resume_unwind(panic)
        }
        Err(RecvTimeoutError::Timeout) => {
            panic!("{name}: hung (still running after {HANG_LIMIT:?})")
        }
        Err(RecvTimeoutError::Disconnected) => unreachable!("the test thread always reports"),
    }
}

/// Blocks the calling (non-runtime) thread until `cond` holds, polling it; panics after
/// [`WAIT_LIMIT`]. Use it only to wait for something that must eventually happen.
#[track_caller]
pub fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + WAIT_LIMIT;
    while !cond() {
        assert!(Instant::now() < deadline, "gave up waiting for {what}");
        thread::sleep(Duration::from_millis(1));
    }
}

/// Yields (inside a task) until `cond` holds. The caller's watchdog guards against hangs.
pub async fn yield_until(mut cond: impl FnMut() -> bool) {
    while !cond() {
        evloop::task::yield_now().await;
    }
}

/// Counts destructor runs of the [`DropToken`]s it hands out.
#[derive(Clone, Debug, Default)]
pub struct DropCounter {
    drops: Arc<AtomicUsize>,
}

/// Bumps its [`DropCounter`] when dropped; move it into a future to observe the future's drop.
#[derive(Debug)]
pub struct DropToken {
    drops: Arc<AtomicUsize>,
}

impl Drop for DropToken {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::SeqCst);
    }
}

impl DropCounter {
    pub fn new() -> DropCounter {
        DropCounter::default()
    }

    /// A new token; dropping it counts one drop.
    pub fn token(&self) -> DropToken {
        DropToken {
            drops: self.drops.clone(),
        }
    }

    /// Drops counted so far.
    pub fn get(&self) -> usize {
        self.drops.load(Ordering::SeqCst)
    }

    /// Asserts that exactly `expected` tokens have been dropped.
    #[track_caller]
    pub fn assert(&self, expected: usize, context: &str) {
        assert_eq!(self.get(), expected, "destructors run: {context}");
    }

    /// Waits (on a plain thread) until `expected` drops are counted, then checks that there are
    /// not more. Hang guard only.
    #[track_caller]
    pub fn wait_for(&self, expected: usize, context: &str) {
        let deadline = Instant::now() + WAIT_LIMIT;
        while self.get() < expected {
            assert!(
                Instant::now() < deadline,
                "gave up waiting for {context}: {} of {expected} destructors ran",
                self.get()
            );
            thread::sleep(Duration::from_millis(1));
        }
        self.assert(expected, context);
    }
}

/// Wraps `future` so that dropping it (finished or not, polled or not) drops `token`.
pub async fn track_drop<F: Future>(token: DropToken, future: F) -> F::Output {
    let _token = token;
    future.await
}

/// Counts polls of the futures wrapped with [`PollCounter::wrap`].
#[derive(Clone, Debug, Default)]
pub struct PollCounter {
    polls: Arc<AtomicUsize>,
}

impl PollCounter {
    pub fn new() -> PollCounter {
        PollCounter::default()
    }

    pub fn wrap<F: Future>(&self, future: F) -> Counted<F> {
        Counted {
            future: Box::pin(future),
            polls: self.polls.clone(),
        }
    }

    pub fn get(&self) -> usize {
        self.polls.load(Ordering::SeqCst)
    }
}

/// A future that counts its polls; see [`PollCounter`].
pub struct Counted<F> {
    future: Pin<Box<F>>,
    polls: Arc<AtomicUsize>,
}

impl<F: Future> Future for Counted<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.polls.fetch_add(1, Ordering::SeqCst);
        self.future.as_mut().poll(cx)
    }
}

/// A future that is pending forever but, unlike `std::future::pending`, keeps its latest waker
/// (so its task stays referenced by itself and is never freed before the runtime drops it).
pub fn pending_with_waker<T>() -> PendingWithWaker<T> {
    PendingWithWaker {
        waker: None,
        _output: std::marker::PhantomData,
    }
}

/// See [`pending_with_waker`].
pub struct PendingWithWaker<T> {
    waker: Option<Waker>,
    _output: std::marker::PhantomData<fn() -> T>,
}

impl<T> Future for PendingWithWaker<T> {
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        self.waker = Some(cx.waker().clone());
        Poll::Pending
    }
}

/// The receiver's error when the sender was dropped without sending.
#[derive(Debug, PartialEq, Eq)]
pub struct Closed;

/// A single-value channel built on a mutex and a stored waker, independent of the runtime under
/// test. The receiver is a future; the sender works from any thread.
pub fn oneshot<T>() -> (Sender<T>, Receiver<T>) {
    let slot = Arc::new(Mutex::new(Slot {
        value: None,
        waker: None,
        closed: false,
    }));
    (Sender { slot: slot.clone() }, Receiver { slot })
}

struct Slot<T> {
    value: Option<T>,
    waker: Option<Waker>,
    /// Set when the sender is gone.
    closed: bool,
}

pub struct Sender<T> {
    slot: Arc<Mutex<Slot<T>>>,
}

pub struct Receiver<T> {
    slot: Arc<Mutex<Slot<T>>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl<T> Sender<T> {
    /// Returns `true` once the receiver has been polled and is waiting for a value.
    pub fn has_waiter(&self) -> bool {
        lock(&self.slot).waker.is_some()
    }

    /// Sends `value`, waking the receiver. Dropping the sender afterwards closes the channel,
    /// but the value stays available.
    pub fn send(self, value: T) {
        let waker = {
            let mut slot = lock(&self.slot);
            slot.value = Some(value);
            slot.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let waker = {
            let mut slot = lock(&self.slot);
            slot.closed = true;
            slot.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl<T> Future for Receiver<T> {
    type Output = Result<T, Closed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut slot = lock(&self.slot);
        if let Some(value) = slot.value.take() {
            return Poll::Ready(Ok(value));
        }
        if slot.closed {
            return Poll::Ready(Err(Closed));
        }
        slot.waker = Some(cx.waker().clone());
        Poll::Pending
    }
}

/// An unbounded multi-producer channel on a mutex and a stored waker, independent of the
/// runtime under test.
pub fn channel<T>() -> (ChanSender<T>, ChanReceiver<T>) {
    let inner = Arc::new(Mutex::new(Chan {
        queue: std::collections::VecDeque::new(),
        waker: None,
        senders: 1,
    }));
    (
        ChanSender {
            inner: inner.clone(),
        },
        ChanReceiver { inner },
    )
}

struct Chan<T> {
    queue: std::collections::VecDeque<T>,
    waker: Option<Waker>,
    senders: usize,
}

pub struct ChanSender<T> {
    inner: Arc<Mutex<Chan<T>>>,
}

pub struct ChanReceiver<T> {
    inner: Arc<Mutex<Chan<T>>>,
}

impl<T> ChanSender<T> {
    pub fn send(&self, value: T) {
        let waker = {
            let mut chan = lock(&self.inner);
            chan.queue.push_back(value);
            chan.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl<T> Clone for ChanSender<T> {
    fn clone(&self) -> Self {
        lock(&self.inner).senders += 1;
        ChanSender {
            inner: self.inner.clone(),
        }
    }
}

impl<T> Drop for ChanSender<T> {
    fn drop(&mut self) {
        let waker = {
            let mut chan = lock(&self.inner);
            chan.senders -= 1;
            if chan.senders == 0 {
                chan.waker.take()
            } else {
                None
            }
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl<T> ChanReceiver<T> {
    /// The next value, or `None` once every sender is gone and the queue is empty.
    pub async fn recv(&mut self) -> Option<T> {
        std::future::poll_fn(|cx| {
            let mut chan = lock(&self.inner);
            if let Some(value) = chan.queue.pop_front() {
                Poll::Ready(Some(value))
            } else if chan.senders == 0 {
                Poll::Ready(None)
            } else {
                chan.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        })
        .await
    }
}

/// A flag that is set once and can be waited for by tasks (`wait().await`) and by plain threads
/// (`wait_blocking`).
#[derive(Clone, Default)]
pub struct Flag {
    inner: Arc<FlagInner>,
}

#[derive(Default)]
struct FlagInner {
    state: Mutex<FlagState>,
    cvar: Condvar,
}

#[derive(Default)]
struct FlagState {
    set: bool,
    wakers: Vec<Waker>,
}

impl Flag {
    pub fn new() -> Flag {
        Flag::default()
    }

    /// Sets the flag and wakes every waiter.
    pub fn set(&self) {
        let wakers = {
            let mut state = lock(&self.inner.state);
            state.set = true;
            std::mem::take(&mut state.wakers)
        };
        self.inner.cvar.notify_all();
        for waker in wakers {
            waker.wake();
        }
    }

    pub fn is_set(&self) -> bool {
        lock(&self.inner.state).set
    }

    /// Resolves once the flag is set.
    pub fn wait(&self) -> impl Future<Output = ()> + Send + 'static {
        let inner = self.inner.clone();
        std::future::poll_fn(move |cx| {
            let mut state = lock(&inner.state);
            if state.set {
                Poll::Ready(())
            } else {
                state.wakers.push(cx.waker().clone());
                Poll::Pending
            }
        })
    }

    /// Blocks the calling thread until the flag is set; panics after [`WAIT_LIMIT`].
    #[track_caller]
    pub fn wait_blocking(&self, what: &str) {
        let deadline = Instant::now() + WAIT_LIMIT;
        let mut state = lock(&self.inner.state);
        while !state.set {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(!left.is_zero(), "gave up waiting for {what}");
            state = match self.inner.cvar.wait_timeout(state, left) {
                Ok((state, _)) => state,
                Err(poisoned) => poisoned.into_inner().0,
            };
        }
    }
}

/// Sets a [`Flag`] once it has been hit `n` times.
#[derive(Clone)]
pub struct CountDown {
    left: Arc<AtomicUsize>,
    done: Flag,
}

impl CountDown {
    pub fn new(n: usize) -> CountDown {
        let done = Flag::new();
        if n == 0 {
            done.set();
        }
        CountDown {
            left: Arc::new(AtomicUsize::new(n)),
            done,
        }
    }

    /// Counts one; the last hit sets the flag.
    pub fn hit(&self) {
        if self.left.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.done.set();
        }
    }

    pub fn left(&self) -> usize {
        self.left.load(Ordering::SeqCst)
    }

    pub fn wait(&self) -> impl Future<Output = ()> + Send + 'static {
        self.done.wait()
    }

    #[track_caller]
    pub fn wait_blocking(&self, what: &str) {
        self.done.wait_blocking(what);
    }
}

/// The message of a panic payload, if it is a string.
pub fn panic_message(payload: &(dyn Any + Send)) -> Option<String> {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        Some((*s).to_string())
    } else {
        payload.downcast_ref::<String>().cloned()
    }
}

/// Asserts that `result` is a cancellation.
#[track_caller]
pub fn assert_cancelled<T: std::fmt::Debug>(result: Result<T, JoinError>) {
    match result {
        Err(err) => assert!(err.is_cancelled(), "expected a cancellation, got {err:?}"),
        Ok(value) => panic!("expected a cancellation, got Ok({value:?})"),
    }
}

/// Asserts that `result` is a panic and returns its message.
#[track_caller]
pub fn expect_panic<T: std::fmt::Debug>(result: Result<T, JoinError>) -> String {
    match result {
        Err(err) => {
            assert!(err.is_panic(), "expected a panic, got {err:?}");
            assert!(!err.is_cancelled());
            let payload = err.into_panic();
            panic_message(&*payload).expect("the panic payload is not a string")
        }
        Ok(value) => panic!("expected a panic, got Ok({value:?})"),
    }
}

/// Runs `f` on the calling thread, expecting it to panic; returns the panic message.
#[track_caller]
pub fn catch_panic_message<R>(f: impl FnOnce() -> R) -> String {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(_) => panic!("expected a panic"),
        Err(payload) => panic_message(&*payload).expect("the panic payload is not a string"),
    }
}

/// Windows has no per-process limit on open handles of the kind `RLIMIT_NOFILE` sets: all of
/// them.
#[cfg(not(unix))]
pub fn open_file_budget(wanted: usize) -> usize {
    wanted
}

/// Makes room for `wanted` more open descriptors in this process if the limits allow it:
/// raises the soft `RLIMIT_NOFILE` towards the hard limit when it is too low, and returns how
/// many of the `wanted` descriptors the test may use (all of them, or fewer when even the hard
/// limit is too low, keeping a reserve for the harness and the tests running alongside).
#[cfg(unix)]
pub fn open_file_budget(wanted: usize) -> usize {
    use rustix::process::{getrlimit, setrlimit, Resource};

    const RESERVE: u64 = 256;
    let limit = getrlimit(Resource::Nofile);
    let needed = wanted as u64 + RESERVE;
    let soft = limit.current.unwrap_or(u64::MAX);
    if soft >= needed {
        return wanted;
    }
    let raised = limit.maximum.map_or(needed, |hard| hard.min(needed));
    if raised > soft {
        let mut new = limit;
        new.current = Some(raised);
        if setrlimit(Resource::Nofile, new).is_ok() {
            return wanted.min(raised.saturating_sub(RESERVE) as usize);
        }
    }
    let usable = (soft.saturating_sub(RESERVE) as usize).max(16).min(wanted);
    eprintln!("open-file limit {soft}: using {usable} descriptors instead of {wanted}");
    usable
}

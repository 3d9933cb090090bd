//! A pool of threads that run blocking jobs.
//!
//! All bookkeeping lives in one [`State`] behind a `Mutex`, held only for a
//! few instructions at a time (never across a wake-up, a thread start is the
//! one exception). Jobs wait in one FIFO queue. Each idle thread sleeps on its
//! own [`Slot`]; the idle threads form a stack. The pool keeps at most one
//! thread *on its way* to the queue at a time (`State::waking`):
//!
//! * `schedule` queues the job and, unless a thread is already on its way,
//!   wakes the most recently idled thread (or starts one if none is idle);
//! * a thread that takes a job and leaves others queued calls the next thread
//!   the same way before it runs its job, so a job that blocks for long never
//!   holds up the ones behind it for more than a wake-up;
//! * a thread that finishes a job takes the next queued one without sleeping.
//!
//! So a burst of jobs costs one wake-up at a time instead of one per job, the
//! threads already running serve a steady stream of short jobs back to back
//! (on a small machine, a few threads with warm caches instead of one thread
//! per job in flight), a wake-up goes to exactly one thread, which does not
//! wake the others, and the threads at the bottom of the stack reach their
//! keep-alive and exit. Measured on 2 cores, reading 10,000 small files from
//! 64 tasks: 60 ms with one thread woken per job, 43-47 ms this way.
//!
//! A thread that shuts the pool down sleeps on `exit_cv` until the threads
//! are gone.
//!
//! The pool is generic over the metadata of the tasks it runs, so that its
//! tests can drive it with plain `async-task` tasks; the runtime uses it
//! through [`BlockingPool`].

use std::cell::Cell;
use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use async_task::Runnable;

/// The runtime's blocking pool: its jobs are runtime tasks.
pub(crate) type BlockingPool = Pool<crate::task::TaskMeta>;

/// Default upper bound on the number of pool threads.
///
/// Blocking jobs spend most of their time asleep in system calls, so many of
/// them can usefully run at once even on a small machine. The bound only
/// exists to keep a flood of jobs from exhausting the process's thread and
/// stack budget. 512 is the value users of the tokio API already expect.
pub(crate) const DEFAULT_MAX_THREADS: usize = 512;

/// Default time an idle pool thread waits for work before it exits.
///
/// Long enough that a steady trickle of blocking calls (say, one file
/// operation per second) keeps reusing the same thread instead of paying for
/// a thread start each time; short enough that threads left over from a burst
/// are returned to the system soon after.
pub(crate) const DEFAULT_KEEP_ALIVE: Duration = Duration::from_secs(10);

/// Name given to pool threads when no naming function is configured.
const DEFAULT_THREAD_NAME: &str = "evloop-blocking";

/// Source of the per-pool identifiers stored in [`MEMBERSHIP`].
///
/// Starts at 1 so that 0 can mean "not a pool thread".
static NEXT_POOL_ID: AtomicUsize = AtomicUsize::new(1);

thread_local! {
    /// The pool the current thread was started by (0 for none), and whether
    /// that pool still counts the thread as alive.
    ///
    /// Lets `shutdown` recognise a call made from one of the pool's own
    /// threads, which must neither wait for itself nor join a thread that
    /// may be joining it. The thread can still be such a caller after it has
    /// stopped counting itself, for example when dropping the pool from a
    /// thread-local destructor.
    static MEMBERSHIP: Cell<(usize, bool)> = const { Cell::new((0, false)) };
}

/// How a [`BlockingPool`] sizes, names and starts its threads.
#[derive(Clone)]
pub(crate) struct BlockingConfig {
    /// Most threads the pool runs at once. A value of 0 is treated as 1 so
    /// that jobs can always make progress.
    pub(crate) max_threads: usize,
    /// How long an idle thread waits for work before exiting.
    pub(crate) keep_alive: Duration,
    /// Produces the name of each new thread.
    pub(crate) thread_name: Arc<dyn Fn() -> String + Send + Sync>,
    /// Stack size of each new thread; the platform default when `None`.
    pub(crate) stack_size: Option<usize>,
    /// Called first thing on each new thread, before it runs any job.
    pub(crate) on_thread_start: Option<Arc<dyn Fn() + Send + Sync>>,
    /// Called last thing on each thread, after it has run its final job.
    pub(crate) on_thread_stop: Option<Arc<dyn Fn() + Send + Sync>>,
}

impl Default for BlockingConfig {
    fn default() -> BlockingConfig {
        BlockingConfig {
            max_threads: DEFAULT_MAX_THREADS,
            keep_alive: DEFAULT_KEEP_ALIVE,
            thread_name: Arc::new(|| DEFAULT_THREAD_NAME.to_owned()),
            stack_size: None,
            on_thread_start: None,
            on_thread_stop: None,
        }
    }
}

impl fmt::Debug for BlockingConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlockingConfig")
            .field("max_threads", &self.max_threads)
            .field("keep_alive", &self.keep_alive)
            .field("stack_size", &self.stack_size)
            .field("on_thread_start", &self.on_thread_start.is_some())
            .field("on_thread_stop", &self.on_thread_stop.is_some())
            .finish_non_exhaustive()
    }
}

/// A growable pool of threads for blocking work, running tasks whose
/// metadata is `M`.
///
/// Dropping the pool shuts it down and waits for its threads, except that a
/// pool thread dropping its own pool does not wait for itself.
pub(crate) struct Pool<M> {
    inner: Arc<Inner<M>>,
}

/// The part of the pool shared with its threads.
struct Inner<M> {
    /// Identifier recorded in [`MEMBERSHIP`] on this pool's threads.
    id: usize,
    state: Mutex<State<M>>,
    /// `shutdown` waits here for threads to exit.
    exit_cv: Condvar,
    config: BlockingConfig,
}

/// Bookkeeping, always accessed under `Inner::state`.
struct State<M> {
    /// Jobs waiting for a thread, oldest first.
    queue: VecDeque<Runnable<M>>,
    /// Set once by `shutdown`; never cleared.
    shutdown: bool,
    /// Threads that will still take jobs. Counts towards `max_threads`.
    active: usize,
    /// Threads that have not yet finished exiting. Differs from `active`
    /// while an exiting thread runs its stop hook.
    alive: usize,
    /// Slots of the threads waiting for a job, most recently idle last.
    idle: Vec<Arc<Slot>>,
    /// Threads woken (or started) that have not yet taken the lock to look at
    /// the queue.
    ///
    /// # Invariant
    /// While a job is queued, a thread is on its way (this is not 0), or no
    /// thread is idle and the pool is at its limit (or failed to start a
    /// thread; the next `schedule` tries again): `schedule` and a thread
    /// that takes a job and leaves others queued both call `call_one`.
    waking: usize,
    /// Key given to the next thread in `threads`.
    next_thread: usize,
    /// Join handles of threads started and not yet exited, by key.
    threads: HashMap<usize, thread::JoinHandle<()>>,
    /// The most recent thread that exited on its own. The next thread to exit
    /// (or `shutdown`) joins it, so exited threads are fully torn down.
    last_exited: Option<thread::JoinHandle<()>>,
}

impl<M> Pool<M> {
    /// Creates a pool with no threads; they are started as jobs arrive.
    pub(crate) fn new(config: BlockingConfig) -> Pool<M> {
        Pool {
            inner: Arc::new(Inner {
                id: NEXT_POOL_ID.fetch_add(1, Ordering::Relaxed),
                state: Mutex::new(State {
                    queue: VecDeque::new(),
                    shutdown: false,
                    active: 0,
                    alive: 0,
                    idle: Vec::new(),
                    waking: 0,
                    next_thread: 0,
                    threads: HashMap::new(),
                    last_exited: None,
                }),
                exit_cv: Condvar::new(),
                config,
            }),
        }
    }

    /// Shuts the pool down; see the module documentation for the steps.
    ///
    /// With `timeout` set, waits at most that long for the threads to exit
    /// and leaves any still running a job detached. Called from one of the
    /// pool's own threads, it does not wait for that thread. Only the first
    /// call does anything; later ones return at once.
    pub(crate) fn shutdown(&self, timeout: Option<Duration>) {
        // A deadline too far away to represent is the same as none.
        let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
        let (pool, counted) = MEMBERSHIP.with(Cell::get);
        let member = pool == self.inner.id;
        let counted = member && counted;

        let mut state = self.inner.lock();
        if state.shutdown {
            // The first call owns the joining; threads it left detached stay
            // so.
            return;
        }
        state.shutdown = true;
        let cancelled = std::mem::take(&mut state.queue);
        let threads = std::mem::take(&mut state.threads);
        let last_exited = state.last_exited.take();
        let idle = std::mem::take(&mut state.idle);
        drop(state);

        // Outside the lock: the woken threads take it on their way out.
        for slot in idle {
            slot.hand(Hand::Exit);
        }
        // Cancelling wakes join handles, so it happens outside the lock.
        drop(cancelled);
        // That thread has already done all of its work. A pool thread leaves
        // it detached instead: it may be the thread itself, or be joining it.
        if let Some(handle) = last_exited {
            if !member {
                let _ = handle.join();
            }
        }

        // A pool thread does not wait for itself.
        let others_alive = |state: &State<M>| state.alive > usize::from(counted);
        let mut state = self.inner.lock();
        let mut all_exited = true;
        while others_alive(&state) {
            let now = Instant::now();
            match deadline {
                None => state = wait(&self.inner.exit_cv, state),
                Some(deadline) if now < deadline => {
                    state = wait_timeout(&self.inner.exit_cv, state, deadline - now);
                }
                Some(_) => {
                    all_exited = false;
                    break;
                }
            }
        }
        drop(state);

        let me = thread::current().id();
        for handle in threads.into_values() {
            // Dropping a handle instead of joining it detaches the thread.
            if handle.thread().id() != me && (all_exited || handle.is_finished()) {
                let _ = handle.join();
            }
        }
    }

    /// Number of threads currently able to take jobs.
    pub(crate) fn num_threads(&self) -> usize {
        self.inner.lock().active
    }

    /// Number of threads waiting for a job.
    pub(crate) fn num_idle_threads(&self) -> usize {
        self.inner.lock().idle.len()
    }

    /// Number of jobs queued and not yet started.
    pub(crate) fn queue_depth(&self) -> usize {
        self.inner.lock().queue.len()
    }
}

impl<M: Send + Sync + 'static> Pool<M> {
    /// Queues a job to run on a pool thread.
    ///
    /// Jobs start in the order they were scheduled. Unless a thread is already
    /// on its way to the queue, the most recently idle thread is woken, or a
    /// new one is started if none is idle and the pool is below its limit; at
    /// the limit, the job waits for a busy thread to finish. If a thread
    /// cannot be started the job stays queued, and starting one is tried again
    /// on the next call.
    ///
    /// After shutdown the job is dropped, which cancels its task.
    pub(crate) fn schedule(&self, runnable: Runnable<M>) {
        let mut state = self.inner.lock();
        if state.shutdown {
            drop(state);
            // Dropped outside the lock: cancelling wakes the task's join
            // handle, which may run arbitrary code.
            drop(runnable);
            return;
        }
        state.queue.push_back(runnable);
        let woken = self.inner.call_one(&mut state);
        drop(state);
        // Woken outside the lock.
        if let Some(slot) = woken {
            slot.hand(Hand::Wake);
        }
    }
}

impl<M> Drop for Pool<M> {
    fn drop(&mut self) {
        self.shutdown(None);
    }
}

impl<M> fmt::Debug for Pool<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.inner.lock();
        f.debug_struct("BlockingPool")
            .field("threads", &state.active)
            .field("idle_threads", &state.idle.len())
            .field("queue_depth", &state.queue.len())
            .field("shutdown", &state.shutdown)
            .field("config", &self.inner.config)
            .finish()
    }
}

impl<M> Inner<M> {
    /// Locks the state. A poisoned lock is still used: every update to the
    /// state is completed before any code that could panic runs.
    fn lock(&self) -> MutexGuard<'_, State<M>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn max_threads(&self) -> usize {
        self.config.max_threads.max(1)
    }
}

impl<M: Send + Sync + 'static> Inner<M> {
    /// Starts one more thread. On failure nothing changes and the caller's
    /// job simply stays queued.
    fn spawn_thread(self: &Arc<Self>, state: &mut State<M>) {
        let mut name = (self.config.thread_name)();
        if name.contains('\0') {
            // The platform cannot represent such a name.
            name.retain(|c| c != '\0');
        }
        let mut builder = thread::Builder::new().name(name);
        if let Some(size) = self.config.stack_size {
            builder = builder.stack_size(size);
        }
        let key = state.next_thread;
        let inner = Arc::clone(self);
        // The state lock is held, so the new thread cannot look for its own
        // handle before it has been recorded below.
        if let Ok(handle) = builder.spawn(move || inner.run(key)) {
            state.next_thread = state.next_thread.wrapping_add(1);
            state.active += 1;
            state.waking += 1;
            state.alive += 1;
            state.threads.insert(key, handle);
        }
    }

    /// Makes sure a thread is on its way to the queue, which has just had a job added or has
    /// jobs left: if none is (`waking` is 0), takes the most recently idle thread off the stack
    /// (the caller wakes it, outside the lock) or, if none is idle, starts a new one unless the
    /// pool is at its limit.
    fn call_one(self: &Arc<Self>, state: &mut State<M>) -> Option<Arc<Slot>> {
        if state.waking > 0 {
            // That thread calls the next one if it leaves jobs behind.
            return None;
        }
        if let Some(slot) = state.idle.pop() {
            state.waking += 1;
            return Some(slot);
        }
        if state.active < self.max_threads() {
            self.spawn_thread(state);
        }
        None
    }

    /// Body of every pool thread.
    fn run(self: Arc<Self>, key: usize) {
        MEMBERSHIP.with(|membership| membership.set((self.id, true)));
        if let Some(hook) = &self.config.on_thread_start {
            // The panic has already been reported by the panic hook; a broken
            // hook must not leave the pool with a thread it counts but that
            // never serves jobs.
            let _ = panic::catch_unwind(AssertUnwindSafe(|| hook()));
        }

        let slot = Arc::new(Slot::new());
        let mut state = self.lock();
        // Counted as on its way since `spawn_thread`; now it is here.
        state.waking -= 1;
        let mut state = loop {
            if let Some(job) = state.queue.pop_front() {
                // Jobs left behind get a thread of their own on its way, so
                // that a long job here does not hold them up.
                let woken = if state.queue.is_empty() {
                    None
                } else {
                    self.call_one(&mut state)
                };
                drop(state);
                if let Some(other) = woken {
                    other.hand(Hand::Wake);
                }
                // A panicking job is reported through its join handle (or
                // lost, if nobody holds one); the thread carries on.
                let _ = panic::catch_unwind(AssertUnwindSafe(|| job.run()));
                state = self.lock();
                continue;
            }
            if state.shutdown {
                break state;
            }
            state.idle.push(Arc::clone(&slot));
            drop(state);

            // A keep-alive too long to represent means "wait forever".
            let deadline = Instant::now().checked_add(self.config.keep_alive);
            let hand = match slot.wait(deadline) {
                Some(hand) => hand,
                None => {
                    // Keep-alive over. Leave, unless `call_one` or `shutdown`
                    // took the slot off the stack meanwhile: then a hand is
                    // on its way and must be honoured.
                    let mut state = self.lock();
                    if let Some(pos) = state.idle.iter().position(|s| Arc::ptr_eq(s, &slot)) {
                        state.idle.remove(pos);
                        break state;
                    }
                    drop(state);
                    slot.wait(None).unwrap_or(Hand::Exit)
                }
            };
            state = self.lock();
            match hand {
                Hand::Wake => state.waking -= 1,
                Hand::Exit => break state,
                Hand::Empty => unreachable!("`Slot::wait` returns what it was handed"),
            }
        };

        // Stop counting towards the limit in the same critical section that
        // decided to exit, so a job queued from now on starts a new thread.
        state.active -= 1;
        drop(state);

        if let Some(hook) = &self.config.on_thread_stop {
            let _ = panic::catch_unwind(AssertUnwindSafe(|| hook()));
        }

        let mut state = self.lock();
        // If `shutdown` took the handles it joins this thread itself.
        // Otherwise the thread leaves its handle for the next one to join.
        let previous = match state.threads.remove(&key) {
            Some(handle) => state.last_exited.replace(handle),
            None => None,
        };
        state.alive -= 1;
        MEMBERSHIP.with(|membership| membership.set((self.id, false)));
        self.exit_cv.notify_all();
        drop(state);
        if let Some(handle) = previous {
            let _ = handle.join();
        }
    }
}

/// What an idle thread is handed through its [`Slot`].
enum Hand {
    /// Nothing yet.
    Empty,
    /// Look at the queue: a job is waiting.
    Wake,
    /// The pool shut down: exit.
    Exit,
}

/// Where one idle thread waits: its own lock and condition variable, so that
/// waking it wakes nobody else.
struct Slot {
    hand: Mutex<Hand>,
    cv: Condvar,
}

impl Slot {
    fn new() -> Slot {
        Slot {
            hand: Mutex::new(Hand::Empty),
            cv: Condvar::new(),
        }
    }

    /// Gives the waiting thread `hand` and wakes it. Called by whoever took
    /// the slot off the idle stack, exactly once per time the thread pushed
    /// it.
    fn hand(&self, hand: Hand) {
        *self.hand.lock().unwrap_or_else(PoisonError::into_inner) = hand;
        self.cv.notify_one();
    }

    /// Waits until handed something, or until `deadline` (`None` on
    /// timeout); `deadline: None` waits without limit.
    fn wait(&self, deadline: Option<Instant>) -> Option<Hand> {
        let mut hand = self.hand.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if !matches!(*hand, Hand::Empty) {
                return Some(std::mem::replace(&mut *hand, Hand::Empty));
            }
            hand = match deadline {
                None => self.cv.wait(hand).unwrap_or_else(PoisonError::into_inner),
                Some(deadline) => {
                    let left = deadline.checked_duration_since(Instant::now())?;
                    match self.cv.wait_timeout(hand, left) {
                        Ok((guard, _)) => guard,
                        Err(poisoned) => poisoned.into_inner().0,
                    }
                }
            };
        }
    }
}

/// Waits on `cv`, carrying on with a poisoned lock like `Inner::lock`.
fn wait<'a, M>(cv: &Condvar, guard: MutexGuard<'a, State<M>>) -> MutexGuard<'a, State<M>> {
    cv.wait(guard).unwrap_or_else(PoisonError::into_inner)
}

/// Waits on `cv` for at most `timeout`, carrying on with a poisoned lock.
fn wait_timeout<'a, M>(
    cv: &Condvar,
    guard: MutexGuard<'a, State<M>>,
    timeout: Duration,
) -> MutexGuard<'a, State<M>> {
    match cv.wait_timeout(guard, timeout) {
        Ok((guard, _)) => guard,
        Err(poisoned) => poisoned.into_inner().0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicBool;
    use std::sync::mpsc;
    use std::sync::Weak;

    /// Generous bound for conditions that should become true quickly; only
    /// reached if something is broken.
    const PATIENCE: Duration = Duration::from_secs(10);

    /// A pool running plain tasks, without runtime metadata.
    type TestPool = Pool<()>;

    fn pool(max_threads: usize, keep_alive: Duration) -> Arc<TestPool> {
        Arc::new(Pool::new(BlockingConfig {
            max_threads,
            keep_alive,
            ..BlockingConfig::default()
        }))
    }

    /// Spawns `f` as a task whose runnable goes to `pool`. Resolves to `None`
    /// if the task was cancelled or panicked.
    fn spawn<R, F>(pool: &Arc<TestPool>, f: F) -> async_task::FallibleTask<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        let weak: Weak<TestPool> = Arc::downgrade(pool);
        let (runnable, task) = async_task::spawn(async move { f() }, move |runnable| {
            if let Some(pool) = weak.upgrade() {
                pool.schedule(runnable);
            }
        });
        pool.schedule(runnable);
        task.fallible()
    }

    fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
        let deadline = Instant::now() + PATIENCE;
        while !cond() {
            assert!(Instant::now() < deadline, "timed out waiting until {what}");
            thread::sleep(Duration::from_millis(5));
        }
    }

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        futures_lite::future::block_on(future)
    }

    #[test]
    fn runs_jobs_in_fifo_order() {
        let pool = pool(1, DEFAULT_KEEP_ALIVE);
        let order = Arc::new(Mutex::new(Vec::new()));
        let tasks: Vec<_> = (0..100)
            .map(|i| {
                let order = Arc::clone(&order);
                spawn(&pool, move || order.lock().unwrap().push(i))
            })
            .collect();
        for task in tasks {
            assert_eq!(block_on(task), Some(()));
        }
        assert_eq!(*order.lock().unwrap(), (0..100).collect::<Vec<_>>());
        assert_eq!(pool.num_threads(), 1);
    }

    #[test]
    fn never_exceeds_max_threads() {
        const MAX: usize = 4;
        let pool = pool(MAX, DEFAULT_KEEP_ALIVE);
        let running = Arc::new(AtomicUsize::new(0));
        let high_water = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..64)
            .map(|_| {
                let running = Arc::clone(&running);
                let high_water = Arc::clone(&high_water);
                spawn(&pool, move || {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    high_water.fetch_max(now, Ordering::SeqCst);
                    thread::sleep(Duration::from_millis(2));
                    running.fetch_sub(1, Ordering::SeqCst);
                })
            })
            .collect();
        assert!(pool.num_threads() <= MAX);
        for task in tasks {
            assert_eq!(block_on(task), Some(()));
        }
        assert!(high_water.load(Ordering::SeqCst) <= MAX);
        assert!(pool.num_threads() <= MAX);
        assert_eq!(pool.queue_depth(), 0);
    }

    /// Jobs that each block until all of them run (or [`PATIENCE`] passes):
    /// each needs a thread of its own, so a job queued behind a blocked one
    /// must still get one.
    fn jobs_that_wait_for_each_other(pool: &Arc<TestPool>, n: usize) {
        let met = Arc::new((Mutex::new(0), Condvar::new()));
        let tasks: Vec<_> = (0..n)
            .map(|_| {
                let met = Arc::clone(&met);
                spawn(pool, move || {
                    let (count, cv) = &*met;
                    let mut count = count.lock().unwrap();
                    *count += 1;
                    cv.notify_all();
                    let deadline = Instant::now() + PATIENCE;
                    while *count < n && Instant::now() < deadline {
                        count = cv.wait_timeout(count, PATIENCE / 10).unwrap().0;
                    }
                    *count >= n
                })
            })
            .collect();
        for task in tasks {
            assert_eq!(
                block_on(task),
                Some(true),
                "every job runs while the others block"
            );
        }
    }

    #[test]
    fn jobs_queued_behind_blocked_ones_get_threads_of_their_own() {
        let pool = pool(16, DEFAULT_KEEP_ALIVE);
        // From cold (every thread newly started), then again with the
        // threads idle.
        jobs_that_wait_for_each_other(&pool, 16);
        wait_until("the threads are idle", || pool.num_idle_threads() == 16);
        jobs_that_wait_for_each_other(&pool, 16);
        assert_eq!(pool.num_threads(), 16);
    }

    #[test]
    fn reuses_an_idle_thread() {
        let pool = pool(8, DEFAULT_KEEP_ALIVE);
        assert_eq!(block_on(spawn(&pool, || 1)), Some(1));
        wait_until("the thread is idle", || pool.num_idle_threads() == 1);
        assert_eq!(block_on(spawn(&pool, || 2)), Some(2));
        assert_eq!(pool.num_threads(), 1);
    }

    #[test]
    fn survives_a_panicking_job() {
        let pool = pool(1, DEFAULT_KEEP_ALIVE);
        let first = thread::current().id();
        let panicked = spawn(&pool, || -> () { panic!("job failed on purpose") });
        assert_eq!(block_on(panicked), None);
        let id = block_on(spawn(&pool, || thread::current().id()));
        assert!(id.is_some() && id != Some(first));
        // The same thread served both jobs.
        assert_eq!(pool.num_threads(), 1);
    }

    #[test]
    fn idle_threads_exit_after_keep_alive() {
        let pool = pool(4, Duration::from_millis(50));
        let tasks: Vec<_> = (0..4)
            .map(|_| spawn(&pool, || thread::sleep(Duration::from_millis(20))))
            .collect();
        for task in tasks {
            block_on(task);
        }
        wait_until("all threads have exited", || pool.num_threads() == 0);
        assert_eq!(pool.num_idle_threads(), 0);
        // The pool grows again afterwards.
        assert_eq!(block_on(spawn(&pool, || 7)), Some(7));
    }

    #[test]
    fn shutdown_cancels_queued_jobs_and_later_ones() {
        let pool = pool(1, DEFAULT_KEEP_ALIVE);
        let (release, wait) = mpsc::channel::<()>();
        let (started, has_started) = mpsc::channel::<()>();
        let running = spawn(&pool, move || {
            started.send(()).unwrap();
            wait.recv().unwrap();
            "finished"
        });
        has_started.recv().unwrap();
        let queued = spawn(&pool, || "never runs");
        assert_eq!(pool.queue_depth(), 1);

        // The running job outlives the timeout and is left detached.
        pool.shutdown(Some(Duration::from_millis(20)));
        assert_eq!(pool.queue_depth(), 0);
        assert_eq!(block_on(queued), None);
        assert_eq!(block_on(spawn(&pool, || "too late")), None);

        release.send(()).unwrap();
        assert_eq!(block_on(running), Some("finished"));
        wait_until("the thread has exited", || pool.num_threads() == 0);
        // Shutting down again is harmless.
        pool.shutdown(None);
    }

    #[test]
    fn shutdown_waits_for_running_jobs() {
        let pool = pool(4, DEFAULT_KEEP_ALIVE);
        let done = Arc::new(AtomicUsize::new(0));
        let (started, has_started) = mpsc::channel::<()>();
        for _ in 0..4 {
            let done = Arc::clone(&done);
            let started = started.clone();
            spawn(&pool, move || {
                started.send(()).unwrap();
                thread::sleep(Duration::from_millis(50));
                done.fetch_add(1, Ordering::SeqCst);
            })
            .detach();
        }
        for _ in 0..4 {
            has_started.recv().unwrap();
        }
        pool.shutdown(None);
        assert_eq!(done.load(Ordering::SeqCst), 4);
        assert_eq!(pool.num_threads(), 0);
    }

    #[test]
    fn shutdown_from_a_pool_thread_does_not_wait_for_itself() {
        let pool = pool(2, DEFAULT_KEEP_ALIVE);
        let handle = Arc::clone(&pool);
        let task = spawn(&pool, move || {
            handle.shutdown(None);
            "returned"
        });
        assert_eq!(block_on(task), Some("returned"));
    }

    #[test]
    fn dropping_the_pool_on_its_own_thread_does_not_hang() {
        let pool = pool(2, DEFAULT_KEEP_ALIVE);
        let (drop_it, wait) = mpsc::channel::<Arc<TestPool>>();
        let dropped = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&dropped);
        spawn(&pool, move || {
            // Wait until this job holds the only reference, then drop it.
            let pool = wait.recv().unwrap();
            while Arc::strong_count(&pool) > 1 {
                thread::yield_now();
            }
            drop(pool);
            flag.store(true, Ordering::SeqCst);
        })
        .detach();
        drop_it.send(pool).unwrap();
        wait_until("the pool was dropped", || dropped.load(Ordering::SeqCst));
    }

    #[test]
    fn names_threads_and_runs_hooks() {
        let starts = Arc::new(AtomicUsize::new(0));
        let stops = Arc::new(AtomicUsize::new(0));
        let (on_start, on_stop) = (Arc::clone(&starts), Arc::clone(&stops));
        let pool: TestPool = Pool::new(BlockingConfig {
            max_threads: 2,
            thread_name: Arc::new(|| "pool-test-thread".to_owned()),
            on_thread_start: Some(Arc::new(move || {
                on_start.fetch_add(1, Ordering::SeqCst);
            })),
            on_thread_stop: Some(Arc::new(move || {
                on_stop.fetch_add(1, Ordering::SeqCst);
            })),
            ..BlockingConfig::default()
        });
        let pool = Arc::new(pool);
        let name = block_on(spawn(&pool, || thread::current().name().map(str::to_owned)));
        assert_eq!(name, Some(Some("pool-test-thread".to_owned())));
        assert_eq!(starts.load(Ordering::SeqCst), 1);
        pool.shutdown(None);
        assert_eq!(stops.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn dropping_the_pool_in_a_thread_local_destructor_does_not_hang() {
        use std::cell::RefCell;
        use std::sync::OnceLock;

        thread_local! {
            static KEEP: RefCell<Option<Arc<TestPool>>> = const { RefCell::new(None) };
        }

        // Each pool thread keeps the pool alive until its thread-local
        // storage is torn down, so the last reference goes away there.
        let cell: Arc<OnceLock<Weak<TestPool>>> = Arc::new(OnceLock::new());
        let hook_cell = Arc::clone(&cell);
        let pool = Arc::new(Pool::new(BlockingConfig {
            max_threads: 4,
            keep_alive: Duration::from_millis(20),
            on_thread_start: Some(Arc::new(move || {
                let pool = hook_cell.get().and_then(Weak::upgrade);
                KEEP.with(|keep| *keep.borrow_mut() = pool);
            })),
            ..BlockingConfig::default()
        }));
        let weak = Arc::downgrade(&pool);
        cell.set(weak.clone()).unwrap();

        let (started, has_started) = mpsc::channel::<()>();
        for _ in 0..4 {
            let started = started.clone();
            spawn(&pool, move || {
                started.send(()).unwrap();
                thread::sleep(Duration::from_millis(20));
            })
            .detach();
        }
        for _ in 0..4 {
            has_started.recv().unwrap();
        }
        drop(pool);
        wait_until("the pool was dropped", || weak.upgrade().is_none());
    }

    #[test]
    fn a_second_shutdown_leaves_detached_threads_alone() {
        let pool = pool(1, DEFAULT_KEEP_ALIVE);
        let (release, wait) = mpsc::channel::<()>();
        let (started, has_started) = mpsc::channel::<()>();
        let running = spawn(&pool, move || {
            started.send(()).unwrap();
            wait.recv().unwrap();
        });
        has_started.recv().unwrap();
        pool.shutdown(Some(Duration::ZERO));
        // Would wait forever if it waited for the job, which is still blocked.
        pool.shutdown(None);
        release.send(()).unwrap();
        assert_eq!(block_on(running), Some(()));
    }
}

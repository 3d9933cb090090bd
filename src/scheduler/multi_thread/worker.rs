//! A worker thread's loop; see the module doc of [`super`] for the policy it implements.

use std::cell::{Cell, RefCell};
use std::time::Duration;

use super::queue::{self, INJECTOR_BATCH};
use super::{
    Shared, WorkerMetrics, WorkerShared, DRIVER_INTERVAL, GLOBAL_QUEUE_INTERVAL, MAX_LIFO_POLLS,
};
use crate::loom::Ordering;
use crate::runtime::RuntimeInner;
use crate::scheduler::{Local, LocalGuard, LocalKind, Reason};
use crate::task::coop;
use crate::task::raw::Runnable;
use crate::task::registry::EntryKey;

/// The part of a worker that only its own thread touches, published through `Local` so that the
/// schedule function can reach the LIFO slot.
pub(crate) struct WorkerLocal {
    index: usize,
    lifo: Cell<Option<Runnable>>,
    /// Read on every schedule from this thread; a thread-local copy of what it needs to know, so
    /// that the schedule path reads no shared cache line for it.
    state: Cell<LocalState>,
    /// Registry keys of tasks whose futures were dropped on this thread, not yet removed from
    /// the registry (see [`WorkerLocal::retire`]).
    retired: RefCell<Vec<EntryKey>>,
    /// Set while this thread turns the driver: the runnables it wakes then stay here without
    /// waking a sibling (see "Keeping I/O work together" in the module doc of [`super`]).
    driving: Cell<bool>,
}

/// How many registry keys a worker collects before it removes them in one batch.
///
/// A task is usually registered on the thread that spawned it and dropped on the one that ran
/// it last; removing each entry at once would move the registry shard's lock and slots between
/// the two workers' caches for every task (in a spawn-heavy profile that was about a third of
/// the time). A batch pays those moves once. Until its batch is removed, a finished task's
/// allocation stays alive (the registry holds a waker to it): at most this many per worker.
const RETIRE_BATCH: usize = 64;

/// How much longer than its own a sibling's local queue must be before a busy worker takes
/// some of it (see `Worker::balance`): enough that two workers with similar loads do not trade
/// tasks back and forth.
const BALANCE_MIN: usize = 16;

/// What this thread is to worker slot `index`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LocalState {
    /// It runs the worker: runnables woken here go to the LIFO slot or the local queue.
    Running,
    /// It handed the worker to another thread (`block_in_place`) and only finishes the task it
    /// is polling: runnables woken here go to the injector, and its loop exits after that poll.
    HandedOff,
    /// The worker's loop has exited (shutdown): runnables woken on this thread are dropped.
    Closed,
}

impl WorkerLocal {
    /// Schedules `runnable` from this worker's own thread.
    ///
    /// New tasks and tasks that yielded go to the back of the local queue; other wake-ups go to
    /// the LIFO slot. A yield does not wake a sleeping worker: it re-queues a task that this
    /// worker just popped, so it adds no work that was not visible before, and this worker runs
    /// it soon anyway (waking a sibling for it would cost a fence on every yield). Nor does a
    /// wake-up from a driver turn: the turn asks for a watcher instead, once it is over.
    #[inline]
    pub(crate) fn schedule(&self, rt: &RuntimeInner, runnable: Runnable, reason: Reason) {
        let shared = rt.multi_thread();
        match self.state.get() {
            LocalState::Running => {}
            LocalState::HandedOff => return shared.schedule_remote(runnable),
            LocalState::Closed => return drop(runnable),
        }
        match reason {
            Reason::Spawned => self.push_back(shared, runnable),
            Reason::Yielded => {
                let me = &shared.workers[self.index];
                queue::push_local_or_overflow(&me.local, &shared.injector, runnable);
            }
            Reason::Woken => {
                if let Some(prev) = self.lifo.replace(Some(runnable)) {
                    if self.driving.get() {
                        let me = &shared.workers[self.index];
                        queue::push_local_or_overflow(&me.local, &shared.injector, prev);
                    } else {
                        self.push_back(shared, prev);
                    }
                }
            }
        }
    }

    #[inline]
    fn push_back(&self, shared: &Shared, runnable: Runnable) {
        let me = &shared.workers[self.index];
        queue::push_local_or_overflow(&me.local, &shared.injector, runnable);
        shared.notify_parked();
    }

    /// Takes the registry key of a task whose future was just dropped on this thread, to be
    /// removed with a batch of others (see [`RETIRE_BATCH`]); `Err` gives it back if this
    /// thread no longer runs the worker, or is inside a removal already.
    ///
    /// A key held here is stale only in that its entry is not yet removed: its slot is not
    /// reused before then, and at shutdown the registry's drain simply finds the entry of a
    /// finished task, whose waker does nothing.
    pub(crate) fn retire(&self, rt: &RuntimeInner, key: EntryKey) -> Result<(), EntryKey> {
        if self.state.get() != LocalState::Running {
            return Err(key);
        }
        let full = {
            let Ok(mut retired) = self.retired.try_borrow_mut() else {
                return Err(key);
            };
            retired.push(key);
            retired.len() >= RETIRE_BATCH
        };
        if full {
            self.flush_retired(rt);
        }
        Ok(())
    }

    /// Removes the collected keys' entries from the registry. Their wakers are dropped after the
    /// registry's locks are released and while no borrow is held: dropping one can free a task,
    /// whose output's destructor may spawn and drop tasks on this thread again.
    fn flush_retired(&self, rt: &RuntimeInner) {
        let mut keys = self.retired.take();
        if keys.is_empty() {
            *self.retired.borrow_mut() = keys;
            return;
        }
        let mut wakers = Vec::with_capacity(keys.len());
        rt.registry.remove_many(&mut keys, &mut wakers);
        drop(wakers);
        keys.clear();
        let mut retired = self.retired.borrow_mut();
        if retired.is_empty() {
            // Keep the allocation (keys retired meanwhile, if any, keep theirs).
            *retired = keys;
        }
    }

    /// Runs `turn` (a driver turn) with `driving` set, so that what it wakes stays here.
    #[inline]
    fn while_driving<T>(&self, turn: impl FnOnce() -> T) -> T {
        self.driving.set(true);
        let out = turn();
        self.driving.set(false);
        out
    }

    /// The index of this worker among its runtime's workers.
    pub(crate) fn index(&self) -> usize {
        self.index
    }

    /// Whether this thread still runs its worker (it has not handed it off, and the runtime has
    /// not shut its loop down).
    pub(crate) fn is_running(&self) -> bool {
        self.state.get() == LocalState::Running
    }

    /// `block_in_place`: hands this worker (its slot, with its local queue) to a new thread,
    /// which runs the worker loop from now on, so that the tasks queued here keep running while
    /// this thread blocks. This thread only finishes polling its current task, then its loop
    /// exits (its thread ends).
    ///
    /// The LIFO slot, which only this thread can reach, moves to the local queue first. Called
    /// only from this worker's thread, while it runs a task (so it neither searches nor sleeps:
    /// the new thread takes the slot over in the state the idle protocol expects).
    ///
    /// # Errors
    /// If the new thread cannot be started; this thread then keeps the worker.
    pub(crate) fn hand_off(&self, rt: &RuntimeInner) -> std::io::Result<()> {
        let shared = rt.multi_thread();
        if let Some(runnable) = self.lifo.take() {
            queue::push_local_or_overflow(
                &shared.workers[self.index].local,
                &shared.injector,
                runnable,
            );
        }
        // The keys collected here are this thread's to remove; the new thread starts afresh.
        self.flush_retired(rt);
        // From here on nothing on this thread touches the slot's queue or LIFO.
        self.state.set(LocalState::HandedOff);
        match rt.spawn_replacement_worker(self.index) {
            Ok(()) => Ok(()),
            Err(err) => {
                self.state.set(LocalState::Running);
                Err(err)
            }
        }
    }
}

struct Worker<'a> {
    rt: &'a RuntimeInner,
    shared: &'a Shared,
    me: &'a WorkerShared,
    local: &'a WorkerLocal,
    index: usize,
    tick: u32,
    lifo_polls: u32,
    is_searching: bool,
    /// While watching: for each worker, the length of its local queue and its poll count at
    /// the last look. Empty while not watching.
    watch: Vec<(usize, u64)>,
    /// While watching: the driver's turn count at the last look.
    watch_turns: u64,
    /// Looks in a row, in the current watch, that did not call for help.
    quiet_looks: u32,
    rng: u32,
}

/// What a watching worker concluded from a look at its siblings.
enum Look {
    /// Keep watching.
    Wait,
    /// Wake up and join in.
    Help,
    /// Every other worker sleeps: stop watching.
    AllAsleep,
}

/// Runs worker `index` of `rt` until the runtime shuts down.
pub(crate) fn run_worker(rt: &RuntimeInner, index: usize) {
    let shared = rt.multi_thread();
    let local = WorkerLocal {
        index,
        lifo: Cell::new(None),
        state: Cell::new(LocalState::Running),
        retired: RefCell::new(Vec::with_capacity(RETIRE_BATCH)),
        driving: Cell::new(false),
    };
    let ctx = Local {
        rt,
        kind: LocalKind::Worker(&local),
    };
    let guard = LocalGuard::enter(&ctx);
    let mut worker = Worker {
        rt,
        shared,
        me: &shared.workers[index],
        local: &local,
        index,
        tick: 0,
        lifo_polls: 0,
        is_searching: false,
        watch: Vec::with_capacity(shared.workers.len()),
        watch_turns: 0,
        quiet_looks: 0,
        // Any non-zero seed works for xorshift; spread them so workers start stealing from
        // different victims.
        rng: (index as u32).wrapping_mul(0x9E37_79B9) | 1,
    };
    worker.run();
    // Tasks finished during the last polls; at shutdown the registry is drained anyway.
    local.flush_retired(rt);
    if local.state.get() == LocalState::HandedOff {
        // Another thread runs this worker now, and drains its queues at shutdown.
        drop(guard);
        return;
    }
    // Shutdown step 2: the LIFO slot is the only queue no one else can drain. Closing first
    // keeps wake-ups from the dropped futures out of it.
    local.state.set(LocalState::Closed);
    drop(local.lifo.take());
    // The runtime drains every queue after joining the workers, but with `shutdown_timeout` it
    // may stop waiting for this one: drop what this worker queued itself (a task woken while it
    // ran its last poll) so that nothing is left behind.
    while let Ok(runnable) = shared.workers[index].local.pop() {
        drop(runnable);
    }
    // Likewise for what its last poll may have spilled into the injector.
    while let Ok(runnable) = shared.injector.pop() {
        drop(runnable);
    }
    drop(guard);
}

impl Worker<'_> {
    fn run(&mut self) {
        while !self.shared.is_shutdown() {
            if let Some(task) = self.next_task() {
                self.run_task(task);
            } else if let Some(task) = self.search() {
                self.run_task(task);
            } else {
                self.park();
                continue;
            }
            if !self.local.is_running() {
                // The task just run called `block_in_place`: the worker is another thread's.
                return;
            }
        }
    }

    fn next_task(&mut self) -> Option<Runnable> {
        self.tick = self.tick.wrapping_add(1);
        if self.tick % DRIVER_INTERVAL == 0 {
            self.local.while_driving(|| self.shared.driver.poll_ready());
            self.after_turn();
        }
        if self.tick % GLOBAL_QUEUE_INTERVAL == 0 {
            if let Some(task) = self.shared.injector.pop().ok().or_else(|| self.balance()) {
                self.lifo_polls = 0;
                return Some(task);
            }
        }
        if let Some(task) = self.local.lifo.take() {
            if self.lifo_polls < MAX_LIFO_POLLS {
                self.lifo_polls += 1;
                return Some(task);
            }
            // Too many LIFO tasks in a row: this one waits its turn.
            self.local.push_back(self.shared, task);
        }
        self.lifo_polls = 0;
        if let Ok(task) = self.me.local.pop() {
            return Some(task);
        }
        self.take_from_injector()
    }

    /// After a driver turn on this thread: what it woke is queued here and nobody was woken
    /// for it, so make sure a sibling watches.
    #[inline]
    fn after_turn(&self) {
        if !self.me.local.is_empty() {
            self.shared.ask_to_watch();
        }
    }

    fn take_from_injector(&mut self) -> Option<Runnable> {
        if self.shared.injector.is_empty() {
            return None;
        }
        let fair_share = self.shared.injector.len() / self.shared.workers.len() + 1;
        queue::take_from_injector(
            &self.shared.injector,
            &self.me.local,
            fair_share.min(INJECTOR_BATCH),
        )
    }

    /// Evens out the local queues of a busy worker and a sibling (step 1 of the search order,
    /// when the injector is empty): if a randomly chosen sibling's queue is longer than this
    /// worker's by more than [`BALANCE_MIN`], takes half the difference.
    ///
    /// Stealing proper happens only once a worker's queue runs dry, and a worker kept busy by a
    /// few tasks that yield (or wake each other) never runs dry: without this, a sibling that
    /// got most of a burst of spawns would run them alone to the end.
    fn balance(&mut self) -> Option<Runnable> {
        let n = self.shared.workers.len();
        if n < 2 {
            return None;
        }
        let offset = 1 + self.next_rand() as usize % (n - 1);
        let victim = &self.shared.workers[(self.index + offset) % n].local;
        let (theirs, mine) = (victim.len(), self.me.local.len());
        if theirs <= mine + BALANCE_MIN {
            return None;
        }
        let task = queue::steal(victim, &self.me.local, (theirs - mine) / 2)?;
        WorkerMetrics::bump(&self.me.metrics.steals, 1);
        Some(task)
    }

    /// Steps 4 and 5 of the search order: steal, then the injector again.
    fn search(&mut self) -> Option<Runnable> {
        if !self.is_searching {
            if !self.shared.idle.transition_worker_to_searching() {
                return None;
            }
            self.is_searching = true;
        }
        let n = self.shared.workers.len();
        let start = self.next_rand() as usize % n;
        for i in 0..n {
            let victim = (start + i) % n;
            if victim == self.index {
                continue;
            }
            if let Some(task) =
                queue::steal_half(&self.shared.workers[victim].local, &self.me.local)
            {
                WorkerMetrics::bump(&self.me.metrics.steals, 1);
                return Some(task);
            }
        }
        self.take_from_injector()
    }

    fn run_task(&mut self, task: Runnable) {
        if self.is_searching {
            self.is_searching = false;
            if self.shared.idle.transition_worker_from_searching() {
                // We were the last searcher and found work: there may be more, so make sure
                // somebody keeps looking.
                self.shared.notify_parked();
            }
        }
        WorkerMetrics::bump(&self.me.metrics.polls, 1);
        coop::with_budget(|| task.run());
    }

    fn park(&mut self) {
        WorkerMetrics::bump(&self.me.metrics.parks, 1);
        // Nothing to run: a good moment to free finished tasks, which must not wait for this
        // worker's next busy spell.
        self.local.flush_retired(self.rt);
        let was_last_searcher = self
            .shared
            .idle
            .transition_worker_to_parked(self.index, self.is_searching);
        self.is_searching = false;
        if was_last_searcher && self.shared.has_work() {
            // See `idle`'s module doc: the last searcher re-checks after leaving.
            self.shared.notify_parked();
        }
        loop {
            let drove = if self.is_watching() {
                // A watcher does not drive: the I/O it would collect belongs with the busy
                // worker that turns the driver.
                self.me
                    .parker
                    .park_timeout(watch_interval(self.quiet_looks));
                false
            } else {
                self.local
                    .while_driving(|| self.me.parker.park_or_drive(&self.shared.driver))
            };
            if self.shared.is_shutdown() {
                self.stop_watching();
                return;
            }
            if drove {
                // I/O or timers may have woken tasks onto this worker: go and look, whether or
                // not someone notified us.
                if !self.shared.idle.unpark_worker_by_id(self.index) {
                    // Removed from the sleepers by a notification, which counted us searching.
                    self.is_searching = true;
                }
                // Asked to watch while it drove, perhaps: it is awake now, and asks in turn.
                self.stop_watching();
                self.after_turn();
                return;
            }
            if !self.shared.idle.is_parked(self.index) {
                // Notified: `worker_to_notify` counted us as searching.
                self.stop_watching();
                self.is_searching = true;
                return;
            }
            // Still listed as sleeping: a spurious wake-up, a request to watch, or the end of a
            // watch interval.
            if !self.shared.is_watcher(self.index) {
                self.forget_watch();
                continue;
            }
            match self.look() {
                Look::Wait => self.quiet_looks = self.quiet_looks.saturating_add(1),
                Look::AllAsleep => self.stop_watching(),
                Look::Help => {
                    self.stop_watching();
                    if !self.shared.idle.unpark_worker_by_id(self.index) {
                        self.is_searching = true;
                    }
                    return;
                }
            }
        }
    }

    /// A watcher's look at its siblings (see the module doc of [`super`]): compares what it
    /// sees with the previous look (the first look only records), and records it for the next.
    fn look(&mut self) -> Look {
        let first = self.watch.is_empty();
        let mut behind = false;
        for (index, worker) in self.shared.workers.iter().enumerate() {
            let now = (
                worker.local.len(),
                worker.metrics.polls.load(Ordering::Relaxed),
            );
            if first {
                self.watch.push(now);
                continue;
            }
            let (queued, polls) = self.watch[index];
            // It has not polled as many tasks as it had queued at the last look: some of
            // those have waited a whole interval.
            if index != self.index && queued > 0 && now.1.wrapping_sub(polls) < queued as u64 {
                behind = true;
            }
            self.watch[index] = now;
        }
        let (driving, turns) = self.shared.driver.progress();
        let stalled = !driving && turns == self.watch_turns;
        self.watch_turns = turns;
        if first {
            return Look::Wait;
        }
        if behind || stalled {
            return Look::Help;
        }
        if self.shared.idle.num_unparked() == 0 {
            return Look::AllAsleep;
        }
        Look::Wait
    }

    /// Whether this worker watches: it has looked at its siblings since it was asked to.
    fn is_watching(&self) -> bool {
        !self.watch.is_empty()
    }

    /// Ends this worker's watch, if it had one: the next watch starts with a first look.
    fn stop_watching(&mut self) {
        self.shared.stop_watching(self.index);
        self.forget_watch();
    }

    /// Drops what this worker recorded while watching (it is no longer, or not yet, the watcher).
    fn forget_watch(&mut self) {
        self.watch.clear();
        self.quiet_looks = 0;
    }

    fn next_rand(&mut self) -> u32 {
        // xorshift32
        let mut x = self.rng;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.rng = x;
        x
    }
}

/// How long a watcher sleeps before its next look, after `quiet_looks` looks in a row that did
/// not call for help: [`super::WATCH_INTERVAL`], doubled for each, at most
/// [`super::WATCH_INTERVAL_MAX`].
fn watch_interval(quiet_looks: u32) -> Duration {
    let longer = super::WATCH_INTERVAL.saturating_mul(1 << quiet_looks.min(16));
    longer.min(super::WATCH_INTERVAL_MAX)
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::time::{Duration, Instant};

    use crate::runtime::Builder;

    #[test]
    fn a_watch_interval_doubles_with_each_quiet_look_up_to_the_bound() {
        use super::super::{WATCH_INTERVAL, WATCH_INTERVAL_MAX};
        use super::watch_interval;
        assert_eq!(watch_interval(0), WATCH_INTERVAL);
        assert_eq!(watch_interval(1), WATCH_INTERVAL * 2);
        assert_eq!(watch_interval(2), WATCH_INTERVAL * 4);
        assert_eq!(watch_interval(3), WATCH_INTERVAL_MAX);
        assert_eq!(watch_interval(40), WATCH_INTERVAL_MAX);
        assert_eq!(watch_interval(u32::MAX), WATCH_INTERVAL_MAX);
    }

    /// A worker kept busy by one task that keeps yielding never runs out of work, so it never
    /// steals; its sibling, which then gets a burst of spawns, must still not run them all
    /// alone: the busy worker takes part of the longer queue (`Worker::balance`).
    #[test]
    fn a_busy_worker_takes_a_share_of_a_siblings_longer_queue() {
        use std::collections::{HashMap, HashSet};
        use std::sync::atomic::{AtomicBool, Ordering};
        use std::sync::{Arc, Mutex};

        const TASKS: usize = 100;
        let rt = Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        // Which tasks each worker thread has polled.
        let seen: Arc<Mutex<HashMap<std::thread::ThreadId, HashSet<usize>>>> = Arc::default();
        let yielder = {
            let (stop, seen) = (stop.clone(), seen.clone());
            move |id: usize| {
                let (stop, seen) = (stop.clone(), seen.clone());
                async move {
                    while !stop.load(Ordering::Relaxed) {
                        let me = std::thread::current().id();
                        seen.lock().unwrap().entry(me).or_default().insert(id);
                        crate::task::yield_now().await;
                    }
                }
            }
        };
        let first = rt.spawn(yielder(0));
        // Once the first yielder runs, its worker is busy with it for good. The root task below
        // goes to whichever worker takes it from the injector: when that is the other one, the
        // hundred tasks it spawns land on a queue that the first worker, never running dry,
        // would not steal from.
        let deadline = Instant::now() + Duration::from_secs(10);
        while seen.lock().unwrap().is_empty() {
            assert!(Instant::now() < deadline, "the first task never ran");
            std::thread::sleep(Duration::from_millis(1));
        }
        let (stop2, seen2) = (stop.clone(), seen.clone());
        let root = rt.spawn(async move {
            let handles: Vec<_> = (1..=TASKS).map(|id| crate::spawn(yielder(id))).collect();
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                let shares: Vec<usize> = seen2.lock().unwrap().values().map(HashSet::len).collect();
                if shares.len() == 2 && shares.iter().all(|&n| n > TASKS / 5) {
                    break;
                }
                assert!(
                    Instant::now() < deadline,
                    "tasks polled by each worker after 10 s: {shares:?}"
                );
                crate::task::yield_now().await;
            }
            stop2.store(true, Ordering::Relaxed);
            for handle in handles {
                handle.await.unwrap();
            }
        });
        rt.block_on(root).unwrap();
        rt.block_on(first).unwrap();
    }

    /// Workers remove finished tasks' entries in batches; once they have nothing left to run
    /// (they park), no entry of a finished task may remain, however few finished since the last
    /// full batch.
    #[test]
    fn finished_tasks_leave_the_registry_when_workers_park() {
        let rt = Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap();
        let registry = &rt.handle().inner.registry;
        // 1,000 is not a multiple of the batch size, so some keys wait for the park.
        for tasks in [1, 1_000] {
            rt.block_on(async {
                let handles: Vec<_> = (0..tasks).map(|_| crate::spawn(async {})).collect();
                for handle in handles {
                    handle.await.unwrap();
                }
            });
            let deadline = Instant::now() + Duration::from_secs(10);
            while registry.len() != 0 {
                assert!(
                    Instant::now() < deadline,
                    "{} entries of finished tasks left after 10 s",
                    registry.len()
                );
                std::thread::sleep(Duration::from_millis(1));
            }
        }
    }

    /// Tasks whose outputs spawn (and detach) a task when dropped, on a worker that finishes
    /// them: the entries of both generations are removed, none is lost.
    #[test]
    fn tasks_spawned_by_finishing_outputs_leave_the_registry_too() {
        struct SpawnOnDrop;
        impl Drop for SpawnOnDrop {
            fn drop(&mut self) {
                drop(crate::spawn(async {}));
            }
        }
        let rt = Builder::new_multi_thread()
            .worker_threads(1)
            .build()
            .unwrap();
        let registry = &rt.handle().inner.registry;
        rt.block_on(async {
            // Detached: each output is dropped on the worker as its task finishes.
            for _ in 0..500 {
                drop(crate::spawn(async { SpawnOnDrop }));
            }
            crate::task::yield_now().await;
        });
        let deadline = Instant::now() + Duration::from_secs(10);
        while registry.len() != 0 {
            assert!(Instant::now() < deadline, "{} entries left", registry.len());
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}

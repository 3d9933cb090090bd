//! Which workers are asleep, and who wakes whom.
//!
//! One state word counts *searching* workers (awake, out of local work, looking through other
//! queues) and *unparked* workers (awake at all); a list behind a lock holds the indices of the
//! sleeping ones. The lock is taken only to fall asleep and to wake someone, never on the spawn or
//! schedule path, which reads the state word alone.
//!
//! # No lost wakeups
//! A producer pushes a task, then (after a `SeqCst` fence) reads the state word and wakes a
//! sleeper if no worker is searching. A worker going to sleep decrements the counts under the
//! lock, and if it was the last searcher it re-checks every queue after that decrement. Either the
//! producer's read sees the decrement (and wakes a sleeper), or the worker's re-check sees the
//! task: the two `SeqCst` sides cannot both miss each other. And a worker that is woken before it
//! actually blocks finds the notification waiting in its `Parker`.
//!
//! # Bounded searching
//! At most half of the workers search at once ([`Idle::transition_worker_to_searching`]), so a
//! burst of wake-ups does not turn into every worker hammering every other worker's queue.

use crate::loom::{fence, lock, AtomicUsize, Mutex, Ordering::SeqCst};

/// Bits of the state word that count searching workers; the rest count unparked workers.
const SEARCH_MASK: usize = (1 << 16) - 1;
const UNPARK_SHIFT: usize = 16;
const UNPARK_ONE: usize = 1 << UNPARK_SHIFT;

#[derive(Debug)]
pub(crate) struct Idle {
    state: AtomicUsize,
    num_workers: usize,
    sleepers: Mutex<Vec<usize>>,
}

fn searching(state: usize) -> usize {
    state & SEARCH_MASK
}

fn unparked(state: usize) -> usize {
    state >> UNPARK_SHIFT
}

impl Idle {
    /// All workers start unparked and not searching.
    pub(crate) fn new(num_workers: usize) -> Idle {
        Idle {
            state: AtomicUsize::new(num_workers << UNPARK_SHIFT),
            num_workers,
            sleepers: Mutex::new(Vec::with_capacity(num_workers)),
        }
    }

    /// Called by a producer after it made work available: returns the index of a sleeping worker
    /// to wake, already counted as unparked and searching, or `None` if nobody needs waking.
    pub(crate) fn worker_to_notify(&self) -> Option<usize> {
        // Pairs with the fence in `transition_worker_to_parked`: the work was published before
        // this point.
        fence(SeqCst);
        if !self.notify_should_wakeup() {
            return None;
        }
        let mut sleepers = lock(&self.sleepers);
        if !self.notify_should_wakeup() {
            return None;
        }
        let index = sleepers.pop()?;
        // The woken worker starts out searching.
        self.state.fetch_add(UNPARK_ONE | 1, SeqCst);
        Some(index)
    }

    fn notify_should_wakeup(&self) -> bool {
        let state = self.state.load(SeqCst);
        searching(state) == 0 && unparked(state) < self.num_workers
    }

    /// Tries to count the calling worker as searching; refused when half the workers already
    /// search.
    pub(crate) fn transition_worker_to_searching(&self) -> bool {
        let state = self.state.load(SeqCst);
        if 2 * searching(state) >= self.num_workers {
            return false;
        }
        self.state.fetch_add(1, SeqCst);
        true
    }

    /// A searching worker found work. Returns `true` if it was the last searcher, in which case
    /// it must wake another worker so that remaining work keeps being looked for.
    pub(crate) fn transition_worker_from_searching(&self) -> bool {
        let prev = self.state.fetch_sub(1, SeqCst);
        debug_assert!(searching(prev) > 0);
        searching(prev) == 1
    }

    /// The worker `index` is about to sleep. Returns `true` if it was the last searcher, in which
    /// case it must re-check every queue before sleeping (see the module doc).
    pub(crate) fn transition_worker_to_parked(&self, index: usize, is_searching: bool) -> bool {
        let mut sleepers = lock(&self.sleepers);
        let dec = UNPARK_ONE | usize::from(is_searching);
        let prev = self.state.fetch_sub(dec, SeqCst);
        sleepers.push(index);
        drop(sleepers);
        // The other half of the Dekker pair in `worker_to_notify`: the caller's re-check of the
        // queues must not be ordered before the decrement above (a SeqCst read-modify-write
        // alone does not order the queues' weaker loads after it).
        fence(SeqCst);
        is_searching && searching(prev) == 1
    }

    /// Returns `true` if worker `index` is still listed as sleeping (so a wake-up it saw was
    /// spurious, not a notification).
    pub(crate) fn is_parked(&self, index: usize) -> bool {
        lock(&self.sleepers).contains(&index)
    }

    /// Takes worker `index` off the sleepers list if it is still on it (it woke by itself, from
    /// the driver), counting it unparked and not searching. Returns `false` if it was not listed
    /// (a notification already took it off and counted it unparked and searching).
    pub(crate) fn unpark_worker_by_id(&self, index: usize) -> bool {
        let mut sleepers = lock(&self.sleepers);
        match sleepers.iter().position(|&i| i == index) {
            Some(pos) => {
                sleepers.swap_remove(pos);
                self.state.fetch_add(UNPARK_ONE, SeqCst);
                true
            }
            None => false,
        }
    }

    /// A sleeping worker, left on the list and counted as it is (to be asked to watch, see the
    /// scheduler's module doc); `None` if every worker is awake. Takes the lock only when the
    /// state word counts a sleeper.
    pub(crate) fn any_sleeper(&self) -> Option<usize> {
        if unparked(self.state.load(SeqCst)) >= self.num_workers {
            return None;
        }
        lock(&self.sleepers).first().copied()
    }

    /// How many workers are awake (not on the sleepers list).
    pub(crate) fn num_unparked(&self) -> usize {
        unparked(self.state.load(SeqCst))
    }

    /// Removes every sleeper from the list (at shutdown) and returns them.
    pub(crate) fn unpark_all(&self) -> Vec<usize> {
        let mut sleepers = lock(&self.sleepers);
        let all = std::mem::take(&mut *sleepers);
        self.state.fetch_add(UNPARK_ONE * all.len(), SeqCst);
        all
    }
}

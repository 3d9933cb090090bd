//! The registry of a runtime's live tasks: how shutdown reaches every unfinished future.
//!
//! Each async task, when spawned, leaves a clone of its own waker here; it takes the entry back
//! when its future is dropped (completed, panicked or cancelled). At shutdown the runtime drains
//! the registry and wakes every waker: the scheduler, being shut down, drops the runnable, which
//! cancels the task and drops its future. That reaches the futures nothing else can: tasks whose
//! wakers sit in each other's futures (a cycle), in their own future, or outside the runtime, and
//! tasks whose `JoinHandle` is still held.
//!
//! The registry is sharded by blocks of task IDs, each shard behind its own lock, so that no single lock is
//! on the spawn path (invariant 2): a lock is taken for a few instructions on spawn and on
//! completion, and two workers rarely want the same shard at once.

use std::task::Waker;

use crate::loom::{lock, Mutex};

/// Shards per worker: enough that concurrent spawns and completions on different workers
/// rarely meet on one shard.
const SHARDS_PER_WORKER: usize = 4;

#[repr(align(128))]
struct Shard {
    inner: Mutex<ShardInner>,
}

#[derive(Default)]
struct ShardInner {
    slots: Vec<Option<Waker>>,
    free: Vec<usize>,
    /// Set by `drain`: later insertions are refused.
    closed: bool,
}

pub(crate) struct Registry {
    shards: Box<[Shard]>,
    /// `shards.len() - 1`; the length is a power of two.
    mask: usize,
    /// `log2(shards.len())`: the bits of a key that name the shard. Kept rather than computed
    /// with `count_ones`, which without a `popcnt` target feature is a loop.
    shard_bits: u32,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("shards", &self.shards.len())
            .finish()
    }
}

/// Where a task's entry lives: shard in the low bits, slot above them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct EntryKey(usize);

impl EntryKey {
    /// A key that names no entry (tasks that are not registered).
    pub(crate) const NONE: EntryKey = EntryKey(usize::MAX);

    pub(crate) fn to_raw(self) -> usize {
        self.0
    }

    pub(crate) fn from_raw(raw: usize) -> EntryKey {
        EntryKey(raw)
    }
}

impl Registry {
    pub(crate) fn new(num_workers: usize) -> Registry {
        let n = (num_workers.max(1) * SHARDS_PER_WORKER).next_power_of_two();
        let shards = (0..n)
            .map(|_| Shard {
                inner: Mutex::new(ShardInner::default()),
            })
            .collect();
        Registry {
            shards,
            mask: n - 1,
            shard_bits: n.trailing_zeros(),
        }
    }

    /// Registers a task by its waker. Returns `None` (and gives the waker back to be dropped)
    /// once the registry was drained: the runtime is shutting down.
    pub(crate) fn insert(&self, waker: Waker) -> Result<EntryKey, Waker> {
        // See `home_shard`: a thread's spawns go to one shard for a while.
        let shard = home_shard() & self.mask;
        let mut inner = lock(&self.shards[shard].inner);
        if inner.closed {
            return Err(waker);
        }
        let slot = match inner.free.pop() {
            Some(slot) => {
                inner.slots[slot] = Some(waker);
                slot
            }
            None => {
                inner.slots.push(Some(waker));
                inner.slots.len() - 1
            }
        };
        Ok(EntryKey((slot << self.shard_bits) | shard))
    }

    /// Removes an entry, returning its waker (drop it outside any lock of the caller).
    pub(crate) fn remove(&self, key: EntryKey) -> Option<Waker> {
        if key == EntryKey::NONE {
            return None;
        }
        let shard = key.0 & self.mask;
        let slot = key.0 >> self.shard_bits;
        let mut inner = lock(&self.shards[shard].inner);
        let waker = inner.slots.get_mut(slot)?.take();
        if waker.is_some() {
            inner.free.push(slot);
        }
        waker
    }

    /// Removes the entries `keys` (each at most once), pushing their wakers onto `wakers` (drop
    /// them outside any lock of the caller). Sorts `keys` so that each shard is locked once.
    pub(crate) fn remove_many(&self, keys: &mut [EntryKey], wakers: &mut Vec<Waker>) {
        keys.sort_unstable_by_key(|key| key.0 & self.mask);
        let mut at = 0;
        while at < keys.len() {
            let shard = keys[at].0 & self.mask;
            let mut inner = lock(&self.shards[shard].inner);
            while at < keys.len() && keys[at].0 & self.mask == shard {
                let slot = keys[at].0 >> self.shard_bits;
                if let Some(waker) = inner.slots.get_mut(slot).and_then(Option::take) {
                    inner.free.push(slot);
                    wakers.push(waker);
                }
                at += 1;
            }
        }
    }

    /// How many entries are registered.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|shard| lock(&shard.inner).slots.iter().flatten().count())
            .sum()
    }

    /// Closes the registry and returns every waker left in it.
    pub(crate) fn drain(&self) -> Vec<Waker> {
        let mut all = Vec::new();
        for shard in self.shards.iter() {
            let mut inner = lock(&shard.inner);
            inner.closed = true;
            inner.free.clear();
            all.extend(inner.slots.drain(..).flatten());
        }
        all
    }
}

/// Registrations a thread makes in one shard before it moves on to the next.
const BLOCK: u32 = 1024;

/// The shard number (before masking) for this thread's next registration: threads start at
/// consecutive numbers and move to the next one every [`BLOCK`] registrations, so that a
/// thread's spawns stay on one shard for a while (its lock stays in that thread's cache) while
/// no shard's table has to hold them all.
fn home_shard() -> usize {
    use std::cell::Cell;
    use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static HOME: Cell<(usize, u32)> = const { Cell::new((usize::MAX, 0)) };
    }
    HOME.with(|home| {
        let (mut shard, mut used) = home.get();
        if shard == usize::MAX {
            shard = NEXT.fetch_add(1, Relaxed) & (usize::MAX >> 1);
        }
        used += 1;
        if used == BLOCK {
            used = 0;
            home.set((shard.wrapping_add(1) & (usize::MAX >> 1), used));
        } else {
            home.set((shard, used));
        }
        shard
    })
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn insert_remove_drain() {
        let registry = Registry::new(2);
        let a = registry.insert(Waker::noop().clone()).unwrap();
        let b = registry.insert(Waker::noop().clone()).unwrap();
        let c = registry.insert(Waker::noop().clone()).unwrap();
        assert_ne!(a, b);
        assert!(registry.remove(b).is_some());
        assert!(registry.remove(b).is_none(), "removed twice");
        assert!(registry.remove(EntryKey::NONE).is_none());
        // The freed slot is reused.
        let d = registry.insert(Waker::noop().clone()).unwrap();
        assert_eq!(b, d);
        assert_eq!(registry.drain().len(), 3);
        assert!(registry.insert(Waker::noop().clone()).is_err());
        assert!(registry.remove(a).is_none());
        assert!(registry.remove(c).is_none());
    }

    #[test]
    fn remove_many_takes_each_entry_once_across_shards() {
        let registry = Registry::new(2);
        // Registrations from several threads land in several shards.
        let mut keys: Vec<EntryKey> = (0..4)
            .flat_map(|_| {
                std::thread::scope(|s| {
                    s.spawn(|| {
                        (0..5)
                            .map(|_| registry.insert(Waker::noop().clone()).unwrap())
                            .collect::<Vec<_>>()
                    })
                    .join()
                    .unwrap()
                })
            })
            .collect();
        let shards: std::collections::HashSet<_> =
            keys.iter().map(|k| k.0 & registry.mask).collect();
        assert!(shards.len() > 1, "the keys span several shards");
        let kept = keys.pop().unwrap();
        let mut wakers = Vec::new();
        registry.remove_many(&mut keys, &mut wakers);
        assert_eq!(wakers.len(), keys.len());
        // A second removal of the same keys finds nothing; the one left out is still there.
        registry.remove_many(&mut keys, &mut wakers);
        assert_eq!(wakers.len(), keys.len());
        assert_eq!(registry.drain().len(), 1);
        assert!(registry.remove(kept).is_none(), "drained");
    }
}

//! The registry of a runtime's live tasks: how shutdown reaches every unfinished future.
//!
//! Each async task, when spawned, leaves a clone of its own waker here; it takes the entry back
//! when its future is dropped (completed, panicked or cancelled). At shutdown the runtime drains
//! the registry and wakes every waker: the scheduler, being shut down, drops the runnable, which
//! cancels the task and drops its future. That reaches the futures nothing else can: tasks whose
//! wakers sit in each other's futures (a cycle), in their own future, or outside the runtime, and
//! tasks whose `JoinHandle` is still held.
//!
//! The registry is sharded, each shard behind its own lock, so that no single lock is on the
//! spawn path (invariant 2): a lock is taken for a few instructions on spawn and on completion,
//! and two workers rarely want the same shard at once.
//!
//! An entry is one word. A waker is two (a data pointer and a vtable), but all the wakers of one
//! kind of task share their vtable, so each shard keeps one table per vtable and stores only data
//! pointers; the key names the table. For a program with a million idle tasks that is 8 MB
//! less.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::ptr;
use std::task::{RawWakerVTable, Waker};

use crate::loom::{lock, Mutex};

/// Shards per worker: enough that concurrent spawns and completions on different workers
/// rarely meet on one shard.
const SHARDS_PER_WORKER: usize = 4;

/// At most this many shards, so that a shard number takes at most [`MAX_SHARD_BITS`] bits of a
/// key.
const MAX_SHARD_BITS: u32 = 12;

/// Bits of a key that name a table within its shard: a shard holds at most `2^20` tables, one
/// per kind of task it has seen (see [`Table`]).
const TABLE_BITS: u32 = 20;

/// The largest slot number a key can hold; the slots above it are never handed out.
///
/// With at most [`MAX_SHARD_BITS`] and [`TABLE_BITS`] taken, 32 bits are left: that many live
/// tasks of one kind in one shard would need hundreds of gigabytes. Keeping the slot below the
/// all-ones value also keeps every key below the two values the task header gives other
/// meanings: [`EntryKey::NONE`] (all ones) and the blocking-pool marker (all ones but the last
/// bit).
const MAX_SLOT: u64 = (1 << (64 - MAX_SHARD_BITS - TABLE_BITS)) - 2;

#[repr(align(128))]
struct Shard {
    inner: Mutex<ShardInner>,
}

/// The entries of one kind of waker: every entry's waker has the same vtable, so a slot keeps
/// only the waker's data pointer, one word instead of two.
///
/// Every waker of an `async-task` task of one future type has the same vtable, so a program has
/// about as many tables per shard as it has kinds of tasks (a few, to a few hundred).
struct Table {
    vtable: &'static RawWakerVTable,
    /// The data pointers of the wakers registered here; [`vacant`] marks a free slot.
    ///
    /// # Invariant
    /// Each other value, with `vtable`, is a waker whose ownership the table took in `insert`
    /// (that waker was forgotten there), given back exactly once, by `remove`, `remove_many` or
    /// `drain`.
    slots: Vec<*const ()>,
    /// Free slots, reused last-freed first.
    free: Vec<u32>,
}

/// The sentinel data pointer of a free slot: the address of a private static, which no waker
/// registered here has as its data (they point at their tasks).
static VACANT_MARK: u8 = 0;

fn vacant() -> *const () {
    ptr::from_ref(&VACANT_MARK).cast()
}

impl Table {
    /// Takes the waker back out of `slot`, if the slot holds one.
    fn take(&mut self, slot: usize) -> Option<Waker> {
        let data = std::mem::replace(self.slots.get_mut(slot)?, vacant());
        if data == vacant() {
            return None;
        }
        self.free.push(slot as u32);
        // SAFETY: `data` and `vtable` are the parts of a waker that `insert` took ownership of
        // and forgot; the slot is now vacant, so that ownership is given back here, once (the
        // invariant of `slots`).
        Some(unsafe { Waker::new(data, self.vtable) })
    }
}

#[derive(Default)]
struct ShardInner {
    tables: Vec<Table>,
    /// Table index by vtable address, for the tables other than `last`.
    by_vtable: HashMap<usize, u32, BuildHasherDefault<AddrHasher>>,
    /// The table of the latest registration: a thread's consecutive spawns are mostly of one
    /// kind of task, so this spares the hash lookup.
    last: Option<u32>,
    /// Set by `drain`: later insertions are refused.
    closed: bool,
}

// SAFETY: the raw pointers in the tables are the data pointers of wakers, which are `Send` and
// `Sync`; the table owns those wakers (see `Table::slots`), and they are only ever reassembled
// into wakers, on whichever thread holds the shard's lock.
unsafe impl Send for ShardInner {}

impl ShardInner {
    /// The index of the table for wakers with `vtable`, creating it if needed; `None` if the
    /// shard already has the most tables a key can name.
    fn table_for(&mut self, vtable: &'static RawWakerVTable) -> Option<u32> {
        if let Some(last) = self.last {
            if ptr::eq(self.tables[last as usize].vtable, vtable) {
                return Some(last);
            }
        }
        let addr = ptr::from_ref(vtable) as usize;
        let index = match self.by_vtable.get(&addr) {
            Some(&index) => index,
            None => {
                let index = u32::try_from(self.tables.len())
                    .ok()
                    .filter(|&i| i < 1 << TABLE_BITS)?;
                self.tables.push(Table {
                    vtable,
                    slots: Vec::new(),
                    free: Vec::new(),
                });
                self.by_vtable.insert(addr, index);
                index
            }
        };
        self.last = Some(index);
        Some(index)
    }
}

/// Hashes a vtable address: the address with its alignment bits shifted out, spread by a
/// multiplication. (The standard hasher would make a lookup cost several times more.)
#[derive(Default)]
struct AddrHasher(u64);

impl Hasher for AddrHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_usize(&mut self, addr: usize) {
        self.0 = ((addr as u64) >> 3).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

pub(crate) struct Registry {
    shards: Box<[Shard]>,
    /// `shards.len() - 1`; the length is a power of two.
    mask: u64,
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

/// Where a task's entry lives: shard in the low bits, table above them, slot in the high bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct EntryKey(u64);

impl EntryKey {
    /// A key that names no entry (tasks that are not registered).
    pub(crate) const NONE: EntryKey = EntryKey(u64::MAX);

    pub(crate) fn to_raw(self) -> u64 {
        self.0
    }

    pub(crate) fn from_raw(raw: u64) -> EntryKey {
        EntryKey(raw)
    }
}

impl Registry {
    pub(crate) fn new(num_workers: usize) -> Registry {
        let n = (num_workers.max(1) * SHARDS_PER_WORKER)
            .next_power_of_two()
            .min(1 << MAX_SHARD_BITS);
        let shards = (0..n)
            .map(|_| Shard {
                inner: Mutex::new(ShardInner::default()),
            })
            .collect();
        Registry {
            shards,
            mask: n as u64 - 1,
            shard_bits: n.trailing_zeros(),
        }
    }

    /// The shard, table and slot a key names.
    fn split(&self, key: EntryKey) -> (usize, usize, usize) {
        let shard = key.0 & self.mask;
        let table = (key.0 >> self.shard_bits) & ((1 << TABLE_BITS) - 1);
        let slot = key.0 >> (self.shard_bits + TABLE_BITS);
        (shard as usize, table as usize, slot as usize)
    }

    /// Registers a task by its waker. Gives the waker back (to be dropped) if the registry was
    /// drained (the runtime is shutting down), or in the unreachable case that the shard has no
    /// key left for it (see [`TABLE_BITS`] and [`MAX_SLOT`]); the task then runs as usual but
    /// is not reached by the shutdown's sweep.
    pub(crate) fn insert(&self, waker: Waker) -> Result<EntryKey, Waker> {
        // See `home_shard`: a thread's spawns go to one shard for a while.
        let shard = home_shard() & self.mask as usize;
        let mut inner = lock(&self.shards[shard].inner);
        if inner.closed {
            return Err(waker);
        }
        let Some(table) = inner.table_for(waker.vtable()) else {
            return Err(waker);
        };
        let entries = &mut inner.tables[table as usize];
        let slot = match entries.free.pop() {
            Some(slot) => {
                entries.slots[slot as usize] = waker.data();
                u64::from(slot)
            }
            None if entries.slots.len() as u64 <= MAX_SLOT => {
                entries.slots.push(waker.data());
                entries.slots.len() as u64 - 1
            }
            None => return Err(waker),
        };
        // The table owns the waker now (the invariant of `Table::slots`).
        std::mem::forget(waker);
        Ok(EntryKey(
            (slot << (self.shard_bits + TABLE_BITS))
                | (u64::from(table) << self.shard_bits)
                | shard as u64,
        ))
    }

    /// Removes an entry, returning its waker (drop it outside any lock of the caller).
    pub(crate) fn remove(&self, key: EntryKey) -> Option<Waker> {
        if key == EntryKey::NONE {
            return None;
        }
        let (shard, table, slot) = self.split(key);
        let mut inner = lock(&self.shards[shard].inner);
        inner.tables.get_mut(table)?.take(slot)
    }

    /// Removes the entries `keys` (each at most once), pushing their wakers onto `wakers` (drop
    /// them outside any lock of the caller). Sorts `keys` so that each shard is locked once.
    pub(crate) fn remove_many(&self, keys: &mut [EntryKey], wakers: &mut Vec<Waker>) {
        keys.sort_unstable_by_key(|key| key.0 & self.mask);
        let mut at = 0;
        while at < keys.len() {
            let shard = keys[at].0 & self.mask;
            let mut inner = lock(&self.shards[shard as usize].inner);
            while at < keys.len() && keys[at].0 & self.mask == shard {
                let (_, table, slot) = self.split(keys[at]);
                if let Some(waker) = inner.tables.get_mut(table).and_then(|t| t.take(slot)) {
                    wakers.push(waker);
                }
                at += 1;
            }
        }
    }

    /// How many entries are registered.
    #[cfg(all(test, not(loom)))]
    pub(crate) fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|shard| {
                lock(&shard.inner)
                    .tables
                    .iter()
                    .map(|t| t.slots.iter().filter(|&&d| d != vacant()).count())
                    .sum::<usize>()
            })
            .sum()
    }

    /// Closes the registry and returns every waker left in it.
    pub(crate) fn drain(&self) -> Vec<Waker> {
        let mut all = Vec::new();
        for shard in self.shards.iter() {
            let mut inner = lock(&shard.inner);
            inner.closed = true;
            inner.last = None;
            inner.by_vtable.clear();
            for mut table in std::mem::take(&mut inner.tables) {
                for slot in 0..table.slots.len() {
                    all.extend(table.take(slot));
                }
            }
        }
        all
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        // Entries left (a runtime that never ran its shutdown sweep) are wakers the tables own.
        drop(self.drain());
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

    /// Counts the wakes of wakers made from it; two types, so two waker vtables.
    struct CountA(std::sync::atomic::AtomicUsize);
    struct CountB(std::sync::atomic::AtomicUsize);

    impl std::task::Wake for CountA {
        fn wake(self: std::sync::Arc<Self>) {
            self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    }

    impl std::task::Wake for CountB {
        fn wake(self: std::sync::Arc<Self>) {
            self.0.fetch_add(10, std::sync::atomic::Ordering::Relaxed);
        }
    }

    #[test]
    fn wakers_of_different_kinds_come_back_whole() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::Arc;

        let registry = Registry::new(1);
        let a = Arc::new(CountA(AtomicUsize::new(0)));
        let b = Arc::new(CountB(AtomicUsize::new(0)));
        // Interleaved, so that each registration switches tables.
        let keys: Vec<EntryKey> = (0..6)
            .map(|i| {
                let waker = if i % 2 == 0 {
                    Waker::from(a.clone())
                } else {
                    Waker::from(b.clone())
                };
                registry.insert(waker).unwrap()
            })
            .collect();
        assert_eq!(registry.len(), 6);
        let tables: std::collections::HashSet<_> =
            keys.iter().map(|k| registry.split(*k).1).collect();
        assert_eq!(tables.len(), 2, "one table per kind of waker");
        assert_eq!(
            Arc::strong_count(&a),
            4,
            "the registry holds three of `a`'s wakers"
        );

        // A removed waker is the one registered: waking it reaches its own counter.
        registry.remove(keys[1]).unwrap().wake();
        assert_eq!(b.0.load(Ordering::Relaxed), 10);
        registry.remove(keys[2]).unwrap().wake();
        assert_eq!(a.0.load(Ordering::Relaxed), 1);
        assert_eq!(Arc::strong_count(&a), 3);

        // The freed slot of `a`'s table is reused by the next waker of that kind.
        let again = registry.insert(Waker::from(a.clone())).unwrap();
        assert_eq!(again, keys[2]);

        for waker in registry.drain() {
            waker.wake();
        }
        assert_eq!(a.0.load(Ordering::Relaxed), 4);
        assert_eq!(b.0.load(Ordering::Relaxed), 30);
        assert_eq!(Arc::strong_count(&a), 1);
        assert_eq!(Arc::strong_count(&b), 1);
    }

    #[test]
    fn dropping_the_registry_drops_its_wakers() {
        use std::sync::atomic::AtomicUsize;
        use std::sync::Arc;

        let a = Arc::new(CountA(AtomicUsize::new(0)));
        let registry = Registry::new(2);
        for _ in 0..3 {
            registry.insert(Waker::from(a.clone())).unwrap();
        }
        assert_eq!(Arc::strong_count(&a), 4);
        drop(registry);
        assert_eq!(Arc::strong_count(&a), 1);
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
            keys.iter().map(|k| registry.split(*k).0).collect();
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

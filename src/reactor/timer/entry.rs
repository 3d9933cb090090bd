//! Timer entries: a slab whose slots double as the nodes of index-linked lists.
//!
//! Every timer lives in one slot of a `Vec`. A slot is either vacant (on the free list) or holds
//! an entry, and an armed entry is a node of exactly one doubly linked list (a wheel slot, the
//! overflow list or the expired list), linked by slot index. Unlinking a node needs only its own
//! `prev`/`next`, so cancelling a timer is O(1), and no pointer into the slab is ever kept, so no
//! unsafe code is needed.
//!
//! A [`TimerKey`] names a slot and the generation it was issued for; the generation of a slot is
//! bumped each time its entry is removed, so a key that outlived its timer never reaches the
//! entry that reuses the slot.

use std::task::Waker;

/// The "no slot" index that ends a list.
const NIL: usize = usize::MAX;

/// The handle of one timer in a [`Wheel`](super::Wheel).
///
/// Cheap to copy. A key stays valid until its timer fires or is passed to
/// [`Wheel::remove`](super::Wheel::remove); afterwards every operation on it is a no-op (and the
/// timer counts as fired), even once its slot has been reused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct TimerKey {
    index: usize,
    generation: u64,
}

impl TimerKey {
    /// The slab slot this key names.
    pub(super) fn index(self) -> usize {
        self.index
    }
}

/// Where an entry is, which says which list (if any) it is linked into.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Place {
    /// The slot is free; `next` links the free list.
    Vacant,
    /// Occupied but linked into no list: only for a moment, while an entry is being (re)filed.
    Unlinked,
    /// Due already (its tick is not after the wheel's current tick); in the expired list.
    Expired,
    /// In slot `slot` of level `level`.
    Level { level: u8, slot: u8 },
    /// Beyond the range of the levels; in the overflow list.
    Overflow,
}

/// One slab slot.
#[derive(Debug)]
pub(super) struct Entry {
    /// Bumped whenever the slot is vacated; keys carry the value they were issued with.
    generation: u64,
    /// The deadline in wheel ticks (milliseconds after the wheel's start, rounded up).
    pub(super) when: u64,
    /// The waker to wake when the deadline is reached; taken when the entry fires.
    pub(super) waker: Option<Waker>,
    pub(super) place: Place,
    prev: usize,
    next: usize,
}

/// The head of an index-linked list of entries.
#[derive(Clone, Copy, Debug)]
pub(super) struct List {
    head: usize,
}

impl List {
    pub(super) const EMPTY: List = List { head: NIL };

    pub(super) fn is_empty(&self) -> bool {
        self.head == NIL
    }
}

/// A list that has been detached from its head, walked front to back.
///
/// The entries it yields may be relinked into other lists while the walk goes on: the next index
/// is read before the current one is handed out.
#[derive(Debug)]
pub(super) struct Drain {
    next: usize,
}

/// The slab of entries.
#[derive(Debug)]
pub(super) struct Slab {
    entries: Vec<Entry>,
    /// The first vacant slot, or `NIL`.
    free: usize,
    /// Occupied slots.
    len: usize,
}

impl Slab {
    pub(super) fn new() -> Slab {
        Slab {
            entries: Vec::new(),
            free: NIL,
            len: 0,
        }
    }

    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// Stores a new entry (linked into no list yet, `place` set by the caller) and returns its
    /// key.
    pub(super) fn insert(&mut self, when: u64, waker: Waker, place: Place) -> TimerKey {
        self.len += 1;
        if self.free == NIL {
            let index = self.entries.len();
            self.entries.push(Entry {
                generation: 0,
                when,
                waker: Some(waker),
                place,
                prev: NIL,
                next: NIL,
            });
            return TimerKey {
                index,
                generation: 0,
            };
        }
        let index = self.free;
        let entry = &mut self.entries[index];
        debug_assert_eq!(entry.place, Place::Vacant);
        self.free = entry.next;
        entry.when = when;
        entry.waker = Some(waker);
        entry.place = place;
        entry.prev = NIL;
        entry.next = NIL;
        TimerKey {
            index,
            generation: entry.generation,
        }
    }

    /// The slot index of `key`'s entry, or `None` if the key is stale.
    pub(super) fn index_of(&self, key: TimerKey) -> Option<usize> {
        let entry = self.entries.get(key.index)?;
        (entry.generation == key.generation && entry.place != Place::Vacant).then_some(key.index)
    }

    pub(super) fn get(&self, index: usize) -> &Entry {
        &self.entries[index]
    }

    pub(super) fn get_mut(&mut self, index: usize) -> &mut Entry {
        &mut self.entries[index]
    }

    /// Frees an entry that is linked into no list, invalidating every key to it; returns its
    /// waker, if it still had one, for the caller to drop where that is safe.
    pub(super) fn release(&mut self, index: usize) -> Option<Waker> {
        let entry = &mut self.entries[index];
        debug_assert!(
            entry.prev == NIL && entry.next == NIL,
            "releasing a linked entry"
        );
        entry.generation = entry.generation.wrapping_add(1);
        entry.place = Place::Vacant;
        entry.prev = NIL;
        entry.next = self.free;
        self.free = index;
        self.len -= 1;
        entry.waker.take()
    }

    /// Links `index` at the front of `list`.
    pub(super) fn push_front(&mut self, list: &mut List, index: usize) {
        let old = list.head;
        {
            let entry = &mut self.entries[index];
            entry.prev = NIL;
            entry.next = old;
        }
        if old != NIL {
            self.entries[old].prev = index;
        }
        list.head = index;
    }

    /// Unlinks `index`, which must be in `list`.
    pub(super) fn unlink(&mut self, list: &mut List, index: usize) {
        let (prev, next) = {
            let entry = &mut self.entries[index];
            let links = (entry.prev, entry.next);
            entry.prev = NIL;
            entry.next = NIL;
            links
        };
        if prev == NIL {
            debug_assert_eq!(
                list.head, index,
                "unlinking an entry from a list it is not in"
            );
            list.head = next;
        } else {
            self.entries[prev].next = next;
        }
        if next != NIL {
            self.entries[next].prev = prev;
        }
    }

    /// Empties `list`, returning a walk over its former entries.
    pub(super) fn drain(list: &mut List) -> Drain {
        let next = list.head;
        list.head = NIL;
        Drain { next }
    }

    /// The next entry of a detached list, with its links cleared.
    pub(super) fn next_drained(&mut self, drain: &mut Drain) -> Option<usize> {
        if drain.next == NIL {
            return None;
        }
        let index = drain.next;
        let entry = &mut self.entries[index];
        drain.next = entry.next;
        entry.prev = NIL;
        entry.next = NIL;
        Some(index)
    }

    /// Every slot index with its entry (vacant ones included), for invariant checks.
    #[cfg(test)]
    pub(super) fn iter(&self) -> impl Iterator<Item = (usize, &Entry)> {
        self.entries.iter().enumerate()
    }

    /// The indices of `list`, front to back, for invariant checks.
    #[cfg(test)]
    pub(super) fn list_indices(&self, list: &List) -> Vec<usize> {
        let mut out = Vec::new();
        let mut prev = NIL;
        let mut at = list.head;
        while at != NIL {
            assert_eq!(self.entries[at].prev, prev, "broken back link");
            out.push(at);
            prev = at;
            at = self.entries[at].next;
        }
        out
    }
}

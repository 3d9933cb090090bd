//! The waiter queue shared by every primitive in this module.
//!
//! A [`WaitList`] is a FIFO of waiters kept in a slab: each waiter occupies a slot whose index
//! (its *key*) the waiting future keeps, and the linked slots form a doubly linked list through
//! `prev`/`next` indices. That gives O(1) push, pop from the front and removal from the middle
//! (a cancelled future unlinks itself) without unsafe code or one allocation per waiter.
//!
//! Ownership of a slot is split on purpose:
//! - whoever notifies *unlinks* a waiter (it leaves the queue) but leaves its slot in place, so
//!   the waiter can find out what happened to it (granted, notified, closed);
//! - only the waiting future *removes* its slot, when it completes or is dropped.
//!
//! A key therefore stays valid, and names the same waiter, from `push_back` to `remove`.
//!
//! The list is always used under its owner's lock; wakers are collected into a [`WakeList`] and
//! woken after the lock is released, so a woken task never finds the lock still held.

use std::task::Waker;

/// The index that means "no slot".
const NIL: usize = usize::MAX;

/// Slots kept for reuse once the list is empty again; a burst of waiters beyond this many gives
/// its memory back when the burst is over.
const RETAINED_SLOTS: usize = 64;

#[derive(Debug)]
enum Slot<T> {
    Vacant { next_free: usize },
    Occupied(Node<T>),
}

#[derive(Debug)]
struct Node<T> {
    prev: usize,
    next: usize,
    linked: bool,
    value: T,
}

/// A FIFO queue of waiters addressed by stable keys; see the module documentation.
#[derive(Debug)]
pub(crate) struct WaitList<T> {
    slots: Vec<Slot<T>>,
    free: usize,
    head: usize,
    tail: usize,
    linked: usize,
    occupied: usize,
}

impl<T> WaitList<T> {
    pub(crate) const fn new() -> WaitList<T> {
        WaitList {
            slots: Vec::new(),
            free: NIL,
            head: NIL,
            tail: NIL,
            linked: 0,
            occupied: 0,
        }
    }

    /// Number of waiters in the queue (linked).
    pub(crate) fn len(&self) -> usize {
        self.linked
    }

    /// Adds a waiter at the back of the queue and returns its key.
    pub(crate) fn push_back(&mut self, value: T) -> usize {
        let node = Node {
            prev: self.tail,
            next: NIL,
            linked: true,
            value,
        };
        let key = if self.free != NIL {
            let key = self.free;
            self.free = match self.slots[key] {
                Slot::Vacant { next_free } => next_free,
                Slot::Occupied(_) => unreachable!("free list points at an occupied slot"),
            };
            self.slots[key] = Slot::Occupied(node);
            key
        } else {
            self.slots.push(Slot::Occupied(node));
            self.slots.len() - 1
        };
        if self.tail == NIL {
            self.head = key;
        } else {
            self.node_mut(self.tail).next = key;
        }
        self.tail = key;
        self.linked += 1;
        self.occupied += 1;
        key
    }

    fn node(&self, key: usize) -> &Node<T> {
        match &self.slots[key] {
            Slot::Occupied(node) => node,
            Slot::Vacant { .. } => unreachable!("waiter key used after removal"),
        }
    }

    fn node_mut(&mut self, key: usize) -> &mut Node<T> {
        match &mut self.slots[key] {
            Slot::Occupied(node) => node,
            Slot::Vacant { .. } => unreachable!("waiter key used after removal"),
        }
    }

    /// The waiter with this key.
    pub(crate) fn get_mut(&mut self, key: usize) -> &mut T {
        &mut self.node_mut(key).value
    }

    /// Whether the waiter with this key is still in the queue.
    pub(crate) fn is_linked(&self, key: usize) -> bool {
        self.node(key).linked
    }

    /// The key of the waiter at the front of the queue.
    pub(crate) fn front(&self) -> Option<usize> {
        (self.head != NIL).then_some(self.head)
    }

    /// Takes the waiter with this key out of the queue, keeping its slot. Does nothing if it is
    /// not in the queue.
    pub(crate) fn unlink(&mut self, key: usize) {
        let (prev, next) = {
            let node = self.node_mut(key);
            if !node.linked {
                return;
            }
            node.linked = false;
            let links = (node.prev, node.next);
            node.prev = NIL;
            node.next = NIL;
            links
        };
        if prev == NIL {
            self.head = next;
        } else {
            self.node_mut(prev).next = next;
        }
        if next == NIL {
            self.tail = prev;
        } else {
            self.node_mut(next).prev = prev;
        }
        self.linked -= 1;
    }

    /// Takes the front waiter out of the queue, keeping its slot, and returns its key.
    pub(crate) fn pop_front(&mut self) -> Option<usize> {
        let key = self.front()?;
        self.unlink(key);
        Some(key)
    }

    /// Unlinks every waiter, calling `f` on each in queue order.
    pub(crate) fn drain(&mut self, mut f: impl FnMut(&mut T)) {
        while let Some(key) = self.pop_front() {
            f(self.get_mut(key));
        }
    }

    /// Frees the slot with this key (unlinking it first if needed) and returns its waiter.
    pub(crate) fn remove(&mut self, key: usize) -> T {
        self.unlink(key);
        let slot = std::mem::replace(
            &mut self.slots[key],
            Slot::Vacant {
                next_free: self.free,
            },
        );
        self.free = key;
        self.occupied -= 1;
        if self.occupied == 0 && self.slots.len() > RETAINED_SLOTS {
            self.slots = Vec::new();
            self.free = NIL;
        }
        match slot {
            Slot::Occupied(node) => node.value,
            Slot::Vacant { .. } => unreachable!("waiter key used after removal"),
        }
    }
}

/// Stores `waker` in `slot` unless the one already there would wake the same task.
pub(crate) fn set_waker(slot: &mut Option<Waker>, waker: &Waker) {
    match slot {
        Some(old) if old.will_wake(waker) => {}
        _ => *slot = Some(waker.clone()),
    }
}

/// Wakers collected under a lock, to be woken after it is released.
///
/// Holds a handful inline; more spill into a vector.
#[derive(Debug, Default)]
pub(crate) struct WakeList {
    inline: [Option<Waker>; 4],
    len: usize,
    spill: Vec<Waker>,
}

impl WakeList {
    pub(crate) fn new() -> WakeList {
        WakeList::default()
    }

    pub(crate) fn push(&mut self, waker: Option<Waker>) {
        let Some(waker) = waker else { return };
        if self.len < self.inline.len() {
            self.inline[self.len] = Some(waker);
            self.len += 1;
        } else {
            self.spill.push(waker);
        }
    }

    /// Wakes every collected waker. Call it with no lock held.
    pub(crate) fn wake_all(mut self) {
        for waker in self.inline.iter_mut().take(self.len) {
            if let Some(waker) = waker.take() {
                waker.wake();
            }
        }
        for waker in self.spill.drain(..) {
            waker.wake();
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn fifo_order_and_removal_from_the_middle() {
        let mut list = WaitList::new();
        let a = list.push_back('a');
        let b = list.push_back('b');
        let c = list.push_back('c');
        assert_eq!(list.len(), 3);
        list.remove(b);
        assert_eq!(list.pop_front(), Some(a));
        assert!(!list.is_linked(a));
        assert_eq!(*list.get_mut(a), 'a');
        assert_eq!(list.remove(a), 'a');
        let d = list.push_back('d');
        assert_eq!(d, a, "freed slots are reused");
        let mut order = Vec::new();
        list.drain(|v| order.push(*v));
        assert_eq!(order, ['c', 'd']);
        assert_eq!(list.len(), 0);
        list.remove(c);
        list.remove(d);
        assert_eq!(list.front(), None);
    }

    #[test]
    fn memory_is_released_after_a_burst() {
        let mut list = WaitList::new();
        let keys: Vec<_> = (0..1000).map(|i| list.push_back(i)).collect();
        for key in keys {
            list.remove(key);
        }
        assert_eq!(list.slots.capacity(), 0);
        let key = list.push_back(7);
        assert_eq!(list.remove(key), 7);
    }
}

//! The hierarchical timing wheel: six levels of 64 slots over millisecond ticks.
//!
//! # Time
//! The wheel counts time in ticks of one millisecond since its `start` instant. A deadline is
//! converted to a tick by rounding *up* and `now` by rounding *down*, and a timer fires only once
//! `now`'s tick has reached the deadline's tick, so a timer never fires before its deadline. The
//! wheel never reads the clock itself: [`Wheel::process`] is told what time it is.
//!
//! # Placement
//! `elapsed` is the last tick processed: every timer whose tick is at or before it has fired (or
//! waits in the expired list for the next [`Wheel::process`]). A timer due at tick `when > elapsed`
//! is filed by the most significant 6-bit group in which `when` and `elapsed` differ:
//!
//! - group `L` (bits `6L..6L+6`) picks level `L`, and the slot is `when`'s value in that group.
//!   A level-`L` slot spans `64^L` ticks: 1 ms, 64 ms, ~4 s, ~4.5 min, ~4.7 h, ~12.4 days.
//! - if they differ above bit 36 (`when` is in a later block of `2^36` ticks, about 795 days),
//!   the timer goes to the overflow list.
//!
//! Because `when > elapsed` and the groups above `L` are equal, `when`'s group `L` is *greater*
//! than `elapsed`'s: every occupied slot of a level lies strictly ahead of the level's current
//! position, and every timer on level `L` is due before every timer on level `L + 1`. The next
//! event is therefore the lowest occupied slot of the lowest non-empty level, found with one
//! `trailing_zeros` on that level's occupancy word.
//!
//! # Processing and cascading
//! [`Wheel::process`] repeatedly takes that next event while it is not after `now`: it moves
//! `elapsed` to the slot's first tick and empties the slot. On level 0 the slot's first tick *is*
//! the deadline of its timers, which fire. On a higher level the slot's timers are filed again
//! against the new `elapsed`, which lands each one on a lower level (or fires it, if it was due
//! exactly at the slot's first tick); a timer is refiled at most once per level. The overflow
//! list is refiled the same way when `elapsed` reaches the first tick of the `2^36` block of its
//! earliest timer. Finally `elapsed` becomes `now`'s tick, which keeps every placement valid
//! because no slot starts in between.
//!
//! Insert, reset and remove are O(1) (index-linked lists, see `entry.rs`); `process` costs
//! O(levels + timers moved).

use std::task::Waker;
use std::time::{Duration, Instant};

use super::entry::{List, Place, Slab, TimerKey};

/// Levels of the wheel. Six levels of 64 slots span `2^36` ms, about 795 days, which leaves only
/// timers set more than two years ahead for the overflow list.
const LEVELS: usize = 6;

/// Bits of a tick that select a slot within a level: 64 slots, so a level's occupancy fits one
/// `u64` and the next occupied slot is one `trailing_zeros` away.
const SLOT_BITS: u32 = 6;

/// Slots per level.
const SLOTS: usize = 1 << SLOT_BITS;

/// Bits of a tick covered by the levels together; timers that differ from `elapsed` above them
/// wait in the overflow list.
const RANGE_BITS: u32 = SLOT_BITS * LEVELS as u32;

/// Nanoseconds per tick: the wheel's resolution is one millisecond.
const NANOS_PER_TICK: u128 = 1_000_000;

/// One level: 64 slot lists and a word whose bit `i` is set when slot `i` is non-empty.
#[derive(Debug)]
struct Level {
    occupied: u64,
    slots: [List; SLOTS],
}

/// The next point at which the wheel has work, in ticks.
#[derive(Clone, Copy, Debug)]
enum Expiration {
    /// Slot `slot` of level `level`, whose first tick is `at`.
    Slot { level: usize, slot: usize, at: u64 },
    /// The overflow list, whose earliest timer's `2^36` block starts at `at`.
    Overflow { at: u64 },
}

impl Expiration {
    fn at(self) -> u64 {
        match self {
            Expiration::Slot { at, .. } | Expiration::Overflow { at } => at,
        }
    }
}

/// A hierarchical timing wheel of 6 levels × 64 slots at 1 ms resolution.
///
/// Holds the timers of one runtime; the owner keeps it behind its lock, calls
/// [`process`](Wheel::process) when [`next_deadline`](Wheel::next_deadline) has come, and wakes
/// the collected wakers after releasing the lock. See the module docs for the layout.
#[derive(Debug)]
pub(crate) struct Wheel {
    /// Tick 0.
    start: Instant,
    /// The last tick processed.
    elapsed: u64,
    slab: Slab,
    levels: [Level; LEVELS],
    /// Timers that were already due when inserted or reset; they fire at the next `process`.
    expired: List,
    /// A lower bound of the ticks in `expired` (`u64::MAX` when it is empty).
    expired_min: u64,
    /// Timers beyond the levels' range.
    overflow: List,
    /// A lower bound of the ticks in `overflow` (`u64::MAX` when it is empty). Removing a timer
    /// does not raise it; refiling the overflow list recomputes it.
    overflow_min: u64,
}

impl Wheel {
    /// An empty wheel whose tick 0 is `start`.
    pub(crate) fn new(start: Instant) -> Wheel {
        Wheel {
            start,
            elapsed: 0,
            slab: Slab::new(),
            levels: std::array::from_fn(|_| Level {
                occupied: 0,
                slots: [List::EMPTY; SLOTS],
            }),
            expired: List::EMPTY,
            expired_min: u64::MAX,
            overflow: List::EMPTY,
            overflow_min: u64::MAX,
        }
    }

    /// Timers armed (a timer leaves the wheel when it fires or is removed).
    // Part of the wheel's interface (metrics, tests) that the stand-in driver does not call.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn len(&self) -> usize {
        self.slab.len()
    }

    /// `true` if the wheel holds no timer.
    // Part of the wheel's interface (metrics, tests) that the stand-in driver does not call.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Adds a timer that wakes `waker` once `deadline` has passed.
    ///
    /// A deadline that has passed already (at the wheel's current tick) fires at the next
    /// [`process`](Wheel::process).
    pub(crate) fn insert(&mut self, deadline: Instant, waker: Waker) -> TimerKey {
        let when = self.tick_ceil(deadline);
        let key = self.slab.insert(when, waker, Place::Unlinked);
        self.link(key.index());
        key
    }

    /// Moves an armed timer to a new deadline; it keeps its waker. Returns `false`, doing
    /// nothing, if the key is stale: the timer has fired or was removed, and arming it again
    /// takes a new [`insert`](Wheel::insert).
    pub(crate) fn reset(&mut self, key: TimerKey, deadline: Instant) -> bool {
        let Some(index) = self.slab.index_of(key) else {
            return false;
        };
        self.unlink(index);
        self.slab.get_mut(index).when = self.tick_ceil(deadline);
        self.link(index);
        true
    }

    /// Sets the waker that the timer wakes, cloning `waker` only if the stored one would not
    /// wake the same task. Returns the waker it replaced, which the caller should drop after
    /// releasing any lock (dropping a waker can drop a task, whose future can drop timers).
    pub(crate) fn update_waker(&mut self, key: TimerKey, waker: &Waker) -> Option<Waker> {
        let index = self.slab.index_of(key)?;
        let stored = &mut self.slab.get_mut(index).waker;
        match stored {
            Some(current) if current.will_wake(waker) => None,
            _ => stored.replace(waker.clone()),
        }
    }

    /// Takes the timer's waker out, leaving the timer without one (for a caller that is about
    /// to [`remove`](Wheel::remove) it and wants to drop the waker outside its lock).
    pub(crate) fn take_waker(&mut self, key: TimerKey) -> Option<Waker> {
        let index = self.slab.index_of(key)?;
        self.slab.get_mut(index).waker.take()
    }

    /// Removes an armed timer, invalidating its key. Returns `true` if it was armed, `false` if
    /// the key is stale (the timer fired or was removed before).
    ///
    /// A fired timer is gone from the wheel already, so its owner need not remove it: a timer
    /// that is known to have fired can be forgotten without touching the wheel again.
    pub(crate) fn remove(&mut self, key: TimerKey) -> bool {
        let Some(index) = self.slab.index_of(key) else {
            return false;
        };
        self.unlink(index);
        drop(self.slab.release(index));
        true
    }

    /// `true` if the timer has fired, or if the key is stale for another reason (removed).
    pub(crate) fn is_fired(&self, key: TimerKey) -> bool {
        self.slab.index_of(key).is_none()
    }

    /// `true` if the key names a timer that is still armed in the wheel.
    // Part of the wheel's interface (metrics, tests) that the stand-in driver does not call.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn contains(&self, key: TimerKey) -> bool {
        self.slab.index_of(key).is_some()
    }

    /// The earliest instant at which [`process`](Wheel::process) may have something to do, or
    /// `None` if no timer is armed.
    ///
    /// It is never later than the instant at which any armed timer becomes due (its deadline
    /// rounded up to the next millisecond), so sleeping until it never makes a timer late. It
    /// may be earlier: when the next event is the cascade of a higher-level slot, it is that
    /// slot's first tick, and processing then moves its timers down without firing any. It is
    /// in the past while timers that were due on insertion are waiting.
    ///
    /// (It is also `None` in the degenerate case where the instant is too far in the future
    /// for [`Instant`] to represent.)
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        let tick = if self.expired.is_empty() {
            self.next_expiration()?.at()
        } else {
            self.expired_min
        };
        self.start.checked_add(Duration::from_millis(tick))
    }

    /// Advances the wheel to `now`, cascading timers down as their slots come up, and pushes
    /// onto `wake` the waker of every timer whose deadline is at or before `now` (and of timers
    /// that were due when inserted), removing them from the wheel. Wake them after releasing any lock.
    ///
    /// `now` should not go backwards between calls; if it does, only already-due timers fire.
    pub(crate) fn process(&mut self, now: Instant, wake: &mut Vec<Waker>) {
        let now_tick = self.tick_floor(now);

        let mut due = Slab::drain(&mut self.expired);
        self.expired_min = u64::MAX;
        while let Some(index) = self.slab.next_drained(&mut due) {
            self.fire(index, wake);
        }

        while let Some(next) = self.next_expiration() {
            if next.at() > now_tick {
                break;
            }
            self.elapsed = next.at();
            let mut moving = match next {
                Expiration::Slot { level, slot, .. } => {
                    let level = &mut self.levels[level];
                    level.occupied &= !(1 << slot);
                    Slab::drain(&mut level.slots[slot])
                }
                Expiration::Overflow { .. } => {
                    self.overflow_min = u64::MAX;
                    Slab::drain(&mut self.overflow)
                }
            };
            while let Some(index) = self.slab.next_drained(&mut moving) {
                if self.slab.get(index).when <= self.elapsed {
                    self.fire(index, wake);
                } else {
                    self.link(index);
                }
            }
        }

        // No slot starts in (elapsed, now_tick], so every placement stays valid.
        self.elapsed = self.elapsed.max(now_tick);
    }

    /// `deadline` as a tick, rounded up (a deadline inside tick `t - 1..t` is due at `t`).
    fn tick_ceil(&self, deadline: Instant) -> u64 {
        let nanos = deadline.saturating_duration_since(self.start).as_nanos();
        u64::try_from(nanos.div_ceil(NANOS_PER_TICK)).unwrap_or(u64::MAX)
    }

    /// `now` as a tick, rounded down (only ticks that have fully begun count as reached).
    fn tick_floor(&self, now: Instant) -> u64 {
        let nanos = now.saturating_duration_since(self.start).as_nanos();
        u64::try_from(nanos / NANOS_PER_TICK).unwrap_or(u64::MAX)
    }

    /// Where a timer due at tick `when` belongs, given the current `elapsed`.
    fn place_for(&self, when: u64) -> Place {
        if when <= self.elapsed {
            return Place::Expired;
        }
        let highest_difference = u64::BITS - 1 - (when ^ self.elapsed).leading_zeros();
        let level = highest_difference / SLOT_BITS;
        if level as usize >= LEVELS {
            return Place::Overflow;
        }
        let slot = (when >> (level * SLOT_BITS)) as usize % SLOTS;
        Place::Level {
            level: level as u8,
            slot: slot as u8,
        }
    }

    /// Files entry `index` (linked into no list) by its `when`.
    fn link(&mut self, index: usize) {
        let when = self.slab.get(index).when;
        let place = self.place_for(when);
        self.slab.get_mut(index).place = place;
        match place {
            Place::Expired => {
                self.slab.push_front(&mut self.expired, index);
                self.expired_min = self.expired_min.min(when);
            }
            Place::Level { level, slot } => {
                let level = &mut self.levels[usize::from(level)];
                self.slab
                    .push_front(&mut level.slots[usize::from(slot)], index);
                level.occupied |= 1 << slot;
            }
            Place::Overflow => {
                self.slab.push_front(&mut self.overflow, index);
                self.overflow_min = self.overflow_min.min(when);
            }
            Place::Vacant | Place::Unlinked => unreachable!("place_for never files an entry there"),
        }
    }

    /// Takes entry `index` out of whatever list it is in, leaving it unlinked.
    fn unlink(&mut self, index: usize) {
        match self.slab.get(index).place {
            Place::Expired => {
                self.slab.unlink(&mut self.expired, index);
                if self.expired.is_empty() {
                    self.expired_min = u64::MAX;
                }
            }
            Place::Level { level, slot } => {
                let level = &mut self.levels[usize::from(level)];
                let list = &mut level.slots[usize::from(slot)];
                self.slab.unlink(list, index);
                if list.is_empty() {
                    level.occupied &= !(1 << slot);
                }
            }
            Place::Overflow => {
                self.slab.unlink(&mut self.overflow, index);
                if self.overflow.is_empty() {
                    self.overflow_min = u64::MAX;
                }
            }
            Place::Unlinked => unreachable!("an armed entry is always in a list"),
            Place::Vacant => unreachable!("a valid key never names a vacant slot"),
        }
        self.slab.get_mut(index).place = Place::Unlinked;
    }

    /// Fires entry `index` (linked into no list): frees its slot, which makes its key stale,
    /// and hands out its waker. Freeing it here, while the entry is in cache anyway, spares the
    /// owner a second visit to a cold entry just to remove it.
    fn fire(&mut self, index: usize, wake: &mut Vec<Waker>) {
        if let Some(waker) = self.slab.release(index) {
            wake.push(waker);
        }
    }

    /// The next slot (or overflow refiling) to process: the lowest occupied slot of the lowest
    /// non-empty level, else the overflow list's.
    fn next_expiration(&self) -> Option<Expiration> {
        for (index, level) in self.levels.iter().enumerate() {
            if level.occupied == 0 {
                continue;
            }
            let slot = level.occupied.trailing_zeros() as usize;
            let shift = SLOT_BITS * index as u32;
            let above = shift + SLOT_BITS;
            let at = (self.elapsed >> above << above) + ((slot as u64) << shift);
            debug_assert!(at > self.elapsed, "an occupied slot lies behind the wheel");
            return Some(Expiration::Slot {
                level: index,
                slot,
                at,
            });
        }
        if self.overflow.is_empty() {
            return None;
        }
        let at = self.overflow_min >> RANGE_BITS << RANGE_BITS;
        debug_assert!(
            at > self.elapsed,
            "an overflow timer lies in the current block"
        );
        Some(Expiration::Overflow { at })
    }

    /// Checks every structural invariant, panicking on the first breach.
    #[cfg(test)]
    pub(super) fn check_invariants(&self) {
        let mut linked = 0;
        for (level_index, level) in self.levels.iter().enumerate() {
            for (slot_index, list) in level.slots.iter().enumerate() {
                let entries = self.slab.list_indices(list);
                assert_eq!(
                    level.occupied & (1 << slot_index) != 0,
                    !entries.is_empty(),
                    "occupancy bit of level {level_index} slot {slot_index}"
                );
                for index in entries {
                    let entry = self.slab.get(index);
                    let expected = Place::Level {
                        level: level_index as u8,
                        slot: slot_index as u8,
                    };
                    assert_eq!(entry.place, expected);
                    assert_eq!(self.place_for(entry.when), expected, "misfiled timer");
                    linked += 1;
                }
            }
        }
        for index in self.slab.list_indices(&self.expired) {
            let entry = self.slab.get(index);
            assert_eq!(entry.place, Place::Expired);
            assert!(entry.when <= self.elapsed);
            assert!(self.expired_min <= entry.when);
            linked += 1;
        }
        for index in self.slab.list_indices(&self.overflow) {
            let entry = self.slab.get(index);
            assert_eq!(entry.place, Place::Overflow);
            assert_eq!(self.place_for(entry.when), Place::Overflow);
            assert!(self.overflow_min <= entry.when);
            linked += 1;
        }
        let mut occupied = 0;
        for (_, entry) in self.slab.iter() {
            match entry.place {
                Place::Vacant => {}
                Place::Unlinked => panic!("an entry left unlinked"),
                _ => occupied += 1,
            }
        }
        assert_eq!(occupied, self.slab.len(), "slab length");
        assert_eq!(linked, occupied, "an armed entry is in no list");
    }
}

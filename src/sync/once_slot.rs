//! [`OnceSlot`]: storage for a value published at most once, shared by
//! [`OnceCell`](super::OnceCell) and [`SetOnce`](super::SetOnce).
//!
//! A slot is an atomic flag and a possibly uninitialized value. The value is written once,
//! through `&self`, by a writer that its owner has made the only one (the holder of
//! `OnceCell`'s permit, the holder of `SetOnce`'s lock); storing the flag (release) publishes
//! it. From then on the value is only read through `&self`; it is moved out or dropped only
//! through `&mut self` or by value. Who may write, and how waiters learn of the value, is the
//! owner's business.

use std::mem::MaybeUninit;

use super::cell::UnsafeCell;
use crate::loom::{AtomicBool, Ordering};

/// A value published at most once; see the module documentation.
pub(crate) struct OnceSlot<T> {
    /// Whether `value` holds a value.
    set: AtomicBool,
    /// # Invariant
    /// Initialized exactly when `set` is true. Written through `&self` only by the one writer
    /// its owner admits, while `set` is false; once `set` is true, accessed through `&self`
    /// for reading only.
    value: UnsafeCell<MaybeUninit<T>>,
}

// SAFETY: `get` shares `&T` between the threads that share the slot, which needs `T: Sync`;
// `set_unchecked` moves a `T` made on one thread into a slot that another thread may drop or
// take from, which needs `T: Send`. Every access to `value` is ordered by `set` and by the
// owner's exclusion of other writers, as described on `value`, so there is no data race.
unsafe impl<T: Sync + Send> Sync for OnceSlot<T> {}

// SAFETY: the slot owns its `T`, and moving the slot moves the `T` with it, which needs
// `T: Send`; the flag is an atomic.
unsafe impl<T: Send> Send for OnceSlot<T> {}

impl<T> OnceSlot<T> {
    /// An empty slot.
    pub(crate) fn new() -> OnceSlot<T> {
        OnceSlot {
            set: AtomicBool::new(false),
            value: UnsafeCell::new(MaybeUninit::uninit()),
        }
    }

    /// An empty slot, in a `const` context.
    #[cfg(not(loom))]
    pub(crate) const fn const_new() -> OnceSlot<T> {
        OnceSlot {
            set: AtomicBool::new(false),
            value: UnsafeCell::new(MaybeUninit::uninit()),
        }
    }

    /// A slot holding `value`.
    pub(crate) fn new_with(value: T) -> OnceSlot<T> {
        OnceSlot {
            set: AtomicBool::new(true),
            value: UnsafeCell::new(MaybeUninit::new(value)),
        }
    }

    /// A slot holding `value`, in a `const` context.
    #[cfg(not(loom))]
    pub(crate) const fn const_new_with(value: T) -> OnceSlot<T> {
        OnceSlot {
            set: AtomicBool::new(true),
            value: UnsafeCell::new(MaybeUninit::new(value)),
        }
    }

    /// Whether the value is there.
    pub(crate) fn is_set(&self) -> bool {
        // Acquire: whoever sees `true` also sees the value written before it was stored.
        self.set.load(Ordering::Acquire)
    }

    fn is_set_mut(&mut self) -> bool {
        // `&mut self`: no other access can race with this load, so any ordering would do.
        self.set.load(Ordering::Relaxed)
    }

    /// The value, if it is there.
    pub(crate) fn get(&self) -> Option<&T> {
        if self.is_set() {
            // SAFETY: `is_set` saw `set` true with acquire ordering, so the value is
            // initialized and its writes are visible here; from now on it is only read through
            // `&self` (invariant of `value`), so a shared reference for as long as `&self`
            // lives is sound.
            Some(self.value.with(|ptr| unsafe { (*ptr).assume_init_ref() }))
        } else {
            None
        }
    }

    /// The value, mutably, if it is there.
    pub(crate) fn get_mut(&mut self) -> Option<&mut T> {
        if self.is_set_mut() {
            // SAFETY: `set` is true, so the value is initialized (invariant of `value`), and
            // `&mut self` rules out any other access to it while the reference lives.
            Some(
                self.value
                    .with_mut(|ptr| unsafe { (*ptr).assume_init_mut() }),
            )
        } else {
            None
        }
    }

    /// Writes `value` and publishes it (release), returning a reference to it.
    ///
    /// # Safety
    /// The slot must be empty, and the caller the only one writing it: no other call of this
    /// function on the slot may run until this one has returned.
    pub(crate) unsafe fn set_unchecked(&self, value: T) -> &T {
        // SAFETY: the caller is the only writer and `set` is false, so nobody else reads or
        // writes `value` (invariant of `value`). The slot is uninitialized, so overwriting it
        // leaks nothing.
        self.value
            .with_mut(|ptr| unsafe { ptr.write(MaybeUninit::new(value)) });
        // Release: pairs with the acquire load in `is_set`.
        self.set.store(true, Ordering::Release);
        // SAFETY: initialized just above, on this thread; from now on it is only read through
        // `&self`.
        self.value.with(|ptr| unsafe { (*ptr).assume_init_ref() })
    }

    /// Moves the value out, leaving the slot empty.
    pub(crate) fn take(&mut self) -> Option<T> {
        if self.is_set_mut() {
            // Mark the slot empty first, so that it does not drop the value again.
            self.set.store(false, Ordering::Relaxed);
            // SAFETY: `set` was true, so the value is initialized (invariant of `value`);
            // `&mut self` excludes every other access, and with `set` now false nothing reads
            // or drops the slot again, so moving the value out leaves no second owner.
            Some(self.value.with(|ptr| unsafe { ptr.read().assume_init() }))
        } else {
            None
        }
    }
}

impl<T> Drop for OnceSlot<T> {
    fn drop(&mut self) {
        if self.is_set_mut() {
            // SAFETY: `set` is true, so the value is initialized (invariant of `value`), and
            // `&mut self` in the destructor is the last access to it: it is dropped once.
            self.value
                .with_mut(|ptr| unsafe { (*ptr).assume_init_drop() });
        }
    }
}

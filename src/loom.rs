//! The synchronization facade.
//!
//! Every atomic, lock and condition variable that a concurrency protocol of the runtime relies on
//! comes from here, so that `RUSTFLAGS="--cfg loom"` swaps them for [loom]'s model-checked
//! versions and the protocols (queues, parking) can be explored exhaustively.
//!
//! [loom]: https://docs.rs/loom

#[cfg(loom)]
pub(crate) use loom::sync::{
    atomic::{fence, AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Ordering},
    Condvar, Mutex, MutexGuard,
};

#[cfg(not(loom))]
pub(crate) use std::sync::{
    atomic::{fence, AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Ordering},
    Condvar, Mutex, MutexGuard,
};

// The reader-writer lock behind `sync::watch`.
#[cfg(loom)]
pub(crate) use loom::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};
#[cfg(not(loom))]
pub(crate) use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

/// Locks `mutex`, ignoring poisoning.
///
/// Runtime locks guard plain data whose invariants hold between statements, and no user code runs
/// while one is held, so a poisoned lock carries no broken state worth propagating.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    match mutex.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}

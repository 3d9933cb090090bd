//! The thread-local "current runtime": which [`Handle`] `spawn` and `Handle::current` use.
//!
//! Set for the whole life of a runtime's worker and blocking threads, and for the duration of
//! `block_on` and of an [`EnterGuard`](super::EnterGuard) on any other thread.

use std::cell::{Cell, RefCell};

use super::Handle;

thread_local! {
    static CURRENT: RefCell<Option<Handle>> = const { RefCell::new(None) };
    /// Set while this thread is inside `block_on`, to refuse a nested one.
    static IN_BLOCK_ON: Cell<bool> = const { Cell::new(false) };
}

/// Calls `f` with the current handle, or gives `value` back if there is none.
///
/// The handle is borrowed, not cloned: cloning would touch the runtime's shared reference count
/// on every spawn. `f` must not change the current handle (it only spawns).
pub(crate) fn try_with_current<T, R>(value: T, f: impl FnOnce(&Handle, T) -> R) -> Result<R, T> {
    let mut value = Some(value);
    let result = CURRENT.try_with(|current| {
        let current = current.borrow();
        let handle = current.as_ref()?;
        let value = value.take()?;
        Some(f(handle, value))
    });
    match result {
        Ok(Some(r)) => Ok(r),
        _ => Err(value
            .take()
            .expect("the value is only taken together with a handle")),
    }
}

/// The current handle, if any.
pub(crate) fn current() -> Option<Handle> {
    CURRENT
        .try_with(|current| current.borrow().clone())
        .ok()
        .flatten()
}

/// Makes `handle` current until the guard is dropped.
pub(crate) struct SetCurrentGuard {
    prev: Option<Handle>,
}

pub(crate) fn set_current(handle: Handle) -> SetCurrentGuard {
    let prev = CURRENT.with(|current| current.borrow_mut().replace(handle));
    SetCurrentGuard { prev }
}

impl Drop for SetCurrentGuard {
    fn drop(&mut self) {
        let prev = self.prev.take();
        // During thread teardown the slot may already be gone; nothing to restore then.
        let _ = CURRENT.try_with(|current| *current.borrow_mut() = prev);
    }
}

/// Marks this thread as inside `block_on` until the guard drops; panics if it already is, or if
/// this thread drives a runtime's tasks (blocking it would stall them, possibly forever).
pub(crate) struct BlockOnGuard(());

#[track_caller]
pub(crate) fn enter_block_on() -> BlockOnGuard {
    if crate::scheduler::on_runtime_thread() || IN_BLOCK_ON.with(|b| b.replace(true)) {
        panic!(
            "cannot block on a future from inside a runtime: this thread is driving \
             asynchronous tasks, and blocking it would stall them. Use `.await` instead, or move \
             the blocking call to `evloop::task::spawn_blocking`."
        );
    }
    BlockOnGuard(())
}

impl Drop for BlockOnGuard {
    fn drop(&mut self) {
        IN_BLOCK_ON.with(|b| b.set(false));
    }
}

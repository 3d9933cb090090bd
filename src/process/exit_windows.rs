//! Windows: noticing that a child exited, without a thread per child.
//!
//! A process handle is signalled when the process exits. [`ExitWatcher`] registers a wait on it
//! with `RegisterWaitForSingleObject`: the system's thread pool waits for many handles per
//! thread and, once the handle is signalled, calls [`on_exit`], which records the exit and wakes
//! the waiting task. The status itself is then read with std's `try_wait`. Windows has no
//! zombies: nothing needs reaping, and a dropped child's handle is simply closed.
//!
//! This is the one place of `process` that calls into the system directly.

#![allow(unsafe_code)]

use std::ffi::c_void;
use std::io;
use std::os::windows::io::{AsHandle, AsRawHandle, OwnedHandle};
use std::process::Child as StdChild;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};

use windows_sys::Win32::Foundation::{HANDLE, INVALID_HANDLE_VALUE};
use windows_sys::Win32::System::Threading::{
    RegisterWaitForSingleObject, UnregisterWaitEx, INFINITE, WT_EXECUTEONLYONCE,
};

/// A registered wait for a child's exit.
pub(super) struct ExitWatcher {
    /// The wait, from `RegisterWaitForSingleObject`; unregistered on drop.
    wait: WaitHandle,
    /// What the callback reports to; its address is the callback's context, so it must outlive
    /// the registration.
    exit: Arc<Exit>,
}

/// The state the callback shares with the watcher.
struct Exit {
    /// A handle of the process of the watcher's own: a handle must stay open while a wait on
    /// it is registered, and the child's own handle closes when its status is collected.
    process: OwnedHandle,
    /// Set once the process has exited.
    exited: AtomicBool,
    /// The task waiting for the exit.
    waker: Mutex<Option<Waker>>,
}

/// The handle of a registered wait.
struct WaitHandle(HANDLE);

// SAFETY: a wait handle is an identifier that the thread pool accepts from any thread
// (`UnregisterWaitEx` is the only use of it), not a pointer to memory.
unsafe impl Send for WaitHandle {}
// SAFETY: as above; a shared reference gives no access to it at all.
unsafe impl Sync for WaitHandle {}

impl ExitWatcher {
    /// A watcher for `child`.
    pub(super) fn new(child: &StdChild) -> io::Result<ExitWatcher> {
        let exit = Arc::new(Exit {
            process: child.as_handle().try_clone_to_owned()?,
            exited: AtomicBool::new(false),
            waker: Mutex::new(None),
        });
        let mut wait: HANDLE = std::ptr::null_mut();
        // SAFETY: `wait` is a valid place for the new wait's handle. The process handle is
        // `exit.process`, open until `exit` is freed, and the context is `exit`'s address: the
        // watcher keeps `exit` alive until `drop` has unregistered the wait and waited out any
        // callback still running (or leaks it if that fails). `on_exit` has the signature the
        // thread pool expects and only reads the context as an `Exit`. With
        // `WT_EXECUTEONLYONCE` the callback runs at most once, on a thread of the pool.
        let registered = unsafe {
            RegisterWaitForSingleObject(
                &mut wait,
                exit.process.as_raw_handle(),
                Some(on_exit),
                Arc::as_ptr(&exit).cast::<c_void>(),
                INFINITE,
                WT_EXECUTEONLYONCE,
            )
        };
        if registered == 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(ExitWatcher {
            wait: WaitHandle(wait),
            exit,
        })
    }

    /// Ready once the child has exited: collect its status with `try_wait`. Never fails; the
    /// `Result` matches the Unix side.
    pub(super) fn poll_changed(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.exit.exited.load(Ordering::Acquire) {
            return Poll::Ready(Ok(()));
        }
        {
            let mut waker = self
                .exit
                .waker
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            match &*waker {
                Some(waker) if waker.will_wake(cx.waker()) => {}
                _ => *waker = Some(cx.waker().clone()),
            }
        }
        // The callback sets the flag before it takes the waker under the lock: an exit after
        // the first check either shows up here or finds the waker just stored.
        if self.exit.exited.load(Ordering::Acquire) {
            Poll::Ready(Ok(()))
        } else {
            Poll::Pending
        }
    }
}

impl Drop for ExitWatcher {
    fn drop(&mut self) {
        // SAFETY: `self.wait` is the registered wait, unregistered only here. With
        // `INVALID_HANDLE_VALUE` the call returns once a callback under way has returned, so
        // none runs after it; this never runs inside the callback, which would deadlock.
        let unregistered = unsafe { UnregisterWaitEx(self.wait.0, INVALID_HANDLE_VALUE) };
        if unregistered == 0 {
            // The callback may still come: keep its context (and the process handle) alive
            // for good rather than free it under it.
            std::mem::forget(Arc::clone(&self.exit));
        }
    }
}

/// The thread pool's callback: the process has exited.
///
/// # Safety
/// `context` must point to a live [`Exit`].
unsafe extern "system" fn on_exit(context: *mut c_void, _timed_out: bool) {
    // SAFETY: the context given at registration is the address of the watcher's `Exit`, which
    // stays alive until the wait is unregistered and no callback is running any more.
    let exit = unsafe { &*context.cast_const().cast::<Exit>() };
    exit.exited.store(true, Ordering::Release);
    let waker = exit
        .waker
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take();
    if let Some(waker) = waker {
        waker.wake();
    }
}

/// Nothing to do on Windows: a process leaves no zombie, and dropping `child` closes its
/// handles.
pub(super) fn reap(child: StdChild) {
    drop(child);
}

//! Ctrl-C on Windows: `SetConsoleCtrlHandler`.
//!
//! The system calls a console control handler on a thread it creates for the purpose (not in an
//! interrupted context, unlike a Unix signal handler), so the handler can take locks and wake
//! tasks directly: it counts the event and wakes every waiting task. No reactor is involved.

use std::future::poll_fn;
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::task::{Poll, Waker};

use windows_sys::core::BOOL;
use windows_sys::Win32::System::Console::{SetConsoleCtrlHandler, CTRL_C_EVENT};

/// Ctrl-C events seen so far.
static DELIVERED: AtomicU64 = AtomicU64::new(0);
/// Tasks waiting for the next event.
static WAITERS: Mutex<Vec<Waker>> = Mutex::new(Vec::new());
/// Whether the handler is installed (or why it could not be).
static INSTALLED: OnceLock<Result<(), i32>> = OnceLock::new();

unsafe extern "system" fn handler(event: u32) -> BOOL {
    if event != CTRL_C_EVENT {
        // Not ours: let the next handler (or the default one) deal with it.
        return 0;
    }
    DELIVERED.fetch_add(1, Ordering::AcqRel);
    let waiters = std::mem::take(&mut *WAITERS.lock().unwrap_or_else(|e| e.into_inner()));
    for waker in waiters {
        waker.wake();
    }
    // Handled: the process is not terminated.
    1
}

fn install() -> io::Result<()> {
    let result = INSTALLED.get_or_init(|| {
        // SAFETY: `handler` has the signature the system expects and stays valid for the life of
        // the process (a plain function); adding a handler has no other precondition.
        if unsafe { SetConsoleCtrlHandler(Some(handler), 1) } != 0 {
            Ok(())
        } else {
            Err(io::Error::last_os_error().raw_os_error().unwrap_or(0))
        }
    });
    (*result).map_err(io::Error::from_raw_os_error)
}

pub(super) async fn ctrl_c() -> io::Result<()> {
    install()?;
    let seen = DELIVERED.load(Ordering::Acquire);
    poll_fn(|cx| {
        if DELIVERED.load(Ordering::Acquire) != seen {
            return Poll::Ready(Ok(()));
        }
        {
            let mut waiters = WAITERS.lock().unwrap_or_else(|e| e.into_inner());
            if !waiters.iter().any(|w| w.will_wake(cx.waker())) {
                waiters.push(cx.waker().clone());
            }
        }
        // The handler counts before it takes the list: an event after the first check either
        // shows up here or finds the waker just pushed.
        if DELIVERED.load(Ordering::Acquire) != seen {
            Poll::Ready(Ok(()))
        } else {
            Poll::Pending
        }
    })
    .await
}

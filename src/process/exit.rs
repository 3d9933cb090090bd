//! Unix: noticing that a child exited, without a thread per child, and reaping children nobody
//! waits for.
//!
//! # Exit notification
//! On Linux (5.3 and later) a child gets a *pidfd* (`pidfd_open`), registered with the reactor:
//! it becomes readable when the child exits. Elsewhere, or where `pidfd_open` is refused, a
//! child listens for `SIGCHLD` through [`signal`](crate::signal::unix::signal) and checks its
//! own status on every delivery (`SIGCHLD`s coalesce and do not say which child, so every
//! waiting child checks). Either way the status itself is collected with a non-blocking
//! `waitpid` on that one child, so children spawned by other code are never reaped here.
//!
//! # Orphans
//! A [`Child`](super::Child) dropped before its process was reaped (with or without
//! `kill_on_drop`) hands the process to [`reap`]: if it has already exited it is reaped at once;
//! otherwise a small task on the global runtime waits for its exit the same way and reaps it,
//! so no zombie is left behind, whatever runtime the child was spawned in and whether or not it
//! still runs. Only when no exit notification can be set up (no descriptor left) does a thread
//! of the global runtime's blocking pool wait for the process instead.

use std::future::poll_fn;
use std::io;
use std::process::Child as StdChild;
use std::task::{Context, Poll};

use crate::signal::unix::{signal, Signal, SignalKind};

/// How a running child's exit is noticed.
pub(super) enum ExitWatcher {
    /// A pidfd, readable once the process has exited.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    PidFd(crate::io::Async<std::os::fd::OwnedFd>),
    /// `SIGCHLD` deliveries: some child changed state, maybe this one.
    Signal(Signal),
}

impl ExitWatcher {
    /// A watcher for `child`, which must not have been reaped yet (so that its process ID cannot
    /// have been reused).
    pub(super) fn new(child: &StdChild) -> io::Result<ExitWatcher> {
        let pid = child.id();
        #[cfg(any(target_os = "linux", target_os = "android"))]
        if let Ok(raw) = i32::try_from(pid) {
            if let Some(pid) = rustix::process::Pid::from_raw(raw) {
                // Refused on kernels before 5.3 (`ENOSYS`) and by some sandboxes: fall back to
                // `SIGCHLD` then.
                if let Ok(fd) =
                    rustix::process::pidfd_open(pid, rustix::process::PidfdFlags::empty())
                {
                    return Ok(ExitWatcher::PidFd(crate::io::Async::new(fd)?));
                }
            }
        }
        #[cfg(not(any(target_os = "linux", target_os = "android")))]
        let _ = pid;
        Ok(ExitWatcher::Signal(signal(SignalKind::child())?))
    }

    /// Ready when the child may have changed state: check it with `try_wait`.
    ///
    /// An error means no notification will come any more (the runtime whose reactor this
    /// watcher waits in has shut down).
    pub(super) fn poll_changed(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self {
            #[cfg(any(target_os = "linux", target_os = "android"))]
            ExitWatcher::PidFd(fd) => fd.poll_readable(cx),
            ExitWatcher::Signal(signal) => match signal.poll_recv(cx) {
                Poll::Ready(Some(())) => Poll::Ready(Ok(())),
                Poll::Ready(None) => Poll::Ready(Err(io::Error::other(
                    "the runtime shut down while waiting for a child process",
                ))),
                Poll::Pending => Poll::Pending,
            },
        }
    }
}

/// Makes sure the process of `child` is reaped, now or once it exits; see "Orphans".
pub(super) fn reap(mut child: StdChild) {
    match child.try_wait() {
        // Reaped now, or not ours to reap any more (someone else's `waitpid(-1)`).
        Ok(Some(_)) | Err(_) => return,
        Ok(None) => {}
    }
    let global = crate::runtime::Handle::global();
    // Registered with the global runtime's reactor, which lives as long as the process.
    let watcher = {
        let _enter = global.enter();
        ExitWatcher::new(&child)
    };
    match watcher {
        Ok(mut watcher) => {
            drop(global.spawn(async move {
                loop {
                    match child.try_wait() {
                        Ok(None) => {}
                        Ok(Some(_)) | Err(_) => return,
                    }
                    if poll_fn(|cx| watcher.poll_changed(cx)).await.is_err() {
                        break;
                    }
                }
                // Never for the global runtime's reactor; kept as the last resort.
                wait_on_blocking_pool(child);
            }));
        }
        Err(_) => wait_on_blocking_pool(child),
    }
}

/// Reaps `child` with a blocking `waitpid` on a thread of the global blocking pool.
fn wait_on_blocking_pool(mut child: StdChild) {
    drop(crate::runtime::Handle::global().spawn_blocking(move || child.wait()));
}

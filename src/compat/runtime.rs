//! A tokio runtime context for futures that need one.
//!
//! Libraries written for tokio may call `tokio::spawn`, create `tokio::net` sockets or
//! `tokio::time` timers inside their futures; all of those look for a tokio runtime in a
//! thread-local and panic when there is none. [`tokio()`] wraps such a future so that, while it
//! is polled, the thread-local points at a tokio runtime:
//!
//! - the runtime already current on the thread, if there is one (a program that runs both); or
//! - one shared background runtime, started on first use, whose single worker thread
//!   (`evloop-compat-tokio`) drives tokio's reactor and timers and runs what the library spawns.
//!
//! The wrapped future itself still runs where it is polled: on an evloop worker, in
//! `evloop::block_on`, in a `LocalSet`. tokio's sockets and timers register with the background
//! runtime's drivers, which wake the evloop task through its ordinary waker.
//!
//! The background runtime is never shut down: it lives as long as the process, idle (parked in
//! `epoll_wait`, no periodic wake-ups) when nothing uses it.

use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context, Poll};

use super::Compat;

/// The shared background runtime, started by the first [`tokio()`] future polled outside any
/// tokio runtime.
static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();

/// Name of the background runtime's threads.
const THREAD_NAME: &str = "evloop-compat-tokio";

fn runtime() -> &'static tokio::runtime::Runtime {
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name(THREAD_NAME)
            .enable_all()
            .build()
            .expect("evloop::compat: failed to start the background tokio runtime")
    })
}

/// Enters a tokio runtime context for the duration of the guard: none when one is current
/// already, the background runtime (started on demand) otherwise.
fn enter() -> Option<tokio::runtime::EnterGuard<'static>> {
    match tokio::runtime::Handle::try_current() {
        Ok(_) => None,
        Err(_) => Some(runtime().enter()),
    }
}

/// Like [`enter`], but never starts the background runtime: used when dropping a [`Compat`].
pub(super) fn enter_if_started() -> Option<tokio::runtime::EnterGuard<'static>> {
    let runtime = RUNTIME.get()?;
    match tokio::runtime::Handle::try_current() {
        Ok(_) => None,
        Err(_) => Some(runtime.enter()),
    }
}

/// Runs `future` inside a tokio runtime context, from evloop.
///
/// Polls `future` where the returned future is polled (an evloop task, `block_on`, ...), with a
/// tokio runtime entered (`Handle::enter`) for the duration of each poll and of the drop: the
/// runtime already current on this thread if any, else a shared background runtime started on
/// first use. Inside, `tokio::spawn`, `tokio::net` and `tokio::time` work as under tokio.
///
/// Same as [`Compat::new(future)`](Compat::new).
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// evloop::block_on(async {
///     // A library that uses tokio inside.
///     let answer = evloop::compat::tokio(async {
///         let task = tokio::spawn(async { 6 * 7 });
///         tokio::time::sleep(std::time::Duration::from_millis(1)).await;
///         task.await.unwrap()
///     })
///     .await;
///     assert_eq!(answer, 42);
///     Ok(())
/// })
/// # }
/// ```
pub fn tokio<F: Future>(future: F) -> Compat<F> {
    Compat::new(future)
}

impl<F: Future> Future for Compat<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let _guard = enter();
        self.get_pin_mut().poll(cx)
    }
}

/// Whether the background tokio runtime of [`tokio()`] has been started (for tests).
#[doc(hidden)]
pub fn __background_runtime_started() -> bool {
    RUNTIME.get().is_some()
}

//! Paused time for tests: [`pause`], [`resume`], [`advance`].

use std::time::Duration;

use crate::runtime::{Handle, RuntimeFlavor};

/// The current runtime's handle, checked to be a current-thread runtime.
#[track_caller]
fn current_thread_handle(what: &str) -> Handle {
    let Ok(handle) = Handle::try_current() else {
        panic!("`time::{what}` must be called from inside a current_thread runtime");
    };
    if handle.runtime_flavor() != RuntimeFlavor::CurrentThread {
        panic!(
            "`time::{what}` needs a current_thread runtime: with several workers, virtual time \
             could not jump ahead only when every worker is idle"
        );
    }
    handle
}

/// Pauses the current runtime's clock.
///
/// From now on the clock only moves when [`advance`] is called, or when the runtime has nothing
/// to run: then it jumps straight to the next timer's deadline. Timers thus fire instantly and
/// in a deterministic order, which makes timing-dependent code fast to test. Time as measured by
/// `Instant::now()` (the standard library's clock) is not affected: use durations
/// (`sleep(d)`), or the runtime's own notion of now, in code under test.
///
/// # Panics
/// Outside a current-thread runtime.
///
/// ```
/// use evloop::time::{self, Duration};
///
/// let rt = evloop::runtime::Builder::new_current_thread().build().unwrap();
/// let real = std::time::Instant::now();
/// rt.block_on(async {
///     time::pause();
///     time::sleep(Duration::from_secs(3600)).await; // returns at once
/// });
/// assert!(real.elapsed() < Duration::from_secs(3600));
/// ```
#[track_caller]
pub fn pause() {
    current_thread_handle("pause").inner.driver.pause();
}

/// Lets the current runtime's clock run again, from where it stands.
///
/// # Panics
/// Outside a current-thread runtime.
#[track_caller]
pub fn resume() {
    current_thread_handle("resume").inner.driver.resume();
}

/// Moves the paused clock forward by `duration`, fires the timers that are then due and yields,
/// so that the tasks they wake run before `advance` returns.
///
/// # Panics
/// Outside a current-thread runtime, or if time is not paused.
///
/// ```
/// use evloop::time::{self, Duration};
///
/// evloop::runtime::Builder::new_current_thread()
///     .start_paused(true)
///     .build()
///     .unwrap()
///     .block_on(async {
///         let sleep = evloop::spawn(time::sleep(Duration::from_secs(10)));
///         time::advance(Duration::from_secs(10)).await;
///         assert!(sleep.is_finished());
///     });
/// ```
#[track_caller]
pub fn advance(duration: Duration) -> impl std::future::Future<Output = ()> {
    let handle = current_thread_handle("advance");
    if !handle.inner.driver.advance(duration) {
        panic!("`time::advance` needs paused time: call `time::pause()` first");
    }
    async {
        // Twice: once for the woken tasks to run, once for what they wake in turn.
        crate::task::yield_now().await;
        crate::task::yield_now().await;
    }
}

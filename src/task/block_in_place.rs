//! [`block_in_place`]: blocking code inside a task without stalling the worker's other tasks.

use crate::scheduler::{enter_block_in_place, BlockInPlace};

/// Runs the blocking function `f` on the current thread, first handing this worker's other
/// tasks to a new worker thread, so that they keep running while `f` blocks.
///
/// The task that calls it waits for `f` (unlike [`spawn_blocking`](super::spawn_blocking),
/// nothing moves to another thread), and can keep borrowing its own state. The thread that ran
/// `f` finishes polling this task, then ends: the new thread is the worker from then on.
/// Inside `f`, [`Handle::block_on`](crate::runtime::Handle::block_on) may be used.
///
/// Outside any runtime, or on a thread that is not a worker (inside `block_on`), `f` simply
/// runs.
///
/// # Panics
/// On a current-thread runtime's thread, as tokio's: no other thread could run its tasks
/// meanwhile. Use [`spawn_blocking`](super::spawn_blocking) there.
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// let rt = evloop::runtime::Builder::new_multi_thread().worker_threads(1).build()?;
/// let sum = rt.block_on(async {
///     evloop::spawn(async {
///         // Other tasks of the one worker keep running while this sleeps.
///         evloop::task::block_in_place(|| {
///             std::thread::sleep(std::time::Duration::from_millis(10));
///             2 + 2
///         })
///     })
///     .await
/// });
/// assert_eq!(sum.unwrap(), 4);
/// # Ok(())
/// # }
/// ```
#[track_caller]
pub fn block_in_place<F, R>(f: F) -> R
where
    F: FnOnce() -> R,
{
    match enter_block_in_place() {
        BlockInPlace::Elsewhere => f(),
        BlockInPlace::Worker(region) => {
            let result = f();
            drop(region);
            result
        }
        BlockInPlace::CurrentThread => panic!(
            "`block_in_place` cannot be called on a current-thread runtime: no other thread \
             could run its tasks meanwhile; use `evloop::task::spawn_blocking` instead"
        ),
    }
}

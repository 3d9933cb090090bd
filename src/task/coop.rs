//! The poll budget ("cooperative scheduling").
//!
//! A task whose resources are always ready (a socket that always has data, a channel that is
//! never empty, a `JoinHandle` of a finished task) would otherwise run forever inside one poll and
//! starve every other task on its worker. Each time a worker polls a task it gives it a budget of
//! [`BUDGET`] operations; every evloop resource spends one unit per ready operation, and once the
//! budget is spent the resource reports `Pending` once (after waking the task), which sends the
//! task to the back of the run queue.
//!
//! Outside a runtime poll (a future driven by some other executor) the budget is unlimited.

use std::cell::Cell;
use std::task::{Context, Poll};

/// Ready operations a task may perform per poll before evloop's resources make it yield.
///
/// 128 matches what tokio found to keep tail latencies low without costing throughput: large
/// enough that a busy task rarely hits it, small enough that a hot loop yields within
/// microseconds.
pub(crate) const BUDGET: u8 = 128;

thread_local! {
    static CURRENT: Cell<Option<u8>> = const { Cell::new(None) };
}

/// Runs `f` (one poll of a task) with a fresh budget, restoring the previous one afterwards.
#[inline]
pub(crate) fn with_budget<R>(f: impl FnOnce() -> R) -> R {
    struct Reset(Option<u8>);
    impl Drop for Reset {
        fn drop(&mut self) {
            CURRENT.with(|c| c.set(self.0));
        }
    }
    let _reset = Reset(CURRENT.with(|c| c.replace(Some(BUDGET))));
    f()
}

/// Spends one unit of the current task's budget.
///
/// Returns `Pending` (after waking the task) when the budget is exhausted; the caller must then
/// return `Pending` itself without doing its operation.
#[inline]
pub(crate) fn poll_proceed(cx: &mut Context<'_>) -> Poll<()> {
    CURRENT.with(|c| match c.get() {
        None => Poll::Ready(()),
        Some(0) => {
            cx.waker().wake_by_ref();
            Poll::Pending
        }
        Some(n) => {
            c.set(Some(n - 1));
            Poll::Ready(())
        }
    })
}

/// Returns `true` if the current task still has budget left (or runs outside a runtime poll).
#[cfg(test)]
pub(crate) fn has_budget_remaining() -> bool {
    CURRENT.with(|c| c.get() != Some(0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::task::Waker;

    #[test]
    fn budget_runs_out_then_resets() {
        let mut cx = Context::from_waker(Waker::noop());
        assert!(
            poll_proceed(&mut cx).is_ready(),
            "unbudgeted outside a task"
        );
        with_budget(|| {
            for _ in 0..BUDGET {
                assert!(poll_proceed(&mut cx).is_ready());
            }
            assert!(!has_budget_remaining());
            assert!(poll_proceed(&mut cx).is_pending());
            with_budget(|| assert!(poll_proceed(&mut cx).is_ready()));
            assert!(poll_proceed(&mut cx).is_pending(), "outer budget restored");
        });
        assert!(poll_proceed(&mut cx).is_ready());
    }
}

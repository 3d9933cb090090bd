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
use std::future::Future;
use std::pin::Pin;
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

/// Spends one unit of the current task's poll budget, and yields to the scheduler if that was
/// the last one, as an evloop resource does for each ready operation.
///
/// For a loop that does much work per iteration without touching an evloop resource (so
/// without spending budget otherwise): calling this each time round keeps it from holding its
/// worker for long. Outside a runtime poll it returns at once.
///
/// ```
/// # evloop::block_on(async {
/// let mut sum = 0u64;
/// for i in 0..10_000u64 {
///     sum += i; // stands for real work
///     evloop::task::consume_budget().await;
/// }
/// assert_eq!(sum, 49_995_000);
/// # });
/// ```
pub async fn consume_budget() {
    let mut yielded = false;
    std::future::poll_fn(|cx| {
        if yielded {
            // Polled again after yielding: the scheduler has given the task a fresh budget,
            // of which this is the first unit.
            return poll_proceed(cx);
        }
        match poll_proceed(cx) {
            Poll::Ready(()) => Poll::Ready(()),
            Poll::Pending => {
                yielded = true;
                Poll::Pending
            }
        }
    })
    .await
}

/// Runs `future` without a poll budget: evloop's resources never make it yield.
///
/// For a future that must not be interrupted by the budget (a tight loop over a channel whose
/// latency matters more than fairness). Such a future can starve the other tasks of its worker
/// for as long as its resources stay ready; use it with care.
///
/// ```
/// use evloop::sync::mpsc;
///
/// # evloop::block_on(async {
/// let (tx, mut rx) = mpsc::unbounded_channel();
/// for i in 0..1_000u32 {
///     tx.send(i).unwrap();
/// }
/// drop(tx);
/// // Receives all 1,000 messages in one poll: the budget (128 per poll) does not apply.
/// let total = evloop::task::unconstrained(async move {
///     let mut total = 0;
///     while let Some(i) = rx.recv().await {
///         total += i;
///     }
///     total
/// })
/// .await;
/// assert_eq!(total, 499_500);
/// # });
/// ```
pub fn unconstrained<F: Future>(future: F) -> Unconstrained<F> {
    Unconstrained { future }
}

/// The future returned by [`unconstrained`].
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Unconstrained<F> {
    future: F,
}

impl<F: Future> Future for Unconstrained<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        struct Reset(Option<u8>);
        impl Drop for Reset {
            fn drop(&mut self) {
                CURRENT.with(|c| c.set(self.0));
            }
        }
        // SAFETY: `future` is structurally pinned: `Unconstrained` never moves it out, has no
        // `Drop` impl, and is `Unpin` only if `F` is.
        let future = unsafe { self.map_unchecked_mut(|this| &mut this.future) };
        let _reset = Reset(CURRENT.with(|c| c.replace(None)));
        future.poll(cx)
    }
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
    fn unconstrained_lifts_the_budget_for_its_future_only() {
        let mut cx = Context::from_waker(Waker::noop());
        with_budget(|| {
            for _ in 0..BUDGET {
                assert!(poll_proceed(&mut cx).is_ready());
            }
            let mut inner = Box::pin(unconstrained(std::future::poll_fn(|cx| {
                for _ in 0..10 * usize::from(BUDGET) {
                    assert!(poll_proceed(cx).is_ready(), "budget applied inside");
                }
                Poll::Ready(())
            })));
            assert!(inner.as_mut().poll(&mut cx).is_ready());
            assert!(poll_proceed(&mut cx).is_pending(), "outer budget restored");
        });
    }

    #[test]
    fn consume_budget_yields_once_when_exhausted() {
        let mut cx = Context::from_waker(Waker::noop());
        with_budget(|| {
            for _ in 0..BUDGET - 1 {
                assert!(poll_proceed(&mut cx).is_ready());
            }
            // The last unit: spent without yielding.
            assert!(Box::pin(consume_budget()).as_mut().poll(&mut cx).is_ready());
            let mut next = Box::pin(consume_budget());
            assert!(
                next.as_mut().poll(&mut cx).is_pending(),
                "exhausted: yields"
            );
            with_budget(|| {
                assert!(
                    next.as_mut().poll(&mut cx).is_ready(),
                    "fresh budget: proceeds"
                );
                assert!(has_budget_remaining());
            });
        });
    }

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

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use pin_project_lite::pin_project;

use super::error::Elapsed;
use super::{sleep, sleep_until, Sleep};
use crate::task::coop;

/// Requires `future` to complete within `duration`.
///
/// The returned [`Timeout`] resolves to `Ok` with the future's output if the future completes
/// first, or to `Err(`[`Elapsed`]`)` once `duration` has passed; the future is then dropped with
/// the `Timeout` (it is cancelled). The future is polled before the deadline is checked, so a
/// future that is ready wins even when the deadline has passed. A duration too large to add to
/// the current instant means "practically never" rather than a panic.
///
/// ```
/// use evloop::time::{sleep, timeout, Duration};
///
/// evloop::block_on(async {
///     assert_eq!(timeout(Duration::from_secs(10), async { 7 }).await, Ok(7));
///
///     let slow = sleep(Duration::from_secs(3600));
///     let result = timeout(Duration::from_millis(10), slow).await;
///     assert!(result.is_err());
/// });
/// ```
#[inline]
pub fn timeout<F: IntoFuture>(duration: Duration, future: F) -> Timeout<F::IntoFuture> {
    Timeout::new(future.into_future(), sleep(duration))
}

/// Requires `future` to complete before `deadline`; see [`timeout`].
///
/// ```
/// use evloop::time::{sleep, timeout_at, Duration, Instant};
///
/// evloop::block_on(async {
///     let deadline = Instant::now() + Duration::from_millis(10);
///     let result = timeout_at(deadline, sleep(Duration::from_secs(3600))).await;
///     assert!(result.is_err());
///     assert!(Instant::now() >= deadline);
/// });
/// ```
#[inline]
pub fn timeout_at<F: IntoFuture>(deadline: Instant, future: F) -> Timeout<F::IntoFuture> {
    Timeout::new(future.into_future(), sleep_until(deadline))
}

pin_project! {
    /// The future returned by [`timeout`] and [`timeout_at`].
    ///
    /// Resolves to `Ok(output)` if the inner future completes first, to `Err(Elapsed)` if the
    /// deadline passes first. Dropping it drops the inner future.
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    #[derive(Debug)]
    pub struct Timeout<F> {
        #[pin]
        value: F,
        #[pin]
        delay: Sleep,
        // The deadline had passed but the task's budget was spent, so this timeout yielded
        // once instead of reporting it.
        yielded: bool,
    }
}

impl<F> Timeout<F> {
    fn new(value: F, delay: Sleep) -> Timeout<F> {
        Timeout {
            value,
            delay,
            yielded: false,
        }
    }

    /// The inner future.
    ///
    /// ```
    /// use evloop::time::{timeout, Duration};
    ///
    /// let t = timeout(Duration::from_secs(1), std::future::ready(5));
    /// let _inner: &std::future::Ready<i32> = t.get_ref();
    /// ```
    pub fn get_ref(&self) -> &F {
        &self.value
    }

    /// The inner future, mutably.
    ///
    /// ```
    /// use evloop::time::{timeout, Duration};
    ///
    /// let mut t = timeout(Duration::from_secs(1), std::future::ready(5));
    /// let _inner: &mut std::future::Ready<i32> = t.get_mut();
    /// ```
    pub fn get_mut(&mut self) -> &mut F {
        &mut self.value
    }

    /// Gives back the inner future, dropping the timer.
    ///
    /// ```
    /// use evloop::time::{timeout, Duration};
    ///
    /// let t = timeout(Duration::from_secs(1), std::future::ready(5));
    /// assert_eq!(evloop::block_on(t.into_inner()), 5);
    /// ```
    pub fn into_inner(self) -> F {
        self.value
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Poll::Ready(output) = this.value.poll(cx) {
            return Poll::Ready(Ok(output));
        }
        if this.delay.poll_deadline(cx).is_pending() {
            return Poll::Pending;
        }
        // The deadline has passed. Report it only if the budget allows, but at most one poll
        // late: the inner future may be what spends the whole budget on every poll, and it must
        // not be able to keep the timeout from firing.
        if !*this.yielded && coop::poll_proceed(cx).is_pending() {
            *this.yielded = true;
            return Poll::Pending;
        }
        Poll::Ready(Err(Elapsed::new()))
    }
}

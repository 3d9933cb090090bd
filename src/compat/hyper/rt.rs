//! hyper's executor and timer on evloop's tasks and timer wheel.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use crate::time::Sleep;

/// hyper's [`Executor`](hyper::rt::Executor) on evloop: spawns each future as a detached evloop
/// task, on the runtime current where `execute` is called, else on the global runtime.
///
/// Give it to hyper's HTTP/2 builders (`http2::Builder::new(HyperExecutor::new())`), or spawn a
/// client connection with [`HyperExecutor::spawn`].
#[derive(Clone, Copy, Debug, Default)]
pub struct HyperExecutor {
    _private: (),
}

impl HyperExecutor {
    /// An executor that spawns on the current (or the global) evloop runtime.
    pub fn new() -> HyperExecutor {
        HyperExecutor { _private: () }
    }

    /// Spawns `future` as a detached task; a shorthand for `evloop::spawn` that drops the
    /// `JoinHandle`, as hyper's executors do.
    pub fn spawn<F>(&self, future: F)
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        drop(crate::spawn(future));
    }
}

impl<F> hyper::rt::Executor<F> for HyperExecutor
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    fn execute(&self, future: F) {
        self.spawn(future);
    }
}

/// hyper's [`Timer`](hyper::rt::Timer) on evloop's timer wheel.
///
/// Give it to hyper's builders (`.timer(HyperTimer::new())`) to enable their timeouts
/// (`header_read_timeout`, keep-alive). The sleeps are evloop [`Sleep`]s, so they fire on the
/// runtime they are first polled on (or the global runtime outside one), never early.
#[derive(Clone, Copy, Debug, Default)]
pub struct HyperTimer {
    _private: (),
}

impl HyperTimer {
    /// An evloop-backed timer for hyper.
    pub fn new() -> HyperTimer {
        HyperTimer { _private: () }
    }
}

impl hyper::rt::Timer for HyperTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(HyperSleep {
            inner: crate::time::sleep(duration),
        })
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(HyperSleep {
            inner: crate::time::sleep_until(deadline),
        })
    }

    /// Moves the deadline of a [`HyperSleep`] in place (no new allocation); any other sleep is
    /// replaced.
    fn reset(&self, sleep: &mut Pin<Box<dyn hyper::rt::Sleep>>, new_deadline: Instant) {
        match sleep.as_mut().downcast_mut_pin::<HyperSleep>() {
            Some(ours) => ours.reset(new_deadline),
            None => *sleep = self.sleep_until(new_deadline),
        }
    }
}

pin_project_lite::pin_project! {
    /// The [`Sleep`](hyper::rt::Sleep) that [`HyperTimer`] hands to hyper: an evloop
    /// [`Sleep`] in hyper's clothes.
    #[derive(Debug)]
    pub struct HyperSleep {
        #[pin]
        inner: Sleep,
    }
}

impl HyperSleep {
    /// Moves the deadline to `deadline`.
    pub fn reset(self: Pin<&mut Self>, deadline: Instant) {
        self.project().inner.reset(deadline);
    }

    /// The instant the sleep completes at.
    pub fn deadline(&self) -> Instant {
        self.inner.deadline()
    }
}

impl Future for HyperSleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.project().inner.poll(cx)
    }
}

impl hyper::rt::Sleep for HyperSleep {}

//! Driving futures inside loom models.
//!
//! [`block_on`] polls a future on the current model thread and, while it is pending, waits on a
//! loom `Notify` that its waker signals. The model checker sees that wait, so a lost wake-up
//! shows up as every model thread blocked: a deadlock that loom reports.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use loom::sync::Notify;

struct NotifyWaker(Notify);

impl Wake for NotifyWaker {
    fn wake(self: Arc<Self>) {
        self.0.notify();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.notify();
    }
}

/// Runs `future` to completion on the current model thread.
pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let notify = Arc::new(NotifyWaker(Notify::new()));
    let waker = Waker::from(notify.clone());
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        notify.0.wait();
    }
}

/// Runs a model, exploring interleavings with at most three preemptions unless
/// `LOOM_MAX_PREEMPTIONS` says otherwise: enough for the races these models are after, and it
/// keeps the models that push through the channel's lock-free queue to seconds.
pub(crate) fn model<F: Fn() + Sync + Send + 'static>(f: F) {
    let mut builder = loom::model::Builder::new();
    if builder.preemption_bound.is_none() {
        builder.preemption_bound = Some(3);
    }
    builder.check(f);
}

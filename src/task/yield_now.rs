use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Yields execution back to the runtime.
///
/// The task is sent to the back of its worker's run queue, so every other runnable task on that
/// worker gets a turn before it runs again.
///
/// ```
/// # evloop::block_on(async {
/// for _ in 0..3 {
///     evloop::task::yield_now().await;
/// }
/// # });
/// ```
pub async fn yield_now() {
    YieldNow { yielded: false }.await
}

struct YieldNow {
    yielded: bool,
}

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        // Waking while running is what tells the scheduler that this is a yield: the task goes
        // to the back of the queue, not into the LIFO slot.
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

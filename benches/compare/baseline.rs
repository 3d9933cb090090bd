//! The spawn baseline: what spawning costs without a runtime.
//!
//! One sample boxes `n` small futures and pushes each into a
//! `concurrent_queue::ConcurrentQueue` (the *push* phase: allocation plus an
//! atomic queue push, the floor under any spawn), then pops each one, polls
//! it once and drops it (the *drain* phase: roughly what running and freeing
//! a no-op task costs at the very least). Both phases are timed separately
//! and reported in ns per task next to `spawn_local`.

use std::future::Future;
use std::hint::black_box;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Wake, Waker};
use std::time::{Duration, Instant};

use concurrent_queue::ConcurrentQueue;

type BoxFuture = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Timings of one baseline sample.
#[derive(Debug, Clone, Copy)]
pub struct BaselineSample {
    pub push: Duration,
    pub drain: Duration,
}

struct NoopWaker;

impl Wake for NoopWaker {
    fn wake(self: Arc<Self>) {}
}

pub fn sample(n: usize) -> BaselineSample {
    let queue: ConcurrentQueue<BoxFuture> = ConcurrentQueue::unbounded();

    let start = Instant::now();
    for i in 0..n {
        let fut: BoxFuture = Box::pin(async move {
            black_box(i);
        });
        if queue.push(fut).is_err() {
            unreachable!("unbounded queue refused a push");
        }
    }
    let push = start.elapsed();

    let waker = Waker::from(Arc::new(NoopWaker));
    let mut cx = Context::from_waker(&waker);
    let start = Instant::now();
    while let Ok(mut fut) = queue.pop() {
        let _ = black_box(fut.as_mut().poll(&mut cx));
    }
    let drain = start.elapsed();

    BaselineSample { push, drain }
}

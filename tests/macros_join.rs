//! `evloop::join!` and `evloop::try_join!`: every output, concurrency on one task, fairness,
//! short-circuiting on the first error and dropping the rest.

use std::future::{pending, ready, Future};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use evloop::sync::{oneshot, Barrier};

/// Ready after `pending_polls` polls; counts its drops.
struct Tracked<T> {
    drops: Arc<AtomicUsize>,
    pending_polls: usize,
    value: Option<T>,
}

fn tracked<T>(drops: &Arc<AtomicUsize>, pending_polls: usize, value: T) -> Tracked<T> {
    Tracked {
        drops: drops.clone(),
        pending_polls,
        value: Some(value),
    }
}

impl<T: Unpin> Future for Tracked<T> {
    type Output = T;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        if self.pending_polls == 0 {
            Poll::Ready(self.value.take().expect("polled after completion"))
        } else {
            self.pending_polls -= 1;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

impl<T> Drop for Tracked<T> {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::SeqCst);
    }
}

#[evloop::test]
async fn join_returns_every_output_in_order() {
    let drops = Arc::new(AtomicUsize::new(0));
    let (a, b, c) = evloop::join!(
        tracked(&drops, 3, 1u8),
        tracked(&drops, 0, "two"),
        tracked(&drops, 1, 3.5f64),
    );
    assert_eq!((a, b, c), (1, "two", 3.5));
    assert_eq!(drops.load(Ordering::SeqCst), 3);
}

#[evloop::test]
async fn join_of_zero_and_one() {
    let () = evloop::join!();
    let (one,) = evloop::join!(ready(1));
    assert_eq!(one, 1);
}

#[evloop::test]
async fn join_runs_the_futures_concurrently() {
    // Each future waits for the other: only concurrent polling completes them.
    let barrier = Barrier::new(2);
    let (a, b) = evloop::join!(barrier.wait(), barrier.wait());
    assert!(a.is_leader() ^ b.is_leader());

    let start = Instant::now();
    evloop::join!(
        evloop::time::sleep(Duration::from_millis(50)),
        evloop::time::sleep(Duration::from_millis(50)),
        evloop::time::sleep(Duration::from_millis(50)),
    );
    assert!(start.elapsed() < Duration::from_millis(140));
}

#[evloop::test]
async fn join_rotates_which_future_is_polled_first() {
    let order = std::cell::RefCell::new(Vec::new());
    let recorder = |id: usize| {
        let order = &order;
        let mut polls = 0;
        std::future::poll_fn(move |cx| {
            order.borrow_mut().push(id);
            polls += 1;
            if polls == 3 {
                Poll::Ready(())
            } else {
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        })
    };
    evloop::join!(recorder(0), recorder(1));
    let order = order.into_inner();
    assert_eq!(order, [0, 1, 1, 0, 0, 1]);

    let order = std::cell::RefCell::new(Vec::new());
    let recorder = |id: usize| {
        let order = &order;
        let mut polls = 0;
        std::future::poll_fn(move |cx| {
            order.borrow_mut().push(id);
            polls += 1;
            if polls == 2 {
                Poll::Ready(())
            } else {
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        })
    };
    evloop::join!(biased; recorder(0), recorder(1));
    assert_eq!(order.into_inner(), [0, 1, 0, 1]);
}

#[evloop::test]
async fn try_join_collects_every_ok() {
    let out: Result<(u8, &str), ()> = evloop::try_join!(async { Ok(1) }, async { Ok("b") });
    assert_eq!(out, Ok((1, "b")));
}

#[evloop::test]
async fn try_join_short_circuits_on_the_first_error_and_drops_the_rest() {
    let drops = Arc::new(AtomicUsize::new(0));
    let out = evloop::try_join!(
        tracked(&drops, 1_000_000, Ok::<u8, &str>(1)),
        tracked(&drops, 2, Err::<u8, &str>("boom")),
        async {
            pending::<()>().await;
            Ok::<u8, &str>(3)
        },
    );
    assert_eq!(out, Err("boom"));
    assert_eq!(drops.load(Ordering::SeqCst), 2);
}

#[evloop::test]
async fn try_join_with_question_mark() {
    async fn both() -> Result<u32, std::num::ParseIntError> {
        let (a, b) = evloop::try_join!(async { "4".parse::<u32>() }, async { "5".parse::<u32>() })?;
        Ok(a + b)
    }
    assert_eq!(both().await, Ok(9));

    async fn one_bad() -> Result<u32, std::num::ParseIntError> {
        let (a, b) = evloop::try_join!(async { "4".parse::<u32>() }, async { "y".parse::<u32>() })?;
        Ok(a + b)
    }
    assert!(one_bad().await.is_err());
}

#[evloop::test(flavor = "multi_thread", worker_threads = 2)]
async fn join_with_spawned_work_on_multi_thread() {
    let (tx, rx) = oneshot::channel();
    let (a, b, c) = evloop::join!(
        async { evloop::spawn(async { 40 }).await.unwrap() + 2 },
        rx,
        async move {
            tx.send(7).unwrap();
            "sent"
        },
    );
    assert_eq!((a, b, c), (42, Ok(7), "sent"));
}

#[test]
fn join_and_try_join_on_a_foreign_executor() {
    let drops = Arc::new(AtomicUsize::new(0));
    let (a, b) = futures_lite::future::block_on(async {
        evloop::join!(tracked(&drops, 2, 1), tracked(&drops, 5, 2))
    });
    assert_eq!((a, b), (1, 2));
    let out: Result<((), ()), u8> = futures_lite::future::block_on(async {
        evloop::try_join!(async { Ok(()) }, async { Err(9) })
    });
    assert_eq!(out, Err(9));
}

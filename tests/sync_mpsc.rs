//! `evloop::sync::mpsc`: bounded and unbounded channels, every error, closing from either side,
//! permits, timeouts, weak senders, cancellation safety, 1,000-task contention on both runtime
//! flavors, and foreign executors.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use evloop::sync::mpsc::{
    self,
    error::{SendError, SendTimeoutError, TryRecvError, TrySendError},
};
use futures_lite::future::{block_on, poll_once};
use futures_lite::StreamExt;

#[macro_use]
mod util;

#[derive(Debug)]
struct Counted(Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

rt_tests! {
    async fn bounded_messages_arrive_in_order_then_none() {
        let (tx, mut rx) = mpsc::channel(4);
        evloop::spawn(async move {
            for i in 0..100 {
                tx.send(i).await.unwrap();
            }
        });
        for i in 0..100 {
            assert_eq!(rx.recv().await, Some(i));
        }
        assert_eq!(rx.recv().await, None);
        assert_eq!(rx.recv().await, None);
    }

    async fn capacity_counts_messages_and_permits() {
        let (tx, mut rx) = mpsc::channel::<u8>(3);
        assert_eq!((tx.capacity(), tx.max_capacity()), (3, 3));
        tx.send(1).await.unwrap();
        let permit = tx.reserve().await.unwrap();
        assert_eq!(tx.capacity(), 1);
        assert_eq!(rx.capacity(), 1);
        assert_eq!(rx.max_capacity(), 3);
        assert_eq!(rx.len(), 1);
        drop(permit);
        assert_eq!(tx.capacity(), 2);
        rx.recv().await.unwrap();
        assert_eq!(tx.capacity(), 3);
        assert!(rx.is_empty());
    }

    async fn try_send_reports_full_and_closed() {
        let (tx, rx) = mpsc::channel(1);
        tx.try_send(1).unwrap();
        let full = tx.try_send(2).unwrap_err();
        assert!(full.is_full());
        assert_eq!(full.to_string(), "no available capacity");
        assert_eq!(full.into_inner(), 2);
        drop(rx);
        assert!(matches!(tx.try_send(3), Err(TrySendError::Closed(3))));
        assert_eq!(TrySendError::from(SendError(4)), TrySendError::Closed(4));
    }

    async fn sending_to_a_dropped_receiver_returns_the_value() {
        let (tx, rx) = mpsc::channel(2);
        let waiting = tx.clone();
        tx.send(1).await.unwrap();
        tx.send(2).await.unwrap();
        // A sender waiting for room is woken with an error when the receiver goes.
        let blocked = evloop::spawn(async move { waiting.send(3).await });
        evloop::time::sleep(Duration::from_millis(5)).await;
        drop(rx);
        assert_eq!(blocked.await.unwrap(), Err(SendError(3)));
        let err = tx.send(4).await.unwrap_err();
        assert_eq!(err.0, 4);
        assert!(tx.is_closed());
        assert!(tx.reserve().await.is_err());
    }

    async fn try_recv_reports_empty_then_disconnected() {
        let (tx, mut rx) = mpsc::channel(1);
        assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
        tx.send(1).await.unwrap();
        drop(tx);
        assert!(rx.is_closed());
        assert_eq!(rx.try_recv(), Ok(1));
        assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
        assert_eq!(TryRecvError::Disconnected.to_string(), "receiving on a closed channel");
    }

    async fn close_drains_what_was_sent_including_reserved_permits() {
        let (tx, mut rx) = mpsc::channel(4);
        tx.send(1).await.unwrap();
        let permit = tx.reserve().await.unwrap();
        rx.close();
        assert!(tx.is_closed());
        assert!(tx.send(9).await.is_err());
        assert!(matches!(tx.try_send(9), Err(TrySendError::Closed(9))));
        assert_eq!(rx.recv().await, Some(1));
        // The permit from before the close still delivers; until it does, recv waits.
        let mut next = Box::pin(async { rx.recv().await });
        assert!(poll_once(next.as_mut()).await.is_none());
        permit.send(2);
        assert_eq!(next.await, Some(2));
        assert_eq!(rx.recv().await, None);

        // A permit dropped unused after the close ends the stream too.
        let (tx, mut rx) = mpsc::channel::<u8>(1);
        let permit = tx.reserve().await.unwrap();
        rx.close();
        let mut next = Box::pin(async { rx.recv().await });
        assert!(poll_once(next.as_mut()).await.is_none());
        drop(permit);
        assert_eq!(evloop::time::timeout(Duration::from_secs(5), next).await, Ok(None));
    }

    async fn closed_resolves_when_the_receiver_goes() {
        let (tx, rx) = mpsc::channel::<u8>(1);
        let tx2 = tx.clone();
        let waiter = evloop::spawn(async move { tx2.closed().await });
        evloop::time::sleep(Duration::from_millis(2)).await;
        drop(rx);
        evloop::time::timeout(Duration::from_secs(5), waiter).await.unwrap().unwrap();
        tx.closed().await;

        let (utx, mut urx) = mpsc::unbounded_channel::<u8>();
        urx.close();
        utx.closed().await;
        assert!(utx.is_closed());
    }

    async fn send_timeout_times_out_or_reports_closed() {
        let (tx, rx) = mpsc::channel(1);
        tx.send_timeout(1, Duration::from_millis(10)).await.unwrap();
        let err = tx.send_timeout(2, Duration::from_millis(10)).await.unwrap_err();
        assert_eq!(err, SendTimeoutError::Timeout(2));
        assert_eq!(err.to_string(), "timed out waiting on send operation");
        drop(rx);
        let err = tx.send_timeout(3, Duration::from_millis(10)).await.unwrap_err();
        assert!(err.is_closed());
        assert_eq!(err.into_inner(), 3);
        // The timed-out send did not leak capacity.
        let (tx, mut rx) = mpsc::channel(1);
        tx.send(1).await.unwrap();
        assert!(tx.send_timeout(2, Duration::from_millis(5)).await.is_err());
        rx.recv().await.unwrap();
        assert_eq!(tx.capacity(), 1);
    }

    async fn a_dropped_pending_send_loses_no_capacity() {
        let (tx, mut rx) = mpsc::channel(1);
        tx.send(0).await.unwrap();
        let mut first = Box::pin(tx.send(1));
        let mut second = Box::pin(tx.send(2));
        assert!(poll_once(first.as_mut()).await.is_none());
        assert!(poll_once(second.as_mut()).await.is_none());
        drop(first); // the message 1 is never sent
        assert_eq!(rx.recv().await, Some(0));
        assert_eq!(poll_once(second.as_mut()).await, Some(Ok(())));
        assert_eq!(rx.recv().await, Some(2));
        assert_eq!(tx.capacity(), 1);
    }

    async fn recv_is_cancellation_safe() {
        let (tx, mut rx) = mpsc::channel(8);
        let mut got = Vec::new();
        let producer = evloop::spawn(async move {
            for i in 0..50 {
                tx.send(i).await.unwrap();
                evloop::task::yield_now().await;
            }
        });
        loop {
            evloop::select! {
                v = rx.recv() => match v {
                    Some(v) => got.push(v),
                    None => break,
                },
                _ = evloop::task::yield_now() => {}
            }
        }
        producer.await.unwrap();
        assert_eq!(got, (0..50).collect::<Vec<_>>());
    }

    async fn one_thousand_senders_exact_sum() {
        let (tx, mut rx) = mpsc::channel::<u64>(16);
        for task in 0..1_000u64 {
            let tx = tx.clone();
            evloop::spawn(async move {
                for i in 0..10 {
                    tx.send(task * 10 + i).await.unwrap();
                }
            });
        }
        drop(tx);
        let (mut count, mut sum) = (0u64, 0u64);
        while let Some(v) = rx.recv().await {
            count += 1;
            sum += v;
        }
        assert_eq!(count, 10_000);
        assert_eq!(sum, 9_999 * 10_000 / 2);
    }

    async fn one_thousand_unbounded_senders_exact_sum() {
        let (tx, mut rx) = mpsc::unbounded_channel::<u64>();
        for task in 0..1_000u64 {
            let tx = tx.clone();
            evloop::spawn(async move {
                for i in 0..10 {
                    tx.send(task * 10 + i).unwrap();
                    if i == 5 {
                        evloop::task::yield_now().await;
                    }
                }
            });
        }
        drop(tx);
        let mut buffer = Vec::new();
        let mut sum = 0;
        loop {
            buffer.clear();
            if rx.recv_many(&mut buffer, 64).await == 0 {
                break;
            }
            sum += buffer.iter().sum::<u64>();
        }
        assert_eq!(sum, 9_999 * 10_000 / 2);
    }

    async fn unbounded_errors_and_close() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        tx.send(1).unwrap();
        tx.send(2).unwrap();
        assert_eq!(rx.len(), 2);
        rx.close();
        assert_eq!(tx.send(3), Err(SendError(3)));
        assert_eq!(rx.recv().await, Some(1));
        assert_eq!(rx.try_recv(), Ok(2));
        assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
        assert_eq!(rx.recv().await, None);
        assert!(rx.is_closed());
    }

    async fn reserve_owned_and_permit_send() {
        let (tx, mut rx) = mpsc::channel(1);
        let permit = tx.clone().reserve_owned().await.unwrap();
        assert!(matches!(tx.try_reserve(), Err(TrySendError::Full(()))));
        let tx2 = permit.send(1);
        assert!(tx2.same_channel(&tx));
        assert_eq!(rx.recv().await, Some(1));
        let permit = tx.clone().try_reserve_owned().unwrap();
        let tx3 = permit.release();
        assert_eq!(tx3.capacity(), 1);
        drop(rx);
        assert!(tx.clone().reserve_owned().await.is_err());
        assert!(matches!(tx.try_reserve_owned(), Err(TrySendError::Closed(_))));
    }

    async fn receivers_are_streams() {
        let (tx, rx) = mpsc::channel(4);
        let (utx, urx) = mpsc::unbounded_channel();
        for i in 0..3 {
            tx.send(i).await.unwrap();
            utx.send(i).unwrap();
        }
        drop((tx, utx));
        assert_eq!(rx.collect::<Vec<_>>().await, [0, 1, 2]);
        assert_eq!(urx.collect::<Vec<_>>().await, [0, 1, 2]);
    }
}

#[test]
fn weak_senders_do_not_keep_the_channel_open() {
    let (tx, mut rx) = mpsc::channel::<u8>(1);
    let weak = tx.downgrade();
    let strong = weak.upgrade().unwrap();
    assert_eq!(tx.strong_count(), 2);
    drop((tx, strong));
    assert!(weak.upgrade().is_none());
    assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));

    let (utx, mut urx) = mpsc::unbounded_channel::<u8>();
    let weak = utx.downgrade();
    weak.upgrade().unwrap().send(1).unwrap();
    drop(utx);
    assert!(weak.clone().upgrade().is_none());
    assert_eq!(urx.try_recv(), Ok(1));
    assert_eq!(urx.try_recv(), Err(TryRecvError::Disconnected));
}

#[test]
fn dropping_the_receiver_drops_queued_messages() {
    let drops = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = mpsc::channel(8);
    let (utx, urx) = mpsc::unbounded_channel();
    for _ in 0..3 {
        tx.try_send(Counted(drops.clone())).unwrap();
        utx.send(Counted(drops.clone())).unwrap();
    }
    drop((rx, urx));
    assert_eq!(drops.load(Ordering::SeqCst), 6);
    let err = tx.try_send(Counted(drops.clone())).unwrap_err();
    drop(err);
    assert_eq!(drops.load(Ordering::SeqCst), 7);
}

#[test]
#[should_panic(expected = "buffer > 0")]
fn a_zero_bound_panics() {
    let _ = mpsc::channel::<u8>(0);
}

#[test]
fn plain_threads_on_a_foreign_executor() {
    let (tx, mut rx) = mpsc::channel::<u64>(4);
    let threads: Vec<_> = (0..4u64)
        .map(|t| {
            let tx = tx.clone();
            std::thread::spawn(move || {
                block_on(async {
                    for i in 0..1_000 {
                        tx.send(t * 1_000 + i).await.unwrap();
                    }
                })
            })
        })
        .collect();
    drop(tx);
    let sum: u64 = block_on(async {
        let mut sum = 0;
        while let Some(v) = rx.recv().await {
            sum += v;
        }
        sum
    });
    for thread in threads {
        thread.join().unwrap();
    }
    assert_eq!(sum, 3_999 * 4_000 / 2);

    let (tx, mut rx) = mpsc::channel(1);
    let thread = std::thread::spawn(move || {
        for i in 0..100 {
            tx.blocking_send(i).unwrap();
        }
    });
    for i in 0..100 {
        assert_eq!(rx.blocking_recv(), Some(i));
    }
    thread.join().unwrap();
    assert_eq!(rx.blocking_recv(), None);
}

#[test]
fn many_tasks_on_a_foreign_executor() {
    let executor = async_executor::Executor::new();
    let (tx, mut rx) = mpsc::channel::<u32>(2);
    for i in 0..1_000 {
        let tx = tx.clone();
        executor
            .spawn(async move { tx.send(i).await.unwrap() })
            .detach();
    }
    drop(tx);
    let sum = block_on(executor.run(async {
        let mut sum = 0;
        while let Some(v) = rx.recv().await {
            sum += v;
        }
        sum
    }));
    assert_eq!(sum, 999 * 1_000 / 2);
}

#[test]
fn futures_are_send() {
    fn assert_send<T: Send>(_: &T) {}
    let (tx, mut rx) = mpsc::channel::<String>(1);
    assert_send(&tx.send(String::new()));
    assert_send(&tx.reserve());
    assert_send(&rx.recv());
    assert_send(&tx.closed());
}

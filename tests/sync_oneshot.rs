//! `evloop::sync::oneshot`: delivery, every error, `close`, `closed()`, dropping of unreceived
//! values, 1,000 channels across tasks on both runtime flavors, and foreign executors.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use evloop::sync::oneshot::{self, error::RecvError, error::TryRecvError};
use futures_lite::future::{block_on, poll_once};

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
    async fn a_value_sent_from_another_task_arrives() {
        let (tx, rx) = oneshot::channel();
        evloop::spawn(async move {
            evloop::time::sleep(Duration::from_millis(2)).await;
            tx.send(String::from("hello")).unwrap();
        });
        assert_eq!(rx.await.unwrap(), "hello");
    }

    async fn a_dropped_sender_fails_the_receiver() {
        let (tx, rx) = oneshot::channel::<u8>();
        evloop::spawn(async move {
            evloop::time::sleep(Duration::from_millis(2)).await;
            drop(tx);
        });
        let err: RecvError = rx.await.unwrap_err();
        assert_eq!(err.to_string(), "channel closed");
    }

    async fn send_to_a_dropped_receiver_returns_the_value() {
        let (tx, rx) = oneshot::channel();
        assert!(!tx.is_closed());
        drop(rx);
        assert!(tx.is_closed());
        assert_eq!(tx.send(5), Err(5));
    }

    async fn closed_waits_for_the_receiver_to_go() {
        let (mut tx, rx) = oneshot::channel::<u8>();
        let mut closed = Box::pin(async move { tx.closed().await });
        assert!(poll_once(closed.as_mut()).await.is_none());
        evloop::spawn(async move {
            evloop::time::sleep(Duration::from_millis(2)).await;
            drop(rx);
        });
        evloop::time::timeout(Duration::from_secs(5), closed).await.unwrap();

        let (mut tx, mut rx) = oneshot::channel::<u8>();
        rx.close();
        tx.closed().await;
    }

    async fn close_keeps_a_value_sent_before() {
        let (tx, mut rx) = oneshot::channel();
        tx.send(1).unwrap();
        rx.close();
        assert_eq!(rx.await, Ok(1));

        let (tx, mut rx) = oneshot::channel();
        rx.close();
        assert_eq!(tx.send(2), Err(2));
        assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    }

    async fn the_receiver_is_cancellation_safe_by_reference() {
        let (tx, mut rx) = oneshot::channel();
        for _ in 0..10 {
            evloop::select! {
                biased;
                _ = &mut rx => unreachable!("nothing sent yet"),
                _ = std::future::ready(()) => {}
            }
        }
        tx.send(3).unwrap();
        assert_eq!((&mut rx).await, Ok(3));
    }

    async fn one_thousand_request_reply_pairs() {
        let mut replies = Vec::new();
        for i in 0..1_000u64 {
            let (tx, rx) = oneshot::channel();
            evloop::spawn(async move {
                evloop::task::yield_now().await;
                tx.send(i * 2).unwrap();
            });
            replies.push(rx);
        }
        let mut sum = 0;
        for rx in replies {
            sum += rx.await.unwrap();
        }
        assert_eq!(sum, 999 * 1_000);
    }
}

#[test]
fn try_recv_walks_through_every_state() {
    let (tx, mut rx) = oneshot::channel();
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    tx.send(1).unwrap();
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));

    let (tx, mut rx) = oneshot::channel::<u8>();
    drop(tx);
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    assert_eq!(TryRecvError::Empty.to_string(), "channel empty");
}

#[test]
fn unreceived_values_are_dropped_exactly_once() {
    let drops = Arc::new(AtomicUsize::new(0));
    // Sent, then the receiver is dropped.
    let (tx, rx) = oneshot::channel();
    tx.send(Counted(drops.clone())).unwrap();
    drop(rx);
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    // Receiver gone first: the value comes back to the sender.
    let (tx, rx) = oneshot::channel();
    drop(rx);
    let back = tx.send(Counted(drops.clone())).unwrap_err();
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    drop(back);
    assert_eq!(drops.load(Ordering::SeqCst), 2);
    // Received.
    let (tx, rx) = oneshot::channel();
    tx.send(Counted(drops.clone())).unwrap();
    let value = block_on(rx).unwrap();
    assert_eq!(drops.load(Ordering::SeqCst), 2);
    drop(value);
    assert_eq!(drops.load(Ordering::SeqCst), 3);
}

#[test]
fn plain_threads_on_a_foreign_executor() {
    for _ in 0..1_000 {
        let (tx, rx) = oneshot::channel();
        let thread = std::thread::spawn(move || tx.send(7).unwrap());
        assert_eq!(block_on(rx), Ok(7));
        thread.join().unwrap();
    }
    let (tx, rx) = oneshot::channel::<u8>();
    std::thread::spawn(move || drop(tx));
    assert!(rx.blocking_recv().is_err());
}

#[test]
#[should_panic(expected = "polled after completion")]
fn polling_after_completion_panics() {
    let (tx, mut rx) = oneshot::channel();
    tx.send(1).unwrap();
    block_on(async {
        assert_eq!((&mut rx).await, Ok(1));
        let _ = (&mut rx).await;
    });
}

//! `evloop::sync::broadcast`: fan-out, lagging receivers, closing, subscription, value
//! lifetimes, cancellation safety, 1,000 receivers on both runtime flavors, and foreign
//! executors.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use evloop::sync::broadcast::{
    self,
    error::{RecvError, SendError, TryRecvError},
};
use futures_lite::future::{block_on, poll_once};

#[macro_use]
mod util;

/// Clones share a drop counter; counts drops of every copy.
#[derive(Debug)]
struct Counted(Arc<AtomicUsize>);

impl Clone for Counted {
    fn clone(&self) -> Counted {
        Counted(self.0.clone())
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

rt_tests! {
    async fn every_receiver_sees_every_value() {
        let (tx, mut a) = broadcast::channel(8);
        let mut b = tx.subscribe();
        for i in 0..5 {
            assert_eq!(tx.send(i).unwrap(), 2);
        }
        for i in 0..5 {
            assert_eq!(a.recv().await, Ok(i));
            assert_eq!(b.recv().await, Ok(i));
        }
    }

    async fn a_slow_receiver_lags_then_continues_from_the_oldest_value() {
        let (tx, mut rx) = broadcast::channel(4);
        for i in 0..10 {
            tx.send(i).unwrap();
        }
        assert_eq!(rx.len(), 4);
        let err = rx.recv().await.unwrap_err();
        assert_eq!(err, RecvError::Lagged(6));
        assert_eq!(err.to_string(), "channel lagged by 6");
        for i in 6..10 {
            assert_eq!(rx.recv().await, Ok(i));
        }
        assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    }

    async fn capacity_is_rounded_up_to_a_power_of_two() {
        let (tx, mut rx) = broadcast::channel(3);
        for i in 0..4 {
            tx.send(i).unwrap();
        }
        assert_eq!(rx.try_recv(), Ok(0), "four values fit");
        tx.send(4).unwrap();
        tx.send(5).unwrap();
        assert_eq!(rx.try_recv(), Err(TryRecvError::Lagged(1)));
        assert_eq!(rx.try_recv(), Ok(2));
    }

    async fn receivers_drain_then_see_closed() {
        let (tx, mut rx) = broadcast::channel(4);
        let tx2 = tx.clone();
        tx.send(1).unwrap();
        drop(tx);
        assert!(!rx.is_closed(), "a clone is still alive");
        tx2.send(2).unwrap();
        drop(tx2);
        assert!(rx.is_closed());
        assert_eq!(rx.recv().await, Ok(1));
        assert_eq!(rx.recv().await, Ok(2));
        assert_eq!(rx.recv().await, Err(RecvError::Closed));
        assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    }

    async fn a_waiting_receiver_is_woken_by_send_and_by_close() {
        let (tx, mut rx) = broadcast::channel(2);
        let mut rx2 = tx.subscribe();
        let task = evloop::spawn(async move { rx2.recv().await });
        evloop::time::sleep(Duration::from_millis(5)).await;
        tx.send(7).unwrap();
        assert_eq!(task.await.unwrap(), Ok(7));
        let task = evloop::spawn(async move { (rx.recv().await, rx.recv().await) });
        evloop::time::sleep(Duration::from_millis(5)).await;
        drop(tx);
        assert_eq!(task.await.unwrap(), (Ok(7), Err(RecvError::Closed)));
    }

    async fn send_without_receivers_fails() {
        let (tx, rx) = broadcast::channel(2);
        assert_eq!(tx.receiver_count(), 1);
        drop(rx);
        assert_eq!(tx.receiver_count(), 0);
        let err: SendError<i32> = tx.send(1).unwrap_err();
        assert_eq!(err.0, 1);
        // A new subscriber reopens it, and sees only what is sent after.
        let mut rx = tx.subscribe();
        tx.send(2).unwrap();
        assert_eq!(rx.recv().await, Ok(2));
    }

    async fn subscribe_and_resubscribe_start_at_the_end() {
        let (tx, mut rx) = broadcast::channel(4);
        tx.send(1).unwrap();
        let mut late = tx.subscribe();
        let mut re = rx.resubscribe();
        tx.send(2).unwrap();
        assert_eq!(rx.recv().await, Ok(1));
        assert_eq!(late.recv().await, Ok(2));
        assert_eq!(re.recv().await, Ok(2));
        assert!(rx.same_channel(&late));
        assert!(tx.same_channel(&tx.clone()));
    }

    async fn a_dropped_pending_recv_loses_nothing() {
        let (tx, mut rx) = broadcast::channel(2);
        {
            let mut recv = Box::pin(rx.recv());
            assert!(poll_once(recv.as_mut()).await.is_none());
        }
        tx.send(1).unwrap();
        assert_eq!(rx.recv().await, Ok(1));
    }

    async fn one_thousand_receivers_each_get_every_value() {
        let (tx, _) = broadcast::channel::<u64>(128);
        let tasks: Vec<_> = (0..1_000)
            .map(|_| {
                let mut rx = tx.subscribe();
                evloop::spawn(async move {
                    let mut sum = 0;
                    loop {
                        match rx.recv().await {
                            Ok(v) => sum += v,
                            Err(RecvError::Closed) => return sum,
                            Err(RecvError::Lagged(n)) => panic!("lagged by {n}"),
                        }
                    }
                })
            })
            .collect();
        for i in 0..100 {
            assert_eq!(tx.send(i).unwrap(), 1_000);
        }
        drop(tx);
        for task in tasks {
            assert_eq!(task.await.unwrap(), 4_950);
        }
    }

    async fn sender_closed_waits_for_the_last_receiver() {
        let (tx, rx) = broadcast::channel::<u8>(1);
        let rx2 = rx.resubscribe();
        let mut closed = Box::pin(async { tx.closed().await });
        assert!(poll_once(closed.as_mut()).await.is_none());
        drop(rx);
        assert!(poll_once(closed.as_mut()).await.is_none());
        drop(rx2);
        assert!(poll_once(closed.as_mut()).await.is_some());
    }
}

#[test]
fn values_are_dropped_once_every_receiver_has_seen_them() {
    let drops = Arc::new(AtomicUsize::new(0));
    let (tx, mut a) = broadcast::channel(4);
    let mut b = tx.subscribe();
    tx.send(Counted(drops.clone())).unwrap();
    assert_eq!(tx.len(), 1);
    drop(a.try_recv().unwrap()); // a clone
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    assert_eq!(tx.len(), 1);
    drop(b.try_recv().unwrap()); // the original, moved out to the last reader
    assert_eq!(drops.load(Ordering::SeqCst), 2);
    assert_eq!(tx.len(), 0);
    assert!(tx.is_empty());

    // A receiver dropped with unread values releases its share of them.
    tx.send(Counted(drops.clone())).unwrap();
    drop(a.try_recv().unwrap());
    assert_eq!(drops.load(Ordering::SeqCst), 3);
    drop(b);
    assert_eq!(drops.load(Ordering::SeqCst), 4);

    // Overwritten values are dropped too.
    let (tx, rx) = broadcast::channel(1);
    tx.send(Counted(drops.clone())).unwrap();
    tx.send(Counted(drops.clone())).unwrap();
    assert_eq!(drops.load(Ordering::SeqCst), 5);
    drop((tx, rx));
    assert_eq!(drops.load(Ordering::SeqCst), 6);
}

#[test]
#[should_panic(expected = "capacity cannot be zero")]
fn zero_capacity_panics() {
    let _ = broadcast::channel::<u8>(0);
}

#[test]
fn plain_threads_on_a_foreign_executor() {
    let (tx, _) = broadcast::channel::<u32>(1_024);
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let mut rx = tx.subscribe();
            std::thread::spawn(move || {
                block_on(async {
                    let mut count = 0;
                    while rx.recv().await.is_ok() {
                        count += 1;
                    }
                    count
                })
            })
        })
        .collect();
    for i in 0..1_000 {
        tx.send(i).unwrap();
    }
    drop(tx);
    for thread in threads {
        assert_eq!(thread.join().unwrap(), 1_000);
    }

    let (tx, mut rx) = broadcast::channel(1);
    std::thread::spawn(move || tx.send(5).unwrap());
    assert_eq!(rx.blocking_recv(), Ok(5));
}

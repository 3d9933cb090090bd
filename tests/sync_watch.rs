//! `evloop::sync::watch`: the current value, change tracking, every way of sending, closing
//! from either side, `wait_for`, 1,000 watchers on both runtime flavors, and foreign executors.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use evloop::sync::watch::{self, error::RecvError};
use futures_lite::future::{block_on, poll_once};

#[macro_use]
mod util;

rt_tests! {
    async fn changed_sees_a_new_value_and_marks_it_seen() {
        let (tx, mut rx) = watch::channel("a");
        assert_eq!(*rx.borrow(), "a");
        assert_eq!(rx.has_changed(), Ok(false));
        let mut changed = Box::pin(async { rx.changed().await });
        assert!(poll_once(changed.as_mut()).await.is_none());
        tx.send("b").unwrap();
        assert_eq!(changed.await, Ok(()));
        assert_eq!(rx.has_changed(), Ok(false));
        assert_eq!(*rx.borrow(), "b");
    }

    async fn intermediate_values_are_skipped() {
        let (tx, mut rx) = watch::channel(0);
        for i in 1..=5 {
            tx.send(i).unwrap();
        }
        rx.changed().await.unwrap();
        assert_eq!(*rx.borrow_and_update(), 5);
        let mut next = Box::pin(async { rx.changed().await });
        assert!(poll_once(next.as_mut()).await.is_none());
    }

    async fn an_unseen_value_is_reported_before_the_close() {
        let (tx, mut rx) = watch::channel(0);
        tx.send(1).unwrap();
        drop(tx);
        assert!(rx.has_changed().is_err());
        assert_eq!(rx.changed().await, Ok(()));
        assert_eq!(*rx.borrow(), 1);
        let err: RecvError = rx.changed().await.unwrap_err();
        assert_eq!(err.to_string(), "channel closed");
    }

    async fn a_waiting_receiver_is_woken_by_the_last_sender_going() {
        let (tx, mut rx) = watch::channel(0);
        let tx2 = tx.clone();
        assert_eq!(tx.sender_count(), 2);
        let task = evloop::spawn(async move { rx.changed().await });
        evloop::time::sleep(Duration::from_millis(5)).await;
        drop(tx);
        evloop::time::sleep(Duration::from_millis(5)).await;
        assert!(!task.is_finished());
        drop(tx2);
        assert!(evloop::time::timeout(Duration::from_secs(5), task).await.unwrap().unwrap().is_err());
    }

    async fn send_fails_without_receivers_but_send_replace_does_not() {
        let (tx, rx) = watch::channel(1);
        assert_eq!(tx.receiver_count(), 1);
        drop(rx);
        assert!(tx.is_closed());
        assert_eq!(tx.send(2).unwrap_err().0, 2);
        assert_eq!(*tx.borrow(), 1);
        assert_eq!(tx.send_replace(3), 1);
        assert_eq!(*tx.borrow(), 3);
        let rx = tx.subscribe();
        assert_eq!(rx.has_changed(), Ok(false), "subscribers start up to date");
        tx.send(4).unwrap();
        assert_eq!(rx.has_changed(), Ok(true));
    }

    async fn send_modify_and_send_if_modified() {
        let (tx, mut rx) = watch::channel(vec![1]);
        tx.send_modify(|v| v.push(2));
        assert!(rx.borrow().has_changed());
        assert_eq!(*rx.borrow_and_update(), [1, 2]);
        assert!(!tx.send_if_modified(|v| v.len() > 5));
        assert_eq!(rx.has_changed(), Ok(false));
        assert!(tx.send_if_modified(|v| {
            v.clear();
            true
        }));
        assert_eq!(rx.has_changed(), Ok(true));
    }

    async fn mark_changed_and_unchanged() {
        let (tx, mut rx) = watch::channel(0);
        rx.mark_changed();
        assert_eq!(rx.has_changed(), Ok(true));
        rx.changed().await.unwrap();
        tx.send(1).unwrap();
        rx.mark_unchanged();
        assert_eq!(rx.has_changed(), Ok(false));
    }

    async fn wait_for_checks_the_current_value_first() {
        let (tx, mut rx) = watch::channel(5);
        assert_eq!(*rx.wait_for(|v| *v == 5).await.unwrap(), 5);
        let waiter = evloop::spawn(async move {
            let value = *rx.wait_for(|v| *v >= 10).await.unwrap();
            (value, rx.wait_for(|v| *v > 100).await.is_err())
        });
        for i in 6..=12 {
            tx.send(i).unwrap();
            evloop::task::yield_now().await;
        }
        drop(tx);
        let (value, closed) = waiter.await.unwrap();
        assert!(value >= 10);
        assert!(closed);
    }

    async fn sender_closed_waits_for_every_receiver() {
        let (tx, rx) = watch::channel(());
        let rx2 = rx.clone();
        assert!(rx.same_channel(&rx2));
        let mut closed = Box::pin(async { tx.closed().await });
        assert!(poll_once(closed.as_mut()).await.is_none());
        drop(rx);
        assert!(poll_once(closed.as_mut()).await.is_none());
        drop(rx2);
        assert!(poll_once(closed.as_mut()).await.is_some());
    }

    async fn one_thousand_watchers_see_the_final_value() {
        let (tx, rx) = watch::channel(0u32);
        let seen = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..1_000)
            .map(|_| {
                let mut rx = rx.clone();
                let seen = seen.clone();
                evloop::spawn(async move {
                    while rx.changed().await.is_ok() {
                        if *rx.borrow_and_update() == 100 {
                            seen.fetch_add(1, Ordering::SeqCst);
                        }
                    }
                })
            })
            .collect();
        drop(rx);
        for i in 1..=100 {
            tx.send(i).unwrap();
            if i % 10 == 0 {
                evloop::task::yield_now().await;
            }
        }
        drop(tx);
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(seen.load(Ordering::SeqCst), 1_000);
    }
}

#[test]
fn plain_threads_on_a_foreign_executor() {
    let (tx, rx) = watch::channel(0u32);
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let mut rx = rx.clone();
            std::thread::spawn(move || {
                block_on(async {
                    let mut last = 0;
                    while rx.changed().await.is_ok() {
                        let value = *rx.borrow_and_update();
                        assert!(value >= last, "values never go back");
                        last = value;
                    }
                    last
                })
            })
        })
        .collect();
    for i in 1..=1_000 {
        tx.send(i).unwrap();
    }
    drop(tx);
    for thread in threads {
        assert_eq!(thread.join().unwrap(), 1_000);
    }
    assert_eq!(format!("{rx:?}"), "Receiver { value: 1000, version: 0 }");
}

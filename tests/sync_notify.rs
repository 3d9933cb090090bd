//! `evloop::sync::Notify`: the stored permit of `notify_one`, `notify_waiters` reaching every
//! future created before it, FIFO order, forwarding from dropped futures, `enable`, 1,000
//! waiters on both runtime flavors, and foreign executors.

use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use evloop::sync::Notify;
use futures_lite::future::{block_on, poll_once};

#[macro_use]
mod util;

rt_tests! {
    async fn notify_one_before_waiting_stores_one_permit() {
        let notify = Notify::new();
        notify.notify_one();
        notify.notify_one();
        notify.notified().await;
        let mut second = pin!(notify.notified());
        assert!(poll_once(second.as_mut()).await.is_none(), "only one permit is stored");
        notify.notify_one();
        assert!(poll_once(second.as_mut()).await.is_some());
    }

    async fn notify_one_wakes_a_waiting_task() {
        let notify = Arc::new(Notify::new());
        let waiter = notify.clone();
        let task = evloop::spawn(async move { waiter.notified().await });
        evloop::time::sleep(Duration::from_millis(5)).await;
        notify.notify_one();
        evloop::time::timeout(Duration::from_secs(5), task).await.unwrap().unwrap();
    }

    async fn notify_waiters_reaches_futures_created_before_it_only() {
        let notify = Notify::new();
        let mut before_unpolled = pin!(notify.notified());
        let mut before_polled = pin!(notify.notified());
        assert!(poll_once(before_polled.as_mut()).await.is_none());
        notify.notify_waiters();
        let mut after = pin!(notify.notified());
        assert!(poll_once(before_unpolled.as_mut()).await.is_some());
        assert!(poll_once(before_polled.as_mut()).await.is_some());
        assert!(poll_once(after.as_mut()).await.is_none(), "no permit is stored");
    }

    async fn notify_one_serves_waiters_in_fifo_order() {
        let notify = Notify::new();
        let mut a = pin!(notify.notified());
        let mut b = pin!(notify.notified());
        assert!(poll_once(a.as_mut()).await.is_none());
        assert!(poll_once(b.as_mut()).await.is_none());
        notify.notify_one();
        assert!(poll_once(b.as_mut()).await.is_none());
        assert!(poll_once(a.as_mut()).await.is_some());
        notify.notify_one();
        assert!(poll_once(b.as_mut()).await.is_some());
    }

    async fn a_dropped_notified_forwards_its_notification() {
        let notify = Notify::new();
        let mut a = Box::pin(notify.notified());
        let mut b = pin!(notify.notified());
        assert!(poll_once(a.as_mut()).await.is_none());
        assert!(poll_once(b.as_mut()).await.is_none());
        notify.notify_one(); // chooses `a`
        drop(a); // which forwards it to `b`
        assert!(poll_once(b.as_mut()).await.is_some());

        // With nobody left waiting, a forwarded notification becomes the permit.
        let mut c = Box::pin(notify.notified());
        assert!(poll_once(c.as_mut()).await.is_none());
        notify.notify_one();
        drop(c);
        notify.notified().await;
    }

    async fn enable_registers_without_polling() {
        let notify = Notify::new();
        let mut a = pin!(notify.notified());
        assert!(!a.as_mut().enable());
        notify.notify_one();
        assert!(a.as_mut().enable());
        a.await;
        // Without `enable`, the same notify_one would have become a stored permit.
        let mut b = pin!(notify.notified());
        notify.notify_one();
        assert!(b.as_mut().enable(), "consumes the stored permit");
    }

    async fn notify_waiters_wakes_one_thousand_tasks() {
        let notify = Arc::new(Notify::new());
        let woken = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..1_000)
            .map(|_| {
                let notified = notify.clone().notified_owned();
                let woken = woken.clone();
                evloop::spawn(async move {
                    notified.await;
                    woken.fetch_add(1, Ordering::SeqCst);
                })
            })
            .collect();
        notify.notify_waiters();
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(woken.load(Ordering::SeqCst), 1_000);
    }

    async fn notify_one_a_thousand_times_wakes_a_thousand_waiters() {
        let notify = Arc::new(Notify::new());
        let woken = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..1_000)
            .map(|_| {
                let (notify, woken) = (notify.clone(), woken.clone());
                evloop::spawn(async move {
                    notify.notified().await;
                    woken.fetch_add(1, Ordering::SeqCst);
                })
            })
            .collect();
        // Notifications sent while nobody waits collapse into one permit, so send the next one
        // only after the previous one has woken somebody.
        for i in 0..1_000 {
            notify.notify_one();
            while woken.load(Ordering::SeqCst) <= i {
                evloop::task::yield_now().await;
            }
        }
        for task in tasks {
            evloop::time::timeout(Duration::from_secs(10), task).await.unwrap().unwrap();
        }
        assert_eq!(woken.load(Ordering::SeqCst), 1_000);
    }
}

#[test]
fn ping_pong_between_plain_threads_on_a_foreign_executor() {
    let ping = Arc::new(Notify::new());
    let pong = Arc::new(Notify::new());
    let (p, q) = (ping.clone(), pong.clone());
    let thread = std::thread::spawn(move || {
        block_on(async {
            for _ in 0..1_000 {
                p.notified().await;
                q.notify_one();
            }
        })
    });
    block_on(async {
        for _ in 0..1_000 {
            ping.notify_one();
            pong.notified().await;
        }
    });
    thread.join().unwrap();
}

#[test]
fn a_static_notify_and_debug() {
    static READY: Notify = Notify::const_new();
    READY.notify_one();
    assert_eq!(format!("{READY:?}"), "Notify { permit: true, waiters: 0 }");
    block_on(READY.notified());
}

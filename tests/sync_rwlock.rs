//! `evloop::sync::RwLock`: shared and exclusive access, FIFO order between readers and
//! writers, `try_*` errors, downgrade, owned guards, poison-freedom, cancellation safety,
//! 1,000-task contention on both runtime flavors, and foreign executors.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use evloop::sync::RwLock;
use futures_lite::future::{block_on, poll_once};

#[macro_use]
mod util;

rt_tests! {
    async fn readers_share_and_writers_exclude() {
        let lock = RwLock::new(1);
        let r1 = lock.read().await;
        let r2 = lock.try_read().unwrap();
        assert_eq!(*r1 + *r2, 2);
        assert_eq!(lock.try_write().unwrap_err().to_string(), "operation would block");
        drop((r1, r2));
        let mut w = lock.write().await;
        *w = 5;
        assert!(lock.try_read().is_err());
        assert!(lock.try_write().is_err());
        drop(w);
        assert_eq!(*lock.read().await, 5);
    }

    async fn a_waiting_writer_is_not_starved_by_later_readers() {
        let lock = RwLock::new(0);
        let reader = lock.read().await;
        let mut writer = Box::pin(lock.write());
        assert!(poll_once(writer.as_mut()).await.is_none());
        // A new reader queues behind the writer instead of joining the current reader.
        assert!(lock.try_read().is_err());
        let mut late_reader = Box::pin(lock.read());
        assert!(poll_once(late_reader.as_mut()).await.is_none());
        drop(reader);
        let mut w = poll_once(writer.as_mut()).await.expect("writer goes next");
        *w = 1;
        drop(w);
        let r = poll_once(late_reader.as_mut()).await.expect("then the reader");
        assert_eq!(*r, 1);
    }

    async fn a_dropped_pending_writer_lets_readers_in() {
        let lock = RwLock::new(0);
        let reader = lock.read().await;
        let mut writer = Box::pin(lock.write());
        assert!(poll_once(writer.as_mut()).await.is_none());
        let mut second = Box::pin(lock.read());
        assert!(poll_once(second.as_mut()).await.is_none());
        drop(writer);
        let second = poll_once(second.as_mut()).await.expect("the reader goes in");
        drop(reader);
        assert!(lock.try_write().is_err(), "the second reader still holds it");
        drop(second);
        assert!(lock.try_write().is_ok());
    }

    async fn downgrade_keeps_writers_out() {
        let lock = Arc::new(RwLock::new(String::from("a")));
        let mut w = lock.write().await;
        w.push('b');
        let r = w.downgrade();
        assert_eq!(*r, "ab");
        assert!(lock.try_write().is_err());
        assert_eq!(*lock.try_read().unwrap(), "ab");
        drop(r);
        let w = lock.clone().write_owned().await;
        let r = w.downgrade();
        assert!(lock.try_write().is_err());
        drop(r);
        assert!(lock.try_write().is_ok());
    }

    async fn a_panicking_writer_does_not_poison_the_lock() {
        let lock = Arc::new(RwLock::new(0));
        let writer = lock.clone();
        let result = evloop::spawn(async move {
            let mut guard = writer.write().await;
            *guard = 3;
            panic!("writer panics");
        })
        .await;
        assert!(result.unwrap_err().is_panic());
        assert_eq!(*lock.try_read().unwrap(), 3);
        *lock.write().await += 1;
        assert_eq!(*lock.read().await, 4);
    }

    async fn one_thousand_tasks_of_readers_and_writers() {
        let lock = Arc::new(RwLock::new(0u64));
        let writers_inside = Arc::new(AtomicUsize::new(0));
        let readers_inside = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..1_000)
            .map(|i| {
                let (lock, wi, ri) = (lock.clone(), writers_inside.clone(), readers_inside.clone());
                evloop::spawn(async move {
                    if i % 4 == 0 {
                        let mut guard = lock.clone().write_owned().await;
                        assert_eq!(wi.fetch_add(1, Ordering::SeqCst), 0);
                        assert_eq!(ri.load(Ordering::SeqCst), 0);
                        let value = *guard;
                        evloop::task::yield_now().await;
                        *guard = value + 1;
                        wi.fetch_sub(1, Ordering::SeqCst);
                    } else {
                        let guard = lock.read().await;
                        ri.fetch_add(1, Ordering::SeqCst);
                        assert_eq!(wi.load(Ordering::SeqCst), 0);
                        let _ = *guard;
                        evloop::task::yield_now().await;
                        ri.fetch_sub(1, Ordering::SeqCst);
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(*lock.read().await, 250);
    }
}

#[test]
fn max_readers_owned_try_variants_and_debug() {
    let lock = Arc::new(RwLock::with_max_readers(1, 2));
    let a = lock.clone().try_read_owned().unwrap();
    let b = lock.clone().try_read_owned().unwrap();
    assert!(lock.clone().try_read_owned().is_err());
    assert!(lock.clone().try_write_owned().is_err());
    assert_eq!(format!("{a:?} {b}"), "1 1");
    drop((a, b));
    let w = lock.clone().try_write_owned().unwrap();
    assert_eq!(format!("{lock:?}"), "RwLock { data: <locked> }");
    drop(w);
    assert_eq!(format!("{lock:?}"), "RwLock { data: 1 }");
}

#[test]
#[should_panic(expected = "admits between 1 and")]
fn zero_max_readers_panics() {
    let _ = RwLock::with_max_readers((), 0);
}

#[test]
fn statics_blocking_calls_and_get_mut() {
    static CONFIG: RwLock<u32> = RwLock::const_new(1);
    *CONFIG.blocking_write() += 1;
    assert_eq!(*CONFIG.blocking_read(), 2);
    let mut lock = RwLock::new(vec![1]);
    lock.get_mut().push(2);
    assert_eq!(lock.into_inner(), [1, 2]);
}

#[test]
fn contention_on_a_foreign_executor_with_plain_threads() {
    let lock = Arc::new(RwLock::new(0u64));
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let lock = lock.clone();
            std::thread::spawn(move || {
                block_on(async {
                    for i in 0..1_000 {
                        if (i + t) % 3 == 0 {
                            *lock.write().await += 1;
                        } else {
                            let _ = *lock.read().await;
                        }
                    }
                })
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    let expected: u64 = (0..4u64)
        .map(|t| (0..1_000u64).filter(|i| (i + t) % 3 == 0).count() as u64)
        .sum();
    assert_eq!(*lock.blocking_read(), expected);
}

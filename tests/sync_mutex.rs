//! `evloop::sync::Mutex`: exclusion, `try_lock`, owned guards, poison-freedom, FIFO order,
//! cancellation safety, 1,000-task contention on both runtime flavors, and foreign executors.

use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use evloop::sync::{Mutex, TryLockError};
use futures_lite::future::{block_on, poll_once};

#[macro_use]
mod util;

fn assert_send<T: Send>(_: &T) {}

rt_tests! {
    async fn lock_gives_exclusive_access() {
        let mutex = Mutex::new(vec![1]);
        {
            let mut guard = mutex.lock().await;
            guard.push(2);
            assert!(mutex.try_lock().is_err());
        }
        assert_eq!(*mutex.lock().await, [1, 2]);
    }

    async fn try_lock_reports_would_block() {
        let mutex = Mutex::new(0);
        let guard = mutex.try_lock().unwrap();
        let err: TryLockError = mutex.try_lock().unwrap_err();
        assert_eq!(err.to_string(), "operation would block");
        drop(guard);
        assert!(mutex.try_lock().is_ok());
    }

    async fn a_panicking_holder_does_not_poison_the_mutex() {
        let mutex = Arc::new(Mutex::new(0));
        let holder = mutex.clone();
        let result = evloop::spawn(async move {
            let mut guard = holder.lock().await;
            *guard = 7;
            panic!("holder panics with the lock held");
        })
        .await;
        assert!(result.unwrap_err().is_panic());
        // The guard was dropped while unwinding: the lock is free and the data is there.
        assert_eq!(*mutex.try_lock().expect("mutex stayed locked"), 7);
        *mutex.lock().await += 1;
        assert_eq!(*mutex.lock().await, 8);
    }

    async fn a_dropped_pending_lock_lets_the_next_waiter_in() {
        let mutex = Mutex::new(0);
        let guard = mutex.lock().await;
        let mut first = Box::pin(mutex.lock());
        let mut second = Box::pin(mutex.lock());
        assert!(poll_once(first.as_mut()).await.is_none());
        assert!(poll_once(second.as_mut()).await.is_none());
        drop(first);
        drop(guard);
        let mut guard = evloop::time::timeout(Duration::from_secs(5), second)
            .await
            .expect("the second waiter never got the lock");
        *guard += 1;
        drop(guard);
        assert_eq!(*mutex.try_lock().unwrap(), 1);
    }

    async fn a_lock_handed_over_then_dropped_unpolled_is_released() {
        let mutex = Mutex::new(());
        let guard = mutex.lock().await;
        let mut waiter = Box::pin(mutex.lock());
        assert!(poll_once(waiter.as_mut()).await.is_none());
        drop(guard); // hands the lock to `waiter`
        drop(waiter); // which never sees it: it must pass the lock on
        assert!(mutex.try_lock().is_ok());
    }

    async fn waiters_are_served_in_fifo_order() {
        let mutex = Arc::new(Mutex::new(Vec::new()));
        let guard = mutex.lock().await;
        let mut tasks = Vec::new();
        for i in 0..10 {
            let mutex = mutex.clone();
            let started = Arc::new(std::sync::atomic::AtomicBool::new(false));
            let flag = started.clone();
            tasks.push(evloop::spawn(async move {
                flag.store(true, Ordering::SeqCst);
                mutex.lock().await.push(i)
            }));
            // Let each task queue before spawning the next.
            while !started.load(Ordering::SeqCst) {
                evloop::task::yield_now().await;
            }
            evloop::time::sleep(Duration::from_millis(2)).await;
        }
        drop(guard);
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(*mutex.lock().await, (0..10).collect::<Vec<_>>());
    }

    async fn one_thousand_tasks_increment_under_contention() {
        let mutex = Arc::new(Mutex::new(0u64));
        let inside = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..1_000)
            .map(|_| {
                let mutex = mutex.clone();
                let inside = inside.clone();
                evloop::spawn(async move {
                    for _ in 0..10 {
                        let mut guard = mutex.lock().await;
                        assert_eq!(inside.fetch_add(1, Ordering::SeqCst), 0, "two holders");
                        let value = *guard;
                        evloop::task::yield_now().await;
                        *guard = value + 1;
                        inside.fetch_sub(1, Ordering::SeqCst);
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(*mutex.lock().await, 10_000);
    }

    async fn owned_guards_move_into_tasks() {
        let mutex = Arc::new(Mutex::new(String::new()));
        let mut guard = mutex.clone().lock_owned().await;
        assert!(Arc::ptr_eq(guard.mutex(), &mutex));
        let task = evloop::spawn(async move {
            guard.push_str("owned");
        });
        task.await.unwrap();
        assert_eq!(*mutex.lock().await, "owned");
        let held = mutex.clone().try_lock_owned().unwrap();
        assert!(mutex.clone().try_lock_owned().is_err());
        drop(held);
    }

    async fn lock_futures_and_guards_are_send() {
        let mutex = Mutex::new(1);
        let fut = mutex.lock();
        assert_send(&fut);
        let guard = fut.await;
        assert_send(&guard);
    }
}

#[test]
fn get_mut_into_inner_default_and_debug() {
    let mut mutex = Mutex::new(1);
    *mutex.get_mut() += 1;
    assert_eq!(format!("{mutex:?}"), "Mutex { data: 2 }");
    let guard = mutex.try_lock().unwrap();
    assert_eq!(format!("{mutex:?}"), "Mutex { data: <locked> }");
    assert_eq!(format!("{guard:?} {guard}"), "2 2");
    drop(guard);
    assert_eq!(mutex.into_inner(), 2);
    assert_eq!(Mutex::<u8>::default().into_inner(), 0);
    assert_eq!(Mutex::from(3).into_inner(), 3);
}

#[test]
fn a_static_mutex() {
    static COUNTER: Mutex<u32> = Mutex::const_new(0);
    block_on(async {
        *COUNTER.lock().await += 5;
    });
    assert_eq!(*COUNTER.blocking_lock(), 5);
}

#[test]
fn contention_on_a_foreign_executor_with_plain_threads() {
    let mutex = Arc::new(Mutex::new(0u64));
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let mutex = mutex.clone();
            std::thread::spawn(move || {
                block_on(async {
                    for _ in 0..1_000 {
                        *mutex.lock().await += 1;
                    }
                })
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    assert_eq!(*mutex.blocking_lock(), 4_000);
}

#[test]
fn many_tasks_on_a_foreign_executor() {
    let mutex = Arc::new(Mutex::new(0u64));
    let executor = async_executor::Executor::new();
    let tasks: Vec<_> = (0..1_000)
        .map(|_| {
            let mutex = mutex.clone();
            executor.spawn(async move {
                let mut guard = mutex.lock().await;
                futures_lite::future::yield_now().await;
                *guard += 1;
            })
        })
        .collect();
    block_on(executor.run(async {
        for task in tasks {
            task.await;
        }
    }));
    assert_eq!(*mutex.blocking_lock(), 1_000);
}

#[test]
fn lock_future_is_cancellation_safe_under_select() {
    block_on(async {
        let mutex = Mutex::new(0);
        let guard = mutex.lock().await;
        let mut lost = 0;
        for _ in 0..100 {
            evloop::select! {
                biased;
                _ = mutex.lock() => unreachable!("the lock is held"),
                _ = std::future::ready(()) => lost += 1,
            }
        }
        assert_eq!(lost, 100);
        drop(guard);
        let lock = pin!(mutex.lock());
        assert!(poll_once(lock).await.is_some());
    });
}

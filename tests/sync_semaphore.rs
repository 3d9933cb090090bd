//! `evloop::sync::Semaphore`: permits, batch acquires in FIFO order, closing, owned permits,
//! cancellation safety, 1,000-task contention on both runtime flavors, and foreign executors.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use evloop::sync::{AcquireError, Semaphore, TryAcquireError};
use futures_lite::future::{block_on, poll_once};

#[macro_use]
mod util;

rt_tests! {
    async fn permits_are_taken_and_given_back() {
        let semaphore = Semaphore::new(3);
        let a = semaphore.acquire().await.unwrap();
        let b = semaphore.acquire_many(2).await.unwrap();
        assert_eq!(semaphore.available_permits(), 0);
        assert_eq!(semaphore.try_acquire().unwrap_err(), TryAcquireError::NoPermits);
        drop(a);
        assert_eq!(semaphore.available_permits(), 1);
        drop(b);
        assert_eq!(semaphore.available_permits(), 3);
        assert!(semaphore.acquire_many(0).await.is_ok());
    }

    async fn closing_fails_pending_and_later_acquires() {
        let semaphore = Arc::new(Semaphore::new(0));
        let waiter = {
            let semaphore = semaphore.clone();
            evloop::spawn(async move { semaphore.acquire().await.map(|p| p.forget()) })
        };
        evloop::time::sleep(Duration::from_millis(5)).await;
        semaphore.close();
        assert!(semaphore.is_closed());
        let err: AcquireError = waiter.await.unwrap().unwrap_err();
        assert_eq!(err.to_string(), "semaphore closed");
        assert!(semaphore.acquire().await.is_err());
        assert!(semaphore.clone().acquire_owned().await.is_err());
        assert_eq!(semaphore.try_acquire().unwrap_err(), TryAcquireError::Closed);
        assert!(semaphore.try_acquire().unwrap_err().is_closed());
        // Permits can still be added and counted.
        semaphore.add_permits(2);
        assert_eq!(semaphore.available_permits(), 2);
        assert_eq!(semaphore.try_acquire_many(1).unwrap_err(), TryAcquireError::Closed);
    }

    async fn a_large_request_at_the_front_is_not_overtaken() {
        let semaphore = Semaphore::new(2);
        let held = semaphore.acquire_many(2).await.unwrap();
        let mut big = Box::pin(semaphore.acquire_many(2));
        assert!(poll_once(big.as_mut()).await.is_none());
        let mut small = Box::pin(semaphore.acquire());
        assert!(poll_once(small.as_mut()).await.is_none());
        // One permit comes back: it goes to the front waiter, who still needs one more.
        let mut held = held;
        let one = held.split(1).unwrap();
        drop(one);
        assert!(poll_once(small.as_mut()).await.is_none(), "small overtook big");
        assert!(semaphore.try_acquire().is_err());
        drop(held);
        let big = poll_once(big.as_mut()).await.expect("big was served").unwrap();
        assert_eq!(big.num_permits(), 2);
        drop(big);
        assert!(poll_once(small.as_mut()).await.is_some());
    }

    async fn a_dropped_acquire_gives_back_what_it_was_assigned() {
        let semaphore = Semaphore::new(3);
        let held = semaphore.acquire_many(3).await.unwrap();
        let mut big = Box::pin(semaphore.acquire_many(3));
        assert!(poll_once(big.as_mut()).await.is_none());
        let mut next = Box::pin(semaphore.acquire());
        assert!(poll_once(next.as_mut()).await.is_none());
        let mut held = held;
        drop(held.split(2).unwrap()); // two permits go to `big`, which needs three
        assert_eq!(semaphore.available_permits(), 0);
        drop(big); // gives its two permits to `next` (one) and the pool (one)
        let permit = poll_once(next.as_mut()).await.expect("next was served").unwrap();
        assert_eq!(semaphore.available_permits(), 1);
        drop((permit, held));
        assert_eq!(semaphore.available_permits(), 3);
    }

    async fn a_permit_handed_to_a_future_that_is_then_dropped_is_not_leaked() {
        let semaphore = Semaphore::new(1);
        let held = semaphore.acquire().await.unwrap();
        let mut waiter = Box::pin(semaphore.acquire());
        assert!(poll_once(waiter.as_mut()).await.is_none());
        drop(held);
        drop(waiter);
        assert_eq!(semaphore.available_permits(), 1);
    }

    async fn one_thousand_tasks_never_exceed_the_limit() {
        let semaphore = Arc::new(Semaphore::new(3));
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let done = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..1_000)
            .map(|i| {
                let (semaphore, running, peak, done) =
                    (semaphore.clone(), running.clone(), peak.clone(), done.clone());
                evloop::spawn(async move {
                    let _permit = if i % 2 == 0 {
                        semaphore.acquire_owned().await.unwrap()
                    } else {
                        semaphore.clone().acquire_many_owned(1).await.unwrap()
                    };
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(now, Ordering::SeqCst);
                    evloop::task::yield_now().await;
                    running.fetch_sub(1, Ordering::SeqCst);
                    done.fetch_add(1, Ordering::SeqCst);
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(done.load(Ordering::SeqCst), 1_000);
        assert!(peak.load(Ordering::SeqCst) <= 3);
        assert_eq!(semaphore.available_permits(), 3);
    }

    async fn add_permits_wakes_waiters_in_order() {
        let semaphore = Arc::new(Semaphore::new(0));
        let order = Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for i in 0..5 {
            let (semaphore, order) = (semaphore.clone(), order.clone());
            tasks.push(evloop::spawn(async move {
                semaphore.acquire().await.unwrap().forget();
                order.lock().unwrap().push(i);
            }));
            evloop::time::sleep(Duration::from_millis(3)).await;
        }
        // One permit at a time: each goes to the longest waiter, which records itself before the
        // next permit is added.
        for served in 1..=5 {
            semaphore.add_permits(1);
            while order.lock().unwrap().len() < served {
                evloop::task::yield_now().await;
            }
        }
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(*order.lock().unwrap(), [0, 1, 2, 3, 4]);
        assert_eq!(semaphore.available_permits(), 0);
    }
}

#[test]
fn forget_split_merge_and_forget_permits() {
    let semaphore = Semaphore::new(5);
    let mut permit = semaphore.try_acquire_many(3).unwrap();
    let part = permit.split(2).unwrap();
    assert!(permit.split(5).is_none());
    assert_eq!((permit.num_permits(), part.num_permits()), (1, 2));
    permit.merge(part);
    assert_eq!(permit.num_permits(), 3);
    permit.forget();
    assert_eq!(semaphore.available_permits(), 2);
    assert_eq!(semaphore.forget_permits(10), 2);
    assert_eq!(semaphore.available_permits(), 0);

    let shared = Arc::new(Semaphore::new(2));
    let mut owned = shared.clone().try_acquire_owned().unwrap();
    owned.merge(shared.clone().try_acquire_many_owned(1).unwrap());
    assert_eq!(owned.num_permits(), 2);
    assert!(Arc::ptr_eq(owned.semaphore(), &shared));
    owned.forget();
    assert_eq!(shared.available_permits(), 0);
}

#[test]
#[should_panic(expected = "different semaphores")]
fn merging_permits_of_different_semaphores_panics() {
    let a = Semaphore::new(1);
    let b = Semaphore::new(1);
    let mut pa = a.try_acquire().unwrap();
    pa.merge(b.try_acquire().unwrap());
}

#[test]
#[should_panic(expected = "overflow MAX_PERMITS")]
fn adding_past_max_permits_panics() {
    let semaphore = Semaphore::new(Semaphore::MAX_PERMITS);
    semaphore.add_permits(1);
}

#[test]
fn a_static_semaphore() {
    static LIMIT: Semaphore = Semaphore::const_new(1);
    let permit = LIMIT.try_acquire().unwrap();
    assert!(LIMIT.try_acquire().is_err());
    drop(permit);
    assert_eq!(
        format!("{LIMIT:?}"),
        "Semaphore { available_permits: 1, closed: false }"
    );
}

#[test]
fn contention_on_a_foreign_executor_with_plain_threads() {
    let semaphore = Arc::new(Semaphore::new(2));
    let inside = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let (semaphore, inside) = (semaphore.clone(), inside.clone());
            std::thread::spawn(move || {
                block_on(async {
                    for _ in 0..500 {
                        let _permit = semaphore.acquire().await.unwrap();
                        assert!(inside.fetch_add(1, Ordering::SeqCst) < 2);
                        std::thread::yield_now();
                        inside.fetch_sub(1, Ordering::SeqCst);
                    }
                })
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    assert_eq!(semaphore.available_permits(), 2);
}

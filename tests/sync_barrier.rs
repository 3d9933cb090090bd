//! `evloop::sync::Barrier`: exactly one leader per group, reuse across generations, and 1,000
//! tasks on both runtime flavors and on a foreign executor.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use evloop::sync::Barrier;
use futures_lite::future::{block_on, poll_once};

#[macro_use]
mod util;

rt_tests! {
    async fn nobody_passes_before_everyone_arrives() {
        let barrier = Barrier::new(3);
        let mut a = Box::pin(barrier.wait());
        let mut b = Box::pin(barrier.wait());
        assert!(poll_once(a.as_mut()).await.is_none());
        assert!(poll_once(b.as_mut()).await.is_none());
        assert!(barrier.wait().await.is_leader(), "the last to arrive leads");
        assert!(!poll_once(a.as_mut()).await.unwrap().is_leader());
        assert!(!poll_once(b.as_mut()).await.unwrap().is_leader());
    }

    async fn one_thousand_tasks_one_leader_per_generation() {
        let barrier = Arc::new(Barrier::new(1_000));
        let leaders = Arc::new(AtomicUsize::new(0));
        let passed = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..1_000)
            .map(|_| {
                let (barrier, leaders, passed) = (barrier.clone(), leaders.clone(), passed.clone());
                evloop::spawn(async move {
                    for _ in 0..3 {
                        if barrier.wait().await.is_leader() {
                            leaders.fetch_add(1, Ordering::SeqCst);
                        }
                        passed.fetch_add(1, Ordering::SeqCst);
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(leaders.load(Ordering::SeqCst), 3);
        assert_eq!(passed.load(Ordering::SeqCst), 3_000);
    }

    async fn groups_of_one_and_zero_always_pass() {
        for n in [0, 1] {
            let barrier = Barrier::new(n);
            for _ in 0..3 {
                assert!(barrier.wait().await.is_leader());
            }
        }
    }
}

#[test]
fn plain_threads_on_a_foreign_executor() {
    let barrier = Arc::new(Barrier::new(4));
    let leaders = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let (barrier, leaders) = (barrier.clone(), leaders.clone());
            std::thread::spawn(move || {
                for _ in 0..100 {
                    if block_on(barrier.wait()).is_leader() {
                        leaders.fetch_add(1, Ordering::SeqCst);
                    }
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    assert_eq!(leaders.load(Ordering::SeqCst), 100);
    assert!(format!("{barrier:?}").starts_with("Barrier { n: 4, arrived: 0"));
}

//! `JoinSet`: results in completion order, length, `abort_all`, `shutdown`, and aborting on drop.

#[macro_use]
mod util;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use evloop::task::{yield_now, JoinSet};
use util::{assert_cancelled, expect_panic, oneshot, track_drop, CountDown, DropCounter};

/// Spawns `n` tasks that wait forever, each with a drop token; waits until all have started.
async fn fill_with_pending(set: &mut JoinSet<()>, drops: &DropCounter, n: usize) {
    let started = CountDown::new(n);
    for _ in 0..n {
        let started = started.clone();
        set.spawn(track_drop(drops.token(), async move {
            started.hit();
            std::future::pending::<()>().await
        }));
    }
    started.wait().await;
}

rt_test! {
    /// Acceptance: `join_next` returns every result once, then `None`; `len` and `is_empty`
    /// follow.
    fn join_next_returns_all_results(rt) {
        rt.block_on(async {
            let mut set = JoinSet::new();
            assert!(set.is_empty());
            assert_eq!(set.len(), 0);
            assert!(set.join_next().await.is_none(), "an empty set is done at once");
            for i in 0..100u32 {
                set.spawn(async move {
                    yield_now().await;
                    i
                });
            }
            assert_eq!(set.len(), 100);
            assert!(!set.is_empty());
            let mut seen = Vec::new();
            while let Some(result) = set.join_next().await {
                seen.push(result.unwrap());
                assert_eq!(set.len(), 100 - seen.len());
            }
            seen.sort_unstable();
            assert_eq!(seen, (0..100).collect::<Vec<_>>());
            assert!(set.is_empty());
            assert!(set.join_next().await.is_none());
        });
    }

    /// Acceptance: results come out in the order the tasks finish, whatever the spawn order.
    fn join_next_follows_completion_order(rt) {
        rt.block_on(async {
            let mut set = JoinSet::new();
            let mut senders = Vec::new();
            for i in 0..4u32 {
                let (tx, rx) = oneshot::<()>();
                senders.push(Some(tx));
                set.spawn(async move {
                    rx.await.unwrap();
                    i
                });
            }
            for next in [2usize, 0, 3, 1] {
                senders[next].take().unwrap().send(());
                let result = set.join_next().await.expect("a task is left");
                assert_eq!(result.unwrap(), next as u32);
                assert_eq!(set.len(), senders.iter().filter(|s| s.is_some()).count());
            }
            assert!(set.join_next().await.is_none());
        });
    }

    /// Acceptance: `abort_all` makes every remaining task report a cancellation; each future is
    /// dropped once.
    fn abort_all_gives_cancelled_errors(rt) {
        let drops = DropCounter::new();
        rt.block_on(async {
            let mut set = JoinSet::new();
            fill_with_pending(&mut set, &drops, 10).await;
            set.abort_all();
            assert_eq!(set.len(), 10, "aborted tasks stay in the set until joined");
            let mut cancelled = 0;
            while let Some(result) = set.join_next().await {
                assert_cancelled(result);
                cancelled += 1;
            }
            assert_eq!(cancelled, 10);
        });
        rt.block_on(util::yield_until(|| drops.get() >= 10));
        drop(rt);
        drops.assert(10, "after the runtime is dropped");
    }

    /// `abort_all` leaves finished results alone: they still come out as `Ok`.
    ///
    /// Only a current-thread runtime can tell from outside that a member has finished
    /// completely (its output stored) before `abort_all`; on the multi-thread flavors a member
    /// that is still completing may be cancelled instead, so only the totals are checked there.
    fn abort_all_keeps_finished_results(rt) {
        let current = rt.handle().runtime_flavor() == evloop::runtime::RuntimeFlavor::CurrentThread;
        rt.block_on(async {
            let mut set = JoinSet::new();
            let finished = CountDown::new(3);
            for i in 0..3u32 {
                let finished = finished.clone();
                set.spawn(async move {
                    finished.hit();
                    i
                });
            }
            finished.wait().await;
            set.spawn(std::future::pending::<u32>());
            // On a current-thread runtime the members' polls ended before this future runs.
            yield_now().await;
            set.abort_all();
            let (mut ok, mut cancelled) = (0, 0);
            while let Some(result) = set.join_next().await {
                match result {
                    Ok(_) => ok += 1,
                    Err(err) => {
                        assert!(err.is_cancelled(), "{err:?}");
                        cancelled += 1;
                    }
                }
            }
            assert_eq!(ok + cancelled, 4);
            assert!(cancelled >= 1, "the pending member is cancelled");
            if current {
                assert_eq!((ok, cancelled), (3, 1));
            }
        });
    }

    /// Acceptance: `shutdown` aborts every task and waits for all of them to stop: when it
    /// returns, the set is empty and every future has been dropped.
    fn shutdown_aborts_and_waits(rt) {
        let drops = DropCounter::new();
        rt.block_on(async {
            let mut set = JoinSet::new();
            fill_with_pending(&mut set, &drops, 10).await;
            set.shutdown().await;
            assert!(set.is_empty());
            assert_eq!(set.len(), 0);
            drops.assert(10, "when shutdown returns");
            assert!(set.join_next().await.is_none());
        });
        drop(rt);
        drops.assert(10, "after the runtime is dropped");
    }

    /// Acceptance: dropping a `JoinSet` aborts its tasks.
    fn dropping_the_set_aborts_its_tasks(rt) {
        let drops = DropCounter::new();
        rt.block_on(async {
            let mut set = JoinSet::new();
            fill_with_pending(&mut set, &drops, 10).await;
            drop(set);
            util::yield_until(|| drops.get() >= 10).await;
        });
        drop(rt);
        drops.assert(10, "after the runtime is dropped");
    }

    /// `detach_all` empties the set without aborting: the tasks run on.
    fn detach_all_lets_tasks_run(rt) {
        let done = CountDown::new(5);
        let (tx, rx) = oneshot::<()>();
        let go = Arc::new(std::sync::Mutex::new(Some(rx)));
        rt.block_on(async {
            let mut set = JoinSet::new();
            for i in 0..5 {
                let done = done.clone();
                let go = go.clone();
                set.spawn(async move {
                    if i == 0 {
                        let rx = go.lock().unwrap().take().unwrap();
                        rx.await.unwrap();
                    }
                    done.hit();
                });
            }
            set.detach_all();
            assert!(set.is_empty());
            assert!(set.join_next().await.is_none());
            drop(set);
        });
        tx.send(());
        rt.block_on(done.wait());
    }

    /// Panicking members are reported as panics, alongside the others' results.
    fn join_next_reports_panics(rt) {
        rt.block_on(async {
            let mut set = JoinSet::new();
            for i in 0..10u32 {
                set.spawn(async move {
                    yield_now().await;
                    if i % 3 == 0 {
                        panic!("intentional panic in member {i}");
                    }
                    i
                });
            }
            let (mut ok, mut panicked) = (0, 0);
            while let Some(result) = set.join_next().await {
                if result.is_ok() {
                    ok += 1;
                } else {
                    assert!(expect_panic(result).starts_with("intentional panic in member"));
                    panicked += 1;
                }
            }
            assert_eq!((ok, panicked), (6, 4));
        });
    }

    /// `spawn_on` targets a given runtime; `spawn_blocking` joins like any member.
    fn spawn_on_and_spawn_blocking(rt) {
        let handle = rt.handle().clone();
        // The set lives outside any runtime; its members run on `rt`.
        let mut set = JoinSet::new();
        for i in 0..5u32 {
            set.spawn_on(async move { i }, &handle);
        }
        let total = rt.block_on(async move {
            set.spawn_blocking(|| 100);
            let mut total = 0;
            while let Some(result) = set.join_next().await {
                total += result.unwrap();
            }
            total
        });
        assert_eq!(total, 110);
    }

    /// A set can be emptied and filled again; slots are reused without mixing results up.
    fn set_is_reusable(rt) {
        rt.block_on(async {
            let mut set = JoinSet::new();
            let counter = Arc::new(AtomicUsize::new(0));
            for round in 0..5usize {
                for i in 0..20usize {
                    let counter = counter.clone();
                    set.spawn(async move {
                        counter.fetch_add(1, Ordering::SeqCst);
                        round * 100 + i
                    });
                }
                let mut got = Vec::new();
                while let Some(result) = set.join_next().await {
                    got.push(result.unwrap());
                }
                got.sort_unstable();
                assert_eq!(got, (0..20).map(|i| round * 100 + i).collect::<Vec<_>>());
            }
            assert_eq!(counter.load(Ordering::SeqCst), 100);
        });
    }

    /// Many members finishing at nearly the same time are all joined.
    fn join_many_members(rt) {
        rt.block_on(async {
            let mut set = JoinSet::new();
            for i in 0..2_000u64 {
                set.spawn(async move { i });
            }
            let mut sum = 0;
            let mut count = 0;
            while let Some(result) = set.join_next().await {
                sum += result.unwrap();
                count += 1;
            }
            assert_eq!(count, 2_000);
            assert_eq!(sum, 1_999 * 2_000 / 2);
        });
    }
}

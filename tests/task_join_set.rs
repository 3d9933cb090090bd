//! `JoinSet`: results in completion order, length, `abort_all`, `shutdown`, and aborting on drop.

#[macro_use]
mod util;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use evloop::task::{yield_now, JoinSet};
use util::{
    assert_cancelled, expect_panic, oneshot, track_drop, yield_until, CountDown, DropCounter,
};

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

rt_test! {
    /// An `AbortHandle` from `spawn` ends that task alone: the set reports it cancelled, its
    /// future has been dropped by then, and the other tasks finish normally.
    fn abort_handle_cancels_one_task(rt) {
        let drops = DropCounter::new();
        let counter = drops.clone();
        rt.block_on(async move {
            let mut set = JoinSet::new();
            let stuck = set.spawn(track_drop(counter.token(), std::future::pending::<u32>()));
            let (tx, rx) = oneshot::<()>();
            let normal = set.spawn(async move {
                rx.await.unwrap();
                7
            });
            assert_ne!(stuck.id(), normal.id());
            assert!(!stuck.is_finished());
            stuck.abort();
            let first = set.join_next_with_id().await.expect("two tasks are left");
            let err = first.unwrap_err();
            assert!(err.is_cancelled(), "{err}");
            assert_eq!(err.id(), stuck.id());
            counter.assert(1, "the aborted future is dropped before the set reports it");
            assert!(stuck.is_finished());
            assert!(!normal.is_finished());
            tx.send(());
            let (id, value) = set.join_next_with_id().await.expect("one task is left").unwrap();
            assert_eq!((id, value), (normal.id(), 7));
            assert!(normal.is_finished());
            assert!(set.join_next().await.is_none());
        });
        drops.assert(1, "after the runtime ran");
    }

    /// Aborting a task that has finished changes nothing: its output is still joined.
    fn abort_handle_after_completion_keeps_the_output(rt) {
        rt.block_on(async {
            let mut set = JoinSet::new();
            let handle = set.spawn(async { 5u8 });
            yield_until(|| handle.is_finished()).await;
            handle.abort();
            handle.clone().abort();
            assert_eq!(set.join_next().await.unwrap().unwrap(), 5);
        });
    }

    /// An abort racing the task's own wake-ups on other workers still ends every task, each
    /// either with its output or cancelled, and nothing hangs.
    fn aborts_racing_running_tasks(rt) {
        rt.block_on(async {
            let mut set = JoinSet::new();
            let mut handles = Vec::new();
            for i in 0..200u32 {
                handles.push(set.spawn(async move {
                    for _ in 0..(i % 7) {
                        yield_now().await;
                    }
                    i
                }));
            }
            for handle in handles.iter().step_by(2) {
                handle.abort();
            }
            let (mut done, mut cancelled) = (0, 0);
            while let Some(result) = set.join_next().await {
                match result {
                    Ok(i) => {
                        done += 1;
                        assert!(i < 200);
                    }
                    Err(err) => {
                        assert!(err.is_cancelled(), "{err}");
                        cancelled += 1;
                    }
                }
            }
            assert_eq!(done + cancelled, 200);
            assert!(cancelled <= 100, "only the aborted half can be cancelled");
            assert!(handles.iter().all(|h| h.is_finished()));
        });
    }

    /// `try_join_next` never waits: `None` while nothing has finished, the result once a task
    /// has.
    fn try_join_next_does_not_wait(rt) {
        rt.block_on(async {
            let mut set = JoinSet::new();
            assert!(set.try_join_next().is_none(), "empty set");
            let (tx, rx) = oneshot::<()>();
            let handle = set.spawn(async move {
                rx.await.unwrap();
                3u32
            });
            assert!(set.try_join_next().is_none(), "nothing finished yet");
            assert_eq!(set.len(), 1);
            tx.send(());
            yield_until(|| handle.is_finished()).await;
            let mut result = None;
            while result.is_none() {
                // The notice comes a moment before the output is stored.
                result = set.try_join_next_with_id();
                yield_now().await;
            }
            assert_eq!(result.unwrap().unwrap(), (handle.id(), 3));
            assert!(set.is_empty());
            assert!(set.try_join_next().is_none());
        });
    }

    /// `collect`, `extend` and `join_all`: every output, in completion order.
    fn collect_extend_and_join_all(rt) {
        rt.block_on(async {
            let mut set: JoinSet<u32> = (0..10u32).map(|i| async move { i }).collect();
            set.extend((10..20u32).map(|i| async move { i }));
            assert_eq!(set.len(), 20);
            let mut all = set.join_all().await;
            all.sort_unstable();
            assert_eq!(all, (0..20).collect::<Vec<_>>());
        });
    }

    /// `join_all` resumes a task's panic in the caller.
    fn join_all_resumes_a_panic(rt) {
        let caught = rt.block_on(async {
            let mut set = JoinSet::new();
            set.spawn(async { 1u8 });
            set.spawn(async { panic!("member failed") });
            futures_lite::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(set.join_all()))
                .await
        });
        let payload = caught.expect_err("join_all must panic");
        assert_eq!(payload.downcast_ref::<&str>(), Some(&"member failed"));
    }
}

/// A blocking closure aborted before it starts never runs; the set reports it cancelled.
#[test]
fn spawn_blocking_aborted_before_it_starts_does_not_run() {
    util::with_watchdog(|| {
        let rt = evloop::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .max_blocking_threads(1)
            .build()
            .unwrap();
        let ran = Arc::new(AtomicUsize::new(0));
        let ran2 = ran.clone();
        rt.block_on(async move {
            let mut set = JoinSet::new();
            let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
            let (started_tx, started_rx) = std::sync::mpsc::channel::<()>();
            // Occupies the pool's only thread until released.
            set.spawn_blocking(move || {
                started_tx.send(()).unwrap();
                release_rx.recv().unwrap();
                1u32
            });
            started_rx.recv().unwrap();
            let queued = set.spawn_blocking(move || {
                ran2.fetch_add(1, Ordering::SeqCst);
                2u32
            });
            queued.abort();
            release_tx.send(()).unwrap();
            let mut outputs = Vec::new();
            let mut cancelled = 0;
            while let Some(result) = set.join_next().await {
                match result {
                    Ok(v) => outputs.push(v),
                    Err(err) => {
                        assert!(err.is_cancelled(), "{err}");
                        cancelled += 1;
                    }
                }
            }
            assert_eq!((outputs, cancelled), (vec![1], 1));
            assert!(queued.is_finished());
        });
        assert_eq!(ran.load(Ordering::SeqCst), 0, "the aborted closure ran");
    });
}

//! `RuntimeMetrics`: alive-task count, per-worker poll/steal/park counters, queue depths.

#[macro_use]
mod util;

use evloop::runtime::{RuntimeFlavor, RuntimeMetrics};
use evloop::task::yield_now;
use util::{catch_panic_message, oneshot};

fn total_polls(metrics: &RuntimeMetrics) -> u64 {
    (0..metrics.num_workers())
        .map(|i| metrics.worker_poll_count(i))
        .sum()
}

rt_test! {
    /// Acceptance: `num_alive_tasks` counts unfinished tasks exactly and returns to zero.
    fn num_alive_tasks_goes_back_to_zero(rt) {
        let metrics = rt.metrics();
        assert_eq!(metrics.num_alive_tasks(), 0);
        let mut senders = Vec::new();
        let mut handles = Vec::new();
        for _ in 0..50 {
            let (tx, rx) = oneshot::<()>();
            senders.push(tx);
            handles.push(rt.spawn(async move { rx.await.unwrap() }));
        }
        assert_eq!(metrics.num_alive_tasks(), 50);
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        let blocking = rt.spawn_blocking(move || {
            let _ = release_rx.recv_timeout(util::WAIT_LIMIT);
        });
        assert_eq!(metrics.num_alive_tasks(), 51, "blocking closures count too");
        for tx in senders {
            tx.send(());
        }
        drop(release_tx);
        rt.block_on(async {
            for handle in handles {
                handle.await.unwrap();
            }
            blocking.await.unwrap();
        });
        // A task's future is gone before its join handle resolves.
        assert_eq!(metrics.num_alive_tasks(), 0);
    }

    /// Detached tasks leave the count once they finish.
    fn num_alive_tasks_counts_detached_tasks(rt) {
        let metrics = rt.metrics();
        let done = util::CountDown::new(100);
        for _ in 0..100 {
            let done = done.clone();
            drop(rt.spawn(async move {
                yield_now().await;
                done.hit();
            }));
        }
        rt.block_on(done.wait());
        rt.block_on(util::yield_until(|| metrics.num_alive_tasks() == 0));
        assert_eq!(metrics.num_alive_tasks(), 0);
    }

    /// Acceptance: the poll counters grow by exactly the number of task polls.
    fn worker_poll_count_increases(rt) {
        let metrics = rt.metrics();
        let before = total_polls(&metrics);
        let handles: Vec<_> = (0..100)
            .map(|_| {
                rt.spawn(async {
                    for _ in 0..3 {
                        yield_now().await;
                    }
                })
            })
            .collect();
        rt.block_on(async {
            for handle in handles {
                handle.await.unwrap();
            }
        });
        // Three yields and a final poll per task; the block_on future is not a task.
        assert_eq!(total_polls(&metrics) - before, 400);
    }

    /// Acceptance: steal and park counts are readable for every worker; an index past the last
    /// worker panics with a clear message.
    fn per_worker_counters_are_readable(rt) {
        let metrics = rt.metrics();
        let workers = metrics.num_workers();
        let flavor = rt.handle().runtime_flavor();
        // A spawn storm from inside a task gives idle workers something to steal.
        rt.block_on(rt.spawn(async {
            let handles: Vec<_> = (0..2_000)
                .map(|_| evloop::spawn(async { yield_now().await }))
                .collect();
            for handle in handles {
                handle.await.unwrap();
            }
        }))
        .unwrap();
        let mut steals = 0;
        for i in 0..workers {
            steals += metrics.worker_steal_count(i);
            let _ = metrics.worker_park_count(i);
            let _ = metrics.worker_local_queue_depth(i);
        }
        if flavor == RuntimeFlavor::CurrentThread || workers == 1 {
            assert_eq!(steals, 0, "nobody to steal from");
        }
        let msg = catch_panic_message(|| metrics.worker_poll_count(workers));
        assert!(msg.contains("out of range") || msg.contains("index"), "{msg}");
        let _ = format!("{metrics:?}");
    }

    /// The global queue holds what was spawned from outside until a worker takes it.
    fn global_queue_depth_is_readable(rt) {
        let metrics = rt.metrics();
        assert_eq!(metrics.global_queue_depth(), 0);
        let handles: Vec<_> = (0..10).map(|_| rt.spawn(async {})).collect();
        if rt.handle().runtime_flavor() == RuntimeFlavor::CurrentThread {
            // Nothing drives a current-thread runtime outside block_on.
            assert_eq!(metrics.global_queue_depth(), 10);
        } else {
            assert!(metrics.global_queue_depth() <= 10);
        }
        rt.block_on(async {
            for handle in handles {
                handle.await.unwrap();
            }
        });
        assert_eq!(metrics.global_queue_depth(), 0);
    }

    /// Blocking-pool counters: no threads before any blocking work, some after.
    fn blocking_counters(rt) {
        let metrics = rt.metrics();
        assert_eq!(metrics.num_blocking_threads(), 0);
        assert_eq!(metrics.num_idle_blocking_threads(), 0);
        assert_eq!(metrics.blocking_queue_depth(), 0);
        rt.block_on(rt.spawn_blocking(|| ())).unwrap();
        assert!(metrics.num_blocking_threads() >= 1);
        assert!(metrics.num_idle_blocking_threads() <= metrics.num_blocking_threads());
    }

    /// Metrics stay readable after the runtime is gone.
    fn metrics_outlive_the_runtime(rt) {
        let metrics = rt.metrics();
        let workers = metrics.num_workers();
        rt.block_on(rt.spawn(async {})).unwrap();
        drop(rt);
        assert_eq!(metrics.num_workers(), workers);
        assert_eq!(metrics.num_alive_tasks(), 0);
        assert!(total_polls(&metrics) >= 1);
    }
}

//! `Runtime::run`: drive the runtime until every task (spawned by the caller, by other tasks, or
//! on the blocking pool) has finished, then shut down.

#[macro_use]
mod util;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use evloop::task::{spawn_blocking, yield_now};
use util::{oneshot, track_drop, DropCounter};

rt_test! {
    /// Acceptance: `run` on a runtime without tasks returns at once (watchdog only).
    fn run_without_tasks_returns(rt) {
        rt.run();
    }

    /// Acceptance: `run` waits for every task spawned on the runtime.
    fn run_waits_for_spawned_tasks(rt) {
        let done = Arc::new(AtomicUsize::new(0));
        for _ in 0..100 {
            let done = done.clone();
            rt.spawn(async move {
                for _ in 0..5 {
                    yield_now().await;
                }
                done.fetch_add(1, Ordering::SeqCst);
            });
        }
        rt.run();
        assert_eq!(done.load(Ordering::SeqCst), 100);
    }

    /// Acceptance: tasks spawned by tasks, later on, are waited for too.
    fn run_waits_for_tasks_spawned_by_tasks(rt) {
        let done = Arc::new(AtomicUsize::new(0));
        let (tx, rx) = oneshot::<()>();
        {
            let done = done.clone();
            rt.spawn(async move {
                // Only once a plain thread says so does the rest of the tree get spawned.
                rx.await.unwrap();
                let child_done = done.clone();
                evloop::spawn(async move {
                    yield_now().await;
                    let grandchild_done = child_done.clone();
                    evloop::spawn(async move {
                        yield_now().await;
                        grandchild_done.fetch_add(1, Ordering::SeqCst);
                    });
                    child_done.fetch_add(1, Ordering::SeqCst);
                });
                done.fetch_add(1, Ordering::SeqCst);
            });
        }
        let sender = thread::spawn(move || {
            thread::sleep(Duration::from_millis(20));
            tx.send(());
        });
        rt.run();
        assert_eq!(done.load(Ordering::SeqCst), 3);
        sender.join().unwrap();
    }

    /// Tasks are counted where they are spawned and where they are dropped, often two
    /// different threads: `run` must not see the count reach zero while a chain of tasks, each
    /// spawning the next from whichever worker it runs on and then ending, is still going.
    fn run_waits_for_chains_of_tasks_across_workers(rt) {
        fn link(left: usize, done: Arc<AtomicUsize>) {
            done.fetch_add(1, Ordering::SeqCst);
            if left > 0 {
                evloop::spawn(async move {
                    if left % 3 == 0 {
                        yield_now().await;
                    }
                    link(left - 1, done);
                });
            }
        }
        const CHAINS: usize = 16;
        const DEPTH: usize = 300;
        let done = Arc::new(AtomicUsize::new(0));
        for _ in 0..CHAINS {
            let done = done.clone();
            rt.spawn(async move { link(DEPTH, done) });
        }
        rt.run();
        assert_eq!(done.load(Ordering::SeqCst), CHAINS * (DEPTH + 1));
    }

    /// Acceptance: `spawn_blocking` closures (spawned from outside and from tasks) are waited
    /// for.
    fn run_waits_for_spawn_blocking(rt) {
        let outer = Arc::new(AtomicBool::new(false));
        let inner = Arc::new(AtomicBool::new(false));
        {
            let outer = outer.clone();
            rt.spawn_blocking(move || {
                thread::sleep(Duration::from_millis(50));
                outer.store(true, Ordering::SeqCst);
            });
        }
        {
            let inner = inner.clone();
            rt.spawn(async move {
                yield_now().await;
                spawn_blocking(move || {
                    thread::sleep(Duration::from_millis(50));
                    inner.store(true, Ordering::SeqCst);
                });
            });
        }
        rt.run();
        assert!(outer.load(Ordering::SeqCst), "closure spawned from outside");
        assert!(inner.load(Ordering::SeqCst), "closure spawned from a task");
    }

    /// A blocking closure that spawns an async task: both are waited for.
    fn run_waits_for_tasks_spawned_by_blocking_closures(rt) {
        let done = Arc::new(AtomicBool::new(false));
        {
            let done = done.clone();
            rt.spawn_blocking(move || {
                thread::sleep(Duration::from_millis(20));
                evloop::spawn(async move {
                    yield_now().await;
                    done.store(true, Ordering::SeqCst);
                });
            });
        }
        rt.run();
        assert!(done.load(Ordering::SeqCst));
    }

    /// Tasks left running by an earlier `block_on` are waited for by `run`.
    fn run_after_block_on(rt) {
        let done = Arc::new(AtomicUsize::new(0));
        rt.block_on(async {
            for _ in 0..10 {
                let done = done.clone();
                evloop::spawn(async move {
                    for _ in 0..10 {
                        yield_now().await;
                    }
                    done.fetch_add(1, Ordering::SeqCst);
                });
            }
        });
        rt.run();
        assert_eq!(done.load(Ordering::SeqCst), 10);
    }

    /// Panicking and aborted tasks count as finished.
    fn run_counts_panicked_and_aborted_tasks_as_finished(rt) {
        for i in 0..10 {
            rt.spawn(async move {
                yield_now().await;
                panic!("intentional panic {i}");
            });
        }
        let drops = DropCounter::new();
        for _ in 0..10 {
            rt.spawn(track_drop(drops.token(), std::future::pending::<()>())).abort();
        }
        rt.run();
        drops.assert(10, "aborted futures");
    }

    /// Join handles of tasks that `run` waited for give their outputs afterwards.
    fn join_handles_resolve_after_run(rt) {
        let handles: Vec<_> = (0..10u32)
            .map(|i| rt.spawn(async move {
                yield_now().await;
                i * i
            }))
            .collect();
        let blocking = rt.spawn_blocking(|| "blocking");
        rt.run();
        let outputs: Vec<u32> = handles
            .into_iter()
            .map(|h| evloop::block_on(h).expect("task finished under run"))
            .collect();
        assert_eq!(outputs, (0..10).map(|i| i * i).collect::<Vec<_>>());
        assert_eq!(evloop::block_on(blocking).unwrap(), "blocking");
    }
}

//! `task::block_in_place`: blocking inside a task hands the worker to a new thread, so the
//! worker's other tasks keep running; the runtime stays whole afterwards.

#[macro_use]
mod util;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::Duration;

use evloop::runtime::{Builder, Handle};
use evloop::task::{block_in_place, yield_now};

use util::{catch_panic_message, expect_panic, with_watchdog, Flag, Flavor, WAIT_LIMIT};

fn one_worker() -> evloop::runtime::Runtime {
    Flavor::MultiThread(1).build()
}

/// The one worker blocks until another task of the same runtime has run: possible only if
/// that task runs on another thread meanwhile.
#[test]
fn other_tasks_run_while_the_only_worker_blocks() {
    with_watchdog(|| {
        let rt = one_worker();
        rt.block_on(async {
            let ran = Flag::new();
            let (tx, rx) = mpsc::channel();
            let blocker = evloop::spawn(async move {
                block_in_place(|| {
                    rx.recv_timeout(WAIT_LIMIT)
                        .expect("the other task never ran")
                })
            });
            // Spawned from outside the worker; it can run only on a worker thread.
            let other = evloop::spawn({
                let ran = ran.clone();
                async move {
                    yield_now().await;
                    ran.set();
                    tx.send(7).unwrap();
                }
            });
            assert_eq!(blocker.await.unwrap(), 7);
            other.await.unwrap();
            assert!(ran.is_set());
        });
    });
}

/// Tasks already queued on the blocking worker (and its LIFO slot) are not stranded.
#[test]
fn the_blocking_workers_queued_tasks_are_taken_over() {
    with_watchdog(|| {
        let rt = one_worker();
        let done = Arc::new(AtomicUsize::new(0));
        let result = rt.block_on({
            let done = done.clone();
            async move {
                evloop::spawn(async move {
                    let (tx, rx) = mpsc::channel();
                    // Queued locally on this worker, not yet run.
                    let mut handles = Vec::new();
                    for _ in 0..100 {
                        let done = done.clone();
                        let tx = tx.clone();
                        handles.push(evloop::spawn(async move {
                            if done.fetch_add(1, Ordering::SeqCst) == 99 {
                                tx.send(()).unwrap();
                            }
                        }));
                    }
                    block_in_place(|| rx.recv_timeout(WAIT_LIMIT).expect("queued tasks stranded"));
                    for handle in handles {
                        handle.await.unwrap();
                    }
                    "ok"
                })
                .await
            }
        });
        assert_eq!(result.unwrap(), "ok");
        assert_eq!(done.load(Ordering::SeqCst), 100);
    });
}

#[test]
fn block_on_nested_calls_and_the_return_value() {
    with_watchdog(|| {
        let rt = Flavor::MultiThread(2).build();
        let value = rt.block_on(async {
            evloop::spawn(async {
                let outer = block_in_place(|| {
                    // A plain thread inside: `block_on` works, and so does a nested call.
                    let inner = block_in_place(|| 20);
                    let awaited = Handle::current()
                        .block_on(async { evloop::spawn(async { 1 }).await.unwrap() });
                    inner + awaited
                });
                // The task goes on after the call, on whatever thread runs it now.
                yield_now().await;
                outer + block_in_place(|| 21)
            })
            .await
            .unwrap()
        });
        assert_eq!(value, 42);
    });
}

#[test]
fn many_calls_leave_the_runtime_whole() {
    with_watchdog(|| {
        let started = Arc::new(AtomicUsize::new(0));
        let stopped = Arc::new(AtomicUsize::new(0));
        let rt = Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("bip-worker")
            .on_thread_start({
                let started = started.clone();
                move || {
                    started.fetch_add(1, Ordering::SeqCst);
                }
            })
            .on_thread_stop({
                let stopped = stopped.clone();
                move || {
                    stopped.fetch_add(1, Ordering::SeqCst);
                }
            })
            .build()
            .unwrap();
        let names = rt.block_on(async {
            let mut set = evloop::task::JoinSet::new();
            for i in 0..200u64 {
                set.spawn(async move {
                    block_in_place(|| thread::sleep(Duration::from_micros(100)));
                    yield_now().await;
                    let name = thread::current().name().map(str::to_string);
                    (i, name)
                });
            }
            let mut names = Vec::new();
            while let Some(result) = set.join_next().await {
                names.push(result.unwrap().1);
            }
            names
        });
        assert_eq!(names.len(), 200);
        // Replacement workers are worker threads like the first ones: named, hooked.
        for name in names {
            assert_eq!(name.as_deref(), Some("bip-worker"));
        }
        assert_eq!(rt.metrics().num_workers(), 2);
        assert!(
            started.load(Ordering::SeqCst) > 2,
            "no worker was handed off"
        );
        // Spawning still works, and `run` returns: hand-offs leave no task behind.
        let after = rt.spawn(async { block_in_place(|| 5) });
        assert_eq!(rt.block_on(after).unwrap(), 5);
        rt.run();
        // Shutting down (in `run`) joined every thread, replacement workers included: each ran
        // its stop hook (blocking-pool threads, if any, run both hooks too).
        assert_eq!(
            stopped.load(Ordering::SeqCst),
            started.load(Ordering::SeqCst)
        );
    });
}

#[test]
fn a_panic_inside_is_the_tasks_panic_and_the_runtime_goes_on() {
    with_watchdog(|| {
        let rt = one_worker();
        rt.block_on(async {
            let failed = evloop::spawn(async {
                block_in_place(|| panic!("blocking code failed"));
            });
            assert_eq!(expect_panic(failed.await), "blocking code failed");
            // The worker was handed off before the panic; tasks still run.
            let sum = evloop::spawn(async { 2 + 2 }).await.unwrap();
            assert_eq!(sum, 4);
        });
    });
}

#[test]
fn outside_any_runtime_and_inside_block_on_it_just_runs() {
    assert_eq!(block_in_place(|| 3), 3);
    with_watchdog(|| {
        let rt = Flavor::MultiThread(1).build();
        // `block_on`'s thread is not a worker: nothing to hand off.
        assert_eq!(rt.block_on(async { block_in_place(|| 4) }), 4);
    });
}

#[test]
fn on_a_current_thread_runtime_it_panics_with_a_clear_message() {
    with_watchdog(|| {
        let rt = Flavor::CurrentThread.build();
        let message = catch_panic_message(|| rt.block_on(async { block_in_place(|| ()) }));
        assert!(message.contains("current-thread"), "{message}");
        // A task of it that tries gets the panic as its JoinError; the runtime lives on.
        let task = rt.spawn(async { block_in_place(|| ()) });
        let message = expect_panic(rt.block_on(task));
        assert!(message.contains("spawn_blocking"), "{message}");
        assert_eq!(rt.block_on(async { 1 }), 1);
    });
}

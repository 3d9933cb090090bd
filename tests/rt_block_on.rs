//! `block_on` in the wrong places panics with a clear message instead of deadlocking; the
//! current runtime (`Handle::current`, `try_current`) and the global runtime behind
//! `evloop::spawn`; and how a current-thread runtime runs its tasks across `block_on` calls.

#[macro_use]
mod util;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::Duration;

use evloop::runtime::{Handle, RuntimeFlavor};
use evloop::task::{spawn_blocking, yield_now};
use util::{catch_panic_message, expect_panic, oneshot, with_watchdog, Flag, Flavor, WAIT_LIMIT};

/// Asserts that a panic message explains the problem in terms of the runtime.
#[track_caller]
fn assert_mentions_runtime(msg: &str) {
    assert!(msg.contains("runtime"), "unclear panic message: {msg:?}");
}

rt_test! {
    /// Acceptance: `Handle::block_on` inside a task panics (reported through the join handle)
    /// instead of deadlocking the worker, and the runtime keeps working.
    fn handle_block_on_inside_a_task_panics(rt) {
        let result = rt.block_on(rt.spawn(async {
            Handle::current().block_on(async { 1 })
        }));
        assert_mentions_runtime(&expect_panic(result));
        let out = rt.block_on(rt.spawn(async { evloop::spawn(async { 2 }).await.unwrap() }));
        assert_eq!(out.unwrap(), 2);
    }

    /// The same with the free function `evloop::block_on`.
    fn global_block_on_inside_a_task_panics(rt) {
        let result = rt.block_on(rt.spawn(async { evloop::block_on(async { 1 }) }));
        assert_mentions_runtime(&expect_panic(result));
    }

    /// A `block_on` nested in another `block_on` on the same thread panics; the outer one can
    /// be caught, and the thread (and runtime) can `block_on` again afterwards.
    fn nested_block_on_panics(rt) {
        let msg = catch_panic_message(|| {
            rt.block_on(async { rt.handle().block_on(async { 1 }) })
        });
        assert_mentions_runtime(&msg);
        assert_eq!(rt.block_on(async { evloop::spawn(async { 3 }).await.unwrap() }), 3);
        let other = Flavor::MultiThread(1).build();
        let msg = catch_panic_message(|| rt.block_on(async { other.block_on(async { 1 }) }));
        assert_mentions_runtime(&msg);
        assert_eq!(rt.block_on(async { 4 }), 4);
        assert_eq!(other.block_on(async { 5 }), 5);
    }

    /// `Handle::block_on` is allowed on a blocking-pool thread: it is not driving tasks.
    fn handle_block_on_inside_spawn_blocking(rt) {
        let handle = rt.handle().clone();
        let out = rt.block_on(rt.spawn_blocking(move || {
            handle.block_on(async { evloop::spawn(async { 6 }).await.unwrap() })
        }));
        assert_eq!(out.unwrap(), 6);
    }

    /// Acceptance: inside tasks and `block_on`, `Handle::current` and `try_current` work.
    fn current_handle_inside_the_runtime(rt) {
        let flavor = rt.handle().runtime_flavor();
        assert_eq!(rt.block_on(async { Handle::current().runtime_flavor() }), flavor);
        assert!(rt.block_on(async { Handle::try_current().is_ok() }));
        let in_task = rt.block_on(rt.spawn(async { Handle::try_current().map(|h| h.runtime_flavor()).ok() }));
        assert_eq!(in_task.unwrap(), Some(flavor));
        let in_blocking = rt.block_on(rt.spawn_blocking(|| Handle::try_current().map(|h| h.runtime_flavor()).ok()));
        assert_eq!(in_blocking.unwrap(), Some(flavor));
    }
}

/// Acceptance: `Handle::current` outside any runtime panics with a clear message, and
/// `try_current` returns an error.
#[test]
fn handle_current_outside_a_runtime_panics() {
    with_watchdog(|| {
        let msg = catch_panic_message(Handle::current);
        assert_mentions_runtime(&msg);
        let err = Handle::try_current().expect_err("no runtime on a plain thread");
        assert_mentions_runtime(&err.to_string());
        // A runtime that was current (block_on, enter) is no longer current afterwards.
        let rt = Flavor::CurrentThread.build();
        rt.block_on(async {});
        drop(rt.enter());
        assert!(Handle::try_current().is_err());
    });
}

/// Acceptance: `evloop::spawn` (and `spawn_blocking`) outside any runtime use the global
/// runtime.
#[test]
fn spawn_outside_any_runtime_uses_the_global_runtime() {
    with_watchdog(|| {
        assert!(Handle::try_current().is_err());
        let (tx, rx) = mpsc::channel();
        drop(evloop::spawn(async move {
            let handle = Handle::current();
            tx.send(handle.runtime_flavor()).unwrap();
        }));
        assert_eq!(rx.recv_timeout(WAIT_LIMIT), Ok(RuntimeFlavor::MultiThread));

        let task = evloop::spawn(async { evloop::spawn(async { 40 }).await.unwrap() + 1 });
        let blocking = spawn_blocking(|| 1);
        let out = evloop::block_on(async { task.await.unwrap() + blocking.await.unwrap() });
        assert_eq!(out, 42);

        // From several plain threads at once.
        let threads: Vec<_> = (0..4)
            .map(|i| thread::spawn(move || evloop::block_on(evloop::spawn(async move { i * 10 }))))
            .collect();
        let sum: i32 = threads
            .into_iter()
            .map(|t| t.join().unwrap().unwrap())
            .sum();
        assert_eq!(sum, 60);
    });
}

/// `evloop::block_on` inside a task of the global runtime panics too.
#[test]
fn global_block_on_inside_a_global_task_panics() {
    with_watchdog(|| {
        let result = evloop::block_on(evloop::spawn(async { evloop::block_on(async { 1 }) }));
        assert_mentions_runtime(&expect_panic(result));
        assert_eq!(evloop::block_on(evloop::spawn(async { 2 })).unwrap(), 2);
    });
}

/// Acceptance: on a current-thread runtime, tasks spawned with `rt.spawn` before `block_on`
/// do not run until a `block_on`, then run during it.
#[test]
fn current_thread_tasks_spawned_before_block_on_run_during_it() {
    with_watchdog(|| {
        let rt = Flavor::CurrentThread.build();
        let ran = Arc::new(AtomicUsize::new(0));
        let all_ran = util::CountDown::new(10);
        for _ in 0..10 {
            let ran = ran.clone();
            let all_ran = all_ran.clone();
            rt.spawn(async move {
                ran.fetch_add(1, Ordering::SeqCst);
                all_ran.hit();
            });
        }
        assert_eq!(
            ran.load(Ordering::SeqCst),
            0,
            "nothing drives the runtime yet"
        );
        // The block_on future does not await the tasks; it only waits for their effect.
        rt.block_on(all_ran.wait());
        assert_eq!(ran.load(Ordering::SeqCst), 10);
    });
}

/// Acceptance: tasks left unfinished by one `block_on` continue on the next.
#[test]
fn current_thread_leftover_tasks_continue_on_next_block_on() {
    with_watchdog(|| {
        let rt = Flavor::CurrentThread.build();
        let steps = Arc::new(AtomicUsize::new(0));
        let handle = {
            let steps = steps.clone();
            rt.spawn(async move {
                for _ in 0..1_000 {
                    steps.fetch_add(1, Ordering::SeqCst);
                    yield_now().await;
                }
                "finished"
            })
        };
        // Leave as soon as the task has started.
        rt.block_on(util::yield_until(|| steps.load(Ordering::SeqCst) > 0));
        let between = steps.load(Ordering::SeqCst);
        assert!(between < 1_000, "the first block_on ran the whole task");
        assert_eq!(
            steps.load(Ordering::SeqCst),
            between,
            "no progress without a driver"
        );
        // The next block_on (waiting on something else entirely) runs it on.
        rt.block_on(util::yield_until(|| steps.load(Ordering::SeqCst) == 1_000));
        assert_eq!(rt.block_on(handle).unwrap(), "finished");
    });
}

/// A task of a current-thread runtime woken by a plain thread while no `block_on` runs is
/// polled at the next `block_on`, and not before.
#[test]
fn current_thread_task_woken_between_block_ons() {
    with_watchdog(|| {
        let rt = Flavor::CurrentThread.build();
        let (tx, rx) = oneshot::<u8>();
        let done = Arc::new(AtomicBool::new(false));
        let handle = {
            let done = done.clone();
            rt.spawn(async move {
                let v = rx.await.unwrap();
                done.store(true, Ordering::SeqCst);
                v
            })
        };
        rt.block_on(util::yield_until(|| tx.has_waiter()));
        thread::spawn(move || tx.send(5)).join().unwrap();
        assert!(!done.load(Ordering::SeqCst), "ran without a driver");
        assert_eq!(rt.block_on(handle).unwrap(), 5);
    });
}

/// Two threads blocking on the same current-thread runtime at once: one drives, the other
/// waits for its own future; both finish.
#[test]
fn current_thread_block_on_from_two_threads() {
    with_watchdog(|| {
        let rt = Flavor::CurrentThread.build();
        let (tx, rx) = oneshot::<u32>();
        let waiter = rt.spawn(async move { rx.await.unwrap() + 1 });
        let second = {
            let handle = rt.handle().clone();
            let started = Flag::new();
            let flag = started.clone();
            let thread = thread::spawn(move || {
                handle.block_on(async move {
                    flag.set();
                    evloop::spawn(async move { tx.send(41) }).await.unwrap();
                    "second"
                })
            });
            started.wait_blocking("the second block_on to start");
            thread
        };
        assert_eq!(rt.block_on(waiter).unwrap(), 42);
        assert_eq!(second.join().unwrap(), "second");
    });
}

/// A `block_on` on a multi-thread runtime whose future waits for a task woken by a plain
/// thread after a while (the caller's thread sleeps meanwhile).
#[test]
fn multi_thread_block_on_sleeps_until_woken() {
    with_watchdog(|| {
        let rt = Flavor::MultiThread(2).build();
        let (tx, rx) = oneshot::<u8>();
        let sender = thread::spawn(move || {
            thread::sleep(Duration::from_millis(20));
            tx.send(1);
        });
        assert_eq!(rt.block_on(rx).unwrap(), 1);
        sender.join().unwrap();
    });
}

/// A `block_on` whose future panics gives the runtime back intact: tasks it spawned keep
/// running on the next `block_on` (current thread) or on the workers.
#[test]
fn panic_in_block_on_future_leaves_runtime_usable() {
    with_watchdog(|| {
        for flavor in Flavor::ALL {
            let rt = flavor.build();
            let reached = Flag::new();
            let msg = catch_panic_message(|| {
                rt.block_on(async {
                    let reached = reached.clone();
                    evloop::spawn(async move {
                        yield_now().await;
                        reached.set();
                    });
                    panic!("intentional panic in a block_on future");
                })
            });
            assert_eq!(msg, "intentional panic in a block_on future");
            rt.block_on(reached.wait());
            assert_eq!(rt.block_on(rt.spawn(async { 1 })).unwrap(), 1, "{flavor:?}");
        }
    });
}

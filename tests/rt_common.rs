//! Behaviour every runtime flavor shares: spawning, joining, detaching, waking from other
//! threads, fairness of `yield_now`. Each test runs on a current-thread runtime and on
//! multi-thread runtimes with one and four workers (see `rt_test!`).

#[macro_use]
mod util;

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::Duration;

use evloop::runtime::{Handle, RuntimeFlavor};
use evloop::task::{spawn_blocking, yield_now};
use util::{oneshot, CountDown, DropCounter, Flag, PollCounter, WAIT_LIMIT};

rt_test! {
    fn block_on_returns_the_future_output(rt) {
        assert_eq!(rt.block_on(async { 1 + 2 }), 3);
        // A runtime can be blocked on again and again.
        for i in 0..10 {
            assert_eq!(rt.block_on(async move { i * 2 }), i * 2);
        }
    }

    fn spawn_one_and_join(rt) {
        let out = rt.block_on(async { evloop::spawn(async { "hello" }).await });
        assert_eq!(out.unwrap(), "hello");
    }

    fn spawn_many_from_block_on_and_join_all(rt) {
        let sum = rt.block_on(async {
            let handles: Vec<_> = (0..1_000u64).map(|i| evloop::spawn(async move { i })).collect();
            let mut sum = 0;
            for handle in handles {
                sum += handle.await.unwrap();
            }
            sum
        });
        assert_eq!(sum, 999 * 1_000 / 2);
    }

    fn spawn_through_runtime_and_handle_before_block_on(rt) {
        let a = rt.spawn(async { 1 });
        let b = rt.handle().spawn(async { 2 });
        let c = rt.spawn_blocking(|| 3);
        let out = rt.block_on(async { a.await.unwrap() + b.await.unwrap() + c.await.unwrap() });
        assert_eq!(out, 6);
    }

    fn nested_spawn_inside_tasks(rt) {
        let out = rt.block_on(async {
            evloop::spawn(async {
                let inner = evloop::spawn(async { evloop::spawn(async { 40 }).await.unwrap() + 1 });
                inner.await.unwrap() + 1
            })
            .await
            .unwrap()
        });
        assert_eq!(out, 42);
    }

    fn join_handle_awaited_by_another_task(rt) {
        let out = rt.block_on(async {
            let (tx, rx) = oneshot::<u32>();
            let producer = evloop::spawn(async move { rx.await.unwrap() * 2 });
            let consumer = evloop::spawn(async move { producer.await.unwrap() + 1 });
            tx.send(20);
            consumer.await.unwrap()
        });
        assert_eq!(out, 41);
    }

    fn tasks_see_their_own_runtime_as_current(rt) {
        let workers = rt.metrics().num_workers();
        let flavor = rt.handle().runtime_flavor();
        let (seen_workers, seen_flavor, spawned) = rt.block_on(async {
            evloop::spawn(async {
                let handle = Handle::current();
                let spawned = handle.spawn(async { 7 }).await.unwrap();
                (handle.metrics().num_workers(), handle.runtime_flavor(), spawned)
            })
            .await
            .unwrap()
        });
        assert_eq!(seen_workers, workers);
        assert_eq!(seen_flavor, flavor);
        assert_eq!(spawned, 7);
    }

    fn enter_guard_makes_spawn_use_this_runtime(rt) {
        let handle = {
            let _guard = rt.enter();
            assert_eq!(Handle::current().metrics().num_workers(), rt.metrics().num_workers());
            evloop::spawn(async { 5 })
        };
        // The task belongs to `rt` (not the global runtime), so it is counted there.
        assert!(rt.metrics().num_alive_tasks() <= 1);
        assert_eq!(rt.block_on(handle).unwrap(), 5);
        assert!(Handle::try_current().is_err(), "the guard is gone");
    }

    fn spawn_blocking_returns_its_value(rt) {
        let out = rt.block_on(async {
            let a = spawn_blocking(|| 20);
            let b = evloop::spawn(async { spawn_blocking(|| 22).await.unwrap() });
            a.await.unwrap() + b.await.unwrap()
        });
        assert_eq!(out, 42);
    }

    /// Acceptance: a task whose handle was dropped keeps running and finishes.
    fn detached_task_finishes_after_handle_dropped(rt) {
        let (go_tx, go_rx) = oneshot::<u32>();
        let (done_tx, done_rx) = mpsc::channel();
        let finished = Flag::new();
        let handle = {
            let finished = finished.clone();
            rt.spawn(async move {
                let value = go_rx.await.unwrap();
                done_tx.send(value + 1).unwrap();
                finished.set();
            })
        };
        drop(handle);
        // The task only proceeds once its handle is long gone.
        go_tx.send(41);
        rt.block_on(finished.wait());
        assert_eq!(done_rx.recv_timeout(WAIT_LIMIT), Ok(42));
    }

    /// A handle dropped before its task was ever polled does not cancel the task.
    fn detached_before_first_poll_still_runs(rt) {
        let ran = CountDown::new(100);
        for _ in 0..100 {
            let ran = ran.clone();
            drop(rt.spawn(async move {
                yield_now().await;
                ran.hit();
            }));
        }
        rt.block_on(ran.wait());
        assert_eq!(ran.left(), 0);
    }

    /// Detached tasks spawned from tasks outlive their spawner.
    fn detached_task_outlives_its_spawner(rt) {
        let (go_tx, go_rx) = oneshot::<()>();
        let finished = Flag::new();
        let spawner = {
            let finished = finished.clone();
            rt.spawn(async move {
                evloop::spawn(async move {
                    go_rx.await.unwrap();
                    finished.set();
                });
            })
        };
        rt.block_on(spawner).unwrap();
        go_tx.send(());
        rt.block_on(finished.wait());
    }

    /// Acceptance: a task waiting on a future completed by a plain thread is woken and finishes.
    fn task_woken_by_a_std_thread(rt) {
        let (tx, rx) = oneshot::<&'static str>();
        let polls = PollCounter::new();
        let handle = rt.spawn(polls.wrap(async move { rx.await.unwrap() }));
        let sender = thread::spawn(move || {
            // Give the task time to park on the channel; correctness does not depend on it.
            thread::sleep(Duration::from_millis(10));
            tx.send("woken");
        });
        assert_eq!(rt.block_on(handle).unwrap(), "woken");
        sender.join().unwrap();
        // Polled once or twice: once if the value arrived before the first poll.
        assert!(matches!(polls.get(), 1 | 2), "polled {} times", polls.get());
    }

    /// Exact poll count: a task parked on a channel is polled exactly once more after one wake.
    fn task_woken_once_is_polled_exactly_twice(rt) {
        let (tx, rx) = oneshot::<()>();
        let polls = PollCounter::new();
        let handle = rt.spawn(polls.wrap(async move { rx.await.unwrap() }));
        // Drive the runtime until the task has parked on the channel.
        rt.block_on(util::yield_until(|| tx.has_waiter()));
        let waker = thread::spawn(move || tx.send(()));
        rt.block_on(handle).unwrap();
        waker.join().unwrap();
        assert_eq!(polls.get(), 2, "one poll to park, one after the wake-up");
    }

    /// Many tasks woken by many plain threads all complete.
    fn many_tasks_woken_by_std_threads(rt) {
        const TASKS: usize = 64;
        let mut senders = Vec::new();
        let mut handles = Vec::new();
        for i in 0..TASKS {
            let (tx, rx) = oneshot::<usize>();
            senders.push(tx);
            handles.push(rt.spawn(async move { rx.await.unwrap() + i }));
        }
        let threads: Vec<_> = senders
            .into_iter()
            .enumerate()
            .map(|(i, tx)| thread::spawn(move || tx.send(i)))
            .collect();
        let total = rt.block_on(async move {
            let mut total = 0;
            for handle in handles {
                total += handle.await.unwrap();
            }
            total
        });
        for thread in threads {
            thread.join().unwrap();
        }
        assert_eq!(total, 2 * (TASKS * (TASKS - 1) / 2));
    }

    /// A task woken from a plain thread while no `block_on` is running still runs later.
    fn task_woken_while_nobody_blocks_on(rt) {
        let (tx, rx) = oneshot::<u8>();
        let parked = Flag::new();
        let handle = {
            let parked = parked.clone();
            rt.spawn(async move {
                parked.set();
                rx.await.unwrap()
            })
        };
        rt.block_on(parked.wait());
        thread::spawn(move || tx.send(9)).join().unwrap();
        assert_eq!(rt.block_on(handle).unwrap(), 9);
    }

    /// Acceptance: a task that yields forever does not starve a task spawned after it.
    fn yield_now_loop_does_not_starve_a_later_task(rt) {
        let stop = Arc::new(AtomicBool::new(false));
        let spins = Arc::new(AtomicUsize::new(0));
        {
            let stop = stop.clone();
            let spins = spins.clone();
            rt.spawn(async move {
                // Stops only when the runtime drops it (or the flag says so, to keep the
                // machine quiet once the test is decided).
                while !stop.load(Ordering::Relaxed) {
                    spins.fetch_add(1, Ordering::Relaxed);
                    yield_now().await;
                }
                std::future::pending::<()>().await
            });
        }
        let reached = Flag::new();
        {
            let reached = reached.clone();
            rt.spawn(async move { reached.set() });
        }
        rt.block_on(reached.wait());
        stop.store(true, Ordering::Relaxed);
    }

    /// Same, with both tasks spawned from inside a task (so on a worker's own queue).
    fn yield_now_loop_spawned_from_a_task_does_not_starve(rt) {
        let reached = Flag::new();
        let stop = Arc::new(AtomicBool::new(false));
        {
            let reached = reached.clone();
            let stop = stop.clone();
            rt.spawn(async move {
                evloop::spawn(async move {
                    while !stop.load(Ordering::Relaxed) {
                        yield_now().await;
                    }
                });
                evloop::spawn(async move { reached.set() });
            });
        }
        rt.block_on(reached.wait());
        stop.store(true, Ordering::Relaxed);
    }

    /// Several yield-forever tasks do not starve a task woken by a plain thread, nor the
    /// `block_on` future itself.
    fn yield_loops_do_not_starve_remote_wakeups(rt) {
        let stop = Arc::new(AtomicBool::new(false));
        for _ in 0..8 {
            let stop = stop.clone();
            rt.spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    yield_now().await;
                }
            });
        }
        let (tx, rx) = oneshot::<u32>();
        let waiter = rt.spawn(async move { rx.await.unwrap() });
        thread::spawn(move || tx.send(3)).join().unwrap();
        let out = rt.block_on(async {
            for _ in 0..100 {
                yield_now().await;
            }
            waiter.await.unwrap()
        });
        assert_eq!(out, 3);
        stop.store(true, Ordering::Relaxed);
    }

    fn yield_now_returns_and_task_completes(rt) {
        let polls = PollCounter::new();
        let handle = rt.spawn(polls.wrap(async {
            for _ in 0..10 {
                yield_now().await;
            }
            "done"
        }));
        assert_eq!(rt.block_on(handle).unwrap(), "done");
        // Each yield costs exactly one extra poll.
        assert_eq!(polls.get(), 11);
    }

    fn is_finished_reports_completion(rt) {
        let (tx, rx) = oneshot::<()>();
        let handle = rt.spawn(async move { rx.await.unwrap() });
        assert!(!handle.is_finished());
        tx.send(());
        rt.block_on(async {
            util::yield_until(|| handle.is_finished()).await;
        });
        assert!(handle.is_finished());
        rt.block_on(handle).unwrap();
    }

    fn task_ids_are_unique(rt) {
        let handles: Vec<_> = (0..100).map(|_| rt.spawn(async {})).collect();
        let ids: HashSet<_> = handles.iter().map(|h| h.id()).collect();
        assert_eq!(ids.len(), handles.len());
        rt.block_on(async {
            for handle in handles {
                handle.await.unwrap();
            }
        });
    }

    /// A task of this runtime can be awaited from another runtime's `block_on` (and from the
    /// global one).
    fn join_handle_awaited_from_another_runtime(rt) {
        let (tx, rx) = oneshot::<u8>();
        let handle = rt.spawn(async move { rx.await.unwrap() + 1 });
        if rt.handle().runtime_flavor() == RuntimeFlavor::CurrentThread {
            // Nobody drives a current-thread runtime but its own `block_on`.
            tx.send(1);
            assert_eq!(rt.block_on(handle).unwrap(), 2);
            return;
        }
        let other = util::Flavor::MultiThread(1).build();
        tx.send(1);
        assert_eq!(other.block_on(handle).unwrap(), 2);
        let handle = rt.spawn(async { 5 });
        assert_eq!(evloop::block_on(handle).unwrap(), 5);
    }

    /// Dropping a task's destructor-tracked future after completion happens exactly once.
    fn completed_task_future_dropped_exactly_once(rt) {
        let drops = DropCounter::new();
        let handles: Vec<_> = (0..50)
            .map(|i| rt.spawn(util::track_drop(drops.token(), async move { i })))
            .collect();
        let sum: i32 = rt.block_on(async {
            let mut sum = 0;
            for handle in handles {
                sum += handle.await.unwrap();
            }
            sum
        });
        assert_eq!(sum, 49 * 50 / 2);
        // A task's future is dropped before its output is handed to the join handle.
        drops.assert(50, "every completed future dropped once");
        drop(rt);
        drops.assert(50, "and never again at shutdown");
    }

    /// Two tasks that keep waking each other (a message ping-pong) do not starve a third.
    fn ping_pong_tasks_do_not_starve_others(rt) {
        let stop = Arc::new(AtomicBool::new(false));
        let (to_a, mut a_inbox) = util::channel::<()>();
        let (to_b, mut b_inbox) = util::channel::<()>();
        {
            let stop = stop.clone();
            let to_b = to_b.clone();
            rt.spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    to_b.send(());
                    if a_inbox.recv().await.is_none() {
                        break;
                    }
                }
            });
        }
        rt.spawn(async move {
            while b_inbox.recv().await.is_some() {
                to_a.send(());
            }
        });
        drop(to_b);
        let reached = Flag::new();
        {
            let reached = reached.clone();
            rt.spawn(async move {
                yield_now().await;
                reached.set();
            });
        }
        rt.block_on(reached.wait());
        stop.store(true, Ordering::Relaxed);
    }

    /// Many round trips between a task and a plain thread: every remote wake-up reaches a
    /// possibly sleeping worker (a lost wake-up shows up as a hang).
    fn round_trips_with_a_std_thread(rt) {
        const TRIPS: u32 = 2_000;
        let (to_task, mut inbox) = util::channel::<u32>();
        let (reply_tx, reply_rx) = mpsc::channel::<u32>();
        let task = rt.spawn(async move {
            let mut count = 0;
            while let Some(v) = inbox.recv().await {
                reply_tx.send(v + 1).unwrap();
                count += 1;
            }
            count
        });
        let pinger = thread::spawn(move || {
            for i in 0..TRIPS {
                to_task.send(i);
                assert_eq!(reply_rx.recv_timeout(WAIT_LIMIT), Ok(i + 1), "round trip {i}");
            }
        });
        assert_eq!(rt.block_on(task).unwrap(), TRIPS);
        pinger.join().unwrap();
    }

    /// Sequential spawns from outside onto an otherwise idle runtime each get run.
    fn remote_spawns_reach_idle_workers(rt) {
        let (tx, rx) = mpsc::channel::<u32>();
        let current = rt.handle().runtime_flavor() == RuntimeFlavor::CurrentThread;
        for i in 0..1_000 {
            let tx = tx.clone();
            let handle = rt.spawn(async move { tx.send(i).unwrap() });
            if current {
                rt.block_on(handle).unwrap();
            } else {
                drop(handle);
            }
            assert_eq!(rx.recv_timeout(WAIT_LIMIT), Ok(i));
        }
    }

    /// A task can spawn onto another runtime through its handle and await the result there.
    fn spawn_onto_another_runtime_from_a_task(rt) {
        let other = evloop::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("other-runtime")
            .build()
            .unwrap();
        let other_handle = other.handle().clone();
        let name = rt.block_on(rt.spawn(async move {
            other_handle
                .spawn(async { thread::current().name().map(str::to_string) })
                .await
                .unwrap()
        }));
        assert_eq!(name.unwrap().as_deref(), Some("other-runtime"));
    }
}

/// A task spawned by a task whose worker then blocks is picked up (stolen) by another worker.
fn spawned_task_is_stolen_from_a_blocked_worker(workers: usize) {
    util::with_watchdog(move || {
        let rt = util::Flavor::MultiThread(workers).build();
        let out = rt.block_on(rt.spawn(async {
            let done = Arc::new(AtomicBool::new(false));
            {
                let done = done.clone();
                evloop::spawn(async move { done.store(true, Ordering::SeqCst) });
            }
            // Block this worker (badly behaved on purpose) until another one ran the child.
            util::wait_until("another worker to run the child task", || {
                done.load(Ordering::SeqCst)
            });
            "stolen"
        }));
        assert_eq!(out.unwrap(), "stolen");
    });
}

/// Tasks woken together by one driver turn (two timers due at the same instant) wait on the
/// worker that turned it, without a sibling being woken for them; if the first one run then
/// blocks its worker until the other has run, a sibling must still come and take the other.
fn tasks_woken_by_one_driver_turn_are_taken_from_a_blocked_worker(workers: usize) {
    util::with_watchdog(move || {
        let rt = util::Flavor::MultiThread(workers).build();
        let threads = rt.block_on(rt.spawn(async {
            let started = Arc::new(AtomicUsize::new(0));
            let deadline = evloop::time::Instant::now() + Duration::from_millis(50);
            let handles: Vec<_> = (0..2)
                .map(|_| {
                    let started = started.clone();
                    evloop::spawn(async move {
                        evloop::time::sleep_until(deadline).await;
                        started.fetch_add(1, Ordering::SeqCst);
                        // Block this worker (badly behaved on purpose) until both have started.
                        util::wait_until("the other task to start on another worker", || {
                            started.load(Ordering::SeqCst) == 2
                        });
                        thread::current().id()
                    })
                })
                .collect();
            let mut threads = HashSet::new();
            for handle in handles {
                threads.insert(handle.await.unwrap());
            }
            threads
        }));
        assert_eq!(threads.unwrap().len(), 2, "both tasks ran on one thread");
    });
}

#[test]
fn tasks_woken_by_one_driver_turn_are_taken_from_a_blocked_worker_2_workers() {
    tasks_woken_by_one_driver_turn_are_taken_from_a_blocked_worker(2);
}

#[test]
fn tasks_woken_by_one_driver_turn_are_taken_from_a_blocked_worker_4_workers() {
    tasks_woken_by_one_driver_turn_are_taken_from_a_blocked_worker(4);
}

#[test]
fn spawned_task_is_stolen_from_a_blocked_worker_2_workers() {
    spawned_task_is_stolen_from_a_blocked_worker(2);
}

#[test]
fn spawned_task_is_stolen_from_a_blocked_worker_4_workers() {
    spawned_task_is_stolen_from_a_blocked_worker(4);
}

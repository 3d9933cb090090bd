//! `JoinHandle::abort`: cancellation errors, and destructors that run exactly once.

#[macro_use]
mod util;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;

use evloop::runtime::Runtime;
use evloop::task::{yield_now, JoinHandle};
use util::{assert_cancelled, oneshot, track_drop, DropCounter, Flag, Flavor, WAIT_LIMIT};

/// Spawns on `rt` a task that never finishes, holding a drop token of `drops`, and returns once
/// it has been polled.
fn spawn_started_pending(rt: &Runtime, drops: &DropCounter) -> JoinHandle<()> {
    let started = Flag::new();
    let handle = {
        let started = started.clone();
        rt.spawn(track_drop(drops.token(), async move {
            started.set();
            std::future::pending::<()>().await
        }))
    };
    rt.block_on(started.wait());
    handle
}

rt_test! {
    /// Acceptance: aborting a pending task gives a cancellation and drops its future once.
    fn abort_pending_task_is_cancelled_and_dropped_once(rt) {
        let drops = DropCounter::new();
        let handle = spawn_started_pending(&rt, &drops);
        handle.abort();
        let result = rt.block_on(handle);
        assert_cancelled(result);
        // The future is dropped by the runtime, possibly a moment after the handle reported.
        rt.block_on(util::yield_until(|| drops.get() >= 1));
        drops.assert(1, "after abort");
        drop(rt);
        drops.assert(1, "after the runtime is dropped");
    }

    /// Aborting before the task was ever polled still drops the future exactly once.
    fn abort_before_first_poll(rt) {
        let drops = DropCounter::new();
        let polled = Arc::new(AtomicBool::new(false));
        let handle = {
            let polled = polled.clone();
            rt.spawn(track_drop(drops.token(), async move {
                polled.store(true, Ordering::SeqCst);
            }))
        };
        handle.abort();
        // Either the abort won (cancelled, never polled) or, on a multi-thread runtime, the
        // task finished first (and then `abort` has no effect).
        match rt.block_on(handle) {
            Err(err) => {
                assert!(err.is_cancelled(), "{err:?}");
            }
            Ok(()) => assert!(polled.load(Ordering::SeqCst)),
        }
        rt.block_on(util::yield_until(|| drops.get() >= 1));
        drop(rt);
        drops.assert(1, "after the runtime is dropped");
    }

    /// Acceptance: aborting a finished task has no effect; awaiting still gives its output.
    fn abort_finished_task_still_returns_ok(rt) {
        let drops = DropCounter::new();
        let handle = rt.spawn(track_drop(drops.token(), async { 42 }));
        rt.block_on(util::yield_until(|| handle.is_finished()));
        handle.abort();
        handle.abort();
        assert_eq!(rt.block_on(handle).unwrap(), 42);
        drop(rt);
        drops.assert(1, "a finished task's future is dropped once");
    }

    /// A task waiting on a channel: the abort wins, and a later send finds nobody.
    fn abort_task_waiting_on_a_channel(rt) {
        let drops = DropCounter::new();
        let (tx, rx) = oneshot::<u32>();
        let handle = rt.spawn(track_drop(drops.token(), async move { rx.await.unwrap() }));
        rt.block_on(util::yield_until(|| tx.has_waiter()));
        handle.abort();
        assert_cancelled(rt.block_on(handle));
        tx.send(5);
        rt.block_on(util::yield_until(|| drops.get() >= 1));
        drop(rt);
        drops.assert(1, "after the runtime is dropped");
    }

    /// A task that keeps its own waker (so it is never freed on its own) is dropped once too.
    fn abort_task_that_keeps_its_waker(rt) {
        let drops = DropCounter::new();
        let started = Flag::new();
        let handle = {
            let started = started.clone();
            rt.spawn(track_drop(drops.token(), async move {
                started.set();
                util::pending_with_waker::<()>().await
            }))
        };
        rt.block_on(started.wait());
        handle.abort();
        assert_cancelled(rt.block_on(handle));
        rt.block_on(util::yield_until(|| drops.get() >= 1));
        drop(rt);
        drops.assert(1, "after the runtime is dropped");
    }

    /// Aborting a task while it is busy yielding: cancelled after its current poll.
    fn abort_task_that_is_yielding(rt) {
        let drops = DropCounter::new();
        let spins = Arc::new(AtomicUsize::new(0));
        let handle = {
            let spins = spins.clone();
            rt.spawn(track_drop(drops.token(), async move {
                loop {
                    spins.fetch_add(1, Ordering::SeqCst);
                    yield_now().await;
                }
            }))
        };
        rt.block_on(util::yield_until(|| spins.load(Ordering::SeqCst) >= 10));
        handle.abort();
        assert_cancelled(rt.block_on(handle));
        rt.block_on(util::yield_until(|| drops.get() >= 1));
        let spins_after = spins.load(Ordering::SeqCst);
        rt.block_on(async {
            for _ in 0..50 {
                yield_now().await;
            }
        });
        assert_eq!(spins.load(Ordering::SeqCst), spins_after, "no poll after the drop");
        drop(rt);
        drops.assert(1, "after the runtime is dropped");
    }

    /// Abort from another task and from a plain thread.
    fn abort_from_a_task_and_from_a_thread(rt) {
        let drops = DropCounter::new();
        let a = rt.spawn(track_drop(drops.token(), std::future::pending::<()>()));
        let b = rt.spawn(track_drop(drops.token(), std::future::pending::<()>()));
        // Another task aborts `a` and awaits it.
        let a_result = rt.block_on(async move {
            evloop::spawn(async move {
                a.abort();
                a.await
            })
            .await
            .unwrap()
        });
        assert_cancelled(a_result);
        let b = thread::spawn(move || {
            b.abort();
            b
        })
        .join()
        .unwrap();
        assert_cancelled(rt.block_on(b));
        rt.block_on(util::yield_until(|| drops.get() >= 2));
        drop(rt);
        drops.assert(2, "after the runtime is dropped");
    }

    /// Aborting one task leaves the others alone.
    fn abort_affects_only_its_task(rt) {
        let drops = DropCounter::new();
        let (tx, rx) = oneshot::<u8>();
        let victim = rt.spawn(track_drop(drops.token(), std::future::pending::<u8>()));
        let survivor = rt.spawn(track_drop(drops.token(), async move { rx.await.unwrap() }));
        victim.abort();
        tx.send(8);
        assert_cancelled(rt.block_on(victim));
        assert_eq!(rt.block_on(survivor).unwrap(), 8);
        rt.block_on(util::yield_until(|| drops.get() >= 2));
        drop(rt);
        drops.assert(2, "after the runtime is dropped");
    }

    /// Many aborts at once: every future is dropped exactly once.
    fn abort_many_tasks(rt) {
        const TASKS: usize = 500;
        let drops = DropCounter::new();
        let handles: Vec<_> = (0..TASKS)
            .map(|_| rt.spawn(track_drop(drops.token(), std::future::pending::<()>())))
            .collect();
        // Let some of them be polled first.
        rt.block_on(async {
            for _ in 0..10 {
                yield_now().await;
            }
        });
        for handle in &handles {
            handle.abort();
        }
        rt.block_on(async {
            for handle in handles {
                assert!(handle.await.unwrap_err().is_cancelled());
            }
        });
        rt.block_on(util::yield_until(|| drops.get() >= TASKS));
        drop(rt);
        drops.assert(TASKS, "after the runtime is dropped");
    }

    fn cancelled_error_describes_itself(rt) {
        let handle = rt.spawn(std::future::pending::<()>());
        let id = handle.id();
        handle.abort();
        assert!(handle.is_finished(), "an aborted handle reports finished");
        let err = rt.block_on(handle).unwrap_err();
        assert!(err.is_cancelled());
        assert!(!err.is_panic());
        assert_eq!(err.id(), id);
        assert!(err.to_string().contains("cancelled"), "{err}");
        let err = err.try_into_panic().expect_err("a cancellation has no panic payload");
        assert!(err.is_cancelled());
    }
}

/// A blocking closure that is still queued when its handle is aborted never runs.
#[test]
fn abort_queued_spawn_blocking_closure() {
    util::with_watchdog(|| {
        for flavor in Flavor::ALL {
            let rt = flavor.builder().max_blocking_threads(1).build().unwrap();
            let (release_tx, release_rx) = mpsc::channel::<()>();
            let (started_tx, started_rx) = mpsc::channel::<()>();
            let first = rt.spawn_blocking(move || {
                started_tx.send(()).unwrap();
                release_rx.recv_timeout(WAIT_LIMIT).unwrap();
            });
            started_rx.recv_timeout(WAIT_LIMIT).unwrap();
            // The only pool thread is busy: this closure waits in the queue.
            let ran = Arc::new(AtomicBool::new(false));
            let second = {
                let ran = ran.clone();
                rt.spawn_blocking(move || ran.store(true, Ordering::SeqCst))
            };
            second.abort();
            release_tx.send(()).unwrap();
            rt.block_on(first).unwrap();
            assert_cancelled(rt.block_on(second));
            drop(rt);
            assert!(
                !ran.load(Ordering::SeqCst),
                "{flavor:?}: the aborted closure ran"
            );
        }
    });
}

rt_test! {
    /// `JoinHandle::abort_handle`: aborting through it cancels the task, and its `JoinHandle`
    /// reports the cancellation; the future is dropped once.
    fn abort_handle_cancels_the_task(rt) {
        let drops = DropCounter::new();
        let handle = spawn_started_pending(&rt, &drops);
        let abort = handle.abort_handle();
        assert_eq!(abort.id(), handle.id());
        assert!(!abort.is_finished());
        abort.abort();
        assert_cancelled(rt.block_on(handle));
        assert!(abort.is_finished());
        rt.block_on(util::yield_until(|| drops.get() >= 1));
        drop(rt);
        drops.assert(1, "after the runtime is dropped");
    }

    /// An `AbortHandle` still aborts once the task's `JoinHandle` is gone.
    fn abort_handle_outlives_the_join_handle(rt) {
        let drops = DropCounter::new();
        let handle = spawn_started_pending(&rt, &drops);
        let abort = handle.abort_handle();
        let second = handle.abort_handle();
        drop(handle);
        drops.assert(0, "the task runs on after its JoinHandle is dropped");
        second.clone().abort();
        rt.block_on(util::yield_until(|| drops.get() >= 1));
        assert!(abort.is_finished());
        drop(rt);
        drops.assert(1, "after the runtime is dropped");
    }

    /// With every handle dropped, the task runs to completion, detached.
    fn dropping_all_handles_detaches(rt) {
        let (tx, rx) = oneshot::<u32>();
        let handle = rt.spawn(async move {
            yield_now().await;
            yield_now().await;
            tx.send(9);
        });
        let abort = handle.abort_handle();
        drop(handle);
        drop(abort);
        assert_eq!(rt.block_on(rx).unwrap(), 9);
    }

    /// The `JoinHandle` of a task that has an `AbortHandle` still gives the output, can still
    /// abort, and an abort after completion changes nothing.
    fn join_handle_works_beside_its_abort_handle(rt) {
        let handle = rt.spawn(async { 5u8 });
        let abort = handle.abort_handle();
        assert_eq!(rt.block_on(handle).unwrap(), 5);
        assert!(abort.is_finished());
        abort.abort();

        let pending = rt.spawn(std::future::pending::<()>());
        let abort = pending.abort_handle();
        pending.abort();
        assert_cancelled(rt.block_on(pending));
        assert!(abort.is_finished());

        // A handle made after the task was joined has nothing to abort.
        let done = rt.spawn(async { 1u8 });
        rt.block_on(util::yield_until(|| done.is_finished()));
        let late = done.abort_handle();
        late.abort();
        assert_eq!(rt.block_on(done).unwrap(), 1);
    }
}

/// A `LocalSet` task's `JoinHandle` makes an `AbortHandle` too.
#[test]
fn abort_handle_of_a_local_task() {
    util::with_watchdog(|| {
        let rt = evloop::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let drops = DropCounter::new();
        let token = drops.token();
        evloop::task::LocalSet::new().block_on(&rt, async move {
            let handle = evloop::task::spawn_local(track_drop(token, async {
                let _not_send = std::rc::Rc::new(());
                std::future::pending::<u8>().await
            }));
            yield_now().await;
            let abort = handle.abort_handle();
            abort.abort();
            assert_cancelled(handle.await);
            assert!(abort.is_finished());
        });
        drops.assert(1, "the local future is dropped once");
    });
}

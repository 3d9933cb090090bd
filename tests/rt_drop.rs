//! Dropping a runtime cancels every task that has not finished: each pending future's
//! destructor runs, exactly once.
//!
//! Counts are asserted only after the runtime is gone: a detached task that can never be woken
//! may legitimately be dropped earlier, as soon as the runtime knows it is unreachable.

#[macro_use]
mod util;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use evloop::runtime::{Handle, Runtime};
use evloop::task::{yield_now, JoinHandle};
use util::{oneshot, pending_with_waker, track_drop, DropCounter, DropToken, Flag};

/// Lets every task spawned so far be polled at least once (drives a current-thread runtime).
fn settle(rt: &Runtime, started: &[Flag]) {
    rt.block_on(async {
        for flag in started {
            flag.wait().await;
        }
        for _ in 0..10 {
            yield_now().await;
        }
    });
}

/// Spawns `future` with a drop token and a flag set on its first poll.
fn spawn_tracked<F>(rt: &Runtime, drops: &DropCounter, future: F) -> (JoinHandle<F::Output>, Flag)
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let started = Flag::new();
    let flag = started.clone();
    let handle = rt.spawn(track_drop(drops.token(), async move {
        flag.set();
        future.await
    }));
    (handle, started)
}

rt_test! {
    /// Acceptance: detached tasks pending on `std::future::pending()`.
    fn drop_runtime_with_detached_pending_tasks(rt) {
        let drops = DropCounter::new();
        let mut started = Vec::new();
        for _ in 0..10 {
            let (handle, flag) = spawn_tracked(&rt, &drops, std::future::pending::<()>());
            drop(handle);
            started.push(flag);
        }
        settle(&rt, &started);
        drop(rt);
        drops.assert(10, "after the runtime is dropped");
    }

    /// Acceptance: tasks pending on `std::future::pending()` whose join handles are still held.
    fn drop_runtime_with_joinable_pending_tasks(rt) {
        let drops = DropCounter::new();
        let mut handles = Vec::new();
        let mut started = Vec::new();
        for _ in 0..10 {
            let (handle, flag) = spawn_tracked(&rt, &drops, std::future::pending::<()>());
            handles.push(handle);
            started.push(flag);
        }
        settle(&rt, &started);
        drop(rt);
        drops.assert(10, "after the runtime is dropped, join handles still held");
        for handle in handles {
            assert!(handle.is_finished());
            util::assert_cancelled(evloop::block_on(handle));
        }
    }

    /// Acceptance: tasks that yield forever, detached or not.
    fn drop_runtime_with_tasks_yielding_forever(rt) {
        let drops = DropCounter::new();
        let mut handles = Vec::new();
        let mut started = Vec::new();
        for i in 0..10 {
            let (handle, flag) = spawn_tracked(&rt, &drops, async {
                loop {
                    yield_now().await;
                }
            });
            started.push(flag);
            if i % 2 == 0 {
                handles.push(handle);
            }
        }
        settle(&rt, &started);
        drop(rt);
        drops.assert(10, "after the runtime is dropped");
        for handle in handles {
            util::assert_cancelled(evloop::block_on(handle));
        }
    }

    /// Acceptance: a task waiting on a channel whose sender is held by another (pending) task of
    /// the same runtime; both detached.
    fn drop_runtime_with_task_waiting_on_sibling_detached(rt) {
        let drops = DropCounter::new();
        let (tx, rx) = oneshot::<()>();
        let (receiver, a) = spawn_tracked(&rt, &drops, async move {
            let _ = rx.await;
        });
        let (holder, b) = spawn_tracked(&rt, &drops, async move {
            let _tx = tx;
            std::future::pending::<()>().await
        });
        drop((receiver, holder));
        settle(&rt, &[a, b]);
        drop(rt);
        drops.assert(2, "after the runtime is dropped");
    }

    /// Acceptance: the same, with both join handles held across the drop.
    fn drop_runtime_with_task_waiting_on_sibling_joinable(rt) {
        let drops = DropCounter::new();
        let (tx, rx) = oneshot::<()>();
        let (receiver, a) = spawn_tracked(&rt, &drops, async move {
            let _ = rx.await;
        });
        let (holder, b) = spawn_tracked(&rt, &drops, async move {
            let _tx = tx;
            std::future::pending::<()>().await
        });
        settle(&rt, &[a, b]);
        drop(rt);
        drops.assert(2, "after the runtime is dropped, join handles still held");
        drop((receiver, holder));
    }

    /// Two tasks each waiting on a channel whose sender the other holds: a reference cycle
    /// through their wakers that only the runtime can break.
    fn drop_runtime_with_tasks_waiting_on_each_other(rt) {
        let drops = DropCounter::new();
        let (tx1, rx1) = oneshot::<()>();
        let (tx2, rx2) = oneshot::<()>();
        let (h1, a) = spawn_tracked(&rt, &drops, async move {
            let _tx2 = tx2;
            let _ = rx1.await;
        });
        let (h2, b) = spawn_tracked(&rt, &drops, async move {
            let _tx1 = tx1;
            let _ = rx2.await;
        });
        drop((h1, h2));
        settle(&rt, &[a, b]);
        drop(rt);
        drops.assert(2, "after the runtime is dropped");
    }

    /// A task whose future keeps its own waker (a self-reference only the runtime can break).
    fn drop_runtime_with_task_holding_its_own_waker(rt) {
        let drops = DropCounter::new();
        let (handle, started) = spawn_tracked(&rt, &drops, pending_with_waker::<()>());
        drop(handle);
        settle(&rt, &[started]);
        drop(rt);
        drops.assert(1, "after the runtime is dropped");
    }

    /// A task waiting on a channel whose sender is held outside the runtime (by the test).
    fn drop_runtime_with_task_waiting_on_outside_sender(rt) {
        let drops = DropCounter::new();
        let (tx, rx) = oneshot::<()>();
        let (handle, started) = spawn_tracked(&rt, &drops, async move {
            let _ = rx.await;
        });
        drop(handle);
        settle(&rt, &[started]);
        drop(rt);
        drops.assert(1, "after the runtime is dropped, sender still held");
        drop(tx);
        drops.assert(1, "and not again when the sender goes");
    }

    /// Tasks still queued (spawned, perhaps never polled) when the runtime is dropped. A
    /// multi-thread runtime may poll some of them first, so handles are kept only where
    /// nothing can poll them (a current-thread runtime outside `block_on`).
    fn drop_runtime_with_never_polled_tasks(rt) {
        let current = rt.handle().runtime_flavor() == evloop::runtime::RuntimeFlavor::CurrentThread;
        let drops = DropCounter::new();
        let polled = Arc::new(AtomicBool::new(false));
        let mut handles = Vec::new();
        for i in 0..10 {
            let polled = polled.clone();
            let handle = rt.spawn(track_drop(drops.token(), async move {
                polled.store(true, Ordering::SeqCst);
                std::future::pending::<()>().await
            }));
            if current && i % 2 == 0 {
                handles.push(handle);
            }
        }
        drop(rt);
        if current {
            assert!(!polled.load(Ordering::SeqCst), "nothing drove the runtime");
        }
        drops.assert(10, "after the runtime is dropped");
        drop(handles);
        drops.assert(10, "and not again when the handles go");
    }

    /// A mix of all the above at once, with an exact total.
    fn drop_runtime_with_many_kinds_of_pending_tasks(rt) {
        let drops = DropCounter::new();
        let mut keep = Vec::new();
        let mut started = Vec::new();
        let mut outside_senders = Vec::new();
        for i in 0..20 {
            let (handle, flag) = match i % 4 {
                0 => spawn_tracked(&rt, &drops, std::future::pending::<()>()),
                1 => spawn_tracked(&rt, &drops, async {
                    loop {
                        yield_now().await;
                    }
                }),
                2 => spawn_tracked(&rt, &drops, pending_with_waker::<()>()),
                _ => {
                    let (tx, rx) = oneshot::<()>();
                    outside_senders.push(tx);
                    spawn_tracked(&rt, &drops, async move {
                        let _ = rx.await;
                    })
                }
            };
            started.push(flag);
            if i % 3 == 0 {
                keep.push(handle);
            }
        }
        settle(&rt, &started);
        drop(rt);
        drops.assert(20, "after the runtime is dropped");
        drop(keep);
        drop(outside_senders);
        drops.assert(20, "and never twice");
    }

    /// A destructor that spawns on (or wakes tasks of) the runtime being dropped neither
    /// panics nor deadlocks; the late task is dropped too.
    fn destructor_that_spawns_during_shutdown(rt) {
        struct SpawnOnDrop {
            handle: Handle,
            token: Option<DropToken>,
        }
        impl Drop for SpawnOnDrop {
            fn drop(&mut self) {
                let token = self.token.take();
                drop(self.handle.spawn(async move {
                    let _token = token;
                }));
            }
        }
        let drops = DropCounter::new();
        let (handle, started) = {
            let guard = SpawnOnDrop {
                handle: rt.handle().clone(),
                token: Some(drops.token()),
            };
            // Yields forever, so it is in a run queue (and certainly dropped) at shutdown.
            spawn_tracked(&rt, &drops, async move {
                let _guard = guard;
                loop {
                    yield_now().await;
                }
            })
        };
        drop(handle);
        settle(&rt, &[started]);
        drop(rt);
        drops.assert(2, "the pending task and the task its destructor spawned");
    }
}

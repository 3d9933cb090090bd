//! `LocalSet` and `spawn_local`: `!Send` futures, nested spawns, results and panics through
//! `JoinHandle`, awaiting the set, dropping it, and wake-ups from other threads.

#[macro_use]
mod util;

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use evloop::task::{self, yield_now, JoinSet, LocalSet};
use util::{assert_cancelled, catch_panic_message, expect_panic, oneshot, DropCounter};

rt_test! {
    /// `Rc` futures run, see each other's writes, and return their output through `JoinHandle`.
    fn rc_futures_run_and_return(rt) {
        let local = LocalSet::new();
        let total = local.block_on(&rt, async {
            let counter = Rc::new(Cell::new(0u32));
            let mut handles = Vec::new();
            for i in 0..50u32 {
                let counter = counter.clone();
                handles.push(task::spawn_local(async move {
                    yield_now().await;
                    counter.set(counter.get() + 1);
                    Rc::new(i)
                }));
            }
            let mut sum = 0;
            for handle in handles {
                sum += *handle.await.unwrap();
            }
            assert_eq!(counter.get(), 50);
            sum
        });
        assert_eq!(total, (0..50).sum::<u32>());
    }

    /// Tasks spawn tasks, several levels deep; all run on the set's thread.
    fn nested_spawn_local(rt) {
        let local = LocalSet::new();
        let log = Rc::new(RefCell::new(Vec::new()));
        let log2 = log.clone();
        local.block_on(&rt, async move {
            let thread = std::thread::current().id();
            let (l1, l2, l3) = (log2.clone(), log2.clone(), log2);
            let outer = task::spawn_local(async move {
                let inner = task::spawn_local(async move {
                    let innermost = task::spawn_local(async move {
                        assert_eq!(std::thread::current().id(), thread);
                        l3.borrow_mut().push(3);
                        "deep"
                    });
                    let value = innermost.await.unwrap();
                    l2.borrow_mut().push(2);
                    value
                });
                let value = inner.await.unwrap();
                l1.borrow_mut().push(1);
                value
            });
            assert_eq!(outer.await.unwrap(), "deep");
        });
        assert_eq!(*log.borrow(), [3, 2, 1]);
    }

    /// A panicking local task is reported through its handle; the set and its other tasks go
    /// on.
    fn panics_are_reported(rt) {
        let local = LocalSet::new();
        local.block_on(&rt, async {
            let bad = task::spawn_local(async {
                let _rc = Rc::new(());
                panic!("local boom");
            });
            let good = task::spawn_local(async { Rc::new(5) });
            assert_eq!(expect_panic(bad.await), "local boom");
            assert_eq!(*good.await.unwrap(), 5);
            let after = task::spawn_local(async { 6 });
            assert_eq!(after.await.unwrap(), 6);
        });
    }

    /// Tasks spawned on a set that is not being driven run once it is; awaiting the set
    /// finishes when all of them have, nested ones included.
    fn awaiting_the_set_runs_every_task(rt) {
        let local = LocalSet::new();
        let done = Rc::new(Cell::new(0));
        for _ in 0..10 {
            let done = done.clone();
            local.spawn_local(async move {
                let done2 = done.clone();
                task::spawn_local(async move {
                    yield_now().await;
                    done2.set(done2.get() + 1);
                });
                yield_now().await;
                done.set(done.get() + 1);
            });
        }
        assert_eq!(done.get(), 0, "nothing runs before the set is driven");
        rt.block_on(local);
        assert_eq!(done.get(), 20);
    }

    /// Dropping the set drops the futures of its unfinished tasks (idle ones, queued ones and
    /// ones never polled), on this thread, and their handles report cancellation.
    fn dropping_the_set_runs_destructors(rt) {
        let drops = DropCounter::new();
        let local = LocalSet::new();
        let (idle, queued) = local.block_on(&rt, async {
            let token = drops.token();
            let idle = task::spawn_local(async move {
                let _token = token;
                let _rc = Rc::new(());
                std::future::pending::<()>().await
            });
            yield_now().await; // let it start and park
            let token = drops.token();
            let queued = task::spawn_local(async move {
                let _token = token;
            });
            (idle, queued)
        });
        let token = drops.token();
        let never_polled = local.spawn_local(async move {
            let _token = token;
        });
        // Finished or not, `queued` may have run during the last poll of `block_on`.
        let queued_ran = queued.is_finished();
        drop(local);
        drops.assert(3, "every task's future is dropped with the set");
        assert_cancelled(rt.block_on(idle));
        assert_cancelled(rt.block_on(never_polled));
        let queued = rt.block_on(queued);
        if !queued_ran {
            assert_cancelled(queued);
        }
    }

    /// A local task woken from another thread (a plain thread here) is run by the set.
    fn woken_from_another_thread(rt) {
        let local = LocalSet::new();
        let value = local.block_on(&rt, async {
            let (tx, rx) = oneshot::<u32>();
            let waiter = task::spawn_local(async move {
                let rc = Rc::new(rx.await.unwrap());
                *rc + 1
            });
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(20));
                tx.send(41);
            });
            waiter.await.unwrap()
        });
        assert_eq!(value, 42);
    }

    /// Timers and runtime tasks work from inside local tasks.
    fn local_tasks_use_the_runtime(rt) {
        let local = LocalSet::new();
        local.block_on(&rt, async {
            let rc = Rc::new(Cell::new(false));
            let rc2 = rc.clone();
            task::spawn_local(async move {
                evloop::time::sleep(Duration::from_millis(5)).await;
                let n = evloop::spawn(async { 1 }).await.unwrap();
                rc2.set(n == 1);
            })
            .await
            .unwrap();
            assert!(rc.get());
        });
    }

    /// `abort` cancels a local task, also from another thread through a `Send` handle.
    fn abort_local_task(rt) {
        let local = LocalSet::new();
        local.block_on(&rt, async {
            let drops = DropCounter::new();
            let token = drops.token();
            let handle = task::spawn_local(async move {
                let _token = token;
                std::future::pending::<()>().await
            });
            yield_now().await;
            let handle = std::thread::spawn(move || {
                handle.abort();
                handle
            })
            .join()
            .unwrap();
            assert_cancelled(handle.await);
            // The set drops the cancelled future the next time it runs its queue.
            util::yield_until(|| drops.get() == 1).await;
        });
    }

    /// `JoinSet::spawn_local` collects `!Send` tasks.
    fn join_set_spawn_local(rt) {
        LocalSet::new().block_on(&rt, async {
            let mut set = JoinSet::new();
            for i in 0..10u32 {
                let rc = Rc::new(i);
                set.spawn_local(async move {
                    yield_now().await;
                    *rc
                });
            }
            let mut sum = 0;
            while let Some(result) = set.join_next().await {
                sum += result.unwrap();
            }
            assert_eq!(sum, 45);
        });
    }

    /// `run_until` returns when its future does, leaving unfinished tasks in the set for the next
    /// drive.
    fn run_until_leaves_tasks_for_later(rt) {
        let local = LocalSet::new();
        let (tx, rx) = oneshot::<()>();
        let handle = local.spawn_local(async move {
            rx.await.unwrap();
            Rc::new("later")
        });
        rt.block_on(local.run_until(async { yield_now().await }));
        assert!(!handle.is_finished());
        tx.send(());
        let value = local.block_on(&rt, handle).unwrap();
        assert_eq!(*value, "later");
    }
}

/// `spawn_local` outside a set panics with a message that says so.
#[test]
fn spawn_local_outside_a_set_panics() {
    let message = catch_panic_message(|| task::spawn_local(async {}));
    assert!(
        message.contains("`spawn_local` called from outside of a `task::LocalSet`"),
        "{message}"
    );
    // Inside a runtime but outside a set: the same.
    let rt = evloop::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let message = catch_panic_message(|| {
        rt.block_on(async {
            drop(task::spawn_local(async {}));
        })
    });
    assert!(message.contains("LocalSet"), "{message}");
}

/// `LocalSet::enter` makes `spawn_local` work without driving the set; the set is current only
/// while the guard lives.
#[test]
fn enter_makes_the_set_current() {
    let local = LocalSet::new();
    let handle = {
        let _guard = local.enter();
        task::spawn_local(async { Rc::new(3) })
    };
    let message = catch_panic_message(|| task::spawn_local(async {}));
    assert!(message.contains("LocalSet"), "{message}");
    let rt = evloop::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    assert_eq!(*local.block_on(&rt, handle).unwrap(), 3);
}

/// A destructor of a dropped task that spawns another local task does not panic: it gets a
/// cancelled task.
#[test]
fn spawn_from_a_destructor_while_dropping() {
    struct SpawnOnDrop(Rc<Cell<bool>>);
    impl Drop for SpawnOnDrop {
        fn drop(&mut self) {
            let handle = task::spawn_local(async {});
            self.0.set(handle.is_finished());
        }
    }
    let spawned_finished = Rc::new(Cell::new(false));
    let local = LocalSet::new();
    let guard = SpawnOnDrop(spawned_finished.clone());
    local.spawn_local(async move {
        let _guard = guard;
        std::future::pending::<()>().await
    });
    drop(local);
    assert!(spawned_finished.get(), "the late task is cancelled at once");
}

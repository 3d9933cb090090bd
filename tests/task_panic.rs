//! Panicking tasks: the panic is reported through the `JoinHandle`, and the runtime carries on.

#[macro_use]
mod util;

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use evloop::runtime::Runtime;
use evloop::task::{spawn_blocking, yield_now};
use util::{expect_panic, oneshot, track_drop, DropCounter};

/// Spawns `tasks` trivial tasks and checks that they all complete: the runtime still works.
#[track_caller]
fn assert_runtime_still_works(rt: &Runtime, tasks: usize) {
    let done = Arc::new(AtomicUsize::new(0));
    let handles: Vec<_> = (0..tasks)
        .map(|_| {
            let done = done.clone();
            rt.spawn(async move {
                yield_now().await;
                done.fetch_add(1, Ordering::SeqCst);
            })
        })
        .collect();
    rt.block_on(async {
        for handle in handles {
            handle.await.expect("a task spawned after the panic failed");
        }
    });
    assert_eq!(done.load(Ordering::SeqCst), tasks);
}

rt_test! {
    /// Acceptance: a panic gives `is_panic`, `into_panic` gives the payload, and the runtime
    /// keeps working on the same workers.
    fn panic_is_reported_and_runtime_keeps_working(rt) {
        let result = rt.block_on(rt.spawn(async {
            panic!("intentional panic in a task");
        }));
        assert_eq!(expect_panic(result), "intentional panic in a task");
        assert_runtime_still_works(&rt, 100);
    }

    /// A formatted message arrives as a `String` payload, a custom payload as itself.
    fn panic_payloads_are_passed_through(rt) {
        let n = 7;
        let result = rt.block_on(rt.spawn(async move {
            panic!("intentional panic number {n}");
        }));
        let err = result.unwrap_err();
        assert!(err.is_panic());
        assert!(err.to_string().contains("intentional panic number 7"), "{err}");
        let payload = err.into_panic();
        assert_eq!(payload.downcast_ref::<String>().map(String::as_str), Some("intentional panic number 7"));

        let result = rt.block_on(rt.spawn(async {
            std::panic::panic_any(1234_u64);
        }));
        let payload = result.unwrap_err().into_panic();
        assert_eq!(payload.downcast_ref::<u64>(), Some(&1234));
    }

    /// A panic after the task was suspended (not on its first poll) is reported the same way.
    fn panic_after_an_await(rt) {
        let (tx, rx) = oneshot::<()>();
        let handle = rt.spawn(async move {
            rx.await.unwrap();
            yield_now().await;
            panic!("intentional panic after await");
        });
        tx.send(());
        assert_eq!(expect_panic(rt.block_on(handle)), "intentional panic after await");
        assert_runtime_still_works(&rt, 10);
    }

    /// Acceptance: panics in many tasks at once are all reported, and the runtime survives.
    fn panics_in_many_tasks_at_once(rt) {
        const TASKS: usize = 200;
        let handles: Vec<_> = (0..TASKS)
            .map(|i| {
                rt.spawn(async move {
                    yield_now().await;
                    if i % 2 == 0 {
                        panic!("intentional panic {i}");
                    }
                    i
                })
            })
            .collect();
        let results = rt.block_on(async {
            let mut results = Vec::new();
            for handle in handles {
                results.push(handle.await);
            }
            results
        });
        for (i, result) in results.into_iter().enumerate() {
            if i % 2 == 0 {
                assert_eq!(expect_panic(result), format!("intentional panic {i}"));
            } else {
                assert_eq!(result.unwrap(), i);
            }
        }
        assert_runtime_still_works(&rt, 100);
    }

    /// Panics inside tasks spawned by tasks, awaited by their parent.
    fn panic_in_nested_task_is_seen_by_parent(rt) {
        let msg = rt.block_on(rt.spawn(async {
            let child = evloop::spawn(async { panic!("intentional panic in a child") });
            expect_panic(child.await)
        }));
        assert_eq!(msg.unwrap(), "intentional panic in a child");
    }

    /// A detached task that panics disturbs nobody.
    fn panic_in_detached_tasks(rt) {
        for i in 0..50 {
            drop(rt.spawn(async move { panic!("intentional panic in detached task {i}") }));
        }
        assert_runtime_still_works(&rt, 100);
        let metrics = rt.metrics();
        rt.block_on(util::yield_until(|| metrics.num_alive_tasks() == 0));
    }

    /// The panicking future's locals are dropped (once) while the panic unwinds.
    fn panicking_future_is_dropped_once(rt) {
        let drops = DropCounter::new();
        let handles: Vec<_> = (0..20)
            .map(|_| {
                rt.spawn(track_drop(drops.token(), async {
                    yield_now().await;
                    panic!("intentional panic with a tracked local");
                }))
            })
            .collect();
        rt.block_on(async {
            for handle in handles {
                assert!(handle.await.unwrap_err().is_panic());
            }
        });
        drops.assert(20, "after the panics were reported");
        drop(rt);
        drops.assert(20, "after the runtime is dropped");
    }

    /// A panicking `spawn_blocking` closure is reported as a panic, and the pool keeps serving.
    fn panic_in_spawn_blocking(rt) {
        let result = rt.block_on(spawn_blocking_in(&rt, || -> u8 {
            panic!("intentional panic in a blocking closure")
        }));
        assert_eq!(expect_panic(result), "intentional panic in a blocking closure");
        let sum = rt.block_on(async {
            let mut sum = 0;
            for i in 0..20 {
                sum += spawn_blocking(move || i).await.unwrap();
            }
            sum
        });
        assert_eq!(sum, 190);
    }

    /// A future whose destructor panics when the finished task drops it: the output is still
    /// delivered (or the panic reported), and the worker that ran it keeps working.
    fn panic_in_destructor_after_completion(rt) {
        let handle = rt.spawn(PanicOnDrop { output: Some(3) });
        let result = rt.block_on(handle);
        assert!(matches!(&result, Ok(3)) || result.as_ref().is_err_and(|e| e.is_panic()), "{result:?}");
        assert_runtime_still_works(&rt, 20);
    }

    /// A pending future whose destructor panics when it is aborted: the abort is reported and
    /// the worker that dropped it keeps working.
    fn panic_in_destructor_on_abort(rt) {
        let started = util::Flag::new();
        let handle = {
            let started = started.clone();
            rt.spawn(async move {
                let _bomb = PanicOnDrop::<()> { output: None };
                started.set();
                std::future::pending::<()>().await
            })
        };
        rt.block_on(started.wait());
        handle.abort();
        let result = rt.block_on(handle);
        assert!(result.is_err(), "{result:?}");
        assert_runtime_still_works(&rt, 20);
    }
}

/// `spawn_blocking` on a given runtime, called from outside it.
fn spawn_blocking_in<R: Send + 'static>(
    rt: &Runtime,
    f: impl FnOnce() -> R + Send + 'static,
) -> evloop::task::JoinHandle<R> {
    rt.spawn_blocking(f)
}

/// A future that is ready at once with `output` (or pending forever without one) and panics
/// when dropped.
struct PanicOnDrop<T> {
    output: Option<T>,
}

impl<T: Unpin> Future for PanicOnDrop<T> {
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<T> {
        match self.output.take() {
            Some(value) => Poll::Ready(value),
            None => Poll::Pending,
        }
    }
}

impl<T> Drop for PanicOnDrop<T> {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            panic!("intentional panic in a destructor");
        }
    }
}

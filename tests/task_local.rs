//! Task-local storage: `task_local!`, `LocalKey` (`scope`, `sync_scope`, `with`, `try_with`,
//! `get`) and `TaskLocalFuture`: values per task across awaits and threads, nested scopes,
//! restoring after panics, the value during drop, and use without a runtime.

#[macro_use]
mod util;

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::thread;

use evloop::task::futures::TaskLocalFuture;
use evloop::task::{block_in_place, yield_now, AccessError, LocalKey};
use util::{catch_panic_message, expect_panic, with_watchdog, Flavor};

evloop::task_local! {
    /// A number per scope.
    static NUMBER: u32;

    /// A `Clone` value that is not `Copy`.
    pub static NAME: String;

    #[allow(dead_code)]
    pub(crate) static UNUSED: Vec<u8>
}

// Declarations without a trailing semicolon, and an empty invocation, are accepted too.
evloop::task_local! {}
evloop::task_local! {
    static LAST: u8
}

/// Records what `NUMBER` holds when it is dropped.
struct RecordOnDrop(Arc<Mutex<Vec<Result<u32, AccessError>>>>);

impl Drop for RecordOnDrop {
    fn drop(&mut self) {
        self.0.lock().unwrap().push(NUMBER.try_get());
    }
}

/// A future that is pending on its first poll and ready on the next.
fn pending_once() -> impl Future<Output = ()> {
    let mut polled = false;
    std::future::poll_fn(move |cx: &mut Context<'_>| {
        if polled {
            Poll::Ready(())
        } else {
            polled = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    })
}

/// Polls `future` once with a waker that does nothing.
fn poll_once<F: Future>(future: Pin<&mut F>) -> Poll<F::Output> {
    struct Noop;
    impl Wake for Noop {
        fn wake(self: Arc<Self>) {}
    }
    let waker = Waker::from(Arc::new(Noop));
    future.poll(&mut Context::from_waker(&waker))
}

rt_test! {
    /// The value is visible in the scope, across `.await` points, and nowhere outside it.
    fn value_is_visible_across_awaits(rt) {
        rt.block_on(async {
            assert!(NUMBER.try_get().is_err());
            let inside = NUMBER
                .scope(7, async {
                    let mut seen = Vec::new();
                    for _ in 0..20 {
                        seen.push(NUMBER.get());
                        yield_now().await;
                    }
                    seen
                })
                .await;
            assert_eq!(inside, vec![7; 20]);
            assert!(NUMBER.try_get().is_err(), "the value is gone after the scope");

            let spawned = evloop::spawn(NUMBER.scope(8, async {
                yield_now().await;
                NUMBER.get()
            }));
            assert_eq!(spawned.await.unwrap(), 8);
        });
    }

    /// 100 tasks scope their own values of one key at the same time; each sees only its own,
    /// whichever workers poll them and whatever ran on those workers in between.
    fn concurrent_tasks_see_only_their_own_values(rt) {
        rt.block_on(async {
            let tasks: Vec<_> = (0..100u32)
                .map(|i| {
                    evloop::spawn(NUMBER.scope(i, async move {
                        for _ in 0..10 {
                            assert_eq!(NUMBER.get(), i);
                            yield_now().await;
                        }
                        NUMBER.get()
                    }))
                })
                .collect();
            for (i, task) in (0..100u32).zip(tasks) {
                assert_eq!(task.await.unwrap(), i);
            }
            assert!(NUMBER.try_get().is_err());
        });
    }

    /// A panic in the scoped future is a panic of its task, and leaves the thread-local empty
    /// on the thread that polled it: later tasks on every worker see no value.
    fn a_panicking_scope_restores_the_thread_local(rt) {
        rt.block_on(async {
            let task = evloop::spawn(NUMBER.scope(1, async {
                yield_now().await;
                assert_eq!(NUMBER.get(), 1);
                panic!("scoped panic");
            }));
            assert_eq!(expect_panic(task.await), "scoped panic");
            assert!(NUMBER.try_get().is_err());

            let checks: Vec<_> = (0..32)
                .map(|_| evloop::spawn(async { NUMBER.try_get() }))
                .collect();
            for check in checks {
                assert!(check.await.unwrap().is_err(), "a value leaked out of a panicked scope");
            }
        });
    }

    /// Aborting a pending scoped task drops its future with the value still set.
    fn an_aborted_scope_drops_its_future_with_the_value(rt) {
        rt.block_on(async {
            let record = Arc::new(Mutex::new(Vec::new()));
            let started = util::Flag::new();
            let task = evloop::spawn(NUMBER.scope(11, {
                let guard = RecordOnDrop(record.clone());
                let started = started.clone();
                async move {
                    let _guard = guard;
                    started.set();
                    std::future::pending::<()>().await
                }
            }));
            started.wait().await;
            task.abort();
            util::assert_cancelled(task.await);
            // The future is dropped by the worker that runs the cancellation, maybe later.
            util::yield_until(|| !record.lock().unwrap().is_empty()).await;
            assert_eq!(*record.lock().unwrap(), vec![Ok(11)]);
        });
    }
}

/// The value follows the task to another worker thread: `block_in_place` hands the worker to a
/// new thread and the old one ends after this poll, so the task's next poll runs elsewhere.
#[test]
fn value_follows_a_task_that_moves_to_another_worker() {
    with_watchdog(|| {
        let rt = Flavor::MultiThread(4).build();
        rt.block_on(async {
            let task = evloop::spawn(NUMBER.scope(21, async {
                let mut threads = vec![thread::current().id()];
                for round in 0..3 {
                    assert_eq!(NUMBER.get(), 21);
                    block_in_place(|| assert_eq!(NUMBER.get(), 21));
                    yield_now().await;
                    let now = thread::current().id();
                    assert_ne!(
                        Some(&now),
                        threads.last(),
                        "round {round}: the task did not move"
                    );
                    assert_eq!(NUMBER.get(), 21, "round {round}: the value did not follow");
                    threads.push(now);
                }
                threads.len()
            }));
            assert_eq!(task.await.unwrap(), 4);
        });
    });
}

/// An inner scope of the same key shadows the outer value for its own polls only, and the
/// outer value is back after each of them and after the inner scope ends.
#[test]
fn nested_scopes_restore_the_outer_value() {
    let outcome = futures_lite::future::block_on(NUMBER.scope(1, async {
        let mut inner = Box::pin(NUMBER.scope(2, async {
            assert_eq!(NUMBER.get(), 2);
            pending_once().await;
            assert_eq!(NUMBER.get(), 2);
            NUMBER.sync_scope(3, || assert_eq!(NUMBER.get(), 3));
            assert_eq!(NUMBER.get(), 2);
            "inner done"
        }));
        assert!(poll_once(inner.as_mut()).is_pending());
        assert_eq!(
            NUMBER.get(),
            1,
            "the outer value is back between inner polls"
        );
        let done = inner.as_mut().await;
        assert_eq!(NUMBER.get(), 1);
        // Another key is independent of this one.
        NAME.scope("outer".to_string(), async {
            assert_eq!(NUMBER.get(), 1);
            assert_eq!(NAME.get(), "outer");
        })
        .await;
        assert!(NAME.try_get().is_err());
        done
    }));
    assert_eq!(outcome, "inner done");
    assert!(NUMBER.try_get().is_err());
}

/// `try_with` and `try_get` outside every scope return an `AccessError`, which is an error
/// type with a message.
#[test]
fn try_with_outside_a_scope_is_an_access_error() {
    let err: AccessError = NUMBER.try_with(|n| *n).unwrap_err();
    assert_eq!(err, NUMBER.try_get().unwrap_err());
    assert_eq!(err.to_string(), "task-local value not set");
    assert_eq!(format!("{err:?}"), "AccessError");
    let boxed: Box<dyn std::error::Error + Send + Sync> = Box::new(err);
    assert!(boxed.source().is_none());
    assert!(NAME.try_with(|name| name.len()).is_err());
}

/// `with` and `get` outside every scope panic, naming the problem.
#[test]
fn with_outside_a_scope_panics() {
    let message = catch_panic_message(|| NUMBER.with(|n| *n));
    assert!(
        message.contains("task-local storage value without setting it first"),
        "unexpected message: {message}"
    );
    let message = catch_panic_message(|| NAME.get());
    assert!(
        message.contains("task-local"),
        "unexpected message: {message}"
    );
    // The failed accesses left nothing behind.
    assert!(catch_unwind(|| NUMBER.with(|n| *n)).is_err());
}

/// `sync_scope` sets the value for the closure only, nests, and restores the previous value
/// when the closure panics.
#[test]
fn sync_scope_sets_the_value_for_the_closure() {
    assert_eq!(NUMBER.sync_scope(5, || NUMBER.get() + 1), 6);
    assert!(NUMBER.try_get().is_err());

    NUMBER.sync_scope(1, || {
        NUMBER.sync_scope(2, || assert_eq!(NUMBER.get(), 2));
        assert_eq!(NUMBER.get(), 1);
        let panicked = catch_unwind(|| NUMBER.sync_scope(3, || panic!("inner")));
        assert!(panicked.is_err());
        assert_eq!(NUMBER.get(), 1, "the outer value is back after the panic");
    });
    assert!(NUMBER.try_get().is_err());

    let panicked = catch_unwind(|| NUMBER.sync_scope(4, || panic!("outer")));
    assert!(panicked.is_err());
    assert!(
        NUMBER.try_get().is_err(),
        "no value left after a panicking scope"
    );
}

/// Entering a scope of a key inside `with` of that key panics (its storage is borrowed);
/// reading it again inside `with` is fine.
#[test]
fn a_scope_inside_with_of_the_same_key_panics() {
    NUMBER.sync_scope(1, || {
        assert_eq!(NUMBER.with(|a| NUMBER.with(|b| a + b)), 2);
        let message = catch_panic_message(|| NUMBER.with(|_| NUMBER.sync_scope(2, || ())));
        assert!(
            message.contains("borrowed"),
            "unexpected message: {message}"
        );
        assert_eq!(NUMBER.get(), 1);
    });
}

/// `get` clones the value of a `Clone` type; `with` lends it.
#[test]
fn get_clones_the_value() {
    let name = futures_lite::future::block_on(NAME.scope("evloop".to_string(), async {
        let first = NAME.get();
        futures_lite::future::yield_now().await;
        assert_eq!(NAME.with(|name| name.len()), 6);
        first + &NAME.get()
    }));
    assert_eq!(name, "evloopevloop");
}

/// `take_value` takes the value out before the future has run (its polls then see none) and
/// after it has completed; a second call returns `None`.
#[test]
fn take_value_before_and_after_completion() {
    futures_lite::future::block_on(async {
        let mut early = Box::pin(NUMBER.scope(5, async { NUMBER.try_get() }));
        assert_eq!(early.as_mut().take_value(), Some(5));
        assert_eq!(early.as_mut().take_value(), None);
        assert!(
            early.as_mut().await.is_err(),
            "a taken value is no longer set"
        );

        let mut late = Box::pin(NUMBER.scope(6, async { NUMBER.get() }));
        assert_eq!(late.as_mut().await, 6);
        assert_eq!(late.as_mut().take_value(), Some(6));
        assert_eq!(late.as_mut().take_value(), None);
    });
}

/// A panic while polling the scoped future (caught around the poll) leaves the thread-local
/// as it was: empty at the top level, the outer value inside an outer scope.
#[test]
fn a_panic_in_the_scoped_future_restores_the_thread_local() {
    let panicked = catch_unwind(|| {
        futures_lite::future::block_on(NUMBER.scope(1, async {
            futures_lite::future::yield_now().await;
            panic!("boom")
        }))
    });
    assert!(panicked.is_err());
    assert!(NUMBER.try_get().is_err(), "the value leaked after a panic");

    futures_lite::future::block_on(NUMBER.scope(2, async {
        let mut inner = Box::pin(NUMBER.scope(3, async { panic!("inner boom") }));
        let panicked = catch_unwind(AssertUnwindSafe(|| poll_once(inner.as_mut())));
        assert!(panicked.is_err());
        assert_eq!(
            NUMBER.get(),
            2,
            "the outer value is back after the inner panic"
        );
        drop(inner);
        assert_eq!(NUMBER.get(), 2);
    }));
    assert!(NUMBER.try_get().is_err());
}

/// The scoped future's drop runs with the value set: unpolled, pending, or completed (where
/// the inner future is dropped as it completes).
#[test]
fn dropping_the_scoped_future_sees_the_value() {
    let record = Arc::new(Mutex::new(Vec::new()));

    let guard = RecordOnDrop(record.clone());
    drop(NUMBER.scope(1, async move {
        let _guard = guard;
    }));

    let guard = RecordOnDrop(record.clone());
    let mut pending = Box::pin(NUMBER.scope(2, async move {
        let _guard = guard;
        std::future::pending::<()>().await
    }));
    assert!(poll_once(pending.as_mut()).is_pending());
    drop(pending);

    let guard = RecordOnDrop(record.clone());
    futures_lite::future::block_on(NUMBER.scope(3, async move {
        let _guard = guard;
        pending_once().await;
    }));

    // A value taken out is not there when the future drops.
    let guard = RecordOnDrop(record.clone());
    let mut taken = Box::pin(NUMBER.scope(4, async move {
        let _guard = guard;
    }));
    assert_eq!(taken.as_mut().take_value(), Some(4));
    drop(taken);

    let seen = record.lock().unwrap().clone();
    assert_eq!(seen[..3], [Ok(1), Ok(2), Ok(3)]);
    assert!(seen[3].is_err());
    assert_eq!(seen.len(), 4);
    assert!(NUMBER.try_get().is_err());
}

/// Without any runtime, under another executor: two scopes of one key polled in turn on one
/// thread (by `zip`) each see their own value.
#[test]
fn works_without_a_runtime() {
    let (a, b) = futures_lite::future::block_on(futures_lite::future::zip(
        NUMBER.scope(1, async {
            let mut sum = 0;
            for _ in 0..10 {
                sum += NUMBER.get();
                futures_lite::future::yield_now().await;
            }
            sum
        }),
        NUMBER.scope(2, async {
            let mut sum = 0;
            for _ in 0..10 {
                sum += NUMBER.get();
                yield_now().await;
            }
            sum
        }),
    ));
    assert_eq!((a, b), (10, 20));
    assert!(NUMBER.try_get().is_err());
}

/// Polling a completed `TaskLocalFuture` again panics, as tokio's does.
#[test]
fn polling_after_completion_panics() {
    let mut future = Box::pin(LAST.scope(1, async { LAST.get() }));
    assert_eq!(poll_once(future.as_mut()), Poll::Ready(1));
    let message = catch_panic_message(|| poll_once(future.as_mut()));
    assert!(
        message.contains("after completion"),
        "unexpected message: {message}"
    );
    assert!(LAST.try_get().is_err());
}

/// `Debug` of a key hides its storage; a scoped future shows its value.
#[test]
fn debug_output() {
    let key: &'static LocalKey<u32> = &NUMBER;
    assert_eq!(format!("{key:?}"), "LocalKey { .. }");
    let mut future: Pin<Box<TaskLocalFuture<u32, _>>> = Box::pin(NUMBER.scope(9, async {}));
    assert_eq!(format!("{future:?}"), "TaskLocalFuture { value: 9 }");
    future.as_mut().take_value();
    assert_eq!(
        format!("{future:?}"),
        "TaskLocalFuture { value: <missing> }"
    );
}

/// The scoped future is `Send` when its value and inner future are, so it can be spawned on
/// a multi-thread runtime; the key works with `!Send` values on one thread.
#[test]
fn send_follows_the_value_and_the_future() {
    fn assert_send<T: Send>(_: &T) {}
    let future = NUMBER.scope(1, async {});
    assert_send(&future);

    evloop::task_local! {
        static SHARED: std::rc::Rc<u32>;
    }
    let value = SHARED.sync_scope(std::rc::Rc::new(3), || *SHARED.get());
    assert_eq!(value, 3);
}

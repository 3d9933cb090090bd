//! `evloop::sync::SetOnce`: many concurrent waiters on both runtime flavors and on a four-worker
//! runtime, waiters dropped before the value is set, every waiter woken by one `set`, `set`
//! twice (and racing setters) handing the value back, `wait` on a value already there, drops
//! counted exactly, `const` constructors in statics, the trait impls and their `Send`/`Sync`
//! bounds, and use without a runtime.

use std::cell::Cell;
use std::error::Error;
use std::future::Future;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use evloop::sync::{SetOnce, SetOnceError};
use futures_lite::future::{block_on, poll_once};

#[macro_use]
mod util;

/// Counts how many times values made from it have been dropped.
#[derive(Debug)]
struct DropCounter(Arc<AtomicUsize>);

impl Drop for DropCounter {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// A waker that records whether it was woken.
#[derive(Default)]
struct Flag(AtomicBool);

impl Flag {
    fn take(&self) -> bool {
        self.0.swap(false, Ordering::SeqCst)
    }
}

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// Polls `future` once with the waker of `flag`.
fn poll_with<F: Future + Unpin>(future: &mut F, flag: &Arc<Flag>) -> Poll<F::Output> {
    let waker = Waker::from(flag.clone());
    Pin::new(future).poll(&mut Context::from_waker(&waker))
}

rt_tests! {
    async fn one_hundred_waiting_tasks_all_get_the_value() {
        let once = Arc::new(SetOnce::<String>::new());
        let waiting = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..100)
            .map(|_| {
                let (once, waiting) = (once.clone(), waiting.clone());
                evloop::spawn(async move {
                    let mut wait = pin!(once.wait());
                    if poll_once(wait.as_mut()).await.is_none() {
                        waiting.fetch_add(1, Ordering::SeqCst);
                    }
                    wait.await.clone()
                })
            })
            .collect();
        // Let the tasks start waiting (not required for correctness: a task that starts late
        // finds the value already there).
        while waiting.load(Ordering::SeqCst) < 100 {
            evloop::task::yield_now().await;
        }
        assert_eq!(once.get(), None);
        once.set(String::from("value")).unwrap();
        for task in tasks {
            assert_eq!(task.await.unwrap(), "value");
        }
    }

    async fn a_set_from_another_task_wakes_the_waiter() {
        let once = Arc::new(SetOnce::new());
        let setter = once.clone();
        let task = evloop::spawn(async move {
            evloop::task::yield_now().await;
            setter.set(7u32)
        });
        assert_eq!(*once.wait().await, 7);
        assert_eq!(task.await.unwrap(), Ok(()));
    }

    async fn waiters_dropped_before_the_set_do_not_disturb_the_others() {
        let once = SetOnce::new();
        let mut dropped: Vec<_> = (0..5).map(|_| Box::pin(once.wait())).collect();
        let mut kept: Vec<_> = (0..5).map(|_| Box::pin(once.wait())).collect();
        for wait in dropped.iter_mut().chain(kept.iter_mut()) {
            assert!(poll_once(wait.as_mut()).await.is_none());
        }
        drop(dropped);
        // Cancelled by a timeout, too.
        let timed_out = evloop::time::timeout(Duration::from_millis(1), once.wait()).await;
        assert!(timed_out.is_err());
        once.set(4u8).unwrap();
        for wait in kept {
            assert_eq!(*wait.await, 4);
        }
        assert_eq!(*once.wait().await, 4);
    }

    async fn wait_on_a_value_already_set_completes_at_once() {
        let once = SetOnce::from(3u8);
        assert_eq!(poll_once(pin!(once.wait())).await, Some(&3));
        let once = SetOnce::new();
        once.set(5u8).unwrap();
        assert_eq!(poll_once(pin!(once.wait())).await, Some(&5));
    }

    async fn set_twice_hands_the_second_value_back() {
        let once = SetOnce::new();
        assert_eq!(once.set(String::from("first")), Ok(()));
        let err = once.set(String::from("second")).unwrap_err();
        assert_eq!(err, SetOnceError(String::from("second")));
        assert_eq!(err.into_inner(), "second");
        assert_eq!(*once.wait().await, "first");
        assert_eq!(once.into_inner().as_deref(), Some("first"));
    }
}

#[test]
fn a_thousand_waiters_on_a_four_worker_runtime() {
    util::with_watchdog(|| {
        let rt = util::Flavor::MultiThread(4).build();
        rt.block_on(async {
            for round in 0..5u64 {
                let once = Arc::new(SetOnce::new());
                let tasks: Vec<_> = (0..1_000)
                    .map(|_| {
                        let once = once.clone();
                        evloop::spawn(async move { *once.wait().await })
                    })
                    .collect();
                // The value is set from a task too, racing the waiters as they start.
                let setter = once.clone();
                evloop::spawn(async move { setter.set(round).unwrap() })
                    .await
                    .unwrap();
                for task in tasks {
                    assert_eq!(task.await.unwrap(), round);
                }
            }
        });
    });
}

#[test]
fn one_set_wakes_every_waiter() {
    let once = SetOnce::new();
    let flags: Vec<Arc<Flag>> = (0..4).map(|_| Arc::new(Flag::default())).collect();
    let mut waits: Vec<_> = (0..4).map(|_| Box::pin(once.wait())).collect();
    for (wait, flag) in waits.iter_mut().zip(&flags) {
        assert!(poll_with(wait, flag).is_pending());
        assert!(!flag.take());
    }
    once.set(9).unwrap();
    for (wait, flag) in waits.iter_mut().zip(&flags) {
        assert!(flag.take(), "a waiter was not woken");
        assert_eq!(poll_with(wait, flag), Poll::Ready(&9));
    }
}

#[test]
fn a_waiter_polled_again_with_a_new_waker_is_woken_through_it() {
    let once = SetOnce::new();
    let (first, second) = (Arc::new(Flag::default()), Arc::new(Flag::default()));
    let mut wait = Box::pin(once.wait());
    assert!(poll_with(&mut wait, &first).is_pending());
    assert!(poll_with(&mut wait, &second).is_pending());
    once.set(1).unwrap();
    assert!(second.take(), "the latest waker must be woken");
    assert_eq!(poll_with(&mut wait, &second), Poll::Ready(&1));
}

#[test]
fn racing_setters_one_wins_and_the_losers_see_its_value() {
    for _ in 0..50 {
        let once = Arc::new(SetOnce::new());
        let barrier = Arc::new(Barrier::new(8));
        let threads: Vec<_> = (0..8u32)
            .map(|i| {
                let (once, barrier) = (once.clone(), barrier.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    match once.set(i) {
                        Ok(()) => Some(i),
                        Err(SetOnceError(back)) => {
                            assert_eq!(back, i, "the error hands back the caller's value");
                            assert!(once.get().is_some(), "a loser must see the value");
                            None
                        }
                    }
                })
            })
            .collect();
        let winners: Vec<u32> = threads
            .into_iter()
            .filter_map(|t| t.join().unwrap())
            .collect();
        assert_eq!(winners.len(), 1, "exactly one set succeeds");
        assert_eq!(once.get(), Some(&winners[0]));
    }
}

#[test]
fn waiting_threads_on_a_foreign_executor() {
    let once = Arc::new(SetOnce::new());
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let once = once.clone();
            std::thread::spawn(move || block_on(async { *once.wait().await }))
        })
        .collect();
    let executor = async_executor::Executor::new();
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let once = once.clone();
            executor.spawn(async move { *once.wait().await })
        })
        .collect();
    let setter = once.clone();
    std::thread::spawn(move || setter.set(11u8).unwrap());
    block_on(executor.run(async {
        for task in tasks {
            assert_eq!(task.await, 11);
        }
    }));
    for thread in threads {
        assert_eq!(thread.join().unwrap(), 11);
    }
}

#[test]
fn the_value_is_dropped_exactly_once() {
    let drops = Arc::new(AtomicUsize::new(0));
    let counter = || DropCounter(drops.clone());

    // Dropped with the `SetOnce`.
    let once = SetOnce::new();
    once.set(counter()).unwrap();
    assert_eq!(drops.load(Ordering::SeqCst), 0);
    drop(once);
    assert_eq!(drops.load(Ordering::SeqCst), 1);

    // A rejected value comes back in the error, not dropped by the `SetOnce`.
    let once = SetOnce::from(counter());
    let rejected = once.set(counter()).unwrap_err();
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    drop(rejected);
    assert_eq!(drops.load(Ordering::SeqCst), 2);

    // `into_inner` moves the value out: the `SetOnce` does not drop it again.
    let value = once.into_inner().unwrap();
    assert_eq!(drops.load(Ordering::SeqCst), 2);
    drop(value);
    assert_eq!(drops.load(Ordering::SeqCst), 3);

    // Empty ones drop nothing.
    drop(SetOnce::<DropCounter>::new());
    drop(SetOnce::<DropCounter>::new_with(None));
    assert_eq!(SetOnce::<DropCounter>::new().into_inner().map(|_| ()), None);
    assert_eq!(drops.load(Ordering::SeqCst), 3);

    // Filled by `new_with`, with waiters that were dropped before the value came.
    let once = SetOnce::new();
    {
        let mut wait = pin!(once.wait());
        assert!(block_on(poll_once(wait.as_mut())).is_none());
    }
    once.set(counter()).unwrap();
    let full = SetOnce::new_with(Some(counter()));
    drop((once, full));
    assert_eq!(drops.load(Ordering::SeqCst), 5);
}

#[test]
fn const_constructors_work_in_statics() {
    static EMPTY: SetOnce<u32> = SetOnce::const_new();
    static FULL: SetOnce<&str> = SetOnce::const_new_with("full");
    assert!(!EMPTY.initialized());
    assert!(FULL.initialized());
    assert_eq!(FULL.set("again"), Err(SetOnceError("again")));
    let waiter = std::thread::spawn(|| block_on(EMPTY.wait()));
    EMPTY.set(12).unwrap();
    assert_eq!(waiter.join().unwrap(), &12);
    assert_eq!(block_on(FULL.wait()), &"full");
}

#[test]
fn trait_impls_follow_the_value() {
    let empty = SetOnce::<u32>::default();
    assert_eq!(format!("{empty:?}"), "SetOnce { value: None }");
    let full = SetOnce::from(1u32);
    assert_eq!(format!("{full:?}"), "SetOnce { value: Some(1) }");
    assert_eq!(full.clone().get(), Some(&1));
    assert_eq!(empty.clone().get(), None);
    assert_eq!(full, SetOnce::new_with(Some(1)));
    assert_ne!(full, SetOnce::from(2));
    assert_ne!(full, empty);
    assert_eq!(empty, SetOnce::new());
    // A clone is independent: setting it leaves the original empty.
    let clone = empty.clone();
    clone.set(3).unwrap();
    assert_eq!(empty.get(), None);

    let err = full.set(5).unwrap_err();
    assert_eq!(err.to_string(), "SetOnceError");
    assert_eq!(format!("{err:?}"), "SetOnceError(5)");
    let boxed: Box<dyn Error + Send + Sync> = Box::new(err);
    assert!(boxed.source().is_none());
    fn assert_eq_impl<T: Eq>() {}
    assert_eq_impl::<SetOnce<u32>>();
    assert_eq_impl::<SetOnceError<u32>>();
}

#[test]
fn send_and_sync_follow_the_value() {
    fn assert_send<T: Send>() {}
    fn assert_sync<T: Sync>() {}
    assert_send::<SetOnce<u32>>();
    assert_sync::<SetOnce<u32>>();
    assert_send::<SetOnce<Cell<u32>>>();
    // The `wait` future can move between threads.
    let once = SetOnce::<u32>::new();
    fn assert_send_value<T: Send>(_: &T) {}
    assert_send_value(&once.wait());

    trait AmbiguousIfSync<A> {
        fn some_item() {}
    }
    impl<T: ?Sized> AmbiguousIfSync<()> for T {}
    impl<T: ?Sized + Sync> AmbiguousIfSync<u8> for T {}
    trait AmbiguousIfSend<A> {
        fn some_item() {}
    }
    impl<T: ?Sized> AmbiguousIfSend<()> for T {}
    impl<T: ?Sized + Send> AmbiguousIfSend<u8> for T {}

    // `T: Send` without `T: Sync` does not make it `Sync`.
    <SetOnce<Cell<u32>> as AmbiguousIfSync<_>>::some_item();
    // `T: Sync` without `T: Send` makes it neither.
    type SyncNotSend = std::sync::MutexGuard<'static, u32>;
    <SetOnce<SyncNotSend> as AmbiguousIfSync<_>>::some_item();
    <SetOnce<SyncNotSend> as AmbiguousIfSend<_>>::some_item();
    <SetOnce<std::rc::Rc<u32>> as AmbiguousIfSend<_>>::some_item();
}

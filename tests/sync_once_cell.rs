//! `evloop::sync::OnceCell`: one initializer among many callers on both runtime flavors,
//! hand-over after a cancelled, failed or panicking initializer (in FIFO order), `set` and its
//! errors, `const` constructors in statics, drops counted exactly, the trait impls and their
//! `Send`/`Sync` bounds, and use without a runtime.

use std::cell::Cell;
use std::error::Error;
use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use evloop::sync::{oneshot, OnceCell, SetError};
use futures_lite::future::{block_on, pending, poll_once};

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

fn drop_counter() -> (Arc<AtomicUsize>, impl Fn() -> DropCounter) {
    let drops = Arc::new(AtomicUsize::new(0));
    let make = {
        let drops = drops.clone();
        move || DropCounter(drops.clone())
    };
    (drops, make)
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
    std::pin::Pin::new(future).poll(&mut Context::from_waker(&waker))
}

rt_tests! {
    async fn get_or_init_runs_the_initializer_once_for_100_callers() {
        let cell = Arc::new(OnceCell::new());
        let calls = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for i in 0..100 {
            let (cell, calls) = (cell.clone(), calls.clone());
            tasks.push(evloop::spawn(async move {
                *cell
                    .get_or_init(|| async move {
                        calls.fetch_add(1, Ordering::SeqCst);
                        // Stay in the initializer for a while, so that others queue up.
                        for _ in 0..10 {
                            evloop::task::yield_now().await;
                        }
                        i
                    })
                    .await
            }));
        }
        let mut values = Vec::new();
        for task in tasks {
            values.push(task.await.unwrap());
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        let winner = *cell.get().unwrap();
        assert!(values.iter().all(|&v| v == winner));
    }

    async fn a_timed_out_initializer_lets_the_next_caller_initialize() {
        let cell = OnceCell::new();
        let attempt = evloop::time::timeout(
            Duration::from_millis(5),
            cell.get_or_init(pending::<u32>),
        )
        .await;
        assert!(attempt.is_err());
        assert!(!cell.initialized());
        assert_eq!(*cell.get_or_init(|| async { 2 }).await, 2);
    }

    async fn a_panicking_initializer_lets_a_waiter_initialize() {
        let cell = Arc::new(OnceCell::new());
        let (started_tx, started_rx) = oneshot::channel();
        let (go_tx, go_rx) = oneshot::channel::<()>();
        let first = {
            let cell = cell.clone();
            evloop::spawn(async move {
                cell.get_or_init(|| async move {
                    started_tx.send(()).unwrap();
                    go_rx.await.unwrap();
                    panic!("the initializer panics");
                })
                .await;
            })
        };
        started_rx.await.unwrap();
        let second = {
            let cell = cell.clone();
            evloop::spawn(async move { *cell.get_or_init(|| async { 7 }).await })
        };
        evloop::task::yield_now().await;
        go_tx.send(()).unwrap();
        assert!(first.await.unwrap_err().is_panic());
        assert_eq!(second.await.unwrap(), 7);
        assert_eq!(cell.get(), Some(&7));
    }

    async fn get_or_try_init_with_an_error_leaves_the_cell_empty() {
        let cell = OnceCell::new();
        let failed = cell.get_or_try_init(|| async { Err::<u32, _>("not yet") }).await;
        assert_eq!(failed, Err("not yet"));
        assert!(!cell.initialized());
        assert_eq!(cell.get(), None);

        let value = cell.get_or_try_init(|| async { Ok::<_, &str>(3) }).await;
        assert_eq!(value, Ok(&3));
        // A full cell does not call the initializer at all.
        let again = cell
            .get_or_try_init(|| async { Err::<u32, _>("never called") })
            .await;
        assert_eq!(again, Ok(&3));
    }

    async fn set_while_another_task_initializes_is_an_initializing_error() {
        let cell = Arc::new(OnceCell::new());
        let (started_tx, started_rx) = oneshot::channel();
        let (go_tx, go_rx) = oneshot::channel::<()>();
        let initializer = {
            let cell = cell.clone();
            evloop::spawn(async move {
                *cell
                    .get_or_init(|| async move {
                        started_tx.send(()).unwrap();
                        go_rx.await.unwrap();
                        1
                    })
                    .await
            })
        };
        started_rx.await.unwrap();
        let err = cell.set(2).unwrap_err();
        assert!(err.is_initializing_err());
        assert!(!err.is_already_init_err());
        assert_eq!(err, SetError::InitializingError(2));
        assert_eq!(err.to_string(), "InitializingError");

        go_tx.send(()).unwrap();
        assert_eq!(initializer.await.unwrap(), 1);
        assert_eq!(cell.set(3), Err(SetError::AlreadyInitializedError(3)));
        assert_eq!(cell.get(), Some(&1));
    }

    async fn waiters_get_the_value_the_initializer_set() {
        let cell = Arc::new(OnceCell::new());
        let (go_tx, go_rx) = oneshot::channel::<()>();
        let (started_tx, started_rx) = oneshot::channel();
        let initializer = {
            let cell = cell.clone();
            evloop::spawn(async move {
                cell.get_or_init(|| async move {
                    started_tx.send(()).unwrap();
                    go_rx.await.unwrap();
                    String::from("set by the first")
                })
                .await
                .clone()
            })
        };
        started_rx.await.unwrap();
        let calls = Arc::new(AtomicUsize::new(0));
        let waiters: Vec<_> = (0..10)
            .map(|_| {
                let (cell, calls) = (cell.clone(), calls.clone());
                evloop::spawn(async move {
                    cell.get_or_init(|| async move {
                        calls.fetch_add(1, Ordering::SeqCst);
                        String::from("set by a waiter")
                    })
                    .await
                    .clone()
                })
            })
            .collect();
        evloop::task::yield_now().await;
        go_tx.send(()).unwrap();
        assert_eq!(initializer.await.unwrap(), "set by the first");
        for waiter in waiters {
            assert_eq!(waiter.await.unwrap(), "set by the first");
        }
        assert_eq!(calls.load(Ordering::SeqCst), 0);
    }
}

#[test]
fn one_initializer_on_a_runtime_built_by_hand() {
    static CELL: OnceCell<usize> = OnceCell::const_new();
    static CALLS: AtomicUsize = AtomicUsize::new(0);
    let runtime = evloop::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let values = runtime.block_on(async {
        let tasks: Vec<_> = (0..100)
            .map(|i| {
                evloop::spawn(async move {
                    *CELL
                        .get_or_init(|| async move {
                            CALLS.fetch_add(1, Ordering::SeqCst);
                            evloop::task::yield_now().await;
                            i
                        })
                        .await
                })
            })
            .collect();
        let mut values = Vec::new();
        for task in tasks {
            values.push(task.await.unwrap());
        }
        values
    });
    assert_eq!(CALLS.load(Ordering::SeqCst), 1);
    assert!(values.iter().all(|v| Some(v) == CELL.get()));
}

#[test]
fn a_dropped_initializer_hands_over_to_the_next_waiter() {
    let cell = OnceCell::new();
    let (first_flag, second_flag) = (Arc::new(Flag::default()), Arc::new(Flag::default()));

    let mut first = Box::pin(cell.get_or_init(pending::<u32>));
    assert!(poll_with(&mut first, &first_flag).is_pending());
    let mut second = Box::pin(cell.get_or_init(|| async { 2 }));
    assert!(poll_with(&mut second, &second_flag).is_pending());
    assert_eq!(cell.set(9), Err(SetError::InitializingError(9)));

    // Cancel the running initializer: the waiter is woken and runs its own.
    drop(first);
    assert!(second_flag.take(), "the waiter was not woken");
    assert_eq!(poll_with(&mut second, &second_flag), Poll::Ready(&2));
    assert_eq!(cell.get(), Some(&2));
}

#[test]
fn a_cancelled_initializer_leaves_the_cell_empty() {
    let cell = OnceCell::new();
    {
        let mut init = pin!(cell.get_or_init(pending::<u32>));
        assert!(block_on(poll_once(&mut init)).is_none());
        assert!(!cell.initialized());
    }
    assert!(!cell.initialized());
    assert_eq!(cell.set(4), Ok(()));
    assert_eq!(block_on(cell.get_or_init(|| async { 5 })), &4);
}

#[test]
fn failed_initializers_hand_over_in_fifo_order() {
    let cell = OnceCell::new();
    let order = Arc::new(Mutex::new(Vec::new()));
    let attempt = |name: &'static str, result: Result<u32, &'static str>| {
        let order = order.clone();
        move || async move {
            order.lock().unwrap().push(name);
            result
        }
    };
    let flags: Vec<Arc<Flag>> = (0..3).map(|_| Arc::new(Flag::default())).collect();

    let (fail_a, a_fails) = oneshot::channel::<()>();
    let mut a = Box::pin(cell.get_or_try_init(|| async move {
        a_fails.await.unwrap();
        Err::<u32, _>("a failed")
    }));
    let mut b = Box::pin(cell.get_or_try_init(attempt("b", Err("b failed"))));
    let mut c = Box::pin(cell.get_or_try_init(attempt("c", Ok(3))));
    assert!(poll_with(&mut a, &flags[0]).is_pending());
    assert!(poll_with(&mut b, &flags[1]).is_pending());
    assert!(poll_with(&mut c, &flags[2]).is_pending());

    fail_a.send(()).unwrap();
    assert!(flags[0].take());
    assert_eq!(poll_with(&mut a, &flags[0]), Poll::Ready(Err("a failed")));
    // `b` queued first, so it has the turn: `c` keeps waiting and nothing has run yet.
    assert!(flags[1].take());
    assert!(!flags[2].take());
    assert!(poll_with(&mut c, &flags[2]).is_pending());
    assert!(order.lock().unwrap().is_empty());

    assert_eq!(poll_with(&mut b, &flags[1]), Poll::Ready(Err("b failed")));
    assert!(flags[2].take());
    assert_eq!(poll_with(&mut c, &flags[2]), Poll::Ready(Ok(&3)));
    assert_eq!(*order.lock().unwrap(), ["b", "c"]);
    assert_eq!(cell.get(), Some(&3));
}

#[test]
fn waiters_are_all_woken_when_the_value_is_set() {
    let cell = OnceCell::new();
    let (release, released) = oneshot::channel::<()>();
    let flags: Vec<Arc<Flag>> = (0..4).map(|_| Arc::new(Flag::default())).collect();
    let mut first = Box::pin(cell.get_or_init(|| async move {
        released.await.unwrap();
        10
    }));
    assert!(poll_with(&mut first, &flags[0]).is_pending());
    let mut waiters: Vec<_> = (0..3)
        .map(|i| Box::pin(cell.get_or_init(move || async move { i })))
        .collect();
    for (waiter, flag) in waiters.iter_mut().zip(&flags[1..]) {
        assert!(poll_with(waiter, flag).is_pending());
    }
    release.send(()).unwrap();
    assert_eq!(poll_with(&mut first, &flags[0]), Poll::Ready(&10));
    for (waiter, flag) in waiters.iter_mut().zip(&flags[1..]) {
        assert!(flag.take(), "a waiter was not woken");
        assert_eq!(poll_with(waiter, flag), Poll::Ready(&10));
    }
}

#[test]
fn set_on_a_full_cell_hands_the_value_back() {
    let cell = OnceCell::new();
    assert_eq!(cell.set(String::from("first")), Ok(()));
    let err = cell.set(String::from("second")).unwrap_err();
    assert!(err.is_already_init_err());
    assert!(!err.is_initializing_err());
    assert_eq!(err.to_string(), "AlreadyInitializedError");
    assert_eq!(format!("{err:?}"), r#"AlreadyInitializedError("second")"#);
    match err {
        SetError::AlreadyInitializedError(value) => assert_eq!(value, "second"),
        SetError::InitializingError(_) => panic!("the cell was full"),
    }
    assert_eq!(cell.get().map(String::as_str), Some("first"));

    let boxed: Box<dyn Error + Send + Sync> = Box::new(cell.set(String::new()).unwrap_err());
    assert_eq!(boxed.to_string(), "AlreadyInitializedError");
}

#[test]
fn const_constructors_work_in_statics() {
    static EMPTY: OnceCell<String> = OnceCell::const_new();
    static FULL: OnceCell<u32> = OnceCell::const_new_with(1);

    assert!(!EMPTY.initialized());
    let threads: Vec<_> = (0..4)
        .map(|i| {
            std::thread::spawn(move || {
                block_on(EMPTY.get_or_init(|| async move { format!("thread {i}") })).clone()
            })
        })
        .collect();
    let values: Vec<String> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    assert!(values.iter().all(|v| Some(v) == EMPTY.get()));

    assert!(FULL.initialized());
    assert_eq!(FULL.get(), Some(&1));
    assert_eq!(block_on(FULL.get_or_init(|| async { 2 })), &1);
    assert_eq!(FULL.set(3), Err(SetError::AlreadyInitializedError(3)));
}

#[test]
fn take_into_inner_and_drop_drop_the_value_exactly_once() {
    let (drops, make) = drop_counter();

    // Dropping a full cell drops its value; dropping an empty one drops nothing.
    drop(OnceCell::new_with(Some(make())));
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    drop(OnceCell::<DropCounter>::new());
    assert_eq!(drops.load(Ordering::SeqCst), 1);

    // `into_inner` moves the value out; the cell's destructor leaves it alone.
    let cell = OnceCell::new();
    cell.set(make()).unwrap();
    let value = cell.into_inner().unwrap();
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    drop(value);
    assert_eq!(drops.load(Ordering::SeqCst), 2);

    // `take` empties the cell, which can then be filled and dropped again.
    let mut cell = OnceCell::from(make());
    let value = cell.take().unwrap();
    assert!(cell.take().is_none());
    assert!(!cell.initialized());
    assert_eq!(drops.load(Ordering::SeqCst), 2);
    drop(value);
    assert_eq!(drops.load(Ordering::SeqCst), 3);
    block_on(cell.get_or_init(|| async { make() }));
    drop(cell);
    assert_eq!(drops.load(Ordering::SeqCst), 4);

    // A value refused by `set` comes back to the caller, who drops it.
    let cell = OnceCell::new_with(Some(make()));
    drop(cell.set(make()).unwrap_err());
    assert_eq!(drops.load(Ordering::SeqCst), 5);
    drop(cell);
    assert_eq!(drops.load(Ordering::SeqCst), 6);

    // A value in a `const_new_with` cell is dropped with it.
    drop(OnceCell::const_new_with(make()));
    assert_eq!(drops.load(Ordering::SeqCst), 7);
}

#[test]
fn works_under_a_foreign_executor() {
    // `futures_lite::future::block_on` on plain threads: no evloop runtime anywhere.
    let cell = Arc::new(OnceCell::new());
    let calls = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..8)
        .map(|i| {
            let (cell, calls) = (cell.clone(), calls.clone());
            std::thread::spawn(move || {
                block_on(async {
                    *cell
                        .get_or_init(|| async {
                            calls.fetch_add(1, Ordering::SeqCst);
                            for _ in 0..10 {
                                futures_lite::future::yield_now().await;
                            }
                            i
                        })
                        .await
                })
            })
        })
        .collect();
    let values: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert!(values.iter().all(|v| Some(v) == cell.get()));

    let other = OnceCell::new();
    assert_eq!(
        block_on(other.get_or_try_init(|| async { Err::<u8, _>(()) })),
        Err(())
    );
    assert_eq!(
        block_on(other.get_or_try_init(|| async { Ok::<_, ()>(1) })),
        Ok(&1)
    );
}

#[test]
fn get_mut_changes_the_value_in_place() {
    let mut cell = OnceCell::new();
    assert_eq!(cell.get_mut(), None);
    cell.set(vec![1]).unwrap();
    cell.get_mut().unwrap().push(2);
    assert_eq!(cell.get(), Some(&vec![1, 2]));
}

#[test]
fn trait_impls_follow_the_value() {
    let empty = OnceCell::<u32>::default();
    assert!(!empty.initialized());
    assert_eq!(format!("{empty:?}"), "OnceCell { value: None }");

    let full = OnceCell::from(1);
    assert_eq!(format!("{full:?}"), "OnceCell { value: Some(1) }");

    assert_eq!(full.clone(), full);
    assert_eq!(full.clone().get(), Some(&1));
    assert_eq!(empty.clone(), empty);
    assert_ne!(full, empty);
    assert_ne!(full, OnceCell::new_with(Some(2)));
    assert_eq!(OnceCell::new_with(None::<u32>), empty);

    // A clone is a cell of its own.
    let clone = empty.clone();
    clone.set(5).unwrap();
    assert_eq!(empty.get(), None);

    fn assert_eq_impl<T: Eq>() {}
    assert_eq_impl::<OnceCell<u32>>();
}

#[test]
fn send_and_sync_follow_the_value() {
    fn assert_send<T: Send>() {}
    fn assert_sync<T: Sync>() {}
    assert_send::<OnceCell<u32>>();
    assert_sync::<OnceCell<u32>>();
    // `Send` but not `Sync` values: the cell is `Send` only.
    assert_send::<OnceCell<Cell<u32>>>();
    // Futures that hold a reference to the cell can move between threads.
    let cell = OnceCell::<u32>::new();
    fn assert_send_value<T: Send>(_: &T) {}
    assert_send_value(&cell.get_or_init(|| async { 1 }));
    assert_send_value(&cell.get_or_try_init(|| async { Ok::<_, ()>(1) }));

    // Compile-time checks that an impl is missing: naming `some_item` is ambiguous (and fails
    // to compile) when `T` has the trait, as both blanket impls then apply.
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

    // `T: Send` without `T: Sync` does not make the cell `Sync`.
    <OnceCell<Cell<u32>> as AmbiguousIfSync<_>>::some_item();
    // `T: Sync` without `T: Send` makes the cell neither.
    type SyncNotSend = std::sync::MutexGuard<'static, u32>;
    <OnceCell<SyncNotSend> as AmbiguousIfSync<_>>::some_item();
    <OnceCell<SyncNotSend> as AmbiguousIfSend<_>>::some_item();
    // `T: !Send` makes the cell `!Send`.
    <OnceCell<std::rc::Rc<u32>> as AmbiguousIfSend<_>>::some_item();
}

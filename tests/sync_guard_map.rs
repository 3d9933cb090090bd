//! Mapped guards of `evloop::sync::Mutex` and `RwLock`: a mapped guard keeps the lock held
//! until it is dropped and releases it exactly once, a failed `try_map` hands back a guard that
//! still holds the lock, `downgrade_map` lets readers in but not writers, owned mapped guards
//! move across tasks and keep the lock alive, a panicking mapping function unlocks, unsized
//! targets, the `Debug`/`Display` impls and the `Send`/`Sync` bounds.

use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use evloop::sync::{
    oneshot, MappedMutexGuard, Mutex, MutexGuard, OwnedMappedMutexGuard, OwnedMutexGuard,
    OwnedRwLockMappedWriteGuard, OwnedRwLockReadGuard, OwnedRwLockWriteGuard, RwLock,
    RwLockMappedWriteGuard, RwLockReadGuard, RwLockWriteGuard,
};
use futures_lite::future::{block_on, poll_once};

#[macro_use]
mod util;

#[derive(Debug, Default, PartialEq)]
struct Pair {
    name: String,
    count: u32,
}

/// How many readers can get into `lock` right now, up to `limit` (taken and released).
fn free_reads<T>(lock: &RwLock<T>, limit: usize) -> usize {
    let mut guards = Vec::new();
    while guards.len() < limit {
        match lock.try_read() {
            Ok(guard) => guards.push(guard),
            Err(_) => break,
        }
    }
    guards.len()
}

rt_tests! {
    async fn a_mapped_mutex_guard_holds_the_lock_until_dropped() {
        let mutex = Mutex::new(Pair { name: "abc".into(), count: 0 });
        let mut count = MutexGuard::map(mutex.lock().await, |pair| &mut pair.count);
        *count += 5;
        assert!(mutex.try_lock().is_err(), "the mapped guard must hold the lock");
        drop(count);
        let name = MutexGuard::map(mutex.lock().await, |pair| &mut pair.name);
        let mut text: MappedMutexGuard<'_, str> = MappedMutexGuard::map(name, |s| s.as_mut_str());
        text.make_ascii_uppercase();
        assert!(mutex.try_lock().is_err(), "a guard mapped twice must hold the lock");
        drop(text);
        let pair = mutex.try_lock().expect("dropping the mapped guard must unlock");
        assert_eq!(*pair, Pair { name: "ABC".into(), count: 5 });
        drop(pair);
        // Released exactly once: one lock at a time, as before.
        let guard = mutex.try_lock().unwrap();
        assert!(mutex.try_lock().is_err());
        drop(guard);
    }

    async fn a_failed_mutex_try_map_returns_the_guard_still_locked() {
        let mutex = Mutex::new(vec![1, 2, 3]);
        let guard = mutex.lock().await;
        let mut guard = MutexGuard::try_map(guard, |v| v.get_mut(10)).unwrap_err();
        assert!(mutex.try_lock().is_err(), "the returned guard must still hold the lock");
        guard.push(4);
        let mapped = MutexGuard::try_map(guard, |v| v.last_mut()).unwrap();
        let mapped = MappedMutexGuard::try_map(mapped, |_| None::<&mut u8>).unwrap_err();
        assert!(mutex.try_lock().is_err());
        assert_eq!(*mapped, 4);
        drop(mapped);
        assert_eq!(*mutex.try_lock().unwrap(), [1, 2, 3, 4]);
    }

    async fn a_waiter_behind_a_mapped_guard_gets_the_lock_when_it_drops() {
        let mutex = Mutex::new(0);
        let mut mapped = MutexGuard::map(mutex.lock().await, |n| n);
        let mut waiter = pin!(mutex.lock());
        assert!(poll_once(waiter.as_mut()).await.is_none());
        *mapped = 1;
        drop(mapped);
        let mut guard = waiter.await;
        *guard += 1;
        drop(guard);
        assert_eq!(*mutex.try_lock().unwrap(), 2);
    }

    async fn owned_mapped_mutex_guards_move_across_tasks() {
        let mutex = Arc::new(Mutex::new(Pair::default()));
        let guard = mutex.clone().lock_owned().await;
        let count: OwnedMappedMutexGuard<Pair, u32> =
            OwnedMutexGuard::map(guard, |pair| &mut pair.count);
        let (go, wait) = oneshot::channel::<()>();
        let task = evloop::spawn(async move {
            let mut count = count;
            wait.await.unwrap();
            *count += 1;
            let mut count = OwnedMappedMutexGuard::map(count, |n| n);
            *count += 1;
        });
        // The task holds the lock through the mapped guard.
        assert!(mutex.try_lock().is_err());
        go.send(()).unwrap();
        let pair = mutex.lock().await;
        assert_eq!(pair.count, 2);
        drop(pair);
        task.await.unwrap();
        assert_eq!(Arc::strong_count(&mutex), 1, "the mapped guard let go of the mutex");
    }

    async fn a_failed_owned_mutex_try_map_returns_the_guard_still_locked() {
        let mutex = Arc::new(Mutex::new(None::<u32>));
        let guard = mutex.clone().lock_owned().await;
        let mut guard = OwnedMutexGuard::try_map(guard, Option::as_mut).unwrap_err();
        assert!(mutex.try_lock().is_err());
        *guard = Some(8);
        let value = OwnedMutexGuard::try_map(guard, Option::as_mut).unwrap();
        let value = OwnedMappedMutexGuard::try_map(value, |_| None::<&mut u8>).unwrap_err();
        assert!(mutex.try_lock().is_err());
        assert_eq!(*value, 8);
        drop(value);
        assert_eq!(*mutex.try_lock().unwrap(), Some(8));
    }

    async fn a_mapped_read_guard_keeps_writers_out_but_lets_readers_in() {
        let lock = RwLock::with_max_readers(Pair { name: "n".into(), count: 1 }, 3);
        let count: RwLockReadGuard<'_, u32> = RwLockReadGuard::map(lock.read().await, |p| &p.count);
        assert_eq!(*count, 1);
        assert!(lock.try_write().is_err(), "the mapped read guard must keep writers out");
        assert_eq!(free_reads(&lock, 3), 2, "the mapped read guard holds one permit");
        let name = RwLockReadGuard::map(count, |_| "str");
        assert!(lock.try_write().is_err());
        assert_eq!(name.len(), 3);
        drop(name);
        assert!(lock.try_write().is_ok());
        assert_eq!(free_reads(&lock, 4), 3, "the permit was released exactly once");
    }

    async fn a_failed_read_try_map_returns_the_guard_still_reading() {
        let lock = RwLock::new(vec![1]);
        let guard = RwLockReadGuard::try_map(lock.read().await, |v| v.get(1)).unwrap_err();
        assert!(lock.try_write().is_err());
        assert_eq!(*guard, [1]);
        let first = RwLockReadGuard::try_map(guard, |v| v.first()).unwrap();
        assert!(lock.try_write().is_err());
        assert_eq!(*first, 1);
        drop(first);
        assert!(lock.try_write().is_ok());
    }

    async fn a_mapped_write_guard_keeps_everyone_out() {
        let lock = RwLock::with_max_readers(Pair::default(), 3);
        let mut name: RwLockMappedWriteGuard<'_, String> =
            RwLockWriteGuard::map(lock.write().await, |p| &mut p.name);
        name.push_str("mapped");
        assert!(lock.try_read().is_err(), "the mapped write guard must keep readers out");
        assert!(lock.try_write().is_err(), "the mapped write guard must keep writers out");
        let mut text = RwLockMappedWriteGuard::map(name, |s| s.as_mut_str());
        text.make_ascii_uppercase();
        assert!(lock.try_read().is_err());
        drop(text);
        assert_eq!(lock.try_read().unwrap().name, "MAPPED");
        assert_eq!(free_reads(&lock, 4), 3, "all permits came back, once");
    }

    async fn a_failed_write_try_map_returns_the_guard_still_exclusive() {
        let lock = RwLock::new(None::<u32>);
        let mut guard = RwLockWriteGuard::try_map(lock.write().await, Option::as_mut).unwrap_err();
        assert!(lock.try_read().is_err());
        *guard = Some(1);
        let all = RwLockWriteGuard::into_mapped(guard);
        let all = RwLockMappedWriteGuard::try_map(all, |_| None::<&mut u8>).unwrap_err();
        assert!(lock.try_read().is_err());
        let mut value = RwLockMappedWriteGuard::try_map(all, Option::as_mut).unwrap();
        *value += 1;
        assert!(lock.try_read().is_err());
        drop(value);
        assert_eq!(*lock.try_read().unwrap(), Some(2));
    }

    async fn downgrade_map_lets_readers_in_and_keeps_writers_out() {
        let lock = RwLock::with_max_readers((1, 2), 3);
        let mut writer = lock.write().await;
        writer.1 = 20;
        let second = RwLockWriteGuard::downgrade_map(writer, |pair| &pair.1);
        assert_eq!(*second, 20);
        assert!(lock.try_write().is_err());
        assert_eq!(free_reads(&lock, 3), 2, "the downgraded guard holds exactly one permit");
        drop(second);
        assert_eq!(free_reads(&lock, 4), 3);
        assert!(lock.try_write().is_ok());
    }

    async fn a_failed_try_downgrade_map_returns_the_writer_still_exclusive() {
        let lock = RwLock::with_max_readers(vec![0u8], 2);
        let writer = lock.write().await;
        let mut writer = RwLockWriteGuard::try_downgrade_map(writer, |v| v.get(4)).unwrap_err();
        assert!(lock.try_read().is_err(), "the returned writer must still be exclusive");
        writer.push(1);
        let last = RwLockWriteGuard::try_downgrade_map(writer, |v| v.last()).unwrap();
        assert_eq!(*last, 1);
        assert_eq!(free_reads(&lock, 2), 1);
        assert!(lock.try_write().is_err());
        drop(last);
        assert_eq!(free_reads(&lock, 3), 2);
    }

    async fn owned_mapped_rwlock_guards_move_across_tasks() {
        let lock = Arc::new(RwLock::with_max_readers(Pair::default(), 4));

        // A mapped write guard in another task.
        let writer = lock.clone().write_owned().await;
        assert!(Arc::ptr_eq(OwnedRwLockWriteGuard::rwlock(&writer), &lock));
        let count: OwnedRwLockMappedWriteGuard<Pair, u32> =
            OwnedRwLockWriteGuard::map(writer, |p| &mut p.count);
        assert!(Arc::ptr_eq(OwnedRwLockMappedWriteGuard::rwlock(&count), &lock));
        let (go, wait) = oneshot::channel::<()>();
        let task = evloop::spawn(async move {
            wait.await.unwrap();
            let mut count = OwnedRwLockMappedWriteGuard::map(count, |n| n);
            *count = 3;
        });
        assert!(lock.try_read().is_err());
        go.send(()).unwrap();
        task.await.unwrap();
        assert_eq!(lock.try_read().unwrap().count, 3);

        // A mapped read guard in another task.
        let reader = lock.clone().read_owned().await;
        let count: OwnedRwLockReadGuard<Pair, u32> = OwnedRwLockReadGuard::map(reader, |p| &p.count);
        assert!(Arc::ptr_eq(OwnedRwLockReadGuard::rwlock(&count), &lock));
        let (go, wait) = oneshot::channel::<()>();
        let task = evloop::spawn(async move {
            wait.await.unwrap();
            *count
        });
        assert!(lock.try_write().is_err());
        assert_eq!(free_reads(&lock, 4), 3);
        go.send(()).unwrap();
        assert_eq!(task.await.unwrap(), 3);

        // Downgraded and mapped, in another task.
        let writer = lock.clone().write_owned().await;
        let writer = OwnedRwLockWriteGuard::try_downgrade_map(writer, |_| None::<&u8>).unwrap_err();
        assert!(lock.try_read().is_err());
        let name = OwnedRwLockWriteGuard::downgrade_map(writer, |p| p.name.as_str());
        let name = OwnedRwLockReadGuard::try_map(name, |_| None::<&u8>).unwrap_err();
        assert!(lock.try_write().is_err());
        assert_eq!(free_reads(&lock, 4), 3);
        let task = evloop::spawn(async move { name.len() });
        assert_eq!(task.await.unwrap(), 0);

        // `try_map` and `into_mapped` on the owned write guard.
        let writer = lock.clone().write_owned().await;
        let writer = OwnedRwLockWriteGuard::try_map(writer, |_| None::<&mut u8>).unwrap_err();
        assert!(lock.try_read().is_err());
        let all = OwnedRwLockWriteGuard::into_mapped(writer);
        let all = OwnedRwLockMappedWriteGuard::try_map(all, |_| None::<&mut u8>).unwrap_err();
        assert!(lock.try_read().is_err());
        let mut name = OwnedRwLockMappedWriteGuard::try_map(all, |p| Some(&mut p.name)).unwrap();
        let task = evloop::spawn(async move { name.push_str("task") });
        task.await.unwrap();
        let writer = OwnedRwLockWriteGuard::try_map(lock.clone().write_owned().await, |p| {
            Some(&mut p.count)
        })
        .unwrap();
        assert!(lock.try_read().is_err());
        drop(writer);

        assert_eq!(*lock.read().await, Pair { name: "task".into(), count: 3 });
        assert_eq!(free_reads(&lock, 5), 4, "every permit came back exactly once");
        assert_eq!(Arc::strong_count(&lock), 1, "every owned guard let go of the lock");
    }
}

#[test]
fn a_panicking_mapping_function_unlocks() {
    let mutex = Mutex::new(0);
    let result = catch_unwind(AssertUnwindSafe(|| {
        MutexGuard::map(mutex.try_lock().unwrap(), |_| -> &mut u8 {
            panic!("mapping fails")
        })
    }));
    assert!(result.is_err());
    assert!(
        mutex.try_lock().is_ok(),
        "the guard must be dropped while unwinding"
    );

    let lock = RwLock::with_max_readers(0, 2);
    let result = catch_unwind(AssertUnwindSafe(|| {
        RwLockWriteGuard::map(lock.try_write().unwrap(), |_| -> &mut u8 {
            panic!("fails")
        })
    }));
    assert!(result.is_err());
    let result = catch_unwind(AssertUnwindSafe(|| {
        RwLockWriteGuard::downgrade_map(lock.try_write().unwrap(), |_| -> &u8 { panic!("fails") })
    }));
    assert!(result.is_err());
    let result = catch_unwind(AssertUnwindSafe(|| {
        RwLockReadGuard::map(lock.try_read().unwrap(), |_| -> &u8 { panic!("fails") })
    }));
    assert!(result.is_err());
    assert!(lock.try_write().is_ok());
    assert_eq!(free_reads(&lock, 3), 2);
}

#[test]
fn guards_map_to_unsized_targets() {
    let mutex = Mutex::new(String::from("abc"));
    let text: MappedMutexGuard<'_, str> =
        MutexGuard::map(mutex.try_lock().unwrap(), |s| s.as_mut_str());
    assert_eq!(&*text, "abc");
    drop(text);

    let lock = Arc::new(RwLock::new(vec![1, 2, 3]));
    let slice: RwLockReadGuard<'_, [i32]> =
        RwLockReadGuard::map(lock.try_read().unwrap(), |v| &v[1..]);
    assert_eq!(&*slice, [2, 3]);
    drop(slice);
    let mut slice: OwnedRwLockMappedWriteGuard<Vec<i32>, [i32]> =
        OwnedRwLockWriteGuard::map(lock.clone().try_write_owned().unwrap(), |v| &mut v[..2]);
    slice.reverse();
    drop(slice);
    assert_eq!(*lock.try_read().unwrap(), [2, 1, 3]);

    // The data itself may be unsized too.
    let boxed: Arc<Mutex<[u8]>> = Arc::new(Mutex::new([1u8, 2]));
    let mut last = OwnedMutexGuard::map(boxed.clone().try_lock_owned().unwrap(), |s| &mut s[1]);
    *last = 9;
    drop(last);
    assert_eq!(&*boxed.try_lock().unwrap(), [1, 9]);
}

#[test]
fn mapped_guards_format_their_target() {
    let mutex = Arc::new(Mutex::new((1, "one")));
    let guard = MutexGuard::map(mutex.try_lock().unwrap(), |p| &mut p.1);
    assert_eq!(format!("{guard:?} {guard}"), "\"one\" one");
    drop(guard);
    let guard = OwnedMutexGuard::map(mutex.clone().try_lock_owned().unwrap(), |p| &mut p.0);
    assert_eq!(format!("{guard:?} {guard}"), "1 1");
    drop(guard);

    let lock = Arc::new(RwLock::new((2, "two")));
    let guard = RwLockReadGuard::map(lock.try_read().unwrap(), |p| &p.1);
    assert_eq!(format!("{guard:?} {guard}"), "\"two\" two");
    drop(guard);
    let guard = RwLockWriteGuard::map(lock.try_write().unwrap(), |p| &mut p.0);
    assert_eq!(format!("{guard:?} {guard}"), "2 2");
    drop(guard);
    let guard = OwnedRwLockReadGuard::map(lock.clone().try_read_owned().unwrap(), |p| &p.0);
    assert_eq!(format!("{guard:?} {guard}"), "2 2");
    drop(guard);
    let guard = OwnedRwLockWriteGuard::map(lock.clone().try_write_owned().unwrap(), |p| &mut p.1);
    assert_eq!(format!("{guard:?} {guard}"), "\"two\" two");
}

#[test]
fn owned_mapped_guards_keep_the_data_alive() {
    struct Counted(Arc<AtomicUsize>, u32);
    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let drops = Arc::new(AtomicUsize::new(0));

    let mutex = Arc::new(Mutex::new(Counted(drops.clone(), 1)));
    let value = OwnedMutexGuard::map(mutex.clone().try_lock_owned().unwrap(), |c| &mut c.1);
    drop(mutex);
    assert_eq!(
        drops.load(Ordering::SeqCst),
        0,
        "the mapped guard keeps the mutex alive"
    );
    assert_eq!(*value, 1);
    drop(value);
    assert_eq!(
        drops.load(Ordering::SeqCst),
        1,
        "dropped once, with the last guard"
    );

    let lock = Arc::new(RwLock::new(Counted(drops.clone(), 2)));
    let read = OwnedRwLockReadGuard::map(lock.clone().try_read_owned().unwrap(), |c| &c.1);
    let write = lock.clone();
    drop(lock);
    assert!(write.try_write().is_err());
    drop(write);
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    assert_eq!(*read, 2);
    drop(read);
    assert_eq!(drops.load(Ordering::SeqCst), 2);

    let lock = Arc::new(RwLock::new(Counted(drops.clone(), 3)));
    let value = OwnedRwLockWriteGuard::map(lock.clone().try_write_owned().unwrap(), |c| &mut c.1);
    drop(lock);
    assert_eq!(*value, 3);
    drop(value);
    assert_eq!(drops.load(Ordering::SeqCst), 3);
}

#[test]
fn mapped_guards_under_contention_on_plain_threads() {
    let mutex = Arc::new(Mutex::new(Pair::default()));
    let lock = Arc::new(RwLock::new(Pair::default()));
    let inside = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let (mutex, lock, inside) = (mutex.clone(), lock.clone(), inside.clone());
            std::thread::spawn(move || {
                block_on(async {
                    for i in 0..500 {
                        let mut count = MutexGuard::map(mutex.lock().await, |p| &mut p.count);
                        assert_eq!(inside.fetch_add(1, Ordering::SeqCst), 0, "two holders");
                        *count += 1;
                        inside.fetch_sub(1, Ordering::SeqCst);
                        drop(count);
                        if (i + t) % 2 == 0 {
                            let mut count =
                                OwnedRwLockWriteGuard::map(lock.clone().write_owned().await, |p| {
                                    &mut p.count
                                });
                            *count += 1;
                        } else {
                            let count =
                                RwLockWriteGuard::downgrade_map(lock.write().await, |p| &p.count);
                            let _ = *count;
                        }
                    }
                })
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    assert_eq!(mutex.try_lock().unwrap().count, 2_000);
    assert_eq!(lock.try_read().unwrap().count, 1_000);
}

#[test]
fn send_and_sync_bounds_match_tokio() {
    fn assert_send<T: ?Sized + Send>() {}
    fn assert_sync<T: ?Sized + Sync>() {}
    assert_send::<MappedMutexGuard<'static, u32>>();
    assert_sync::<MappedMutexGuard<'static, u32>>();
    assert_send::<OwnedMappedMutexGuard<u32, str>>();
    assert_sync::<OwnedMappedMutexGuard<u32, str>>();
    assert_send::<RwLockReadGuard<'static, u32>>();
    assert_sync::<RwLockReadGuard<'static, u32>>();
    assert_send::<OwnedRwLockReadGuard<u32, str>>();
    assert_sync::<OwnedRwLockReadGuard<u32, str>>();
    assert_send::<RwLockMappedWriteGuard<'static, u32>>();
    assert_sync::<RwLockMappedWriteGuard<'static, u32>>();
    assert_send::<OwnedRwLockMappedWriteGuard<u32, str>>();
    assert_sync::<OwnedRwLockMappedWriteGuard<u32, str>>();
    // A mapped mutex guard follows its target alone: `Send` for a `Send` target, `Sync` for a
    // `Sync` one.
    assert_send::<MappedMutexGuard<'static, Cell<u32>>>();
    // A read guard is `Send` when its target is `Sync`.
    type SyncNotSend = std::sync::MutexGuard<'static, u32>;
    assert_send::<RwLockReadGuard<'static, SyncNotSend>>();

    // Compile-time checks that an impl is missing: naming `some_item` is ambiguous (and fails
    // to compile) when the type has the trait, as both blanket impls then apply.
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

    <MappedMutexGuard<'static, Cell<u32>> as AmbiguousIfSync<_>>::some_item();
    <MappedMutexGuard<'static, Rc<u32>> as AmbiguousIfSend<_>>::some_item();
    <OwnedMappedMutexGuard<Rc<u32>, u32> as AmbiguousIfSend<_>>::some_item();
    <OwnedMappedMutexGuard<u32, Rc<u32>> as AmbiguousIfSend<_>>::some_item();
    <OwnedMappedMutexGuard<u32, Cell<u32>> as AmbiguousIfSync<_>>::some_item();
    <RwLockReadGuard<'static, Cell<u32>> as AmbiguousIfSend<_>>::some_item();
    <RwLockReadGuard<'static, Cell<u32>> as AmbiguousIfSync<_>>::some_item();
    <OwnedRwLockReadGuard<Cell<u32>, u32> as AmbiguousIfSend<_>>::some_item();
    <OwnedRwLockReadGuard<u32, Cell<u32>> as AmbiguousIfSend<_>>::some_item();
    <RwLockMappedWriteGuard<'static, Cell<u32>> as AmbiguousIfSend<_>>::some_item();
    <RwLockMappedWriteGuard<'static, Cell<u32>> as AmbiguousIfSync<_>>::some_item();
    <OwnedRwLockMappedWriteGuard<u32, Cell<u32>> as AmbiguousIfSend<_>>::some_item();
    <OwnedRwLockMappedWriteGuard<Cell<u32>, u32> as AmbiguousIfSync<_>>::some_item();
}

//! `task::id()` and `task::try_id()`: the running task's ID, the same as its handle's.

#[macro_use]
mod util;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use evloop::task::{self, Id, JoinSet, LocalSet};

/// Records the current task's ID when dropped.
struct RecordOnDrop(Arc<Mutex<Option<Option<Id>>>>);

impl Drop for RecordOnDrop {
    fn drop(&mut self) {
        *self.0.lock().unwrap() = Some(task::try_id());
    }
}

rt_test! {
    /// Inside a task, `id()` is its handle's ID; 100 tasks at once see 100 different IDs.
    fn id_matches_the_join_handle(rt) {
        rt.block_on(async {
            let handles: Vec<_> = (0..100)
                .map(|_| {
                    evloop::spawn(async {
                        let before = task::id();
                        task::yield_now().await;
                        assert_eq!(task::id(), before, "the ID survives a yield");
                        before
                    })
                })
                .collect();
            let mut seen = HashSet::new();
            for handle in handles {
                let expected = handle.id();
                assert_eq!(handle.await.unwrap(), expected);
                assert!(seen.insert(expected), "two tasks shared an ID");
            }
        });
    }

    /// `block_on`'s own future is not a task, before or after a task ran on the same thread.
    fn try_id_is_none_outside_tasks(rt) {
        assert_eq!(task::try_id(), None);
        rt.block_on(async {
            assert_eq!(task::try_id(), None);
            let inner = evloop::spawn(async { task::try_id() });
            let expected = inner.id();
            assert_eq!(inner.await.unwrap(), Some(expected));
            assert_eq!(task::try_id(), None, "restored after the task's poll");
        });
        let panic = std::panic::catch_unwind(task::id).unwrap_err();
        let message = util::panic_message(&*panic).unwrap_or_default();
        assert!(message.contains("outside a task"), "{message}");
    }

    /// A closure on the blocking pool is a task with its own ID.
    fn spawn_blocking_has_an_id(rt) {
        rt.block_on(async {
            let handle = task::spawn_blocking(task::id);
            let expected = handle.id();
            assert_eq!(handle.await.unwrap(), expected);
        });
    }

    /// The ID is current while an aborted task's future is dropped.
    fn id_is_current_in_the_destructor_of_an_aborted_future(rt) {
        rt.block_on(async {
            let seen = Arc::new(Mutex::new(None));
            let mut set = JoinSet::new();
            let record = RecordOnDrop(seen.clone());
            let handle = set.spawn(async move {
                let _record = record;
                std::future::pending::<()>().await
            });
            task::yield_now().await;
            handle.abort();
            assert!(set.join_next().await.unwrap().unwrap_err().is_cancelled());
            assert_eq!(*seen.lock().unwrap(), Some(Some(handle.id())));
        });
    }
}

/// Tasks of a `LocalSet` have IDs too, current while they run.
#[test]
fn local_tasks_have_ids() {
    util::with_watchdog(|| {
        let rt = evloop::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        LocalSet::new().block_on(&rt, async {
            let handle = task::spawn_local(async {
                let rc = std::rc::Rc::new(task::id());
                task::yield_now().await;
                *rc
            });
            let expected = handle.id();
            assert_eq!(handle.await.unwrap(), expected);
            assert_eq!(task::try_id(), None);
        });
    });
}

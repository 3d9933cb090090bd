//! Spawning a very large number of tasks from inside a task.
//!
//! Debug builds spawn 100,000 tasks per test to keep the suite quick; release builds spawn the
//! full 1,000,000. Run the full count with `cargo test --release --test rt_spawn_many`.

#[macro_use]
mod util;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use util::CountDown;

/// Tasks spawned per test: the full million in release builds, a tenth of it in debug builds.
const TASKS: usize = if cfg!(debug_assertions) {
    100_000
} else {
    1_000_000
};

rt_test! {
    /// One task spawns every other task and returns; `block_on` waits until all of them ran.
    fn million_tasks_spawned_from_a_task_all_complete(rt) {
        let ran = Arc::new(AtomicUsize::new(0));
        let all_ran = CountDown::new(TASKS);
        let spawner = {
            let ran = ran.clone();
            let all_ran = all_ran.clone();
            rt.spawn(async move {
                for _ in 0..TASKS {
                    let ran = ran.clone();
                    let all_ran = all_ran.clone();
                    // Detached: completion is observed through the counters only.
                    drop(evloop::spawn(async move {
                        ran.fetch_add(1, Ordering::SeqCst);
                        all_ran.hit();
                    }));
                }
            })
        };
        rt.block_on(async {
            spawner.await.expect("the spawning task failed");
            all_ran.wait().await;
        });
        assert_eq!(ran.load(Ordering::SeqCst), TASKS);

        // Every finished task is eventually dropped and no longer counted as alive.
        let metrics = rt.metrics();
        util::wait_until("all tasks to be dropped", || metrics.num_alive_tasks() == 0);
        assert_eq!(ran.load(Ordering::SeqCst), TASKS, "no task ran twice");
    }

    /// The same spawn storm, with `Runtime::run` as the only thing waiting for it.
    fn million_tasks_spawned_from_a_task_complete_under_run(rt) {
        let ran = Arc::new(AtomicUsize::new(0));
        {
            let ran = ran.clone();
            rt.spawn(async move {
                for _ in 0..TASKS {
                    let ran = ran.clone();
                    evloop::spawn(async move {
                        ran.fetch_add(1, Ordering::SeqCst);
                    });
                }
            });
        }
        rt.run();
        assert_eq!(ran.load(Ordering::SeqCst), TASKS);
    }

    /// Tasks spawned in a tree (each spawns two children, down to a depth) all complete; the
    /// parents do not wait for their children.
    fn task_tree_spawned_recursively_completes(rt) {
        const DEPTH: u32 = 12;
        fn node(depth: u32, ran: Arc<AtomicUsize>) {
            evloop::spawn(async move {
                ran.fetch_add(1, Ordering::SeqCst);
                if depth > 0 {
                    node(depth - 1, ran.clone());
                    node(depth - 1, ran);
                }
            });
        }
        let ran = Arc::new(AtomicUsize::new(0));
        {
            let ran = ran.clone();
            rt.spawn(async move { node(DEPTH, ran) });
        }
        rt.run();
        assert_eq!(ran.load(Ordering::SeqCst), (1 << (DEPTH + 1)) - 1);
    }
}

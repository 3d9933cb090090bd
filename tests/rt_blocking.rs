//! `spawn_blocking` on every runtime flavor: the pool reaches `max_blocking_threads` when the
//! work needs it, blocking closures can spawn more work, and the pool's counters settle.
//!
//! The 2,000-concurrent-calls limit check lives in `blocking_pool.rs`.

mod util;

use evloop::task::spawn_blocking;
use util::{with_watchdog, CountDown, Flavor};

/// The pool does grow to its maximum when that many closures must run at once: `MAX` closures
/// that each wait for all the others complete (they would hang with fewer threads).
#[test]
fn pool_grows_to_its_maximum_when_needed() {
    const MAX: usize = 6;
    with_watchdog(|| {
        for flavor in Flavor::ALL {
            let rt = flavor.builder().max_blocking_threads(MAX).build().unwrap();
            let all_in = CountDown::new(MAX);
            let handles: Vec<_> = (0..MAX)
                .map(|_| {
                    let all_in = all_in.clone();
                    rt.spawn_blocking(move || {
                        all_in.hit();
                        all_in.wait_blocking("every closure to be running at once");
                    })
                })
                .collect();
            rt.block_on(async {
                for handle in handles {
                    handle.await.unwrap();
                }
            });
            assert_eq!(rt.metrics().num_blocking_threads(), MAX, "{flavor:?}");
        }
    });
}

/// A blocking closure can spawn blocking work and async tasks on its runtime, and wait for them.
#[test]
fn blocking_closure_spawns_more_work() {
    with_watchdog(|| {
        for flavor in Flavor::ALL {
            let rt = flavor.build();
            let (tx, rx) = std::sync::mpsc::channel();
            let outer = rt.spawn_blocking(move || {
                let inner = spawn_blocking(|| 20);
                let task = evloop::spawn(async { 22 });
                tx.send((inner, task)).unwrap();
            });
            let (inner, task) = rt.block_on(async move {
                outer.await.unwrap();
                rx.recv().unwrap()
            });
            let sum = rt.block_on(async { inner.await.unwrap() + task.await.unwrap() });
            assert_eq!(sum, 42, "{flavor:?}");
        }
    });
}

/// The pool's other counters are readable and settle once the work is done.
#[test]
fn blocking_metrics_settle() {
    with_watchdog(|| {
        let rt = Flavor::MultiThread(2).build();
        let handles: Vec<_> = (0..20).map(|i| rt.spawn_blocking(move || i)).collect();
        rt.block_on(async {
            for handle in handles {
                handle.await.unwrap();
            }
        });
        let metrics = rt.metrics();
        util::wait_until("the queue to drain", || metrics.blocking_queue_depth() == 0);
        util::wait_until("every blocking thread to go idle", || {
            metrics.num_idle_blocking_threads() == metrics.num_blocking_threads()
        });
        assert!(metrics.num_blocking_threads() >= 1);
        util::wait_until("no task to be alive", || metrics.num_alive_tasks() == 0);
    });
}

//! `shutdown_timeout` and `shutdown_background`: they return without waiting for long blocking
//! closures, cancel pending tasks, and leave handles that cancel whatever is spawned later.

#[macro_use]
mod util;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::Duration;

use evloop::runtime::Runtime;
use evloop::task::yield_now;
use util::{assert_cancelled, track_drop, DropCounter, Flag, WAIT_LIMIT};

/// Starts a blocking closure that sleeps for five seconds and then sets the returned flag;
/// returns once the closure is running.
fn start_long_blocking_closure(rt: &Runtime) -> Arc<AtomicBool> {
    let finished = Arc::new(AtomicBool::new(false));
    let (started_tx, started_rx) = mpsc::channel();
    {
        let finished = finished.clone();
        drop(rt.spawn_blocking(move || {
            started_tx.send(()).unwrap();
            thread::sleep(Duration::from_secs(5));
            finished.store(true, Ordering::SeqCst);
        }));
    }
    started_rx
        .recv_timeout(WAIT_LIMIT)
        .expect("the blocking closure did not start");
    finished
}

/// Spawns `n` tasks that yield forever (so they sit in the run queues), each with a drop token.
fn spawn_spinners(rt: &Runtime, drops: &DropCounter, n: usize) {
    let started = util::CountDown::new(n);
    for _ in 0..n {
        let started = started.clone();
        rt.spawn(track_drop(drops.token(), async move {
            started.hit();
            loop {
                yield_now().await;
            }
        }));
    }
    rt.block_on(started.wait());
}

rt_test! {
    /// Acceptance: `shutdown_timeout` returns while a blocking closure still sleeps (the
    /// watchdog is the only clock), and that closure has indeed not finished.
    fn shutdown_timeout_does_not_wait_for_a_long_blocking_closure(rt) {
        let finished = start_long_blocking_closure(&rt);
        rt.shutdown_timeout(Duration::from_millis(100));
        assert!(
            !finished.load(Ordering::SeqCst),
            "shutdown_timeout waited for the blocking closure"
        );
    }

    /// Acceptance: `shutdown_background` returns, with a sleeping blocking closure.
    fn shutdown_background_returns(rt) {
        let finished = start_long_blocking_closure(&rt);
        rt.shutdown_background();
        assert!(!finished.load(Ordering::SeqCst));
    }

    /// `shutdown_background` on an idle runtime.
    fn shutdown_background_on_idle_runtime(rt) {
        rt.shutdown_background();
    }

    /// `shutdown_timeout` cancels pending tasks: every future is dropped, exactly once.
    fn shutdown_timeout_drops_pending_tasks(rt) {
        let drops = DropCounter::new();
        spawn_spinners(&rt, &drops, 10);
        rt.shutdown_timeout(Duration::from_secs(10));
        drops.assert(10, "after shutdown_timeout");
    }

    /// `shutdown_background` cancels pending tasks too: it does not wait for the workers, but
    /// every future is dropped once they have stopped. Repeated over several runtimes, since a
    /// task that escapes the cancellation does so only when a worker is caught mid-way.
    fn shutdown_background_drops_pending_tasks(rt) {
        const ROUNDS: usize = 60;
        const TASKS: usize = 50;
        let flavor = match rt.handle().runtime_flavor() {
            evloop::runtime::RuntimeFlavor::CurrentThread => util::Flavor::CurrentThread,
            _ => util::Flavor::MultiThread(rt.metrics().num_workers()),
        };
        let drops = DropCounter::new();
        let mut rt = Some(rt);
        for _ in 0..ROUNDS {
            let rt = rt.take().unwrap_or_else(|| flavor.build());
            spawn_spinners(&rt, &drops, TASKS);
            rt.shutdown_background();
        }
        drops.wait_for(ROUNDS * TASKS, "every spinner to be dropped after shutdown_background");
    }

    /// After shutdown, spawning through a kept handle gives a task that is cancelled at once.
    fn spawn_through_handle_after_shutdown_is_cancelled(rt) {
        let handle = rt.handle().clone();
        rt.shutdown_timeout(Duration::from_secs(10));
        let drops = DropCounter::new();
        let ran = Arc::new(AtomicBool::new(false));
        let task = {
            let ran = ran.clone();
            handle.spawn(track_drop(drops.token(), async move {
                ran.store(true, Ordering::SeqCst);
            }))
        };
        assert_cancelled(evloop::block_on(task));
        let blocking = handle.spawn_blocking(|| 1);
        assert_cancelled(evloop::block_on(blocking));
        assert!(!ran.load(Ordering::SeqCst));
        drops.assert(1, "the late task's future");
    }

    /// A task woken after shutdown (by a plain thread) is dropped rather than run.
    fn task_woken_after_shutdown_is_dropped(rt) {
        let drops = DropCounter::new();
        let (tx, rx) = util::oneshot::<()>();
        let ran = Arc::new(AtomicBool::new(false));
        let parked = Flag::new();
        {
            let ran = ran.clone();
            let parked = parked.clone();
            drop(rt.spawn(track_drop(drops.token(), async move {
                parked.set();
                let _ = rx.await;
                ran.store(true, Ordering::SeqCst);
            })));
        }
        rt.block_on(parked.wait());
        rt.block_on(util::yield_until(|| tx.has_waiter()));
        rt.shutdown_timeout(Duration::from_secs(10));
        thread::spawn(move || tx.send(())).join().unwrap();
        drops.assert(1, "after the wake-up that came too late");
        assert!(!ran.load(Ordering::SeqCst), "the task ran after shutdown");
    }

    /// Dropping the runtime from inside one of its own tasks neither deadlocks nor panics.
    fn drop_runtime_inside_its_own_task(rt) {
        let handle = rt.handle().clone();
        let slot = Arc::new(std::sync::Mutex::new(Some(rt)));
        let (tx, rx) = util::oneshot::<()>();
        {
            let slot = slot.clone();
            drop(handle.spawn(async move {
                let rt = slot.lock().unwrap().take();
                drop(rt);
                tx.send(());
            }));
        }
        // A current-thread runtime needs a driver; a handle can still block on it.
        handle.block_on(rx).unwrap();
        assert!(slot.lock().unwrap().is_none());
    }
}

//! Scheduler workloads: spawning, yielding, waking, blocking pool.
//!
//! Apart from `spawn_remote`, each workload runs inside a root task (spawned
//! from `block_on`), so that "spawn from inside a task" means from a task on
//! a worker thread, not from the thread blocked in `block_on`.

use std::time::Instant;

use super::Sample;
use crate::chan;
use crate::rt::Runtime;
use crate::spin::spin_us;

/// Yields per task in `yield_many`.
const YIELDS_PER_TASK: usize = 200;
/// Round trips per pair in `ping_pong`.
const ROUND_TRIPS: usize = 100;
/// CPU work per task in `fan_out_in`, in µs.
const FAN_OUT_WORK_US: u64 = 1;
/// CPU work per closure in `spawn_blocking`, in µs (a spin, not a sleep).
const BLOCKING_WORK_US: u64 = 10;

/// Times `root` run as a task spawned from `block_on`.
fn timed_in_task<R: Runtime>(
    rt: &R,
    root: impl std::future::Future<Output = ()> + Send + 'static,
) -> Option<Sample> {
    Some(Sample::timed(super::timed_in_task(rt, root).0))
}

/// 1: `n` no-op tasks spawned from inside a task, then awaited in order.
pub fn spawn_local<R: Runtime>(rt: &R, n: usize) -> Option<Sample> {
    timed_in_task(rt, async move {
        let handles: Vec<_> = (0..n).map(|_| R::spawn(async {})).collect();
        for h in handles {
            h.await;
        }
    })
}

/// 2: `n` no-op tasks spawned from the main thread, outside the runtime,
/// then awaited from `block_on`.
pub fn spawn_remote<R: Runtime>(rt: &R, n: usize) -> Option<Sample> {
    let start = Instant::now();
    let handles: Vec<_> = (0..n).map(|_| rt.spawn_remote(async {})).collect();
    rt.block_on(async move {
        for h in handles {
            h.await;
        }
    });
    Some(Sample::timed(start.elapsed()))
}

/// 3: `n` tasks, each yielding [`YIELDS_PER_TASK`] times.
pub fn yield_many<R: Runtime>(rt: &R, n: usize) -> Option<Sample> {
    timed_in_task(rt, async move {
        let handles: Vec<_> = (0..n)
            .map(|_| {
                R::spawn(async {
                    for _ in 0..YIELDS_PER_TASK {
                        R::yield_now().await;
                    }
                })
            })
            .collect();
        for h in handles {
            h.await;
        }
    })
}

/// 4: `n` pairs of tasks; in each pair a message goes back and forth
/// [`ROUND_TRIPS`] times over two capacity-1 channels.
pub fn ping_pong<R: Runtime>(rt: &R, n: usize) -> Option<Sample> {
    timed_in_task(rt, async move {
        let mut pingers = Vec::with_capacity(n);
        let mut pongers = Vec::with_capacity(n);
        for _ in 0..n {
            let (ping_tx, ping_rx) = chan::bounded::<usize>(1);
            let (pong_tx, pong_rx) = chan::bounded::<usize>(1);
            pingers.push(R::spawn(async move {
                for i in 0..ROUND_TRIPS {
                    ping_tx.send(i).await.expect("ponger gone");
                    let back = pong_rx.recv().await.expect("ponger gone");
                    assert_eq!(back, i);
                }
            }));
            pongers.push(R::spawn(async move {
                while let Ok(i) = ping_rx.recv().await {
                    pong_tx.send(i).await.expect("pinger gone");
                }
            }));
        }
        for h in pingers {
            h.await;
        }
        for h in pongers {
            h.await;
        }
    })
}

/// 5: a chain of `n` tasks, each spawning (detached) the next; the last one
/// signals the root.
pub fn chained_spawn<R: Runtime>(rt: &R, n: usize) -> Option<Sample> {
    fn link<R: Runtime>(left: usize, done: chan::Sender<()>) {
        if left == 0 {
            done.try_send(()).expect("root gone");
        } else {
            R::spawn_detached(async move { link::<R>(left - 1, done) });
        }
    }
    timed_in_task(rt, async move {
        let (done_tx, done_rx) = chan::bounded(1);
        link::<R>(n, done_tx);
        done_rx.recv().await.expect("chain broken");
    })
}

/// 6: one task spawns `n` tasks of [`FAN_OUT_WORK_US`] µs of spin each and
/// joins them all.
pub fn fan_out_in<R: Runtime>(rt: &R, n: usize) -> Option<Sample> {
    timed_in_task(rt, async move {
        let handles: Vec<_> = (0..n)
            .map(|_| R::spawn(async { spin_us(FAN_OUT_WORK_US) }))
            .collect();
        for h in handles {
            h.await;
        }
    })
}

/// 13: `n` closures of [`BLOCKING_WORK_US`] µs of spin each on the blocking
/// pool, spawned from a task and awaited.
pub fn spawn_blocking<R: Runtime>(rt: &R, n: usize) -> Option<Sample> {
    if !R::BLOCKING_POOL {
        return None;
    }
    timed_in_task(rt, async move {
        let handles: Vec<_> = (0..n)
            .map(|_| R::spawn_blocking(|| spin_us(BLOCKING_WORK_US)))
            .collect();
        for h in handles {
            h.await;
        }
    })
}

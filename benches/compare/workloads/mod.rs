//! The list of workloads.
//!
//! A workload is a function generic over [`Runtime`]:
//! `fn(&R, size) -> Option<Duration>`. It builds whatever it needs, times
//! the part that is being measured and returns that time (`None` when the
//! peer cannot run it, e.g. it lacks a blocking pool). [`all`] lists them
//! with their fixed full sizes; `--quick` divides every size (the count of
//! items) by ten and keeps the per-item parameters (yields per task, round
//! trips per pair, µs of spin).
//!
//! To add a workload (timers, timeout churn, TCP echo/stream, HTTP, file
//! system, idle tasks, ...): write the generic function in a module under
//! `workloads/` (e.g. `workloads/timers.rs`, `workloads/net.rs`), extending
//! [`Runtime`] with the operations it needs (`sleep`, `timeout`, TCP and file
//! types), then add an entry to [`all`] with `runners!(module::function)`.
//! Throughput workloads use [`Metric::Throughput`]; everything else in the
//! harness (rounds, statistics, ratios, table, JSON, chart) follows from the
//! entry.

pub mod sched;

use std::time::Duration;

use crate::peers::{EvloopRt, Peer, SmolRt, TokioRt};
use crate::rt::Runtime;

/// A workload body for runtime `R`: `(runtime, size) -> timed duration`.
pub type Run<R> = fn(&R, usize) -> Option<Duration>;

/// The same workload, instantiated for every peer.
pub struct Runners {
    pub evloop: Run<EvloopRt>,
    pub tokio: Run<TokioRt>,
    pub smol: Run<SmolRt>,
}

/// Instantiates a generic workload function for every peer.
macro_rules! runners {
    ($($f:ident)::+) => {
        Runners {
            evloop: $($f)::+::<EvloopRt>,
            tokio: $($f)::+::<TokioRt>,
            smol: $($f)::+::<SmolRt>,
        }
    };
}

/// What a sample measures, and so which direction is better.
#[derive(Debug, Clone, Copy)]
pub enum Metric {
    /// Wall-clock time of the timed section; reported in ms, lower is better.
    Time,
    /// `size * per_item` units of `unit` (e.g. MiB) divided by the timed
    /// seconds; reported in `unit`/s, higher is better.
    #[allow(dead_code)] // used by the I/O workloads
    Throughput { unit: &'static str, per_item: f64 },
}

impl Metric {
    pub fn unit(&self) -> String {
        match self {
            Metric::Time => "ms".to_string(),
            Metric::Throughput { unit, .. } => format!("{unit}/s"),
        }
    }

    pub fn higher_is_better(&self) -> bool {
        matches!(self, Metric::Throughput { .. })
    }

    /// Converts one timed duration into a sample in this metric's unit.
    pub fn value(&self, elapsed: Duration, size: usize) -> f64 {
        let secs = elapsed.as_secs_f64();
        match self {
            Metric::Time => secs * 1e3,
            Metric::Throughput { per_item, .. } => size as f64 * per_item / secs.max(1e-12),
        }
    }
}

pub struct Workload {
    /// Stable number, kept across versions of the harness.
    pub id: u32,
    pub name: &'static str,
    pub about: &'static str,
    /// Full size (the count of `item`s); `--quick` uses a tenth.
    pub size: usize,
    /// What one unit of `size` is, for "ns per item".
    pub item: &'static str,
    pub metric: Metric,
    /// Measure the spawn baseline in the same rounds.
    pub baseline: bool,
    pub runners: Runners,
}

impl Workload {
    pub fn size(&self, quick: bool) -> usize {
        if quick {
            (self.size / 10).max(1)
        } else {
            self.size
        }
    }

    /// Runs one sample on `peer`: a fresh runtime is built and settled
    /// before, and dropped after, the timed section.
    pub fn sample(&self, peer: Peer, workers: usize, size: usize) -> Option<Duration> {
        fn on<R: Runtime>(run: Run<R>, workers: usize, size: usize) -> Option<Duration> {
            let rt = R::new(workers);
            settle(&rt, workers);
            let elapsed = run(&rt, size);
            drop(rt);
            elapsed
        }
        match peer {
            Peer::Evloop => on(self.runners.evloop, workers, size),
            Peer::Tokio => on(self.runners.tokio, workers, size),
            Peer::Smol => on(self.runners.smol, workers, size),
        }
    }
}

/// Brings a new runtime to a steady idle state before it is measured: every
/// worker thread has started and run tasks, then had time to go idle. So
/// thread start-up is not timed, and every peer starts from the same state.
fn settle<R: Runtime>(rt: &R, workers: usize) {
    rt.block_on(async {
        let handles: Vec<_> = (0..workers * 8)
            .map(|_| {
                R::spawn(async {
                    for _ in 0..4 {
                        R::yield_now().await;
                    }
                })
            })
            .collect();
        for h in handles {
            h.await;
        }
    });
    std::thread::sleep(Duration::from_millis(2));
}

/// Every workload, in report order.
pub fn all() -> Vec<Workload> {
    vec![
        Workload {
            id: 1,
            name: "spawn_local",
            about: "no-op tasks spawned from inside a task, then awaited",
            size: 100_000,
            item: "task",
            metric: Metric::Time,
            baseline: true,
            runners: runners!(sched::spawn_local),
        },
        Workload {
            id: 2,
            name: "spawn_remote",
            about: "no-op tasks spawned from outside the runtime, then awaited",
            size: 100_000,
            item: "task",
            metric: Metric::Time,
            baseline: false,
            runners: runners!(sched::spawn_remote),
        },
        Workload {
            id: 3,
            name: "yield_many",
            about: "tasks each yielding 200 times",
            size: 1_000,
            item: "task",
            metric: Metric::Time,
            baseline: false,
            runners: runners!(sched::yield_many),
        },
        Workload {
            id: 4,
            name: "ping_pong",
            about: "pairs of tasks passing a message back and forth 100 times",
            size: 1_000,
            item: "pair",
            metric: Metric::Time,
            baseline: false,
            runners: runners!(sched::ping_pong),
        },
        Workload {
            id: 5,
            name: "chained_spawn",
            about: "each task spawns the next, to this depth",
            size: 10_000,
            item: "task",
            metric: Metric::Time,
            baseline: false,
            runners: runners!(sched::chained_spawn),
        },
        Workload {
            id: 6,
            name: "fan_out_in",
            about: "one task spawns tasks of 1 us calibrated spin each and joins them",
            size: 10_000,
            item: "task",
            metric: Metric::Time,
            baseline: false,
            runners: runners!(sched::fan_out_in),
        },
        Workload {
            id: 13,
            name: "spawn_blocking",
            about: "blocking closures of 10 us calibrated spin each, awaited",
            size: 10_000,
            item: "closure",
            metric: Metric::Time,
            baseline: false,
            runners: runners!(sched::spawn_blocking),
        },
    ]
}

/// The workloads named in `only` (all of them when it is empty), in list order.
pub fn select(only: &[String]) -> Result<Vec<Workload>, String> {
    let list = all();
    if let Some(unknown) = only
        .iter()
        .find(|n| !list.iter().any(|w| w.name == n.as_str()))
    {
        let names: Vec<_> = list.iter().map(|w| w.name).collect();
        return Err(format!(
            "unknown workload `{unknown}`; known: {}",
            names.join(", ")
        ));
    }
    Ok(list
        .into_iter()
        .filter(|w| only.is_empty() || only.iter().any(|n| n == w.name))
        .collect())
}

//! The list of workloads.
//!
//! A workload is a function generic over [`Runtime`]:
//! `fn(&R, size) -> Option<Sample>`. It builds whatever it needs, times
//! the part that is being measured and returns a [`Sample`] (`None` when the
//! peer cannot run it, e.g. it lacks a blocking pool, or the platform cannot
//! measure it). [`all`] lists them with their fixed full sizes; `--quick`
//! divides every size (the count of items) by ten and keeps the per-item
//! parameters (yields per task, round trips per pair, µs of spin, bytes per
//! write, connections).
//!
//! A workload has one primary row, in its [`Metric`], and may report further
//! rows ([`Extra`], e.g. the mean lateness of `timers` or the latency
//! percentiles of `tcp_echo`): values the workload computes itself, each with
//! its own unit and direction, carried in [`Sample::extras`].
//!
//! To add a workload: write the generic function in a module under
//! `workloads/`, extending [`Runtime`] with the operations it needs, then add
//! an entry to [`all`] with `runners!(module::function)`. Everything else in
//! the harness (rounds, statistics, ratios, table, JSON, chart) follows from
//! the entry.

pub mod fs;
pub mod http;
pub mod mem;
pub mod net;
pub mod sched;
pub mod timers;

use std::future::Future;
use std::time::{Duration, Instant};

use crate::peers::{EvloopRt, Peer, SmolRt, TokioRt};
use crate::rt::Runtime;

/// What one sample of a workload measured.
#[derive(Debug, Clone, Default)]
pub struct Sample {
    /// Wall-clock time of the timed section.
    pub elapsed: Duration,
    /// The primary value, for workloads whose metric is [`Metric::Value`].
    pub value: Option<f64>,
    /// The values of the workload's [`Workload::extras`] rows, in order.
    pub extras: Vec<f64>,
}

impl Sample {
    /// A sample that is just a timed section.
    pub fn timed(elapsed: Duration) -> Sample {
        Sample {
            elapsed,
            ..Sample::default()
        }
    }
}

/// A workload body for runtime `R`: `(runtime, size) -> sample`.
pub type Run<R> = fn(&R, usize) -> Option<Sample>;

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

/// What a row measures, and so which direction is better.
#[derive(Debug, Clone, Copy)]
pub enum Metric {
    /// Wall-clock time of the timed section; reported in ms, lower is better.
    Time,
    /// `size * per_item` units of `unit` (e.g. GiB) divided by the timed
    /// seconds; reported in `unit`/s, higher is better.
    Throughput { unit: &'static str, per_item: f64 },
    /// A value the workload computes itself (a latency, bytes per task, ...),
    /// in `unit`.
    Value {
        unit: &'static str,
        higher_is_better: bool,
    },
}

impl Metric {
    pub fn unit(&self) -> String {
        match self {
            Metric::Time => "ms".to_string(),
            Metric::Throughput { unit, .. } => format!("{unit}/s"),
            Metric::Value { unit, .. } => unit.to_string(),
        }
    }

    pub fn higher_is_better(&self) -> bool {
        match self {
            Metric::Time => false,
            Metric::Throughput { .. } => true,
            Metric::Value {
                higher_is_better, ..
            } => *higher_is_better,
        }
    }

    /// `time`, `throughput` or `value`, for the JSON report.
    pub fn kind(&self) -> &'static str {
        match self {
            Metric::Time => "time",
            Metric::Throughput { .. } => "throughput",
            Metric::Value { .. } => "value",
        }
    }

    /// Whether a per-item cost (time / size) means something for this row.
    pub fn is_time(&self) -> bool {
        matches!(self, Metric::Time)
    }

    /// The primary value of one sample in this metric's unit.
    pub fn value(&self, sample: &Sample, size: usize) -> f64 {
        let secs = sample.elapsed.as_secs_f64();
        match self {
            Metric::Time => secs * 1e3,
            Metric::Throughput { per_item, .. } => size as f64 * per_item / secs.max(1e-12),
            Metric::Value { .. } => sample
                .value
                .expect("a value workload returned no value in its sample"),
        }
    }
}

/// A further row reported by a workload, next to its primary one.
pub struct Extra {
    /// Row name, `<workload>_<what>` (e.g. `timers_lateness`).
    pub name: &'static str,
    pub about: &'static str,
    /// Always a [`Metric::Value`].
    pub metric: Metric,
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
    /// Further rows, filled from [`Sample::extras`] in this order.
    pub extras: &'static [Extra],
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
    pub fn sample(&self, peer: Peer, workers: usize, size: usize) -> Option<Sample> {
        fn on<R: Runtime>(run: Run<R>, workers: usize, size: usize) -> Option<Sample> {
            let rt = R::new(workers);
            settle(&rt, workers);
            let sample = run(&rt, size);
            drop(rt);
            sample
        }
        let sample = match peer {
            Peer::Evloop => on(self.runners.evloop, workers, size),
            Peer::Tokio => on(self.runners.tokio, workers, size),
            Peer::Smol => on(self.runners.smol, workers, size),
        };
        if let Some(s) = &sample {
            assert_eq!(
                s.extras.len(),
                self.extras.len(),
                "{}: sample has the wrong number of extra values",
                self.name
            );
        }
        sample
    }
}

/// Brings a new runtime to a steady idle state before it is measured: every
/// worker thread has started and run tasks, then had time to go idle. So
/// thread start-up is not timed, and every peer starts from the same state.
pub fn settle<R: Runtime>(rt: &R, workers: usize) {
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

/// Runs `root` as a task spawned from `block_on` (so that "inside a task"
/// means on a worker thread, not on the thread blocked in `block_on`) and
/// returns its output with the time it took.
pub fn timed_in_task<R, F>(rt: &R, root: F) -> (Duration, F::Output)
where
    R: Runtime,
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let start = Instant::now();
    let out = in_task(rt, root);
    (start.elapsed(), out)
}

/// Runs `root` as a task spawned from `block_on` and returns its output.
pub fn in_task<R, F>(rt: &R, root: F) -> F::Output
where
    R: Runtime,
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    rt.block_on(async move { R::spawn(root).await })
}

/// Drops what workloads prepared once for all their samples (files), after
/// the last round of a workload.
pub fn release_fixtures() {
    fs::release_fixtures();
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
            extras: &[],
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
            extras: &[],
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
            extras: &[],
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
            extras: &[],
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
            extras: &[],
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
            extras: &[],
            baseline: false,
            runners: runners!(sched::fan_out_in),
        },
        Workload {
            id: 7,
            name: "timers",
            about: "tasks each sleeping a seeded-random 0-50 ms, all awaited",
            size: 100_000,
            item: "timer",
            metric: Metric::Time,
            extras: &[Extra {
                name: "timers_lateness",
                about: "mean of (wake time - deadline) over all sleeps",
                metric: Metric::Value {
                    unit: "us",
                    higher_is_better: false,
                },
            }],
            baseline: false,
            runners: runners!(timers::timers),
        },
        Workload {
            id: 8,
            name: "timeout_churn",
            about: "timeout(1 s, ready future) created and dropped unfired, one task per worker",
            size: 1_000_000,
            item: "timeout",
            metric: Metric::Time,
            extras: &[],
            baseline: false,
            runners: runners!(timers::timeout_churn),
        },
        Workload {
            id: 9,
            name: "tcp_echo",
            about: "64-byte round trips over 100 loopback connections (TCP_NODELAY), echo server in the same runtime",
            size: 1_000_000,
            item: "round trip",
            metric: Metric::Throughput {
                unit: "round trips",
                per_item: 1.0,
            },
            extras: &[
                Extra {
                    name: "tcp_echo_p50",
                    about: "median round-trip latency",
                    metric: Metric::Value {
                        unit: "us",
                        higher_is_better: false,
                    },
                },
                Extra {
                    name: "tcp_echo_p99",
                    about: "99th percentile round-trip latency",
                    metric: Metric::Value {
                        unit: "us",
                        higher_is_better: false,
                    },
                },
            ],
            baseline: false,
            runners: runners!(net::tcp_echo),
        },
        Workload {
            id: 10,
            name: "tcp_stream",
            about: "one loopback connection moving 64 KiB writes (1 GiB in all), read until end of file",
            size: 16_384,
            item: "64 KiB write",
            metric: Metric::Throughput {
                unit: "GiB",
                per_item: net::STREAM_CHUNK as f64 / (1u64 << 30) as f64,
            },
            extras: &[],
            baseline: false,
            runners: runners!(net::tcp_stream),
        },
        Workload {
            id: 11,
            name: "http_hello",
            about: "hyper 1.x hello-world server (HTTP/1.1 keep-alive), 50 blocking-socket client threads outside the runtime",
            size: 100_000,
            item: "request",
            metric: Metric::Throughput {
                unit: "requests",
                per_item: 1.0,
            },
            extras: &[Extra {
                name: "http_hello_p99",
                about: "99th percentile request latency (write request to whole response read)",
                metric: Metric::Value {
                    unit: "us",
                    higher_is_better: false,
                },
            }],
            baseline: false,
            runners: runners!(http::http_hello),
        },
        Workload {
            id: 12,
            name: "fs_small",
            about: "4 KiB files read whole, 64 reading tasks at a time",
            size: 10_000,
            item: "file",
            metric: Metric::Time,
            extras: &[],
            baseline: false,
            runners: runners!(fs::fs_small),
        },
        Workload {
            id: 12,
            name: "fs_large",
            about: "one file read whole into memory (256 MiB)",
            size: 256 * 1024,
            item: "KiB",
            metric: Metric::Time,
            extras: &[],
            baseline: false,
            runners: runners!(fs::fs_large),
        },
        Workload {
            id: 13,
            name: "spawn_blocking",
            about: "blocking closures of 10 us calibrated spin each, awaited",
            size: 10_000,
            item: "closure",
            metric: Metric::Time,
            extras: &[],
            baseline: false,
            runners: runners!(sched::spawn_blocking),
        },
        Workload {
            id: 14,
            name: "idle_tasks",
            about: "tasks parked forever, each holding its waker; RSS growth per task (Linux only)",
            size: 1_000_000,
            item: "task",
            metric: Metric::Value {
                unit: "B/task",
                higher_is_better: false,
            },
            extras: &[],
            baseline: false,
            runners: runners!(mem::idle_tasks),
        },
    ]
}

/// The workloads named in `only` (all of them when it is empty), in list
/// order. The name of an extra row (`timers_lateness`) selects its workload.
pub fn select(only: &[String]) -> Result<Vec<Workload>, String> {
    let list = all();
    let named = |w: &Workload, n: &str| w.name == n || w.extras.iter().any(|e| e.name == n);
    if let Some(unknown) = only.iter().find(|n| !list.iter().any(|w| named(w, n))) {
        let names: Vec<_> = list.iter().map(|w| w.name).collect();
        return Err(format!(
            "unknown workload `{unknown}`; known: {}",
            names.join(", ")
        ));
    }
    Ok(list
        .into_iter()
        .filter(|w| only.is_empty() || only.iter().any(|n| named(w, n)))
        .collect())
}

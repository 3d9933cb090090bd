//! Runs the rounds: one warm-up round, then `runs` measured rounds, each
//! round running every selected peer once in [`Peer::ALL`] order.
//!
//! A workload gives one result row for its primary metric and one per extra
//! row it reports ([`Workload::extras`]); all rows of a workload come from the
//! same samples.

use std::io::Write;

use crate::baseline;
use crate::cli::Options;
use crate::peers::Peer;
use crate::stats::Summary;
use crate::workloads::{self, Metric, Sample, Workload};

/// All samples of one peer on one row, in the row's unit.
pub struct PeerResult {
    pub peer: Peer,
    pub samples: Vec<f64>,
    /// Why there are no samples, if there are none.
    pub missing: Option<&'static str>,
}

impl PeerResult {
    pub fn summary(&self) -> Option<Summary> {
        Summary::of(&self.samples)
    }
}

/// Spawn-baseline samples, in ns per task.
pub struct BaselineResult {
    pub push_ns: Vec<f64>,
    pub drain_ns: Vec<f64>,
}

/// One row of the report: a workload's primary metric, or one of its extras.
pub struct WorkloadResult<'a> {
    pub workload: &'a Workload,
    /// The row's name: the workload's, or the extra row's.
    pub name: &'static str,
    pub metric: Metric,
    /// `Some(index)` for the workload's extra row of that index.
    pub extra: Option<usize>,
    pub size: usize,
    pub peers: Vec<PeerResult>,
    pub baseline: Option<BaselineResult>,
}

impl WorkloadResult<'_> {
    pub fn peer(&self, peer: Peer) -> &PeerResult {
        self.peers
            .iter()
            .find(|p| p.peer == peer)
            .expect("every peer has a result")
    }

    /// What the row measures, in words.
    pub fn about(&self) -> &'static str {
        match self.extra {
            Some(i) => self.workload.extras[i].about,
            None => self.workload.about,
        }
    }
}

pub fn run_all<'a>(workloads: &'a [Workload], opts: &Options) -> Vec<WorkloadResult<'a>> {
    workloads.iter().flat_map(|w| run_one(w, opts)).collect()
}

/// The raw samples of one peer on one workload.
struct PeerSamples {
    peer: Peer,
    samples: Vec<Sample>,
    missing: Option<&'static str>,
}

fn run_one<'a>(w: &'a Workload, opts: &Options) -> Vec<WorkloadResult<'a>> {
    let size = w.size(opts.quick);
    let mut peers: Vec<PeerSamples> = Peer::ALL
        .iter()
        .map(|&peer| PeerSamples {
            peer,
            samples: Vec::with_capacity(opts.runs),
            missing: (!opts.runs_peer(peer)).then_some("not selected"),
        })
        .collect();
    let mut baseline = w.baseline.then(|| BaselineResult {
        push_ns: Vec::with_capacity(opts.runs),
        drain_ns: Vec::with_capacity(opts.runs),
    });

    eprint!("{:>3} {:<16} size {:>9}: warm-up", w.id, w.name, size);
    flush();
    // Round 0 is the warm-up; its samples are discarded.
    for round in 0..=opts.runs {
        for p in peers.iter_mut().filter(|p| p.missing.is_none()) {
            match w.sample(p.peer, opts.workers, size) {
                Some(sample) if round > 0 => p.samples.push(sample),
                Some(_) => {}
                None => p.missing = Some("unsupported"),
            }
        }
        if let Some(b) = baseline.as_mut() {
            let s = baseline::sample(size);
            if round > 0 {
                b.push_ns.push(s.push.as_nanos() as f64 / size as f64);
                b.drain_ns.push(s.drain.as_nanos() as f64 / size as f64);
            }
        }
        if round > 0 {
            eprint!(" {round}");
            flush();
        }
    }
    eprintln!();
    workloads::release_fixtures();

    let row = |extra: Option<usize>| {
        let (name, metric) = match extra {
            Some(i) => (w.extras[i].name, w.extras[i].metric),
            None => (w.name, w.metric),
        };
        let peers = peers
            .iter()
            .map(|p| PeerResult {
                peer: p.peer,
                samples: p
                    .samples
                    .iter()
                    .map(|s| match extra {
                        Some(i) => s.extras[i],
                        None => metric.value(s, size),
                    })
                    .collect(),
                missing: p.missing,
            })
            .collect();
        (name, metric, peers)
    };

    let (name, metric, primary_peers) = row(None);
    let mut rows = vec![WorkloadResult {
        workload: w,
        name,
        metric,
        extra: None,
        size,
        peers: primary_peers,
        baseline,
    }];
    for i in 0..w.extras.len() {
        let (name, metric, peers) = row(Some(i));
        rows.push(WorkloadResult {
            workload: w,
            name,
            metric,
            extra: Some(i),
            size,
            peers,
            baseline: None,
        });
    }
    rows
}

fn flush() {
    let _ = std::io::stderr().flush();
}

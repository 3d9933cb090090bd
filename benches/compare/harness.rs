//! Runs the rounds: one warm-up round, then `runs` measured rounds, each
//! round running every peer once in [`Peer::ALL`] order.

use std::io::Write;

use crate::baseline;
use crate::cli::Options;
use crate::peers::Peer;
use crate::stats::Summary;
use crate::workloads::Workload;

/// All samples of one peer on one workload, in the workload's unit.
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

pub struct WorkloadResult<'a> {
    pub workload: &'a Workload,
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
}

pub fn run_all<'a>(workloads: &'a [Workload], opts: &Options) -> Vec<WorkloadResult<'a>> {
    workloads.iter().map(|w| run_one(w, opts)).collect()
}

fn run_one<'a>(w: &'a Workload, opts: &Options) -> WorkloadResult<'a> {
    let size = w.size(opts.quick);
    let mut peers: Vec<PeerResult> = Peer::ALL
        .iter()
        .map(|&peer| PeerResult {
            peer,
            samples: Vec::with_capacity(opts.runs),
            missing: None,
        })
        .collect();
    let mut baseline = w.baseline.then(|| BaselineResult {
        push_ns: Vec::with_capacity(opts.runs),
        drain_ns: Vec::with_capacity(opts.runs),
    });

    eprint!("{:>3} {:<16} size {:>7}: warm-up", w.id, w.name, size);
    flush();
    // Round 0 is the warm-up; its samples are discarded.
    for round in 0..=opts.runs {
        for p in peers.iter_mut().filter(|p| p.missing.is_none()) {
            match w.sample(p.peer, opts.workers, size) {
                Some(elapsed) if round > 0 => p.samples.push(w.metric.value(elapsed, size)),
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

    WorkloadResult {
        workload: w,
        size,
        peers,
        baseline,
    }
}

fn flush() {
    let _ = std::io::stderr().flush();
}

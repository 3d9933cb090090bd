//! `report.json`: machine, configuration, and per workload per peer every
//! sample with its summary, plus the ratios.

use serde_json::{json, Map, Value};

use super::{advantage, Report};
use crate::peers::Peer;
use crate::stats::Summary;

pub fn render(r: &Report<'_>) -> Value {
    let m = &r.machine;
    let workloads: Vec<Value> = r
        .results
        .iter()
        .map(|res| {
            let w = res.workload;
            let mut peers = Map::new();
            for &p in &Peer::ALL {
                let pr = res.peer(p);
                let value = match pr.summary() {
                    Some(s) => json!({
                        "samples": pr.samples,
                        "median": s.median,
                        "min": s.min,
                        "max": s.max,
                        "ns_per_item": res.metric.is_time()
                            .then(|| s.median * 1e6 / res.size as f64),
                    }),
                    None => json!({
                        "samples": [],
                        "missing": pr.missing.unwrap_or("no samples"),
                    }),
                };
                peers.insert(p.name().to_string(), value);
            }

            let mut ratios = Map::new();
            let ev = res.peer(Peer::Evloop).summary();
            for &p in &Peer::ALL[1..] {
                if let (Some(e), Some(o)) = (ev, res.peer(p).summary()) {
                    ratios.insert(
                        format!("evloop_over_{}", p.name()),
                        json!(e.median / o.median),
                    );
                    ratios.insert(
                        format!("evloop_advantage_vs_{}", p.name()),
                        json!(advantage(&res.metric, &e, &o)),
                    );
                }
            }

            let baseline = res.baseline.as_ref().map(|b| {
                json!({
                    "what": "Box::pin of a small future + ConcurrentQueue::push (push); then pop + poll once + drop (drain); no runtime",
                    "unit": "ns/task",
                    "push": stat(&b.push_ns),
                    "drain": stat(&b.drain_ns),
                })
            });

            json!({
                "id": w.id,
                "name": res.name,
                "row_of": res.extra.map(|_| w.name),
                "description": res.about(),
                "size": res.size,
                "full_size": w.size,
                "item": w.item,
                "metric": res.metric.kind(),
                "unit": res.metric.unit(),
                "better": if res.metric.higher_is_better() { "higher" } else { "lower" },
                "peers": peers,
                "ratios": ratios,
                "ratio_definitions": {
                    "evloop_over_PEER": "evloop median / PEER median, in the workload's unit",
                    "evloop_advantage_vs_PEER": if res.metric.higher_is_better() {
                        "evloop / PEER; > 1 means evloop is better"
                    } else {
                        "PEER / evloop (for times: the speedup); > 1 means evloop is better"
                    },
                },
                "spawn_baseline": baseline,
            })
        })
        .collect();

    let peers: Map<String, Value> = Peer::ALL
        .iter()
        .map(|&p| {
            (
                p.name().to_string(),
                json!({
                    "configuration": p.describe(r.opts.workers),
                }),
            )
        })
        .collect();

    json!({
        "schema": 1,
        "machine": {
            "cores": m.cores,
            "os": m.os,
            "arch": m.arch,
            "os_release": m.os_release,
            "kernel": m.kernel,
            "cpu": m.cpu,
            "rustc": m.rustc,
            "load_avg_1min_at_start": m.load_avg,
            "date_utc": m.date_utc,
            "unix_time": m.unix_time,
        },
        "config": {
            "workers": r.opts.workers,
            "runs": r.opts.runs,
            "warmup_runs": 1,
            "quick": r.opts.quick,
            "only": r.opts.only,
            "peers_run": Peer::ALL
                .iter()
                .filter(|&&p| r.opts.runs_peer(p))
                .map(|p| p.name())
                .collect::<Vec<_>>(),
            "order": Peer::ALL.iter().map(|p| p.name()).collect::<Vec<_>>(),
            "spin_iterations_per_us": r.spin_iters_per_us,
        },
        "peers": peers,
        "workloads": workloads,
    })
}

fn stat(samples: &[f64]) -> Value {
    match Summary::of(samples) {
        Some(s) => json!({
            "samples": samples,
            "median": s.median,
            "min": s.min,
            "max": s.max,
        }),
        None => Value::Null,
    }
}

//! The plain-text table printed on stdout.

use std::fmt::Write;

use super::{advantage, count, num, Report};
use crate::peers::Peer;

pub fn render(r: &Report<'_>) -> String {
    let mut out = String::new();
    let o = r.opts;
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "evloop vs tokio vs smol: {} worker thread(s), {} measured run(s) after 1 warm-up, {}",
        o.workers,
        o.runs,
        r.sizes_label()
    );
    let _ = writeln!(
        out,
        "machine: {}; {}",
        r.machine.summary(),
        r.machine.date_utc
    );
    let _ = writeln!(
        out,
        "cells: median (min-max) over the runs, in the row's unit"
    );
    let _ = writeln!(
        out,
        "\"evloop vs\" columns: for lower-is-better rows peer / evloop (for times, the speedup);"
    );
    let _ = writeln!(
        out,
        "for higher-is-better rows evloop / peer. Above 1 means evloop is better."
    );
    let _ = writeln!(out);

    let mut header = vec![
        "#".to_string(),
        "workload".to_string(),
        "size".to_string(),
        "unit".to_string(),
        "better".to_string(),
    ];
    header.extend(Peer::ALL.iter().map(|p| p.name().to_string()));
    header.extend(
        Peer::ALL[1..]
            .iter()
            .map(|p| format!("evloop vs {}", p.name())),
    );

    let mut rows = vec![header];
    for res in r.results {
        let w = res.workload;
        let mut row = vec![
            w.id.to_string(),
            res.name.to_string(),
            count(res.size),
            res.metric.unit(),
            if res.metric.higher_is_better() {
                "higher"
            } else {
                "lower"
            }
            .to_string(),
        ];
        for &p in &Peer::ALL {
            let pr = res.peer(p);
            row.push(match (pr.summary(), pr.missing) {
                (Some(s), _) => format!("{} ({}-{})", num(s.median), num(s.min), num(s.max)),
                (None, Some(why)) => format!("n/a ({why})"),
                (None, None) => "n/a".to_string(),
            });
        }
        let ev = res.peer(Peer::Evloop).summary();
        for &p in &Peer::ALL[1..] {
            row.push(match (ev, res.peer(p).summary()) {
                (Some(e), Some(s)) => format!("{:.2}x", advantage(&res.metric, &e, &s)),
                _ => "-".to_string(),
            });
        }
        rows.push(row);
    }
    out.push_str(&grid(&rows, &[1, 3, 4]));

    // Per-item costs of the time workloads, with the spawn baseline.
    let time_rows: Vec<_> = r
        .results
        .iter()
        .filter(|res| res.metric.is_time())
        .collect();
    if !time_rows.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(out, "median cost per item, ns:");
        let mut header = vec!["workload".to_string(), "item".to_string()];
        header.extend(Peer::ALL.iter().map(|p| p.name().to_string()));
        let mut rows = vec![header];
        for res in &time_rows {
            let mut row = vec![res.name.to_string(), res.workload.item.to_string()];
            for &p in &Peer::ALL {
                row.push(match res.peer(p).summary() {
                    Some(s) => num(s.median * 1e6 / res.size as f64),
                    None => "-".to_string(),
                });
            }
            rows.push(row);
        }
        out.push_str(&grid(&rows, &[0, 1]));

        for res in &time_rows {
            if let Some(b) = &res.baseline {
                let push = crate::stats::Summary::of(&b.push_ns);
                let drain = crate::stats::Summary::of(&b.drain_ns);
                if let (Some(push), Some(drain)) = (push, drain) {
                    let _ = writeln!(
                        out,
                        "baseline for {} (no runtime, same rounds): Box::pin + ConcurrentQueue::push {} ns/task (min-max {}-{}); pop + poll + drop {} ns/task",
                        res.name,
                        num(push.median),
                        num(push.min),
                        num(push.max),
                        num(drain.median),
                    );
                }
            }
        }
    }

    let _ = writeln!(out);
    let _ = writeln!(out, "peers:");
    for &p in &Peer::ALL {
        let _ = writeln!(out, "  {:<7} {}", p.name(), p.describe(o.workers));
    }
    out
}

/// Lays `rows` (the first one a header) out in columns; the columns listed
/// in `left` are left-aligned, the others right-aligned.
fn grid(rows: &[Vec<String>], left: &[usize]) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let width: Vec<usize> = (0..cols)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for (i, row) in rows.iter().enumerate() {
        let mut line = String::new();
        for (c, cell) in row.iter().enumerate() {
            let left_aligned = left.contains(&c);
            if c > 0 {
                line.push_str("  ");
            }
            if left_aligned {
                let _ = write!(line, "{cell:<w$}", w = width[c]);
            } else {
                let _ = write!(line, "{cell:>w$}", w = width[c]);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
        if i == 0 {
            let total: usize = width.iter().sum::<usize>() + 2 * cols.saturating_sub(1);
            out.push_str(&"-".repeat(total));
            out.push('\n');
        }
    }
    out
}

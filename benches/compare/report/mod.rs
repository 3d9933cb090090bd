//! Everything derived from the results: ratios, the text table, the JSON
//! file and the SVG chart.

pub mod json;
pub mod svg;
pub mod table;

use std::io;
use std::path::{Path, PathBuf};

use crate::cli::Options;
use crate::harness::WorkloadResult;
use crate::machine::Machine;
use crate::peers::Peer;
use crate::stats::Summary;
use crate::workloads::Metric;

pub struct Report<'a> {
    pub machine: Machine,
    pub opts: &'a Options,
    pub spin_iters_per_us: u64,
    pub results: &'a [WorkloadResult<'a>],
}

impl Report<'_> {
    /// Writes `report.json` and `report.svg` into `dir` (created if needed).
    pub fn write_files(&self, dir: &Path) -> io::Result<(PathBuf, PathBuf)> {
        std::fs::create_dir_all(dir)?;
        let json_path = dir.join("report.json");
        let svg_path = dir.join("report.svg");
        let json = serde_json::to_string_pretty(&json::render(self))
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        std::fs::write(&json_path, json + "\n")?;
        std::fs::write(&svg_path, svg::render(self))?;
        Ok((json_path, svg_path))
    }

    /// "full sizes" or "quick sizes (1/10)".
    pub fn sizes_label(&self) -> &'static str {
        if self.opts.quick {
            "quick sizes (1/10)"
        } else {
            "full sizes"
        }
    }
}

/// `<target dir>/evloop-bench`: `$CARGO_TARGET_DIR`, else `target` under the
/// package root.
pub fn output_dir() -> PathBuf {
    let target = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => {
            let root = std::env::var_os("CARGO_MANIFEST_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
            root.join("target")
        }
    };
    target.join("evloop-bench")
}

/// evloop's advantage over `other`, oriented so that > 1 means evloop is
/// better: `other / evloop` for times, `evloop / other` for throughputs.
pub fn advantage(metric: &Metric, evloop: &Summary, other: &Summary) -> f64 {
    if metric.higher_is_better() {
        evloop.median / other.median
    } else {
        other.median / evloop.median
    }
}

/// The peer every chart bar is normalized to: tokio, or the first peer with
/// samples when tokio has none.
pub fn reference(result: &WorkloadResult<'_>) -> Option<(Peer, Summary)> {
    std::iter::once(Peer::Tokio)
        .chain(Peer::ALL)
        .find_map(|p| result.peer(p).summary().map(|s| (p, s)))
}

/// Performance of `value` relative to `reference`, > 1 meaning better.
pub fn relative(metric: &Metric, value: f64, reference: f64) -> f64 {
    if metric.higher_is_better() {
        value / reference
    } else {
        reference / value
    }
}

/// A number with about three significant digits.
pub fn num(v: f64) -> String {
    let a = v.abs();
    if a >= 1000.0 {
        format!("{v:.0}")
    } else if a >= 100.0 {
        format!("{v:.1}")
    } else if a >= 10.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

/// An integer with thousands separators: `100,000`.
pub fn count(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

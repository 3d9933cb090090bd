//! `report.svg`: one group of horizontal bars per workload, one bar per
//! peer, normalized per workload to the reference peer (tokio = 1.0) and
//! oriented so that longer is better. Whiskers span the min–max of the runs.
//! The axis ends at [`AXIS_CAP`] at most, so that one lopsided row (timer
//! lateness of a peer with finer timers, say) does not flatten all others;
//! bars beyond it are cut at the end of the axis and marked `»`, with their
//! true value as the label.

use std::fmt::Write;

use super::{count, reference, relative, Report};
use crate::peers::Peer;

const WIDTH: f64 = 1080.0;
const LEFT: f64 = 310.0; // room for workload labels (the longest subtitle is ~300 px)
/// The largest relative value the axis shows.
const AXIS_CAP: f64 = 5.0;
const RIGHT: f64 = 90.0; // room for value labels
const TOP: f64 = 112.0; // title, subtitles, legend
const BAR: f64 = 16.0;
const BAR_GAP: f64 = 4.0;
const GROUP_GAP: f64 = 22.0;
const AXIS: f64 = 64.0; // tick labels and axis title

/// One bar: relative performance and its whisker, or why it is missing.
enum Bar {
    Value { rel: f64, lo: f64, hi: f64 },
    Missing(&'static str),
}

/// The bars of one workload, with its two label lines.
struct Group {
    name: String,
    sub: String,
    bars: Vec<(Peer, Bar)>,
}

pub fn render(r: &Report<'_>) -> String {
    // Relative values per workload and peer.
    let groups: Vec<Group> = r
        .results
        .iter()
        .map(|res| {
            let w = res.workload;
            let reference = reference(res);
            let bars = Peer::ALL
                .iter()
                .map(|&p| {
                    let pr = res.peer(p);
                    let bar = match (pr.summary(), reference) {
                        (Some(s), Some((_, base))) => {
                            let a = relative(&res.metric, s.min, base.median);
                            let b = relative(&res.metric, s.max, base.median);
                            Bar::Value {
                                rel: relative(&res.metric, s.median, base.median),
                                lo: a.min(b),
                                hi: a.max(b),
                            }
                        }
                        _ => Bar::Missing(pr.missing.unwrap_or("no samples")),
                    };
                    (p, bar)
                })
                .collect();
            let sub = format!(
                "{} {}, {}, {} is better",
                count(res.size),
                plural(w.item, res.size),
                res.metric.unit(),
                if res.metric.higher_is_better() {
                    "higher"
                } else {
                    "lower"
                }
            );
            let name = match reference {
                Some((p, _)) if p != Peer::Tokio => format!("{} (vs {})", res.name, p.name()),
                _ => res.name.to_string(),
            };
            Group { name, sub, bars }
        })
        .collect();

    let max_value = groups
        .iter()
        .flat_map(|g| &g.bars)
        .filter_map(|(_, b)| match b {
            Bar::Value { rel, hi, .. } => Some(rel.max(*hi)),
            Bar::Missing(_) => None,
        })
        .fold(1.0f64, f64::max)
        .min(AXIS_CAP);
    let step = [0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0]
        .into_iter()
        .find(|s| max_value / s <= 8.0)
        .unwrap_or(100.0);
    let x_max = ((max_value * 1.05 / step).ceil() * step).max(1.5);

    let plot_w = WIDTH - LEFT - RIGHT;
    let x = |v: f64| LEFT + v.clamp(0.0, x_max) / x_max * plot_w;
    let group_h = |n: usize| n as f64 * (BAR + BAR_GAP) - BAR_GAP;
    let plot_h: f64 = groups
        .iter()
        .map(|g| group_h(g.bars.len()) + GROUP_GAP)
        .sum::<f64>()
        + GROUP_GAP;
    let height = TOP + plot_h + AXIS;

    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(
        s,
        r#"<rect x="0" y="0" width="{WIDTH}" height="{height}" fill="white"/>"#
    );

    // Title and subtitle.
    let _ = writeln!(
        s,
        r#"<text x="{LEFT}" y="24" font-size="16" font-weight="bold">{}</text>"#,
        esc("evloop vs tokio vs smol: relative performance per workload")
    );
    let _ = writeln!(
        s,
        r##"<text x="{LEFT}" y="44" fill="#444">{}</text>"##,
        esc(&format!(
            "{} worker thread(s), median of {} run(s) after 1 warm-up, {}",
            r.opts.workers,
            r.opts.runs,
            r.sizes_label(),
        ))
    );
    let _ = writeln!(
        s,
        r##"<text x="{LEFT}" y="60" fill="#444">{}</text>"##,
        esc(&format!("{}; {}", r.machine.summary(), r.machine.date_utc))
    );

    // Legend.
    let mut lx = LEFT;
    for &p in &Peer::ALL {
        let _ = writeln!(
            s,
            r#"<rect x="{lx}" y="76" width="14" height="14" fill="{}"/><text x="{}" y="88">{}</text>"#,
            p.colour(),
            lx + 20.0,
            esc(p.name())
        );
        lx += 90.0;
    }
    let _ = writeln!(
        s,
        r##"<text x="{lx}" y="88" fill="#444">{}</text>"##,
        esc("bar = median, whisker = min–max of the runs")
    );

    // Grid and ticks.
    let plot_top = TOP;
    let plot_bottom = TOP + plot_h;
    let mut t = 0.0;
    while t <= x_max + 1e-9 {
        let gx = x(t);
        let _ = writeln!(
            s,
            r##"<line x1="{gx:.1}" y1="{plot_top}" x2="{gx:.1}" y2="{plot_bottom}" stroke="#e4e4e4"/>"##
        );
        let _ = writeln!(
            s,
            r#"<text x="{gx:.1}" y="{}" text-anchor="middle">{}</text>"#,
            plot_bottom + 16.0,
            trim_float(t)
        );
        t += step;
    }

    // Bars.
    let mut y = TOP + GROUP_GAP;
    for Group { name, sub, bars } in &groups {
        let gh = group_h(bars.len());
        let _ = writeln!(
            s,
            r#"<text x="{}" y="{:.1}" text-anchor="end" font-weight="bold">{}</text>"#,
            LEFT - 10.0,
            y + gh / 2.0 - 2.0,
            esc(name)
        );
        let _ = writeln!(
            s,
            r##"<text x="{}" y="{:.1}" text-anchor="end" font-size="10" fill="#555">{}</text>"##,
            LEFT - 10.0,
            y + gh / 2.0 + 11.0,
            esc(sub)
        );
        for (p, bar) in bars {
            let cy = y + BAR / 2.0;
            match bar {
                Bar::Value { rel, lo, hi } => {
                    let _ = writeln!(
                        s,
                        r#"<rect x="{LEFT}" y="{y:.1}" width="{:.1}" height="{BAR}" fill="{}"><title>{}: {:.3}</title></rect>"#,
                        x(*rel) - LEFT,
                        p.colour(),
                        esc(p.name()),
                        rel
                    );
                    let (x1, x2) = (x(*lo), x(*hi));
                    let _ = writeln!(
                        s,
                        r##"<path d="M{x1:.1},{cy:.1}H{x2:.1}M{x1:.1},{:.1}V{:.1}M{x2:.1},{:.1}V{:.1}" stroke="#222" fill="none"/>"##,
                        cy - 4.0,
                        cy + 4.0,
                        cy - 4.0,
                        cy + 4.0
                    );
                    let off_scale = *rel > x_max || *hi > x_max;
                    if off_scale {
                        // A break mark across the end of the bar.
                        let bx = x(x_max) - 8.0;
                        let _ = writeln!(
                            s,
                            r##"<path d="M{:.1},{:.1}L{:.1},{:.1}M{:.1},{:.1}L{:.1},{:.1}" stroke="white" stroke-width="2"/>"##,
                            bx - 3.0,
                            y + BAR,
                            bx + 1.0,
                            y,
                            bx + 2.0,
                            y + BAR,
                            bx + 6.0,
                            y,
                        );
                    }
                    let _ = writeln!(
                        s,
                        r#"<text x="{:.1}" y="{:.1}">{}×{}</text>"#,
                        x(rel.max(*hi)) + 6.0,
                        cy + 4.0,
                        format_args!("{rel:.2}"),
                        if off_scale { " »" } else { "" }
                    );
                }
                Bar::Missing(why) => {
                    let _ = writeln!(
                        s,
                        r##"<text x="{}" y="{:.1}" fill="#888" font-style="italic">{} n/a ({})</text>"##,
                        LEFT + 6.0,
                        cy + 4.0,
                        esc(p.name()),
                        esc(why)
                    );
                }
            }
            y += BAR + BAR_GAP;
        }
        y += GROUP_GAP - BAR_GAP;
    }

    // Reference line at 1.0 and the axes.
    let one = x(1.0);
    let _ = writeln!(
        s,
        r##"<line x1="{one:.1}" y1="{plot_top}" x2="{one:.1}" y2="{plot_bottom}" stroke="#1b9e77" stroke-dasharray="5,4"/>"##
    );
    let _ = writeln!(
        s,
        r##"<line x1="{LEFT}" y1="{plot_top}" x2="{LEFT}" y2="{plot_bottom}" stroke="#222"/>"##
    );
    let _ = writeln!(
        s,
        r##"<line x1="{LEFT}" y1="{plot_bottom}" x2="{}" y2="{plot_bottom}" stroke="#222"/>"##,
        LEFT + plot_w
    );
    let _ = writeln!(
        s,
        r#"<text x="{:.1}" y="{}" text-anchor="middle">{}</text>"#,
        LEFT + plot_w / 2.0,
        plot_bottom + 38.0,
        esc("relative performance, tokio = 1.0 (longer is better)")
    );
    let _ = writeln!(
        s,
        r##"<text x="{:.1}" y="{}" text-anchor="middle" font-size="10" fill="#555">{}</text>"##,
        LEFT + plot_w / 2.0,
        plot_bottom + 54.0,
        esc(&format!("lower-is-better rows (times, latencies, bytes): tokio median / peer; higher-is-better rows: peer / tokio median; » = beyond {AXIS_CAP}×, cut"))
    );
    let _ = writeln!(
        s,
        r##"<text x="{}" y="{:.1}" text-anchor="end" font-size="11" fill="#555">{}</text>"##,
        LEFT - 10.0,
        plot_top + 12.0,
        esc("workload")
    );
    s.push_str("</svg>\n");
    s
}

fn plural(item: &str, n: usize) -> String {
    if n == 1 {
        item.to_string()
    } else {
        format!("{item}s")
    }
}

/// `1`, `1.5`, `0.25`: a tick label without trailing zeros.
fn trim_float(v: f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Escapes text for XML.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

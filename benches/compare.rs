//! Side-by-side benchmark: evloop against tokio and smol.
//!
//! Run it with `cargo bench --bench compare` (full sizes) or
//! `cargo bench --bench compare -- --quick` (every workload at a tenth of its
//! size, for smoke tests in CI).
//!
//! # Protocol
//!
//! **Peers.** Every runtime is configured the way its users configure it:
//!
//! * evloop: `evloop::runtime::Builder::new_multi_thread().worker_threads(N).build()`
//!   (`new_current_thread()` when `--workers 1`), driven with
//!   `Runtime::block_on`, tasks spawned with `evloop::spawn` (from inside) or
//!   `Runtime::spawn` (from outside), blocking work with
//!   `evloop::task::spawn_blocking`.
//! * tokio: `Builder::new_multi_thread().worker_threads(N).enable_all()`
//!   (`new_current_thread()` when `--workers 1`), `block_on`, `tokio::spawn`.
//! * smol: one `async_executor::Executor` run by N threads, each inside
//!   `async_io::block_on(executor.run(shutdown_signal))`; the calling thread
//!   drives the `block_on` future itself, as tokio's does. With `--workers 1`
//!   no extra thread is started and the caller runs the executor. smol's
//!   blocking pool is the `blocking` crate.
//!
//! Timers, TCP and files use each peer's own API: `evloop::time`,
//! `evloop::net`, `evloop::fs`; `tokio::time`, `tokio::net`, `tokio::fs`;
//! `async_io::Timer` (a timeout races the future against a timer with
//! `futures_lite::FutureExt::or`), `async_net`, and `std::fs::read` on the
//! `blocking` pool (what `async-fs` does) for smol. evloop and smol streams
//! are driven through the `futures-io` traits, tokio's through its own.
//! `http_hello` serves hyper 1.x on each peer's streams, through hyper-util's
//! `TokioIo` for tokio and `evloop::compat::hyper::HyperIo` (trait glue over
//! any `futures-io` stream, what an evloop user writes) for both evloop and
//! smol; its load generator is a set of plain threads
//! with blocking sockets, outside every runtime.
//!
//! **Workloads.** Each workload is written once, as a function generic over the
//! [`rt::Runtime`] trait, so every peer runs the very same code. Channels used
//! inside workloads come from the runtime-neutral [`chan`] module, and CPU work
//! is a calibrated spin loop ([`spin`]) shared by all peers (`fan_out_in`
//! spins 1 µs per task; `spawn_blocking` spins, rather than sleeps, 10 µs per
//! closure). Sizes are fixed so results stay comparable over time. The list
//! of workloads (`--list` prints it) lives in [`workloads::all`]: scheduler
//! (1-6, 13), timers (7-8), TCP on loopback (9-10), HTTP (11), files (12)
//! and memory (14). Some workloads report extra rows next to their primary one
//! (`timers_lateness`, `tcp_echo_p50`, `tcp_echo_p99`, `http_hello_p99`), each with its own
//! unit and direction; `idle_tasks` reports RSS growth per task (from
//! `/proc/self/statm`, so Linux only), each sample measured around its own
//! spawns in a fresh child process of this binary, peer after peer (see
//! `workloads/mem.rs` for why not in this process).
//!
//! **Measuring.** For each workload: one warm-up round, then `--runs` measured
//! rounds (default 5). A round runs every peer once, interleaved in the fixed
//! order evloop, tokio, smol, so slow drifts of the machine hit all peers
//! alike. Each sample builds a fresh runtime, settles it (a few tasks on every
//! worker, then 2 ms idle), times the workload, then drops the runtime, so
//! that no thread of one peer is still alive while the next one is measured;
//! only the workload is timed. The report gives the median and the
//! min–max range per peer, and the ratio of evloop to each peer.
//!
//! **Ratios.** Every ratio column is oriented so that a value above 1 means
//! evloop is better: for lower-is-better rows (times, latencies, bytes) it is
//! `peer / evloop` (for times, the speedup); for higher-is-better rows
//! (throughputs) it is `evloop / peer`.
//!
//! **Baseline.** Next to `spawn_local`, the harness measures the bare cost of
//! boxing a small future and pushing it into a `concurrent_queue::ConcurrentQueue`
//! (then, separately, popping, polling and dropping it), reported in ns per task.
//!
//! **Output.** A plain-text table on stdout (progress goes to stderr), plus
//! `report.json` and `report.svg` under `<target dir>/evloop-bench/`, where the
//! target dir is `$CARGO_TARGET_DIR` or `target` under the package root.
//!
//! # Options (after `--`)
//!
//! * `--quick`: every workload at a tenth of its size.
//! * `--only NAME[,NAME]`: run only these workloads (bare names work too).
//! * `--workers N`: worker threads per runtime (default 2; 1 selects the
//!   single-threaded flavour of each peer).
//! * `--runs N`: measured rounds per workload (default 5).
//! * `--peer NAME[,NAME]`: run only these peers (the others read "n/a").
//! * `--list`: print the workloads and exit.
//!
//! # System calls
//!
//! `benches/syscalls.sh` runs `tcp_echo` (quick size, one measured run) for
//! each peer alone under `strace -c -f` and prints the system calls per round
//! trip, against the floor of one `read` and one `write` per message per
//! side.

// The crate root sits in `benches/`, so its modules name their files.
#[path = "compare/baseline.rs"]
mod baseline;
#[path = "compare/chan.rs"]
mod chan;
#[path = "compare/cli.rs"]
mod cli;
#[path = "compare/harness.rs"]
mod harness;
#[path = "compare/machine.rs"]
mod machine;
#[path = "compare/peers/mod.rs"]
mod peers;
#[path = "compare/report/mod.rs"]
mod report;
#[path = "compare/rt.rs"]
mod rt;
#[path = "compare/spin.rs"]
mod spin;
#[path = "compare/stats.rs"]
mod stats;
#[path = "compare/workloads/mod.rs"]
mod workloads;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some(workloads::mem::CHILD_FLAG) {
        return workloads::mem::child_main(&args[1..]);
    }
    let opts = match cli::Options::parse(args) {
        Ok(cli::Parsed::Run(opts)) => opts,
        Ok(cli::Parsed::Help) => {
            println!("{}", cli::USAGE);
            return ExitCode::SUCCESS;
        }
        Ok(cli::Parsed::List) => {
            for w in workloads::all() {
                let size = report::count(w.size);
                println!(
                    "{:>3}  {:<16} {size:>9}  {:<13} {}",
                    w.id, w.name, w.item, w.about
                );
                for e in w.extras {
                    println!(
                        "{:>3}  {:<16} {:>9}  {:<13} {}",
                        "", e.name, "", "", e.about
                    );
                }
            }
            return ExitCode::SUCCESS;
        }
        Err(msg) => {
            eprintln!("error: {msg}\n\n{}", cli::USAGE);
            return ExitCode::from(2);
        }
    };

    let selected = match workloads::select(&opts.only) {
        Ok(list) => list,
        Err(msg) => {
            eprintln!("error: {msg}");
            return ExitCode::from(2);
        }
    };

    if opts.runs < 5 {
        eprintln!("note: fewer than 5 measured runs; medians and ranges are less reliable");
    }

    let machine = machine::Machine::detect();
    let iters_per_us = spin::calibrate();
    eprintln!(
        "evloop-bench: {} workload(s), workers={}, runs={} (+1 warm-up){}, spin calibrated at {} iterations/us",
        selected.len(),
        opts.workers,
        opts.runs,
        if opts.quick { ", quick sizes" } else { "" },
        iters_per_us
    );

    let results = harness::run_all(&selected, &opts);
    let report = report::Report {
        machine,
        opts: &opts,
        spin_iters_per_us: iters_per_us,
        results: &results,
    };

    print!("{}", report::table::render(&report));

    let dir = report::output_dir();
    match report.write_files(&dir) {
        Ok((json, svg)) => {
            println!();
            println!("wrote {}", json.display());
            println!("wrote {}", svg.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: cannot write report under {}: {e}", dir.display());
            ExitCode::FAILURE
        }
    }
}

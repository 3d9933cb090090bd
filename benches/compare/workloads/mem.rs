//! Memory workload: what an idle task costs.
//!
//! Resident set size (RSS) is per process. Each sample measures one peer
//! around its own spawns: the runtime is built and settled, RSS is read, the
//! tasks are spawned and left parked, RSS is read again, and the runtime
//! (with its tasks) is dropped before the next peer runs. Before each reading
//! the allocator is asked to return its free memory to the system (glibc's
//! `malloc_trim`, where the target uses glibc).
//!
//! Each sample runs in a fresh child process (this same benchmark binary,
//! started with [`CHILD_FLAG`]), still one peer after the other. In one
//! long-lived process the delta is not trustworthy: memory an earlier sample
//! freed stays resident in the allocator (glibc trims the top of its
//! per-thread heaps only above a threshold that large frees raise to tens of
//! MiB, and `malloc_trim` does not reach those tops), so a later peer reuses
//! it without growing RSS. Measured in one process after the other peers,
//! smol's 100,000 tasks came to 16 bytes each; alone, to 113.
//! RSS comes from `/proc/self/statm`; elsewhere the row reads "n/a".

use std::future::Future;
use std::pin::Pin;
use std::process::{Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use super::{in_task, settle, Sample};
use crate::peers::{EvloopRt, Peer, SmolRt, TokioRt};
use crate::rt::Runtime;

/// First argument of the child process that measures one `idle_tasks`
/// sample: `CHILD_FLAG PEER WORKERS TASKS`.
pub const CHILD_FLAG: &str = "--idle-tasks-child";

/// A task body that never completes: on its first poll it keeps a clone of
/// its waker (as a task waiting on an event would) and reports that it
/// parked; it is never woken.
struct Park {
    parked: Option<Arc<AtomicUsize>>,
    waker: Option<Waker>,
}

impl Future for Park {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        if this.waker.is_none() {
            this.waker = Some(cx.waker().clone());
        }
        if let Some(parked) = this.parked.take() {
            parked.fetch_add(1, Ordering::Release);
        }
        Poll::Pending
    }
}

/// 14: `n` tasks spawned (detached) from a root task, each parked on a
/// [`Park`] future; once all have been polled, the primary value is the
/// growth of RSS divided by `n`, in bytes per task. Measured in a child
/// process with a runtime of its own (see the module documentation); the
/// runtime the harness built for this sample stays idle meanwhile.
pub fn idle_tasks<R: Runtime>(rt: &R, n: usize) -> Option<Sample> {
    rss_bytes()?;
    let exe = std::env::current_exe().expect("path of this benchmark binary");
    let out = Command::new(exe)
        .args([
            CHILD_FLAG.to_string(),
            R::NAME.to_string(),
            rt.workers().to_string(),
            n.to_string(),
        ])
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .expect("start the idle_tasks child process");
    assert!(
        out.status.success(),
        "idle_tasks child failed: {}",
        out.status
    );
    let line = String::from_utf8_lossy(&out.stdout);
    let mut fields = line.split_whitespace();
    let mut next = || -> f64 {
        fields
            .next()
            .and_then(|f| f.parse().ok())
            .expect("idle_tasks child prints `BYTES_PER_TASK ELAPSED_NS`")
    };
    let (per_task, elapsed_ns) = (next(), next());
    Some(Sample {
        elapsed: Duration::from_nanos(elapsed_ns as u64),
        value: Some(per_task),
        extras: Vec::new(),
    })
}

/// The child process's `main`: measures one sample with a fresh runtime and
/// prints `BYTES_PER_TASK ELAPSED_NS` on stdout.
pub fn child_main(args: &[String]) -> ExitCode {
    let parsed = match args {
        [peer, workers, n] => Peer::ALL
            .into_iter()
            .find(|p| p.name() == peer)
            .zip(workers.parse::<usize>().ok())
            .zip(n.parse::<usize>().ok()),
        _ => None,
    };
    let Some(((peer, workers), n)) = parsed else {
        eprintln!("usage: {CHILD_FLAG} PEER WORKERS TASKS");
        return ExitCode::from(2);
    };
    fn run<R: Runtime>(workers: usize, n: usize) -> Option<(f64, Duration)> {
        let rt = R::new(workers);
        settle(&rt, workers);
        let measured = measure_here(&rt, n);
        drop(rt);
        measured
    }
    let measured = match peer {
        Peer::Evloop => run::<EvloopRt>(workers, n),
        Peer::Tokio => run::<TokioRt>(workers, n),
        Peer::Smol => run::<SmolRt>(workers, n),
    };
    match measured {
        Some((per_task, elapsed)) => {
            println!("{per_task} {}", elapsed.as_nanos());
            ExitCode::SUCCESS
        }
        None => {
            eprintln!("cannot read the resident set size here");
            ExitCode::FAILURE
        }
    }
}

/// Spawns the parked tasks in this process and returns the RSS growth per
/// task, and the time from the first spawn to the last task parked.
fn measure_here<R: Runtime>(rt: &R, n: usize) -> Option<(f64, Duration)> {
    release_free_memory();
    let before = rss_bytes()?;
    let parked = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    in_task(rt, async move {
        for _ in 0..n {
            R::spawn_detached(Park {
                parked: Some(parked.clone()),
                waker: None,
            });
        }
        while parked.load(Ordering::Acquire) < n {
            R::sleep(Duration::from_millis(1)).await;
        }
    });
    let elapsed = start.elapsed();
    release_free_memory();
    let after = rss_bytes()?;
    Some((after.saturating_sub(before) as f64 / n as f64, elapsed))
}

/// The resident set size of this process in bytes, from `/proc/self/statm`
/// (its second field, in pages); `None` where there is no such file.
pub fn rss_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * page_size())
}

/// The page size, from the auxiliary vector the kernel handed this process
/// (`AT_PAGESZ` in `/proc/self/auxv`); 4 KiB if it cannot be read.
fn page_size() -> u64 {
    const AT_PAGESZ: usize = 6;
    const WORD: usize = std::mem::size_of::<usize>();
    let Ok(auxv) = std::fs::read("/proc/self/auxv") else {
        return 4096;
    };
    auxv.chunks_exact(2 * WORD)
        .map(|pair| {
            let word = |b: &[u8]| usize::from_ne_bytes(b.try_into().expect("one word"));
            (word(&pair[..WORD]), word(&pair[WORD..]))
        })
        .find(|&(key, _)| key == AT_PAGESZ)
        .map_or(4096, |(_, value)| value as u64)
}

/// Returns the allocator's free memory to the system, where the allocator
/// supports it (glibc); a no-op elsewhere.
fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        extern "C" {
            fn malloc_trim(pad: usize) -> std::os::raw::c_int;
        }
        // SAFETY: `malloc_trim` only releases free memory held by glibc's
        // allocator, which is the allocator of this program; it takes no
        // pointers and may be called at any time from any thread.
        unsafe {
            malloc_trim(0);
        }
    }
}

//! File-system workloads: many small files, one large file.
//!
//! The files are written once per workload and size, into a temporary
//! directory, before the first sample of the workload (outside every timed
//! section), kept for all of its rounds and removed after its last one (see
//! [`release_fixtures`]). So every peer reads the same files, and after the
//! warm-up round they are in the page cache: the workloads measure the
//! runtimes' file paths (hand-off to a blocking pool, copying, waking the
//! task), not the disk.
//!
//! `fs_large` reads into a fresh `Vec` of the file's size, so it also
//! measures that allocation: at the full size (256 MiB) it is always a new
//! mapping from the kernel, faulted in page by page as the read fills it. At
//! the quick size (25.6 MiB) it is below glibc's largest dynamic mmap
//! threshold (32 MiB), so whether it is a new mapping or memory the allocator
//! kept from earlier depends on what ran before: quick `fs_large` times are
//! bimodal (about 5 ms or 20 ms on a 2-core test machine) for every peer.

use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use super::{in_task, timed_in_task, Sample};
use crate::rt::Runtime;

/// Bytes per file in `fs_small`.
const SMALL_FILE: usize = 4096;
/// Tasks reading files at the same time in `fs_small`.
const SMALL_READERS: usize = 64;

/// Files written for one workload and size.
struct Fixture {
    workload: &'static str,
    size: usize,
    paths: Arc<Vec<PathBuf>>,
    _dir: tempfile::TempDir,
}

static FIXTURES: Mutex<Vec<Fixture>> = Mutex::new(Vec::new());

/// The files of `workload` at `size`, written by `make` into a new temporary
/// directory the first time they are asked for.
fn fixture(
    workload: &'static str,
    size: usize,
    make: impl FnOnce(&std::path::Path) -> std::io::Result<Vec<PathBuf>>,
) -> Arc<Vec<PathBuf>> {
    let mut all = FIXTURES.lock().unwrap();
    if let Some(f) = all
        .iter()
        .find(|f| f.workload == workload && f.size == size)
    {
        return f.paths.clone();
    }
    let dir = tempfile::Builder::new()
        .prefix("evloop-bench-")
        .tempdir()
        .expect("create a temporary directory");
    let paths = Arc::new(make(dir.path()).expect("write the benchmark's files"));
    all.push(Fixture {
        workload,
        size,
        paths: paths.clone(),
        _dir: dir,
    });
    paths
}

/// Removes every file the workloads wrote.
pub fn release_fixtures() {
    FIXTURES.lock().unwrap().clear();
}

/// 12: `n` files of [`SMALL_FILE`] bytes, read whole by
/// [`SMALL_READERS`] tasks at a time (task `k` reads files `k`,
/// `k + SMALL_READERS`, ... one after the other), spawned from a root task
/// and joined.
///
/// Before the clock starts, [`SMALL_READERS`] files are read at once, so
/// that every peer's blocking pool has started its threads: the runtimes are
/// built anew for every sample, and smol's pool (the `blocking` crate's) is
/// the only one that outlives them, which would otherwise give it a head
/// start of a few dozen thread starts.
pub fn fs_small<R: Runtime>(rt: &R, n: usize) -> Option<Sample> {
    let paths = fixture("fs_small", n, |dir| {
        (0..n)
            .map(|i| {
                let path = dir.join(format!("{i:05}.bin"));
                let byte = (i % 251) as u8;
                std::fs::write(&path, vec![byte; SMALL_FILE])?;
                Ok(path)
            })
            .collect()
    });
    let warm = paths.clone();
    in_task(rt, async move {
        let reads: Vec<_> = warm
            .iter()
            .take(SMALL_READERS)
            .map(|path| R::spawn(R::read_file(path.clone())))
            .collect();
        for r in reads {
            r.await.expect("read file");
        }
    });
    let (elapsed, read) = timed_in_task(rt, async move {
        let readers: Vec<_> = (0..SMALL_READERS.min(n))
            .map(|k| {
                let paths = paths.clone();
                R::spawn(async move {
                    let mut read = 0;
                    for path in paths.iter().skip(k).step_by(SMALL_READERS) {
                        read += R::read_file(path.clone()).await.expect("read file").len();
                    }
                    read
                })
            })
            .collect();
        let mut read = 0;
        for r in readers {
            read += r.await;
        }
        read
    });
    assert_eq!(read, n * SMALL_FILE, "short reads");
    Some(Sample::timed(elapsed))
}

/// 12: one file of `kib` KiB, read whole into memory by one task.
pub fn fs_large<R: Runtime>(rt: &R, kib: usize) -> Option<Sample> {
    let bytes = kib * 1024;
    let paths = fixture("fs_large", kib, |dir| {
        let path = dir.join("large.bin");
        let mut file = std::fs::File::create(&path)?;
        let block: Vec<u8> = (0..1024 * 1024).map(|i| (i % 253) as u8).collect();
        let mut left = bytes;
        while left > 0 {
            let k = left.min(block.len());
            file.write_all(&block[..k])?;
            left -= k;
        }
        file.sync_all()?;
        Ok(vec![path])
    });
    let path = paths[0].clone();
    let (elapsed, len) = timed_in_task(rt, async move {
        R::read_file(path).await.expect("read file").len()
    });
    assert_eq!(len, bytes, "short read");
    Some(Sample::timed(elapsed))
}

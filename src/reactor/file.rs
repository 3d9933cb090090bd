//! Platform help for the file system calls that run on the blocking pool.

use std::io;
use std::path::Path;

/// Hands a job to another thread of the blocking pool, where it runs later, or never (at
/// shutdown); the caller must not depend on it running.
pub(crate) type SpawnHelper<'a> = &'a dyn Fn(Box<dyn FnOnce() + Send>);

/// `std::fs::read`, with the same system calls for a small file (`open`, `statx`, the reads,
/// `close`). On Linux, the buffer for a large file has its pages faulted in by `madvise`
/// before the reads fill it, instead of one page fault per page as the copy reaches it; and a
/// file of at least [`PARALLEL_MIN`] bytes is read in [`PIECE`]-byte pieces by this thread and
/// up to [`MAX_HELPERS`] jobs given to `spawn_helper`, with `pread`, each piece faulted in and
/// copied by the thread that claimed it (the copy from the page cache is most of the time).
///
/// Measured on 2 cores reading a 256 MiB file from the page cache: one thread, with the pages
/// faulted in up front, took 110 ms where `std::fs::read` took 118 ms; in a later, noisier run,
/// two threads in pieces took 86 ms where one thread took 130 ms.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(crate) fn read_whole(path: &Path, spawn_helper: SpawnHelper<'_>) -> io::Result<Vec<u8>> {
    use rustix::io::Errno;

    /// Files at least this large get their buffer faulted in up front.
    const PREFAULT_MIN: usize = 1 << 20;

    let out_of_memory = |_| io::Error::from(io::ErrorKind::OutOfMemory);
    let file = std::fs::File::open(path)?;
    // As std: a file whose size cannot be read is read without a size hint.
    let hint = file
        .metadata()
        .ok()
        .and_then(|m| usize::try_from(m.len()).ok())
        .unwrap_or(0);
    let mut buf: Vec<u8> = Vec::new();
    buf.try_reserve_exact(hint).map_err(out_of_memory)?;
    if hint >= PARALLEL_MIN {
        parallel::read_into(&file, &mut buf, hint, spawn_helper)?;
    }
    if buf.is_empty() && hint >= PREFAULT_MIN {
        // This thread reads it alone, below: a file too small for pieces, or no core to spare
        // for helpers, or one found shorter than its size said.
        prefault(buf.spare_capacity_mut());
    }
    loop {
        if buf.len() == buf.capacity() {
            // Full: at the end of the file (the common case, answered by a read of 0 into a
            // small probe, as std does), or the file is larger than it said.
            let mut probe = [0u8; 32];
            match rustix::io::read(&file, &mut probe) {
                Ok(0) => return Ok(buf),
                Ok(n) => {
                    buf.try_reserve(n.max(8 * 1024)).map_err(out_of_memory)?;
                    buf.extend_from_slice(&probe[..n]);
                }
                Err(Errno::INTR) => {}
                Err(err) => return Err(err.into()),
            }
            continue;
        }
        match rustix::io::read(&file, buf.spare_capacity_mut()) {
            Ok(([], _)) => return Ok(buf),
            Ok((filled, _)) => {
                let n = filled.len();
                let len = buf.len() + n;
                // SAFETY: `read` initialised the first `n` bytes of the spare
                // capacity, which directly follow the initialised part.
                unsafe { buf.set_len(len) };
            }
            Err(Errno::INTR) => {}
            Err(err) => return Err(err.into()),
        }
    }
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub(crate) fn read_whole(path: &Path, _spawn_helper: SpawnHelper<'_>) -> io::Result<Vec<u8>> {
    std::fs::read(path)
}

/// Files at least this large are read by more than one thread (see [`read_whole`]).
#[cfg(any(target_os = "linux", target_os = "android"))]
const PARALLEL_MIN: usize = 32 << 20;
/// The size of the pieces of a file read by more than one thread.
#[cfg(any(target_os = "linux", target_os = "android"))]
const PIECE: usize = 8 << 20;
/// At most this many jobs help to read one file.
#[cfg(any(target_os = "linux", target_os = "android"))]
const MAX_HELPERS: usize = 7;

/// Reading a file's pieces on several threads at once.
///
/// Each piece is claimed by one thread, which alone writes its part of the buffer; the reading
/// thread claims pieces too, and once none is left to claim, waits only for the pieces that
/// helpers claimed, which they are reading: a helper that never starts (the pool is busy or
/// shutting down) leaves its pieces to the others, and one that starts after the last claim
/// finds nothing to do and never touches the buffer, which may be gone by then.
#[cfg(any(target_os = "linux", target_os = "android"))]
mod parallel {
    use std::io;
    use std::mem::MaybeUninit;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Condvar, Mutex, PoisonError};

    use super::{prefault, SpawnHelper, MAX_HELPERS, PIECE};

    struct Pieces {
        /// A duplicate of the file's descriptor: it lives as long as the last helper.
        file: std::fs::File,
        /// The address of the buffer's first byte (its spare capacity, `len` bytes long).
        base: usize,
        len: usize,
        count: usize,
        /// The next piece to claim; at `count` or beyond, none is left.
        next: AtomicUsize,
        progress: Mutex<Progress>,
        all_done: Condvar,
    }

    #[derive(Default)]
    struct Progress {
        finished: usize,
        /// A piece ended early: the file is shorter than its size said.
        short: bool,
        error: Option<io::Error>,
    }

    impl Pieces {
        /// Claims and reads pieces until none is left.
        fn run(&self) {
            loop {
                let index = self.next.fetch_add(1, Ordering::Relaxed);
                if index >= self.count {
                    return;
                }
                // Every claimed piece must be counted as finished, or the reading thread waits
                // forever: a panic (none is expected) becomes the read's error.
                let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    self.read_piece(index)
                }))
                .unwrap_or_else(|_| Err(io::Error::other("reading a piece of the file panicked")));
                let mut progress = self.progress.lock().unwrap_or_else(PoisonError::into_inner);
                match result {
                    Ok(true) => {}
                    Ok(false) => progress.short = true,
                    Err(err) => {
                        progress.error.get_or_insert(err);
                    }
                }
                progress.finished += 1;
                if progress.finished == self.count {
                    self.all_done.notify_all();
                }
            }
        }

        /// Reads piece `index` in full; `Ok(false)` if the file ended first.
        fn read_piece(&self, index: usize) -> io::Result<bool> {
            let start = index * PIECE;
            let len = PIECE.min(self.len - start);
            // SAFETY: `start + len <= self.len`, and the `self.len` bytes from `base` are the
            // spare capacity of the buffer that `read_into` borrows mutably and neither reads,
            // moves nor frees until every piece has finished (it waits for `finished ==
            // count`). `fetch_add` hands each index to one thread only, so this thread alone
            // touches these bytes now. `MaybeUninit` makes no claim about their contents.
            let piece = unsafe {
                std::slice::from_raw_parts_mut((self.base as *mut MaybeUninit<u8>).add(start), len)
            };
            prefault(piece);
            let mut done = 0;
            while done < len {
                match rustix::io::pread(&self.file, &mut piece[done..], (start + done) as u64) {
                    Ok(([], _)) => return Ok(false),
                    Ok((filled, _)) => done += filled.len(),
                    Err(rustix::io::Errno::INTR) => {}
                    Err(err) => return Err(err.into()),
                }
            }
            Ok(true)
        }
    }

    /// Reads the first `len` bytes of `file` into `buf` (empty, with a capacity of `len`), on
    /// this thread and helpers. On return `buf` holds them all and `file`'s offset is `len`,
    /// or, if the file turned out shorter (or there is no core to spare for helpers), `buf` is
    /// still empty and the offset 0, for the caller to read it from the start.
    pub(super) fn read_into(
        file: &std::fs::File,
        buf: &mut Vec<u8>,
        len: usize,
        spawn_helper: SpawnHelper<'_>,
    ) -> io::Result<()> {
        debug_assert!(buf.is_empty() && buf.capacity() >= len);
        let count = len.div_ceil(PIECE);
        let threads = std::thread::available_parallelism().map_or(1, usize::from);
        let helpers = (count - 1).min(threads - 1).min(MAX_HELPERS);
        if helpers == 0 {
            // One core: the caller reads it alone.
            return Ok(());
        }
        let pieces = Arc::new(Pieces {
            file: file.try_clone()?,
            base: buf.spare_capacity_mut().as_mut_ptr() as usize,
            len,
            count,
            next: AtomicUsize::new(0),
            progress: Mutex::new(Progress::default()),
            all_done: Condvar::new(),
        });
        for _ in 0..helpers {
            let pieces = pieces.clone();
            spawn_helper(Box::new(move || pieces.run()));
        }
        pieces.run();
        let progress = {
            let progress = pieces
                .progress
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let mut progress = pieces
                .all_done
                .wait_while(progress, |p| p.finished < count)
                .unwrap_or_else(PoisonError::into_inner);
            std::mem::take(&mut *progress)
        };
        // From here on no other thread touches the buffer.
        if let Some(err) = progress.error {
            return Err(err);
        }
        if progress.short {
            // The file shrank since its size was read: the caller reads it from the start.
            return Ok(());
        }
        // SAFETY: every piece was read in full, so the first `len` bytes are initialised.
        unsafe { buf.set_len(len) };
        rustix::fs::seek(file, rustix::fs::SeekFrom::Start(len as u64))?;
        Ok(())
    }
}

/// Faults in the pages of `buf` at once (`MADV_POPULATE_WRITE`, Linux 5.14). Only a speed-up:
/// where the kernel does not support it, the pages fault in as they are written, as they would
/// have anyway.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn prefault(buf: &mut [std::mem::MaybeUninit<u8>]) {
    const PAGE: usize = 4096;
    let start = buf.as_mut_ptr() as usize;
    let end = start + buf.len();
    // The whole pages inside `buf`.
    let first = start.next_multiple_of(PAGE);
    let last = end - end % PAGE;
    if first < last {
        // SAFETY: the range lies inside `buf`, which this function borrows mutably, so
        // nothing else reads or writes it. `MADV_POPULATE_WRITE` only maps the pages
        // writable, as a write would; it changes no byte of them and no mapping's protection
        // or lifetime.
        let _ = unsafe {
            rustix::mm::madvise(
                buf.as_mut_ptr().cast::<u8>().add(first - start).cast(),
                last - first,
                rustix::mm::Advice::LinuxPopulateWrite,
            )
        };
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    fn temp_file(name: &str, contents: &[u8]) -> tempfile::TempPath {
        let mut file = tempfile::Builder::new().prefix(name).tempfile().unwrap();
        std::io::Write::write_all(&mut file, contents).unwrap();
        file.into_temp_path()
    }

    #[test]
    fn reads_files_of_every_size_whole() {
        // Empty, small, and large enough to be faulted in up front (not a whole number of
        // pages, so the buffer ends inside a page).
        for len in [0, 1, 4096, 100_000, 3 * (1 << 20) + 123] {
            let contents: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            let path = temp_file("evloop-read-whole-", &contents);
            let read = read_whole(&path, &|_| {}).unwrap();
            assert_eq!(read.len(), len);
            assert!(read == contents, "contents of a {len}-byte file");
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn reads_files_that_report_no_size() {
        // Files under /proc report a size of 0 but have contents.
        let path = Path::new("/proc/self/cmdline");
        assert_eq!(std::fs::metadata(path).unwrap().len(), 0);
        let read = read_whole(path, &|_| {}).unwrap();
        assert!(!read.is_empty());
        assert_eq!(read, std::fs::read(path).unwrap());
    }

    #[test]
    fn a_missing_file_is_not_found() {
        let dir = tempfile::tempdir().unwrap();
        let err = read_whole(&dir.path().join("missing"), &|_| {}).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
    }

    /// A file large enough to be read in pieces, not a whole number of them.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    fn large_contents() -> Vec<u8> {
        (0..PARALLEL_MIN + PIECE / 2 + 123)
            .map(|i| (i % 251) as u8)
            .collect()
    }

    /// Helpers on their own threads; helpers that never run; helpers that run only after the
    /// read returned (they must find nothing left to do): the same bytes every time.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    #[test]
    fn reads_large_files_in_pieces_whatever_the_helpers_do() {
        use std::sync::Mutex;

        let contents = large_contents();
        let path = temp_file("evloop-read-pieces-", &contents);

        let threads = Mutex::new(Vec::new());
        let read = read_whole(&path, &|job| {
            threads.lock().unwrap().push(std::thread::spawn(job));
        })
        .unwrap();
        assert!(read == contents, "read with helper threads");
        for thread in threads.into_inner().unwrap() {
            thread.join().unwrap();
        }

        let read = read_whole(&path, &drop).unwrap();
        assert!(read == contents, "read with helpers that never run");

        let late = Mutex::new(Vec::new());
        let read = read_whole(&path, &|job| late.lock().unwrap().push(job)).unwrap();
        drop(read);
        for job in late.into_inner().unwrap() {
            job();
        }
    }

    /// The file shrinks or grows after its size was read (here: when the first helper is
    /// handed out, before any piece is read): the result is what the file then holds.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    #[test]
    fn reads_large_files_that_change_size_while_read() {
        use std::io::Write;
        use std::sync::Mutex;

        let contents = large_contents();
        for change in ["shrink", "grow"] {
            let path = temp_file("evloop-read-resized-", &contents);
            let expected = Mutex::new(None);
            let threads = Mutex::new(Vec::new());
            let read = read_whole(&path, &|job| {
                let mut expected = expected.lock().unwrap();
                if expected.is_none() {
                    let mut now = contents.clone();
                    if change == "shrink" {
                        now.truncate(PIECE + 5);
                        std::fs::File::options()
                            .write(true)
                            .open(&path)
                            .unwrap()
                            .set_len(now.len() as u64)
                            .unwrap();
                    } else {
                        let more = [7u8; 1000];
                        now.extend_from_slice(&more);
                        let mut file = std::fs::File::options().append(true).open(&path).unwrap();
                        file.write_all(&more).unwrap();
                    }
                    *expected = Some(now);
                }
                threads.lock().unwrap().push(std::thread::spawn(job));
            })
            .unwrap();
            for thread in threads.into_inner().unwrap() {
                thread.join().unwrap();
            }
            let expected = expected.into_inner().unwrap();
            match expected {
                Some(expected) => assert!(read == expected, "{change}: {} bytes read", read.len()),
                // One core: no helper, no change; the read is the file as written.
                None => assert!(read == contents),
            }
        }
    }
}

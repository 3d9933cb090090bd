//! Positional reads and writes (`pread`/`pwrite`), the one platform-specific part of `fs`.
//!
//! These run on a pool thread and make exactly one system call (retried if interrupted).
//!
//! - **Unix**: `std::os::unix::fs::FileExt::{read_at, write_at}`. The file's cursor does not
//!   move, and calls may run in parallel.
//! - **Windows**: `std::os::windows::fs::FileExt::{seek_read, seek_write}`, which *do* move the
//!   cursor. The cursor is saved before the call and restored after it, and a per-file lock
//!   ([`CursorLock`]) keeps positional calls on one file from interleaving their save and
//!   restore. A file opened in append mode still appends on Windows, whatever the offset.
//! - **Elsewhere**: positional I/O is reported as unsupported.

use std::fs::File as StdFile;
use std::io;

/// Serializes positional calls where they borrow the file's cursor (Windows); empty elsewhere.
#[derive(Debug, Default)]
pub(super) struct CursorLock {
    #[cfg(windows)]
    lock: std::sync::Mutex<()>,
}

/// Retries `f` while it fails with `ErrorKind::Interrupted`.
#[cfg_attr(not(any(unix, windows)), allow(dead_code))]
fn retry<T>(mut f: impl FnMut() -> io::Result<T>) -> io::Result<T> {
    loop {
        match f() {
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            other => return other,
        }
    }
}

#[cfg(unix)]
mod imp {
    use super::{retry, CursorLock, StdFile};
    use std::io;
    use std::os::unix::fs::FileExt;

    pub(in crate::fs) fn read_at(
        file: &StdFile,
        _: &CursorLock,
        buf: &mut [u8],
        offset: u64,
    ) -> io::Result<usize> {
        retry(|| file.read_at(buf, offset))
    }

    pub(in crate::fs) fn write_at(
        file: &StdFile,
        _: &CursorLock,
        buf: &[u8],
        offset: u64,
    ) -> io::Result<usize> {
        retry(|| file.write_at(buf, offset))
    }
}

#[cfg(windows)]
mod imp {
    use super::{retry, CursorLock, StdFile};
    use std::io::{self, Seek, SeekFrom};
    use std::os::windows::fs::FileExt;
    use std::sync::PoisonError;

    /// Runs `op` (a `seek_read` or `seek_write`, which leave the cursor after the bytes they
    /// moved) and puts the cursor back where it was.
    fn keeping_cursor<T>(
        file: &StdFile,
        lock: &CursorLock,
        op: impl FnOnce() -> io::Result<T>,
    ) -> io::Result<T> {
        let _guard = lock.lock.lock().unwrap_or_else(PoisonError::into_inner);
        let saved = (&mut &*file).stream_position()?;
        let result = op();
        let restored = (&mut &*file).seek(SeekFrom::Start(saved));
        let value = result?;
        restored?;
        Ok(value)
    }

    pub(in crate::fs) fn read_at(
        file: &StdFile,
        lock: &CursorLock,
        buf: &mut [u8],
        offset: u64,
    ) -> io::Result<usize> {
        keeping_cursor(file, lock, || retry(|| file.seek_read(buf, offset)))
    }

    pub(in crate::fs) fn write_at(
        file: &StdFile,
        lock: &CursorLock,
        buf: &[u8],
        offset: u64,
    ) -> io::Result<usize> {
        keeping_cursor(file, lock, || retry(|| file.seek_write(buf, offset)))
    }
}

#[cfg(not(any(unix, windows)))]
mod imp {
    use super::{CursorLock, StdFile};
    use std::io;

    fn unsupported() -> io::Error {
        io::Error::new(
            io::ErrorKind::Unsupported,
            "positional file I/O is not supported on this platform",
        )
    }

    pub(in crate::fs) fn read_at(
        _: &StdFile,
        _: &CursorLock,
        _: &mut [u8],
        _: u64,
    ) -> io::Result<usize> {
        Err(unsupported())
    }

    pub(in crate::fs) fn write_at(
        _: &StdFile,
        _: &CursorLock,
        _: &[u8],
        _: u64,
    ) -> io::Result<usize> {
        Err(unsupported())
    }
}

pub(super) use imp::{read_at, write_at};

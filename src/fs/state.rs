//! The state machine behind [`File`](super::File): one operation in flight, a buffer that
//! travels to the blocking pool and back.
//!
//! A `File` is either
//!
//! - **idle**, holding its buffer, which may contain *read-ahead*: bytes read from the
//!   operating system that the caller has not taken yet; or
//! - **busy**: one operation runs on the pool and owns the buffer until it hands it back with
//!   the [`Operation`]'s outcome.
//!
//! The operations and how they use the buffer:
//!
//! | operation | started by | on the pool |
//! |---|---|---|
//! | read | `poll_read` with nothing buffered | one `read` of up to `max_buf` bytes into the buffer |
//! | write | `poll_write` | moves the cursor back over discarded read-ahead, then writes the whole buffer |
//! | seek | `poll_seek` | moves the cursor back over discarded read-ahead, then seeks |
//! | rewind | methods that need the OS cursor at the logical position | moves the cursor back over discarded read-ahead |
//!
//! Because of read-ahead the operating system's cursor can be ahead of the *logical* position
//! (what the caller has consumed) by the number of unread bytes. Whatever depends on the cursor
//! first discards the read-ahead and moves the cursor back by that count, in the same job.
//!
//! A write completes as soon as its bytes are copied into the buffer; the blocking write runs
//! afterwards. If it fails, the error is returned by the next operation that waits for it
//! (a read, write, seek or flush, or a method such as `sync_all`). Errors of operations whose
//! caller stopped waiting (an abandoned read or seek) are dropped: they changed nothing.
//!
//! Waiting for the operation in flight goes through a fan-out waker (`WakeAll`): methods taking
//! `&self` (`read_at`, `sync_all`, ...) may wait from several tasks at once, while a
//! [`JoinHandle`] remembers only one waker. The fan-out waker is the one the handle remembers,
//! and it wakes every task that registered.

use std::fs::File as StdFile;
use std::future::Future;
use std::io::{self, IoSlice, IoSliceMut, Read, Seek, SeekFrom, Write};
use std::mem;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{ready, Context, Poll, Wake, Waker};

use super::offload::join_error;
use crate::task::{spawn_blocking, JoinError, JoinHandle};

/// Default and largest size of a single read or write handed to the pool: 2 MiB.
///
/// Each operation is a round trip to a pool thread (tens of microseconds), so chunks must be
/// large enough to amortize it; much larger chunks only hold more memory per open file without
/// speeding up sequential I/O.
pub(super) const DEFAULT_MAX_BUF: usize = 2 * 1024 * 1024;

/// Smallest read handed to the pool: 8 KiB.
///
/// A caller asking for a few bytes at a time (a parser using `read_exact` on small headers)
/// would otherwise pay a pool round trip per call; reading at least this much keeps the rest as
/// read-ahead, served without leaving the task.
const MIN_READ: usize = 8 * 1024;

/// The buffer a file's operations share.
///
/// While idle, `data[pos..]` is read-ahead. While a write is in flight, `data` holds the bytes
/// being written.
#[derive(Debug, Default)]
pub(super) struct Buf {
    data: Vec<u8>,
    pos: usize,
}

impl Buf {
    /// Number of read-ahead bytes not yet handed out.
    fn unread(&self) -> usize {
        self.data.len().saturating_sub(self.pos)
    }

    /// Drops the read-ahead and returns how many bytes it held; the allocation is kept.
    fn discard(&mut self) -> usize {
        let unread = self.unread();
        self.data.clear();
        self.pos = 0;
        unread
    }

    /// Hands out read-ahead into `out`.
    pub(super) fn copy_to(&mut self, out: &mut [u8]) -> usize {
        let unread = &self.data[self.pos.min(self.data.len())..];
        let n = unread.len().min(out.len());
        out[..n].copy_from_slice(&unread[..n]);
        self.pos += n;
        n
    }

    /// Hands out read-ahead into `outs`, in order.
    pub(super) fn copy_to_vectored(&mut self, outs: &mut [IoSliceMut<'_>]) -> usize {
        let mut total = 0;
        for out in outs.iter_mut() {
            if self.unread() == 0 {
                break;
            }
            total += self.copy_to(out);
        }
        total
    }

    /// Takes up to `max` bytes from `srcs` (in order) as data to write.
    fn fill_from(&mut self, srcs: &[IoSlice<'_>], max: usize) -> usize {
        self.data.clear();
        self.pos = 0;
        for src in srcs {
            let room = max - self.data.len();
            if room == 0 {
                break;
            }
            let n = src.len().min(room);
            self.data.extend_from_slice(&src[..n]);
        }
        self.data.len()
    }

    /// Replaces the contents with one read of up to `len` bytes from `file`'s cursor.
    fn read_from(&mut self, file: &StdFile, len: usize) -> io::Result<usize> {
        self.data.clear();
        self.pos = 0;
        self.data.resize(len, 0);
        let result = loop {
            match (&mut &*file).read(&mut self.data) {
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                other => break other,
            }
        };
        self.data.truncate(*result.as_ref().unwrap_or(&0));
        result
    }

    /// Writes all of the contents at `file`'s cursor and empties the buffer.
    fn write_to(&mut self, file: &StdFile) -> io::Result<()> {
        let result = (&mut &*file).write_all(&self.data[self.pos..]);
        self.data.clear();
        self.pos = 0;
        result
    }
}

/// What an operation did, handed back with the buffer.
#[derive(Debug)]
enum Operation {
    /// Filled the buffer with this many bytes; 0 is the end of the file.
    Read(io::Result<usize>),
    /// Wrote the buffer out.
    Write(io::Result<()>),
    /// Seeked as requested by the `SeekFrom` (as the caller gave it).
    Seek(SeekFrom, io::Result<u64>),
    /// Moved the cursor back over discarded read-ahead.
    Rewind(io::Result<()>),
}

/// Where a file's state stands.
#[derive(Debug)]
enum State {
    /// Nothing in flight. `None` until the first operation allocates a buffer, and after an
    /// operation was lost with its buffer.
    Idle(Option<Buf>),
    /// One operation runs on the pool.
    Busy(JoinHandle<(Operation, Buf)>),
}

/// The wakers of every task waiting for the operation in flight.
#[derive(Debug, Default)]
struct WakeAll {
    waiters: Mutex<Vec<Waker>>,
}

impl WakeAll {
    fn register(&self, waker: &Waker) {
        let mut waiters = self.waiters.lock().unwrap_or_else(PoisonError::into_inner);
        if !waiters.iter().any(|w| w.will_wake(waker)) {
            waiters.push(waker.clone());
        }
    }

    /// Wakes every registered task except the one `current` belongs to.
    fn wake_others(&self, current: &Waker) {
        let waiters = mem::take(&mut *self.waiters.lock().unwrap_or_else(PoisonError::into_inner));
        for waker in waiters {
            if !waker.will_wake(current) {
                waker.wake();
            }
        }
    }
}

impl Wake for WakeAll {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        // Taken out of the lock before waking, so a woken task that polls at once on another
        // thread never waits for this one.
        let waiters = mem::take(&mut *self.waiters.lock().unwrap_or_else(PoisonError::into_inner));
        for waker in waiters {
            waker.wake();
        }
    }
}

/// A file's mutable state: its buffer, the operation in flight, an unreported error.
#[derive(Debug)]
pub(super) struct Inner {
    state: State,
    /// An error from an operation that ran in the background (a write, or a rewind), waiting to
    /// be reported by the next operation.
    pending_error: Option<io::Error>,
    /// Largest read or write handed to the pool at once.
    max_buf: usize,
    wake_all: Arc<WakeAll>,
    /// A waker for `wake_all`, made once.
    waker: Waker,
    /// The target of a seek begun with tokio's `AsyncSeek::start_seek`, for `poll_complete`.
    #[cfg(feature = "tokio-io")]
    pub(super) tokio_seek: Option<SeekFrom>,
}

impl Inner {
    pub(super) fn new() -> Inner {
        let wake_all = Arc::new(WakeAll::default());
        Inner {
            state: State::Idle(None),
            pending_error: None,
            max_buf: DEFAULT_MAX_BUF,
            waker: Waker::from(wake_all.clone()),
            wake_all,
            #[cfg(feature = "tokio-io")]
            tokio_seek: None,
        }
    }

    pub(super) fn max_buf(&self) -> usize {
        self.max_buf
    }

    pub(super) fn set_max_buf(&mut self, max_buf: usize) {
        self.max_buf = max_buf.max(1);
    }

    /// Takes the unreported error of a background operation, if any.
    pub(super) fn take_error(&mut self) -> io::Result<()> {
        match self.pending_error.take() {
            Some(err) => Err(err),
            None => Ok(()),
        }
    }

    /// Takes the unreported error, if any; otherwise gives the largest chunk size.
    pub(super) fn take_error_then_max_buf(&mut self) -> io::Result<usize> {
        self.take_error().map(|()| self.max_buf)
    }

    /// Whether the state is at rest: nothing in flight, nothing read ahead, nothing unreported.
    pub(super) fn is_quiescent(&self) -> bool {
        let nothing_buffered = match &self.state {
            State::Idle(buf) => buf.as_ref().is_none_or(|buf| buf.unread() == 0),
            State::Busy(_) => false,
        };
        nothing_buffered && self.pending_error.is_none()
    }

    /// Starts `job` on the pool with the buffer.
    fn start<F>(&mut self, buf: Buf, job: F)
    where
        F: FnOnce(Buf) -> (Operation, Buf) + Send + 'static,
    {
        self.state = State::Busy(spawn_blocking(move || job(buf)));
    }

    /// Waits for the operation in flight and returns what it did; the state is idle afterwards.
    ///
    /// Must only be called while busy; called while idle it reports a rewind of nothing.
    fn poll_busy(&mut self, cx: &mut Context<'_>) -> Poll<Operation> {
        let State::Busy(handle) = &mut self.state else {
            return Poll::Ready(Operation::Rewind(Ok(())));
        };
        self.wake_all.register(cx.waker());
        let joined: Result<(Operation, Buf), JoinError> =
            ready!(Pin::new(handle).poll(&mut Context::from_waker(&self.waker)));
        // Any other task that registered meanwhile now finds the state idle.
        self.wake_all.wake_others(cx.waker());
        Poll::Ready(match joined {
            Ok((op, buf)) => {
                self.state = State::Idle(Some(buf));
                op
            }
            Err(err) => {
                // The buffer went with the job; the next operation allocates a new one.
                self.state = State::Idle(None);
                Operation::Rewind(Err(join_error(&err)))
            }
        })
    }

    /// Reads into `out` through the buffer: hands out read-ahead if there is any, otherwise
    /// reads at least `want` bytes (up to `max_buf`) on the pool first.
    ///
    /// `copy_out` moves bytes from the buffer to the caller's memory; `want` is how much the
    /// caller's memory holds.
    pub(super) fn poll_read(
        &mut self,
        cx: &mut Context<'_>,
        file: &Arc<StdFile>,
        want: usize,
        mut copy_out: impl FnMut(&mut Buf) -> usize,
    ) -> Poll<io::Result<usize>> {
        loop {
            match &mut self.state {
                State::Idle(slot) => {
                    let buf = slot.get_or_insert_with(Buf::default);
                    if buf.unread() > 0 {
                        return Poll::Ready(Ok(copy_out(buf)));
                    }
                    if want == 0 {
                        return Poll::Ready(Ok(0));
                    }
                    if let Some(err) = self.pending_error.take() {
                        return Poll::Ready(Err(err));
                    }
                    let buf = slot.take().unwrap_or_default();
                    let len = want.max(MIN_READ).min(self.max_buf);
                    let file = file.clone();
                    self.start(buf, move |mut buf| {
                        let result = buf.read_from(&file, len);
                        (Operation::Read(result), buf)
                    });
                }
                State::Busy(_) => match ready!(self.poll_busy(cx)) {
                    // End of file: the buffer is empty.
                    Operation::Read(Ok(0)) => return Poll::Ready(Ok(0)),
                    Operation::Read(Err(err))
                    | Operation::Write(Err(err))
                    | Operation::Rewind(Err(err)) => return Poll::Ready(Err(err)),
                    Operation::Read(Ok(_))
                    | Operation::Write(Ok(()))
                    | Operation::Seek(..)
                    | Operation::Rewind(Ok(())) => {}
                },
            }
        }
    }

    /// Accepts up to `max_buf` bytes of `srcs` and starts writing them on the pool.
    ///
    /// Completes as soon as the bytes are copied, after waiting for the operation in flight (and
    /// reporting its error, if it was a failed write).
    pub(super) fn poll_write(
        &mut self,
        cx: &mut Context<'_>,
        file: &Arc<StdFile>,
        srcs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        loop {
            match &mut self.state {
                State::Idle(slot) => {
                    if let Some(err) = self.pending_error.take() {
                        return Poll::Ready(Err(err));
                    }
                    if srcs.iter().all(|src| src.is_empty()) {
                        return Poll::Ready(Ok(0));
                    }
                    let mut buf = slot.take().unwrap_or_default();
                    // The cursor is ahead of the logical position by the read-ahead.
                    let rewind = buf.discard();
                    let n = buf.fill_from(srcs, self.max_buf);
                    let file = file.clone();
                    self.start(buf, move |mut buf| {
                        let result =
                            rewind_cursor(&file, rewind).and_then(|()| buf.write_to(&file));
                        (Operation::Write(result), buf)
                    });
                    return Poll::Ready(Ok(n));
                }
                State::Busy(_) => match ready!(self.poll_busy(cx)) {
                    Operation::Write(Err(err)) | Operation::Rewind(Err(err)) => {
                        return Poll::Ready(Err(err))
                    }
                    // A read whose caller went away left read-ahead; the next round discards it.
                    Operation::Read(_)
                    | Operation::Write(Ok(()))
                    | Operation::Seek(..)
                    | Operation::Rewind(Ok(())) => {}
                },
            }
        }
    }

    /// Waits for the operation in flight and reports a failed background write.
    pub(super) fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            match &self.state {
                State::Idle(_) => return Poll::Ready(self.take_error()),
                State::Busy(_) => match ready!(self.poll_busy(cx)) {
                    Operation::Write(Err(err)) | Operation::Rewind(Err(err)) => {
                        return Poll::Ready(Err(err))
                    }
                    Operation::Read(_)
                    | Operation::Write(Ok(()))
                    | Operation::Seek(..)
                    | Operation::Rewind(Ok(())) => {}
                },
            }
        }
    }

    /// Seeks to `pos`, measured from the logical position for [`SeekFrom::Current`].
    ///
    /// Waits for the operation in flight first (a write lands before the seek), then discards
    /// read-ahead, moving the cursor back over it before seeking.
    pub(super) fn poll_seek(
        &mut self,
        cx: &mut Context<'_>,
        file: &Arc<StdFile>,
        pos: SeekFrom,
    ) -> Poll<io::Result<u64>> {
        loop {
            match &mut self.state {
                State::Idle(slot) => {
                    if let Some(err) = self.pending_error.take() {
                        return Poll::Ready(Err(err));
                    }
                    let mut buf = slot.take().unwrap_or_default();
                    let unread = buf.discard();
                    let file = file.clone();
                    self.start(buf, move |buf| {
                        let result = seek_logical(&file, pos, unread);
                        (Operation::Seek(pos, result), buf)
                    });
                }
                State::Busy(_) => match ready!(self.poll_busy(cx)) {
                    // The seek this caller started (it polls again with the same target).
                    Operation::Seek(target, result) if target == pos => return Poll::Ready(result),
                    Operation::Write(Err(err)) | Operation::Rewind(Err(err)) => {
                        return Poll::Ready(Err(err))
                    }
                    Operation::Read(_)
                    | Operation::Write(Ok(()))
                    | Operation::Seek(..)
                    | Operation::Rewind(Ok(())) => {}
                },
            }
        }
    }

    /// Waits until nothing is in flight; with `rewind`, also until no read-ahead is buffered, so
    /// that the OS cursor is at the logical position.
    ///
    /// Errors of background writes are kept in `pending_error` (the first one wins) for the
    /// caller to take or leave.
    pub(super) fn poll_settle(
        &mut self,
        cx: &mut Context<'_>,
        file: &Arc<StdFile>,
        rewind: bool,
    ) -> Poll<()> {
        loop {
            match &mut self.state {
                State::Idle(slot) => {
                    let unread = slot.as_ref().map_or(0, Buf::unread);
                    if !rewind || unread == 0 {
                        return Poll::Ready(());
                    }
                    let mut buf = slot.take().unwrap_or_default();
                    buf.discard();
                    let file = file.clone();
                    self.start(buf, move |buf| {
                        (Operation::Rewind(rewind_cursor(&file, unread)), buf)
                    });
                }
                State::Busy(_) => match ready!(self.poll_busy(cx)) {
                    Operation::Write(Err(err)) | Operation::Rewind(Err(err)) => {
                        self.pending_error.get_or_insert(err);
                    }
                    Operation::Read(_)
                    | Operation::Write(Ok(()))
                    | Operation::Seek(..)
                    | Operation::Rewind(Ok(())) => {}
                },
            }
        }
    }

    /// A word for `Debug`: what the state is doing.
    pub(super) fn describe(&self) -> &'static str {
        match &self.state {
            State::Idle(Some(buf)) if buf.unread() > 0 => "idle, with read-ahead",
            State::Idle(_) => "idle",
            State::Busy(_) => "busy",
        }
    }
}

/// Moves `file`'s cursor back by `unread` bytes of discarded read-ahead.
fn rewind_cursor(file: &StdFile, unread: usize) -> io::Result<()> {
    if unread == 0 {
        return Ok(());
    }
    let back = i64::try_from(unread).map_err(|_| read_ahead_too_large())?;
    (&mut &*file).seek(SeekFrom::Current(-back))?;
    Ok(())
}

/// Seeks `file` to `pos`, where a relative `pos` counts from the logical position: `unread`
/// bytes (the discarded read-ahead) behind the cursor.
///
/// The cursor is moved back to the logical position first, so a seek that fails (to a negative
/// position, say) leaves the logical position as it was.
fn seek_logical(file: &StdFile, pos: SeekFrom, unread: usize) -> io::Result<u64> {
    rewind_cursor(file, unread)?;
    (&mut &*file).seek(pos).map_err(negative_seek)
}

/// A seek to before the start of the file is `InvalidInput` on every platform: Unix says
/// `EINVAL`, Windows says `ERROR_NEGATIVE_SEEK`, which std leaves `Uncategorized`.
fn negative_seek(error: io::Error) -> io::Error {
    #[cfg(windows)]
    if error.raw_os_error() == Some(131) {
        // ERROR_NEGATIVE_SEEK
        return io::Error::new(io::ErrorKind::InvalidInput, error);
    }
    error
}

fn read_ahead_too_large() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        "read-ahead larger than i64::MAX",
    )
}

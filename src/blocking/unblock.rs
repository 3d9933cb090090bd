//! An adapter that runs blocking I/O on the blocking pool.

use std::fmt;
use std::future::{self, Future};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_io::{AsyncRead, AsyncSeek, AsyncWrite};

use crate::task::{spawn_blocking, JoinError, JoinHandle};

/// Default size of the internal buffer.
///
/// Every buffer fill or drain is a round trip to a pool thread, so the buffer
/// must be large enough to amortise that cost; 8 KiB matches the default of
/// `std::io::BufReader` and is large enough for typical file and pipe I/O
/// without holding much memory per adapter.
const DEFAULT_CAPACITY: usize = 8 * 1024;

/// Writes all of `data` to `io`.
///
/// Stored as a function pointer when write data is buffered, so that methods
/// whose bounds do not include `T: Write` (reading, seeking, `get_mut`) can
/// still write that data out before touching the object.
type WriteAllFn<T> = fn(&mut T, &[u8]) -> io::Result<()>;

fn write_all<T: Write>(io: &mut T, data: &[u8]) -> io::Result<()> {
    io.write_all(data)
}

/// Runs a blocking reader, writer or seeker on the blocking pool.
///
/// `Unblock` turns an object implementing [`std::io::Read`],
/// [`std::io::Write`] or [`std::io::Seek`] into one implementing
/// [`AsyncRead`], [`AsyncWrite`] or [`AsyncSeek`]. Each blocking call is made
/// on a pool thread, so the calling task never blocks a runtime worker.
///
/// At most one operation is in flight at a time. To keep the number of round
/// trips to the pool low, `Unblock` buffers in both directions:
///
/// * Reads fill an internal buffer of up to the capacity (8 KiB by default)
///   and are served from it until it is empty.
/// * Writes are copied into the internal buffer, which is written to the
///   inner object on the pool once it is full, or on
///   [`flush`](futures_io::AsyncWrite::poll_flush) or
///   [`close`](futures_io::AsyncWrite::poll_close). Data still buffered when
///   the `Unblock` is dropped is lost, so flush or close before dropping.
///
/// Because reads look ahead, the inner object's position can be ahead of what
/// has been read. Seeking accounts for this: seeking with
/// [`SeekFrom::Current`] is relative to the logical position, and any seek
/// discards the read-ahead. When switching from reading to writing on a
/// seekable object, seek first (`SeekFrom::Current(0)` is enough); otherwise
/// the write lands after the read-ahead, which is discarded.
///
/// An error from an operation that ran in the background (such as a buffer
/// written out once full) is returned by the next operation.
///
/// # Examples
///
/// ```
/// use evloop::blocking::Unblock;
/// use futures_lite::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
/// use std::io::{Cursor, SeekFrom};
///
/// # fn main() -> std::io::Result<()> {
/// evloop::block_on(async {
///     let mut file = Unblock::new(Cursor::new(Vec::new()));
///     file.write_all(b"hello, pool").await?;
///     file.flush().await?;
///
///     file.seek(SeekFrom::Start(7)).await?;
///     let mut rest = String::new();
///     file.read_to_string(&mut rest).await?;
///     assert_eq!(rest, "pool");
///
///     let cursor = file.into_inner().await;
///     assert_eq!(cursor.into_inner(), b"hello, pool");
///     Ok(())
/// })
/// # }
/// ```
pub struct Unblock<T> {
    state: State<T>,
    buf: Buffer<T>,
    /// Largest number of bytes read or buffered at once; at least 1.
    cap: usize,
    /// An error from an operation `get_mut` waited for, kept for the next
    /// I/O call since `get_mut` cannot return it.
    error: Option<io::Error>,
    /// The target of a seek begun with tokio's `AsyncSeek::start_seek` (see `compat`).
    #[cfg(feature = "tokio-io")]
    pub(crate) tokio_seek: Option<SeekFrom>,
}

/// Who holds the inner object.
enum State<T> {
    /// The adapter holds it. `None` once it was lost with an operation that
    /// panicked or was cancelled.
    Idle(Option<Box<T>>),
    /// A pool thread holds it while running an operation.
    Busy(JoinHandle<Done<T>>, Op),
}

/// The kind of operation in flight.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    /// Filling the read buffer.
    Read,
    /// Writing out the write buffer.
    Write,
    /// Writing out the write buffer, then flushing the object.
    Flush,
    /// Writing out the write buffer, then seeking to the given position.
    Seek(SeekFrom),
}

/// What an operation produced.
enum Outcome {
    /// The read buffer holds this many new bytes; 0 means end of file.
    Read(usize),
    /// The write buffer was written out.
    Written,
    /// The object was flushed.
    Flushed,
    /// The object is at this position.
    Seeked(u64),
}

/// What a pool thread hands back when an operation ends.
struct Done<T> {
    io: Box<T>,
    data: Vec<u8>,
    result: io::Result<Outcome>,
}

/// The internal buffer and what its contents mean.
struct Buffer<T> {
    data: Vec<u8>,
    /// In read mode, the first byte not yet handed out.
    pos: usize,
    mode: Mode<T>,
}

enum Mode<T> {
    /// The buffer holds nothing of value.
    Empty,
    /// `data[pos..]` was read from the object and not yet handed out.
    Read,
    /// `data` still has to be written to the object with this function.
    Write(WriteAllFn<T>),
}

impl<T> Buffer<T> {
    fn clear(&mut self) {
        self.data.clear();
        self.pos = 0;
        self.mode = Mode::Empty;
    }

    /// Bytes read ahead and not yet handed out.
    fn unread(&self) -> &[u8] {
        match self.mode {
            Mode::Read => self.data.get(self.pos..).unwrap_or_default(),
            _ => &[],
        }
    }

    fn pending_write(&self) -> Option<WriteAllFn<T>> {
        match self.mode {
            Mode::Write(write_all) => Some(write_all),
            _ => None,
        }
    }
}

impl<T> Unblock<T> {
    /// Wraps a blocking I/O object, with a buffer of 8 KiB.
    ///
    /// # Examples
    ///
    /// ```
    /// use evloop::blocking::Unblock;
    ///
    /// let input = Unblock::new(std::io::stdin());
    /// # drop(input);
    /// ```
    pub fn new(io: T) -> Unblock<T> {
        Unblock::with_capacity(DEFAULT_CAPACITY, io)
    }

    /// Wraps a blocking I/O object, with a buffer of `cap` bytes.
    ///
    /// Larger buffers mean fewer round trips to the pool. A capacity of 0 is
    /// treated as 1.
    ///
    /// # Examples
    ///
    /// ```
    /// use evloop::blocking::Unblock;
    ///
    /// let output = Unblock::with_capacity(64 * 1024, std::io::stdout());
    /// # drop(output);
    /// ```
    pub fn with_capacity(cap: usize, io: T) -> Unblock<T> {
        Unblock {
            state: State::Idle(Some(Box::new(io))),
            buf: Buffer {
                data: Vec::new(),
                pos: 0,
                mode: Mode::Empty,
            },
            cap: cap.max(1),
            error: None,
            #[cfg(feature = "tokio-io")]
            tokio_seek: None,
        }
    }
}

impl<T: Send + 'static> Unblock<T> {
    /// Gives direct access to the inner object.
    ///
    /// Waits for the operation in flight, if any, and writes out buffered
    /// write data. Unread read-ahead is discarded, so the object's position
    /// may be ahead of what was read through the adapter. An error from this
    /// waiting is returned by the next I/O call on the adapter.
    ///
    /// # Panics
    ///
    /// Panics if the inner object was lost because an earlier operation on it
    /// panicked or was cancelled (for example, by runtime shutdown). I/O calls
    /// report this case as an error instead.
    ///
    /// # Examples
    ///
    /// ```
    /// use evloop::blocking::Unblock;
    /// use futures_lite::AsyncWriteExt;
    /// use std::io::Cursor;
    ///
    /// evloop::block_on(async {
    ///     let mut io = Unblock::new(Cursor::new(Vec::new()));
    ///     io.write_all(b"abc").await.unwrap();
    ///     assert_eq!(io.get_mut().await.get_ref(), b"abc");
    /// });
    /// ```
    pub async fn get_mut(&mut self) -> &mut T {
        future::poll_fn(|cx| self.poll_settle(cx)).await;
        match &mut self.state {
            State::Idle(Some(io)) => io,
            _ => panic!(
                "the I/O object was lost: an earlier blocking operation panicked or was cancelled"
            ),
        }
    }

    /// Unwraps the inner object.
    ///
    /// Waits for the operation in flight, if any, and writes out buffered
    /// write data; unread read-ahead is discarded. Errors from this are
    /// dropped, so call [`flush`](futures_io::AsyncWrite::poll_flush) first
    /// to observe them.
    ///
    /// # Panics
    ///
    /// Panics if the inner object was lost because an earlier operation on it
    /// panicked or was cancelled (for example, by runtime shutdown).
    ///
    /// # Examples
    ///
    /// ```
    /// use evloop::blocking::Unblock;
    /// use futures_lite::AsyncWriteExt;
    /// use std::io::Cursor;
    ///
    /// evloop::block_on(async {
    ///     let mut io = Unblock::new(Cursor::new(Vec::new()));
    ///     io.write_all(b"abc").await.unwrap();
    ///     assert_eq!(io.into_inner().await.into_inner(), b"abc");
    /// });
    /// ```
    pub async fn into_inner(mut self) -> T {
        future::poll_fn(|cx| self.poll_settle(cx)).await;
        match self.state {
            State::Idle(Some(io)) => *io,
            _ => panic!(
                "the I/O object was lost: an earlier blocking operation panicked or was cancelled"
            ),
        }
    }

    /// Brings the adapter to rest: nothing in flight, nothing buffered.
    fn poll_settle(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            if let State::Busy(..) = self.state {
                let (_, result) = futures_core::ready!(self.poll_job(cx));
                if let Err(err) = result {
                    self.error.get_or_insert(err);
                }
                continue;
            }
            if let Some(write_all) = self.buf.pending_write() {
                self.start_write(Op::Write, write_all);
                continue;
            }
            if let Mode::Read = self.buf.mode {
                self.buf.clear();
            }
            return Poll::Ready(());
        }
    }

    /// Waits for the operation in flight and takes back the object and
    /// buffer. Called while idle, it reports a write of nothing.
    fn poll_job(&mut self, cx: &mut Context<'_>) -> Poll<(Op, io::Result<Outcome>)> {
        let State::Busy(handle, op) = &mut self.state else {
            return Poll::Ready((Op::Write, Ok(Outcome::Written)));
        };
        let op = *op;
        let joined = match Pin::new(handle).poll(cx) {
            Poll::Ready(joined) => joined,
            Poll::Pending => return Poll::Pending,
        };
        match joined {
            Ok(done) => {
                self.state = State::Idle(Some(done.io));
                match (op, &done.result) {
                    (Op::Read, Ok(_)) => {
                        self.buf.data = done.data;
                        self.buf.pos = 0;
                        self.buf.mode = Mode::Read;
                    }
                    // A flush leaves read-ahead alone; it never took it.
                    (Op::Flush, _) if matches!(self.buf.mode, Mode::Read) => {}
                    _ => {
                        // Keep the allocation for reuse.
                        self.buf.data = done.data;
                        self.buf.clear();
                    }
                }
                Poll::Ready((op, done.result))
            }
            Err(err) => {
                self.state = State::Idle(None);
                self.buf.clear();
                Poll::Ready((op, Err(join_error(&err))))
            }
        }
    }

    /// Hands the object and the buffer to a pool thread to run `job`.
    ///
    /// Read-ahead stays with the adapter; a job that needs the buffer must
    /// only be started when there is none.
    fn start<F>(&mut self, op: Op, job: F)
    where
        F: FnOnce(&mut T, &mut Vec<u8>) -> io::Result<Outcome> + Send + 'static,
    {
        let State::Idle(Some(io)) = std::mem::replace(&mut self.state, State::Idle(None)) else {
            return;
        };
        let mut data = match self.buf.mode {
            Mode::Read => Vec::new(),
            _ => std::mem::take(&mut self.buf.data),
        };
        let handle = spawn_blocking(move || {
            let mut io = io;
            let result = job(&mut io, &mut data);
            Done { io, data, result }
        });
        self.state = State::Busy(handle, op);
    }

    /// Starts writing out the write buffer, followed by nothing else.
    fn start_write(&mut self, op: Op, write_all: WriteAllFn<T>) {
        self.start(op, move |io, data| {
            write_all(io, data)?;
            Ok(Outcome::Written)
        });
    }

    /// Checks the preconditions shared by every I/O call.
    fn check(&mut self) -> io::Result<()> {
        if let Some(err) = self.error.take() {
            return Err(err);
        }
        match self.state {
            State::Idle(None) => Err(lost()),
            _ => Ok(()),
        }
    }
}

/// The error reported once the inner object is gone.
fn lost() -> io::Error {
    io::Error::other(
        "the I/O object was lost: an earlier blocking operation panicked or was cancelled",
    )
}

fn join_error(err: &JoinError) -> io::Error {
    if err.is_panic() {
        io::Error::other("blocking I/O operation panicked")
    } else {
        io::Error::other("blocking I/O operation was cancelled")
    }
}

impl<T: Read + Send + 'static> AsyncRead for Unblock<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.check()?;
        loop {
            let unread = this.buf.unread();
            if !unread.is_empty() {
                let n = unread.len().min(out.len());
                out[..n].copy_from_slice(&unread[..n]);
                this.buf.pos += n;
                return Poll::Ready(Ok(n));
            }
            match this.state {
                State::Busy(..) => match futures_core::ready!(this.poll_job(cx)) {
                    (Op::Read, Ok(Outcome::Read(0))) => return Poll::Ready(Ok(0)),
                    (_, Err(err)) => return Poll::Ready(Err(err)),
                    _ => {}
                },
                State::Idle(None) => return Poll::Ready(Err(lost())),
                State::Idle(Some(_)) => {
                    if out.is_empty() {
                        return Poll::Ready(Ok(0));
                    }
                    if let Some(write_all) = this.buf.pending_write() {
                        // Written data must reach the object before reading.
                        this.start_write(Op::Write, write_all);
                        continue;
                    }
                    this.buf.clear();
                    let cap = this.cap;
                    this.start(Op::Read, move |io, data| {
                        data.clear();
                        data.resize(cap, 0);
                        let n = loop {
                            match io.read(data) {
                                Ok(n) => break n,
                                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                                Err(err) => {
                                    data.clear();
                                    return Err(err);
                                }
                            }
                        };
                        data.truncate(n);
                        Ok(Outcome::Read(n))
                    });
                }
            }
        }
    }
}

impl<T: Write + Send + 'static> AsyncWrite for Unblock<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        src: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.check()?;
        loop {
            match this.state {
                State::Busy(..) => {
                    let (_, result) = futures_core::ready!(this.poll_job(cx));
                    result?;
                }
                State::Idle(None) => return Poll::Ready(Err(lost())),
                State::Idle(Some(_)) => {
                    if src.is_empty() {
                        return Poll::Ready(Ok(0));
                    }
                    match this.buf.mode {
                        // See the type's documentation on switching from
                        // reading to writing.
                        Mode::Read | Mode::Empty => {
                            this.buf.clear();
                            this.buf.mode = Mode::Write(write_all::<T>);
                        }
                        Mode::Write(_) => {}
                    }
                    let room = this.cap.saturating_sub(this.buf.data.len());
                    if room == 0 {
                        this.start_write(Op::Write, write_all::<T>);
                        continue;
                    }
                    let n = src.len().min(room);
                    this.buf.data.extend_from_slice(&src[..n]);
                    if this.buf.data.len() >= this.cap {
                        // Full: write it out in the background right away.
                        this.start_write(Op::Write, write_all::<T>);
                    }
                    return Poll::Ready(Ok(n));
                }
            }
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.check()?;
        loop {
            match this.state {
                State::Busy(..) => {
                    let (op, result) = futures_core::ready!(this.poll_job(cx));
                    result?;
                    if op == Op::Flush {
                        return Poll::Ready(Ok(()));
                    }
                }
                State::Idle(None) => return Poll::Ready(Err(lost())),
                State::Idle(Some(_)) => {
                    let pending = this.buf.pending_write();
                    this.start(Op::Flush, move |io, data| {
                        if let Some(write_all) = pending {
                            write_all(io, data)?;
                        }
                        io.flush()?;
                        Ok(Outcome::Flushed)
                    });
                }
            }
        }
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_flush(cx)
    }
}

impl<T: Write + Send + 'static> Unblock<T> {
    /// Accepts `buf` like `poll_write` and starts passing it on to the wrapped writer at once.
    ///
    /// `poll_write` keeps written bytes in the buffer until it fills or a flush; for a stream
    /// whose bytes should leave promptly (the standard streams, a child's stdin) a flush is
    /// started right after each write. The flush then runs on the pool; the next write or
    /// flush waits for it, which keeps the bytes in order, and reports its error if it failed.
    pub(crate) fn poll_write_through(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let n = match self.as_mut().poll_write(cx, buf) {
            Poll::Ready(Ok(n)) => n,
            other => return other,
        };
        if n > 0 {
            // Nothing is lost by ignoring `Pending` here: the flush keeps running on the pool
            // and the next operation waits for it. A flush that failed at once is reported now.
            if let Poll::Ready(Err(err)) = self.poll_flush(cx) {
                return Poll::Ready(Err(err));
            }
        }
        Poll::Ready(Ok(n))
    }
}

impl<T: Seek + Send + 'static> AsyncSeek for Unblock<T> {
    fn poll_seek(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        pos: SeekFrom,
    ) -> Poll<io::Result<u64>> {
        let this = self.get_mut();
        this.check()?;
        loop {
            match this.state {
                State::Busy(..) => match futures_core::ready!(this.poll_job(cx)) {
                    (Op::Seek(target), Ok(Outcome::Seeked(at))) if target == pos => {
                        return Poll::Ready(Ok(at));
                    }
                    (_, Err(err)) => return Poll::Ready(Err(err)),
                    _ => {}
                },
                State::Idle(None) => return Poll::Ready(Err(lost())),
                State::Idle(Some(_)) => {
                    let unread = this.buf.unread().len();
                    if let Mode::Read = this.buf.mode {
                        this.buf.clear();
                    }
                    let pending = this.buf.pending_write();
                    this.start(Op::Seek(pos), move |io, data| {
                        if let Some(write_all) = pending {
                            write_all(io, data)?;
                        }
                        let at = seek_logical(io, pos, unread)?;
                        Ok(Outcome::Seeked(at))
                    });
                }
            }
        }
    }
}

/// Seeks `io` to `pos` measured from the logical position, which is `unread`
/// bytes behind the object's own position because of read-ahead.
fn seek_logical<T: Seek>(io: &mut T, pos: SeekFrom, unread: usize) -> io::Result<u64> {
    let SeekFrom::Current(offset) = pos else {
        return io.seek(pos);
    };
    if unread == 0 {
        return io.seek(pos);
    }
    let unread = i64::try_from(unread)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "read-ahead too large"))?;
    match offset.checked_sub(unread) {
        Some(offset) => io.seek(SeekFrom::Current(offset)),
        None => {
            io.seek(SeekFrom::Current(-unread))?;
            io.seek(SeekFrom::Current(offset))
        }
    }
}

impl<T> fmt::Debug for Unblock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.state {
            State::Idle(Some(_)) => "idle",
            State::Idle(None) => "lost",
            State::Busy(_, Op::Read) => "reading",
            State::Busy(_, Op::Write) => "writing",
            State::Busy(_, Op::Flush) => "flushing",
            State::Busy(_, Op::Seek(_)) => "seeking",
        };
        let buffered = match self.buf.mode {
            Mode::Empty => "nothing",
            Mode::Read => "read-ahead",
            Mode::Write(_) => "unwritten data",
        };
        f.debug_struct("Unblock")
            .field("state", &state)
            .field("buffered", &buffered)
            .field("capacity", &self.cap)
            .finish_non_exhaustive()
    }
}

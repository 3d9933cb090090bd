//! In-memory pipes: [`duplex`] (two connected ends, like a socket pair) and [`simplex`] (one
//! direction), under tokio's names and meanings.
//!
//! # Design
//! One direction of a pipe is a [`Pipe`]: a bounded byte queue, a "closed" flag and two wakers,
//! one for a reader waiting for bytes and one for a writer waiting for room. A read that moves
//! bytes wakes the writer; a write that adds bytes, or a close, wakes the reader. Each waker has
//! its own slot, so a reader and a writer that wait at the same time on the same pipe (a
//! [`SimplexStream`] split in two, or a full pipe whose reader has not come yet) never overwrite
//! each other's registration, and no wake-up is lost.
//!
//! A [`DuplexStream`] holds two pipes behind a mutex each: the one it reads from, which its peer
//! writes to, and the one it writes to, which its peer reads from. Wakers taken out of a pipe are
//! woken, and replaced ones dropped, only after its lock is released, so that a waker that does
//! anything with the pipe cannot deadlock on it.
//!
//! Every read and write spends one unit of the task's poll budget (see `task::coop`), as every
//! evloop resource does, so that two tasks pumping bytes through a pipe that never fills or
//! empties still let the other tasks of their worker run. Outside a runtime the budget is
//! unlimited and nothing here needs a runtime.

#![forbid(unsafe_code)]

use std::collections::VecDeque;
use std::fmt;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{ready, Context, Poll, Waker};

use futures_io::{AsyncRead, AsyncWrite};

use super::util::{split, ReadHalf, WriteHalf};
use crate::task::coop;

/// One direction of an in-memory pipe: the bytes written and not yet read, at most
/// `max_buf_size` of them.
struct Pipe {
    /// Written, not yet read.
    buffer: VecDeque<u8>,
    /// How many bytes `buffer` may hold before writes return `Pending`.
    max_buf_size: usize,
    /// Set when the writing side has closed (or is gone) or the reading side is gone: reads
    /// return EOF once `buffer` is empty, writes fail with `BrokenPipe`.
    closed: bool,
    /// A reader waiting for bytes (or for the close).
    read_waker: Option<Waker>,
    /// A writer waiting for room in `buffer` (or for the reader to go away).
    write_waker: Option<Waker>,
}

/// Wakers taken out of a [`Pipe`] by one operation, to be woken (or dropped) once the pipe's
/// lock is released.
#[derive(Default)]
struct Wakers {
    /// The other side's waker, which the operation must wake.
    wake: Option<Waker>,
    /// A waker replaced by a newer registration of the same side; dropped outside the lock too,
    /// since dropping a waker may run arbitrary code.
    replaced: Option<Waker>,
}

impl Wakers {
    fn wake(self) {
        if let Some(waker) = self.wake {
            waker.wake();
        }
        drop(self.replaced);
    }
}

/// Stores `cx`'s waker in `slot`, keeping the old one if it would wake the same task.
fn register(slot: &mut Option<Waker>, cx: &Context<'_>, replaced: &mut Option<Waker>) {
    match slot {
        Some(waker) if waker.will_wake(cx.waker()) => {}
        _ => *replaced = slot.replace(cx.waker().clone()),
    }
}

impl Pipe {
    #[track_caller]
    fn new(max_buf_size: usize) -> Pipe {
        assert!(max_buf_size > 0, "`max_buf_size` must be greater than 0");
        Pipe {
            buffer: VecDeque::new(),
            max_buf_size,
            closed: false,
            read_waker: None,
            write_waker: None,
        }
    }

    /// Moves up to `want` buffered bytes out through `put` (called once or twice, with the
    /// bytes in order), or registers the reader if there are none and the pipe is open.
    ///
    /// `Ready(Ok(0))` is EOF (or `want` was 0).
    fn poll_read_with(
        &mut self,
        cx: &Context<'_>,
        wakers: &mut Wakers,
        want: usize,
        mut put: impl FnMut(&[u8]),
    ) -> Poll<io::Result<usize>> {
        if want == 0 {
            return Poll::Ready(Ok(0));
        }
        if self.buffer.is_empty() {
            if self.closed {
                return Poll::Ready(Ok(0));
            }
            register(&mut self.read_waker, cx, &mut wakers.replaced);
            return Poll::Pending;
        }
        let n = want.min(self.buffer.len());
        let (front, back) = self.buffer.as_slices();
        let from_front = n.min(front.len());
        put(&front[..from_front]);
        if from_front < n {
            put(&back[..n - from_front]);
        }
        self.buffer.drain(..n);
        wakers.wake = self.write_waker.take();
        Poll::Ready(Ok(n))
    }

    /// Appends as much of `bufs` as there is room for, or registers the writer if the buffer is
    /// full. Fails with `BrokenPipe` once the pipe is closed.
    fn poll_write(
        &mut self,
        cx: &Context<'_>,
        wakers: &mut Wakers,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if self.closed {
            return Poll::Ready(Err(io::ErrorKind::BrokenPipe.into()));
        }
        if bufs.iter().all(|buf| buf.is_empty()) {
            return Poll::Ready(Ok(0));
        }
        let room = self.max_buf_size.saturating_sub(self.buffer.len());
        if room == 0 {
            register(&mut self.write_waker, cx, &mut wakers.replaced);
            return Poll::Pending;
        }
        let mut left = room;
        for buf in bufs {
            if left == 0 {
                break;
            }
            let len = buf.len().min(left);
            self.buffer.extend(&buf[..len]);
            left -= len;
        }
        wakers.wake = self.read_waker.take();
        Poll::Ready(Ok(room - left))
    }

    /// Closes the pipe from the writing side: the reader sees EOF after the buffered bytes.
    /// Returns the reader's waker, to be woken.
    #[must_use]
    fn close_write(&mut self) -> Option<Waker> {
        self.closed = true;
        self.read_waker.take()
    }

    /// Closes the pipe from the reading side, which is gone: the buffered bytes will never be
    /// read, and the writer's next write fails. Returns the writer's waker, to be woken.
    #[must_use]
    fn close_read(&mut self) -> Option<Waker> {
        self.closed = true;
        self.buffer = VecDeque::new();
        self.write_waker.take()
    }
}

impl fmt::Debug for Pipe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.snapshot().fmt(f)
    }
}

impl Pipe {
    /// What `Debug` shows of the pipe: sizes and flags, not the bytes.
    fn snapshot(&self) -> PipeState {
        PipeState {
            buffered: self.buffer.len(),
            max_buf_size: self.max_buf_size,
            closed: self.closed,
            reader_waiting: self.read_waker.is_some(),
            writer_waiting: self.write_waker.is_some(),
        }
    }
}

/// See [`Pipe::snapshot`]; taken under the lock, formatted after it is released.
#[derive(Debug)]
#[allow(dead_code)] // read by the derived `Debug` only
struct PipeState {
    buffered: usize,
    max_buf_size: usize,
    closed: bool,
    reader_waiting: bool,
    writer_waiting: bool,
}

fn lock(pipe: &Mutex<Pipe>) -> MutexGuard<'_, Pipe> {
    // A pipe's state is consistent between any two statements that could panic, so a poisoned
    // lock (a panicking waker clone) leaves nothing half-done.
    pipe.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The `put` of [`Pipe::poll_read_with`] for a plain slice: fills `buf` from its start.
fn fill_slice(buf: &mut [u8]) -> impl FnMut(&[u8]) + '_ {
    let mut filled = 0;
    move |bytes| {
        buf[filled..filled + bytes.len()].copy_from_slice(bytes);
        filled += bytes.len();
    }
}

// ===== DuplexStream =====

/// One end of a bidirectional in-memory pipe, made by [`duplex`].
///
/// Bytes written to one end are read from the other, in both directions, like a connected pair
/// of sockets. Each direction buffers at most `max_buf_size` bytes; a write to a full direction
/// returns `Pending` until the other end reads.
///
/// # Closing
/// - [`close`](super::AsyncWriteExt::close) (tokio's `shutdown`) closes this end's writing
///   direction: the other end reads the bytes still buffered, then EOF (`Ok(0)`). Writing to
///   this end afterwards fails with [`BrokenPipe`](io::ErrorKind::BrokenPipe). Reading from
///   this end is unaffected.
/// - Dropping an end does the same for its writing direction, and also makes every write of the
///   other end, including one waiting for room, fail with `BrokenPipe`.
///
/// Implements the `futures-io` [`AsyncRead`] and [`AsyncWrite`] traits (and, with the feature
/// `tokio-io`, tokio's traits of the same names). [`poll_flush`](AsyncWrite::poll_flush) has
/// nothing to do: written bytes are readable at once.
pub struct DuplexStream {
    /// The direction this end reads from (its peer writes to it).
    read: Arc<Mutex<Pipe>>,
    /// The direction this end writes to (its peer reads from it).
    write: Arc<Mutex<Pipe>>,
}

/// Creates a bidirectional in-memory pipe: two connected [`DuplexStream`]s that act like a pair
/// of connected sockets.
///
/// `max_buf_size` is how many bytes each direction buffers at most: a write returns `Pending`
/// while the peer has that many unread bytes. Useful for tests (a client and a server talking
/// without a network) and for connecting two pieces of code that each want a byte stream.
///
/// Nothing about a pipe needs a runtime: it works under any executor.
///
/// # Panics
/// If `max_buf_size` is 0.
///
/// ```
/// use evloop::io::{self, AsyncReadExt, AsyncWriteExt};
///
/// # fn main() -> io::Result<()> {
/// evloop::block_on(async {
///     let (mut client, mut server) = io::duplex(64);
///
///     client.write_all(b"ping").await?;
///     let mut buf = [0u8; 4];
///     server.read_exact(&mut buf).await?;
///     assert_eq!(&buf, b"ping");
///
///     server.write_all(b"pong").await?;
///     client.read_exact(&mut buf).await?;
///     assert_eq!(&buf, b"pong");
///
///     // Closing (or dropping) one end is EOF for the other, after what is buffered.
///     server.write_all(b"bye").await?;
///     drop(server);
///     let mut rest = Vec::new();
///     client.read_to_end(&mut rest).await?;
///     assert_eq!(rest, b"bye");
///     // And a write to a dropped peer fails.
///     let err = client.write_all(b"anyone?").await.unwrap_err();
///     assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
///     Ok(())
/// })
/// # }
/// ```
#[track_caller]
pub fn duplex(max_buf_size: usize) -> (DuplexStream, DuplexStream) {
    let one = Arc::new(Mutex::new(Pipe::new(max_buf_size)));
    let two = Arc::new(Mutex::new(Pipe::new(max_buf_size)));
    (
        DuplexStream {
            read: one.clone(),
            write: two.clone(),
        },
        DuplexStream {
            read: two,
            write: one,
        },
    )
}

impl DuplexStream {
    fn poll_read_with(
        &self,
        cx: &mut Context<'_>,
        want: usize,
        put: impl FnMut(&[u8]),
    ) -> Poll<io::Result<usize>> {
        ready!(coop::poll_proceed(cx));
        let mut wakers = Wakers::default();
        let result = lock(&self.read).poll_read_with(cx, &mut wakers, want, put);
        wakers.wake();
        result
    }

    fn poll_write_bufs(
        &self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        ready!(coop::poll_proceed(cx));
        let mut wakers = Wakers::default();
        let result = lock(&self.write).poll_write(cx, &mut wakers, bufs);
        wakers.wake();
        result
    }

    fn close_write(&self) {
        let waker = lock(&self.write).close_write();
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl AsyncRead for DuplexStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_read_with(cx, buf.len(), fill_slice(buf))
    }
}

impl AsyncWrite for DuplexStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_bufs(cx, &[IoSlice::new(buf)])
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_bufs(cx, bufs)
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    /// Closes this end's writing direction: the peer reads EOF after the buffered bytes.
    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.close_write();
        Poll::Ready(Ok(()))
    }
}

impl Drop for DuplexStream {
    fn drop(&mut self) {
        let read_waker = lock(&self.write).close_write();
        let write_waker = lock(&self.read).close_read();
        // Woken after both locks are released.
        if let Some(waker) = read_waker {
            waker.wake();
        }
        if let Some(waker) = write_waker {
            waker.wake();
        }
    }
}

impl fmt::Debug for DuplexStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // One lock at a time: the peer's `Debug` takes the same two in the other order.
        let read = lock(&self.read).snapshot();
        let write = lock(&self.write).snapshot();
        f.debug_struct("DuplexStream")
            .field("read", &read)
            .field("write", &write)
            .finish()
    }
}

// ===== SimplexStream =====

/// A unidirectional in-memory pipe: what is written to it is read from it, in order, with at
/// most `max_buf_size` bytes buffered.
///
/// Made whole by [`SimplexStream::new_unsplit`], or as a reader and a writer by [`simplex`].
/// A write to a full pipe returns `Pending` until a read makes room; a read from an empty pipe
/// returns `Pending` until a write, or EOF (`Ok(0)`) once the pipe has been closed with
/// [`close`](super::AsyncWriteExt::close) (tokio's `shutdown`) and the buffered bytes are
/// read. Writing after the close fails with [`BrokenPipe`](io::ErrorKind::BrokenPipe).
///
/// Implements the `futures-io` [`AsyncRead`] and [`AsyncWrite`] traits (and, with the feature
/// `tokio-io`, tokio's traits of the same names).
///
/// ```
/// use evloop::io::{AsyncReadExt, AsyncWriteExt, SimplexStream};
///
/// # fn main() -> std::io::Result<()> {
/// evloop::block_on(async {
///     let mut pipe = SimplexStream::new_unsplit(64);
///     pipe.write_all(b"hello").await?;
///     pipe.close().await?;
///     let mut text = String::new();
///     pipe.read_to_string(&mut text).await?;
///     assert_eq!(text, "hello");
///     Ok(())
/// })
/// # }
/// ```
pub struct SimplexStream {
    pipe: Pipe,
}

/// Creates a unidirectional in-memory pipe, as a reader and a writer.
///
/// `max_buf_size` is how many bytes the pipe buffers at most: a write returns `Pending` while
/// that many are unread.
///
/// The halves are the [`split`] halves of one [`SimplexStream`] (evloop's [`ReadHalf`] and
/// [`WriteHalf`]). Unlike tokio's, they cannot be put back together (no `unsplit`); for a
/// pipe that one value both writes and reads, use [`SimplexStream::new_unsplit`]. As with
/// tokio, the reader sees EOF only once the writer has been
/// [closed](super::AsyncWriteExt::close): the halves share the stream, so dropping the writer
/// alone does not end it.
///
/// # Panics
/// If `max_buf_size` is 0.
///
/// ```
/// use evloop::io::{self, AsyncReadExt, AsyncWriteExt};
///
/// # fn main() -> io::Result<()> {
/// evloop::block_on(async {
///     let (mut reader, mut writer) = io::simplex(16);
///     let producer = async {
///         // 100 bytes through a 16-byte pipe: the writer waits for the reader.
///         writer.write_all(&[7; 100]).await?;
///         writer.close().await
///     };
///     let mut received = Vec::new();
///     let ((), read) = evloop::try_join!(producer, reader.read_to_end(&mut received))?;
///     assert_eq!(read, 100);
///     assert_eq!(received, [7; 100]);
///     Ok(())
/// })
/// # }
/// ```
#[track_caller]
pub fn simplex(max_buf_size: usize) -> (ReadHalf<SimplexStream>, WriteHalf<SimplexStream>) {
    split(SimplexStream::new_unsplit(max_buf_size))
}

impl SimplexStream {
    /// Creates a unidirectional in-memory pipe that one value both writes to and reads from;
    /// [`simplex`] makes one split into a reader and a writer.
    ///
    /// `max_buf_size` is how many bytes the pipe buffers at most.
    ///
    /// # Panics
    /// If `max_buf_size` is 0.
    #[track_caller]
    pub fn new_unsplit(max_buf_size: usize) -> SimplexStream {
        SimplexStream {
            pipe: Pipe::new(max_buf_size),
        }
    }

    fn poll_read_with(
        &mut self,
        cx: &mut Context<'_>,
        want: usize,
        put: impl FnMut(&[u8]),
    ) -> Poll<io::Result<usize>> {
        ready!(coop::poll_proceed(cx));
        let mut wakers = Wakers::default();
        let result = self.pipe.poll_read_with(cx, &mut wakers, want, put);
        wakers.wake();
        result
    }

    fn poll_write_bufs(
        &mut self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        ready!(coop::poll_proceed(cx));
        let mut wakers = Wakers::default();
        let result = self.pipe.poll_write(cx, &mut wakers, bufs);
        wakers.wake();
        result
    }
}

impl AsyncRead for SimplexStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut()
            .poll_read_with(cx, buf.len(), fill_slice(buf))
    }
}

impl AsyncWrite for SimplexStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().poll_write_bufs(cx, &[IoSlice::new(buf)])
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().poll_write_bufs(cx, bufs)
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    /// Closes the pipe: reads return EOF after the buffered bytes.
    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if let Some(waker) = self.get_mut().pipe.close_write() {
            waker.wake();
        }
        Poll::Ready(Ok(()))
    }
}

impl fmt::Debug for SimplexStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimplexStream")
            .field("pipe", &self.pipe)
            .finish()
    }
}

// ===== tokio's traits (feature `tokio-io`) =====

#[cfg(feature = "tokio-io")]
mod tokio_io {
    use std::io;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    use tokio::io::ReadBuf;

    use super::{DuplexStream, SimplexStream};

    impl tokio::io::AsyncRead for DuplexStream {
        /// Copies straight into the unfilled part of `buf`, initialized or not.
        fn poll_read(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            let want = buf.remaining();
            self.poll_read_with(cx, want, |bytes| buf.put_slice(bytes))
                .map_ok(|_| ())
        }
    }

    impl tokio::io::AsyncRead for SimplexStream {
        /// Copies straight into the unfilled part of `buf`, initialized or not.
        fn poll_read(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            let want = buf.remaining();
            self.get_mut()
                .poll_read_with(cx, want, |bytes| buf.put_slice(bytes))
                .map_ok(|_| ())
        }
    }

    // The `AsyncWrite` impls are the shared ones in `compat::io`.
}

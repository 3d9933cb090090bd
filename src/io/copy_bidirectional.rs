//! [`copy_bidirectional`]: a two-way copy between two streams, the heart of a proxy.
//!
//! Each direction is a [`CopyBuffer`] (read into a buffer, write it out, repeat) inside a small
//! state machine: copying, then closing the writer once the reader reports EOF, then done. One
//! future polls both directions each time it is woken, so neither waits for the other.

#![forbid(unsafe_code)]

use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};

use crate::task::coop;

/// Each direction's buffer in [`copy_bidirectional`]: 8 KiB, as with tokio.
const DEFAULT_BUF_SIZE: usize = 8 * 1024;

/// One direction of a copy: bytes read and not yet written are `buf[pos..cap]`.
#[derive(Debug)]
struct CopyBuffer {
    /// The reader has reported EOF.
    read_done: bool,
    /// Bytes have been written since the writer was last flushed.
    need_flush: bool,
    pos: usize,
    cap: usize,
    /// Bytes written so far.
    amt: u64,
    buf: Box<[u8]>,
}

impl CopyBuffer {
    fn new(buf_size: usize) -> CopyBuffer {
        CopyBuffer {
            read_done: false,
            need_flush: false,
            pos: 0,
            cap: 0,
            amt: 0,
            buf: vec![0; buf_size].into_boxed_slice(),
        }
    }

    /// Reads into the free tail of the buffer (there must be one); 0 bytes is EOF.
    fn poll_fill_buf<R: AsyncRead + ?Sized>(
        &mut self,
        cx: &mut Context<'_>,
        mut reader: Pin<&mut R>,
    ) -> Poll<io::Result<()>> {
        let free = &mut self.buf[self.cap..];
        let capacity = free.len();
        let n = loop {
            match ready!(reader.as_mut().poll_read(cx, free)) {
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                result => break result?,
            }
        };
        if n > capacity {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("reader reported {n} bytes read into a buffer of {capacity}"),
            )));
        }
        if n == 0 {
            self.read_done = true;
        }
        self.cap += n;
        Poll::Ready(Ok(()))
    }

    /// Writes out `buf[pos..cap]` (some of it). While the writer is not ready, tops the buffer
    /// up from the reader so that the next write can be larger.
    fn poll_write_buf<R: AsyncRead + ?Sized, W: AsyncWrite + ?Sized>(
        &mut self,
        cx: &mut Context<'_>,
        reader: Pin<&mut R>,
        mut writer: Pin<&mut W>,
    ) -> Poll<io::Result<usize>> {
        loop {
            match writer
                .as_mut()
                .poll_write(cx, &self.buf[self.pos..self.cap])
            {
                Poll::Ready(Err(err)) if err.kind() == io::ErrorKind::Interrupted => continue,
                Poll::Pending => {
                    if !self.read_done && self.cap < self.buf.len() {
                        ready!(self.poll_fill_buf(cx, reader))?;
                    }
                    return Poll::Pending;
                }
                result => return result,
            }
        }
    }

    /// Copies until the reader reports EOF and everything read is written and flushed; returns
    /// the bytes copied.
    fn poll_copy<R: AsyncRead + ?Sized, W: AsyncWrite + ?Sized>(
        &mut self,
        cx: &mut Context<'_>,
        mut reader: Pin<&mut R>,
        mut writer: Pin<&mut W>,
    ) -> Poll<io::Result<u64>> {
        loop {
            // Read while there is room, for the largest writes.
            if self.cap < self.buf.len() && !self.read_done {
                match self.poll_fill_buf(cx, reader.as_mut()) {
                    Poll::Ready(Ok(())) => {}
                    Poll::Ready(Err(err)) => return Poll::Ready(Err(err)),
                    Poll::Pending => {
                        // With bytes in hand, write them; with none, wait for the reader, but
                        // flush first: the reader may be waiting for what sits in a buffered
                        // writer.
                        if self.pos == self.cap {
                            if self.need_flush {
                                ready!(writer.as_mut().poll_flush(cx))?;
                                self.need_flush = false;
                            }
                            return Poll::Pending;
                        }
                    }
                }
            }

            while self.pos < self.cap {
                let n = ready!(self.poll_write_buf(cx, reader.as_mut(), writer.as_mut()))?;
                let pending = self.cap - self.pos;
                if n == 0 {
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::WriteZero,
                        "write zero byte into writer",
                    )));
                }
                if n > pending {
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("writer reported {n} bytes written from a buffer of {pending}"),
                    )));
                }
                self.pos += n;
                self.amt += n as u64;
                self.need_flush = true;
            }

            // Everything read is written: the buffer is empty again.
            self.pos = 0;
            self.cap = 0;

            if self.read_done {
                ready!(writer.as_mut().poll_flush(cx))?;
                self.need_flush = false;
                return Poll::Ready(Ok(self.amt));
            }
        }
    }
}

/// Where one direction of [`copy_bidirectional`] stands.
enum TransferState {
    /// Copying.
    Running(CopyBuffer),
    /// The reader reported EOF and everything is written: closing the writer. Holds the count.
    ShuttingDown(u64),
    /// Finished, with the count.
    Done(u64),
}

fn transfer_one_direction<A, B>(
    cx: &mut Context<'_>,
    state: &mut TransferState,
    reader: &mut A,
    writer: &mut B,
) -> Poll<io::Result<u64>>
where
    A: AsyncRead + Unpin + ?Sized,
    B: AsyncWrite + Unpin + ?Sized,
{
    let mut reader = Pin::new(reader);
    let mut writer = Pin::new(writer);
    loop {
        match state {
            TransferState::Running(buf) => {
                let count = ready!(buf.poll_copy(cx, reader.as_mut(), writer.as_mut()))?;
                *state = TransferState::ShuttingDown(count);
            }
            TransferState::ShuttingDown(count) => {
                ready!(writer.as_mut().poll_close(cx))?;
                *state = TransferState::Done(*count);
            }
            TransferState::Done(count) => return Poll::Ready(Ok(*count)),
        }
    }
}

/// Copies data in both directions between `a` and `b` until both directions are finished;
/// returns the bytes copied from `a` to `b` and from `b` to `a`, in that order.
///
/// Both directions run concurrently, on the calling task. When a reader reports EOF, everything
/// read from it is written and flushed, the opposite stream's write side is closed
/// ([`AsyncWriteExt::close`](super::AsyncWriteExt::close), tokio's `shutdown`), and that
/// direction is finished; the other one goes on until its own reader reports EOF. So a
/// half-closed conversation (a client that sends a request, closes its write side and waits
/// for the answer) passes through unchanged.
///
/// Each direction uses an 8 KiB buffer; [`copy_bidirectional_with_sizes`] chooses them.
///
/// # Errors
/// Interrupted reads and writes are retried. Any other read, write, flush or close error, in
/// either direction, ends the copy at once and is returned; bytes already read from either
/// stream but not yet written to the other are lost then.
///
/// ```
/// use evloop::io::{self, AsyncReadExt, AsyncWriteExt};
///
/// # fn main() -> io::Result<()> {
/// evloop::block_on(async {
///     // client <-> [proxy_a, proxy_b] <-> server
///     let (mut client, mut proxy_a) = io::duplex(64);
///     let (mut proxy_b, mut server) = io::duplex(64);
///
///     let proxy = io::copy_bidirectional(&mut proxy_a, &mut proxy_b);
///     let client_side = async {
///         client.write_all(b"hello").await?;
///         client.close().await?; // the request is complete
///         let mut reply = Vec::new();
///         client.read_to_end(&mut reply).await?;
///         Ok(reply)
///     };
///     let server_side = async {
///         let mut request = Vec::new();
///         server.read_to_end(&mut request).await?;
///         server.write_all(&request.to_ascii_uppercase()).await?;
///         server.close().await
///     };
///
///     let ((to_server, to_client), reply, ()) =
///         evloop::try_join!(proxy, client_side, server_side)?;
///     assert_eq!(reply, b"HELLO");
///     assert_eq!((to_server, to_client), (5, 5));
///     Ok(())
/// })
/// # }
/// ```
pub async fn copy_bidirectional<A, B>(a: &mut A, b: &mut B) -> io::Result<(u64, u64)>
where
    A: AsyncRead + AsyncWrite + Unpin + ?Sized,
    B: AsyncRead + AsyncWrite + Unpin + ?Sized,
{
    copy_bidirectional_impl(
        a,
        b,
        CopyBuffer::new(DEFAULT_BUF_SIZE),
        CopyBuffer::new(DEFAULT_BUF_SIZE),
    )
    .await
}

/// [`copy_bidirectional`] with buffers of the given sizes: `a_to_b_buf_size` bytes for the
/// direction from `a` to `b`, `b_to_a_buf_size` for the other.
///
/// # Panics
/// If either size is 0.
///
/// ```
/// use evloop::io::{self, AsyncReadExt, AsyncWriteExt};
///
/// # fn main() -> io::Result<()> {
/// evloop::block_on(async {
///     let (mut left, mut a) = io::duplex(1024);
///     let (mut b, mut right) = io::duplex(1024);
///     left.write_all(&[1; 1000]).await?;
///     left.close().await?;
///     right.close().await?;
///     // 1000 bytes through a 16-byte buffer.
///     let copied = io::copy_bidirectional_with_sizes(&mut a, &mut b, 16, 16).await?;
///     assert_eq!(copied, (1000, 0));
///     let mut received = Vec::new();
///     right.read_to_end(&mut received).await?;
///     assert_eq!(received, [1; 1000]);
///     Ok(())
/// })
/// # }
/// ```
#[track_caller]
pub fn copy_bidirectional_with_sizes<'a, A, B>(
    a: &'a mut A,
    b: &'a mut B,
    a_to_b_buf_size: usize,
    b_to_a_buf_size: usize,
) -> impl std::future::Future<Output = io::Result<(u64, u64)>> + 'a
where
    A: AsyncRead + AsyncWrite + Unpin + ?Sized,
    B: AsyncRead + AsyncWrite + Unpin + ?Sized,
{
    assert!(
        a_to_b_buf_size > 0,
        "`a_to_b_buf_size` must be greater than 0"
    );
    assert!(
        b_to_a_buf_size > 0,
        "`b_to_a_buf_size` must be greater than 0"
    );
    copy_bidirectional_impl(
        a,
        b,
        CopyBuffer::new(a_to_b_buf_size),
        CopyBuffer::new(b_to_a_buf_size),
    )
}

async fn copy_bidirectional_impl<A, B>(
    a: &mut A,
    b: &mut B,
    a_to_b: CopyBuffer,
    b_to_a: CopyBuffer,
) -> io::Result<(u64, u64)>
where
    A: AsyncRead + AsyncWrite + Unpin + ?Sized,
    B: AsyncRead + AsyncWrite + Unpin + ?Sized,
{
    let mut a_to_b = TransferState::Running(a_to_b);
    let mut b_to_a = TransferState::Running(b_to_a);
    poll_fn(|cx| {
        // One unit of the poll budget per poll, so that a proxy between two streams that are
        // always ready still lets the other tasks of its worker run.
        ready!(coop::poll_proceed(cx));
        let a_to_b = transfer_one_direction(cx, &mut a_to_b, a, b)?;
        let b_to_a = transfer_one_direction(cx, &mut b_to_a, b, a)?;
        let a_to_b = ready!(a_to_b);
        let b_to_a = ready!(b_to_a);
        Poll::Ready(Ok((a_to_b, b_to_a)))
    })
    .await
}

//! [`copy_buf`]: a copy through the reader's own buffer.

#![forbid(unsafe_code)]

use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::task::{ready, Poll};

use futures_io::{AsyncBufRead, AsyncWrite};

use crate::task::coop;

/// Copies everything `reader` yields into `writer`, through the reader's own buffer, and
/// flushes the writer at the end; returns the bytes copied.
///
/// Where [`copy`](super::copy) reads into a buffer of its own and writes from there, `copy_buf`
/// writes straight from the reader's buffer ([`fill_buf`](super::AsyncBufReadExt::fill_buf),
/// then [`consume`](super::AsyncBufReadExt::consume) what the writer took): no second buffer,
/// no extra copy, and the reader's buffer size (a [`BufReader`](super::BufReader)'s capacity)
/// sets the size of the writes.
///
/// While the reader has nothing yet, the writer is flushed if anything was written since its
/// last flush, in case the reader waits for what the writer holds back.
///
/// # Errors
/// Interrupted reads and writes are retried. Any other error is returned, as is
/// [`WriteZero`](io::ErrorKind::WriteZero) if the writer accepts no bytes.
///
/// ```
/// use evloop::io::{self, BufReader, Cursor};
///
/// # fn main() -> io::Result<()> {
/// evloop::block_on(async {
///     let mut reader = BufReader::with_capacity(4, Cursor::new(b"copied in 4-byte steps"));
///     let mut writer = Vec::new();
///     let copied = io::copy_buf(&mut reader, &mut writer).await?;
///     assert_eq!(copied, 22);
///     assert_eq!(writer, b"copied in 4-byte steps");
///     Ok(())
/// })
/// # }
/// ```
pub async fn copy_buf<R, W>(reader: &mut R, writer: &mut W) -> io::Result<u64>
where
    R: AsyncBufRead + Unpin + ?Sized,
    W: AsyncWrite + Unpin + ?Sized,
{
    let mut amt = 0u64;
    let mut need_flush = false;
    poll_fn(|cx| {
        // One unit of the poll budget per poll, as the other evloop resources spend.
        ready!(coop::poll_proceed(cx));
        loop {
            let buffer = match Pin::new(&mut *reader).poll_fill_buf(cx) {
                Poll::Ready(Ok(buffer)) => buffer,
                Poll::Ready(Err(err)) if err.kind() == io::ErrorKind::Interrupted => continue,
                Poll::Ready(Err(err)) => return Poll::Ready(Err(err)),
                Poll::Pending => {
                    if need_flush {
                        ready!(Pin::new(&mut *writer).poll_flush(cx))?;
                        need_flush = false;
                    }
                    return Poll::Pending;
                }
            };
            if buffer.is_empty() {
                ready!(Pin::new(&mut *writer).poll_flush(cx))?;
                return Poll::Ready(Ok(amt));
            }
            let available = buffer.len();
            let n = match ready!(Pin::new(&mut *writer).poll_write(cx, buffer)) {
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                result => result?,
            };
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            if n > available {
                return Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("writer reported {n} bytes written from a buffer of {available}"),
                )));
            }
            amt += n as u64;
            need_flush = true;
            Pin::new(&mut *reader).consume(n);
        }
    })
    .await
}

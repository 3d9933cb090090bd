//! hyper's I/O traits over a `futures-io` stream, for the peers whose streams
//! implement `futures-io` (evloop and smol); tokio uses hyper-util's
//! `TokioIo`. Both peers get this same adapter, so `http_hello` compares the
//! runtimes, not two adapters.

use std::io;
use std::mem::MaybeUninit;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use futures_lite::{AsyncRead, AsyncWrite};

/// A `futures-io` stream seen through `hyper::rt::Read` and `hyper::rt::Write`.
pub struct FuturesIo<T>(pub T);

impl<T: AsyncRead + Unpin> hyper::rt::Read for FuturesIo<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        // SAFETY: `as_mut` asks that no byte be de-initialised through the
        // slice; only initialised values are ever written into it (zeros
        // below, then the read's data).
        let unfilled: &mut [MaybeUninit<u8>] = unsafe { buf.as_mut() };
        unfilled.fill(MaybeUninit::new(0));
        // SAFETY: every element was initialised by the `fill` above, and
        // `MaybeUninit<u8>` has the layout of `u8`.
        let init: &mut [u8] =
            unsafe { &mut *(std::ptr::from_mut::<[MaybeUninit<u8>]>(unfilled) as *mut [u8]) };
        let n = ready!(Pin::new(&mut self.0).poll_read(cx, init))?;
        // SAFETY: the read initialised (and filled) the first `n` bytes of the
        // unfilled part.
        unsafe { buf.advance(n) };
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncWrite + Unpin> hyper::rt::Write for FuturesIo<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_close(cx)
    }
}

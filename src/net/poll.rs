//! `poll_*` forms of [`Async::read_with`] and [`Async::write_with`].
//!
//! The `poll_*` methods of the socket types (`poll_accept`, `poll_recv_from`, `poll_peek`, …)
//! perform one step of the readiness loop: try the system call, and on `WouldBlock` store the
//! task's waker and return `Pending`. That step is exactly the first poll of a fresh
//! `read_with`/`write_with` future; the future keeps no state that outlives the poll (the waker
//! lives in the reactor's source), so dropping it after one poll loses nothing.

use std::future::Future;
use std::io;
use std::pin::pin;
use std::task::{Context, Poll};

use crate::io::Async;
use crate::reactor::AsIo;

/// One step of `io.read_with(op)`: the result of `op`, or `Pending` with the waker stored for
/// the next read readiness.
pub(super) fn poll_read<T: AsIo, R>(
    io: &Async<T>,
    cx: &mut Context<'_>,
    op: impl FnMut(&T) -> io::Result<R>,
) -> Poll<io::Result<R>> {
    pin!(io.read_with(op)).poll(cx)
}

/// One step of `io.write_with(op)`: the result of `op`, or `Pending` with the waker stored for
/// the next write readiness.
pub(super) fn poll_write<T: AsIo, R>(
    io: &Async<T>,
    cx: &mut Context<'_>,
    op: impl FnMut(&T) -> io::Result<R>,
) -> Poll<io::Result<R>> {
    pin!(io.write_with(op)).poll(cx)
}

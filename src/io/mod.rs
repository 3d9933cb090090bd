//! Asynchronous I/O on file descriptors.
//!
//! [`Async`] wraps any non-blocking descriptor (a socket, a pipe, a terminal) and turns its
//! operations into futures driven by the runtime's reactor.
//!
//! The module also holds what every I/O type needs around it:
//!
//! - the `futures-io` traits [`AsyncRead`], [`AsyncWrite`], [`AsyncBufRead`], [`AsyncSeek`]
//!   (which every evloop I/O type implements) and their extension traits [`AsyncReadExt`],
//!   [`AsyncWriteExt`], [`AsyncBufReadExt`], [`AsyncSeekExt`] (from `futures-lite`);
//! - helpers under tokio's names: [`copy`], [`copy_buf`], [`copy_bidirectional`],
//!   [`copy_bidirectional_with_sizes`], [`split`], [`BufReader`], [`BufWriter`], [`Cursor`],
//!   [`empty`], [`sink`], [`repeat`], the in-memory pipes [`duplex`] ([`DuplexStream`]) and
//!   [`simplex`] ([`SimplexStream`]), and the `std::io` types [`Error`], [`ErrorKind`],
//!   [`Result`], [`SeekFrom`];
//! - the process's standard streams, [`stdin()`], [`stdout()`], [`stderr()`], which run std's
//!   blocking handles on the blocking pool;
//! - [`Interest`] and [`Ready`], tokio's readiness types, which the sockets' `ready`, `try_io`
//!   and `async_io` methods take and return (see
//!   [`TcpStream::ready`](crate::net::TcpStream::ready)).
//!
//! ```
//! use evloop::io::{self, AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, Cursor};
//!
//! # fn main() -> io::Result<()> {
//! evloop::block_on(async {
//!     let mut buffer = Cursor::new(Vec::new());
//!     buffer.write_all(b"one\ntwo\n").await?;
//!     buffer.set_position(0);
//!
//!     let mut lines = Vec::new();
//!     let mut input = BufReader::new(buffer);
//!     let mut line = String::new();
//!     while input.read_line(&mut line).await? != 0 {
//!         lines.push(std::mem::take(&mut line));
//!     }
//!     assert_eq!(lines, ["one\n", "two\n"]);
//!
//!     let mut copied = Vec::new();
//!     io::copy(&mut io::repeat(7).take(3), &mut copied).await?;
//!     assert_eq!(copied, [7, 7, 7]);
//!     Ok(())
//! })
//! # }
//! ```

mod async_io;
mod copy_bidirectional;
mod copy_buf;
mod duplex;
mod interest;
mod ready;
mod stdio;
mod util;

pub use async_io::Async;
pub use copy_bidirectional::{copy_bidirectional, copy_bidirectional_with_sizes};
pub use copy_buf::copy_buf;
pub use duplex::{duplex, simplex, DuplexStream, SimplexStream};
pub use interest::Interest;
pub use ready::Ready;
pub use stdio::{stderr, stdin, stdout, Stderr, Stdin, Stdout};
pub use util::{
    copy, empty, repeat, sink, split, AsyncBufRead, AsyncBufReadExt, AsyncRead, AsyncReadExt,
    AsyncSeek, AsyncSeekExt, AsyncWrite, AsyncWriteExt, BufReader, BufWriter, Bytes, Chain, Cursor,
    Empty, Error, ErrorKind, IoSlice, IoSliceMut, Lines, ReadHalf, Repeat, Result, SeekFrom, Sink,
    Split, Take, WriteHalf,
};

//! The I/O traits, their extension traits and the in-memory helpers.
//!
//! evloop's I/O types implement the `futures-io` traits, so the whole `futures-io` ecosystem
//! works with them unchanged. The combinators (`read_to_end`, `write_all`, `lines`, ...) come
//! from `futures-lite`'s extension traits, re-exported here under the names tokio users know.
//! The `std::io` vocabulary types are re-exported too, so `use evloop::io::{self, SeekFrom}`
//! reads as it does with tokio.
//!
//! Differences from tokio worth knowing:
//!
//! - [`copy`] takes its reader and writer by value; pass `&mut reader, &mut writer` as with tokio
//!   (a mutable reference to an `Unpin` reader or writer is itself one). It flushes the writer
//!   once the reader is exhausted.
//! - [`split`] works on any `AsyncRead + AsyncWrite + Unpin` value; the halves share it behind a
//!   lock, so a read and a write never run at the same instant. Network streams offer
//!   lock-free halves of their own (`into_split`).
//! - Shutting down the write side is [`AsyncWriteExt::close`] (tokio's `shutdown`).

#![forbid(unsafe_code)]

pub use futures_io::{AsyncBufRead, AsyncRead, AsyncSeek, AsyncWrite};
pub use futures_lite::io::{
    copy, empty, repeat, sink, split, BufReader, BufWriter, Bytes, Chain, Cursor, Empty, Lines,
    ReadHalf, Repeat, Sink, Split, Take, WriteHalf,
};
pub use futures_lite::io::{AsyncBufReadExt, AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
pub use std::io::{Error, ErrorKind, IoSlice, IoSliceMut, Result, SeekFrom};

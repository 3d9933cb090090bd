//! Asynchronous file system access: [`File`], [`OpenOptions`], [`read_dir`], [`DirBuilder`] and
//! one function per std file system call.
//!
//! # Why the blocking pool
//!
//! Sockets and pipes report readiness: the reactor learns when a read would not block, and a
//! task waits for that. Regular files have no such notion: the operating system reports a
//! file as always ready, and then a read blocks the thread for as long as the disk takes (a
//! page-cache miss on a slow or network disk can take milliseconds to seconds). Opening,
//! renaming and listing have no non-blocking form at all. So every operation here runs as a job
//! on the runtime's blocking pool (the same pool as
//! [`spawn_blocking`](crate::task::spawn_blocking)), and the calling task waits for the job
//! without holding up a worker thread.
//!
//! That shapes the costs:
//!
//! - Each call is a round trip to a pool thread, tens of microseconds on top of the system
//!   call. [`File`] buffers (up to 2 MiB per trip, with read-ahead and writes that complete in
//!   the background) to keep the trips few for streaming I/O; the free functions ([`read`],
//!   [`write()`], ...) are one trip for a whole operation, and [`ReadDir`] fetches 32 entries per
//!   trip.
//! - Many files in use at once occupy many pool threads; the pool grows on demand up to its
//!   limit (`Builder::max_blocking_threads`) and then queues jobs in order.
//! - A job that has started cannot be interrupted: dropping the future stops the waiting, not
//!   the system call.
//!
//! Errors are those of the corresponding std call (a missing path gives
//! [`ErrorKind::NotFound`](std::io::ErrorKind::NotFound), an existing one with `create_new`
//! [`ErrorKind::AlreadyExists`](std::io::ErrorKind::AlreadyExists)), never a panic.
//!
//! # Examples
//!
//! ```
//! use evloop::fs;
//! use evloop::io::{AsyncBufReadExt, BufReader};
//!
//! # fn main() -> std::io::Result<()> {
//! let dir = std::env::temp_dir().join(format!("evloop-doc-fs-{}", std::process::id()));
//! evloop::block_on(async {
//!     fs::create_dir_all(&dir).await?;
//!     fs::write(dir.join("lines.txt"), "alpha\nbeta\n").await?;
//!
//!     let file = fs::File::open(dir.join("lines.txt")).await?;
//!     let mut lines = BufReader::new(file).lines();
//!     let mut count = 0;
//!     while let Some(line) = futures_lite::StreamExt::next(&mut lines).await {
//!         line?;
//!         count += 1;
//!     }
//!     assert_eq!(count, 2);
//!
//!     fs::remove_dir_all(&dir).await
//! })
//! # }
//! ```

#![forbid(unsafe_code)]

mod dir_builder;
mod file;
mod offload;
mod open_options;
mod ops;
mod positional;
mod read_dir;
mod state;

pub use dir_builder::DirBuilder;
pub use file::File;
pub use open_options::OpenOptions;
#[cfg(unix)]
pub use ops::symlink;
pub use ops::{
    canonicalize, copy, create_dir, create_dir_all, hard_link, metadata, read, read_link,
    read_to_string, remove_dir, remove_dir_all, remove_file, rename, set_permissions,
    symlink_metadata, try_exists, write,
};
#[cfg(windows)]
pub use ops::{symlink_dir, symlink_file};
pub use read_dir::{read_dir, DirEntry, ReadDir};
pub use std::fs::{FileType, Metadata, Permissions};

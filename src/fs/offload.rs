//! Handing one file system call to the blocking pool.

use std::io;

use crate::task::{spawn_blocking, JoinError};

/// Runs `f` on the blocking pool and returns its result.
///
/// Every free function of this module is one call of this: the arguments are moved (owned) into
/// the closure, the closure makes the std call on a pool thread, and the calling task waits
/// without occupying a worker.
pub(super) async fn asyncify<F, T>(f: F) -> io::Result<T>
where
    F: FnOnce() -> io::Result<T> + Send + 'static,
    T: Send + 'static,
{
    match spawn_blocking(f).await {
        Ok(result) => result,
        Err(err) => Err(join_error(&err)),
    }
}

/// The error reported when a blocking file operation did not run to completion.
///
/// A std file system call does not panic, so in practice this means the runtime was shutting
/// down and dropped the job before a pool thread took it.
pub(super) fn join_error(err: &JoinError) -> io::Error {
    if err.is_panic() {
        io::Error::other("a blocking file system operation panicked")
    } else {
        io::Error::other("a blocking file system operation was cancelled by runtime shutdown")
    }
}

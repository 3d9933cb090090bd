//! The errors of [`evloop::time`](crate::time).

use std::error::Error;
use std::fmt;
use std::io;

/// The error of a [`Timeout`](super::Timeout) whose deadline passed before its future completed.
///
/// ```
/// use evloop::time::{sleep, timeout, Duration};
///
/// evloop::block_on(async {
///     let err = timeout(Duration::ZERO, sleep(Duration::from_secs(60))).await.unwrap_err();
///     assert_eq!(err.to_string(), "deadline has elapsed");
///     // It converts into an I/O error of kind `TimedOut`.
///     let io: std::io::Error = err.into();
///     assert_eq!(io.kind(), std::io::ErrorKind::TimedOut);
/// });
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Elapsed(());

impl Elapsed {
    pub(crate) fn new() -> Elapsed {
        Elapsed(())
    }
}

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("deadline has elapsed")
    }
}

impl Error for Elapsed {}

impl From<Elapsed> for io::Error {
    fn from(elapsed: Elapsed) -> io::Error {
        io::Error::new(io::ErrorKind::TimedOut, elapsed)
    }
}

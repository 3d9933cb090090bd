//! [`Ready`]: the readiness a `ready` call found.

use std::fmt;
use std::ops::{BitAnd, BitOr, BitOrAssign, Sub};

use crate::reactor::source;

/// A set of readiness conditions of a socket, as returned by the `ready` methods of the socket
/// types (for example [`TcpStream::ready`](crate::net::TcpStream::ready)).
///
/// Readiness is a hint, not a promise: an operation tried because of it may still fail with
/// `WouldBlock` (another task got there first); wait again then.
///
/// [`is_readable`](Ready::is_readable) and [`is_writable`](Ready::is_writable) are what to act
/// on: each also holds when its direction is closed, since the operation is then what reports
/// the end-of-file or the failure.
///
/// ```
/// use evloop::io::Ready;
///
/// let ready = Ready::READABLE | Ready::READ_CLOSED;
/// assert!(ready.is_readable() && ready.is_read_closed());
/// assert!(!ready.is_writable());
/// assert_eq!(ready - Ready::READABLE, Ready::READ_CLOSED);
/// assert!(Ready::READ_CLOSED.is_readable(), "a closed direction is worth a read");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Ready(u8);

/// The bits of [`Ready`].
const READABLE: u8 = 1 << 0;
const WRITABLE: u8 = 1 << 1;
const READ_CLOSED: u8 = 1 << 2;
const WRITE_CLOSED: u8 = 1 << 3;
const ERROR: u8 = 1 << 4;

impl Ready {
    /// No condition.
    pub const EMPTY: Ready = Ready(0);

    /// A read may succeed: data (or a connection to accept) is waiting.
    pub const READABLE: Ready = Ready(READABLE);

    /// A write may succeed: the send buffer has room.
    pub const WRITABLE: Ready = Ready(WRITABLE);

    /// The peer has closed its sending half: reads return end-of-file once the data already
    /// received has been read.
    pub const READ_CLOSED: Ready = Ready(READ_CLOSED);

    /// The socket can no longer be written (the connection is gone, or the peer shut down its
    /// receiving half); a write reports why.
    pub const WRITE_CLOSED: Ready = Ready(WRITE_CLOSED);

    /// An error is pending on the socket; the next operation (in either direction) returns it.
    pub const ERROR: Ready = Ready(ERROR);

    /// Every condition.
    pub const ALL: Ready = Ready(READABLE | WRITABLE | READ_CLOSED | WRITE_CLOSED | ERROR);

    /// Whether no condition is set.
    ///
    /// ```
    /// use evloop::io::Ready;
    ///
    /// assert!(Ready::EMPTY.is_empty());
    /// assert!(!Ready::ERROR.is_empty());
    /// ```
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Whether a read is worth trying: [`READABLE`](Ready::READABLE) or
    /// [`READ_CLOSED`](Ready::READ_CLOSED) is set.
    ///
    /// ```
    /// use evloop::io::Ready;
    ///
    /// assert!(Ready::READABLE.is_readable());
    /// assert!(Ready::READ_CLOSED.is_readable());
    /// assert!(!(Ready::WRITABLE | Ready::ERROR).is_readable());
    /// ```
    pub const fn is_readable(self) -> bool {
        self.0 & (READABLE | READ_CLOSED) != 0
    }

    /// Whether a write is worth trying: [`WRITABLE`](Ready::WRITABLE) or
    /// [`WRITE_CLOSED`](Ready::WRITE_CLOSED) is set.
    ///
    /// ```
    /// use evloop::io::Ready;
    ///
    /// assert!(Ready::WRITABLE.is_writable());
    /// assert!(Ready::WRITE_CLOSED.is_writable());
    /// assert!(!Ready::READABLE.is_writable());
    /// ```
    pub const fn is_writable(self) -> bool {
        self.0 & (WRITABLE | WRITE_CLOSED) != 0
    }

    /// Whether [`READ_CLOSED`](Ready::READ_CLOSED) is set.
    ///
    /// ```
    /// use evloop::io::Ready;
    ///
    /// assert!(Ready::READ_CLOSED.is_read_closed());
    /// assert!(!Ready::READABLE.is_read_closed());
    /// ```
    pub const fn is_read_closed(self) -> bool {
        self.0 & READ_CLOSED != 0
    }

    /// Whether [`WRITE_CLOSED`](Ready::WRITE_CLOSED) is set.
    ///
    /// ```
    /// use evloop::io::Ready;
    ///
    /// assert!(Ready::WRITE_CLOSED.is_write_closed());
    /// assert!(!Ready::WRITABLE.is_write_closed());
    /// ```
    pub const fn is_write_closed(self) -> bool {
        self.0 & WRITE_CLOSED != 0
    }

    /// Whether [`ERROR`](Ready::ERROR) is set.
    ///
    /// ```
    /// use evloop::io::Ready;
    ///
    /// assert!((Ready::WRITABLE | Ready::ERROR).is_error());
    /// assert!(!Ready::WRITE_CLOSED.is_error());
    /// ```
    pub const fn is_error(self) -> bool {
        self.0 & ERROR != 0
    }

    /// The public form of conditions recorded by the reactor.
    pub(crate) fn from_reactor(ready: source::Ready) -> Ready {
        const MAP: [(source::Ready, Ready); 5] = [
            (source::Ready::READABLE, Ready::READABLE),
            (source::Ready::WRITABLE, Ready::WRITABLE),
            (source::Ready::READ_CLOSED, Ready::READ_CLOSED),
            (source::Ready::WRITE_CLOSED, Ready::WRITE_CLOSED),
            (source::Ready::ERROR, Ready::ERROR),
        ];
        MAP.into_iter()
            .filter(|(recorded, _)| ready.contains(*recorded))
            .fold(Ready::EMPTY, |all, (_, public)| all | public)
    }
}

impl BitOr for Ready {
    type Output = Ready;

    /// The conditions of both.
    fn bitor(self, other: Ready) -> Ready {
        Ready(self.0 | other.0)
    }
}

impl BitOrAssign for Ready {
    fn bitor_assign(&mut self, other: Ready) {
        self.0 |= other.0;
    }
}

impl BitAnd for Ready {
    type Output = Ready;

    /// The conditions common to both.
    fn bitand(self, other: Ready) -> Ready {
        Ready(self.0 & other.0)
    }
}

impl Sub for Ready {
    type Output = Ready;

    /// The conditions of `self` that are not in `other`.
    fn sub(self, other: Ready) -> Ready {
        Ready(self.0 & !other.0)
    }
}

impl fmt::Debug for Ready {
    /// The names of the conditions that are set, as a set: `{READABLE, READ_CLOSED}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = [
            (Ready::READABLE, "READABLE"),
            (Ready::WRITABLE, "WRITABLE"),
            (Ready::READ_CLOSED, "READ_CLOSED"),
            (Ready::WRITE_CLOSED, "WRITE_CLOSED"),
            (Ready::ERROR, "ERROR"),
        ];
        let mut set = f.debug_set();
        for (condition, name) in names {
            if self.0 & condition.0 != 0 {
                set.entry(&format_args!("{name}"));
            }
        }
        set.finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn set_operations_and_debug() {
        let mut ready = Ready::EMPTY;
        assert!(ready.is_empty());
        ready |= Ready::WRITABLE;
        let ready = ready | Ready::ERROR;
        assert!(ready.is_writable() && ready.is_error() && !ready.is_readable());
        assert_eq!(ready & Ready::ERROR, Ready::ERROR);
        assert_eq!(ready - Ready::ERROR, Ready::WRITABLE);
        assert_eq!(Ready::ALL - Ready::ALL, Ready::EMPTY);
        assert_eq!(format!("{ready:?}"), "{WRITABLE, ERROR}");
        assert_eq!(format!("{:?}", Ready::EMPTY), "{}");
    }

    #[test]
    fn every_reactor_condition_maps_to_its_public_one() {
        assert_eq!(Ready::from_reactor(source::Ready::ALL), Ready::ALL);
        assert_eq!(Ready::from_reactor(source::Ready::EMPTY), Ready::EMPTY);
        assert_eq!(
            Ready::from_reactor(source::Ready::READABLE | source::Ready::READ_CLOSED),
            Ready::READABLE | Ready::READ_CLOSED
        );
        assert_eq!(
            Ready::from_reactor(source::Ready::WRITE_CLOSED | source::Ready::ERROR),
            Ready::WRITE_CLOSED | Ready::ERROR
        );
    }
}

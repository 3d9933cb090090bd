//! [`Interest`]: which readiness a caller of `ready`, `try_io` or `async_io` waits for.

use std::fmt;
use std::ops::{BitOr, BitOrAssign};

use crate::reactor::source::{self, Direction};

/// Reading: data, end-of-file or an error can be read.
const READ: u8 = 1 << 0;
/// Writing: the send buffer has room, or writing has become impossible.
const WRITE: u8 = 1 << 1;
/// An error is pending on the socket.
const ERR: u8 = 1 << 2;

/// The readiness a task waits for: readable, writable, an error, or a combination.
///
/// Passed to the `ready`, `try_io` and `async_io` methods of the socket types (for example
/// [`TcpStream::ready`](crate::net::TcpStream::ready)). Combine interests with `|` or with the
/// `const` method [`add`](Interest::add).
///
/// A priority interest (urgent data, `POLLPRI`) is not offered: the reactor does not watch for
/// it separately from readability.
///
/// ```
/// use evloop::io::Interest;
///
/// let both = Interest::READABLE | Interest::WRITABLE;
/// assert!(both.is_readable() && both.is_writable());
/// assert!(!both.is_error());
/// assert_eq!(both.remove(Interest::WRITABLE), Some(Interest::READABLE));
/// assert_eq!(format!("{both:?}"), "READABLE | WRITABLE");
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Interest(u8);

impl Interest {
    /// Readability. A wait for it also ends when the peer has closed its sending half
    /// ([`Ready::READ_CLOSED`](crate::io::Ready::READ_CLOSED)) or the socket has an error.
    pub const READABLE: Interest = Interest(READ);

    /// Writability. A wait for it also ends when the socket can no longer be written
    /// ([`Ready::WRITE_CLOSED`](crate::io::Ready::WRITE_CLOSED)) or has an error.
    pub const WRITABLE: Interest = Interest(WRITE);

    /// Errors: a wait for it ends when the reactor reports an error on the socket
    /// ([`Ready::ERROR`](crate::io::Ready::ERROR)). Which conditions count as errors depends on
    /// the platform (on Linux, `EPOLLERR`: a pending `SO_ERROR`, such as a refused datagram).
    pub const ERROR: Interest = Interest(ERR);

    /// Whether readability is part of the interest.
    ///
    /// ```
    /// use evloop::io::Interest;
    ///
    /// assert!(Interest::READABLE.is_readable());
    /// assert!((Interest::READABLE | Interest::ERROR).is_readable());
    /// assert!(!Interest::WRITABLE.is_readable());
    /// ```
    pub const fn is_readable(self) -> bool {
        self.0 & READ != 0
    }

    /// Whether writability is part of the interest.
    ///
    /// ```
    /// use evloop::io::Interest;
    ///
    /// assert!(Interest::WRITABLE.is_writable());
    /// assert!(!Interest::ERROR.is_writable());
    /// ```
    pub const fn is_writable(self) -> bool {
        self.0 & WRITE != 0
    }

    /// Whether errors are part of the interest.
    ///
    /// ```
    /// use evloop::io::Interest;
    ///
    /// assert!((Interest::WRITABLE | Interest::ERROR).is_error());
    /// assert!(!Interest::READABLE.is_error());
    /// ```
    pub const fn is_error(self) -> bool {
        self.0 & ERR != 0
    }

    /// Both interests together; the same as `self | other`, usable in a `const`.
    ///
    /// ```
    /// use evloop::io::Interest;
    ///
    /// const DUPLEX: Interest = Interest::READABLE.add(Interest::WRITABLE);
    /// assert_eq!(DUPLEX, Interest::READABLE | Interest::WRITABLE);
    /// ```
    #[must_use = "`add` returns the combined interest and leaves `self` unchanged"]
    pub const fn add(self, other: Interest) -> Interest {
        Interest(self.0 | other.0)
    }

    /// `self` without the interests of `other` (those not in `self` are ignored), or `None` if
    /// nothing would be left: an interest is never empty.
    ///
    /// ```
    /// use evloop::io::Interest;
    ///
    /// let both = Interest::READABLE | Interest::WRITABLE;
    /// assert_eq!(both.remove(Interest::READABLE), Some(Interest::WRITABLE));
    /// assert_eq!(both.remove(Interest::ERROR), Some(both));
    /// assert_eq!(Interest::READABLE.remove(Interest::READABLE), None);
    /// ```
    #[must_use = "`remove` returns the reduced interest and leaves `self` unchanged"]
    pub const fn remove(self, other: Interest) -> Option<Interest> {
        match self.0 & !other.0 {
            0 => None,
            left => Some(Interest(left)),
        }
    }

    /// The reactor's conditions that satisfy a wait for this interest: a direction's own
    /// conditions (including its error, which its operation collects), and the error on its own
    /// for `ERROR`.
    pub(crate) fn conditions(self) -> source::Ready {
        let mut conditions = source::Ready::EMPTY;
        if self.is_readable() {
            conditions |= Direction::Read.mask();
        }
        if self.is_writable() {
            conditions |= Direction::Write.mask();
        }
        if self.is_error() {
            conditions |= source::Ready::ERROR;
        }
        conditions
    }

    /// The directions whose readiness this interest asks about (none for `ERROR` alone).
    pub(crate) fn directions(self) -> &'static [Direction] {
        match (self.is_readable(), self.is_writable()) {
            (true, true) => &[Direction::Read, Direction::Write],
            (true, false) => &[Direction::Read],
            (false, true) => &[Direction::Write],
            (false, false) => &[],
        }
    }

    /// The waker slots a wait for this interest registers in: those of its directions, or the
    /// reading slot for `ERROR` alone (an error event wakes both slots).
    pub(crate) fn slots(self) -> &'static [Direction] {
        match self.directions() {
            [] => &[Direction::Read],
            dirs => dirs,
        }
    }
}

impl BitOr for Interest {
    type Output = Interest;

    /// Both interests together; see [`Interest::add`].
    fn bitor(self, other: Interest) -> Interest {
        self.add(other)
    }
}

impl BitOrAssign for Interest {
    fn bitor_assign(&mut self, other: Interest) {
        *self = self.add(other);
    }
}

impl fmt::Debug for Interest {
    /// The names of the interests, joined by `" | "`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = [
            (self.is_readable(), "READABLE"),
            (self.is_writable(), "WRITABLE"),
            (self.is_error(), "ERROR"),
        ];
        let mut first = true;
        for (_, name) in names.into_iter().filter(|(set, _)| *set) {
            if !first {
                f.write_str(" | ")?;
            }
            f.write_str(name)?;
            first = false;
        }
        Ok(())
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn combining_and_removing() {
        let mut interest = Interest::READABLE;
        interest |= Interest::ERROR;
        assert!(interest.is_readable() && interest.is_error() && !interest.is_writable());
        assert_eq!(interest, Interest::ERROR | Interest::READABLE);
        assert_eq!(interest.remove(Interest::ERROR), Some(Interest::READABLE));
        assert_eq!(interest.remove(interest), None);
        assert_eq!(format!("{:?}", Interest::ERROR), "ERROR");
        assert_eq!(
            format!(
                "{:?}",
                Interest::ERROR | Interest::WRITABLE | Interest::READABLE
            ),
            "READABLE | WRITABLE | ERROR"
        );
    }

    #[test]
    fn reactor_conditions_and_slots() {
        use source::Ready as R;
        assert_eq!(Interest::READABLE.conditions(), Direction::Read.mask());
        assert_eq!(Interest::WRITABLE.conditions(), Direction::Write.mask());
        assert_eq!(Interest::ERROR.conditions(), R::ERROR);
        assert_eq!(Interest::ERROR.directions(), &[] as &[Direction]);
        assert_eq!(Interest::ERROR.slots(), &[Direction::Read]);
        assert_eq!(
            (Interest::READABLE | Interest::WRITABLE).slots(),
            &[Direction::Read, Direction::Write]
        );
        assert_eq!(
            (Interest::WRITABLE | Interest::ERROR).directions(),
            &[Direction::Write]
        );
    }
}

//! What the reactor watches, named once for every platform.
//!
//! On Unix the reactor watches file descriptors ([`AsFd`](std::os::fd::AsFd), `BorrowedFd`); on
//! Windows it watches sockets (`AsSocket`, `BorrowedSocket`), the only handles whose readiness
//! the AFD device reports. The rest of the crate names them through the aliases here
//! ([`AsIo`], [`BorrowedIo`], [`RawIo`]) and the few functions that differ per platform, so that
//! `io::Async` and the socket types are written once.

use std::io;

use super::Direction;

#[cfg(unix)]
pub(crate) use std::os::fd::{AsFd as AsIo, BorrowedFd as BorrowedIo, RawFd as RawIo};
#[cfg(windows)]
pub(crate) use std::os::windows::io::{
    AsSocket as AsIo, BorrowedSocket as BorrowedIo, RawSocket as RawIo,
};

/// Borrows `io`'s descriptor (`as_fd` on Unix, `as_socket` on Windows).
#[inline]
pub(crate) fn borrow<T: AsIo + ?Sized>(io: &T) -> BorrowedIo<'_> {
    #[cfg(unix)]
    return io.as_fd();
    #[cfg(windows)]
    return io.as_socket();
}

/// The raw number of `io`'s descriptor, for `Debug` output.
pub(crate) fn raw<T: AsIo + ?Sized>(io: &T) -> RawIo {
    #[cfg(unix)]
    return std::os::fd::AsRawFd::as_raw_fd(&io.as_fd());
    #[cfg(windows)]
    return std::os::windows::io::AsRawSocket::as_raw_socket(&io.as_socket());
}

/// Puts the descriptor in non-blocking mode (`FIONBIO`).
#[cfg(unix)]
#[inline]
pub(crate) fn set_nonblocking(fd: BorrowedIo<'_>) -> io::Result<()> {
    Ok(rustix::io::ioctl_fionbio(fd, true)?)
}

/// Puts the socket in non-blocking mode (`FIONBIO`).
#[cfg(windows)]
pub(crate) fn set_nonblocking(socket: BorrowedIo<'_>) -> io::Result<()> {
    super::iocp::set_nonblocking(socket)
}

/// Asks the kernel, without waiting, whether `fd` is ready in `dir`. Errors, hang-ups and invalid
/// descriptors count as ready (the caller's operation will report them), and so does a failed
/// check (the caller's operation will tell).
#[cfg(unix)]
pub(crate) fn is_ready_now(fd: BorrowedIo<'_>, dir: Direction) -> bool {
    use rustix::event::{PollFd, PollFlags, Timespec};

    // `POLLRDHUP` exists only on Linux, Android and FreeBSD; elsewhere a peer's hang-up shows
    // as `POLLIN` (a read returns end-of-file) or as `POLLHUP`, which is always reported.
    #[cfg(any(target_os = "linux", target_os = "android", target_os = "freebsd"))]
    let read_interest = PollFlags::IN | PollFlags::PRI | PollFlags::RDHUP;
    #[cfg(not(any(target_os = "linux", target_os = "android", target_os = "freebsd")))]
    let read_interest = PollFlags::IN | PollFlags::PRI;
    let interest = match dir {
        Direction::Read => read_interest,
        Direction::Write => PollFlags::OUT,
    };
    let mut fds = [PollFd::from_borrowed_fd(fd, interest)];
    let no_wait = Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    match rustix::event::poll(&mut fds, Some(&no_wait)) {
        Ok(_) => !fds[0].revents().is_empty(),
        Err(_) => true,
    }
}

/// Asks the kernel, without waiting, whether the socket is ready in `dir` (`WSAPoll`). Errors,
/// hang-ups and a failed check count as ready, as on Unix.
#[cfg(windows)]
pub(crate) fn is_ready_now(socket: BorrowedIo<'_>, dir: Direction) -> bool {
    super::iocp::is_ready_now(socket, dir)
}

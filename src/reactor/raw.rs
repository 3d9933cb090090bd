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

/// Linux: asks the kernel to report, with every `recvmsg` on this TCP socket that passes a
/// control buffer, how many bytes its receive queue holds after the read (`TCP_INQ`, Linux
/// 4.18). Best effort: on a kernel without it nothing is reported and reads behave as before.
#[cfg(target_os = "linux")]
pub(crate) fn report_receive_queue(fd: BorrowedIo<'_>) {
    use std::os::fd::AsRawFd;

    let on: libc::c_int = 1;
    // SAFETY: `fd` is an open descriptor for the duration of the call (it is borrowed), and the
    // option value points to a live `c_int` whose size is the length passed.
    let _ = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_INQ,
            std::ptr::from_ref(&on).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
}

/// Linux: reads from a TCP socket into `bufs` with `recvmsg`. Returns the bytes read and whether
/// the socket reported (see [`report_receive_queue`]) that nothing is left to read: then the
/// next read would block, and readiness can be cleared without making that call. (At end of
/// stream the kernel reports one byte left, so that the reader comes back for the end of file.)
#[cfg(target_os = "linux")]
pub(crate) fn recv_reporting_queue(
    fd: BorrowedIo<'_>,
    bufs: &mut [io::IoSliceMut<'_>],
) -> io::Result<(usize, bool)> {
    use std::mem::{size_of, MaybeUninit};
    use std::os::fd::AsRawFd;

    /// Room for one control message carrying a `c_int`, aligned as `cmsghdr` requires.
    #[repr(C)]
    struct Control {
        _align: [libc::cmsghdr; 0],
        bytes: [MaybeUninit<u8>; 32],
    }

    let mut control = Control {
        _align: [],
        bytes: [MaybeUninit::uninit(); 32],
    };
    // SAFETY: `msghdr` is a plain C struct for which all zeroes is a valid (empty) value.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    // `IoSliceMut` is ABI-compatible with `iovec` on Unix (a documented guarantee of std).
    msg.msg_iov = bufs.as_mut_ptr().cast();
    msg.msg_iovlen = bufs.len() as _;
    msg.msg_control = control.bytes.as_mut_ptr().cast();
    msg.msg_controllen = control.bytes.len() as _;
    // SAFETY: `fd` is open (borrowed); `msg` points to `bufs.len()` valid, writable iovecs and a
    // writable control buffer of the length given, all of which outlive the call.
    let n = unsafe { libc::recvmsg(fd.as_raw_fd(), &mut msg, 0) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    let mut drained = false;
    // SAFETY: `CMSG_LEN` is a pure computation.
    let int_message_len = unsafe { libc::CMSG_LEN(size_of::<libc::c_int>() as u32) } as usize;
    if msg.msg_flags & libc::MSG_CTRUNC == 0 {
        // SAFETY: `msg` was filled in by a successful `recvmsg`: its control fields describe
        // the part of `control` the kernel wrote, which the `CMSG_*` walk stays within.
        let mut cmsg = unsafe { libc::CMSG_FIRSTHDR(&msg) };
        while !cmsg.is_null() {
            // SAFETY: a non-null header from the walk lies within the written control data.
            let header = unsafe { &*cmsg };
            if header.cmsg_level == libc::SOL_TCP
                && header.cmsg_type == libc::TCP_CM_INQ
                && header.cmsg_len as usize >= int_message_len
            {
                // SAFETY: the message carries at least a `c_int` of data (checked just above),
                // which may be unaligned, hence the unaligned read.
                let left = unsafe { libc::CMSG_DATA(cmsg).cast::<libc::c_int>().read_unaligned() };
                drained = left == 0;
            }
            // SAFETY: `cmsg` is a header of `msg`'s control data, as the walk requires.
            cmsg = unsafe { libc::CMSG_NXTHDR(&msg, cmsg) };
        }
    }
    Ok((n as usize, drained))
}

#[cfg(all(test, target_os = "linux", not(loom)))]
mod tests {
    use std::io::{IoSliceMut, Write};
    use std::net::{Shutdown, TcpListener, TcpStream};
    use std::os::fd::AsFd;

    use super::{recv_reporting_queue, report_receive_queue};

    fn pair() -> (TcpStream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let writer = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (reader, _) = listener.accept().unwrap();
        (writer, reader)
    }

    fn recv(reader: &TcpStream, len: usize) -> (usize, bool) {
        let mut buf = vec![0u8; len];
        recv_reporting_queue(reader.as_fd(), &mut [IoSliceMut::new(&mut buf)]).unwrap()
    }

    #[test]
    fn reports_whether_a_read_left_the_queue_empty() {
        let (mut writer, reader) = pair();
        // Not asked yet: nothing is reported.
        writer.write_all(&[1; 64]).unwrap();
        assert_eq!(recv(&reader, 64), (64, false));

        report_receive_queue(reader.as_fd());
        writer.write_all(&[2; 128]).unwrap();
        // The blocking reader waits for the data to arrive; the socket is still blocking.
        assert_eq!(recv(&reader, 64), (64, false), "64 bytes are left");
        assert_eq!(recv(&reader, 64), (64, true), "the queue is empty");

        // At end of stream the kernel reports a byte left, so the reader comes back for it.
        writer.write_all(&[3; 64]).unwrap();
        writer.shutdown(Shutdown::Write).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert_eq!(recv(&reader, 64), (64, false));
        assert_eq!(recv(&reader, 64).0, 0, "end of file");
    }
}

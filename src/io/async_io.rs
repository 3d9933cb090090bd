//! [`Async<T>`]: any non-blocking file descriptor, awaitable.
//!
//! `Async::new` puts the descriptor in non-blocking mode and registers it with the reactor once,
//! for both directions. Every operation then follows the readiness protocol of
//! `reactor::source`: try the system call; on `WouldBlock`, clear the readiness that was acted on
//! (unless a newer event arrived meanwhile) and wait for the next event.
//!
//! `readable()` and `writable()` are different: they report readiness without performing an
//! operation, so a stale readiness bit could otherwise make them return again and again while
//! the caller's own system call keeps failing. Before reporting readiness they therefore ask the
//! kernel directly (a zero-timeout `poll(2)`, `WSAPoll` on Windows, on this one descriptor); if
//! the descriptor is not in
//! fact ready, the stale readiness is cleared and they wait for the next event. This also makes
//! `writable()` after a non-blocking `connect` wait for the connection, as it must.
//!
//! The sockets' `ready(interest)` is built the same way for one or both directions at once
//! (`Async::poll_ready`); their `try_io` and `async_io` follow the protocol directly, with the
//! caller's closure as the operation (`Async::try_io`, `Async::async_io`).

#![forbid(unsafe_code)]

use std::fmt;
use std::future::poll_fn;
use std::io::{self, IoSlice, IoSliceMut, Read, Write};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};

use crate::io::{Interest, Ready};
use crate::reactor::{self, raw, source, AsIo, Direction, Reactor, Source};
use crate::task::coop;

/// The message of the one `expect` in this file: `io` is `None` only while `into_inner` or
/// `drop` is consuming the value, when no other method can run.
const TAKEN: &str = "the I/O object is only taken by `into_inner` and `drop`";

/// An I/O object (a socket, a pipe, a terminal, any file descriptor) made asynchronous.
///
/// The descriptor is switched to non-blocking mode and registered with the reactor for as long as
/// the `Async` lives; the I/O operations (through [`read_with`](Async::read_with),
/// [`write_with`](Async::write_with) and friends, or the [`AsyncRead`] and [`AsyncWrite`]
/// implementations) wait for readiness instead of blocking the thread.
///
/// Descriptors that cannot be polled but never block (regular files, `/dev/null`) are accepted
/// and treated as always ready; reading a regular file still takes the time the disk takes, so
/// prefer `evloop::fs` (or [`Unblock`](crate::blocking::Unblock)) for files.
///
/// Each direction has one waiting slot: at any time, at most one task should wait to read and
/// one to write on the same `Async` (further concurrent waiters in the same direction displace
/// each other and may miss a wake-up).
///
/// Every operation spends one unit of the task's poll budget, so a task whose descriptor is
/// always ready still yields to others regularly.
///
/// ```
/// use evloop::io::Async;
/// use futures_lite::{AsyncReadExt, AsyncWriteExt};
/// use std::os::unix::net::UnixStream;
///
/// # fn main() -> std::io::Result<()> {
/// evloop::block_on(async {
///     let (a, b) = UnixStream::pair()?;
///     let (mut a, mut b) = (Async::new(a)?, Async::new(b)?);
///     a.write_all(b"hello").await?;
///     let mut buf = [0; 5];
///     b.read_exact(&mut buf).await?;
///     assert_eq!(&buf, b"hello");
///     Ok(())
/// })
/// # }
/// ```
pub struct Async<T: AsIo> {
    /// The readiness of `io`'s descriptor.
    source: Arc<Source>,
    /// The reactor `source` is registered with.
    reactor: Arc<Reactor>,
    /// `None` only while `into_inner` or `drop` consumes the value.
    io: Option<T>,
}

// `Async` never pins `T` (there is no projection from `Pin<&mut Async<T>>` to `Pin<&mut T>`), so
// moving it is fine whatever `T` is.
impl<T: AsIo> Unpin for Async<T> {}

impl<T: AsIo> Async<T> {
    /// Puts `io`'s descriptor in non-blocking mode and registers it with the reactor.
    ///
    /// # Errors
    /// If the descriptor cannot be switched to non-blocking mode, is already registered (an
    /// `Async` for it exists), or the system is out of resources for another registration.
    ///
    /// ```
    /// use evloop::io::Async;
    /// use std::net::UdpSocket;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let socket = Async::new(UdpSocket::bind("127.0.0.1:0")?)?;
    /// println!("bound to {}", socket.get_ref().local_addr()?);
    /// # Ok(())
    /// # }
    /// ```
    pub fn new(io: T) -> io::Result<Async<T>> {
        raw::set_nonblocking(raw::borrow(&io))?;
        let (reactor, source) = reactor::with_current(|reactor| {
            Ok((reactor.clone(), reactor.register(raw::borrow(&io))?))
        })?;
        Ok(Async {
            source,
            reactor,
            io: Some(io),
        })
    }

    /// The inner I/O object.
    ///
    /// Operations performed directly on it are not seen by the reactor's bookkeeping; they are
    /// fine (a failed one just means the next `read_with`/`readable` call waits as usual), but
    /// the `*_with` methods are the way to do them asynchronously.
    ///
    /// ```
    /// use evloop::io::Async;
    /// use std::net::TcpListener;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let listener = Async::new(TcpListener::bind("127.0.0.1:0")?)?;
    /// let addr = listener.get_ref().local_addr()?;
    /// assert!(addr.ip().is_loopback());
    /// # Ok(())
    /// # }
    /// ```
    pub fn get_ref(&self) -> &T {
        self.io.as_ref().expect(TAKEN)
    }

    /// The inner I/O object, mutably.
    ///
    /// Do not replace the object or its descriptor: the registration belongs to the descriptor
    /// that was registered, and a replacement would never be reported ready.
    ///
    /// ```
    /// use evloop::io::Async;
    /// use std::net::UdpSocket;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let mut socket = Async::new(UdpSocket::bind("127.0.0.1:0")?)?;
    /// socket.get_mut().set_broadcast(true)?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        self.io.as_mut().expect(TAKEN)
    }

    /// Deregisters the descriptor and returns the I/O object. It stays in non-blocking mode.
    ///
    /// # Errors
    /// If the reactor fails to deregister the descriptor (which only happens if the descriptor was
    /// swapped through [`get_mut`](Async::get_mut)); the I/O object is dropped then.
    ///
    /// ```
    /// use evloop::io::Async;
    /// use std::os::unix::net::UnixStream;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let (a, _b) = UnixStream::pair()?;
    /// let a: UnixStream = Async::new(a)?.into_inner()?;
    /// a.set_nonblocking(false)?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn into_inner(mut self) -> io::Result<T> {
        let io = self.io.take().expect(TAKEN);
        self.reactor.deregister(&self.source, raw::borrow(&io))?;
        Ok(io)
    }

    /// Waits until the descriptor is readable: a read would not block (it may still find
    /// end-of-file or an error).
    ///
    /// Readiness can be lost again before the caller acts on it (another reader); a read that
    /// then fails with `WouldBlock` should be retried after awaiting `readable()` again.
    ///
    /// ```
    /// use evloop::io::Async;
    /// use std::io::{Read, Write};
    /// use std::os::unix::net::UnixStream;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// evloop::block_on(async {
    ///     let (a, mut b) = UnixStream::pair()?;
    ///     let a = Async::new(a)?;
    ///     std::thread::spawn(move || b.write_all(b"!"));
    ///     a.readable().await?;
    ///     let mut buf = [0; 1];
    ///     assert_eq!(a.get_ref().read(&mut buf)?, 1);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn readable(&self) -> io::Result<()> {
        poll_fn(|cx| self.poll_readable(cx)).await
    }

    /// Waits until the descriptor is writable: a write would not block (it may still fail, for
    /// example because the peer has gone). Also the way to wait for a non-blocking `connect`.
    ///
    /// ```
    /// use evloop::io::Async;
    /// use std::os::unix::net::UnixStream;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// evloop::block_on(async {
    ///     let (a, _b) = UnixStream::pair()?;
    ///     Async::new(a)?.writable().await
    /// })
    /// # }
    /// ```
    pub async fn writable(&self) -> io::Result<()> {
        poll_fn(|cx| self.poll_writable(cx)).await
    }

    /// Polls for readability; see [`readable`](Async::readable). Stores the task's waker when it
    /// returns `Pending`.
    ///
    /// ```
    /// use evloop::io::Async;
    /// use std::os::unix::net::UnixStream;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// evloop::block_on(async {
    ///     let (a, _b) = UnixStream::pair()?;
    ///     let a = Async::new(a)?;
    ///     let polled = std::future::poll_fn(|cx| std::task::Poll::Ready(a.poll_readable(cx))).await;
    ///     assert!(polled.is_pending(), "nothing was written");
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn poll_readable(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(coop::poll_proceed(cx));
        self.poll_probed(Direction::Read, cx)
    }

    /// Polls for writability; see [`writable`](Async::writable). Stores the task's waker when it
    /// returns `Pending`.
    ///
    /// ```
    /// use evloop::io::Async;
    /// use std::os::unix::net::UnixStream;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// evloop::block_on(async {
    ///     let (a, _b) = UnixStream::pair()?;
    ///     let a = Async::new(a)?;
    ///     std::future::poll_fn(|cx| a.poll_writable(cx)).await
    /// })
    /// # }
    /// ```
    pub fn poll_writable(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(coop::poll_proceed(cx));
        self.poll_probed(Direction::Write, cx)
    }

    /// Waits for readiness in `dir` that the kernel confirms (see the module documentation).
    fn poll_probed(&self, dir: Direction, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            let event = ready!(self.source.poll_ready(dir, cx))?;
            if self.source.is_always_ready() || raw::is_ready_now(raw::borrow(self.get_ref()), dir)
            {
                return Poll::Ready(Ok(()));
            }
            // Stale readiness: forget it (unless a newer event came in) and wait for the next.
            self.source.clear_readiness(dir, event);
        }
    }

    /// Polls for readiness in any of `interest`'s conditions and returns what was found.
    ///
    /// The reactor's record decides when to look (a direction with nothing recorded is not
    /// reported, so that `try_io` agrees with the result); the kernel, asked without waiting as
    /// [`poll_readable`](Async::poll_readable) asks it, decides what is reported: a direction
    /// it calls idle has its stale record cleared (unless a newer event came in), and on Unix
    /// the closed and error conditions reported are the kernel's current ones, not the
    /// record's (a hang-up recorded while a socket was not yet connected is not reported once
    /// it is). A direction satisfied by an error alone is reported ready too, since its
    /// operation is what returns the error. Stores the task's waker in the slot of each
    /// direction of `interest` (the reading slot for `ERROR` alone) when it returns `Pending`.
    pub(crate) fn poll_ready(
        &self,
        interest: Interest,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<Ready>> {
        ready!(coop::poll_proceed(cx));
        loop {
            let event =
                ready!(self
                    .source
                    .poll_ready_any(interest.slots(), interest.conditions(), cx))?;
            let seen = event.ready();
            let now = if self.source.is_always_ready() {
                seen
            } else {
                conditions_now(raw::borrow(self.get_ref()), interest, seen)
            };
            let mut found = source::Ready::EMPTY;
            for &dir in interest.directions() {
                if !seen.intersects(dir.mask()) {
                    continue;
                }
                let of_dir = now & dir.mask();
                if of_dir.is_empty() {
                    // Stale readiness: forget it (unless a newer event came in).
                    self.source.clear_readiness(dir, event);
                    continue;
                }
                found |= of_dir;
                if of_dir == source::Ready::ERROR {
                    found |= match dir {
                        Direction::Read => source::Ready::READABLE,
                        Direction::Write => source::Ready::WRITABLE,
                    };
                }
            }
            if interest.is_error() && seen.contains(source::Ready::ERROR) {
                if now.contains(source::Ready::ERROR) {
                    found |= source::Ready::ERROR;
                } else if interest.directions().is_empty() {
                    // The error was collected since it was recorded.
                    self.source.clear_error(event);
                }
            }
            if !found.is_empty() {
                return Poll::Ready(Ok(Ready::from_reactor(found)));
            }
        }
    }

    /// Waits for readiness in any of `interest`'s conditions; see
    /// [`poll_ready`](Async::poll_ready).
    pub(crate) async fn ready(&self, interest: Interest) -> io::Result<Ready> {
        poll_fn(|cx| self.poll_ready(interest, cx)).await
    }

    /// Runs `f` if the reactor has recorded readiness for `interest` since the last operation
    /// that would have blocked, and fails with `WouldBlock` without running it otherwise. If `f`
    /// fails with `WouldBlock`, the readiness it ran on is cleared (unless a newer event came
    /// in), so that the next wait for it waits for the reactor.
    ///
    /// # Errors
    /// `WouldBlock` as above; the reactor's shutdown; whatever `f` returns.
    pub(crate) fn try_io<R>(
        &self,
        interest: Interest,
        f: impl FnOnce() -> io::Result<R>,
    ) -> io::Result<R> {
        let event = self.source.snapshot(interest.conditions())?;
        if event.ready().is_empty() {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let result = f();
        if matches!(&result, Err(error) if error.kind() == io::ErrorKind::WouldBlock) {
            self.clear(interest, event);
        }
        result
    }

    /// Runs `f` until it stops failing with `WouldBlock`: first at once if readiness for
    /// `interest` is recorded, then after each new readiness, clearing what it ran on after every
    /// `WouldBlock` (as [`try_io`](Async::try_io) does).
    ///
    /// # Errors
    /// The reactor's shutdown; whatever else `f` returns.
    pub(crate) async fn async_io<R>(
        &self,
        interest: Interest,
        mut f: impl FnMut() -> io::Result<R>,
    ) -> io::Result<R> {
        poll_fn(|cx| {
            ready!(coop::poll_proceed(cx));
            loop {
                let event = ready!(self.source.poll_ready_any(
                    interest.slots(),
                    interest.conditions(),
                    cx
                ))?;
                match f() {
                    Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                        if self.source.is_always_ready() {
                            // Nothing will ever be reported for an unpollable descriptor: yield,
                            // and try again on the next poll.
                            cx.waker().wake_by_ref();
                            return Poll::Pending;
                        }
                        self.clear(interest, event);
                    }
                    result => return Poll::Ready(result),
                }
            }
        })
        .await
    }

    /// Clears the readiness an operation for `interest` acted on (`event`) after it failed with
    /// `WouldBlock`: every condition of each direction in `interest`, or the error alone for
    /// `ERROR` alone.
    fn clear(&self, interest: Interest, event: source::ReadyEvent) {
        match interest.directions() {
            [] => self.source.clear_error(event),
            dirs => {
                for &dir in dirs {
                    self.source.clear_readiness(dir, event);
                }
            }
        }
    }

    /// Performs a read-like operation (`read`, `recv`, `accept`, …) with `op` until it stops
    /// failing with `WouldBlock`, waiting for readability in between.
    ///
    /// `op` is tried at once; it is tried again only after the reactor reports new readiness.
    /// It must not block (the descriptor is non-blocking, so system calls on it do not).
    ///
    /// ```
    /// use evloop::io::Async;
    /// use std::net::UdpSocket;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// evloop::block_on(async {
    ///     let socket = Async::new(UdpSocket::bind("127.0.0.1:0")?)?;
    ///     let sender = UdpSocket::bind("127.0.0.1:0")?;
    ///     sender.send_to(b"datagram", socket.get_ref().local_addr()?)?;
    ///     let mut buf = [0; 16];
    ///     let (len, from) = socket.read_with(|s| s.recv_from(&mut buf)).await?;
    ///     assert_eq!((&buf[..len], from), (&b"datagram"[..], sender.local_addr()?));
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn read_with<R>(&self, op: impl FnMut(&T) -> io::Result<R>) -> io::Result<R> {
        let mut op = op;
        poll_fn(|cx| {
            ready!(coop::poll_proceed(cx));
            self.source
                .poll_io(Direction::Read, cx, || op(self.get_ref()))
        })
        .await
    }

    /// Like [`read_with`](Async::read_with), for operations that need `&mut T`.
    ///
    /// ```
    /// use evloop::io::Async;
    /// use std::io::{Read, Write};
    /// use std::os::unix::net::UnixStream;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// evloop::block_on(async {
    ///     let (a, mut b) = UnixStream::pair()?;
    ///     let mut a = Async::new(a)?;
    ///     b.write_all(b"abc")?;
    ///     let mut buf = [0; 3];
    ///     let n = a.read_with_mut(|a| a.read(&mut buf)).await?;
    ///     assert_eq!(&buf[..n], b"abc");
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn read_with_mut<R>(
        &mut self,
        op: impl FnMut(&mut T) -> io::Result<R>,
    ) -> io::Result<R> {
        let mut op = op;
        let Async { source, io, .. } = self;
        let io = io.as_mut().expect(TAKEN);
        poll_fn(|cx| {
            ready!(coop::poll_proceed(cx));
            source.poll_io(Direction::Read, cx, || op(&mut *io))
        })
        .await
    }

    /// Performs a write-like operation (`write`, `send`, finishing a `connect`, …) with `op`
    /// until it stops failing with `WouldBlock`, waiting for writability in between.
    ///
    /// `op` is tried at once; it is tried again only after the reactor reports new readiness.
    ///
    /// ```
    /// use evloop::io::Async;
    /// use std::net::UdpSocket;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// evloop::block_on(async {
    ///     let receiver = UdpSocket::bind("127.0.0.1:0")?;
    ///     let socket = Async::new(UdpSocket::bind("127.0.0.1:0")?)?;
    ///     let to = receiver.local_addr()?;
    ///     let sent = socket.write_with(|s| s.send_to(b"hi", to)).await?;
    ///     assert_eq!(sent, 2);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn write_with<R>(&self, op: impl FnMut(&T) -> io::Result<R>) -> io::Result<R> {
        let mut op = op;
        poll_fn(|cx| {
            ready!(coop::poll_proceed(cx));
            self.source
                .poll_io(Direction::Write, cx, || op(self.get_ref()))
        })
        .await
    }

    /// Like [`write_with`](Async::write_with), for operations that need `&mut T`.
    ///
    /// ```
    /// use evloop::io::Async;
    /// use std::io::Write;
    /// use std::os::unix::net::UnixStream;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// evloop::block_on(async {
    ///     let (a, _b) = UnixStream::pair()?;
    ///     let mut a = Async::new(a)?;
    ///     let n = a.write_with_mut(|a| a.write(b"xyz")).await?;
    ///     assert_eq!(n, 3);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn write_with_mut<R>(
        &mut self,
        op: impl FnMut(&mut T) -> io::Result<R>,
    ) -> io::Result<R> {
        let mut op = op;
        let Async { source, io, .. } = self;
        let io = io.as_mut().expect(TAKEN);
        poll_fn(|cx| {
            ready!(coop::poll_proceed(cx));
            source.poll_io(Direction::Write, cx, || op(&mut *io))
        })
        .await
    }
}

/// Which of the conditions recorded in `seen` that `interest` asks about hold now, as the
/// kernel reports them without waiting (one zero-timeout `poll(2)` on `fd`): readability,
/// writability, the closing of each direction and a pending error, for the directions of
/// `interest` that have something recorded (an error alone is asked about with no direction).
/// A failed check trusts the record.
#[cfg(unix)]
fn conditions_now(
    fd: raw::BorrowedIo<'_>,
    interest: Interest,
    seen: source::Ready,
) -> source::Ready {
    use rustix::event::{PollFd, PollFlags, Timespec};
    use source::Ready as R;

    // As in `raw::is_ready_now`: `POLLRDHUP` only where it exists; elsewhere a peer's close
    // shows as readability (a read returns end-of-file) or as `POLLHUP`.
    #[cfg(any(target_os = "linux", target_os = "android", target_os = "freebsd"))]
    let (read_flags, read_closed) = (
        PollFlags::IN | PollFlags::PRI | PollFlags::RDHUP,
        PollFlags::RDHUP | PollFlags::HUP,
    );
    #[cfg(not(any(target_os = "linux", target_os = "android", target_os = "freebsd")))]
    let (read_flags, read_closed) = (PollFlags::IN | PollFlags::PRI, PollFlags::HUP);

    let read = interest.is_readable() && seen.intersects(Direction::Read.mask());
    let write = interest.is_writable() && seen.intersects(Direction::Write.mask());
    let mut asked = PollFlags::empty();
    if read {
        asked |= read_flags;
    }
    if write {
        asked |= PollFlags::OUT;
    }
    // Errors (`POLLERR`, and `POLLNVAL` for a descriptor that is no longer valid) are always
    // reported, even with nothing asked.
    let mut fds = [PollFd::from_borrowed_fd(fd, asked)];
    let no_wait = Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    if rustix::event::poll(&mut fds, Some(&no_wait)).is_err() {
        return seen;
    }
    let got = fds[0].revents();
    let mut now = R::EMPTY;
    if read {
        if got.intersects(PollFlags::IN | PollFlags::PRI) {
            now |= R::READABLE;
        }
        if got.intersects(read_closed) {
            now |= R::READ_CLOSED;
        }
    }
    if write {
        if got.contains(PollFlags::OUT) {
            now |= R::WRITABLE;
        }
        if got.contains(PollFlags::HUP) {
            now |= R::WRITE_CLOSED;
        }
    }
    if got.intersects(PollFlags::ERR | PollFlags::NVAL) {
        now |= R::ERROR;
    }
    now
}

/// Which of the conditions recorded in `seen` that `interest` asks about hold now: those of each
/// direction the kernel calls ready (`WSAPoll`, as `raw::is_ready_now` asks), and a recorded
/// error for `ERROR` alone (which `WSAPoll` cannot be asked about on its own).
#[cfg(windows)]
fn conditions_now(
    socket: raw::BorrowedIo<'_>,
    interest: Interest,
    seen: source::Ready,
) -> source::Ready {
    let mut now = source::Ready::EMPTY;
    for &dir in interest.directions() {
        if seen.intersects(dir.mask()) && raw::is_ready_now(socket, dir) {
            now |= seen & dir.mask();
        }
    }
    if interest.directions().is_empty() {
        now |= seen & source::Ready::ERROR;
    }
    now
}

impl<T: AsIo> Drop for Async<T> {
    fn drop(&mut self) {
        if let Some(io) = self.io.take() {
            // Deregister before the descriptor is closed (when `io` drops right after).
            let _ = self.reactor.deregister(&self.source, raw::borrow(&io));
        }
    }
}

#[cfg(unix)]
impl<T: AsIo> std::os::fd::AsFd for Async<T> {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.get_ref().as_fd()
    }
}

#[cfg(windows)]
impl<T: AsIo> std::os::windows::io::AsSocket for Async<T> {
    fn as_socket(&self) -> std::os::windows::io::BorrowedSocket<'_> {
        self.get_ref().as_socket()
    }
}

impl<T: AsIo> Async<T>
where
    for<'a> &'a T: Read,
{
    /// `AsyncRead::poll_read` for a byte stream (TCP, Unix stream sockets): a short read
    /// clears readability, so the next read waits for an edge instead of making a call that
    /// would block (see `Source::poll_read_stream`). Not for datagram sockets, where a short
    /// read says nothing about what else is queued.
    pub(crate) fn poll_read_stream(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        ready!(coop::poll_proceed(cx));
        self.source.poll_read_stream(cx, buf.len(), || {
            Read::read(&mut self.get_ref(), buf).map(|n| (n, false))
        })
    }

    /// [`poll_read_stream`](Async::poll_read_stream) into several buffers.
    pub(crate) fn poll_read_stream_vectored(
        &self,
        cx: &mut Context<'_>,
        bufs: &mut [IoSliceMut<'_>],
    ) -> Poll<io::Result<usize>> {
        ready!(coop::poll_proceed(cx));
        let len = bufs.iter().map(|buf| buf.len()).sum();
        self.source.poll_read_stream(cx, len, || {
            Read::read_vectored(&mut self.get_ref(), bufs).map(|n| (n, false))
        })
    }

    /// [`poll_read_stream_vectored`](Async::poll_read_stream_vectored) for a TCP socket on
    /// Linux, which can report what a read left in its receive queue: a read that fills the
    /// buffers but leaves the queue empty then clears readability as a short read does, sparing
    /// the next read of a fixed-size message its call that would block.
    ///
    /// The report costs one `setsockopt` per socket, made on its first read that fills the
    /// buffers (`reports_queue` records it), and a `recvmsg` with a control buffer for every
    /// read after it, which the kernel serves with more work than a plain `recv`. Until then
    /// reads are plain `recv`s, so that sockets whose reads are all short (which clear
    /// readability anyway) never pay for either.
    #[cfg(target_os = "linux")]
    pub(crate) fn poll_read_tcp(
        &self,
        cx: &mut Context<'_>,
        bufs: &mut [IoSliceMut<'_>],
        reports_queue: &std::sync::atomic::AtomicBool,
    ) -> Poll<io::Result<usize>> {
        use crate::reactor::raw;
        use std::sync::atomic::Ordering::Relaxed;

        ready!(coop::poll_proceed(cx));
        let len = bufs.iter().map(|buf| buf.len()).sum();
        let fd = raw::borrow(self.get_ref());
        let reports = reports_queue.load(Relaxed);
        let polled = self.source.poll_read_stream(cx, len, || {
            if reports {
                return raw::recv_reporting_queue(fd, bufs);
            }
            let mut io = self.get_ref();
            match bufs {
                [buf] => Read::read(&mut io, buf),
                _ => Read::read_vectored(&mut io, bufs),
            }
            .map(|n| (n, false))
        });
        if let Poll::Ready(Ok(n)) = polled {
            if n == len && n > 0 && !reports {
                reports_queue.store(true, Relaxed);
                raw::report_receive_queue(fd);
            }
        }
        polled
    }
}

impl<T: AsIo + fmt::Debug> fmt::Debug for Async<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Async")
            .field("io", self.get_ref())
            .field("source", &self.source)
            .finish()
    }
}

// ===== futures-io =====
//
// Flushing and closing spend no budget: for descriptors they are no-ops or a single
// non-blocking call, and a writer that writes and flushes should not pay twice.

impl<T: AsIo + Read> AsyncRead for Async<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        ready!(coop::poll_proceed(cx));
        let Async { source, io, .. } = self.get_mut();
        let io = io.as_mut().expect(TAKEN);
        source.poll_io(Direction::Read, cx, || io.read(buf))
    }

    fn poll_read_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &mut [IoSliceMut<'_>],
    ) -> Poll<io::Result<usize>> {
        ready!(coop::poll_proceed(cx));
        let Async { source, io, .. } = self.get_mut();
        let io = io.as_mut().expect(TAKEN);
        source.poll_io(Direction::Read, cx, || io.read_vectored(bufs))
    }
}

impl<T: AsIo> AsyncRead for &Async<T>
where
    for<'a> &'a T: Read,
{
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        ready!(coop::poll_proceed(cx));
        let this: &Async<T> = *self;
        this.source
            .poll_io(Direction::Read, cx, || Read::read(&mut this.get_ref(), buf))
    }

    fn poll_read_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &mut [IoSliceMut<'_>],
    ) -> Poll<io::Result<usize>> {
        ready!(coop::poll_proceed(cx));
        let this: &Async<T> = *self;
        this.source.poll_io(Direction::Read, cx, || {
            Read::read_vectored(&mut this.get_ref(), bufs)
        })
    }
}

impl<T: AsIo + Write> AsyncWrite for Async<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        ready!(coop::poll_proceed(cx));
        let Async { source, io, .. } = self.get_mut();
        let io = io.as_mut().expect(TAKEN);
        source.poll_io(Direction::Write, cx, || io.write(buf))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        ready!(coop::poll_proceed(cx));
        let Async { source, io, .. } = self.get_mut();
        let io = io.as_mut().expect(TAKEN);
        source.poll_io(Direction::Write, cx, || io.write_vectored(bufs))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let Async { source, io, .. } = self.get_mut();
        let io = io.as_mut().expect(TAKEN);
        source.poll_io(Direction::Write, cx, || io.flush())
    }

    /// Flushes; the descriptor itself is closed when the `Async` is dropped.
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_flush(cx)
    }
}

impl<T: AsIo> AsyncWrite for &Async<T>
where
    for<'a> &'a T: Write,
{
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        ready!(coop::poll_proceed(cx));
        let this: &Async<T> = *self;
        this.source.poll_io(Direction::Write, cx, || {
            Write::write(&mut this.get_ref(), buf)
        })
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        ready!(coop::poll_proceed(cx));
        let this: &Async<T> = *self;
        this.source.poll_io(Direction::Write, cx, || {
            Write::write_vectored(&mut this.get_ref(), bufs)
        })
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this: &Async<T> = *self;
        this.source
            .poll_io(Direction::Write, cx, || Write::flush(&mut this.get_ref()))
    }

    /// Flushes; the descriptor itself is closed when the `Async` is dropped.
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_flush(cx)
    }
}

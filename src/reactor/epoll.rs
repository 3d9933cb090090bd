//! The Linux and Android backend: one epoll instance, plus an eventfd for wake-ups.
//!
//! * Every descriptor is added once, **edge-triggered**, for reading, writing and read hang-up
//!   (`EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET`), and stays registered until it is deleted. No
//!   re-arming, no interest changes: the [`Source`](super::source::Source) remembers the edges.
//! * Descriptors epoll refuses with `EPERM` (regular files, directories, some character devices
//!   such as `/dev/null`) cannot block; [`Poller::add`] reports them as
//!   [`Registration::AlwaysReady`] instead of failing. Resource errors (`ENOMEM`, `ENOSPC` when
//!   `max_user_watches` is exhausted) and misuse (`EEXIST`, `EBADF`) are returned as errors.
//! * [`Poller::notify`] writes to an eventfd that is itself registered (edge-triggered) under the
//!   reserved key [`NOTIFY_KEY`]; [`Poller::wait`] drains it and does not report it. A flag makes
//!   notifications coalesce: while one is pending, further ones cost no system call.
//! * Timeouts are rounded **up** to whole milliseconds (epoll's resolution), so a wait never ends
//!   before its deadline; a wait interrupted by a signal returns with no events.

use std::fmt;
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::time::Duration;

use rustix::event::{epoll, eventfd, EventfdFlags, Timespec};
use rustix::io::Errno;

use super::source::Ready;
use crate::loom::{AtomicBool, Ordering::AcqRel, Ordering::Release};

/// The key the eventfd is registered under; [`Poller::add`] must never be given it.
///
/// The reactor's keys never have every index bit set, so they never equal it.
pub(crate) const NOTIFY_KEY: usize = usize::MAX;

/// How many events one [`Poller::wait`] returns at most; more stay queued in the kernel for the
/// next wait. 1024 × 12 bytes: a batch large enough that a busy reactor rarely needs two waits
/// per wake-up, small enough to stay in cache.
#[cfg(not(loom))]
const EVENTS_CAPACITY: usize = 1024;
#[cfg(loom)]
const EVENTS_CAPACITY: usize = 4;

/// What [`Poller::add`] did with a descriptor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Registration {
    /// The descriptor is registered; its events will be reported under its key.
    Registered,
    /// The backend cannot poll this descriptor (epoll said `EPERM`); operations on it never
    /// block, so treat it as permanently ready. Nothing was registered; do not delete it.
    AlwaysReady,
}

/// An epoll instance and its wake-up eventfd.
pub(crate) struct Poller {
    /// The epoll instance.
    epoll: OwnedFd,
    /// # Invariant
    /// Non-blocking, and registered in `epoll` under [`NOTIFY_KEY`] for the poller's whole life.
    event_fd: OwnedFd,
    /// Set by the first `notify` after a wait drained the eventfd; later ones see it set and skip
    /// the write. Cleared by `wait` just before it drains the eventfd.
    notified: AtomicBool,
}

impl Poller {
    /// Creates the epoll instance (close-on-exec) and registers a non-blocking, close-on-exec
    /// eventfd for [`Poller::notify`].
    pub(crate) fn new() -> io::Result<Poller> {
        let epoll = epoll::create(epoll::CreateFlags::CLOEXEC)?;
        let event_fd = eventfd(0, EventfdFlags::CLOEXEC | EventfdFlags::NONBLOCK)?;
        epoll::add(
            &epoll,
            &event_fd,
            epoll::EventData::new_u64(NOTIFY_KEY as u64),
            epoll::EventFlags::IN | epoll::EventFlags::ET,
        )?;
        Ok(Poller {
            epoll,
            event_fd,
            notified: AtomicBool::new(false),
        })
    }

    /// Registers `fd` under `key`, edge-triggered, for both directions and read hang-up, for as
    /// long as it lives or until [`Poller::delete`].
    ///
    /// Returns [`Registration::AlwaysReady`] for a descriptor epoll cannot poll.
    pub(crate) fn add(&self, fd: BorrowedFd<'_>, key: usize) -> io::Result<Registration> {
        debug_assert_ne!(key, NOTIFY_KEY, "the notify key is reserved");
        let interest = epoll::EventFlags::IN
            | epoll::EventFlags::OUT
            | epoll::EventFlags::RDHUP
            | epoll::EventFlags::ET;
        match epoll::add(
            &self.epoll,
            fd,
            epoll::EventData::new_u64(key as u64),
            interest,
        ) {
            Ok(()) => Ok(Registration::Registered),
            Err(Errno::PERM) => Ok(Registration::AlwaysReady),
            Err(errno) => Err(errno.into()),
        }
    }

    /// Removes `fd`'s registration. Events already collected by a wait may still name its key.
    pub(crate) fn delete(&self, fd: BorrowedFd<'_>) -> io::Result<()> {
        epoll::delete(&self.epoll, fd)?;
        Ok(())
    }

    /// Waits for events, or until `timeout` passes (rounded up to whole milliseconds; `None`
    /// waits indefinitely, `Some(ZERO)` does not wait), or until [`Poller::notify`] is called.
    ///
    /// `events` is cleared first and then holds what arrived. A wait interrupted by a signal
    /// returns `Ok` with no events. One thread at a time may wait.
    pub(crate) fn wait(&self, events: &mut Events, timeout: Option<Duration>) -> io::Result<()> {
        events.list.clear();
        let timeout = timeout.map(round_up_to_millis);
        match epoll::wait(
            &self.epoll,
            rustix::buffer::spare_capacity(&mut events.list),
            timeout.as_ref(),
        ) {
            Ok(_) => {}
            Err(Errno::INTR) => return Ok(()),
            Err(errno) => return Err(errno.into()),
        }
        if events
            .list
            .iter()
            .any(|event| event.data.u64() == NOTIFY_KEY as u64)
        {
            // Drain first, then clear the flag. The other order loses wake-ups for good: a
            // notify landing between the clear and the read would set the flag and write, the
            // read would swallow its write, and every later notify would see the flag set and
            // skip its write while the eventfd stays empty. In this order, a notify landing
            // between the read and the clear is skipped, but it was for this wait, which has
            // returned: the caller re-checks its state before it waits again.
            let mut buf = [0u8; 8];
            let drained = rustix::io::read(&self.event_fd, &mut buf);
            self.notified.store(false, Release);
            match drained {
                Ok(_) | Err(Errno::AGAIN) | Err(Errno::INTR) => {}
                Err(errno) => return Err(errno.into()),
            }
        }
        Ok(())
    }

    /// Makes the current or next [`Poller::wait`] return promptly. Safe to call from any thread;
    /// costs a system call only if no notification is pending already.
    pub(crate) fn notify(&self) -> io::Result<()> {
        if self.notified.swap(true, AcqRel) {
            return Ok(());
        }
        match rustix::io::write(&self.event_fd, &1u64.to_ne_bytes()) {
            // AGAIN: the counter is saturated, so the eventfd is readable anyway.
            Ok(_) | Err(Errno::AGAIN) => Ok(()),
            Err(errno) => {
                self.notified.store(false, Release);
                Err(errno.into())
            }
        }
    }
}

impl fmt::Debug for Poller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Poller")
            .field("epoll", &self.epoll)
            .field("event_fd", &self.event_fd)
            .finish()
    }
}

impl AsFd for Poller {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.epoll.as_fd()
    }
}

/// `timeout` in whole milliseconds, rounded up, capped at `i32::MAX` ms (about 24.8 days; a wait
/// that long simply returns early and its caller waits again) so that the plain `epoll_wait`
/// system call, present on every kernel, can express it.
fn round_up_to_millis(timeout: Duration) -> Timespec {
    let millis = timeout.as_nanos().div_ceil(1_000_000).min(i32::MAX as u128) as i64;
    Timespec {
        tv_sec: millis / 1_000,
        tv_nsec: (millis % 1_000) * 1_000_000,
    }
}

/// A reusable buffer of events filled by [`Poller::wait`].
pub(crate) struct Events {
    /// # Invariant
    /// The events' data fields hold integers (keys) only, never pointers.
    list: Vec<epoll::Event>,
}

// SAFETY: the kernel's event record is not `Send` only because its data field may hold a
// pointer; ours only ever hold integer keys (the invariant on `list`), which may move freely
// between threads.
unsafe impl Send for Events {}

impl Events {
    /// An empty buffer with room for one batch.
    pub(crate) fn new() -> Events {
        Events {
            list: Vec::with_capacity(EVENTS_CAPACITY),
        }
    }

    /// The events of the last wait as `(key, readiness)`, without the eventfd's.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (usize, Ready)> + '_ {
        self.list.iter().filter_map(|event| {
            // Copy the fields out: the kernel's struct is packed on some targets.
            let (flags, key) = (event.flags, event.data.u64());
            if key == NOTIFY_KEY as u64 {
                return None;
            }
            Some((key as usize, ready_from(flags)))
        })
    }
}

impl fmt::Debug for Events {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// Translates epoll's flags into the portable conditions.
///
/// `EPOLLHUP` means both directions are shut (a socket whose peer is gone, a pipe whose writer
/// closed), `EPOLLRDHUP` only the peer's writing half; `EPOLLERR` is an error for both directions
/// (a pipe's write end also reports it once the reader is gone).
fn ready_from(flags: epoll::EventFlags) -> Ready {
    use epoll::EventFlags as F;
    let mut ready = Ready::EMPTY;
    if flags.intersects(F::IN | F::PRI) {
        ready |= Ready::READABLE;
    }
    if flags.contains(F::OUT) {
        ready |= Ready::WRITABLE;
    }
    if flags.contains(F::RDHUP) {
        ready |= Ready::READ_CLOSED;
    }
    if flags.contains(F::HUP) {
        ready |= Ready::READ_CLOSED | Ready::WRITE_CLOSED;
    }
    if flags.contains(F::ERR) {
        ready |= Ready::ERROR;
    }
    ready
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::io::Write;
    use std::os::unix::net::UnixStream;
    use std::sync::Arc;
    use std::time::Instant;

    fn nonblocking_pair() -> (UnixStream, UnixStream) {
        let (a, b) = UnixStream::pair().unwrap();
        a.set_nonblocking(true).unwrap();
        b.set_nonblocking(true).unwrap();
        (a, b)
    }

    fn collect(poller: &Poller, timeout: Option<Duration>) -> Vec<(usize, Ready)> {
        let mut events = Events::new();
        poller.wait(&mut events, timeout).unwrap();
        events.iter().collect()
    }

    #[test]
    fn poller_is_send_and_sync() {
        fn assert<T: Send + Sync>() {}
        assert::<Poller>();
    }

    #[test]
    fn reports_initial_writability_then_edges_once() {
        let poller = Poller::new().unwrap();
        let (a, mut b) = nonblocking_pair();
        assert_eq!(poller.add(a.as_fd(), 5).unwrap(), Registration::Registered);
        // Adding reports the current state once.
        assert_eq!(
            collect(&poller, Some(Duration::ZERO)),
            vec![(5, Ready::WRITABLE)]
        );
        // Edge-triggered: nothing new, nothing reported.
        assert!(collect(&poller, Some(Duration::ZERO)).is_empty());

        b.write_all(b"x").unwrap();
        let events = collect(&poller, Some(Duration::from_secs(5)));
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].0, 5);
        assert!(events[0].1.contains(Ready::READABLE));
        // Not drained, but no new edge: still nothing.
        assert!(collect(&poller, Some(Duration::ZERO)).is_empty());

        drop(b);
        let events = collect(&poller, Some(Duration::from_secs(5)));
        assert_eq!(events.len(), 1);
        assert!(
            events[0].1.contains(Ready::READ_CLOSED),
            "{:?}",
            events[0].1
        );
    }

    #[test]
    fn delete_stops_events() {
        let poller = Poller::new().unwrap();
        let (a, mut b) = nonblocking_pair();
        poller.add(a.as_fd(), 1).unwrap();
        let _ = collect(&poller, Some(Duration::ZERO));
        poller.delete(a.as_fd()).unwrap();
        b.write_all(b"x").unwrap();
        assert!(collect(&poller, Some(Duration::from_millis(20))).is_empty());
        // Deleting twice is an error (ENOENT), adding twice too (EEXIST).
        assert!(poller.delete(a.as_fd()).is_err());
        poller.add(a.as_fd(), 1).unwrap();
        assert!(poller.add(a.as_fd(), 2).is_err());
    }

    #[test]
    fn unpollable_descriptors_are_always_ready() {
        let poller = Poller::new().unwrap();
        let file = std::fs::File::open("/dev/null").unwrap();
        assert_eq!(
            poller.add(file.as_fd(), 1).unwrap(),
            Registration::AlwaysReady
        );
        let regular = std::fs::File::open(std::env::current_exe().unwrap()).unwrap();
        assert_eq!(
            poller.add(regular.as_fd(), 2).unwrap(),
            Registration::AlwaysReady
        );
    }

    #[test]
    fn bad_descriptors_are_errors() {
        let poller = Poller::new().unwrap();
        // A descriptor cannot watch itself.
        assert!(poller.add(poller.as_fd(), 1).is_err());
    }

    #[test]
    fn notify_wakes_a_blocked_wait_and_is_not_reported() {
        let poller = Arc::new(Poller::new().unwrap());
        let notifier = {
            let poller = poller.clone();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(20));
                poller.notify().unwrap();
            })
        };
        let start = Instant::now();
        assert!(collect(&poller, None).is_empty());
        assert!(start.elapsed() < Duration::from_secs(10));
        notifier.join().unwrap();
    }

    #[test]
    fn notify_before_wait_is_sticky_and_coalesces() {
        let poller = Poller::new().unwrap();
        poller.notify().unwrap();
        poller.notify().unwrap();
        // The pending notification makes the next wait return at once...
        let start = Instant::now();
        assert!(collect(&poller, Some(Duration::from_secs(10))).is_empty());
        assert!(start.elapsed() < Duration::from_secs(5));
        // ...and is consumed by it: the next one times out.
        let start = Instant::now();
        assert!(collect(&poller, Some(Duration::from_millis(30))).is_empty());
        assert!(start.elapsed() >= Duration::from_millis(30));
        // And a later notify works again.
        poller.notify().unwrap();
        let start = Instant::now();
        assert!(collect(&poller, Some(Duration::from_secs(10))).is_empty());
        assert!(start.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn timeouts_round_up_never_down() {
        let check = |timeout: Duration, millis: i64| {
            let ts = round_up_to_millis(timeout);
            assert_eq!(
                ts.tv_sec * 1_000 + ts.tv_nsec / 1_000_000,
                millis,
                "{timeout:?}"
            );
            assert_eq!(ts.tv_nsec % 1_000_000, 0);
        };
        check(Duration::ZERO, 0);
        check(Duration::from_nanos(1), 1);
        check(Duration::from_micros(1_000), 1);
        check(Duration::from_micros(1_001), 2);
        check(Duration::from_millis(1_500), 1_500);
        check(Duration::from_secs(u64::MAX), i32::MAX as i64);

        let poller = Poller::new().unwrap();
        for requested in [Duration::from_micros(300), Duration::from_micros(2_500)] {
            let start = Instant::now();
            assert!(collect(&poller, Some(requested)).is_empty());
            assert!(start.elapsed() >= requested, "woke before {requested:?}");
        }
    }

    #[test]
    fn readiness_translation() {
        use epoll::EventFlags as F;
        assert_eq!(ready_from(F::IN), Ready::READABLE);
        assert_eq!(ready_from(F::PRI), Ready::READABLE);
        assert_eq!(ready_from(F::OUT), Ready::WRITABLE);
        assert_eq!(
            ready_from(F::IN | F::RDHUP),
            Ready::READABLE | Ready::READ_CLOSED
        );
        assert_eq!(ready_from(F::HUP), Ready::READ_CLOSED | Ready::WRITE_CLOSED);
        assert_eq!(ready_from(F::OUT | F::ERR), Ready::WRITABLE | Ready::ERROR);
        assert_eq!(ready_from(F::empty()), Ready::EMPTY);
    }

    #[test]
    fn pipe_write_end_reports_error_when_the_reader_goes() {
        let poller = Poller::new().unwrap();
        let (reader, writer) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::NONBLOCK).unwrap();
        poller.add(writer.as_fd(), 3).unwrap();
        let _ = collect(&poller, Some(Duration::ZERO));
        drop(reader);
        let events = collect(&poller, Some(Duration::from_secs(5)));
        assert_eq!(events.len(), 1);
        assert!(events[0].1.contains(Ready::ERROR), "{:?}", events[0].1);
    }
}

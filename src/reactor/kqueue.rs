//! The kqueue backend (macOS, iOS, tvOS, watchOS, FreeBSD, NetBSD, OpenBSD, DragonFly): one
//! kqueue, plus a user event or a pipe for wake-ups.
//!
//! It follows the epoll backend item by item; where kqueue differs:
//!
//! * kqueue watches (descriptor, filter) pairs, so [`Poller::add`] adds two, `EVFILT_READ` and
//!   `EVFILT_WRITE`, both `EV_CLEAR` (edge-triggered), in one `kevent` call, and they stay until
//!   deleted. Each change carries `EV_RECEIPT`, so the call reports the outcome of each filter and
//!   never consumes pending events. A hang-up is a flag (`EV_EOF`) on a filter's event, not a
//!   condition of its own, so one descriptor can yield two events in a wait (one per filter).
//! * kqueue accepts regular files (always writable, readable while the offset is before the end),
//!   so they are registered rather than always-ready. What it refuses, per platform, with the
//!   errors [`cannot_poll`] turns into [`Registration::AlwaysReady`]:
//!   * macOS and iOS: `EINVAL` for vnodes other than regular files, FIFOs and terminals
//!     (`/dev/null` and most other devices, directories) and for a filter a file type lacks;
//!     `ENOTSUP` for a FIFO that is not served by the FIFO file system;
//!   * FreeBSD and DragonFly: `ENODEV` for devices without a kqueue filter (`/dev/null`), `EINVAL`
//!     for file types without one (POSIX shared memory, for instance);
//!   * NetBSD and OpenBSD: `EOPNOTSUPP` for block devices and, on OpenBSD, character devices
//!     without a filter; `EINVAL` for vnodes whose file system lacks the filter.
//!
//!   Whichever filter was added before the other was refused is removed again, so nothing stays
//!   registered. The exception is `EPIPE` from `EVFILT_WRITE` (FreeBSD and older macOS refuse to
//!   watch the write end of a pipe whose reader is gone): the read filter is kept, since writes
//!   then fail at once with `EPIPE` and never wait.
//! * kqueue does not refuse a second registration of a descriptor as epoll does (`EEXIST`): it
//!   updates the first one, which from then on reports the new key. So the poller keeps the set
//!   of registered descriptor numbers itself (behind a mutex, taken only by `add` and `delete`)
//!   and refuses a second `add` with `EEXIST`, as epoll would. A descriptor closed without
//!   `delete` (against the reactor's rule) leaves its number in the set until it is deleted.
//! * Closing a descriptor removes its registrations (kqueue ties them to the descriptor, epoll to
//!   the open file), so a registration never outlives its descriptor.
//! * [`Poller::notify`] triggers an `EVFILT_USER` event registered with `EV_CLEAR` under
//!   [`NOTIFY_KEY`]; retrieving it in [`Poller::wait`] resets it, so that retrieval is the drain.
//!   OpenBSD has no `EVFILT_USER`, and NetBSD only since version 10, which the system-call layer
//!   does not expose; there a non-blocking pipe whose read end is registered under
//!   [`NOTIFY_KEY`] stands in, written by `notify` and drained by `wait`. The coalescing flag is
//!   the same as epoll's.
//! * `kevent` takes a `timespec`, so timeouts keep their nanoseconds (no rounding is needed to
//!   never wake early); they are capped, as in the epoll backend, at about 24.8 days, which keeps
//!   clear of the limits some kernels put on a timeout.

use std::collections::HashSet;
use std::ffi::c_void;
use std::fmt;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::time::Duration;

use rustix::event::kqueue::{self, Event, EventFilter, EventFlags};
use rustix::event::Timespec;
use rustix::io::{Errno, FdFlags};

use super::source::Ready;
use crate::loom::{lock, AtomicBool, Mutex, Ordering::AcqRel, Ordering::Release};

/// The key the wake-up event is registered under; [`Poller::add`] must never be given it.
///
/// The reactor's keys never have every index bit set, so they never equal it.
pub(crate) const NOTIFY_KEY: usize = usize::MAX;

/// How many events one [`Poller::wait`] returns at most; more stay queued in the kernel for the
/// next wait. 1024 × 32 bytes (64 on FreeBSD): a batch large enough that a busy reactor rarely
/// needs two waits per wake-up, small enough to stay in cache.
#[cfg(not(loom))]
const EVENTS_CAPACITY: usize = 1024;
#[cfg(loom)]
const EVENTS_CAPACITY: usize = 4;

/// The longest wait one `kevent` call is asked for (`i32::MAX` ms, about 24.8 days, as in the
/// epoll backend); a longer one simply returns early and its caller waits again.
const MAX_TIMEOUT: Duration = Duration::from_millis(i32::MAX as u64);

/// What [`Poller::add`] did with a descriptor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Registration {
    /// The descriptor is registered; its events will be reported under its key.
    Registered,
    /// The backend cannot poll this descriptor (kqueue refused it with an error that
    /// [`cannot_poll`] accepts); operations on it never block, so treat it as permanently ready.
    /// Nothing was registered; do not delete it.
    AlwaysReady,
}

/// A kqueue and its wake-up event.
pub(crate) struct Poller {
    /// The kqueue.
    kqueue: OwnedFd,
    /// # Invariant
    /// Registered in `kqueue` under [`NOTIFY_KEY`] for the poller's whole life.
    wakeup: Wakeup,
    /// Set by the first `notify` after a wait drained the wake-up event; later ones see it set and
    /// skip the system call. Cleared by `wait` just after it drains the event.
    notified: AtomicBool,
    /// The descriptors `add` registered and `delete` has not removed (see the module
    /// documentation: kqueue itself would let a second registration replace the first).
    registered: Mutex<HashSet<RawFd>>,
}

impl Poller {
    /// Creates the kqueue (close-on-exec) and registers the wake-up event for
    /// [`Poller::notify`].
    pub(crate) fn new() -> io::Result<Poller> {
        let kqueue = kqueue::kqueue()?;
        // `kqueue()` takes no flags, so close-on-exec is set afterwards. That leaves no window
        // for a leak: a child created by `fork` never inherits a kqueue.
        rustix::io::fcntl_setfd(&kqueue, FdFlags::CLOEXEC)?;
        let wakeup = Wakeup::new(&kqueue)?;
        Ok(Poller {
            kqueue,
            wakeup,
            notified: AtomicBool::new(false),
            registered: Mutex::new(HashSet::new()),
        })
    }

    /// Registers `fd` under `key`, edge-triggered, for both directions (hang-ups are reported
    /// with them), for as long as it stays open or until [`Poller::delete`].
    ///
    /// Returns [`Registration::AlwaysReady`] for a descriptor kqueue cannot poll, and `EEXIST`
    /// for one that is registered already.
    pub(crate) fn add(&self, fd: BorrowedFd<'_>, key: usize) -> io::Result<Registration> {
        debug_assert_ne!(key, NOTIFY_KEY, "the notify key is reserved");
        let raw = fd.as_raw_fd();
        if !lock(&self.registered).insert(raw) {
            return Err(Errno::EXIST.into());
        }
        let added = self.register(fd, key);
        if !matches!(added, Ok(Registration::Registered)) {
            lock(&self.registered).remove(&raw);
        }
        added
    }

    /// `add` without the bookkeeping.
    fn register(&self, fd: BorrowedFd<'_>, key: usize) -> io::Result<Registration> {
        let flags = EventFlags::ADD | EventFlags::CLEAR | EventFlags::RECEIPT;
        let [read, write] = self.change(fd, flags, key)?;
        let refused = match (read, write) {
            (Ok(()), Ok(())) | (Ok(()), Err(Errno::PIPE)) => return Ok(Registration::Registered),
            (Err(errno), Ok(())) | (Ok(()), Err(errno)) => {
                // Take back the filter that was added; nothing may stay registered.
                let _ = self.change(fd, EventFlags::DELETE | EventFlags::RECEIPT, key);
                errno
            }
            (Err(first), Err(second)) => {
                if cannot_poll(first) {
                    second
                } else {
                    first
                }
            }
        };
        if cannot_poll(refused) {
            Ok(Registration::AlwaysReady)
        } else {
            Err(refused.into())
        }
    }

    /// Removes `fd`'s registration. Events already collected by a wait may still name its key.
    pub(crate) fn delete(&self, fd: BorrowedFd<'_>) -> io::Result<()> {
        let flags = EventFlags::DELETE | EventFlags::RECEIPT;
        let deleted = self.change(fd, flags, 0);
        lock(&self.registered).remove(&fd.as_raw_fd());
        match deleted? {
            // The write filter is missing when its registration met `EPIPE` (see `add`).
            [Ok(()), Ok(())] | [Ok(()), Err(Errno::NOENT)] => Ok(()),
            [Err(errno), _] | [_, Err(errno)] => Err(errno.into()),
        }
    }

    /// Applies `flags` to `fd`'s read and write filters (the `udata` of both is `key`), and
    /// returns each filter's outcome from its receipt.
    fn change(
        &self,
        fd: BorrowedFd<'_>,
        flags: EventFlags,
        key: usize,
    ) -> io::Result<[Result<(), Errno>; 2]> {
        debug_assert!(flags.contains(EventFlags::RECEIPT));
        let raw = fd.as_raw_fd();
        let udata = key as *mut c_void;
        let changes = [
            Event::new(EventFilter::Read(raw), flags, udata),
            Event::new(EventFilter::Write(raw), flags, udata),
        ];
        // The receipts land in a copy of the changes, whose flags lack `EV_ERROR`.
        let mut receipts = changes;
        // SAFETY: the changes name `fd`, which is open for the whole call (it is borrowed), and
        // the kernel removes a descriptor's registrations when it is closed, so a registration
        // never refers to a closed descriptor or to a later one that reuses its number.
        let received =
            unsafe { kqueue::kevent(&self.kqueue, &changes, &mut receipts, Some(Duration::ZERO))? };
        // With `EV_RECEIPT` every change comes back with `EV_ERROR` set and its error (0 for
        // success) in `data`. Without one, a change succeeded: a kernel that ignored
        // `EV_RECEIPT` still reports failures that way, and only failures.
        let mut outcome = [Ok(()), Ok(())];
        for receipt in &receipts[..received.min(2)] {
            if !receipt.flags().contains(EventFlags::ERROR) {
                continue;
            }
            let slot = match receipt.filter() {
                EventFilter::Read(_) => 0,
                EventFilter::Write(_) => 1,
                _ => continue,
            };
            outcome[slot] = match receipt.data() {
                0 => Ok(()),
                errno => Err(Errno::from_raw_os_error(errno as i32)),
            };
        }
        Ok(outcome)
    }

    /// Waits for events, or until `timeout` passes (to the nanosecond; `None` waits
    /// indefinitely, `Some(ZERO)` does not wait), or until [`Poller::notify`] is called.
    ///
    /// `events` is cleared first and then holds what arrived. A wait interrupted by a signal
    /// returns `Ok` with no events. One thread at a time may wait.
    pub(crate) fn wait(&self, events: &mut Events, timeout: Option<Duration>) -> io::Result<()> {
        events.list.clear();
        let timeout = timeout.map(to_timespec);
        // SAFETY: no changes are submitted, so no descriptor is named.
        let waited = unsafe {
            kqueue::kevent_timespec(
                &self.kqueue,
                &[],
                rustix::buffer::spare_capacity(&mut events.list),
                timeout.as_ref(),
            )
        };
        match waited {
            Ok(_) => {}
            Err(Errno::INTR) => return Ok(()),
            Err(errno) => return Err(errno.into()),
        }
        if events
            .list
            .iter()
            .any(|event| event.udata() as usize == NOTIFY_KEY)
        {
            // Drain first, then clear the flag, for the reason given in the epoll backend: in the
            // other order a notify landing in between would be swallowed by the drain, and every
            // later notify would skip its system call while nothing is pending. In this order, a
            // notify landing between the drain and the clear is skipped, but it was for this
            // wait, which has returned: the caller re-checks its state before it waits again.
            let drained = self.wakeup.drain();
            self.notified.store(false, Release);
            drained?;
        }
        Ok(())
    }

    /// Makes the current or next [`Poller::wait`] return promptly. Safe to call from any thread;
    /// costs a system call only if no notification is pending already.
    pub(crate) fn notify(&self) -> io::Result<()> {
        if self.notified.swap(true, AcqRel) {
            return Ok(());
        }
        match self.wakeup.wake(&self.kqueue) {
            Ok(()) => Ok(()),
            Err(error) => {
                self.notified.store(false, Release);
                Err(error)
            }
        }
    }
}

impl fmt::Debug for Poller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Poller")
            .field("kqueue", &self.kqueue)
            .field("wakeup", &self.wakeup)
            .finish()
    }
}

impl AsFd for Poller {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.kqueue.as_fd()
    }
}

/// Whether `errno`, from adding a filter, means "kqueue cannot poll this kind of file" (a file
/// that never blocks) rather than misuse or a lack of resources. See the module documentation
/// for which platform returns which; `ENOTSUP` and `EOPNOTSUPP` are the same number on some of
/// them and different on others.
fn cannot_poll(errno: Errno) -> bool {
    [Errno::INVAL, Errno::NODEV, Errno::NOTSUP, Errno::OPNOTSUPP].contains(&errno)
}

/// `timeout` as a `timespec`, capped at [`MAX_TIMEOUT`]. Exact: `kevent` counts nanoseconds.
fn to_timespec(timeout: Duration) -> Timespec {
    let timeout = timeout.min(MAX_TIMEOUT);
    Timespec {
        tv_sec: timeout.as_secs() as i64,
        // Below 10^9, so it fits the platform's `long`.
        tv_nsec: timeout.subsec_nanos() as _,
    }
}

// ===== The wake-up event =====

/// The wake-up event: `EVFILT_USER` with ident 0, where the platform has it.
#[cfg(not(any(target_os = "netbsd", target_os = "openbsd")))]
#[derive(Debug)]
struct Wakeup;

#[cfg(not(any(target_os = "netbsd", target_os = "openbsd")))]
impl Wakeup {
    fn user_event(flags: EventFlags, user: kqueue::UserFlags) -> Event {
        let filter = EventFilter::User {
            ident: 0,
            flags: user,
            user_flags: kqueue::UserDefinedFlags::new(0),
        };
        Event::new(filter, flags, NOTIFY_KEY as *mut c_void)
    }

    /// Adds the user event, edge-triggered (`EV_CLEAR`: retrieving it resets it).
    fn new(kqueue: &OwnedFd) -> io::Result<Wakeup> {
        let add = Wakeup::user_event(
            EventFlags::ADD | EventFlags::CLEAR,
            kqueue::UserFlags::empty(),
        );
        // SAFETY: a user event names no descriptor.
        unsafe {
            kqueue::kevent(
                kqueue,
                &[add],
                &mut [] as &mut [Event],
                Some(Duration::ZERO),
            )?
        };
        Ok(Wakeup)
    }

    /// Triggers the user event.
    fn wake(&self, kqueue: &OwnedFd) -> io::Result<()> {
        let trigger = Wakeup::user_event(EventFlags::empty(), kqueue::UserFlags::TRIGGER);
        // SAFETY: a user event names no descriptor.
        unsafe {
            kqueue::kevent(
                kqueue,
                &[trigger],
                &mut [] as &mut [Event],
                Some(Duration::ZERO),
            )?
        };
        Ok(())
    }

    /// Nothing to do: the wait that retrieved the event has reset it.
    fn drain(&self) -> io::Result<()> {
        Ok(())
    }
}

/// The wake-up event where there is no `EVFILT_USER`: a non-blocking pipe whose read end is
/// registered for reading, edge-triggered.
#[cfg(any(target_os = "netbsd", target_os = "openbsd"))]
#[derive(Debug)]
struct Wakeup {
    reader: OwnedFd,
    writer: OwnedFd,
}

#[cfg(any(target_os = "netbsd", target_os = "openbsd"))]
impl Wakeup {
    /// Creates the pipe (non-blocking, close-on-exec) and registers its read end.
    fn new(kqueue: &OwnedFd) -> io::Result<Wakeup> {
        use rustix::pipe::{pipe_with, PipeFlags};
        let (reader, writer) = pipe_with(PipeFlags::NONBLOCK | PipeFlags::CLOEXEC)?;
        let add = Event::new(
            EventFilter::Read(reader.as_raw_fd()),
            EventFlags::ADD | EventFlags::CLEAR,
            NOTIFY_KEY as *mut c_void,
        );
        // SAFETY: the change names `reader`, which the returned `Wakeup` owns and so keeps open
        // while the poller, and with it the kqueue, lives; its registration goes when it closes.
        unsafe {
            kqueue::kevent(
                kqueue,
                &[add],
                &mut [] as &mut [Event],
                Some(Duration::ZERO),
            )?
        };
        Ok(Wakeup { reader, writer })
    }

    /// Writes a byte to the pipe.
    fn wake(&self, _kqueue: &OwnedFd) -> io::Result<()> {
        match rustix::io::write(&self.writer, &[1]) {
            // AGAIN: the pipe is full, so it is readable anyway.
            Ok(_) | Err(Errno::AGAIN) => Ok(()),
            Err(errno) => Err(errno.into()),
        }
    }

    /// Reads what `wake` wrote. The flag protocol lets at most one byte in at a time, so one
    /// read empties the pipe; a byte left over would only cost a spurious wake-up.
    fn drain(&self) -> io::Result<()> {
        let mut buf = [0u8; 16];
        match rustix::io::read(&self.reader, &mut buf) {
            Ok(_) | Err(Errno::AGAIN) | Err(Errno::INTR) => Ok(()),
            Err(errno) => Err(errno.into()),
        }
    }
}

// ===== Events =====

/// A reusable buffer of events filled by [`Poller::wait`].
pub(crate) struct Events {
    /// # Invariant
    /// The events' `udata` fields hold integers (keys) only, never pointers.
    list: Vec<Event>,
}

// SAFETY: the kernel's event record is not `Send` only because its `udata` field may hold a
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

    /// The events of the last wait as `(key, readiness)`, without the wake-up event's.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (usize, Ready)> + '_ {
        self.list.iter().filter_map(|event| {
            let key = event.udata() as usize;
            if key == NOTIFY_KEY {
                return None;
            }
            Some((key, ready_from(event)))
        })
    }
}

impl fmt::Debug for Events {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// Translates a kqueue event into the portable conditions.
///
/// The filter says the direction; `EV_EOF` on it means that direction is shut (the peer closed
/// its writing half, or the reader went away); `EV_ERROR` is an error for both directions.
fn ready_from(event: &Event) -> Ready {
    let flags = event.flags();
    let mut ready = Ready::EMPTY;
    match event.filter() {
        EventFilter::Read(_) => {
            ready |= Ready::READABLE;
            if flags.contains(EventFlags::EOF) {
                ready |= Ready::READ_CLOSED;
            }
        }
        EventFilter::Write(_) => {
            ready |= Ready::WRITABLE;
            if flags.contains(EventFlags::EOF) {
                ready |= Ready::WRITE_CLOSED;
            }
        }
        _ => {}
    }
    if flags.contains(EventFlags::ERROR) {
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

    /// Every condition reported for `key`, whichever filter reported it.
    fn merged(events: &[(usize, Ready)], key: usize) -> Ready {
        events
            .iter()
            .filter(|(k, _)| *k == key)
            .fold(Ready::EMPTY, |all, (_, ready)| all | *ready)
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
        assert!(events.iter().all(|(key, _)| *key == 5), "{events:?}");
        assert!(merged(&events, 5).contains(Ready::READABLE), "{events:?}");
        // Not drained, but no new edge: still nothing.
        assert!(collect(&poller, Some(Duration::ZERO)).is_empty());

        drop(b);
        let events = collect(&poller, Some(Duration::from_secs(5)));
        assert!(!events.is_empty());
        assert!(
            merged(&events, 5).contains(Ready::READ_CLOSED),
            "{events:?}"
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
        // Deleting twice is an error (ENOENT), adding twice too (EEXIST), and the refused second
        // add leaves the first registration alone.
        assert!(poller.delete(a.as_fd()).is_err());
        poller.add(a.as_fd(), 1).unwrap();
        let _ = collect(&poller, Some(Duration::ZERO));
        let twice = poller.add(a.as_fd(), 2).unwrap_err();
        assert_eq!(twice.raw_os_error(), Some(Errno::EXIST.raw_os_error()));
        b.write_all(b"y").unwrap();
        let events = collect(&poller, Some(Duration::from_secs(5)));
        assert!(merged(&events, 1).contains(Ready::READABLE), "{events:?}");
        assert!(merged(&events, 2).is_empty(), "{events:?}");
        // Once deleted, it can be added again.
        poller.delete(a.as_fd()).unwrap();
        poller.add(a.as_fd(), 3).unwrap();
    }

    #[test]
    fn unpollable_descriptors_are_always_ready_and_leave_nothing_registered() {
        let poller = Poller::new().unwrap();
        let file = std::fs::File::open("/dev/null").unwrap();
        let registration = poller.add(file.as_fd(), 1).unwrap();
        // macOS refuses most devices (EINVAL), FreeBSD those without a filter (ENODEV); NetBSD
        // and OpenBSD give `/dev/null` a filter that is always true.
        #[cfg(any(
            target_os = "macos",
            target_os = "ios",
            target_os = "tvos",
            target_os = "watchos",
            target_os = "freebsd"
        ))]
        assert_eq!(registration, Registration::AlwaysReady);
        match registration {
            Registration::Registered => poller.delete(file.as_fd()).unwrap(),
            // Both filters were refused or taken back.
            Registration::AlwaysReady => assert!(poller.delete(file.as_fd()).is_err()),
        }
        // Regular files are accepted (where the file system has a filter for them, which the
        // native ones of macOS and FreeBSD do).
        let regular = std::fs::File::open(std::env::current_exe().unwrap()).unwrap();
        let registration = poller.add(regular.as_fd(), 2).unwrap();
        #[cfg(any(target_os = "macos", target_os = "freebsd"))]
        assert_eq!(registration, Registration::Registered);
        if registration == Registration::Registered {
            poller.delete(regular.as_fd()).unwrap();
        }
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
    fn timeouts_are_exact_and_capped() {
        let check = |timeout: Duration, secs: i64, nanos: i64| {
            let ts = to_timespec(timeout);
            assert_eq!(
                (ts.tv_sec, i64::from(ts.tv_nsec)),
                (secs, nanos),
                "{timeout:?}"
            );
        };
        check(Duration::ZERO, 0, 0);
        check(Duration::from_nanos(1), 0, 1);
        check(Duration::from_micros(1_001), 0, 1_001_000);
        check(Duration::from_millis(1_500), 1, 500_000_000);
        check(Duration::from_secs(u64::MAX), 2_147_483, 647_000_000);

        let poller = Poller::new().unwrap();
        for requested in [Duration::from_micros(300), Duration::from_micros(2_500)] {
            let start = Instant::now();
            assert!(collect(&poller, Some(requested)).is_empty());
            assert!(start.elapsed() >= requested, "woke before {requested:?}");
        }
    }

    #[test]
    fn readiness_translation() {
        let event = |filter: EventFilter, flags: EventFlags| {
            ready_from(&Event::new(filter, flags, std::ptr::null_mut()))
        };
        use EventFlags as F;
        assert_eq!(event(EventFilter::Read(0), F::empty()), Ready::READABLE);
        assert_eq!(event(EventFilter::Write(0), F::empty()), Ready::WRITABLE);
        assert_eq!(
            event(EventFilter::Read(0), F::EOF),
            Ready::READABLE | Ready::READ_CLOSED
        );
        assert_eq!(
            event(EventFilter::Write(0), F::EOF),
            Ready::WRITABLE | Ready::WRITE_CLOSED
        );
        assert_eq!(
            event(EventFilter::Write(0), F::ERROR),
            Ready::WRITABLE | Ready::ERROR
        );
    }

    #[test]
    fn pipe_write_end_reports_closing_when_the_reader_goes() {
        let poller = Poller::new().unwrap();
        let (reader, writer) = rustix::pipe::pipe().unwrap();
        rustix::io::ioctl_fionbio(&writer, true).unwrap();
        poller.add(writer.as_fd(), 3).unwrap();
        let _ = collect(&poller, Some(Duration::ZERO));
        drop(reader);
        let events = collect(&poller, Some(Duration::from_secs(5)));
        assert!(
            merged(&events, 3).contains(Ready::WRITE_CLOSED),
            "{events:?}"
        );
    }
}

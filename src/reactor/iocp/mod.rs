//! The IOCP backend (Windows): one I/O completion port, socket readiness from the AFD poll
//! device, wake-ups posted to the port.
//!
//! Windows has no readiness API for completion ports; it reports *completions*. But Winsock's
//! kernel driver, AFD, takes a poll request (`IOCTL_AFD_POLL`, see [`afd`]) that completes when
//! a socket meets one of the given conditions, and a request is ordinary overlapped I/O, so its
//! completion arrives at a completion port. wepoll, mio and the polling crate are built on this;
//! so is this backend. It follows the epoll backend item by item; where it differs:
//!
//! * Every socket has a [`SocketState`] (pinned in an `Arc`) holding its poll request and the
//!   status block the kernel writes into. One poll per socket is in flight at a time; while it is,
//!   the request holds a reference to the state (as the completion's overlapped pointer), so the
//!   memory the kernel writes to outlives the request even if the socket is deregistered.
//! * An AFD poll is one-shot and level-triggered: it completes once, at once if a condition holds
//!   already. Re-arming it for everything right after each event would complete again at once
//!   for every socket that is simply writable, and the reactor would spin. So the state
//!   remembers which directions it has *reported* and re-arms the poll for the others only; a
//!   direction comes back when the [`Source`](super::Source) clears its readiness after an
//!   operation failed with `WouldBlock` ([`SocketState::rearm`]: the source holds the state,
//!   attached by `Reactor::register`). That is exactly the moment an edge-triggered backend
//!   would next report it: the rest of the reactor sees edges, in both directions, as the
//!   backend contract says. Re-arming a direction while a poll for the other one is in flight
//!   cancels that poll; its completion then re-arms for both.
//! * Sockets are polled through their *base* socket (`SIO_BASE_HANDLE`): a layered service
//!   provider may hand out sockets AFD does not know.
//! * Registering a socket twice is refused (`AlreadyExists`), as epoll refuses it (`EEXIST`); the
//!   poller keeps a map from socket to state for that and for [`Poller::delete`].
//! * Only sockets can be registered: the reactor's `AsIo` is `AsSocket` on Windows, and nothing
//!   is ever always-ready (files go through the blocking pool).
//! * [`Poller::notify`] posts a packet with [`NOTIFY_KEY`]; dequeuing it is the drain. The
//!   coalescing flag is the same as epoll's.
//! * `GetQueuedCompletionStatusEx` takes milliseconds; timeouts are rounded up, as with epoll,
//!   and capped just below `INFINITE` (about 49.7 days).
//!
//! One AFD handle serves every socket of a poller. (wepoll and mio spread sockets over several
//! handles, 32 each, because AFD's bookkeeping per handle grows linearly; that is a refinement
//! for servers with many thousands of sockets on one reactor.)

mod afd;
mod port;
pub(crate) mod socket;

use std::cell::UnsafeCell;
use std::collections::HashMap;
use std::fmt;
use std::io;
use std::os::windows::io::{AsRawSocket, BorrowedSocket, RawSocket};
use std::ptr;
use std::sync::Arc;
use std::time::Duration;

use windows_sys::Win32::Foundation::STATUS_CANCELLED;
use windows_sys::Win32::Networking::WinSock::{
    ioctlsocket, WSAIoctl, WSAPoll, FIONBIO, POLLRDNORM, POLLWRNORM, SIO_BASE_HANDLE, SOCKET,
    SOCKET_ERROR, WSAPOLLFD,
};
use windows_sys::Win32::System::IO::{IO_STATUS_BLOCK, OVERLAPPED_ENTRY};

use self::afd::{Afd, PollInfo};
use self::port::Port;
use super::source::{Direction, Ready};
use crate::loom::{lock, AtomicBool, Mutex, Ordering::AcqRel, Ordering::Release};

/// The key the wake-up packets carry; [`Poller::add`] must never be given it.
///
/// The reactor's keys never have every index bit set, so they never equal it.
pub(crate) const NOTIFY_KEY: usize = usize::MAX;

/// The completion key of the AFD device: every poll completion carries it.
const AFD_KEY: usize = 0;

/// How many completions one [`Poller::wait`] dequeues at most; more stay queued for the next
/// wait. 1024 × 32 bytes, as for the other backends.
const EVENTS_CAPACITY: usize = 1024;

/// The directions a [`SocketState`] has reported and stopped watching.
const READ: u8 = 1;
const WRITE: u8 = 2;

/// What [`Poller::add`] did with a socket.
#[derive(Debug)]
pub(crate) enum Registration {
    /// The socket is registered; its events will be reported under its key. The source keeps
    /// the state to re-arm directions (see the module documentation).
    Registered(Arc<SocketState>),
    /// Never returned: every socket can be polled. Part of the backend contract.
    #[allow(dead_code)]
    AlwaysReady,
}

/// A completion port, an AFD handle on it, and the registered sockets.
pub(crate) struct Poller {
    port: Port,
    afd: Arc<Afd>,
    /// Set by the first `notify` after a wait dequeued the wake-up packet; later ones see it set
    /// and skip the system call. Cleared by `wait` just after it dequeued the packet.
    notified: AtomicBool,
    /// The registered sockets, by the socket the caller registered.
    sockets: Mutex<HashMap<RawSocket, Arc<SocketState>>>,
}

impl Poller {
    /// Creates the completion port and opens the AFD device on it.
    pub(crate) fn new() -> io::Result<Poller> {
        let port = Port::new()?;
        let afd = Arc::new(Afd::open(&port, AFD_KEY)?);
        Ok(Poller {
            port,
            afd,
            notified: AtomicBool::new(false),
            sockets: Mutex::new(HashMap::new()),
        })
    }

    /// Registers `socket` under `key` for both directions and starts its first poll, which
    /// reports the socket's current state once (a connected socket is writable at once).
    pub(crate) fn add(&self, socket: BorrowedSocket<'_>, key: usize) -> io::Result<Registration> {
        debug_assert_ne!(key, NOTIFY_KEY, "the notify key is reserved");
        let mut sockets = lock(&self.sockets);
        let raw = socket.as_raw_socket();
        if sockets.contains_key(&raw) {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                "the socket is registered already",
            ));
        }
        let state = Arc::new(SocketState {
            iosb: UnsafeCell::new(IO_STATUS_BLOCK::default()),
            info: UnsafeCell::new(PollInfo::new()),
            base: base_socket(socket),
            key,
            afd: self.afd.clone(),
            inner: Mutex::new(Inner::default()),
        });
        state.submit(&mut lock(&state.inner))?;
        sockets.insert(raw, state.clone());
        Ok(Registration::Registered(state))
    }

    /// Removes `socket`'s registration and cancels its poll. Events already collected by a wait
    /// may still name its key.
    pub(crate) fn delete(&self, socket: BorrowedSocket<'_>) -> io::Result<()> {
        let state = lock(&self.sockets).remove(&socket.as_raw_socket());
        match state {
            Some(state) => state.delete(),
            None => Err(io::Error::new(
                io::ErrorKind::NotFound,
                "the socket is not registered",
            )),
        }
    }

    /// Waits for events, or until `timeout` passes (rounded up to whole milliseconds; `None`
    /// waits indefinitely, `Some(ZERO)` does not wait), or until [`Poller::notify`] is called.
    ///
    /// `events` is cleared first and then holds what arrived. Each socket whose poll completed is
    /// re-armed for the directions it did not report. One thread at a time may wait.
    pub(crate) fn wait(&self, events: &mut Events, timeout: Option<Duration>) -> io::Result<()> {
        events.ready.clear();
        self.port.wait(&mut events.entries, timeout)?;
        let mut notified = false;
        for entry in events.entries.drain(..) {
            if entry.lpCompletionKey == NOTIFY_KEY {
                notified = true;
                continue;
            }
            // SAFETY: every packet with another key completes a poll started by
            // `SocketState::submit`, whose overlapped pointer is a reference from
            // `Arc::into_raw` that the poll owned; its completion hands it back to us, once.
            let state =
                unsafe { Arc::from_raw(entry.lpOverlapped.cast_const().cast::<SocketState>()) };
            if let Some(ready) = state.complete() {
                events.ready.push((state.key, ready));
            }
        }
        if notified {
            // Dequeued first, cleared second, for the reason given in the epoll backend.
            self.notified.store(false, Release);
        }
        Ok(())
    }

    /// Makes the current or next [`Poller::wait`] return promptly. Safe to call from any thread;
    /// costs a system call only if no notification is pending already.
    pub(crate) fn notify(&self) -> io::Result<()> {
        if self.notified.swap(true, AcqRel) {
            return Ok(());
        }
        self.port.post(NOTIFY_KEY).inspect_err(|_| {
            self.notified.store(false, Release);
        })
    }
}

impl Drop for Poller {
    fn drop(&mut self) {
        // Cancel the polls still in flight and collect their completions, so that the states
        // they hold are freed. Best effort: a completion that does not come within the drain
        // leaves its state (a few hundred bytes) allocated.
        for (_, state) in lock(&self.sockets).drain() {
            let _ = state.delete();
        }
        let mut entries = Vec::with_capacity(EVENTS_CAPACITY);
        while self.port.wait(&mut entries, Some(Duration::ZERO)).is_ok() && !entries.is_empty() {
            for entry in entries.drain(..) {
                if entry.lpCompletionKey != NOTIFY_KEY {
                    // SAFETY: as in `wait`.
                    let state = unsafe {
                        Arc::from_raw(entry.lpOverlapped.cast_const().cast::<SocketState>())
                    };
                    state.complete();
                }
            }
        }
    }
}

impl fmt::Debug for Poller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Poller")
            .field("port", &self.port)
            .field("afd", &self.afd)
            .finish_non_exhaustive()
    }
}

// ===== One socket =====

/// The poll state of one registered socket.
pub(crate) struct SocketState {
    /// The status block of the poll in flight.
    ///
    /// # Invariant
    /// `iosb` and `info` are read or written only with `inner` locked and no poll in flight
    /// (`inner.pending` is `None`); while one is, the kernel owns them.
    iosb: UnsafeCell<IO_STATUS_BLOCK>,
    /// The poll request, and the reply the kernel writes over it. See `iosb`.
    info: UnsafeCell<PollInfo>,
    /// The socket AFD knows (see [`base_socket`]).
    base: SOCKET,
    /// The reactor's key.
    key: usize,
    afd: Arc<Afd>,
    inner: Mutex<Inner>,
}

// SAFETY: the cells are accessed only under `inner`'s lock (the invariant on `iosb`); the other
// fields are plain values and a shareable handle.
unsafe impl Send for SocketState {}
// SAFETY: as for `Send`.
unsafe impl Sync for SocketState {}

/// The mutable part of a [`SocketState`].
#[derive(Debug, Default)]
struct Inner {
    /// The conditions of the poll in flight, if one is.
    pending: Option<u32>,
    /// A cancellation of the poll in flight has been requested.
    cancelling: bool,
    /// The directions reported and not asked for again since ([`READ`], [`WRITE`]).
    reported: u8,
    /// Deregistered, or closed under the reactor: never poll again.
    deleted: bool,
}

impl SocketState {
    /// Starts a poll for the directions not reported, unless one is in flight or both are.
    fn submit(self: &Arc<Self>, inner: &mut Inner) -> io::Result<()> {
        let events = interest(inner.reported);
        if inner.pending.is_some() || inner.deleted || events == 0 {
            return Ok(());
        }
        let context = Arc::into_raw(self.clone());
        // SAFETY: no poll is in flight and we hold the lock, so the cells are ours to hand to the
        // kernel (the invariant on `iosb`); the poll owns the reference in `context` until its
        // completion is dequeued, so they stay valid that long.
        let started = unsafe {
            self.afd.poll(
                self.base,
                events,
                self.info.get(),
                self.iosb.get(),
                context.cast(),
            )
        };
        match started {
            Ok(()) => {
                inner.pending = Some(events);
                Ok(())
            }
            Err(error) => {
                // SAFETY: the poll did not start, so the reference in `context` is still ours.
                drop(unsafe { Arc::from_raw(context) });
                Err(error)
            }
        }
    }

    /// Handles the completion of the poll in flight: returns what it reported (nothing for a
    /// cancelled poll) and re-arms for the directions still watched.
    fn complete(self: &Arc<Self>) -> Option<Ready> {
        let mut inner = lock(&self.inner);
        inner.pending = None;
        inner.cancelling = false;
        if inner.deleted {
            return None;
        }
        // SAFETY: the completion was dequeued, so no poll is in flight, and we hold the lock
        // (the invariant on `iosb`).
        let (status, events) = unsafe {
            (
                (*self.iosb.get()).Anonymous.Status,
                (*self.info.get()).events(),
            )
        };
        let mut ready = if status == STATUS_CANCELLED {
            Ready::EMPTY
        } else if status < 0 {
            // The poll itself failed (the socket is gone): let both directions find out.
            Ready::ERROR
        } else if events & afd::LOCAL_CLOSE != 0 {
            // Closed without being deregistered first; nothing more will happen.
            inner.deleted = true;
            return None;
        } else {
            ready_from(events)
        };
        inner.reported |= directions(ready);
        if self.submit(&mut inner).is_err() {
            ready |= Ready::ERROR;
            inner.reported = READ | WRITE;
        }
        (!ready.is_empty()).then_some(ready)
    }

    /// Watches `dir` again: its readiness was just cleared by an operation that saw
    /// `WouldBlock`. Starts a poll, or cancels the one in flight if it lacks `dir` (its
    /// completion then re-arms for both). Any thread.
    pub(crate) fn rearm(self: &Arc<Self>, dir: Direction) -> io::Result<()> {
        let mut inner = lock(&self.inner);
        inner.reported &= !match dir {
            Direction::Read => READ,
            Direction::Write => WRITE,
        };
        let wanted = interest(inner.reported);
        match inner.pending {
            _ if inner.deleted => Ok(()),
            Some(events) if events & wanted == wanted => Ok(()),
            Some(_) if inner.cancelling => Ok(()),
            Some(_) => {
                self.afd.cancel(self.iosb.get())?;
                inner.cancelling = true;
                Ok(())
            }
            None => self.submit(&mut inner),
        }
    }

    /// Stops polling: no more events, and the poll in flight (if any) is cancelled.
    fn delete(&self) -> io::Result<()> {
        let mut inner = lock(&self.inner);
        inner.deleted = true;
        if inner.pending.is_some() && !inner.cancelling {
            inner.cancelling = true;
            self.afd.cancel(self.iosb.get())?;
        }
        Ok(())
    }
}

impl fmt::Debug for SocketState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SocketState")
            .field("base", &self.base)
            .field("key", &self.key)
            .field("inner", &*lock(&self.inner))
            .finish()
    }
}

/// The AFD conditions to poll for when the directions in `reported` are not watched; none if
/// both are reported.
fn interest(reported: u8) -> u32 {
    let mut events = 0;
    if reported & READ == 0 {
        events |= afd::RECEIVE | afd::ACCEPT | afd::DISCONNECT;
    }
    if reported & WRITE == 0 {
        events |= afd::SEND;
    }
    if events != 0 {
        events |= afd::ABORT | afd::CONNECT_FAIL | afd::LOCAL_CLOSE;
    }
    events
}

/// The directions whose waiters `ready` concerns.
fn directions(ready: Ready) -> u8 {
    let mut dirs = 0;
    if ready.intersects(Direction::Read.mask()) {
        dirs |= READ;
    }
    if ready.intersects(Direction::Write.mask()) {
        dirs |= WRITE;
    }
    dirs
}

/// Translates AFD's conditions into the portable ones.
///
/// `DISCONNECT` is the peer's graceful shutdown of its sending half (reads return end-of-file),
/// `ABORT` a reset (both directions fail), `CONNECT_FAIL` a failed connection attempt (an error
/// for both directions, collected with `SO_ERROR`).
fn ready_from(events: u32) -> Ready {
    let mut ready = Ready::EMPTY;
    if events & (afd::RECEIVE | afd::ACCEPT) != 0 {
        ready |= Ready::READABLE;
    }
    if events & afd::SEND != 0 {
        ready |= Ready::WRITABLE;
    }
    if events & afd::DISCONNECT != 0 {
        ready |= Ready::READ_CLOSED;
    }
    if events & afd::ABORT != 0 {
        ready |= Ready::READ_CLOSED | Ready::WRITE_CLOSED;
    }
    if events & afd::CONNECT_FAIL != 0 {
        ready |= Ready::ERROR;
    }
    ready
}

/// A reusable buffer of events filled by [`Poller::wait`].
pub(crate) struct Events {
    /// The packets of one dequeue; empty outside `wait`.
    entries: Vec<OVERLAPPED_ENTRY>,
    /// The events of the last wait.
    ready: Vec<(usize, Ready)>,
}

// SAFETY: `entries` holds raw pointers only within one `wait` call, on the waiting thread; the
// buffer itself may move between threads.
unsafe impl Send for Events {}

impl Events {
    /// An empty buffer with room for one batch.
    pub(crate) fn new() -> Events {
        Events {
            entries: Vec::with_capacity(EVENTS_CAPACITY),
            ready: Vec::with_capacity(EVENTS_CAPACITY),
        }
    }

    /// The events of the last wait as `(key, readiness)`, without wake-ups.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (usize, Ready)> + '_ {
        self.ready.iter().copied()
    }
}

impl fmt::Debug for Events {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

// ===== Socket helpers for `reactor::raw` =====

/// The socket underneath any layered service provider, which is the one AFD knows; `socket`
/// itself if there is none (or the query fails).
fn base_socket(socket: BorrowedSocket<'_>) -> SOCKET {
    let raw = socket.as_raw_socket() as SOCKET;
    let mut base: SOCKET = 0;
    let mut bytes = 0;
    // SAFETY: the socket is valid (borrowed); the output buffer is `base`, of the size given.
    let result = unsafe {
        WSAIoctl(
            raw,
            SIO_BASE_HANDLE,
            ptr::null(),
            0,
            (&mut base as *mut SOCKET).cast(),
            std::mem::size_of::<SOCKET>() as u32,
            &mut bytes,
            ptr::null_mut(),
            None,
        )
    };
    if result == SOCKET_ERROR {
        raw
    } else {
        base
    }
}

/// Puts `socket` in non-blocking mode.
pub(super) fn set_nonblocking(socket: BorrowedSocket<'_>) -> io::Result<()> {
    let mut on = 1u32;
    // SAFETY: the socket is valid (borrowed); `on` lives for the call.
    if unsafe { ioctlsocket(socket.as_raw_socket() as SOCKET, FIONBIO, &mut on) } == SOCKET_ERROR {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Whether `socket` is ready in `dir` right now (`WSAPoll` without waiting); errors and hang-ups
/// count as ready, and so does a failed check.
pub(super) fn is_ready_now(socket: BorrowedSocket<'_>, dir: Direction) -> bool {
    let mut fd = WSAPOLLFD {
        fd: socket.as_raw_socket() as SOCKET,
        events: match dir {
            Direction::Read => POLLRDNORM,
            Direction::Write => POLLWRNORM,
        },
        revents: 0,
    };
    // SAFETY: `fd` is one valid entry and lives for the call.
    match unsafe { WSAPoll(&mut fd, 1, 0) } {
        0 => false,
        SOCKET_ERROR => true,
        _ => fd.revents != 0,
    }
}

/// Gives a Winsock error that std reports as `Uncategorized`, but whose Unix counterpart has a
/// kind that programs match on, that kind, so code written against one platform's error kinds
/// behaves the same on the other: `WSAESHUTDOWN` (a send after `shutdown(Write)`) is
/// `BrokenPipe`, as `EPIPE` is on Unix. The original error stays its source and message.
pub(crate) fn portable_error(error: io::Error) -> io::Error {
    if error.raw_os_error() == Some(windows_sys::Win32::Networking::WinSock::WSAESHUTDOWN) {
        io::Error::new(io::ErrorKind::BrokenPipe, error)
    } else {
        error
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::net::{TcpListener, TcpStream};
    use std::os::windows::io::AsSocket;
    use std::time::Instant;

    fn collect(poller: &Poller, timeout: Option<Duration>) -> Vec<(usize, Ready)> {
        let mut events = Events::new();
        poller.wait(&mut events, timeout).unwrap();
        events.iter().collect()
    }

    fn connected_pair() -> (TcpStream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let a = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (b, _) = listener.accept().unwrap();
        a.set_nonblocking(true).unwrap();
        b.set_nonblocking(true).unwrap();
        (a, b)
    }

    fn state(registration: Registration) -> Arc<SocketState> {
        match registration {
            Registration::Registered(state) => state,
            Registration::AlwaysReady => panic!("sockets are always registered"),
        }
    }

    #[test]
    fn poller_is_send_and_sync() {
        fn assert<T: Send + Sync>() {}
        assert::<Poller>();
    }

    #[test]
    fn reports_writability_then_edges_after_rearm() {
        let poller = Poller::new().unwrap();
        let (a, mut b) = connected_pair();
        let socket = state(poller.add(a.as_socket(), 5).unwrap());
        assert_eq!(
            collect(&poller, Some(Duration::from_secs(5))),
            vec![(5, Ready::WRITABLE)]
        );
        // Writability was reported and is not watched again until asked for.
        assert!(collect(&poller, Some(Duration::from_millis(20))).is_empty());

        b.write_all(b"x").unwrap();
        let events = collect(&poller, Some(Duration::from_secs(5)));
        assert_eq!(events.len(), 1);
        assert!(events[0].1.contains(Ready::READABLE), "{:?}", events[0].1);
        // Not drained, and not asked for again: nothing.
        assert!(collect(&poller, Some(Duration::from_millis(20))).is_empty());

        // Asking for reads again while data is there reports it again.
        socket.rearm(Direction::Read).unwrap();
        let events = collect(&poller, Some(Duration::from_secs(5)));
        assert_eq!(events.len(), 1);
        assert!(events[0].1.contains(Ready::READABLE), "{:?}", events[0].1);

        poller.delete(a.as_socket()).unwrap();
        assert!(poller.delete(a.as_socket()).is_err());
    }

    #[test]
    fn hang_up_is_read_closed() {
        let poller = Poller::new().unwrap();
        let (a, b) = connected_pair();
        poller.add(a.as_socket(), 1).unwrap();
        let _ = collect(&poller, Some(Duration::from_secs(5)));
        b.shutdown(std::net::Shutdown::Write).unwrap();
        let events = collect(&poller, Some(Duration::from_secs(5)));
        assert_eq!(events.len(), 1);
        assert!(
            events[0].1.intersects(Ready::READ_CLOSED | Ready::READABLE),
            "{:?}",
            events[0].1
        );
        poller.delete(a.as_socket()).unwrap();
    }

    #[test]
    fn adding_twice_is_an_error() {
        let poller = Poller::new().unwrap();
        let (a, _b) = connected_pair();
        poller.add(a.as_socket(), 1).unwrap();
        assert!(poller.add(a.as_socket(), 2).is_err());
        poller.delete(a.as_socket()).unwrap();
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
        let start = Instant::now();
        assert!(collect(&poller, Some(Duration::from_secs(10))).is_empty());
        assert!(start.elapsed() < Duration::from_secs(5));
        let start = Instant::now();
        assert!(collect(&poller, Some(Duration::from_millis(30))).is_empty());
        assert!(start.elapsed() >= Duration::from_millis(30));
    }

    #[test]
    fn readiness_translation() {
        assert_eq!(ready_from(afd::RECEIVE), Ready::READABLE);
        assert_eq!(ready_from(afd::ACCEPT), Ready::READABLE);
        assert_eq!(ready_from(afd::SEND), Ready::WRITABLE);
        assert_eq!(ready_from(afd::DISCONNECT), Ready::READ_CLOSED);
        assert_eq!(
            ready_from(afd::ABORT),
            Ready::READ_CLOSED | Ready::WRITE_CLOSED
        );
        assert_eq!(ready_from(afd::CONNECT_FAIL), Ready::ERROR);
        assert_eq!(interest(READ | WRITE), 0);
        assert_eq!(interest(READ) & afd::RECEIVE, 0);
        assert_ne!(interest(READ) & afd::SEND, 0);
    }
}

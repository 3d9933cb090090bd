//! [`Source`]: the readiness state of one registered file descriptor.
//!
//! # The protocol (invariant 4)
//! A descriptor is registered once, edge-triggered, for both directions. The kernel reports an
//! *edge* (a change towards readiness) once; if nobody is listening at that moment the edge is
//! gone. So a source remembers what the reactor told it:
//!
//! * **Readiness bits** ([`Ready`]): set by the reactor when an event arrives, cleared by an I/O
//!   operation that has just seen `WouldBlock`. A bit that is set means "an operation might
//!   succeed, try it"; a clear bit means "an operation failed since the last event, wait".
//! * **A tick**: a counter bumped by every event delivery. An operation remembers the tick of the
//!   readiness it acted on ([`ReadyEvent`]); when it fails with `WouldBlock` it clears the bits
//!   only if the tick is unchanged ([`Source::clear_readiness`], a compare-and-swap). An event
//!   that arrived between the operation's snapshot and its failure bumped the tick, so its bits
//!   survive and the operation is retried instead of sleeping through the edge.
//! * **One waker slot per direction** ([`AtomicWaker`]): [`Source::poll_ready`] checks the bits,
//!   stores the task's waker, then checks the bits again. The reactor sets the bits first and
//!   wakes second ([`Source::set_readiness`]). Whichever order the two threads interleave in,
//!   either the task sees the new bits or the reactor sees (and wakes) the waker.
//!
//! The whole loop an I/O future runs is [`Source::poll_io`]:
//!
//! ```text
//! loop {
//!     event = poll_ready(dir)?          // Pending (waker stored) unless bits are set
//!     match op() {
//!         WouldBlock => clear_readiness(dir, event)   // only if no newer event came in
//!         result     => return result
//!     }
//! }
//! ```
//!
//! Two variations use the same pieces:
//!
//! * A wait for several conditions at once, possibly in both directions (`ready(READABLE |
//!   WRITABLE)`), is [`Source::poll_ready_any`]: one check of the bits, the waker stored in the
//!   slot of *each* direction waited in, one more check. Each slot on its own obeys the argument
//!   above, so an event in either direction is seen by the second check or wakes the task.
//! * An operation that does not wait (`try_io`) takes a [`Source::snapshot`] instead of calling
//!   `poll_ready`: it runs only if the snapshot holds a condition, and on `WouldBlock` clears with
//!   the snapshot's tick, so an event that arrived meanwhile survives exactly as above.
//!
//! A new source starts readable and writable, so the first operation always tries the system
//! call before anything waits ("syscall first"); a kernel edge that was reported before the
//! registration is therefore never needed.
//!
//! Which bits concern which direction: `READABLE`, `READ_CLOSED` and `ERROR` wake and satisfy
//! readers; `WRITABLE`, `WRITE_CLOSED` and `ERROR` wake and satisfy writers. A `WouldBlock`
//! clears every bit of its direction: the failed call proves that, right now, the descriptor is
//! neither ready nor closed nor in error in that direction, and any later change comes with a new
//! edge.
//!
//! # Wakers
//! Each direction holds exactly one waker, in an [`AtomicWaker`] (lock-free; a register and a
//! wake can race without losing the wake-up). One slot per direction means one waiting task per
//! direction: a second task waiting on the same direction of the same source replaces the first,
//! which then is not woken by the next event. The I/O types built on sources either take `&mut
//! self` for an operation (one waiter by construction) or document this. A wait in both
//! directions ([`Source::poll_ready_any`]) is the waiter of both slots while it is pending. A
//! waker left in a slot by a future that was dropped is harmless: the next registration in that
//! slot replaces it, and an event before that wakes it once for nothing.

use std::fmt;
use std::io;
use std::ops::{BitAnd, BitOr, BitOrAssign};
use std::task::{Context, Poll, Waker};

use crate::loom::{AtomicUsize, Ordering::AcqRel, Ordering::Acquire, Ordering::Release};

// ===== Ready =====

/// A set of readiness conditions reported by a backend and stored in a [`Source`].
#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Ready(u8);

impl Ready {
    /// Nothing is ready.
    pub(crate) const EMPTY: Ready = Ready(0);
    /// A read may succeed.
    pub(crate) const READABLE: Ready = Ready(1 << 0);
    /// A write may succeed.
    pub(crate) const WRITABLE: Ready = Ready(1 << 1);
    /// The peer closed its writing half (reads return end-of-file).
    pub(crate) const READ_CLOSED: Ready = Ready(1 << 2);
    /// The descriptor can no longer be written (hang-up, or the reader went away).
    pub(crate) const WRITE_CLOSED: Ready = Ready(1 << 3);
    /// An error is pending on the descriptor; both directions should try their operation to
    /// collect it.
    pub(crate) const ERROR: Ready = Ready(1 << 4);
    /// Every condition.
    pub(crate) const ALL: Ready = Ready(0b1_1111);

    /// Whether no condition is set.
    pub(crate) const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Whether every condition of `other` is set in `self`.
    pub(crate) const fn contains(self, other: Ready) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether some condition of `other` is set in `self`.
    pub(crate) const fn intersects(self, other: Ready) -> bool {
        self.0 & other.0 != 0
    }

    const fn bits(self) -> usize {
        self.0 as usize
    }

    /// The readiness bits of a [`Source`] state word.
    const fn from_state(state: usize) -> Ready {
        Ready((state & Ready::ALL.bits()) as u8)
    }
}

impl BitOr for Ready {
    type Output = Ready;
    fn bitor(self, rhs: Ready) -> Ready {
        Ready(self.0 | rhs.0)
    }
}

impl BitOrAssign for Ready {
    fn bitor_assign(&mut self, rhs: Ready) {
        self.0 |= rhs.0;
    }
}

impl BitAnd for Ready {
    type Output = Ready;
    fn bitand(self, rhs: Ready) -> Ready {
        Ready(self.0 & rhs.0)
    }
}

impl fmt::Debug for Ready {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const NAMES: [(Ready, &str); 5] = [
            (Ready::READABLE, "READABLE"),
            (Ready::WRITABLE, "WRITABLE"),
            (Ready::READ_CLOSED, "READ_CLOSED"),
            (Ready::WRITE_CLOSED, "WRITE_CLOSED"),
            (Ready::ERROR, "ERROR"),
        ];
        let mut set = f.debug_set();
        for (flag, name) in NAMES {
            if self.contains(flag) {
                set.entry(&format_args!("{name}"));
            }
        }
        set.finish()
    }
}

/// The direction an I/O operation waits in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Direction {
    /// Reading, accepting, receiving.
    Read,
    /// Writing, connecting, sending.
    Write,
}

impl Direction {
    /// The conditions that satisfy (and wake) a waiter in this direction.
    pub(crate) const fn mask(self) -> Ready {
        match self {
            Direction::Read => Ready(Ready::READABLE.0 | Ready::READ_CLOSED.0 | Ready::ERROR.0),
            Direction::Write => Ready(Ready::WRITABLE.0 | Ready::WRITE_CLOSED.0 | Ready::ERROR.0),
        }
    }
}

/// What [`Source::poll_ready`] observed: the conditions of one direction, and the tick they were
/// read at. Hand it back to [`Source::clear_readiness`] after the operation fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ReadyEvent {
    ready: Ready,
    tick: usize,
}

impl ReadyEvent {
    /// The conditions seen (only those that were polled for: one direction's, or the mask given
    /// to [`Source::poll_ready_any`] or [`Source::snapshot`]).
    pub(crate) fn ready(self) -> Ready {
        self.ready
    }

    /// The tick the conditions were read at.
    #[cfg(all(test, not(loom)))]
    pub(crate) fn tick(self) -> usize {
        self.tick
    }
}

// ===== The state word =====
//
// One `usize`, so that bits and tick change together in one atomic operation:
//
//   bits 0..=4   the `Ready` conditions
//   bit  5       SHUTDOWN: the reactor is gone; every poll reports an error
//   bit  6       ALWAYS_READY: the backend refused the descriptor (a regular file); every poll is
//                ready and nothing is ever cleared
//   bits 16..    the tick
//
// The tick has `usize::BITS - 16` bits (48 on 64-bit targets, 16 on 32-bit ones) and wraps. A
// wrong "unchanged" verdict would need exactly 2^48 (or 2^16) events to arrive between one
// operation's snapshot and its failure; even then the only cost is one lost edge on one source,
// the bound every tick-based design accepts.

/// The reactor has shut down.
const SHUTDOWN: usize = 1 << 5;
/// The descriptor is not pollable; it is treated as permanently ready.
const ALWAYS_READY: usize = 1 << 6;
/// Where the tick starts.
const TICK_SHIFT: u32 = 16;
/// One tick.
const TICK_ONE: usize = 1 << TICK_SHIFT;

const fn tick_of(state: usize) -> usize {
    state >> TICK_SHIFT
}

// ===== Source =====

/// The readiness state of one registered descriptor: bits and a tick in one atomic word, and one
/// waker slot per direction. See the module documentation for the protocol.
pub(crate) struct Source {
    /// Readiness bits, flags and tick; layout above.
    state: AtomicUsize,
    /// The task waiting to read.
    reader: AtomicWaker,
    /// The task waiting to write.
    writer: AtomicWaker,
    /// The key the reactor delivers this source's events under. An event with another key is
    /// stale (a former registration of the same slot) and is not delivered here.
    key: usize,
    /// The socket's poll state in the IOCP backend, told to watch a direction again when an
    /// operation clears that direction's readiness (AFD polls are one-shot; see `iocp`). Set
    /// once, by `Reactor::register`.
    #[cfg(windows)]
    socket: std::sync::OnceLock<std::sync::Arc<super::sys::SocketState>>,
}

impl Source {
    /// A source delivered events under `key`, starting readable and writable so that the first
    /// operation in each direction tries its system call before waiting.
    pub(crate) fn new(key: usize) -> Source {
        Source {
            state: AtomicUsize::new((Ready::READABLE | Ready::WRITABLE).bits()),
            reader: AtomicWaker::new(),
            writer: AtomicWaker::new(),
            key,
            #[cfg(windows)]
            socket: std::sync::OnceLock::new(),
        }
    }

    /// Attaches the backend's poll state of the registered socket (Windows).
    #[cfg(windows)]
    pub(crate) fn attach(&self, socket: std::sync::Arc<super::sys::SocketState>) {
        let _ = self.socket.set(socket);
    }

    /// The key this source's events carry.
    pub(crate) fn key(&self) -> usize {
        self.key
    }

    /// Marks the source as permanently ready: its descriptor cannot be polled (the backend
    /// refused it), so every operation is simply tried.
    pub(crate) fn set_always_ready(&self) {
        self.state
            .fetch_or(ALWAYS_READY | Ready::ALL.bits(), AcqRel);
    }

    /// Whether the descriptor is treated as permanently ready (see [`Source::set_always_ready`]).
    pub(crate) fn is_always_ready(&self) -> bool {
        self.state.load(Acquire) & ALWAYS_READY != 0
    }

    /// The current conditions of `dir` and the current tick, without registering anything.
    #[cfg(all(test, not(loom)))]
    pub(crate) fn readiness(&self, dir: Direction) -> ReadyEvent {
        let state = self.state.load(Acquire);
        ReadyEvent {
            ready: Ready::from_state(state) & dir.mask(),
            tick: tick_of(state),
        }
    }

    /// The conditions of `mask` that are set now (possibly none) and the tick they were read at,
    /// without registering a waker; an error if the reactor has shut down.
    ///
    /// For an operation that is tried only if readiness was recorded and that does not wait
    /// (`try_io`): on `WouldBlock` it hands the snapshot to [`Source::clear_readiness`] (or
    /// [`Source::clear_error`]) exactly as a waiting operation hands over what
    /// [`Source::poll_ready`] returned, so the tick protects a newer event the same way.
    pub(crate) fn snapshot(&self, mask: Ready) -> io::Result<ReadyEvent> {
        let state = self.state.load(Acquire);
        if state & SHUTDOWN != 0 {
            return Err(shutdown_error());
        }
        Ok(ReadyEvent {
            ready: Ready::from_state(state) & mask,
            tick: tick_of(state),
        })
    }

    /// Records an event: sets `ready`, bumps the tick, then wakes the waiter of every direction
    /// `ready` concerns. Called by the reactor for each event it dispatches.
    pub(crate) fn set_readiness(&self, ready: Ready) {
        if ready.is_empty() {
            return;
        }
        let mut current = self.state.load(Acquire);
        loop {
            let next = (current | ready.bits()).wrapping_add(TICK_ONE);
            match self.state.compare_exchange(current, next, AcqRel, Acquire) {
                Ok(_) => break,
                Err(actual) => current = actual,
            }
        }
        // Bits first, wakers second: a task that registers after our update sees the bits; one
        // that registered before it is found by `wake` (see `AtomicWaker`).
        if ready.intersects(Direction::Read.mask()) {
            self.reader.wake();
        }
        if ready.intersects(Direction::Write.mask()) {
            self.writer.wake();
        }
    }

    /// Returns `Ready` with the conditions of `dir` if any is set, or an error if the reactor has
    /// shut down; otherwise stores the task's waker and returns `Pending`.
    ///
    /// The bits are checked again after the waker is stored, so an event delivered while the
    /// waker was being stored is either seen here or wakes the stored waker.
    pub(crate) fn poll_ready(
        &self,
        dir: Direction,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<ReadyEvent>> {
        if let Some(ready) = self.check(dir) {
            return Poll::Ready(ready);
        }
        self.waker(dir).register(cx.waker());
        match self.check(dir) {
            Some(ready) => Poll::Ready(ready),
            None => Poll::Pending,
        }
    }

    /// [`Source::poll_ready`] for a wait that any of several conditions ends, possibly in both
    /// directions (`ready(READABLE | WRITABLE)`): returns the conditions of `mask` that are set,
    /// or an error if the reactor has shut down; otherwise stores the task's waker in the slot of
    /// every direction in `dirs` and returns `Pending`.
    ///
    /// `dirs` must hold a direction whose waiter every condition of `mask` wakes (see
    /// [`Source::set_readiness`]); `ERROR` wakes both, so one slot suffices for it. As in
    /// `poll_ready`, the bits are checked again after *all* the wakers are stored: an event
    /// delivered meanwhile, in either direction, is either seen then or wakes the waker stored in
    /// its direction's slot. While pending, the task is the waiter of each slot in `dirs` (one
    /// waiter per direction: a later registration in the same slot displaces it, and a stored
    /// waker that outlives its future is displaced by the next registration, or woken once for
    /// nothing).
    pub(crate) fn poll_ready_any(
        &self,
        dirs: &[Direction],
        mask: Ready,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<ReadyEvent>> {
        debug_assert!(
            dirs.iter()
                .fold(Ready::EMPTY, |covered, dir| covered | dir.mask())
                .contains(mask),
            "a condition of the mask would wake no slot that is waited in"
        );
        if let Some(ready) = self.check_mask(mask) {
            return Poll::Ready(ready);
        }
        for &dir in dirs {
            self.waker(dir).register(cx.waker());
        }
        self.check_mask(mask).map_or(Poll::Pending, Poll::Ready)
    }

    /// `Some` if a poll in `dir` is satisfied by the current state.
    fn check(&self, dir: Direction) -> Option<io::Result<ReadyEvent>> {
        self.check_mask(dir.mask())
    }

    /// `Some` if a wait for any condition of `mask` is satisfied by the current state.
    fn check_mask(&self, mask: Ready) -> Option<io::Result<ReadyEvent>> {
        let state = self.state.load(Acquire);
        if state & SHUTDOWN != 0 {
            return Some(Err(shutdown_error()));
        }
        let ready = Ready::from_state(state) & mask;
        if ready.is_empty() {
            return None;
        }
        Some(Ok(ReadyEvent {
            ready,
            tick: tick_of(state),
        }))
    }

    /// Clears the conditions of `dir` after an operation acting on `event` failed with
    /// `WouldBlock` — but only if no event arrived since `event` was observed (the tick is
    /// unchanged). A newer event keeps its bits, and the operation is tried again.
    pub(crate) fn clear_readiness(&self, dir: Direction, event: ReadyEvent) {
        let cleared = self.clear_bits(dir.mask(), event);
        // The backend stopped watching this direction when it reported it; watch it again. If
        // that fails, report an error so the operation is tried and fails instead of waiting.
        #[cfg(windows)]
        if cleared {
            if let Some(socket) = self.socket.get() {
                if socket.rearm(dir).is_err() {
                    self.set_readiness(Ready::ERROR);
                }
            }
        }
        #[cfg(not(windows))]
        let _ = (cleared, dir);
    }

    /// Clears the `ERROR` condition alone after an operation that waited for errors only, acting
    /// on `event`, failed with `WouldBlock` (or the kernel, asked directly, reported no error
    /// pending), if no event arrived since (as [`Source::clear_readiness`] does for a
    /// direction). The conditions of the directions stay: nothing was learnt about them.
    pub(crate) fn clear_error(&self, event: ReadyEvent) {
        let cleared = self.clear_bits(Ready::ERROR, event);
        // An error report made the backend stop watching both directions (it concerns both);
        // watch them again, as `clear_readiness` does for the one it clears.
        #[cfg(windows)]
        if cleared {
            if let Some(socket) = self.socket.get() {
                for dir in [Direction::Read, Direction::Write] {
                    if socket.rearm(dir).is_err() {
                        self.set_readiness(Ready::ERROR);
                        return;
                    }
                }
            }
        }
        #[cfg(not(windows))]
        let _ = cleared;
    }

    /// Clears `bits` if no event arrived since `event` was observed; whether it cleared any.
    fn clear_bits(&self, bits: Ready, event: ReadyEvent) -> bool {
        let mut current = self.state.load(Acquire);
        loop {
            if current & ALWAYS_READY != 0 || tick_of(current) != event.tick {
                return false;
            }
            let next = current & !bits.bits();
            if next == current {
                return false;
            }
            match self.state.compare_exchange(current, next, AcqRel, Acquire) {
                Ok(_) => return true,
                Err(actual) => current = actual,
            }
        }
    }

    /// Runs the readiness loop for one operation: waits until `dir` may be ready, tries `op`,
    /// and on `WouldBlock` clears the readiness it acted on and waits again. Any other result of
    /// `op` (success or error) is returned.
    ///
    /// A source that starts out, or was told it is, ready tries `op` at once: the system call
    /// comes first, the waiting only after it failed.
    pub(crate) fn poll_io<R>(
        &self,
        dir: Direction,
        cx: &mut Context<'_>,
        op: impl FnMut() -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        self.poll_io_then(dir, cx, op, |_, _| {})
    }

    /// [`poll_io`](Source::poll_io) for a read of up to `len` bytes from a byte stream (a TCP or
    /// Unix stream socket, a pipe).
    ///
    /// A read that returns some bytes but fewer than `len` has emptied the kernel's buffer, so
    /// the readability it acted on is cleared at once: the next read waits for the next edge
    /// instead of first making a system call that would block (one call fewer per message of
    /// a request-response exchange). `op` returns the bytes read and whether the kernel said the
    /// buffer is now empty (a TCP socket on Linux can tell, see
    /// `raw::recv_reporting_queue`), which clears readability after a full read too. Only
    /// `READABLE` is cleared: a hang-up or an error already seen stays, since no new edge would
    /// report it again. As with `WouldBlock`, an event that arrived after `event` keeps its bits.
    /// Not on Windows, where AFD polls are one-shot and a cleared direction has to be re-armed,
    /// which costs the call this saves.
    pub(crate) fn poll_read_stream(
        &self,
        cx: &mut Context<'_>,
        len: usize,
        op: impl FnMut() -> io::Result<(usize, bool)>,
    ) -> Poll<io::Result<usize>> {
        self.poll_io_then(Direction::Read, cx, op, |&(n, drained), event| {
            #[cfg(not(windows))]
            if n > 0 && (n < len || drained) {
                self.clear_bits(Ready::READABLE, event);
            }
            #[cfg(windows)]
            let _ = (n, len, drained, event);
        })
        .map_ok(|(n, _)| n)
    }

    /// The readiness loop of [`poll_io`](Source::poll_io); `done` sees each successful result
    /// with the readiness event it was obtained under.
    fn poll_io_then<R>(
        &self,
        dir: Direction,
        cx: &mut Context<'_>,
        mut op: impl FnMut() -> io::Result<R>,
        done: impl FnOnce(&R, ReadyEvent),
    ) -> Poll<io::Result<R>> {
        loop {
            let event = match self.poll_ready(dir, cx) {
                Poll::Ready(Ok(event)) => event,
                Poll::Ready(Err(error)) => return Poll::Ready(Err(error)),
                Poll::Pending => return Poll::Pending,
            };
            match op() {
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                    if self.is_always_ready() {
                        // No event will ever come for an unpollable descriptor that still says
                        // "would block": yield, and try again on the next poll.
                        cx.waker().wake_by_ref();
                        return Poll::Pending;
                    }
                    self.clear_readiness(dir, event);
                }
                Ok(value) => {
                    done(&value, event);
                    return Poll::Ready(Ok(value));
                }
                #[cfg(windows)]
                Err(error) => return Poll::Ready(Err(super::sys::portable_error(error))),
                #[cfg(not(windows))]
                Err(error) => return Poll::Ready(Err(error)),
            }
        }
    }

    /// Marks the source as belonging to a reactor that has shut down and wakes both waiters;
    /// from now on every poll reports an error.
    pub(crate) fn shutdown(&self) {
        self.state.fetch_or(SHUTDOWN, AcqRel);
        self.reader.wake();
        self.writer.wake();
    }

    /// Drops both stored wakers without waking them (the source is being deregistered, so no
    /// task can be waiting on it any more).
    pub(crate) fn clear_wakers(&self) {
        drop(self.reader.take());
        drop(self.writer.take());
    }

    fn waker(&self, dir: Direction) -> &AtomicWaker {
        match dir {
            Direction::Read => &self.reader,
            Direction::Write => &self.writer,
        }
    }
}

impl fmt::Debug for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state.load(Acquire);
        f.debug_struct("Source")
            .field("key", &self.key)
            .field("ready", &Ready::from_state(state))
            .field("tick", &tick_of(state))
            .field("shutdown", &(state & SHUTDOWN != 0))
            .field("always_ready", &(state & ALWAYS_READY != 0))
            .finish()
    }
}

fn shutdown_error() -> io::Error {
    io::Error::other("the reactor driving this I/O source has shut down")
}

// ===== AtomicWaker =====

// The waker cell: under loom, loom's own cell (which checks that accesses never overlap);
// otherwise a thin wrapper over the standard one with the same `with_mut` interface.
#[cfg(loom)]
use loom::cell::UnsafeCell;

#[cfg(not(loom))]
struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

#[cfg(not(loom))]
impl<T> UnsafeCell<T> {
    fn new(value: T) -> UnsafeCell<T> {
        UnsafeCell(std::cell::UnsafeCell::new(value))
    }

    fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.0.get())
    }
}

/// Nobody is using the slot.
const IDLE: usize = 0;
/// A task is storing its waker; it owns the slot until it clears this bit.
const REGISTERING: usize = 0b01;
/// The reactor is taking the waker out; it owns the slot until it clears this bit. Set while
/// `REGISTERING` is held, it tells the registering task to wake its own waker on the way out.
const WAKING: usize = 0b10;

/// A slot for one waker that a task can fill while the reactor concurrently empties it, without
/// a lock and without losing a wake-up.
///
/// Whoever moves the state from `IDLE` to `REGISTERING` or `WAKING` owns the slot until it moves
/// it back. When the two overlap, the later one finds the other's bit set and leaves the slot
/// alone:
/// * a wake that finds `REGISTERING` sets `WAKING` and leaves; the registering task sees `WAKING`
///   when it tries to release the slot, takes its waker back out and wakes it itself;
/// * a registration that finds `WAKING` does not store the waker but wakes it at once, so its task
///   polls again (and registers again, normally finding the slot free).
///
/// Either way a waker stored (or offered) before or during a wake is woken. The price is that a
/// task registering while a wake is in progress polls once more than strictly needed; the wake's
/// critical section is a few instructions (taking the waker out), so this is rare and short.
///
/// # Contract
/// A waking thread publishes its condition (the readiness bits) *before* calling
/// [`wake`](AtomicWaker::wake), and a registering task checks the condition *after*
/// [`register`](AtomicWaker::register) returns.
pub(crate) struct AtomicWaker {
    /// `IDLE`, `REGISTERING`, `WAKING` or `REGISTERING | WAKING`.
    state: AtomicUsize,
    /// # Invariant
    /// Read or written only by the thread that moved `state` away from `IDLE` (it holds
    /// `REGISTERING`, or it holds `WAKING` having found `IDLE`), or by the registering thread that
    /// holds `REGISTERING` and found `WAKING` set by a waker that therefore did not touch the
    /// slot.
    waker: UnsafeCell<Option<Waker>>,
}

// SAFETY: the `Option<Waker>` in the cell is only accessed by the one thread that owns the slot
// according to `state` (the invariant on `waker`), and ownership passes between threads through
// acquire/release operations on `state`; `Waker` itself is `Send + Sync`.
unsafe impl Sync for AtomicWaker {}
// SAFETY: as above: moving the slot to another thread moves a `Waker`, which is `Send`.
unsafe impl Send for AtomicWaker {}

impl AtomicWaker {
    /// An empty slot.
    pub(crate) fn new() -> AtomicWaker {
        AtomicWaker {
            state: AtomicUsize::new(IDLE),
            waker: UnsafeCell::new(None),
        }
    }

    /// Stores `waker`, replacing (without waking) the previous one unless it wakes the same task.
    ///
    /// If a [`wake`](AtomicWaker::wake) overlaps, `waker` is woken instead of (or right after
    /// being) stored.
    pub(crate) fn register(&self, waker: &Waker) {
        match self
            .state
            .compare_exchange(IDLE, REGISTERING, Acquire, Acquire)
        {
            Ok(_) => {
                let old = self.waker.with_mut(|slot| {
                    // SAFETY: we moved the state from IDLE to REGISTERING, so we own the slot
                    // (the invariant on `waker`).
                    let slot = unsafe { &mut *slot };
                    match slot {
                        Some(current) if current.will_wake(waker) => None,
                        _ => slot.replace(waker.clone()),
                    }
                });
                // Release the slot; Release publishes the stored waker to the next waker.
                if let Err(actual) = self
                    .state
                    .compare_exchange(REGISTERING, IDLE, AcqRel, Acquire)
                {
                    // A wake arrived while we held the slot and left the waking to us.
                    debug_assert_eq!(actual, REGISTERING | WAKING);
                    let stored = self.waker.with_mut(|slot| {
                        // SAFETY: we still hold REGISTERING; the waker that set WAKING found it
                        // and did not touch the slot (the invariant on `waker`).
                        unsafe { (*slot).take() }
                    });
                    self.state.swap(IDLE, AcqRel);
                    if let Some(stored) = stored {
                        stored.wake();
                    }
                }
                // Dropped outside the critical section: a waker's drop runs foreign code.
                drop(old);
            }
            Err(WAKING) => {
                // A wake is in progress and will not see this waker. Wake it now so the task
                // polls again: that wake may be for a condition this task has already consumed
                // (its data read, its readiness cleared), and the event that matters may be the
                // next one, which finds an empty slot. Storing nothing and relying on the check
                // after `register` loses exactly that wake-up (the loom model
                // `reader_collects_data_from_successive_events` finds it).
                waker.wake_by_ref();
            }
            Err(_) => {
                // Another task is registering at the same moment (two waiters in one
                // direction). Only one waker fits; rather than drop this one silently, let its
                // task poll again.
                waker.wake_by_ref();
            }
        }
    }

    /// Takes the stored waker out and wakes it, if there is one and no registration is under
    /// way (an overlapping registration wakes its waker itself).
    pub(crate) fn wake(&self) {
        if let Some(waker) = self.take() {
            waker.wake();
        }
    }

    /// Takes the stored waker out without waking it; `None` if the slot is empty or busy (a busy
    /// slot is woken by its owner, see [`AtomicWaker::register`]).
    pub(crate) fn take(&self) -> Option<Waker> {
        // AcqRel: Acquire to see the waker the last registration released; Release so that a
        // registration that finds WAKING also sees what was published before this wake.
        match self.state.fetch_or(WAKING, AcqRel) {
            IDLE => {
                let waker = self.waker.with_mut(|slot| {
                    // SAFETY: we moved the state from IDLE to WAKING, so we own the slot (the
                    // invariant on `waker`).
                    unsafe { (*slot).take() }
                });
                self.state.fetch_and(!WAKING, Release);
                waker
            }
            // REGISTERING (the registrant will see WAKING and wake its waker) or WAKING (another
            // wake owns the slot and takes the waker).
            _ => None,
        }
    }
}

impl fmt::Debug for AtomicWaker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AtomicWaker")
            .field("state", &self.state.load(Acquire))
            .finish_non_exhaustive()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize as StdAtomicUsize, Ordering::SeqCst};
    use std::sync::Arc as StdArc;
    use std::task::Wake;

    /// A waker that counts its wake-ups.
    struct Counter(StdAtomicUsize);

    impl Wake for Counter {
        fn wake(self: StdArc<Self>) {
            self.0.fetch_add(1, SeqCst);
        }
        fn wake_by_ref(self: &StdArc<Self>) {
            self.0.fetch_add(1, SeqCst);
        }
    }

    fn counter() -> (StdArc<Counter>, Waker) {
        let counter = StdArc::new(Counter(StdAtomicUsize::new(0)));
        let waker = Waker::from(counter.clone());
        (counter, waker)
    }

    /// A waker whose wake-ups nobody counts.
    fn noop_waker() -> Waker {
        counter().1
    }

    fn wakes(counter: &Counter) -> usize {
        counter.0.load(SeqCst)
    }

    /// Polls `dir` and, if ready, clears what was seen, as an operation that hit `WouldBlock`
    /// would.
    fn drain(source: &Source, dir: Direction) {
        let waker = noop_waker();
        let mut cx = Context::from_waker(&waker);
        if let Poll::Ready(Ok(event)) = source.poll_ready(dir, &mut cx) {
            source.clear_readiness(dir, event);
        }
    }

    #[test]
    fn source_is_send_and_sync() {
        fn assert<T: Send + Sync>() {}
        assert::<Source>();
        assert::<AtomicWaker>();
    }

    #[test]
    fn new_source_is_ready_both_ways() {
        let source = Source::new(7);
        assert_eq!(source.key(), 7);
        let waker = noop_waker();
        let mut cx = Context::from_waker(&waker);
        let read = source.poll_ready(Direction::Read, &mut cx);
        assert!(matches!(read, Poll::Ready(Ok(e)) if e.ready() == Ready::READABLE));
        let write = source.poll_ready(Direction::Write, &mut cx);
        assert!(matches!(write, Poll::Ready(Ok(e)) if e.ready() == Ready::WRITABLE));
    }

    #[test]
    fn clear_then_event_wakes_only_that_direction() {
        let source = Source::new(0);
        drain(&source, Direction::Read);
        drain(&source, Direction::Write);
        let (readers, reader) = counter();
        let (writers, writer) = counter();
        assert!(source
            .poll_ready(Direction::Read, &mut Context::from_waker(&reader))
            .is_pending());
        assert!(source
            .poll_ready(Direction::Write, &mut Context::from_waker(&writer))
            .is_pending());

        source.set_readiness(Ready::READABLE);
        assert_eq!((wakes(&readers), wakes(&writers)), (1, 0));
        let ready = source.poll_ready(Direction::Read, &mut Context::from_waker(&reader));
        assert!(
            matches!(ready, Poll::Ready(Ok(e)) if e.ready() == Ready::READABLE && e.tick() == 1)
        );
        assert!(source
            .poll_ready(Direction::Write, &mut Context::from_waker(&writer))
            .is_pending());

        source.set_readiness(Ready::WRITABLE);
        assert_eq!((wakes(&readers), wakes(&writers)), (1, 1));
    }

    #[test]
    fn clear_with_a_stale_tick_keeps_the_newer_event() {
        let source = Source::new(0);
        let waker = noop_waker();
        let mut cx = Context::from_waker(&waker);
        let Poll::Ready(Ok(seen)) = source.poll_ready(Direction::Read, &mut cx) else {
            panic!("a new source is readable");
        };
        // An event lands between the failed operation and the clear.
        source.set_readiness(Ready::READABLE);
        source.clear_readiness(Direction::Read, seen);
        assert!(
            source.poll_ready(Direction::Read, &mut cx).is_ready(),
            "the newer event must survive a clear based on an older tick"
        );
        // With the current tick the clear goes through.
        drain(&source, Direction::Read);
        assert!(source.poll_ready(Direction::Read, &mut cx).is_pending());
    }

    #[test]
    fn clearing_one_direction_keeps_the_other() {
        let source = Source::new(0);
        drain(&source, Direction::Read);
        let waker = noop_waker();
        let mut cx = Context::from_waker(&waker);
        assert!(source.poll_ready(Direction::Read, &mut cx).is_pending());
        assert!(source.poll_ready(Direction::Write, &mut cx).is_ready());
    }

    #[test]
    fn closed_and_error_conditions_wake_the_right_directions() {
        for (ready, expect) in [
            (Ready::READ_CLOSED, (1, 0)),
            (Ready::WRITE_CLOSED, (0, 1)),
            (Ready::ERROR, (1, 1)),
            (Ready::READ_CLOSED | Ready::WRITE_CLOSED, (1, 1)),
        ] {
            let source = Source::new(0);
            drain(&source, Direction::Read);
            drain(&source, Direction::Write);
            let (readers, reader) = counter();
            let (writers, writer) = counter();
            let _ = source.poll_ready(Direction::Read, &mut Context::from_waker(&reader));
            let _ = source.poll_ready(Direction::Write, &mut Context::from_waker(&writer));
            source.set_readiness(ready);
            assert_eq!((wakes(&readers), wakes(&writers)), expect, "{ready:?}");
            let waker = noop_waker();
            let mut cx = Context::from_waker(&waker);
            assert_eq!(
                source.poll_ready(Direction::Read, &mut cx).is_ready(),
                expect.0 == 1
            );
            assert_eq!(
                source.poll_ready(Direction::Write, &mut cx).is_ready(),
                expect.1 == 1
            );
        }
    }

    #[test]
    fn empty_event_changes_nothing() {
        let source = Source::new(0);
        drain(&source, Direction::Read);
        let before = source.readiness(Direction::Read);
        source.set_readiness(Ready::EMPTY);
        assert_eq!(source.readiness(Direction::Read), before);
    }

    #[test]
    fn poll_io_retries_after_an_event() {
        let source = Source::new(0);
        let (count, waker) = counter();
        let mut cx = Context::from_waker(&waker);
        let mut calls = 0;
        let mut data_available = false;
        let mut op = |available: bool| {
            calls += 1;
            if available {
                Ok(42)
            } else {
                Err(io::Error::from(io::ErrorKind::WouldBlock))
            }
        };
        // Syscall first: tried once, fails, the task waits.
        assert!(source
            .poll_io(Direction::Read, &mut cx, || op(data_available))
            .is_pending());
        assert_eq!(wakes(&count), 0);
        // Data arrives, the reactor reports it.
        data_available = true;
        source.set_readiness(Ready::READABLE);
        assert_eq!(wakes(&count), 1);
        let result = source.poll_io(Direction::Read, &mut cx, || op(data_available));
        assert!(matches!(result, Poll::Ready(Ok(42))));
        assert_eq!(calls, 2);
    }

    #[test]
    fn poll_io_passes_other_errors_through() {
        let source = Source::new(0);
        let waker = noop_waker();
        let mut cx = Context::from_waker(&waker);
        let result: Poll<io::Result<()>> = source.poll_io(Direction::Write, &mut cx, || {
            Err(io::Error::from(io::ErrorKind::BrokenPipe))
        });
        assert!(matches!(result, Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::BrokenPipe));
    }

    #[cfg(not(windows))]
    #[test]
    fn a_short_stream_read_clears_readability_but_not_a_hang_up() {
        let source = Source::new(0);
        let waker = noop_waker();
        let mut cx = Context::from_waker(&waker);
        // A full read: more may be buffered, so readability stays.
        let full = source.poll_read_stream(&mut cx, 8, || Ok((8, false)));
        assert!(matches!(full, Poll::Ready(Ok(8))));
        assert!(source.poll_ready(Direction::Read, &mut cx).is_ready());

        // A short read emptied the buffer: the next read waits for an event, with no call.
        let short = source.poll_read_stream(&mut cx, 8, || Ok((3, false)));
        assert!(matches!(short, Poll::Ready(Ok(3))));
        let mut calls = 0;
        let next = source.poll_read_stream(&mut cx, 8, || {
            calls += 1;
            Ok((1, false))
        });
        assert!(next.is_pending());
        assert_eq!(calls, 0, "a read was tried without readiness");
        // Writing is untouched.
        assert!(source.poll_ready(Direction::Write, &mut cx).is_ready());

        // An event after the short read makes the next read run.
        source.set_readiness(Ready::READABLE);
        assert!(matches!(
            source.poll_read_stream(&mut cx, 8, || Ok((2, false))),
            Poll::Ready(Ok(2))
        ));

        // A hang-up seen before a short read stays: the next read runs and sees end of file.
        source.set_readiness(Ready::READABLE | Ready::READ_CLOSED);
        assert!(matches!(
            source.poll_read_stream(&mut cx, 8, || Ok((3, false))),
            Poll::Ready(Ok(3))
        ));
        assert!(matches!(
            source.poll_read_stream(&mut cx, 8, || Ok((0, false))),
            Poll::Ready(Ok(0))
        ));
    }

    #[cfg(not(windows))]
    #[test]
    fn a_full_read_that_drained_the_queue_clears_readability() {
        let source = Source::new(0);
        let waker = noop_waker();
        let mut cx = Context::from_waker(&waker);
        // The kernel said the read emptied the queue: as after a short read, the next read
        // waits for an event.
        let full = source.poll_read_stream(&mut cx, 8, || Ok((8, true)));
        assert!(matches!(full, Poll::Ready(Ok(8))));
        let mut calls = 0;
        let next = source.poll_read_stream(&mut cx, 8, || {
            calls += 1;
            Ok((8, false))
        });
        assert!(next.is_pending());
        assert_eq!(calls, 0, "a read was tried without readiness");
        // End of file (zero bytes) never clears, whatever the report.
        source.set_readiness(Ready::READABLE);
        assert!(matches!(
            source.poll_read_stream(&mut cx, 8, || Ok((0, true))),
            Poll::Ready(Ok(0))
        ));
        assert!(source.poll_ready(Direction::Read, &mut cx).is_ready());
    }

    #[test]
    fn a_wait_in_both_directions_ends_with_either() {
        let both = Direction::Read.mask() | Direction::Write.mask();
        for (event, other) in [
            (Ready::READABLE, Ready::WRITABLE),
            (Ready::WRITABLE, Ready::READABLE),
        ] {
            let source = Source::new(0);
            drain(&source, Direction::Read);
            drain(&source, Direction::Write);
            let (count, waker) = counter();
            let mut cx = Context::from_waker(&waker);
            let dirs = [Direction::Read, Direction::Write];
            assert!(source.poll_ready_any(&dirs, both, &mut cx).is_pending());
            source.set_readiness(event);
            assert_eq!(
                wakes(&count),
                1,
                "{event:?} wakes the waiter of both directions"
            );
            let seen = source.poll_ready_any(&dirs, both, &mut cx);
            assert!(matches!(seen, Poll::Ready(Ok(e)) if e.ready() == event));
            // The other direction's slot still holds the waker: its event wakes it once more.
            source.set_readiness(other);
            assert_eq!(wakes(&count), 2);
        }
    }

    #[test]
    fn a_dropped_wait_in_both_directions_leaves_the_slots_to_later_waiters() {
        let both = Direction::Read.mask() | Direction::Write.mask();
        let source = Source::new(0);
        drain(&source, Direction::Read);
        drain(&source, Direction::Write);
        let (abandoned, abandoned_waker) = counter();
        let dirs = [Direction::Read, Direction::Write];
        let mut cx = Context::from_waker(&abandoned_waker);
        assert!(source.poll_ready_any(&dirs, both, &mut cx).is_pending());
        // The waiting future is dropped; a reader and a writer take the slots over.
        let (readers, reader) = counter();
        let (writers, writer) = counter();
        assert!(source
            .poll_ready(Direction::Read, &mut Context::from_waker(&reader))
            .is_pending());
        assert!(source
            .poll_ready(Direction::Write, &mut Context::from_waker(&writer))
            .is_pending());
        source.set_readiness(Ready::READABLE);
        source.set_readiness(Ready::WRITABLE);
        assert_eq!((wakes(&readers), wakes(&writers)), (1, 1));
        assert_eq!(
            wakes(&abandoned),
            0,
            "the abandoned waker was replaced in both slots"
        );
    }

    #[test]
    fn an_error_alone_ends_a_wait_for_errors_in_either_slot() {
        for slot in [Direction::Read, Direction::Write] {
            let source = Source::new(0);
            drain(&source, Direction::Read);
            drain(&source, Direction::Write);
            let (count, waker) = counter();
            let mut cx = Context::from_waker(&waker);
            assert!(source
                .poll_ready_any(&[slot], Ready::ERROR, &mut cx)
                .is_pending());
            source.set_readiness(Ready::READABLE);
            assert!(source
                .poll_ready_any(&[slot], Ready::ERROR, &mut cx)
                .is_pending());
            source.set_readiness(Ready::ERROR);
            assert!(wakes(&count) >= 1);
            let seen = source.poll_ready_any(&[slot], Ready::ERROR, &mut cx);
            assert!(matches!(seen, Poll::Ready(Ok(e)) if e.ready() == Ready::ERROR));
        }
    }

    #[test]
    fn a_snapshot_clears_like_a_poll() {
        let source = Source::new(0);
        let seen = source.snapshot(Direction::Read.mask()).unwrap();
        assert_eq!(seen.ready(), Ready::READABLE);
        // An event lands between the failed operation and the clear: it survives.
        source.set_readiness(Ready::READABLE);
        source.clear_readiness(Direction::Read, seen);
        let seen = source.snapshot(Direction::Read.mask()).unwrap();
        assert_eq!(seen.ready(), Ready::READABLE);
        // With the current tick the clear goes through; the snapshot then shows nothing.
        source.clear_readiness(Direction::Read, seen);
        assert!(source
            .snapshot(Direction::Read.mask())
            .unwrap()
            .ready()
            .is_empty());
        assert_eq!(
            source.snapshot(Direction::Write.mask()).unwrap().ready(),
            Ready::WRITABLE
        );
        source.shutdown();
        assert!(source.snapshot(Direction::Read.mask()).is_err());
    }

    #[test]
    fn clearing_the_error_leaves_the_directions() {
        let source = Source::new(0);
        source.set_readiness(Ready::ERROR);
        let seen = source.snapshot(Ready::ERROR).unwrap();
        assert_eq!(seen.ready(), Ready::ERROR);
        source.clear_error(seen);
        assert!(source.snapshot(Ready::ERROR).unwrap().ready().is_empty());
        assert_eq!(
            source.snapshot(Ready::ALL).unwrap().ready(),
            Ready::READABLE | Ready::WRITABLE
        );
        // A newer error survives a clear based on an older tick.
        source.set_readiness(Ready::ERROR);
        let stale = seen;
        source.clear_error(stale);
        assert_eq!(source.snapshot(Ready::ERROR).unwrap().ready(), Ready::ERROR);
    }

    #[test]
    fn always_ready_sources_never_clear() {
        let source = Source::new(0);
        source.set_always_ready();
        assert!(source.is_always_ready());
        drain(&source, Direction::Read);
        drain(&source, Direction::Write);
        let waker = noop_waker();
        let mut cx = Context::from_waker(&waker);
        assert!(source.poll_ready(Direction::Read, &mut cx).is_ready());
        assert!(source.poll_ready(Direction::Write, &mut cx).is_ready());

        // An unpollable descriptor that says "would block" yields instead of spinning.
        let (count, waker) = counter();
        let mut cx = Context::from_waker(&waker);
        let result: Poll<io::Result<()>> = source.poll_io(Direction::Read, &mut cx, || {
            Err(io::Error::from(io::ErrorKind::WouldBlock))
        });
        assert!(result.is_pending());
        assert_eq!(wakes(&count), 1);
    }

    #[test]
    fn shutdown_wakes_both_and_fails_every_poll() {
        let source = Source::new(0);
        drain(&source, Direction::Read);
        drain(&source, Direction::Write);
        let (readers, reader) = counter();
        let (writers, writer) = counter();
        let _ = source.poll_ready(Direction::Read, &mut Context::from_waker(&reader));
        let _ = source.poll_ready(Direction::Write, &mut Context::from_waker(&writer));
        source.shutdown();
        assert_eq!((wakes(&readers), wakes(&writers)), (1, 1));
        let waker = noop_waker();
        let mut cx = Context::from_waker(&waker);
        assert!(matches!(
            source.poll_ready(Direction::Read, &mut cx),
            Poll::Ready(Err(_))
        ));
        assert!(matches!(
            source.poll_io(Direction::Write, &mut cx, || Ok(())),
            Poll::Ready(Err(_))
        ));
    }

    #[test]
    fn clear_wakers_drops_without_waking() {
        let source = Source::new(0);
        drain(&source, Direction::Read);
        let (count, waker) = counter();
        let _ = source.poll_ready(Direction::Read, &mut Context::from_waker(&waker));
        drop(waker);
        assert_eq!(StdArc::strong_count(&count), 2, "the source holds a clone");
        source.clear_wakers();
        assert_eq!(StdArc::strong_count(&count), 1);
        assert_eq!(wakes(&count), 0);
    }

    #[test]
    fn atomic_waker_wakes_the_latest_registration_once() {
        let slot = AtomicWaker::new();
        slot.wake(); // nothing stored: nothing happens
        let (first, first_waker) = counter();
        let (second, second_waker) = counter();
        slot.register(&first_waker);
        slot.register(&second_waker);
        slot.wake();
        slot.wake();
        assert_eq!((wakes(&first), wakes(&second)), (0, 1));
    }

    #[test]
    fn atomic_waker_keeps_an_equivalent_waker() {
        let slot = AtomicWaker::new();
        let (count, waker) = counter();
        slot.register(&waker);
        slot.register(&waker.clone());
        // One clone in the slot, one here, one in `count`.
        assert_eq!(StdArc::strong_count(&count), 3);
        drop(slot.take());
        assert_eq!(StdArc::strong_count(&count), 2);
    }

    #[test]
    fn wakes_are_not_lost_across_threads() {
        // The protocol under real concurrency: a reader that fails, clears and registers while
        // another thread delivers the event, many times over.
        for _ in 0..2_000 {
            let source = StdArc::new(Source::new(0));
            drain(&source, Direction::Read);
            let data = StdArc::new(std::sync::atomic::AtomicBool::new(false));
            let reactor = {
                let (source, data) = (source.clone(), data.clone());
                std::thread::spawn(move || {
                    data.store(true, SeqCst);
                    source.set_readiness(Ready::READABLE);
                })
            };
            let (count, waker) = counter();
            let mut cx = Context::from_waker(&waker);
            let op = || {
                if data.load(SeqCst) {
                    Ok(())
                } else {
                    Err(io::Error::from(io::ErrorKind::WouldBlock))
                }
            };
            let first = source.poll_io(Direction::Read, &mut cx, op);
            reactor.join().unwrap();
            if first.is_pending() {
                assert_eq!(wakes(&count), 1, "pending, so the event must have woken us");
                assert!(source.poll_io(Direction::Read, &mut cx, op).is_ready());
            }
        }
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    //! Model checks of the readiness protocol (`RUSTFLAGS="--cfg loom"`).
    //!
    //! The reader runs under `block_on` below, which parks the thread until the waker is woken; a
    //! lost wake-up leaves every thread blocked, which loom reports as a deadlock.

    use super::*;
    use crate::loom::{AtomicBool, AtomicUsize, Ordering::SeqCst};
    use loom::sync::Arc;
    use loom::thread;
    use std::future::{poll_fn, Future};

    fn would_block() -> io::Error {
        io::Error::from(io::ErrorKind::WouldBlock)
    }

    /// Drives `future` on this thread, parking (in loom's sense) while it is pending.
    fn block_on<F: Future>(future: F) -> F::Output {
        struct Unpark(loom::sync::Notify);
        impl std::task::Wake for Unpark {
            fn wake(self: std::sync::Arc<Self>) {
                self.0.notify();
            }
            fn wake_by_ref(self: &std::sync::Arc<Self>) {
                self.0.notify();
            }
        }
        let unpark = std::sync::Arc::new(Unpark(loom::sync::Notify::new()));
        let waker = Waker::from(unpark.clone());
        let mut cx = Context::from_waker(&waker);
        let mut future = std::pin::pin!(future);
        loop {
            if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
                return output;
            }
            unpark.0.wait();
            // A task woken at once (a registration that overlapped a wake) polls again; like a
            // real scheduler, let the other threads run first rather than spin.
            thread::yield_now();
        }
    }

    /// A waker that does nothing.
    fn noop_waker() -> Waker {
        struct Noop;
        impl std::task::Wake for Noop {
            fn wake(self: std::sync::Arc<Self>) {}
        }
        Waker::from(std::sync::Arc::new(Noop))
    }

    /// A reader whose first system call fails, then registers, concurrently with the reactor
    /// delivering the event that makes the call succeed: the reader always finishes.
    #[test]
    fn reader_never_misses_a_concurrent_event() {
        loom::model(|| {
            let source = Arc::new(Source::new(0));
            let data = Arc::new(AtomicBool::new(false));

            let reactor = {
                let (source, data) = (source.clone(), data.clone());
                thread::spawn(move || {
                    data.store(true, SeqCst); // the kernel buffer fills
                    source.set_readiness(Ready::READABLE); // the edge is delivered
                })
            };

            block_on(poll_fn(|cx| {
                source.poll_io(Direction::Read, cx, || {
                    if data.load(SeqCst) {
                        Ok(())
                    } else {
                        Err(would_block())
                    }
                })
            }))
            .unwrap();

            reactor.join().unwrap();
        });
    }

    /// The same with a reader that observed readiness from an earlier event (tick 1), so the
    /// clear after its failed call races with the new event's tick bump.
    #[test]
    fn clear_never_erases_a_newer_event() {
        loom::model(|| {
            let source = Arc::new(Source::new(0));
            let waker = noop_waker();
            let mut cx = Context::from_waker(&waker);
            if let Poll::Ready(Ok(event)) = source.poll_ready(Direction::Read, &mut cx) {
                source.clear_readiness(Direction::Read, event);
            }
            source.set_readiness(Ready::READABLE); // an old event whose data was consumed
            let data = Arc::new(AtomicBool::new(false));

            let reactor = {
                let (source, data) = (source.clone(), data.clone());
                thread::spawn(move || {
                    // A read-modify-write, like the reader's: the buffer is one location that
                    // both sides update atomically (as the kernel does under its socket lock).
                    data.swap(true, SeqCst);
                    source.set_readiness(Ready::READABLE);
                })
            };

            block_on(poll_fn(|cx| {
                source.poll_io(Direction::Read, cx, || {
                    if data.swap(false, SeqCst) {
                        Ok(())
                    } else {
                        Err(would_block())
                    }
                })
            }))
            .unwrap();

            reactor.join().unwrap();
        });
    }

    /// Two edges, each bringing one unit of data, against a reader that consumes whatever is
    /// there and waits again until it has both: every wait after a partial read ends.
    #[test]
    fn reader_collects_data_from_successive_events() {
        loom::model(|| {
            let source = Arc::new(Source::new(0));
            let data = Arc::new(AtomicUsize::new(0));

            let reactor = {
                let (source, data) = (source.clone(), data.clone());
                thread::spawn(move || {
                    for _ in 0..2 {
                        data.fetch_add(1, SeqCst);
                        source.set_readiness(Ready::READABLE);
                    }
                })
            };

            let mut total = 0;
            while total < 2 {
                total += block_on(poll_fn(|cx| {
                    source.poll_io(Direction::Read, cx, || match data.swap(0, SeqCst) {
                        0 => Err(would_block()),
                        n => Ok(n),
                    })
                }))
                .unwrap();
            }
            assert_eq!(total, 2);

            reactor.join().unwrap();
        });
    }

    /// An error event wakes a waiting reader and a waiting writer, whatever the interleaving.
    #[test]
    fn error_reaches_both_directions() {
        loom::model(|| {
            let source = Arc::new(Source::new(0));
            let failed = Arc::new(AtomicBool::new(false));
            let waker = noop_waker();
            let mut cx = Context::from_waker(&waker);
            for dir in [Direction::Read, Direction::Write] {
                if let Poll::Ready(Ok(event)) = source.poll_ready(dir, &mut cx) {
                    source.clear_readiness(dir, event);
                }
            }

            let writer = {
                let (source, failed) = (source.clone(), failed.clone());
                thread::spawn(move || {
                    let result: io::Result<()> = block_on(poll_fn(|cx| {
                        source.poll_io(Direction::Write, cx, || {
                            if failed.load(SeqCst) {
                                Err(io::Error::from(io::ErrorKind::BrokenPipe))
                            } else {
                                Err(would_block())
                            }
                        })
                    }));
                    assert!(result.is_err());
                })
            };

            failed.store(true, SeqCst);
            source.set_readiness(Ready::ERROR);

            let result: io::Result<()> = block_on(poll_fn(|cx| {
                source.poll_io(Direction::Read, cx, || {
                    if failed.load(SeqCst) {
                        Err(io::Error::from(io::ErrorKind::ConnectionReset))
                    } else {
                        Err(would_block())
                    }
                })
            }));
            assert!(result.is_err());
            writer.join().unwrap();
        });
    }

    /// A wait in both directions (`ready(READABLE | WRITABLE)`) against an event in one of
    /// them: whichever slot the event wakes, and however the two registrations and the second
    /// check interleave with it, the wait ends and reports the event.
    fn wait_in_both_directions_sees(event: Ready) {
        loom::model(move || {
            let source = Arc::new(Source::new(0));
            let waker = noop_waker();
            let mut cx = Context::from_waker(&waker);
            for dir in [Direction::Read, Direction::Write] {
                if let Poll::Ready(Ok(seen)) = source.poll_ready(dir, &mut cx) {
                    source.clear_readiness(dir, seen);
                }
            }

            let reactor = {
                let source = source.clone();
                thread::spawn(move || source.set_readiness(event))
            };

            let both = Direction::Read.mask() | Direction::Write.mask();
            let seen = block_on(poll_fn(|cx| {
                source.poll_ready_any(&[Direction::Read, Direction::Write], both, cx)
            }))
            .unwrap();
            assert_eq!(seen.ready(), event);

            reactor.join().unwrap();
        });
    }

    #[test]
    fn wait_in_both_directions_sees_a_read_event() {
        wait_in_both_directions_sees(Ready::READABLE);
    }

    #[test]
    fn wait_in_both_directions_sees_a_write_event() {
        wait_in_both_directions_sees(Ready::WRITABLE);
    }

    /// The `try_io` path: an operation tried on a snapshot (no waker stored), cleared with the
    /// snapshot's tick after `WouldBlock`, then a wait; concurrently the reactor delivers the
    /// event that makes the operation succeed. The loop always finishes: a clear never erases
    /// the newer event, and a wait after the clear is woken by it.
    #[test]
    fn try_then_wait_never_misses_an_event() {
        loom::model(|| {
            // Readable from the start (tick 0), with nothing to read: an old readiness.
            let source = Arc::new(Source::new(0));
            let data = Arc::new(AtomicBool::new(false));

            let reactor = {
                let (source, data) = (source.clone(), data.clone());
                thread::spawn(move || {
                    data.swap(true, SeqCst);
                    source.set_readiness(Ready::READABLE);
                })
            };

            loop {
                let seen = source.snapshot(Direction::Read.mask()).unwrap();
                if !seen.ready().is_empty() {
                    if data.swap(false, SeqCst) {
                        break;
                    }
                    source.clear_readiness(Direction::Read, seen);
                }
                block_on(poll_fn(|cx| {
                    source.poll_ready_any(&[Direction::Read], Direction::Read.mask(), cx)
                }))
                .unwrap();
            }

            reactor.join().unwrap();
        });
    }

    /// A register racing with a wake: the registered task is woken (or told to poll again).
    #[test]
    fn atomic_waker_register_races_wake() {
        loom::model(|| {
            let slot = Arc::new(AtomicWaker::new());
            let flag = Arc::new(AtomicBool::new(false));

            let waker_thread = {
                let (slot, flag) = (slot.clone(), flag.clone());
                thread::spawn(move || {
                    flag.store(true, SeqCst);
                    slot.wake();
                })
            };

            block_on(poll_fn(|cx| {
                slot.register(cx.waker());
                if flag.load(SeqCst) {
                    Poll::Ready(())
                } else {
                    Poll::Pending
                }
            }));

            waker_thread.join().unwrap();
        });
    }
}

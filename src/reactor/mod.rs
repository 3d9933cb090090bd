//! The reactor: the operating system's readiness notifications, delivered to [`Source`]s.
//!
//! A descriptor is registered once, for both directions, and gets a [`Source`] that remembers its
//! readiness (see [`source`] for the protocol I/O futures follow). A thread with nothing else to
//! do calls [`Reactor::poll`], which waits in the backend and then sets the readiness of every
//! source that had an event, waking the tasks waiting on them. [`Reactor::notify`] makes that wait
//! return early (new work, a nearer deadline).
//!
//! # The backend contract
//! Each platform's backend is one module defining the same items, with no trait between them:
//! `reactor/mod.rs` picks one with `cfg` and calls it `sys`. Every backend provides:
//!
//! * `struct Poller: Send + Sync`, with
//!   * `fn new() -> io::Result<Poller>`;
//!   * `fn add(&self, fd: BorrowedIo<'_>, key: usize) -> io::Result<Registration>`: registers the
//!     descriptor once, for reading and writing, edge-triggered, until `delete` (there is no
//!     `modify`: interest never changes). A descriptor the backend cannot poll but that never
//!     blocks (a regular file) is `Ok(Registration::AlwaysReady)`, not an error; resource
//!     exhaustion is an error;
//!   * `fn delete(&self, fd: BorrowedIo<'_>) -> io::Result<()>`;
//!   * `fn wait(&self, events: &mut Events, timeout: Option<Duration>) -> io::Result<()>`: one
//!     thread at a time; never returns before `timeout` unless an event or a notification came
//!     (timeouts round up to the backend's resolution); an interrupted wait is `Ok` with no
//!     events;
//!   * `fn notify(&self) -> io::Result<()>`: from any thread; makes the current or next `wait`
//!     return; notifications coalesce, and their internal events are never reported;
//! * `enum Registration { Registered, AlwaysReady }`; on Windows `Registered` carries the
//!   socket's poll state, which its [`Source`] keeps: AFD polls are one-shot and level-triggered,
//!   so the backend stops watching a direction once it has reported it, and the source asks for
//!   it again when an operation in that direction sees `WouldBlock` (see `iocp`);
//! * `struct Events` with `fn new() -> Events` and
//!   `fn iter(&self) -> impl Iterator<Item = (usize, Ready)>`, the key given to `add` and the
//!   conditions seen, translated into [`Ready`](source::Ready);
//! * `const NOTIFY_KEY: usize`, a key `add` is never given (the reactor's keys never equal
//!   `usize::MAX`).
//!
//! Backends: `epoll` (Linux, Android), `kqueue` (macOS, iOS, tvOS, watchOS, FreeBSD, NetBSD,
//! OpenBSD, DragonFly), `iocp` (Windows: a completion port and the AFD poll device). Other
//! platforms fail to compile until theirs is written.
//!
//! What a backend watches is named once for all platforms in [`raw`]: a file descriptor on Unix
//! ([`AsFd`](std::os::fd::AsFd)), a socket on Windows (`AsSocket`).
//!
//! # The registry: finding a source from an event without a lock
//! The key given to the backend is a slot index in the low bits and a generation in the high
//! bits. Slots live in pages of 64, 128, 256, … entries that are allocated on demand and never
//! moved or freed while the reactor lives, so finding an event's source is two atomic loads (page,
//! slot) and a key comparison. The registry's mutex is never taken on that path; the only lock
//! is the reactor's own `dispatching` lock, taken once per batch and contended only by a
//! deregistration that races the batch (which then does not wait for it, see below).
//!
//! Registration and deregistration (not hot paths) take the registry's mutex to pick and recycle
//! slots. A recycled slot gets a new generation, so an event still carrying the old key (already
//! collected by a wait, or from a kernel registration that outlived its source because its
//! descriptor was swapped or duplicated) fails the key comparison and is dropped.
//!
//! Why not put the `Source`'s address in the event, as some reactors do? epoll ties a
//! registration to the open file, not to the descriptor number: if the descriptor is duplicated
//! and the original closed (or safe code replaces the I/O object inside an `Async`), the
//! registration outlives every way to delete it and would keep reporting a freed address. Keys
//! that are validated against the registry make such leftovers harmless.
//!
//! ## Lifetime of a source seen by the dispatcher
//! A slot owns one strong reference to its source. The dispatcher reads slots while holding the
//! `dispatching` lock. Deregistration empties the slot first and then hands the slot's reference
//! to `release`, which drops it at once if it can take `dispatching` (no dispatch in progress,
//! and any later one finds the slot empty), and otherwise parks it in `released`, which the
//! dispatcher empties only before it reads any slot and after it has used the last one. So a
//! source is never freed while a dispatcher may hold its address.
//!
//! # Threads
//! [`Reactor::poll`] is for one thread at a time (a second caller waits for the first to
//! return). [`Reactor::register`], [`Reactor::deregister`], [`Reactor::notify`] and
//! [`Reactor::shutdown`] may be called from any thread at any time, including from a waker that
//! the dispatcher is running.

#[cfg(any(target_os = "linux", target_os = "android"))]
mod epoll;
#[cfg(any(target_os = "linux", target_os = "android"))]
use epoll as sys;

#[cfg(any(
    target_os = "macos",
    target_os = "ios",
    target_os = "tvos",
    target_os = "watchos",
    target_os = "freebsd",
    target_os = "netbsd",
    target_os = "openbsd",
    target_os = "dragonfly",
))]
mod kqueue;
#[cfg(any(
    target_os = "macos",
    target_os = "ios",
    target_os = "tvos",
    target_os = "watchos",
    target_os = "freebsd",
    target_os = "netbsd",
    target_os = "openbsd",
    target_os = "dragonfly",
))]
use kqueue as sys;

#[cfg(windows)]
mod iocp;
#[cfg(windows)]
use iocp as sys;
/// The Winsock calls `net` needs beyond `std`, as safe functions (Windows).
#[cfg(windows)]
pub(crate) use iocp::socket as winsock;

#[cfg(not(any(
    windows,
    target_os = "linux",
    target_os = "android",
    target_os = "macos",
    target_os = "ios",
    target_os = "tvos",
    target_os = "watchos",
    target_os = "freebsd",
    target_os = "netbsd",
    target_os = "openbsd",
    target_os = "dragonfly",
)))]
compile_error!(
    "evloop has no I/O reactor for this platform yet (supported: Linux, Android, macOS, iOS, \
     tvOS, watchOS, FreeBSD, NetBSD, OpenBSD, DragonFly, Windows)"
);

mod driver;
mod file;
pub(crate) mod raw;
pub(crate) mod source;
pub(crate) mod timer;

use std::fmt;
use std::io;
use std::sync::{Arc, TryLockError};
use std::time::Duration;

pub(crate) use driver::{Driver, TimerHandle, TimerKey};
pub(crate) use file::read_whole;
pub(crate) use raw::{AsIo, BorrowedIo};
pub(crate) use source::{Direction, Source};
use sys::{Events, Poller, Registration};

use crate::loom::{lock, AtomicPtr, AtomicUsize, Mutex, Ordering::Acquire, Ordering::Release};

/// The I/O driver: a backend poller, the registry of sources, and the dispatch loop.
pub(crate) struct Reactor {
    poller: Poller,
    registry: Registry,
    /// The event buffer; holding this lock is what makes a thread *the* polling thread.
    events: Mutex<Events>,
    /// Held while slots are read and events delivered; see "Lifetime of a source seen by the
    /// dispatcher" in the module documentation.
    dispatching: Mutex<()>,
    /// Sources deregistered while a dispatch was in progress; freed by the next dispatch.
    released: Mutex<Vec<Arc<Source>>>,
    /// How many sources are registered: with none, a non-blocking turn has no event to collect.
    sources: AtomicUsize,
}

impl Reactor {
    /// Creates a reactor with its own backend instance.
    pub(crate) fn new() -> io::Result<Reactor> {
        Ok(Reactor {
            poller: Poller::new()?,
            registry: Registry::new(),
            events: Mutex::new(Events::new()),
            dispatching: Mutex::new(()),
            released: Mutex::new(Vec::new()),
            sources: AtomicUsize::new(0),
        })
    }

    /// Registers `fd` for both directions, edge-triggered, until [`Reactor::deregister`].
    ///
    /// The descriptor must be non-blocking. One the backend cannot poll (a regular file) gets an
    /// always-ready source. Fails if the reactor has shut down, the descriptor is already
    /// registered, or the system is out of resources.
    pub(crate) fn register(&self, fd: BorrowedIo<'_>) -> io::Result<Arc<Source>> {
        let source = self.registry.insert()?;
        // Counted before the backend can report its events.
        self.sources.fetch_add(1, Release);
        match self.poller.add(fd, source.key()) {
            #[cfg(not(windows))]
            Ok(Registration::Registered) => Ok(source),
            #[cfg(windows)]
            Ok(Registration::Registered(socket)) => {
                source.attach(socket);
                Ok(source)
            }
            Ok(Registration::AlwaysReady) => {
                source.set_always_ready();
                Ok(source)
            }
            Err(error) => {
                if let Some(slot_ref) = self.registry.remove(&source) {
                    self.sources.fetch_sub(1, Release);
                    self.release(slot_ref);
                }
                Err(error)
            }
        }
    }

    /// Removes `source`, registered for `fd`, from the backend and the registry, dropping any
    /// waker it still holds.
    ///
    /// Call it before `fd` is closed. The source is forgotten by the registry even if the backend
    /// reports an error (which is returned): a kernel registration left behind can only produce
    /// events with a stale key, which are ignored. Deregistering twice is harmless (the second
    /// time reports the backend's error).
    pub(crate) fn deregister(&self, source: &Source, fd: BorrowedIo<'_>) -> io::Result<()> {
        let result = if source.is_always_ready() {
            Ok(())
        } else {
            self.poller.delete(fd)
        };
        source.clear_wakers();
        if let Some(slot_ref) = self.registry.remove(source) {
            self.sources.fetch_sub(1, Release);
            self.release(slot_ref);
        }
        result
    }

    /// Whether any source is registered. A turn that must not block can skip the backend's
    /// wait when none is: there is no event to collect, and a pending [`Reactor::notify`] stays
    /// pending for the next wait (which then returns at once).
    pub(crate) fn has_sources(&self) -> bool {
        self.sources.load(Acquire) != 0
    }

    /// Waits for events (at most `timeout`; `None` waits until an event or [`Reactor::notify`])
    /// and delivers them to their sources, waking the waiting tasks. Returns how many events were
    /// delivered.
    ///
    /// One thread at a time: a second caller blocks until the first returns.
    pub(crate) fn poll(&self, timeout: Option<Duration>) -> io::Result<usize> {
        let mut events = lock(&self.events);
        self.poller.wait(&mut events, timeout)?;

        let _dispatching = lock(&self.dispatching);
        self.free_released();
        let mut delivered = 0;
        for (key, ready) in events.iter() {
            let source = self.registry.lookup(key);
            if source.is_null() {
                continue;
            }
            // SAFETY: `lookup` returned a pointer taken from a slot while we hold `dispatching`,
            // so it stays valid until we release it (the registry's slot invariant and "Lifetime
            // of a source seen by the dispatcher" in the module documentation).
            let source = unsafe { &*source };
            if source.key() != key {
                continue; // a stale event for an earlier registration of this slot
            }
            source.set_readiness(ready);
            delivered += 1;
        }
        self.free_released();
        Ok(delivered)
    }

    /// Makes the current or next [`Reactor::poll`] return promptly.
    pub(crate) fn notify(&self) -> io::Result<()> {
        self.poller.notify()
    }

    /// Shuts the reactor down: registration fails from now on, and every registered source is
    /// marked shut down and its waiting tasks woken, so their I/O fails instead of hanging.
    pub(crate) fn shutdown(&self) {
        for source in self.registry.shut_down() {
            source.shutdown();
        }
        // A thread blocked in `poll` returns and can notice the shutdown. Failing to notify
        // leaves it blocked until its timeout, which is no worse than before.
        let _ = self.poller.notify();
    }

    /// Drops a slot's reference to a deregistered source, or defers that to the dispatcher if a
    /// dispatch is in progress.
    fn release(&self, slot_ref: Arc<Source>) {
        match self.dispatching.try_lock() {
            // No dispatcher holds an address from this slot, and any later one finds it empty.
            Ok(_) | Err(TryLockError::Poisoned(_)) => drop(slot_ref),
            Err(TryLockError::WouldBlock) => lock(&self.released).push(slot_ref),
        }
    }

    /// Frees deregistered sources parked in `released`. Call only while holding `dispatching`,
    /// with no source address of the current dispatch still in use.
    fn free_released(&self) {
        let released = std::mem::take(&mut *lock(&self.released));
        drop(released);
    }
}

impl Drop for Reactor {
    fn drop(&mut self) {
        // Tasks still waiting on a source learn that nothing will ever wake them again.
        self.shutdown();
    }
}

impl fmt::Debug for Reactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reactor")
            .field("poller", &self.poller)
            .finish_non_exhaustive()
    }
}

// ===== The current reactor =====

/// Calls `f` with the reactor of the current runtime (the global runtime's outside any), which
/// I/O objects created now register with.
pub(crate) fn with_current<R>(f: impl FnOnce(&Arc<Reactor>) -> io::Result<R>) -> io::Result<R> {
    let handle = crate::runtime::Handle::current_or_global();
    f(handle.inner.driver.reactor())
}

// ===== The registry =====

/// Bits of a key that hold the slot index; the rest hold the slot's generation.
const INDEX_BITS: u32 = if usize::BITS >= 64 { 32 } else { 24 };
const INDEX_MASK: usize = (1 << INDEX_BITS) - 1;
/// log2 of the first page's length (64 slots): small enough that a reactor with a handful of
/// sources allocates 512 bytes, large enough that a busy one has few pages.
const FIRST_PAGE_SHIFT: u32 = 6;
/// Page `p` holds `64 << p` slots; this many pages hold `2^INDEX_BITS - 64` slots in all, so
/// every index fits its bits and no key's index is all ones (keys never equal `NOTIFY_KEY`).
const PAGES: usize = (INDEX_BITS - FIRST_PAGE_SHIFT) as usize;
/// The number of slots.
const CAPACITY: usize = ((1 << PAGES) - 1) << FIRST_PAGE_SHIFT;
// Every index fits its bits, and the all-ones index (which would let a key equal `NOTIFY_KEY`)
// is never handed out.
const _: () = assert!(CAPACITY <= INDEX_MASK);

/// A slot: null, or a source's address.
///
/// # Invariant
/// A non-null value came from `Arc::into_raw`, and the slot owns that strong reference until
/// `Registry::remove` (or the registry's drop) takes it back. Written only under `alloc`.
type Slot = AtomicPtr<Source>;

/// Slot storage with lock-free lookup by key; see "The registry" in the module documentation.
struct Registry {
    /// # Invariant
    /// `pages[p]` is null or points to the first of `page_len(p)` slots, allocated as a leaked
    /// `Box<[Slot]>` under `alloc`, never replaced, and freed only by `Drop`.
    pages: [AtomicPtr<Slot>; PAGES],
    alloc: Mutex<Alloc>,
}

/// The registry's bookkeeping, behind its mutex.
struct Alloc {
    /// Slots below this index have been handed out at least once.
    next: usize,
    /// Keys (index and next generation) of free slots that have been used before.
    free: Vec<usize>,
    /// Set by `shut_down`; refuses further registrations.
    shut_down: bool,
}

/// Page and offset of slot `index`.
const fn locate(index: usize) -> (usize, usize) {
    let biased = (index >> FIRST_PAGE_SHIFT) + 1;
    let page = (usize::BITS - 1 - biased.leading_zeros()) as usize;
    let offset = index - (((1 << page) - 1) << FIRST_PAGE_SHIFT);
    (page, offset)
}

const fn page_len(page: usize) -> usize {
    1 << (FIRST_PAGE_SHIFT as usize + page)
}

/// The key the next registration of `key`'s slot uses: same index, next generation.
const fn next_generation(key: usize) -> usize {
    let index = key & INDEX_MASK;
    let generation = (key >> INDEX_BITS).wrapping_add(1) & (usize::MAX >> INDEX_BITS);
    index | (generation << INDEX_BITS)
}

impl Registry {
    fn new() -> Registry {
        Registry {
            pages: std::array::from_fn(|_| AtomicPtr::new(std::ptr::null_mut())),
            alloc: Mutex::new(Alloc {
                next: 0,
                free: Vec::new(),
                shut_down: false,
            }),
        }
    }

    /// The slot with index `index`, if its page exists.
    fn slot(&self, index: usize) -> Option<&Slot> {
        let (page, offset) = locate(index);
        let first = self.pages.get(page)?.load(Acquire);
        if first.is_null() {
            return None;
        }
        // SAFETY: a non-null page pointer points to `page_len(page)` slots that live as long as
        // `self` (the invariant on `pages`), and `offset < page_len(page)` by `locate`.
        Some(unsafe { &*first.add(offset) })
    }

    /// A new source in a free slot, under a fresh key; its address is published in the slot
    /// before it is returned, so events for its key find it as soon as the backend has it.
    fn insert(&self) -> io::Result<Arc<Source>> {
        let mut alloc = lock(&self.alloc);
        if alloc.shut_down {
            return Err(io::Error::other("the reactor has shut down"));
        }
        let key = match alloc.free.pop() {
            Some(key) => key,
            None if alloc.next < CAPACITY => {
                alloc.next += 1;
                alloc.next - 1
            }
            None => {
                return Err(io::Error::new(
                    io::ErrorKind::OutOfMemory,
                    "too many I/O sources registered with one reactor",
                ))
            }
        };
        let index = key & INDEX_MASK;
        let (page, _) = locate(index);
        if self.pages[page].load(Acquire).is_null() {
            let slots: Box<[Slot]> = (0..page_len(page))
                .map(|_| AtomicPtr::new(std::ptr::null_mut()))
                .collect();
            // Publishing under `alloc`, so no other thread can race to allocate this page.
            self.pages[page].store(Box::into_raw(slots).cast::<Slot>(), Release);
        }
        let source = Arc::new(Source::new(key));
        let slot = self.slot(index).expect("the page was just allocated");
        slot.store(Arc::into_raw(source.clone()).cast_mut(), Release);
        Ok(source)
    }

    /// Empties `source`'s slot if it still holds `source`, recycling the slot under a new
    /// generation, and returns the slot's reference (to be freed with `Reactor::release`).
    fn remove(&self, source: &Source) -> Option<Arc<Source>> {
        let mut alloc = lock(&self.alloc);
        let slot = self.slot(source.key() & INDEX_MASK)?;
        let current = slot.load(Acquire);
        if !std::ptr::eq(current, source) {
            return None;
        }
        slot.store(std::ptr::null_mut(), Release);
        alloc.free.push(next_generation(source.key()));
        // SAFETY: the slot held `current`, a pointer from `Arc::into_raw` whose strong reference
        // it owned (the invariant on `Slot`); it no longer holds it, so the reference is ours.
        Some(unsafe { Arc::from_raw(current) })
    }

    /// The address in `key`'s slot, or null. Lock-free; the pointer is only valid as long as the
    /// caller holds the reactor's `dispatching` lock, and the source's key must still be compared
    /// with `key`.
    fn lookup(&self, key: usize) -> *const Source {
        match self.slot(key & INDEX_MASK) {
            Some(slot) => slot.load(Acquire),
            None => std::ptr::null(),
        }
    }

    /// Refuses further registrations and returns every registered source.
    fn shut_down(&self) -> Vec<Arc<Source>> {
        let mut alloc = lock(&self.alloc);
        alloc.shut_down = true;
        let mut sources = Vec::new();
        for index in 0..alloc.next {
            let Some(slot) = self.slot(index) else {
                continue;
            };
            let source = slot.load(Acquire);
            if source.is_null() {
                continue;
            }
            // SAFETY: the slot owns a strong reference to `source` (the invariant on `Slot`) and
            // cannot drop it while we hold `alloc`; we add one of our own.
            sources.push(unsafe {
                Arc::increment_strong_count(source);
                Arc::from_raw(source)
            });
        }
        sources
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        for (page, first) in self.pages.iter().enumerate() {
            let first = first.load(Acquire);
            if first.is_null() {
                continue;
            }
            let len = page_len(page);
            // SAFETY: a non-null page pointer came from `Box::into_raw` of a `Box<[Slot]>` of
            // `page_len(page)` slots and is freed only here (the invariant on `pages`); `&mut
            // self` means no lookup is in progress.
            let slots = unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(first, len)) };
            for slot in slots.iter() {
                let source = slot.load(Acquire);
                if !source.is_null() {
                    // SAFETY: the slot owns this strong reference (the invariant on `Slot`).
                    drop(unsafe { Arc::from_raw(source) });
                }
            }
        }
    }
}

// The tests use Unix domain socket pairs; the IOCP backend has its own tests.
#[cfg(all(test, not(loom), unix))]
mod tests {
    use super::source::Ready;
    use super::*;
    use std::io::Write;
    use std::os::fd::AsFd;
    use std::os::unix::net::UnixStream;
    use std::sync::atomic::{AtomicUsize as StdAtomicUsize, Ordering::SeqCst};
    use std::sync::Mutex as StdMutex;
    use std::task::{Context, Poll, Wake, Waker};

    struct Counter(StdAtomicUsize);

    impl Wake for Counter {
        fn wake(self: std::sync::Arc<Self>) {
            self.0.fetch_add(1, SeqCst);
        }
    }

    /// A waker whose wake-ups nobody counts.
    fn noop_waker() -> Waker {
        Waker::from(std::sync::Arc::new(Counter(StdAtomicUsize::new(0))))
    }

    fn nonblocking_pair() -> (UnixStream, UnixStream) {
        let (a, b) = UnixStream::pair().unwrap();
        a.set_nonblocking(true).unwrap();
        b.set_nonblocking(true).unwrap();
        (a, b)
    }

    /// Makes `source` wait for reading: consumes the initial readiness, registers `waker`.
    fn wait_readable(source: &Source, waker: &Waker) {
        let mut cx = Context::from_waker(waker);
        while let Poll::Ready(Ok(event)) = source.poll_ready(Direction::Read, &mut cx) {
            source.clear_readiness(Direction::Read, event);
        }
    }

    /// Polls until `done` or a few seconds pass.
    fn poll_until(reactor: &Reactor, mut done: impl FnMut() -> bool) {
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while !done() {
            assert!(std::time::Instant::now() < deadline, "timed out");
            reactor.poll(Some(Duration::from_millis(10))).unwrap();
        }
    }

    #[test]
    fn reactor_is_send_and_sync() {
        fn assert<T: Send + Sync>() {}
        assert::<Reactor>();
    }

    #[test]
    fn slot_arithmetic() {
        assert_eq!(locate(0), (0, 0));
        assert_eq!(locate(63), (0, 63));
        assert_eq!(locate(64), (1, 0));
        assert_eq!(locate(191), (1, 127));
        assert_eq!(locate(192), (2, 0));
        let last = CAPACITY - 1;
        assert_eq!(locate(last), (PAGES - 1, page_len(PAGES - 1) - 1));
        let key = 5 | (3 << INDEX_BITS);
        assert_eq!(next_generation(key), 5 | (4 << INDEX_BITS));
        let wrapping = 5 | (usize::MAX << INDEX_BITS);
        assert_eq!(next_generation(wrapping), 5);
    }

    #[test]
    fn registry_recycles_slots_with_new_generations() {
        let registry = Registry::new();
        let sources: Vec<_> = (0..200).map(|_| registry.insert().unwrap()).collect();
        for (index, source) in sources.iter().enumerate() {
            assert_eq!(source.key(), index, "fresh slots have generation 0");
            assert!(std::ptr::eq(registry.lookup(source.key()), &**source));
        }
        let removed = registry.remove(&sources[70]).unwrap();
        assert!(registry.remove(&sources[70]).is_none(), "only once");
        assert!(registry.lookup(70).is_null());
        drop(removed);
        let again = registry.insert().unwrap();
        assert_eq!(again.key(), 70 | (1 << INDEX_BITS));
        // The stale key finds the new source, whose key tells them apart.
        let found = registry.lookup(70);
        // SAFETY: `again` keeps the source alive.
        assert_ne!(unsafe { &*found }.key(), 70);
        assert_eq!(std::sync::Arc::strong_count(&sources[0]), 2, "slot + ours");
        drop(registry);
        assert_eq!(
            std::sync::Arc::strong_count(&sources[0]),
            1,
            "freed by drop"
        );
    }

    #[test]
    fn events_reach_the_source_and_wake_its_reader() {
        let reactor = Reactor::new().unwrap();
        let (a, mut b) = nonblocking_pair();
        let source = reactor.register(a.as_fd()).unwrap();
        let counter = std::sync::Arc::new(Counter(StdAtomicUsize::new(0)));
        wait_readable(&source, &Waker::from(counter.clone()));

        b.write_all(b"ping").unwrap();
        poll_until(&reactor, || counter.0.load(SeqCst) == 1);
        assert!(source
            .readiness(Direction::Read)
            .ready()
            .contains(Ready::READABLE));

        reactor.deregister(&source, a.as_fd()).unwrap();
        assert_eq!(
            std::sync::Arc::strong_count(&source),
            1,
            "the registry let go"
        );
        // Registered again after deregistration: allowed.
        let again = reactor.register(a.as_fd()).unwrap();
        assert_ne!(again.key(), source.key());
        reactor.deregister(&again, a.as_fd()).unwrap();
    }

    #[test]
    fn double_registration_is_an_error_and_leaks_nothing() {
        let reactor = Reactor::new().unwrap();
        let (a, _b) = nonblocking_pair();
        let first = reactor.register(a.as_fd()).unwrap();
        let err = reactor.register(a.as_fd()).unwrap_err();
        assert_eq!(
            err.raw_os_error(),
            Some(rustix::io::Errno::EXIST.raw_os_error())
        );
        // The failed attempt's slot was recycled.
        assert_eq!(lock(&reactor.registry.alloc).free.len(), 1);
        assert!(
            reactor.has_sources(),
            "the failed attempt uncounted only itself"
        );
        reactor.deregister(&first, a.as_fd()).unwrap();
        assert!(!reactor.has_sources());
    }

    #[test]
    fn counts_registered_sources() {
        let reactor = Reactor::new().unwrap();
        assert!(!reactor.has_sources());
        let (a, b) = nonblocking_pair();
        let first = reactor.register(a.as_fd()).unwrap();
        let second = reactor.register(b.as_fd()).unwrap();
        reactor.deregister(&first, a.as_fd()).unwrap();
        assert!(reactor.has_sources(), "one is left");
        // Deregistering twice uncounts once.
        let _ = reactor.deregister(&first, a.as_fd());
        assert!(reactor.has_sources(), "one is left");
        reactor.deregister(&second, b.as_fd()).unwrap();
        assert!(!reactor.has_sources());
    }

    #[test]
    fn regular_files_are_always_ready() {
        let reactor = Reactor::new().unwrap();
        let file = std::fs::File::open(std::env::current_exe().unwrap()).unwrap();
        let source = reactor.register(file.as_fd()).unwrap();
        assert!(source.is_always_ready());
        let waker = noop_waker();
        let mut cx = Context::from_waker(&waker);
        for dir in [Direction::Read, Direction::Write] {
            let Poll::Ready(Ok(event)) = source.poll_ready(dir, &mut cx) else {
                panic!("always ready");
            };
            source.clear_readiness(dir, event);
            assert!(source.poll_ready(dir, &mut cx).is_ready());
        }
        reactor.deregister(&source, file.as_fd()).unwrap();
    }

    #[test]
    fn stale_registrations_are_ignored() {
        let reactor = Reactor::new().unwrap();
        let (a, mut b) = nonblocking_pair();
        let (other, _other_peer) = nonblocking_pair();
        let old = reactor.register(a.as_fd()).unwrap();
        // Deregistering with the wrong descriptor fails in the kernel but forgets the source:
        // `a`'s kernel registration lives on under the old key.
        assert!(reactor.deregister(&old, other.as_fd()).is_err());
        reactor.poll(Some(Duration::ZERO)).unwrap(); // a's initial event: stale, ignored
        let new = reactor.register(other.as_fd()).unwrap();
        assert_eq!(
            new.key() & INDEX_MASK,
            old.key() & INDEX_MASK,
            "slot reused"
        );
        let counter = std::sync::Arc::new(Counter(StdAtomicUsize::new(0)));
        wait_readable(&new, &Waker::from(counter.clone()));
        reactor.poll(Some(Duration::ZERO)).unwrap(); // other's initial writability

        b.write_all(b"for the old registration").unwrap();
        let delivered = reactor.poll(Some(Duration::from_millis(50))).unwrap();
        assert_eq!(delivered, 0, "the event carried a stale key");
        assert_eq!(counter.0.load(SeqCst), 0);
        reactor.deregister(&new, other.as_fd()).unwrap();
    }

    #[test]
    fn notify_interrupts_an_indefinite_poll() {
        let reactor = std::sync::Arc::new(Reactor::new().unwrap());
        let notifier = {
            let reactor = reactor.clone();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(20));
                reactor.notify().unwrap();
            })
        };
        assert_eq!(reactor.poll(None).unwrap(), 0);
        notifier.join().unwrap();
    }

    #[test]
    fn deregistering_from_a_waker_during_dispatch_is_deferred_then_freed() {
        struct Deregister {
            reactor: std::sync::Arc<Reactor>,
            target: StdMutex<Option<(std::sync::Arc<Source>, UnixStream)>>,
        }
        impl Wake for Deregister {
            fn wake(self: std::sync::Arc<Self>) {
                if let Some((source, fd)) = self.target.lock().unwrap().take() {
                    self.reactor.deregister(&source, fd.as_fd()).unwrap();
                }
            }
        }

        let reactor = std::sync::Arc::new(Reactor::new().unwrap());
        let (a, mut b) = nonblocking_pair();
        let source = reactor.register(a.as_fd()).unwrap();
        let waker = Waker::from(std::sync::Arc::new(Deregister {
            reactor: reactor.clone(),
            target: StdMutex::new(Some((source.clone(), a))),
        }));
        wait_readable(&source, &waker);
        drop(waker);

        b.write_all(b"x").unwrap();
        poll_until(&reactor, || std::sync::Arc::strong_count(&source) == 1);
        assert!(
            lock(&reactor.released).is_empty(),
            "freed at the end of the dispatch"
        );
    }

    #[test]
    fn shutdown_fails_waiters_and_new_registrations() {
        let reactor = Reactor::new().unwrap();
        let (a, _b) = nonblocking_pair();
        let source = reactor.register(a.as_fd()).unwrap();
        let counter = std::sync::Arc::new(Counter(StdAtomicUsize::new(0)));
        wait_readable(&source, &Waker::from(counter.clone()));
        reactor.shutdown();
        assert_eq!(counter.0.load(SeqCst), 1);
        let waker = noop_waker();
        let mut cx = Context::from_waker(&waker);
        assert!(matches!(
            source.poll_ready(Direction::Read, &mut cx),
            Poll::Ready(Err(_))
        ));
        assert!(reactor.register(a.as_fd()).is_err());
    }

    #[test]
    fn concurrent_registration_and_dispatch() {
        // One thread polls continuously while others register, write and deregister: sources
        // must neither be lost nor freed under the dispatcher.
        let reactor = std::sync::Arc::new(Reactor::new().unwrap());
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let poller = {
            let (reactor, stop) = (reactor.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(SeqCst) {
                    reactor.poll(Some(Duration::from_millis(1))).unwrap();
                }
            })
        };
        let workers: Vec<_> = (0..2)
            .map(|_| {
                let reactor = reactor.clone();
                std::thread::spawn(move || {
                    for _ in 0..500 {
                        let (a, mut b) = nonblocking_pair();
                        let source = reactor.register(a.as_fd()).unwrap();
                        b.write_all(b"x").unwrap();
                        drop(b);
                        reactor.deregister(&source, a.as_fd()).unwrap();
                    }
                })
            })
            .collect();
        for worker in workers {
            worker.join().unwrap();
        }
        stop.store(true, SeqCst);
        poller.join().unwrap();
        let alloc = lock(&reactor.registry.alloc);
        assert_eq!(alloc.free.len(), alloc.next, "every slot was recycled");
    }
}

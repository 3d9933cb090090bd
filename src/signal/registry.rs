//! The process-wide half of Unix signal delivery: one slot per signal number, the handler, the
//! self-pipe and the drive step (see the module documentation of `signal` for the whole path).
//!
//! # Why listeners never miss a delivery
//! A listener registers its waker with its signal's slot, then drives, then compares the slot's
//! count with the one it last reported, and only then waits for its pipe descriptor to become
//! readable. The handler sets the flag *before* it writes the byte, and a drive reads the bytes
//! *before* it looks at the flags, under one lock. So a delivery is either
//! * turned into a count by the listener's own drive (it sees the new count), or
//! * turned into a count by a drive that held the lock before the listener's (it sees the new
//!   count too), or
//! * turned into a count by a later drive of another listener, which wakes every registered
//!   waker of that slot, or
//! * still a byte in the pipe, whose write woke the listener's descriptor (or comes after its
//!   check and wakes it then).

use std::io;
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::task::Waker;

/// Signal numbers above this are refused. Linux's real-time signals end at 64, FreeBSD's at 126;
/// one slot each is a few kilobytes in all.
pub(super) const MAX_SIGNAL: i32 = 128;

/// Signals that cannot be caught, or that mean the program is broken (and whose handlers must
/// not return): listening for them is refused, as tokio does.
const FORBIDDEN: [i32; 5] = [
    libc_consts::SIGKILL,
    libc_consts::SIGSTOP,
    libc_consts::SIGILL,
    libc_consts::SIGFPE,
    libc_consts::SIGSEGV,
];

/// The raw numbers, through rustix (which has them for every Unix it supports).
mod libc_consts {
    use rustix::process::Signal;
    pub(super) const SIGKILL: i32 = Signal::KILL.as_raw();
    pub(super) const SIGSTOP: i32 = Signal::STOP.as_raw();
    pub(super) const SIGILL: i32 = Signal::ILL.as_raw();
    pub(super) const SIGFPE: i32 = Signal::FPE.as_raw();
    pub(super) const SIGSEGV: i32 = Signal::SEGV.as_raw();
}

/// The state of one signal number.
pub(super) struct Slot {
    /// Set by the handler, taken by a drive.
    pending: AtomicBool,
    /// Deliveries counted so far (each drive that found `pending` set adds one).
    delivered: AtomicU64,
    /// Whether the handler is installed; the lock also serialises installation.
    installed: Mutex<bool>,
    /// The wakers of this signal's listeners, by listener key.
    waiters: Mutex<Waiters>,
}

#[derive(Default)]
struct Waiters {
    slots: Vec<Option<Waker>>,
    free: Vec<usize>,
}

impl Slot {
    fn new() -> Slot {
        Slot {
            pending: AtomicBool::new(false),
            delivered: AtomicU64::new(0),
            installed: Mutex::new(false),
            waiters: Mutex::new(Waiters::default()),
        }
    }

    /// The number of deliveries counted so far.
    pub(super) fn delivered(&self) -> u64 {
        self.delivered.load(Ordering::Acquire)
    }

    /// A key for a new listener's waker.
    pub(super) fn add_listener(&self) -> usize {
        let mut waiters = self.waiters.lock().unwrap_or_else(|e| e.into_inner());
        match waiters.free.pop() {
            Some(key) => key,
            None => {
                waiters.slots.push(None);
                waiters.slots.len() - 1
            }
        }
    }

    /// Stores the waker of listener `key` (replacing the previous one).
    pub(super) fn register(&self, key: usize, waker: &Waker) {
        let mut waiters = self.waiters.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(slot) = waiters.slots.get_mut(key) {
            match slot {
                Some(current) if current.will_wake(waker) => {}
                _ => *slot = Some(waker.clone()),
            }
        }
    }

    /// Forgets listener `key`.
    pub(super) fn remove_listener(&self, key: usize) {
        let waker = {
            let mut waiters = self.waiters.lock().unwrap_or_else(|e| e.into_inner());
            let waker = waiters.slots.get_mut(key).and_then(Option::take);
            waiters.free.push(key);
            waker
        };
        drop(waker);
    }

    fn wake_all(&self) {
        let wakers: Vec<Waker> = {
            let mut waiters = self.waiters.lock().unwrap_or_else(|e| e.into_inner());
            waiters.slots.iter_mut().filter_map(Option::take).collect()
        };
        for waker in wakers {
            waker.wake();
        }
    }
}

/// Everything process-wide.
pub(super) struct Globals {
    /// The end the handler writes to.
    sender: UnixStream,
    /// The end drives read from (listeners register duplicates of it).
    receiver: UnixStream,
    /// Indexed by signal number.
    slots: Box<[Slot]>,
    /// Held for a whole drive (drain, then flags).
    drive: Mutex<()>,
}

static GLOBALS: OnceLock<Globals> = OnceLock::new();

/// The process-wide state, created on first use.
pub(super) fn globals() -> io::Result<&'static Globals> {
    if let Some(globals) = GLOBALS.get() {
        return Ok(globals);
    }
    let (receiver, sender) = UnixStream::pair()?;
    receiver.set_nonblocking(true)?;
    sender.set_nonblocking(true)?;
    let created = Globals {
        sender,
        receiver,
        slots: (0..=MAX_SIGNAL).map(|_| Slot::new()).collect(),
        drive: Mutex::new(()),
    };
    // A thread that lost the race drops its pair; everyone uses the winner's.
    Ok(GLOBALS.get_or_init(|| created))
}

impl Globals {
    /// The slot of `signum`, or an error if listening for it is not possible.
    pub(super) fn slot(&self, signum: i32) -> io::Result<&Slot> {
        if FORBIDDEN.contains(&signum) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("refusing to listen for signal {signum}: it cannot be handled safely"),
            ));
        }
        usize::try_from(signum)
            .ok()
            .filter(|&n| n > 0)
            .and_then(|n| self.slots.get(n))
            .ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("invalid signal number {signum}"),
                )
            })
    }

    /// Installs the handler of `signum` if it is not installed yet.
    pub(super) fn install(&'static self, signum: i32) -> io::Result<()> {
        let slot = self.slot(signum)?;
        let mut installed = slot.installed.lock().unwrap_or_else(|e| e.into_inner());
        if *installed {
            return Ok(());
        }
        let handler_slot: &'static Slot = slot;
        let sender = &self.sender;
        let action = move || {
            // Async-signal-safe only: an atomic store and one `write(2)`; no allocation, no lock,
            // no panic. `signal-hook-registry` saves and restores `errno` around actions.
            handler_slot.pending.store(true, Ordering::SeqCst);
            let _ = rustix::io::write(sender, &[1]);
        };
        // SAFETY: `register` requires an action that is async-signal-safe and never panics: the
        // action above only stores to an atomic and calls `write(2)` (async-signal-safe by
        // POSIX) on a descriptor that lives as long as the process (it is in a `static`),
        // ignoring its result. `signum` is not one of the numbers `register` panics on
        // (`FORBIDDEN` above is a superset of its list, checked by `slot`).
        unsafe { signal_hook_registry::register(signum, action) }?;
        *installed = true;
        Ok(())
    }

    /// A duplicate of the pipe's reading end, for a listener to register with its reactor.
    pub(super) fn receiver(&self) -> io::Result<UnixStream> {
        self.receiver.try_clone()
    }

    /// Drains the pipe, then turns every pending flag into a delivery and wakes the listeners
    /// of each delivered signal.
    pub(super) fn drive(&self) {
        let _guard = self.drive.lock().unwrap_or_else(|e| e.into_inner());
        let mut buf = [0u8; 64];
        loop {
            match rustix::io::read(&self.receiver, &mut buf) {
                Ok(n) if n == buf.len() => continue,
                Err(rustix::io::Errno::INTR) => continue,
                // A short read, end-of-file (never: the sender lives forever), would-block or an
                // error: the pipe is drained as far as it can be.
                _ => break,
            }
        }
        for slot in self.slots.iter() {
            if slot.pending.swap(false, Ordering::SeqCst) {
                slot.delivered.fetch_add(1, Ordering::AcqRel);
                slot.wake_all();
            }
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn bad_numbers_are_refused() {
        let globals = globals().unwrap();
        for signum in [
            0,
            -1,
            MAX_SIGNAL + 1,
            libc_consts::SIGKILL,
            libc_consts::SIGSEGV,
        ] {
            let err = globals.install(signum).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{signum}");
        }
    }

    #[test]
    fn drive_turns_flags_into_counts() {
        let globals = globals().unwrap();
        // SIGURG's number, without a handler: simulate what the handler does.
        let signum = rustix::process::Signal::URG.as_raw();
        let slot = globals.slot(signum).unwrap();
        let before = slot.delivered();
        slot.pending.store(true, Ordering::SeqCst);
        let _ = rustix::io::write(&globals.sender, &[1]);
        globals.drive();
        assert_eq!(slot.delivered(), before + 1);
        globals.drive();
        assert_eq!(
            slot.delivered(),
            before + 1,
            "a drive without a flag counts nothing"
        );
    }
}

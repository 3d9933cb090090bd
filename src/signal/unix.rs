//! Unix signals: [`signal`] returns a [`Signal`] stream for one [`SignalKind`].

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::os::unix::net::UnixStream;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::registry::{self, Slot};
use crate::io::Async;

/// A kind of Unix signal: a signal number, with constructors for the common ones.
///
/// ```
/// use evloop::signal::unix::SignalKind;
///
/// assert_eq!(SignalKind::from_raw(2), SignalKind::interrupt());
/// let usr1 = SignalKind::user_defined1();
/// assert_eq!(SignalKind::from(i32::from(usr1)), usr1);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SignalKind(i32);

impl SignalKind {
    /// The signal with number `signum`; whether it can be listened for is checked by
    /// [`signal`].
    pub const fn from_raw(signum: i32) -> SignalKind {
        SignalKind(signum)
    }

    /// The signal number.
    pub const fn as_raw_value(&self) -> i32 {
        self.0
    }

    /// `SIGALRM`: a real-time timer expired.
    pub const fn alarm() -> SignalKind {
        SignalKind(rustix::process::Signal::ALARM.as_raw())
    }

    /// `SIGCHLD`: a child process stopped or terminated.
    pub const fn child() -> SignalKind {
        SignalKind(rustix::process::Signal::CHILD.as_raw())
    }

    /// `SIGHUP`: the terminal was disconnected (often used to ask for a configuration reload).
    pub const fn hangup() -> SignalKind {
        SignalKind(rustix::process::Signal::HUP.as_raw())
    }

    /// `SIGINFO`: a status request from the keyboard (BSD and macOS only).
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
    pub const fn info() -> SignalKind {
        SignalKind(rustix::process::Signal::INFO.as_raw())
    }

    /// `SIGINT`: an interrupt from the keyboard (Ctrl-C).
    pub const fn interrupt() -> SignalKind {
        SignalKind(rustix::process::Signal::INT.as_raw())
    }

    /// `SIGIO`: I/O is possible on a descriptor set up for it.
    pub const fn io() -> SignalKind {
        SignalKind(rustix::process::Signal::IO.as_raw())
    }

    /// `SIGPIPE`: a write to a pipe or socket with no reader.
    pub const fn pipe() -> SignalKind {
        SignalKind(rustix::process::Signal::PIPE.as_raw())
    }

    /// `SIGQUIT`: a quit request from the keyboard (Ctrl-\\).
    pub const fn quit() -> SignalKind {
        SignalKind(rustix::process::Signal::QUIT.as_raw())
    }

    /// `SIGTERM`: a request to terminate.
    pub const fn terminate() -> SignalKind {
        SignalKind(rustix::process::Signal::TERM.as_raw())
    }

    /// `SIGUSR1`: for the program's own use.
    pub const fn user_defined1() -> SignalKind {
        SignalKind(rustix::process::Signal::USR1.as_raw())
    }

    /// `SIGUSR2`: for the program's own use.
    pub const fn user_defined2() -> SignalKind {
        SignalKind(rustix::process::Signal::USR2.as_raw())
    }

    /// `SIGWINCH`: the terminal's window size changed.
    pub const fn window_change() -> SignalKind {
        SignalKind(rustix::process::Signal::WINCH.as_raw())
    }
}

impl From<i32> for SignalKind {
    fn from(signum: i32) -> SignalKind {
        SignalKind(signum)
    }
}

impl From<SignalKind> for i32 {
    fn from(kind: SignalKind) -> i32 {
        kind.0
    }
}

/// A stream of deliveries of one signal, created by [`signal`].
///
/// Every `Signal` for the same kind sees every delivery that happens after it was created;
/// deliveries that arrive while it is not being polled coalesce into one.
///
/// Also a [`Stream`](futures_core::Stream) of `()`.
pub struct Signal {
    kind: SignalKind,
    slot: &'static Slot,
    /// This listener's key in the slot's waker list.
    key: usize,
    /// The delivery count last reported.
    seen: u64,
    /// A duplicate of the self-pipe's reading end, registered with the reactor.
    pipe: Async<UnixStream>,
}

/// Listens for `kind`, installing the process-wide handler for it on first use.
///
/// Deliveries from the moment this returns are reported by [`Signal::recv`]. Inside a runtime
/// the listener waits in that runtime's reactor; outside any, in the global runtime's.
///
/// # Errors
/// For a signal number that cannot be listened for: `SIGKILL`, `SIGSTOP` (no handler can be
/// installed), `SIGILL`, `SIGFPE`, `SIGSEGV` (a handler that returns is wrong for them), numbers
/// the system does not have; and if the system is out of descriptors.
///
/// ```
/// use evloop::signal::unix::{signal, SignalKind};
///
/// # evloop::block_on(async {
/// let mut hangups = signal(SignalKind::hangup())?;
/// rustix::process::kill_process(rustix::process::getpid(), rustix::process::Signal::HUP)?;
/// hangups.recv().await;
/// # std::io::Result::Ok(())
/// # }).unwrap();
/// ```
pub fn signal(kind: SignalKind) -> io::Result<Signal> {
    let globals = registry::globals()?;
    let signum = kind.as_raw_value();
    let slot = globals.slot(signum)?;
    globals.install(signum)?;
    let pipe = Async::new(globals.receiver()?)?;
    let key = slot.add_listener();
    Ok(Signal {
        kind,
        slot,
        key,
        seen: slot.delivered(),
        pipe,
    })
}

impl Signal {
    /// Waits for the next delivery. `None` once no more can be received: the runtime whose
    /// reactor this listener waits in has shut down.
    ///
    /// Cancel-safe: dropping the future loses no delivery.
    pub async fn recv(&mut self) -> Option<()> {
        poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// Polls for the next delivery; see [`Signal::recv`]. Stores the task's waker when it returns
    /// `Pending`.
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<()>> {
        // Register first, then drive and check (see `registry`'s "why listeners never miss a
        // delivery").
        self.slot.register(self.key, cx.waker());
        let globals = match registry::globals() {
            Ok(globals) => globals,
            // Unreachable: the globals exist since `signal` succeeded.
            Err(_) => return Poll::Ready(None),
        };
        loop {
            globals.drive();
            let delivered = self.slot.delivered();
            if delivered != self.seen {
                self.seen = delivered;
                return Poll::Ready(Some(()));
            }
            match self.pipe.poll_readable(cx) {
                // Bytes in the pipe: drive again.
                Poll::Ready(Ok(())) => continue,
                Poll::Ready(Err(_)) => return Poll::Ready(None),
                Poll::Pending => return Poll::Pending,
            }
        }
    }

    /// The kind of signal this stream reports.
    pub fn kind(&self) -> SignalKind {
        self.kind
    }
}

impl futures_core::Stream for Signal {
    type Item = ();

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<()>> {
        self.get_mut().poll_recv(cx)
    }
}

impl Drop for Signal {
    fn drop(&mut self) {
        self.slot.remove_listener(self.key);
    }
}

impl fmt::Debug for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signal")
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

//! What `std` cannot do for the socket types: create a socket without blocking semantics,
//! bind and connect it without blocking, listen with a backlog of our choosing, and the socket
//! options `std` leaves out (`SO_LINGER`, `SO_KEEPALIVE`, `SO_REUSEADDR`, the buffer sizes, …).
//! One file per platform family, with the same functions where both platforms have the option:
//! `rustix` calls on Unix, Winsock calls on Windows (through the reactor's safe wrappers, and
//! the two socket-option calls that the Windows half makes itself).

#[cfg(unix)]
mod unix;
#[cfg(unix)]
pub(super) use unix::*;

#[cfg(windows)]
mod windows;
#[cfg(windows)]
pub(super) use windows::*;

/// Connections a listener lets the kernel queue before `accept` takes them. The kernel caps it
/// (at `net.core.somaxconn` on Linux, 4096 on current kernels); 1024 absorbs a burst of
/// connections on a busy server without holding much memory.
pub(super) const LISTEN_BACKLOG: i32 = 1024;

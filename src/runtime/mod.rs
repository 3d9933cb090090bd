//! The runtime: [`Builder`], [`Runtime`], [`Handle`] and [`RuntimeMetrics`].
//!
//! A runtime owns a scheduler (multi-thread or current-thread: the crate's `scheduler` module)
//! and a blocking pool. Threads find "their" runtime through a thread-local [`Handle`] (see
//! [`Handle::current`]), which is what `evloop::spawn` uses.
//!
//! # Shutdown, in order
//! 1. The scheduler stops: workers are woken, see the flag, and exit; the runtime joins them.
//! 2. Every queued task is dropped (its future's destructors run); tasks woken from now on are
//!    dropped instead of queued; then every task still alive (found in the task registry) is
//!    woken, and so dropped.
//! 3. The driver shuts down: tasks waiting on I/O or timers are woken (and dropped), and I/O
//!    objects that outlive the runtime fail instead of hanging.
//! 4. The blocking pool stops: queued closures are dropped, running ones are waited for (up to the
//!    timeout of [`Runtime::shutdown_timeout`]).

mod builder;
pub(crate) mod context;
mod handle;
mod inner;
mod live;
mod metrics;
#[allow(clippy::module_inception)]
mod runtime;
mod workers;

pub use builder::Builder;
pub use handle::{EnterGuard, Handle, TryCurrentError};
pub(crate) use inner::RuntimeInner;
#[cfg(test)]
pub(crate) use inner::Scheduler;
pub use metrics::RuntimeMetrics;
pub use runtime::{Runtime, RuntimeFlavor};
pub(crate) use workers::WorkerThreads;

//! Synchronization for asynchronous tasks: channels, locks, semaphores, notifications.
//!
//! The names, methods, meanings and error types are tokio's, so code written against
//! `tokio::sync` ports by changing the path. Nothing here needs an evloop runtime: every type
//! works on any executor (`futures_lite::future::block_on`, `async-executor`, ...), the only
//! exception being [`mpsc::Sender::send_timeout`], which uses evloop's timers.
//!
//! | type | what it is for |
//! |---|---|
//! | [`mpsc`] | many senders, one receiver; bounded (with back-pressure) or unbounded |
//! | [`oneshot`] | one value, once, from one task to another |
//! | [`broadcast`] | many senders, many receivers, every receiver sees every value |
//! | [`watch`] | one current value; receivers are told when it changes |
//! | [`Mutex`], [`RwLock`] | locks that can be held across `.await` (fair, poison-free); their guards can be narrowed to a part of the data ([`MutexGuard::map`], [`RwLockWriteGuard::map`], ...) |
//! | [`Semaphore`] | a pool of permits, with owned permits for spawned tasks |
//! | [`Notify`] | wake one task or all tasks, the building block for the rest |
//! | [`Barrier`] | let `n` tasks wait for each other |
//! | [`OnceCell`] | a value set once, by the first task to get there (possibly asynchronously) |
//! | [`SetOnce`] | a value set once, by one task, that other tasks [`wait`](SetOnce::wait) for |
//!
//! # Fairness and cancellation
//! Every waiting operation queues in FIFO order: [`Mutex::lock`], [`RwLock::read`] /
//! [`write`](RwLock::write), [`Semaphore::acquire`] and bounded [`mpsc::Sender::send`] are all
//! served in the order they started waiting, so no waiter starves.
//!
//! Every waiting future may be dropped before it completes (a lost `select!` branch, a
//! timeout, an aborted task) without losing anything: a dropped `lock`/`acquire`/`send` gives
//! up its place in the queue, and if the lock or permit had just been handed to it, passes it on
//! to the next waiter. Receives take a message only when they complete.
//!
//! # How the pieces fit
//! [`Semaphore`], [`Mutex`], [`RwLock`] and the bounded [`mpsc`] channel share one fair
//! semaphore: a permit count that can be taken with one atomic operation, plus a lock-protected
//! FIFO of waiters that is touched only when someone has to wait. The [`oneshot`] channel and
//! the [`mpsc`] receiver's waker slot are lock-free state machines, checked with loom (run with
//! `RUSTFLAGS="--cfg loom"`); [`broadcast`] and [`watch`] use short critical sections.
//!
//! ```
//! use std::sync::Arc;
//! use evloop::sync::{mpsc, oneshot, Mutex};
//!
//! # evloop::block_on(async {
//! // A task that owns some state and answers requests over a channel.
//! let (requests, mut inbox) = mpsc::channel::<(u32, oneshot::Sender<u32>)>(8);
//! let total = Arc::new(Mutex::new(0));
//! let state = total.clone();
//! evloop::spawn(async move {
//!     while let Some((n, reply)) = inbox.recv().await {
//!         let mut total = state.lock().await;
//!         *total += n;
//!         let _ = reply.send(*total);
//!     }
//! });
//! for n in 1..=3 {
//!     let (tx, rx) = oneshot::channel();
//!     requests.send((n, tx)).await.unwrap();
//!     rx.await.unwrap();
//! }
//! assert_eq!(*total.lock().await, 6);
//! # });
//! ```

pub(crate) mod atomic_waker;
mod barrier;
pub(crate) mod batch_semaphore;
mod cell;
#[cfg(all(test, loom))]
mod loom_support;
mod mutex;
mod notify;
mod once_cell;
mod once_slot;
mod rwlock;
mod semaphore;
mod set_once;
mod wait_list;

pub mod broadcast;
pub mod mpsc;
pub mod oneshot;
pub mod watch;

pub use barrier::{Barrier, BarrierWaitResult};
pub use batch_semaphore::{AcquireError, TryAcquireError};
pub use mutex::{
    MappedMutexGuard, Mutex, MutexGuard, OwnedMappedMutexGuard, OwnedMutexGuard, TryLockError,
};
pub use notify::{Notified, Notify, OwnedNotified};
pub use once_cell::{OnceCell, SetError};
pub use rwlock::{
    OwnedRwLockMappedWriteGuard, OwnedRwLockReadGuard, OwnedRwLockWriteGuard, RwLock,
    RwLockMappedWriteGuard, RwLockReadGuard, RwLockWriteGuard,
};
pub use semaphore::{OwnedSemaphorePermit, Semaphore, SemaphorePermit};
pub use set_once::{SetOnce, SetOnceError};

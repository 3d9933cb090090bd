//! Multi-producer, single-consumer channels: many [`Sender`]s, one [`Receiver`].
//!
//! - [`channel(n)`](channel) is *bounded*: it holds at most `n` messages, and
//!   [`Sender::send`] waits for room when it is full. That back-pressure keeps a fast producer
//!   from outrunning its consumer. Waiting senders get room in FIFO order, and
//!   [`Sender::reserve`] reserves room before the message exists.
//! - [`unbounded_channel()`](unbounded_channel) never makes a sender wait;
//!   [`UnboundedSender::send`] is a plain function.
//!
//! Messages arrive in the order they were sent (per sender; interleaved across senders).
//! [`Receiver::recv`] returns `None` once every sender is gone and the channel is drained, or
//! after [`Receiver::close`] once everything sent before has been received. Sending fails with
//! [`SendError`](error::SendError), which hands the message back, once the receiver is gone.
//!
//! ```
//! use evloop::sync::mpsc;
//!
//! # evloop::block_on(async {
//! let (tx, mut rx) = mpsc::channel(16);
//! for id in 0..4 {
//!     let tx = tx.clone();
//!     evloop::spawn(async move {
//!         tx.send(id).await.unwrap();
//!     });
//! }
//! drop(tx);
//! let mut ids = Vec::new();
//! while let Some(id) = rx.recv().await {
//!     ids.push(id);
//! }
//! ids.sort();
//! assert_eq!(ids, [0, 1, 2, 3]);
//! # });
//! ```
//!
//! The channels run on any executor: nothing in them needs an evloop runtime, except
//! [`Sender::send_timeout`], which uses evloop's timers.

mod bounded;
mod chan;
pub mod error;
mod unbounded;

pub use bounded::{channel, OwnedPermit, Permit, Receiver, Sender, WeakSender};
pub use unbounded::{unbounded_channel, UnboundedReceiver, UnboundedSender, WeakUnboundedSender};

//! A channel for sending exactly one value from one task to another.
//!
//! [`channel`] returns a [`Sender`] and a [`Receiver`]. [`Sender::send`] delivers the value
//! (it never waits); the `Receiver` is a future that resolves to it, or to
//! [`RecvError`] if the sender is dropped without sending.
//!
//! ```
//! use evloop::sync::oneshot;
//!
//! # evloop::block_on(async {
//! let (tx, rx) = oneshot::channel();
//! evloop::spawn(async move {
//!     tx.send("done").unwrap();
//! });
//! assert_eq!(rx.await, Ok("done"));
//! # });
//! ```
//!
//! # How it works
//! One allocation holds the value cell, a waker cell for each side and a state word; no lock.
//! The state bits say who may touch which cell:
//!
//! | bit | set by | meaning |
//! |---|---|---|
//! | `COMPLETE` | sender | the sender is done (sent or dropped); the value cell now belongs to the receiver |
//! | `VALUE_SENT` | sender | set together with `COMPLETE` when a value was stored |
//! | `CLOSED` | receiver | the receiver closed or was dropped; `send` must hand the value back |
//! | `RX_TASK_SET` | receiver | the receiver's waker cell holds a waker the sender may read |
//! | `TX_TASK_SET` | sender | the sender's waker cell holds a waker the receiver may read |
//!
//! A side writes its own waker cell only while its `*_TASK_SET` bit is clear; it clears the bit
//! (to replace a waker) with an atomic operation that also tells it whether the other side has
//! finished meanwhile, in which case it leaves the cell alone. `send` sets `COMPLETE` with a
//! compare-and-swap that fails if `CLOSED` appears, so exactly one of "the receiver gets the
//! value" and "`send` returns it" happens.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll, Waker};

use super::cell::UnsafeCell;
use crate::loom::{AtomicUsize, Ordering};
use crate::task::coop;

use self::error::{RecvError, TryRecvError};

/// Errors of [`Receiver`].
pub mod error {
    use std::fmt;

    /// The error of awaiting a [`Receiver`](super::Receiver): the sender was dropped without
    /// sending a value.
    ///
    /// ```
    /// use evloop::sync::oneshot;
    ///
    /// # evloop::block_on(async {
    /// let (tx, rx) = oneshot::channel::<u8>();
    /// drop(tx);
    /// assert_eq!(rx.await.unwrap_err().to_string(), "channel closed");
    /// # });
    /// ```
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct RecvError(pub(super) ());

    impl fmt::Display for RecvError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("channel closed")
        }
    }

    impl std::error::Error for RecvError {}

    /// The error of [`Receiver::try_recv`](super::Receiver::try_recv).
    ///
    /// ```
    /// use evloop::sync::oneshot::{self, error::TryRecvError};
    ///
    /// let (tx, mut rx) = oneshot::channel::<u8>();
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// drop(tx);
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    /// ```
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum TryRecvError {
        /// No value has been sent yet.
        Empty,
        /// The sender was dropped without sending, the receiver was closed before a value
        /// arrived, or the value has already been received.
        Closed,
    }

    impl fmt::Display for TryRecvError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match self {
                TryRecvError::Empty => f.write_str("channel empty"),
                TryRecvError::Closed => f.write_str("channel closed"),
            }
        }
    }

    impl std::error::Error for TryRecvError {}
}

const RX_TASK_SET: usize = 0b00001;
const VALUE_SENT: usize = 0b00010;
const CLOSED: usize = 0b00100;
const TX_TASK_SET: usize = 0b01000;
const COMPLETE: usize = 0b10000;

struct Inner<T> {
    state: AtomicUsize,
    /// # Invariant
    /// Written by the sender before it sets `COMPLETE`; after `COMPLETE`, accessed only by
    /// the receiver (or by `send` when it found `CLOSED` and so never set `VALUE_SENT`).
    value: UnsafeCell<Option<T>>,
    /// # Invariant
    /// Written by the receiver only while `RX_TASK_SET` is clear and `COMPLETE` was clear when
    /// it cleared the bit; read (shared) by the sender only if it saw `RX_TASK_SET` when it set
    /// `COMPLETE`.
    rx_waker: UnsafeCell<Option<Waker>>,
    /// # Invariant
    /// The mirror image of `rx_waker`: written by the sender only while `TX_TASK_SET` is clear
    /// and `CLOSED` was clear when it cleared the bit; read (shared) by the receiver only if it
    /// saw `TX_TASK_SET` when it set `CLOSED`.
    tx_waker: UnsafeCell<Option<Waker>>,
}

// SAFETY: the cells are accessed as their invariants describe, with the state word ordering
// every hand-over; moving the value between threads needs `T: Send`.
unsafe impl<T: Send> Send for Inner<T> {}
// SAFETY: as above; no `&T` is ever shared, so `T: Sync` is not needed.
unsafe impl<T: Send> Sync for Inner<T> {}

/// Creates a one-shot channel; see the [module documentation](self).
///
/// ```
/// use evloop::sync::oneshot;
///
/// let (tx, mut rx) = oneshot::channel();
/// tx.send(5).unwrap();
/// assert_eq!(rx.try_recv(), Ok(5));
/// ```
pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
    let inner = Arc::new(Inner {
        state: AtomicUsize::new(0),
        value: UnsafeCell::new(None),
        rx_waker: UnsafeCell::new(None),
        tx_waker: UnsafeCell::new(None),
    });
    (
        Sender {
            inner: Some(inner.clone()),
        },
        Receiver { inner: Some(inner) },
    )
}

/// The sending half of a [`channel`]; consumed by [`send`](Sender::send).
///
/// Dropping it without sending makes the receiver fail with
/// [`RecvError`].
///
/// ```
/// use evloop::sync::oneshot;
///
/// # evloop::block_on(async {
/// let (tx, rx) = oneshot::channel::<()>();
/// drop(tx);
/// assert!(rx.await.is_err());
/// # });
/// ```
pub struct Sender<T> {
    inner: Option<Arc<Inner<T>>>,
}

/// The receiving half of a [`channel`]: a future resolving to the value, or to
/// [`RecvError`] if the sender is dropped without sending.
///
/// Awaiting it is cancellation safe in the sense that matters: a value is only taken out when
/// the future completes, so `&mut rx` can be used in a `select!` loop. It must not be polled
/// again after it has completed.
///
/// ```
/// use evloop::sync::oneshot;
///
/// # evloop::block_on(async {
/// let (tx, rx) = oneshot::channel();
/// tx.send(vec![1, 2]).unwrap();
/// assert_eq!(rx.await.unwrap(), [1, 2]);
/// # });
/// ```
pub struct Receiver<T> {
    inner: Option<Arc<Inner<T>>>,
}

impl<T> Sender<T> {
    /// Sends `value`, completing the channel. Never waits.
    ///
    /// Fails, handing `value` back, if the receiver has been dropped or closed.
    ///
    /// ```
    /// use evloop::sync::oneshot;
    ///
    /// let (tx, rx) = oneshot::channel();
    /// drop(rx);
    /// assert_eq!(tx.send(3), Err(3));
    /// ```
    pub fn send(mut self, value: T) -> Result<(), T> {
        let inner = self.inner.take().expect("sender used after completion");
        // SAFETY: `COMPLETE` is not set yet, so the value cell is ours (invariant of `value`).
        inner.value.with_mut(|slot| unsafe { *slot = Some(value) });
        let mut state = inner.state.load(Ordering::Acquire);
        loop {
            if state & CLOSED == CLOSED {
                // SAFETY: we never set `VALUE_SENT`, so the receiver will not read the cell.
                let value = inner.value.with_mut(|slot| unsafe { (*slot).take() });
                inner.state.fetch_or(COMPLETE, Ordering::Release);
                return Err(value.expect("the value was just stored"));
            }
            match inner.state.compare_exchange_weak(
                state,
                state | COMPLETE | VALUE_SENT,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => break,
                Err(actual) => state = actual,
            }
        }
        if state & RX_TASK_SET == RX_TASK_SET {
            wake_rx(&inner);
        }
        Ok(())
    }

    /// Whether the receiver has been dropped or closed (a `send` would fail).
    ///
    /// ```
    /// use evloop::sync::oneshot;
    ///
    /// let (tx, rx) = oneshot::channel::<()>();
    /// assert!(!tx.is_closed());
    /// drop(rx);
    /// assert!(tx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        match &self.inner {
            Some(inner) => inner.state.load(Ordering::Acquire) & CLOSED == CLOSED,
            None => true,
        }
    }

    /// Waits until the receiver is dropped or closed: useful to stop computing a value nobody
    /// wants any more.
    ///
    /// ```
    /// use evloop::sync::oneshot;
    ///
    /// # evloop::block_on(async {
    /// let (mut tx, rx) = oneshot::channel::<()>();
    /// evloop::spawn(async move { drop(rx) });
    /// tx.closed().await;
    /// assert!(tx.is_closed());
    /// # });
    /// ```
    pub async fn closed(&mut self) {
        std::future::poll_fn(|cx| self.poll_closed(cx)).await
    }

    /// Polls whether the receiver has been dropped or closed, registering `cx`'s waker to be
    /// woken when it is.
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use evloop::sync::oneshot;
    ///
    /// # evloop::block_on(async {
    /// let (mut tx, mut rx) = oneshot::channel::<()>();
    /// rx.close();
    /// poll_fn(|cx| tx.poll_closed(cx)).await;
    /// # });
    /// ```
    pub fn poll_closed(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let inner = self.inner.as_ref().expect("sender used after completion");
        let mut state = inner.state.load(Ordering::Acquire);
        if state & CLOSED == CLOSED {
            return Poll::Ready(());
        }
        if state & TX_TASK_SET == TX_TASK_SET {
            // SAFETY: shared access to our own cell while `TX_TASK_SET` is set; the receiver
            // only ever reads it (invariant of `tx_waker`).
            let same = inner
                .tx_waker
                .with(|slot| unsafe { (*slot).as_ref().is_some_and(|w| w.will_wake(cx.waker())) });
            if same {
                return Poll::Pending;
            }
            state = inner.state.fetch_and(!TX_TASK_SET, Ordering::AcqRel);
            if state & CLOSED == CLOSED {
                // The receiver may be reading the cell; leave it.
                return Poll::Ready(());
            }
        }
        // SAFETY: `TX_TASK_SET` is clear and `CLOSED` was clear when we made it so: the cell is
        // ours (invariant of `tx_waker`).
        inner
            .tx_waker
            .with_mut(|slot| unsafe { *slot = Some(cx.waker().clone()) });
        state = inner.state.fetch_or(TX_TASK_SET, Ordering::AcqRel);
        if state & CLOSED == CLOSED {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

fn wake_rx<T>(inner: &Inner<T>) {
    // SAFETY: called only after seeing `RX_TASK_SET` while setting `COMPLETE`; the receiver
    // no longer writes the cell (invariant of `rx_waker`).
    inner.rx_waker.with(|slot| unsafe {
        if let Some(waker) = &*slot {
            waker.wake_by_ref();
        }
    });
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let Some(inner) = self.inner.take() else {
            return;
        };
        let state = inner.state.fetch_or(COMPLETE, Ordering::AcqRel);
        if state & RX_TASK_SET == RX_TASK_SET {
            wake_rx(&inner);
        }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender")
            .field("closed", &self.is_closed())
            .finish()
    }
}

impl<T> Receiver<T> {
    /// Takes the value out after seeing `COMPLETE` in `state`, ending the receiver.
    fn complete(&mut self, state: usize) -> Result<T, RecvError> {
        let inner = self.inner.take().expect("receiver used after completion");
        if state & VALUE_SENT == VALUE_SENT {
            // SAFETY: `COMPLETE` is set, so the value cell is ours (invariant of `value`).
            let value = inner.value.with_mut(|slot| unsafe { (*slot).take() });
            Ok(value.expect("VALUE_SENT without a value"))
        } else {
            Err(RecvError(()))
        }
    }

    /// Takes the value if it has arrived, without waiting.
    ///
    /// Fails with [`TryRecvError::Empty`] if nothing has been sent yet, with
    /// [`TryRecvError::Closed`] if the sender was dropped without sending, the receiver was
    /// closed before a value arrived, or the value was already received.
    ///
    /// ```
    /// use evloop::sync::oneshot::{self, error::TryRecvError};
    ///
    /// let (tx, mut rx) = oneshot::channel();
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// tx.send(1).unwrap();
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    /// ```
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let Some(inner) = &self.inner else {
            return Err(TryRecvError::Closed);
        };
        let state = inner.state.load(Ordering::Acquire);
        if state & COMPLETE == COMPLETE {
            self.complete(state).map_err(|_| TryRecvError::Closed)
        } else if state & CLOSED == CLOSED {
            Err(TryRecvError::Closed)
        } else {
            Err(TryRecvError::Empty)
        }
    }

    /// Closes the channel without dropping the receiver: a later `send` fails. A value sent
    /// before can still be received.
    ///
    /// ```
    /// use evloop::sync::oneshot;
    ///
    /// # evloop::block_on(async {
    /// let (tx, mut rx) = oneshot::channel();
    /// rx.close();
    /// assert_eq!(tx.send(1), Err(1));
    /// assert!(rx.await.is_err());
    /// # });
    /// ```
    pub fn close(&mut self) {
        if let Some(inner) = &self.inner {
            close_rx(inner);
        }
    }

    /// Waits for the value from synchronous code, blocking the thread; meant for threads
    /// outside the runtime.
    ///
    /// ```
    /// use evloop::sync::oneshot;
    ///
    /// let (tx, rx) = oneshot::channel();
    /// std::thread::spawn(move || tx.send(9).unwrap());
    /// assert_eq!(rx.blocking_recv(), Ok(9));
    /// ```
    pub fn blocking_recv(self) -> Result<T, RecvError> {
        futures_lite::future::block_on(self)
    }
}

/// Sets `CLOSED` and wakes the sender's `closed()` if it waits; returns the previous state.
fn close_rx<T>(inner: &Inner<T>) -> usize {
    let state = inner.state.fetch_or(CLOSED, Ordering::AcqRel);
    if state & (CLOSED | COMPLETE | TX_TASK_SET) == TX_TASK_SET {
        // SAFETY: we saw `TX_TASK_SET` as we set `CLOSED`, so the sender no longer writes its
        // cell (invariant of `tx_waker`).
        inner.tx_waker.with(|slot| unsafe {
            if let Some(waker) = &*slot {
                waker.wake_by_ref();
            }
        });
    }
    state
}

impl<T> Future for Receiver<T> {
    type Output = Result<T, RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        ready!(coop::poll_proceed(cx));
        let inner = this
            .inner
            .as_ref()
            .expect("oneshot::Receiver polled after completion");
        let mut state = inner.state.load(Ordering::Acquire);
        if state & COMPLETE == COMPLETE {
            return Poll::Ready(this.complete(state));
        }
        if state & CLOSED == CLOSED {
            return Poll::Ready(Err(RecvError(())));
        }
        if state & RX_TASK_SET == RX_TASK_SET {
            // SAFETY: shared access to our own cell while `RX_TASK_SET` is set; the sender only
            // ever reads it (invariant of `rx_waker`).
            let same = inner
                .rx_waker
                .with(|slot| unsafe { (*slot).as_ref().is_some_and(|w| w.will_wake(cx.waker())) });
            if same {
                return Poll::Pending;
            }
            state = inner.state.fetch_and(!RX_TASK_SET, Ordering::AcqRel);
            if state & COMPLETE == COMPLETE {
                // The sender may be reading the cell; leave it.
                return Poll::Ready(this.complete(state));
            }
        }
        // SAFETY: `RX_TASK_SET` is clear and `COMPLETE` was clear when we made it so: the cell
        // is ours (invariant of `rx_waker`).
        inner
            .rx_waker
            .with_mut(|slot| unsafe { *slot = Some(cx.waker().clone()) });
        state = inner.state.fetch_or(RX_TASK_SET, Ordering::AcqRel);
        if state & COMPLETE == COMPLETE {
            Poll::Ready(this.complete(state))
        } else {
            Poll::Pending
        }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let Some(inner) = self.inner.take() else {
            return;
        };
        let state = close_rx(&inner);
        if state & (COMPLETE | VALUE_SENT) == COMPLETE | VALUE_SENT {
            // Drop an unreceived value now rather than whenever the sender's side goes.
            // SAFETY: `COMPLETE` is set, so the value cell is ours (invariant of `value`).
            drop(inner.value.with_mut(|slot| unsafe { (*slot).take() }));
        }
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("terminated", &self.inner.is_none())
            .finish()
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::sync::loom_support::{block_on, model};
    use futures_lite::future::poll_once;
    use loom::thread;

    #[test]
    fn send_then_receive() {
        model(|| {
            let (tx, rx) = channel();
            let t = thread::spawn(move || tx.send(1).unwrap());
            assert_eq!(block_on(rx), Ok(1));
            t.join().unwrap();
        });
    }

    #[test]
    fn sender_dropped() {
        model(|| {
            let (tx, rx) = channel::<i32>();
            let t = thread::spawn(move || drop(tx));
            assert!(block_on(rx).is_err());
            t.join().unwrap();
        });
    }

    #[test]
    fn receiver_dropped_races_send() {
        model(|| {
            let (tx, rx) = channel::<std::sync::Arc<()>>();
            let value = std::sync::Arc::new(());
            let sent = value.clone();
            let t = thread::spawn(move || drop(rx));
            // Whether it was delivered or handed back, the value is never leaked or doubled.
            if let Err(back) = tx.send(sent) {
                drop(back);
            }
            t.join().unwrap();
            assert_eq!(std::sync::Arc::strong_count(&value), 1);
        });
    }

    #[test]
    fn close_races_send() {
        model(|| {
            let (tx, mut rx) = channel::<i32>();
            let t = thread::spawn(move || tx.send(7).is_ok());
            rx.close();
            let received = rx.try_recv();
            let delivered = t.join().unwrap();
            match received {
                Ok(v) => assert_eq!(v, 7),
                Err(_) => {
                    let later = rx.try_recv();
                    assert_eq!(delivered, later.is_ok());
                }
            }
        });
    }

    #[test]
    fn sender_waits_for_close() {
        model(|| {
            let (mut tx, rx) = channel::<i32>();
            let t = thread::spawn(move || drop(rx));
            block_on(tx.closed());
            t.join().unwrap();
        });
    }

    #[test]
    fn receiver_changes_waker_while_sending() {
        model(|| {
            let (tx, mut rx) = channel::<i32>();
            let t = thread::spawn(move || tx.send(3).unwrap());
            // First poll with one waker, then finish with another.
            let first = block_on(poll_once(&mut rx));
            let value = match first {
                Some(v) => v,
                None => block_on(&mut rx),
            };
            assert_eq!(value, Ok(3));
            t.join().unwrap();
        });
    }
}

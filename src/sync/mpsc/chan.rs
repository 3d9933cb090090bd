//! The state both flavors of channel share.
//!
//! A channel is an unbounded lock-free queue of messages, an [`AtomicWaker`] for the single
//! receiver, a count of senders, and a *semaphore* that decides whether a sender may push:
//! - bounded channels use the fair [batch semaphore](crate::sync::batch_semaphore) with
//!   `bound` permits: a sender takes a permit before pushing, the receiver gives it back after
//!   popping, so the queue never holds more than `bound` messages and blocked senders are served
//!   in FIFO order;
//! - unbounded channels use a counter of messages in flight and a closed bit.
//!
//! # Closing
//! - The last sender to go closes the queue; the receiver then drains it and sees `None`.
//! - The receiver closing (or being dropped) closes the semaphore, so new sends fail at once.
//!   Sends that had already passed the semaphore (including reserved permits not yet used)
//!   still land, and the receiver keeps receiving until the semaphore is *idle*: every permit
//!   back, or the in-flight count zero. Only then does it report the end of the stream.

use std::fmt;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use concurrent_queue::{ConcurrentQueue, PopError};

use super::error::TryRecvError;
use crate::loom::{AtomicBool, AtomicUsize, Ordering};
use crate::sync::atomic_waker::AtomicWaker;
use crate::sync::batch_semaphore;
use crate::sync::Notify;
use crate::task::coop;

/// What a channel's semaphore must offer the shared code.
pub(super) trait Semaphore {
    /// No message is in flight: none queued and no permit outstanding.
    fn is_idle(&self) -> bool;
    /// A message was taken out of the queue.
    fn add_permit(&self);
    /// The receiver is gone: refuse new messages.
    fn close(&self);
}

/// The bounded channel's semaphore.
pub(super) struct Bounded {
    pub(super) semaphore: batch_semaphore::Semaphore,
    pub(super) bound: usize,
}

impl Semaphore for Bounded {
    fn is_idle(&self) -> bool {
        self.semaphore.available_permits() == self.bound
    }
    fn add_permit(&self) {
        self.semaphore.release(1);
    }
    fn close(&self) {
        self.semaphore.close();
    }
}

/// The unbounded channel's semaphore: messages in flight, shifted left by one, and bit 0 meaning
/// closed.
pub(super) struct Unbounded(AtomicUsize);

impl Unbounded {
    pub(super) fn new() -> Unbounded {
        Unbounded(AtomicUsize::new(0))
    }

    /// Counts one more message in flight, unless closed.
    pub(super) fn try_add(&self) -> bool {
        let mut current = self.0.load(Ordering::Acquire);
        loop {
            if current & 1 == 1 {
                return false;
            }
            assert!(
                current < usize::MAX - 2,
                "too many messages in an unbounded channel"
            );
            match self.0.compare_exchange_weak(
                current,
                current + 2,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return true,
                Err(actual) => current = actual,
            }
        }
    }
}

impl Semaphore for Unbounded {
    fn is_idle(&self) -> bool {
        self.0.load(Ordering::Acquire) >> 1 == 0
    }
    fn add_permit(&self) {
        self.0.fetch_sub(2, Ordering::Release);
    }
    fn close(&self) {
        self.0.fetch_or(1, Ordering::Release);
    }
}

pub(super) struct Chan<T, S> {
    queue: ConcurrentQueue<T>,
    rx_waker: AtomicWaker,
    /// Live senders (not weak ones). The last one to go closes `queue`.
    tx_count: AtomicUsize,
    /// Set once the receiver closes or is dropped.
    rx_closed: AtomicBool,
    /// Woken when `rx_closed` is set, for `Sender::closed`.
    closed_notify: Notify,
    pub(super) semaphore: S,
}

impl<T, S: Semaphore> Chan<T, S> {
    pub(super) fn new(semaphore: S) -> Arc<Chan<T, S>> {
        Arc::new(Chan {
            queue: ConcurrentQueue::unbounded(),
            rx_waker: AtomicWaker::new(),
            tx_count: AtomicUsize::new(1),
            rx_closed: AtomicBool::new(false),
            closed_notify: Notify::new(),
            semaphore,
        })
    }

    /// Pushes a message whose place the semaphore has already granted, and wakes the receiver.
    pub(super) fn push(&self, value: T) {
        if self.queue.push(value).is_err() {
            // Impossible: the queue closes only when the last sender goes, and whoever pushes
            // holds a sender.
            unreachable!("message pushed after every sender was dropped");
        }
        self.rx_waker.wake();
    }

    /// A granted place was given up without sending: give it back, and let a closed receiver
    /// find out that the channel may now be idle. (The receiver is woken whether or not it has
    /// closed: checking first would race with it closing.)
    pub(super) fn release_unused(&self) {
        self.semaphore.add_permit();
        self.rx_waker.wake();
    }

    pub(super) fn is_rx_closed(&self) -> bool {
        self.rx_closed.load(Ordering::SeqCst)
    }

    /// Waits until the receiver is closed or dropped.
    pub(super) async fn closed(&self) {
        loop {
            let notified = self.closed_notify.notified();
            if self.is_rx_closed() {
                return;
            }
            notified.await;
        }
    }

    pub(super) fn add_sender(&self) {
        self.tx_count.fetch_add(1, Ordering::Relaxed);
    }

    /// Adds a sender if at least one is alive (upgrading a weak sender).
    pub(super) fn try_add_sender(&self) -> bool {
        let mut count = self.tx_count.load(Ordering::Relaxed);
        loop {
            if count == 0 {
                return false;
            }
            match self.tx_count.compare_exchange_weak(
                count,
                count + 1,
                Ordering::AcqRel,
                Ordering::Relaxed,
            ) {
                Ok(_) => return true,
                Err(actual) => count = actual,
            }
        }
    }

    pub(super) fn drop_sender(&self) {
        if self.tx_count.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.queue.close();
            self.rx_waker.wake();
        }
    }

    pub(super) fn sender_count(&self) -> usize {
        self.tx_count.load(Ordering::Acquire)
    }

    pub(super) fn len(&self) -> usize {
        self.queue.len()
    }

    // -- receiver side --

    fn pop(&self) -> Result<T, PopError> {
        let value = self.queue.pop()?;
        self.semaphore.add_permit();
        Ok(value)
    }

    /// No message can arrive any more and none is queued.
    fn is_finished(&self) -> bool {
        self.is_rx_closed() && self.semaphore.is_idle() && self.queue.is_empty()
    }

    pub(super) fn poll_recv(&self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        ready!(coop::poll_proceed(cx));
        for attempt in 0..2 {
            match self.pop() {
                Ok(value) => return Poll::Ready(Some(value)),
                Err(PopError::Closed) => return Poll::Ready(None),
                Err(PopError::Empty) => {}
            }
            if self.is_finished() {
                return Poll::Ready(None);
            }
            if attempt == 0 {
                // Register, then look again: a message pushed before the registration is seen
                // by the second look, one pushed after it wakes us.
                self.rx_waker.register(cx.waker());
            }
        }
        Poll::Pending
    }

    pub(super) fn try_recv(&self) -> Result<T, TryRecvError> {
        match self.pop() {
            Ok(value) => Ok(value),
            Err(PopError::Closed) => Err(TryRecvError::Disconnected),
            Err(PopError::Empty) if self.is_finished() => Err(TryRecvError::Disconnected),
            Err(PopError::Empty) => Err(TryRecvError::Empty),
        }
    }

    /// Takes up to `limit` more messages that are already queued, without waiting.
    pub(super) fn drain_into(&self, buffer: &mut Vec<T>, limit: usize) -> usize {
        let mut taken = 0;
        while taken < limit {
            match self.pop() {
                Ok(value) => {
                    buffer.push(value);
                    taken += 1;
                }
                Err(_) => break,
            }
        }
        taken
    }

    pub(super) fn close_rx(&self) {
        if !self.rx_closed.swap(true, Ordering::SeqCst) {
            self.semaphore.close();
            self.closed_notify.notify_waiters();
        }
    }

    /// The receiver's destructor: close, then drop every queued message now.
    pub(super) fn drop_rx(&self) {
        self.close_rx();
        while self.pop().is_ok() {}
    }

    /// Whether no message can arrive any more (the receiver's `is_closed`).
    pub(super) fn rx_is_closed(&self) -> bool {
        self.is_rx_closed() || self.queue.is_closed()
    }
}

impl<T, S> fmt::Debug for Chan<T, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Chan")
            .field("queued", &self.queue.len())
            .field("senders", &self.tx_count.load(Ordering::Relaxed))
            .field("rx_closed", &self.rx_closed.load(Ordering::Relaxed))
            .finish()
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::sync::loom_support::{block_on, model};
    use loom::thread;
    use std::future::poll_fn;

    #[test]
    fn unbounded_message_then_close_is_seen() {
        model(|| {
            let chan = Chan::<u8, Unbounded>::new(Unbounded::new());
            let tx = chan.clone();
            let t = thread::spawn(move || {
                assert!(tx.semaphore.try_add());
                tx.push(1);
                tx.drop_sender();
            });
            let first = block_on(poll_fn(|cx| chan.poll_recv(cx)));
            assert_eq!(first, Some(1));
            let second = block_on(poll_fn(|cx| chan.poll_recv(cx)));
            assert_eq!(second, None);
            t.join().unwrap();
        });
    }

    #[test]
    fn bounded_sender_waits_for_room() {
        model(|| {
            let chan = Chan::<u8, Bounded>::new(Bounded {
                semaphore: batch_semaphore::Semaphore::new(1),
                bound: 1,
            });
            let tx = chan.clone();
            let t = thread::spawn(move || {
                for i in 0..2 {
                    block_on(tx.semaphore.semaphore.acquire(1)).unwrap();
                    tx.push(i);
                }
                tx.drop_sender();
            });
            for i in 0..2 {
                assert_eq!(block_on(poll_fn(|cx| chan.poll_recv(cx))), Some(i));
            }
            assert_eq!(block_on(poll_fn(|cx| chan.poll_recv(cx))), None);
            t.join().unwrap();
        });
    }

    #[test]
    fn receiver_close_with_unused_permit() {
        model(|| {
            let chan = Chan::<u8, Bounded>::new(Bounded {
                semaphore: batch_semaphore::Semaphore::new(1),
                bound: 1,
            });
            chan.semaphore.semaphore.try_acquire(1).unwrap();
            let tx = chan.clone();
            let t = thread::spawn(move || tx.release_unused());
            chan.close_rx();
            assert_eq!(block_on(poll_fn(|cx| chan.poll_recv(cx))), None);
            t.join().unwrap();
        });
    }
}

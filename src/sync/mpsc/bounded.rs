//! The bounded channel: [`channel`], [`Sender`], [`Receiver`], [`Permit`].

use std::fmt;
use std::future::poll_fn;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use super::chan::{Bounded, Chan};
use super::error::{SendError, SendTimeoutError, TryRecvError, TrySendError};
use crate::sync::batch_semaphore::{self, TryAcquireError};

type Shared<T> = Arc<Chan<T, Bounded>>;

/// Creates a bounded channel that holds at most `buffer` messages.
///
/// When it is full, [`Sender::send`] waits for room (senders are served in FIFO order) and
/// [`Sender::try_send`] fails with [`TrySendError::Full`].
///
/// # Panics
/// If `buffer` is zero or larger than [`Semaphore::MAX_PERMITS`](crate::sync::Semaphore::MAX_PERMITS).
///
/// ```
/// use evloop::sync::mpsc;
///
/// # evloop::block_on(async {
/// let (tx, mut rx) = mpsc::channel(8);
/// evloop::spawn(async move {
///     for i in 0..3 {
///         tx.send(i).await.unwrap();
///     }
/// });
/// let mut got = Vec::new();
/// while let Some(i) = rx.recv().await {
///     got.push(i);
/// }
/// assert_eq!(got, [0, 1, 2]);
/// # });
/// ```
#[track_caller]
pub fn channel<T>(buffer: usize) -> (Sender<T>, Receiver<T>) {
    assert!(buffer > 0, "mpsc bounded channel requires buffer > 0");
    let chan = Chan::new(Bounded {
        semaphore: batch_semaphore::Semaphore::new(buffer),
        bound: buffer,
    });
    (Sender { chan: chan.clone() }, Receiver { chan })
}

/// The sending half of a bounded [`channel`]; clone it for more senders.
///
/// The channel closes for the receiver once every `Sender` (and every [`OwnedPermit`]) is gone.
///
/// ```
/// use evloop::sync::mpsc;
///
/// # evloop::block_on(async {
/// let (tx, mut rx) = mpsc::channel(4);
/// let tx2 = tx.clone();
/// tx.send(1).await.unwrap();
/// tx2.send(2).await.unwrap();
/// drop((tx, tx2));
/// assert_eq!(rx.recv().await, Some(1));
/// assert_eq!(rx.recv().await, Some(2));
/// assert_eq!(rx.recv().await, None);
/// # });
/// ```
pub struct Sender<T> {
    chan: Shared<T>,
}

/// A sender that does not keep the channel open; [`upgrade`](WeakSender::upgrade) it to send.
///
/// ```
/// use evloop::sync::mpsc;
///
/// let (tx, _rx) = mpsc::channel::<u8>(1);
/// let weak = tx.downgrade();
/// assert!(weak.upgrade().is_some());
/// drop(tx);
/// assert!(weak.upgrade().is_none());
/// ```
pub struct WeakSender<T> {
    chan: Shared<T>,
}

/// The receiving half of a bounded [`channel`].
///
/// ```
/// use evloop::sync::mpsc;
///
/// # evloop::block_on(async {
/// let (tx, mut rx) = mpsc::channel(1);
/// tx.send("hi").await.unwrap();
/// assert_eq!(rx.recv().await, Some("hi"));
/// # });
/// ```
pub struct Receiver<T> {
    chan: Shared<T>,
}

/// A reserved place in the channel, from [`Sender::reserve`]: [`send`](Permit::send) cannot
/// fail or wait. Dropping it unused gives the place back.
///
/// ```
/// use evloop::sync::mpsc;
///
/// # evloop::block_on(async {
/// let (tx, mut rx) = mpsc::channel(1);
/// let permit = tx.reserve().await.unwrap();
/// assert_eq!(tx.capacity(), 0);
/// permit.send(5);
/// assert_eq!(rx.recv().await, Some(5));
/// # });
/// ```
pub struct Permit<'a, T> {
    chan: &'a Shared<T>,
}

/// A reserved place that owns its sender, from [`Sender::reserve_owned`]; sending returns the
/// sender.
///
/// ```
/// use evloop::sync::mpsc;
///
/// # evloop::block_on(async {
/// let (tx, mut rx) = mpsc::channel(1);
/// let permit = tx.reserve_owned().await.unwrap();
/// let tx = permit.send(1);
/// drop(tx);
/// assert_eq!(rx.recv().await, Some(1));
/// assert_eq!(rx.recv().await, None);
/// # });
/// ```
pub struct OwnedPermit<T> {
    chan: Option<Sender<T>>,
}

impl<T> Sender<T> {
    /// Sends `value`, waiting for room if the channel is full.
    ///
    /// Fails, handing the value back in [`SendError`], if the receiver is gone.
    ///
    /// Cancellation safe in tokio's sense: if the future is dropped before completing, the value
    /// was not sent (and is dropped with the future); the place in the queue of waiting senders
    /// is given up without losing capacity.
    ///
    /// ```
    /// use evloop::sync::mpsc;
    ///
    /// # evloop::block_on(async {
    /// let (tx, rx) = mpsc::channel(1);
    /// tx.send(1).await.unwrap();
    /// drop(rx);
    /// assert_eq!(tx.send(2).await.unwrap_err().0, 2);
    /// # });
    /// ```
    pub async fn send(&self, value: T) -> Result<(), SendError<T>> {
        match self.reserve().await {
            Ok(permit) => {
                permit.send(value);
                Ok(())
            }
            Err(_) => Err(SendError(value)),
        }
    }

    /// Sends `value` if there is room right now.
    ///
    /// ```
    /// use evloop::sync::mpsc::{self, error::TrySendError};
    ///
    /// let (tx, mut rx) = mpsc::channel(1);
    /// assert!(tx.try_send(1).is_ok());
    /// assert!(matches!(tx.try_send(2), Err(TrySendError::Full(2))));
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// ```
    pub fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        match self.try_reserve() {
            Ok(permit) => {
                permit.send(value);
                Ok(())
            }
            Err(TrySendError::Full(())) => Err(TrySendError::Full(value)),
            Err(TrySendError::Closed(())) => Err(TrySendError::Closed(value)),
        }
    }

    /// Sends `value`, waiting at most `timeout` for room.
    ///
    /// Uses the runtime's timers ([`time::timeout`](crate::time::timeout)).
    ///
    /// ```
    /// use std::time::Duration;
    /// use evloop::sync::mpsc;
    ///
    /// # evloop::block_on(async {
    /// let (tx, mut rx) = mpsc::channel(1);
    /// tx.send_timeout(1, Duration::from_millis(10)).await.unwrap();
    /// let err = tx.send_timeout(2, Duration::from_millis(10)).await.unwrap_err();
    /// assert!(err.is_timeout());
    /// assert_eq!(rx.recv().await, Some(1));
    /// # });
    /// ```
    pub async fn send_timeout(
        &self,
        value: T,
        timeout: Duration,
    ) -> Result<(), SendTimeoutError<T>> {
        match crate::time::timeout(timeout, self.reserve()).await {
            Ok(Ok(permit)) => {
                permit.send(value);
                Ok(())
            }
            Ok(Err(_)) => Err(SendTimeoutError::Closed(value)),
            Err(_) => Err(SendTimeoutError::Timeout(value)),
        }
    }

    /// Sends from synchronous code, blocking the thread while the channel is full; meant for
    /// threads outside the runtime.
    ///
    /// ```
    /// use evloop::sync::mpsc;
    ///
    /// let (tx, mut rx) = mpsc::channel(1);
    /// std::thread::spawn(move || tx.blocking_send(3).unwrap());
    /// assert_eq!(rx.blocking_recv(), Some(3));
    /// ```
    pub fn blocking_send(&self, value: T) -> Result<(), SendError<T>> {
        futures_lite::future::block_on(self.send(value))
    }

    /// Waits for room and reserves it: the returned [`Permit`] sends without waiting.
    ///
    /// Fails if the receiver is gone. Cancellation safe: dropping the future gives up its place
    /// in the queue of waiting senders without losing capacity.
    ///
    /// ```
    /// use evloop::sync::mpsc;
    ///
    /// # evloop::block_on(async {
    /// let (tx, mut rx) = mpsc::channel(2);
    /// let a = tx.reserve().await.unwrap();
    /// let b = tx.reserve().await.unwrap();
    /// b.send("b");
    /// a.send("a");
    /// assert_eq!(rx.recv().await, Some("b"));
    /// # });
    /// ```
    pub async fn reserve(&self) -> Result<Permit<'_, T>, SendError<()>> {
        match self.chan.semaphore.semaphore.acquire(1).await {
            Ok(()) => Ok(Permit { chan: &self.chan }),
            Err(_) => Err(SendError(())),
        }
    }

    /// Like [`reserve`](Sender::reserve), but the permit owns the sender.
    ///
    /// ```
    /// use evloop::sync::mpsc;
    ///
    /// # evloop::block_on(async {
    /// let (tx, mut rx) = mpsc::channel(1);
    /// let permit = tx.clone().reserve_owned().await.unwrap();
    /// evloop::spawn(async move { permit.send(7); }).await.unwrap();
    /// assert_eq!(rx.recv().await, Some(7));
    /// # });
    /// ```
    pub async fn reserve_owned(self) -> Result<OwnedPermit<T>, SendError<()>> {
        match self.chan.semaphore.semaphore.acquire(1).await {
            Ok(()) => Ok(OwnedPermit { chan: Some(self) }),
            Err(_) => Err(SendError(())),
        }
    }

    /// Reserves room if there is some right now.
    ///
    /// ```
    /// use evloop::sync::mpsc::{self, error::TrySendError};
    ///
    /// let (tx, _rx) = mpsc::channel::<u8>(1);
    /// let permit = tx.try_reserve().unwrap();
    /// assert!(matches!(tx.try_reserve(), Err(TrySendError::Full(()))));
    /// drop(permit);
    /// assert!(tx.try_reserve().is_ok());
    /// ```
    pub fn try_reserve(&self) -> Result<Permit<'_, T>, TrySendError<()>> {
        match self.chan.semaphore.semaphore.try_acquire(1) {
            Ok(()) => Ok(Permit { chan: &self.chan }),
            Err(TryAcquireError::NoPermits) => Err(TrySendError::Full(())),
            Err(TryAcquireError::Closed) => Err(TrySendError::Closed(())),
        }
    }

    /// Like [`try_reserve`](Sender::try_reserve), but the permit owns the sender (which comes
    /// back in the error on failure).
    ///
    /// ```
    /// use evloop::sync::mpsc;
    ///
    /// let (tx, _rx) = mpsc::channel::<u8>(1);
    /// let permit = tx.clone().try_reserve_owned().unwrap();
    /// let tx = tx.try_reserve_owned().unwrap_err().into_inner();
    /// drop((permit, tx));
    /// ```
    pub fn try_reserve_owned(self) -> Result<OwnedPermit<T>, TrySendError<Sender<T>>> {
        match self.chan.semaphore.semaphore.try_acquire(1) {
            Ok(()) => Ok(OwnedPermit { chan: Some(self) }),
            Err(TryAcquireError::NoPermits) => Err(TrySendError::Full(self)),
            Err(TryAcquireError::Closed) => Err(TrySendError::Closed(self)),
        }
    }

    /// Whether the receiver is gone (dropped or closed): sends would fail.
    ///
    /// ```
    /// use evloop::sync::mpsc;
    ///
    /// let (tx, rx) = mpsc::channel::<u8>(1);
    /// assert!(!tx.is_closed());
    /// drop(rx);
    /// assert!(tx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.chan.is_rx_closed()
    }

    /// Waits until the receiver is gone.
    ///
    /// ```
    /// use evloop::sync::mpsc;
    ///
    /// # evloop::block_on(async {
    /// let (tx, rx) = mpsc::channel::<u8>(1);
    /// evloop::spawn(async move { drop(rx) });
    /// tx.closed().await;
    /// assert!(tx.is_closed());
    /// # });
    /// ```
    pub async fn closed(&self) {
        self.chan.closed().await
    }

    /// The room left right now: the bound minus queued messages and outstanding permits.
    ///
    /// ```
    /// use evloop::sync::mpsc;
    ///
    /// let (tx, _rx) = mpsc::channel(3);
    /// tx.try_send(1).unwrap();
    /// assert_eq!(tx.capacity(), 2);
    /// ```
    pub fn capacity(&self) -> usize {
        self.chan.semaphore.semaphore.available_permits()
    }

    /// The bound given to [`channel`].
    ///
    /// ```
    /// use evloop::sync::mpsc;
    ///
    /// let (tx, _rx) = mpsc::channel::<u8>(3);
    /// assert_eq!(tx.max_capacity(), 3);
    /// ```
    pub fn max_capacity(&self) -> usize {
        self.chan.semaphore.bound
    }

    /// Whether both senders belong to the same channel.
    ///
    /// ```
    /// use evloop::sync::mpsc;
    ///
    /// let (tx, _rx) = mpsc::channel::<u8>(1);
    /// let (other, _other_rx) = mpsc::channel::<u8>(1);
    /// assert!(tx.same_channel(&tx.clone()));
    /// assert!(!tx.same_channel(&other));
    /// ```
    pub fn same_channel(&self, other: &Sender<T>) -> bool {
        Arc::ptr_eq(&self.chan, &other.chan)
    }

    /// A [`WeakSender`] for this channel.
    ///
    /// ```
    /// use evloop::sync::mpsc;
    ///
    /// let (tx, _rx) = mpsc::channel::<u8>(1);
    /// let weak = tx.downgrade();
    /// assert!(weak.upgrade().unwrap().same_channel(&tx));
    /// ```
    pub fn downgrade(&self) -> WeakSender<T> {
        WeakSender {
            chan: self.chan.clone(),
        }
    }

    /// The number of live (strong) senders.
    ///
    /// ```
    /// use evloop::sync::mpsc;
    ///
    /// let (tx, _rx) = mpsc::channel::<u8>(1);
    /// let _tx2 = tx.clone();
    /// assert_eq!(tx.strong_count(), 2);
    /// ```
    pub fn strong_count(&self) -> usize {
        self.chan.sender_count()
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Sender<T> {
        self.chan.add_sender();
        Sender {
            chan: self.chan.clone(),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        self.chan.drop_sender();
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender").field("chan", &self.chan).finish()
    }
}

impl<T> WeakSender<T> {
    /// A [`Sender`], if at least one sender is still alive.
    ///
    /// ```
    /// use evloop::sync::mpsc;
    ///
    /// let (tx, _rx) = mpsc::channel::<u8>(1);
    /// let weak = tx.downgrade();
    /// drop(tx);
    /// assert!(weak.upgrade().is_none());
    /// ```
    pub fn upgrade(&self) -> Option<Sender<T>> {
        self.chan.try_add_sender().then(|| Sender {
            chan: self.chan.clone(),
        })
    }
}

impl<T> Clone for WeakSender<T> {
    fn clone(&self) -> WeakSender<T> {
        WeakSender {
            chan: self.chan.clone(),
        }
    }
}

impl<T> fmt::Debug for WeakSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WeakSender").finish_non_exhaustive()
    }
}

impl<T> Permit<'_, T> {
    /// Sends `value` into the reserved place; never waits or fails.
    ///
    /// ```
    /// use evloop::sync::mpsc;
    ///
    /// let (tx, mut rx) = mpsc::channel(1);
    /// tx.try_reserve().unwrap().send(1);
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// ```
    pub fn send(self, value: T) {
        let chan = self.chan;
        // The place now belongs to the message; the receiver gives it back when it takes it.
        std::mem::forget(self);
        chan.push(value);
    }
}

impl<T> Drop for Permit<'_, T> {
    fn drop(&mut self) {
        self.chan.release_unused();
    }
}

impl<T> fmt::Debug for Permit<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Permit").finish_non_exhaustive()
    }
}

impl<T> OwnedPermit<T> {
    /// Sends `value` into the reserved place and returns the sender.
    ///
    /// ```
    /// use evloop::sync::mpsc;
    ///
    /// let (tx, mut rx) = mpsc::channel(1);
    /// let tx = tx.try_reserve_owned().unwrap().send(1);
    /// assert_eq!(tx.capacity(), 0);
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// ```
    pub fn send(mut self, value: T) -> Sender<T> {
        let sender = self.chan.take().expect("permit used twice");
        sender.chan.push(value);
        sender
    }

    /// Gives the reserved place back without sending, returning the sender.
    ///
    /// ```
    /// use evloop::sync::mpsc;
    ///
    /// let (tx, _rx) = mpsc::channel::<u8>(1);
    /// let tx = tx.try_reserve_owned().unwrap().release();
    /// assert_eq!(tx.capacity(), 1);
    /// ```
    pub fn release(mut self) -> Sender<T> {
        let sender = self.chan.take().expect("permit used twice");
        sender.chan.release_unused();
        sender
    }
}

impl<T> Drop for OwnedPermit<T> {
    fn drop(&mut self) {
        if let Some(sender) = self.chan.take() {
            sender.chan.release_unused();
        }
    }
}

impl<T> fmt::Debug for OwnedPermit<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedPermit").finish_non_exhaustive()
    }
}

impl<T> Receiver<T> {
    /// Receives the next message, waiting if there is none yet.
    ///
    /// Returns `None` once the channel is closed and drained: every sender is gone, or
    /// [`close`](Receiver::close) was called and every message sent before has been received.
    ///
    /// Cancellation safe: a message is taken out only when the future completes, so nothing is
    /// lost if it is dropped (for instance by losing a `select!`).
    ///
    /// ```
    /// use evloop::sync::mpsc;
    ///
    /// # evloop::block_on(async {
    /// let (tx, mut rx) = mpsc::channel(2);
    /// tx.send(1).await.unwrap();
    /// drop(tx);
    /// assert_eq!(rx.recv().await, Some(1));
    /// assert_eq!(rx.recv().await, None);
    /// # });
    /// ```
    pub async fn recv(&mut self) -> Option<T> {
        poll_fn(|cx| self.chan.poll_recv(cx)).await
    }

    /// Waits for at least one message, then moves up to `limit` queued messages into `buffer`;
    /// returns how many. Returns 0 when `limit` is 0 or the channel is closed and drained.
    ///
    /// ```
    /// use evloop::sync::mpsc;
    ///
    /// # evloop::block_on(async {
    /// let (tx, mut rx) = mpsc::channel(4);
    /// for i in 0..3 {
    ///     tx.send(i).await.unwrap();
    /// }
    /// let mut buffer = Vec::new();
    /// assert_eq!(rx.recv_many(&mut buffer, 2).await, 2);
    /// assert_eq!(buffer, [0, 1]);
    /// # });
    /// ```
    pub async fn recv_many(&mut self, buffer: &mut Vec<T>, limit: usize) -> usize {
        if limit == 0 {
            return 0;
        }
        match self.recv().await {
            Some(first) => {
                buffer.push(first);
                1 + self.chan.drain_into(buffer, limit - 1)
            }
            None => 0,
        }
    }

    /// Takes a message if one is waiting.
    ///
    /// ```
    /// use evloop::sync::mpsc::{self, error::TryRecvError};
    ///
    /// let (tx, mut rx) = mpsc::channel(1);
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// tx.try_send(1).unwrap();
    /// drop(tx);
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
    /// ```
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        self.chan.try_recv()
    }

    /// Receives from synchronous code, blocking the thread; meant for threads outside the
    /// runtime.
    ///
    /// ```
    /// use evloop::sync::mpsc;
    ///
    /// let (tx, mut rx) = mpsc::channel(1);
    /// std::thread::spawn(move || tx.blocking_send(1).unwrap());
    /// assert_eq!(rx.blocking_recv(), Some(1));
    /// ```
    pub fn blocking_recv(&mut self) -> Option<T> {
        futures_lite::future::block_on(self.recv())
    }

    /// Closes the channel for senders, keeping the messages already in it: sends fail from now
    /// on, waiting senders are woken with an error, and [`recv`](Receiver::recv) drains what was
    /// sent before (including through permits already reserved), then returns `None`.
    ///
    /// ```
    /// use evloop::sync::mpsc;
    ///
    /// # evloop::block_on(async {
    /// let (tx, mut rx) = mpsc::channel(2);
    /// tx.send(1).await.unwrap();
    /// rx.close();
    /// assert!(tx.send(2).await.is_err());
    /// assert_eq!(rx.recv().await, Some(1));
    /// assert_eq!(rx.recv().await, None);
    /// # });
    /// ```
    pub fn close(&mut self) {
        self.chan.close_rx();
    }

    /// Polls for the next message; the poll form of [`recv`](Receiver::recv).
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use evloop::sync::mpsc;
    ///
    /// # evloop::block_on(async {
    /// let (tx, mut rx) = mpsc::channel(1);
    /// tx.send(4).await.unwrap();
    /// assert_eq!(poll_fn(|cx| rx.poll_recv(cx)).await, Some(4));
    /// # });
    /// ```
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.chan.poll_recv(cx)
    }

    /// Whether no message can arrive any more: every sender is gone or the receiver was
    /// closed. Messages may still be queued.
    ///
    /// ```
    /// use evloop::sync::mpsc;
    ///
    /// let (tx, rx) = mpsc::channel::<u8>(1);
    /// assert!(!rx.is_closed());
    /// drop(tx);
    /// assert!(rx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.chan.rx_is_closed()
    }

    /// The number of queued messages.
    ///
    /// ```
    /// use evloop::sync::mpsc;
    ///
    /// let (tx, rx) = mpsc::channel(4);
    /// tx.try_send(1).unwrap();
    /// tx.try_send(2).unwrap();
    /// assert_eq!(rx.len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        self.chan.len()
    }

    /// Whether no message is queued.
    ///
    /// ```
    /// use evloop::sync::mpsc;
    ///
    /// let (_tx, rx) = mpsc::channel::<u8>(1);
    /// assert!(rx.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The room left right now; see [`Sender::capacity`].
    ///
    /// ```
    /// use evloop::sync::mpsc;
    ///
    /// let (tx, rx) = mpsc::channel(2);
    /// tx.try_send(1).unwrap();
    /// assert_eq!(rx.capacity(), 1);
    /// ```
    pub fn capacity(&self) -> usize {
        self.chan.semaphore.semaphore.available_permits()
    }

    /// The bound given to [`channel`].
    ///
    /// ```
    /// use evloop::sync::mpsc;
    ///
    /// let (_tx, rx) = mpsc::channel::<u8>(5);
    /// assert_eq!(rx.max_capacity(), 5);
    /// ```
    pub fn max_capacity(&self) -> usize {
        self.chan.semaphore.bound
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        self.chan.drop_rx();
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("chan", &self.chan)
            .finish()
    }
}

/// The receiver is also a [`Stream`](futures_core::Stream) of the messages.
impl<T> futures_core::Stream for Receiver<T> {
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.get_mut().poll_recv(cx)
    }
}

//! The unbounded channel: [`unbounded_channel`], [`UnboundedSender`], [`UnboundedReceiver`].

use std::fmt;
use std::future::poll_fn;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use super::chan::{Chan, Unbounded};
use super::error::{SendError, TryRecvError};

type Shared<T> = Arc<Chan<T, Unbounded>>;

/// Creates a channel with no bound: [`UnboundedSender::send`] never waits.
///
/// Memory grows with the number of queued messages; prefer a bounded
/// [`channel`](super::channel) where a fast producer could outrun the consumer.
///
/// ```
/// use evloop::sync::mpsc;
///
/// # evloop::block_on(async {
/// let (tx, mut rx) = mpsc::unbounded_channel();
/// for i in 0..100 {
///     tx.send(i).unwrap();
/// }
/// drop(tx);
/// let mut sum = 0;
/// while let Some(i) = rx.recv().await {
///     sum += i;
/// }
/// assert_eq!(sum, 4950);
/// # });
/// ```
pub fn unbounded_channel<T>() -> (UnboundedSender<T>, UnboundedReceiver<T>) {
    let chan = Chan::new(Unbounded::new());
    (
        UnboundedSender { chan: chan.clone() },
        UnboundedReceiver { chan },
    )
}

/// The sending half of an [`unbounded_channel`]; clone it for more senders.
///
/// ```
/// use evloop::sync::mpsc;
///
/// let (tx, mut rx) = mpsc::unbounded_channel();
/// tx.clone().send(1).unwrap();
/// assert_eq!(rx.try_recv(), Ok(1));
/// ```
pub struct UnboundedSender<T> {
    chan: Shared<T>,
}

/// An unbounded sender that does not keep the channel open; see
/// [`WeakSender`](super::WeakSender).
///
/// ```
/// use evloop::sync::mpsc;
///
/// let (tx, _rx) = mpsc::unbounded_channel::<u8>();
/// let weak = tx.downgrade();
/// drop(tx);
/// assert!(weak.upgrade().is_none());
/// ```
pub struct WeakUnboundedSender<T> {
    chan: Shared<T>,
}

/// The receiving half of an [`unbounded_channel`].
///
/// ```
/// use evloop::sync::mpsc;
///
/// # evloop::block_on(async {
/// let (tx, mut rx) = mpsc::unbounded_channel();
/// tx.send("x").unwrap();
/// assert_eq!(rx.recv().await, Some("x"));
/// # });
/// ```
pub struct UnboundedReceiver<T> {
    chan: Shared<T>,
}

impl<T> UnboundedSender<T> {
    /// Sends `value` without waiting. Fails, handing it back, if the receiver is gone.
    ///
    /// ```
    /// use evloop::sync::mpsc;
    ///
    /// let (tx, rx) = mpsc::unbounded_channel();
    /// tx.send(1).unwrap();
    /// drop(rx);
    /// assert_eq!(tx.send(2).unwrap_err().0, 2);
    /// ```
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        if !self.chan.semaphore.try_add() {
            return Err(SendError(value));
        }
        self.chan.push(value);
        Ok(())
    }

    /// Whether the receiver is gone: sends would fail.
    ///
    /// ```
    /// use evloop::sync::mpsc;
    ///
    /// let (tx, mut rx) = mpsc::unbounded_channel::<u8>();
    /// rx.close();
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
    /// let (tx, rx) = mpsc::unbounded_channel::<u8>();
    /// evloop::spawn(async move { drop(rx) });
    /// tx.closed().await;
    /// # });
    /// ```
    pub async fn closed(&self) {
        self.chan.closed().await
    }

    /// Whether both senders belong to the same channel.
    ///
    /// ```
    /// use evloop::sync::mpsc;
    ///
    /// let (tx, _rx) = mpsc::unbounded_channel::<u8>();
    /// assert!(tx.same_channel(&tx.clone()));
    /// ```
    pub fn same_channel(&self, other: &UnboundedSender<T>) -> bool {
        Arc::ptr_eq(&self.chan, &other.chan)
    }

    /// A [`WeakUnboundedSender`] for this channel.
    ///
    /// ```
    /// use evloop::sync::mpsc;
    ///
    /// let (tx, _rx) = mpsc::unbounded_channel::<u8>();
    /// assert!(tx.downgrade().upgrade().is_some());
    /// ```
    pub fn downgrade(&self) -> WeakUnboundedSender<T> {
        WeakUnboundedSender {
            chan: self.chan.clone(),
        }
    }

    /// The number of live (strong) senders.
    ///
    /// ```
    /// use evloop::sync::mpsc;
    ///
    /// let (tx, _rx) = mpsc::unbounded_channel::<u8>();
    /// assert_eq!(tx.strong_count(), 1);
    /// ```
    pub fn strong_count(&self) -> usize {
        self.chan.sender_count()
    }
}

impl<T> Clone for UnboundedSender<T> {
    fn clone(&self) -> UnboundedSender<T> {
        self.chan.add_sender();
        UnboundedSender {
            chan: self.chan.clone(),
        }
    }
}

impl<T> Drop for UnboundedSender<T> {
    fn drop(&mut self) {
        self.chan.drop_sender();
    }
}

impl<T> fmt::Debug for UnboundedSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnboundedSender")
            .field("chan", &self.chan)
            .finish()
    }
}

impl<T> WeakUnboundedSender<T> {
    /// An [`UnboundedSender`], if at least one sender is still alive.
    ///
    /// ```
    /// use evloop::sync::mpsc;
    ///
    /// let (tx, _rx) = mpsc::unbounded_channel::<u8>();
    /// let weak = tx.downgrade();
    /// assert!(weak.upgrade().is_some());
    /// ```
    pub fn upgrade(&self) -> Option<UnboundedSender<T>> {
        self.chan.try_add_sender().then(|| UnboundedSender {
            chan: self.chan.clone(),
        })
    }
}

impl<T> Clone for WeakUnboundedSender<T> {
    fn clone(&self) -> WeakUnboundedSender<T> {
        WeakUnboundedSender {
            chan: self.chan.clone(),
        }
    }
}

impl<T> fmt::Debug for WeakUnboundedSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WeakUnboundedSender")
            .finish_non_exhaustive()
    }
}

impl<T> UnboundedReceiver<T> {
    /// Receives the next message, waiting if there is none yet; `None` once the channel is
    /// closed and drained. Cancellation safe. See [`Receiver::recv`](super::Receiver::recv).
    ///
    /// ```
    /// use evloop::sync::mpsc;
    ///
    /// # evloop::block_on(async {
    /// let (tx, mut rx) = mpsc::unbounded_channel();
    /// evloop::spawn(async move { tx.send(1).unwrap() });
    /// assert_eq!(rx.recv().await, Some(1));
    /// assert_eq!(rx.recv().await, None);
    /// # });
    /// ```
    pub async fn recv(&mut self) -> Option<T> {
        poll_fn(|cx| self.chan.poll_recv(cx)).await
    }

    /// Waits for at least one message, then moves up to `limit` queued messages into `buffer`;
    /// see [`Receiver::recv_many`](super::Receiver::recv_many).
    ///
    /// ```
    /// use evloop::sync::mpsc;
    ///
    /// # evloop::block_on(async {
    /// let (tx, mut rx) = mpsc::unbounded_channel();
    /// tx.send(1).unwrap();
    /// tx.send(2).unwrap();
    /// let mut buffer = Vec::new();
    /// assert_eq!(rx.recv_many(&mut buffer, 10).await, 2);
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
    /// let (tx, mut rx) = mpsc::unbounded_channel();
    /// tx.send(1).unwrap();
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
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
    /// let (tx, mut rx) = mpsc::unbounded_channel();
    /// std::thread::spawn(move || tx.send(1).unwrap());
    /// assert_eq!(rx.blocking_recv(), Some(1));
    /// ```
    pub fn blocking_recv(&mut self) -> Option<T> {
        futures_lite::future::block_on(self.recv())
    }

    /// Closes the channel for senders, keeping the messages already in it; see
    /// [`Receiver::close`](super::Receiver::close).
    ///
    /// ```
    /// use evloop::sync::mpsc;
    ///
    /// let (tx, mut rx) = mpsc::unbounded_channel();
    /// tx.send(1).unwrap();
    /// rx.close();
    /// assert!(tx.send(2).is_err());
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// ```
    pub fn close(&mut self) {
        self.chan.close_rx();
    }

    /// Polls for the next message; the poll form of [`recv`](UnboundedReceiver::recv).
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use evloop::sync::mpsc;
    ///
    /// # evloop::block_on(async {
    /// let (tx, mut rx) = mpsc::unbounded_channel();
    /// tx.send(2).unwrap();
    /// assert_eq!(poll_fn(|cx| rx.poll_recv(cx)).await, Some(2));
    /// # });
    /// ```
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.chan.poll_recv(cx)
    }

    /// Whether no message can arrive any more; see
    /// [`Receiver::is_closed`](super::Receiver::is_closed).
    ///
    /// ```
    /// use evloop::sync::mpsc;
    ///
    /// let (tx, rx) = mpsc::unbounded_channel::<u8>();
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
    /// let (tx, rx) = mpsc::unbounded_channel();
    /// tx.send(()).unwrap();
    /// assert_eq!(rx.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.chan.len()
    }

    /// Whether no message is queued.
    ///
    /// ```
    /// use evloop::sync::mpsc;
    ///
    /// let (_tx, rx) = mpsc::unbounded_channel::<u8>();
    /// assert!(rx.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<T> Drop for UnboundedReceiver<T> {
    fn drop(&mut self) {
        self.chan.drop_rx();
    }
}

impl<T> fmt::Debug for UnboundedReceiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnboundedReceiver")
            .field("chan", &self.chan)
            .finish()
    }
}

/// The receiver is also a [`Stream`](futures_core::Stream) of the messages.
impl<T> futures_core::Stream for UnboundedReceiver<T> {
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.get_mut().poll_recv(cx)
    }
}

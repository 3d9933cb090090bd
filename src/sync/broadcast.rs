//! A multi-producer, multi-consumer channel where every receiver sees every value.
//!
//! [`channel(capacity)`](channel) returns a [`Sender`] and a first [`Receiver`]; more receivers
//! come from [`Sender::subscribe`] (they see values sent from then on). Each value is cloned
//! for each receiver that receives it, so `T: Clone`.
//!
//! The channel keeps the last `capacity` values (rounded up to a power of two). Sending never
//! waits: when the buffer is full, the oldest value is overwritten. A receiver that falls so far
//! behind that values it had not seen were overwritten gets
//! [`RecvError::Lagged(n)`](RecvError::Lagged) (`n` values missed) from its next
//! `recv`, and then continues with the oldest value still retained.
//!
//! Once every sender is gone, receivers get the values still buffered for them and then
//! [`RecvError::Closed`].
//!
//! ```
//! use evloop::sync::broadcast;
//!
//! # evloop::block_on(async {
//! let (tx, mut rx1) = broadcast::channel(16);
//! let mut rx2 = tx.subscribe();
//! tx.send(10).unwrap();
//! tx.send(20).unwrap();
//! assert_eq!(rx1.recv().await.unwrap(), 10);
//! assert_eq!(rx2.recv().await.unwrap(), 10);
//! assert_eq!(rx1.recv().await.unwrap(), 20);
//! assert_eq!(rx2.recv().await.unwrap(), 20);
//! # });
//! ```
//!
//! # How it works
//! One lock guards the ring buffer, the positions and the list of waiting receivers. Each slot
//! remembers how many receivers still have to see its value, and the value is dropped (or, for
//! the last reader, moved out instead of cloned) once that count reaches zero. Values and
//! wakers are dropped and woken after the lock is released.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll, Waker};

use self::error::{RecvError, SendError, TryRecvError};
use super::wait_list::{set_waker, WaitList, WakeList};
use super::Notify;
use crate::loom::{lock, Mutex};
use crate::task::coop;

/// The errors of [`broadcast`](super::broadcast) channels.
pub mod error {
    use std::fmt;

    /// The error of [`Sender::send`](super::Sender::send): there is no receiver. Holds the
    /// value.
    ///
    /// ```
    /// use evloop::sync::broadcast;
    ///
    /// let (tx, rx) = broadcast::channel(1);
    /// drop(rx);
    /// assert_eq!(tx.send(5).unwrap_err().0, 5);
    /// ```
    #[derive(PartialEq, Eq, Clone, Copy)]
    pub struct SendError<T>(pub T);

    impl<T> fmt::Debug for SendError<T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("SendError").finish_non_exhaustive()
        }
    }

    impl<T> fmt::Display for SendError<T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("channel closed")
        }
    }

    impl<T> std::error::Error for SendError<T> {}

    /// The error of [`Receiver::recv`](super::Receiver::recv).
    ///
    /// ```
    /// use evloop::sync::broadcast::{self, error::RecvError};
    ///
    /// # evloop::block_on(async {
    /// let (tx, mut rx) = broadcast::channel(2);
    /// for i in 0..3 {
    ///     tx.send(i).unwrap();
    /// }
    /// assert_eq!(rx.recv().await, Err(RecvError::Lagged(1)));
    /// assert_eq!(rx.recv().await, Ok(1));
    /// # });
    /// ```
    #[derive(Debug, PartialEq, Eq, Clone)]
    pub enum RecvError {
        /// Every sender is gone and no value is left for this receiver.
        Closed,
        /// The receiver fell behind and this many values it had not seen were overwritten; the
        /// next receive continues with the oldest value still retained.
        Lagged(u64),
    }

    impl fmt::Display for RecvError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match self {
                RecvError::Closed => f.write_str("channel closed"),
                RecvError::Lagged(n) => write!(f, "channel lagged by {n}"),
            }
        }
    }

    impl std::error::Error for RecvError {}

    /// The error of [`Receiver::try_recv`](super::Receiver::try_recv).
    ///
    /// ```
    /// use evloop::sync::broadcast::{self, error::TryRecvError};
    ///
    /// let (tx, mut rx) = broadcast::channel::<u8>(1);
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// drop(tx);
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    /// ```
    #[derive(Debug, PartialEq, Eq, Clone)]
    pub enum TryRecvError {
        /// No value is waiting, but senders remain.
        Empty,
        /// Every sender is gone and no value is left for this receiver.
        Closed,
        /// The receiver fell behind by this many values; see
        /// [`RecvError::Lagged`].
        Lagged(u64),
    }

    impl fmt::Display for TryRecvError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match self {
                TryRecvError::Empty => f.write_str("channel empty"),
                TryRecvError::Closed => f.write_str("channel closed"),
                TryRecvError::Lagged(n) => write!(f, "channel lagged by {n}"),
            }
        }
    }

    impl std::error::Error for TryRecvError {}
}

struct Shared<T> {
    state: Mutex<State<T>>,
    /// Woken when the last receiver goes, for `Sender::closed`.
    no_receivers: Notify,
}

struct State<T> {
    buffer: Box<[Slot<T>]>,
    /// `buffer.len() - 1`; the length is a power of two.
    mask: u64,
    /// The position the next value will be written at; values `tail - len .. tail` are
    /// retained.
    tail: u64,
    rx_count: usize,
    tx_count: usize,
    waiters: WaitList<Option<Waker>>,
}

struct Slot<T> {
    /// Receivers that still have to see `value`.
    remaining: usize,
    value: Option<T>,
}

impl<T> State<T> {
    fn capacity(&self) -> u64 {
        self.buffer.len() as u64
    }

    fn is_closed(&self) -> bool {
        self.tx_count == 0
    }

    fn slot(&mut self, pos: u64) -> &mut Slot<T> {
        &mut self.buffer[(pos & self.mask) as usize]
    }

    /// Takes the value at `*next` for one receiver. A value whose last reader this is comes
    /// back in `Ok` moved rather than cloned.
    fn take(&mut self, next: &mut u64) -> Result<T, TryRecvError>
    where
        T: Clone,
    {
        if *next >= self.tail {
            return Err(if self.is_closed() {
                TryRecvError::Closed
            } else {
                TryRecvError::Empty
            });
        }
        let oldest = self.tail.saturating_sub(self.capacity());
        if *next < oldest {
            let missed = oldest - *next;
            *next = oldest;
            return Err(TryRecvError::Lagged(missed));
        }
        let pos = *next;
        *next += 1;
        let slot = self.slot(pos);
        slot.remaining -= 1;
        let value = if slot.remaining == 0 {
            slot.value.take()
        } else {
            slot.value.clone()
        };
        Ok(value.expect("a retained value was dropped before every receiver saw it"))
    }

    /// Forgets this receiver's share of every value it has not seen; returns values nobody
    /// else needs (to be dropped after unlocking).
    fn release(&mut self, next: u64) -> Vec<T> {
        let mut unneeded = Vec::new();
        let start = next.max(self.tail.saturating_sub(self.capacity()));
        for pos in start..self.tail {
            let slot = self.slot(pos);
            slot.remaining -= 1;
            if slot.remaining == 0 {
                unneeded.extend(slot.value.take());
            }
        }
        unneeded
    }

    fn wake_all(&mut self) -> WakeList {
        let mut wakers = WakeList::new();
        self.waiters.drain(|waker| wakers.push(waker.take()));
        wakers
    }
}

/// Creates a broadcast channel retaining up to `capacity` values (rounded up to a power of
/// two); see the [module documentation](self).
///
/// # Panics
/// If `capacity` is zero or larger than `usize::MAX / 2`.
///
/// ```
/// use evloop::sync::broadcast;
///
/// # evloop::block_on(async {
/// let (tx, mut rx) = broadcast::channel(4);
/// tx.send("hello").unwrap();
/// assert_eq!(rx.recv().await.unwrap(), "hello");
/// # });
/// ```
#[track_caller]
pub fn channel<T: Clone>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    assert!(capacity > 0, "broadcast channel capacity cannot be zero");
    assert!(
        capacity <= usize::MAX >> 1,
        "broadcast channel capacity exceeded `usize::MAX / 2`"
    );
    let capacity = capacity.next_power_of_two();
    let buffer = (0..capacity)
        .map(|_| Slot {
            remaining: 0,
            value: None,
        })
        .collect();
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            buffer,
            mask: capacity as u64 - 1,
            tail: 0,
            rx_count: 1,
            tx_count: 1,
            waiters: WaitList::new(),
        }),
        no_receivers: Notify::new(),
    });
    (
        Sender {
            shared: shared.clone(),
        },
        Receiver { shared, next: 0 },
    )
}

/// The sending half of a broadcast [`channel`]; clone it for more senders.
///
/// ```
/// use evloop::sync::broadcast;
///
/// let (tx, mut rx) = broadcast::channel(2);
/// tx.clone().send(1).unwrap();
/// assert_eq!(rx.try_recv(), Ok(1));
/// ```
pub struct Sender<T> {
    shared: Arc<Shared<T>>,
}

/// A receiving half of a broadcast [`channel`]; more come from [`Sender::subscribe`] and
/// [`Receiver::resubscribe`].
///
/// ```
/// use evloop::sync::broadcast;
///
/// # evloop::block_on(async {
/// let (tx, _rx) = broadcast::channel(2);
/// let mut late = tx.subscribe();
/// tx.send(1).unwrap();
/// assert_eq!(late.recv().await.unwrap(), 1);
/// # });
/// ```
pub struct Receiver<T> {
    shared: Arc<Shared<T>>,
    /// The position of the next value this receiver will see.
    next: u64,
}

impl<T> Sender<T> {
    /// Sends `value` to every current receiver; returns how many there are. Never waits: when
    /// the buffer is full the oldest value is overwritten.
    ///
    /// Fails, handing the value back, if there are no receivers.
    ///
    /// ```
    /// use evloop::sync::broadcast;
    ///
    /// let (tx, _rx) = broadcast::channel(2);
    /// let _rx2 = tx.subscribe();
    /// assert_eq!(tx.send(1).unwrap(), 2);
    /// ```
    pub fn send(&self, value: T) -> Result<usize, SendError<T>> {
        let mut state = lock(&self.shared.state);
        if state.rx_count == 0 {
            return Err(SendError(value));
        }
        let receivers = state.rx_count;
        let pos = state.tail;
        let slot = state.slot(pos);
        slot.remaining = receivers;
        let overwritten = slot.value.replace(value);
        state.tail += 1;
        let wakers = state.wake_all();
        drop(state);
        drop(overwritten);
        wakers.wake_all();
        Ok(receivers)
    }

    /// A new receiver that will see every value sent from now on.
    ///
    /// ```
    /// use evloop::sync::broadcast;
    ///
    /// let (tx, _rx) = broadcast::channel(2);
    /// tx.send(1).unwrap();
    /// let mut rx2 = tx.subscribe();
    /// tx.send(2).unwrap();
    /// assert_eq!(rx2.try_recv(), Ok(2));
    /// ```
    pub fn subscribe(&self) -> Receiver<T> {
        new_receiver(&self.shared)
    }

    /// The number of receivers.
    ///
    /// ```
    /// use evloop::sync::broadcast;
    ///
    /// let (tx, rx) = broadcast::channel::<u8>(2);
    /// let rx2 = tx.subscribe();
    /// assert_eq!(tx.receiver_count(), 2);
    /// drop((rx, rx2));
    /// assert_eq!(tx.receiver_count(), 0);
    /// ```
    pub fn receiver_count(&self) -> usize {
        lock(&self.shared.state).rx_count
    }

    /// The number of retained values that some receiver alive when they were sent has not seen
    /// yet.
    ///
    /// ```
    /// use evloop::sync::broadcast;
    ///
    /// let (tx, mut rx) = broadcast::channel(4);
    /// tx.send(1).unwrap();
    /// tx.send(2).unwrap();
    /// assert_eq!(tx.len(), 2);
    /// rx.try_recv().unwrap();
    /// assert_eq!(tx.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        let mut state = lock(&self.shared.state);
        let oldest = state.tail.saturating_sub(state.capacity());
        let tail = state.tail;
        // Counts only ever grow from older to newer values (a receiver sees values in order),
        // so the pending ones form a suffix.
        (oldest..tail)
            .rev()
            .take_while(|&pos| state.slot(pos).remaining > 0)
            .count()
    }

    /// Whether no value is pending for any receiver; see [`len`](Sender::len).
    ///
    /// ```
    /// use evloop::sync::broadcast;
    ///
    /// let (tx, _rx) = broadcast::channel::<u8>(4);
    /// assert!(tx.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether both senders belong to the same channel.
    ///
    /// ```
    /// use evloop::sync::broadcast;
    ///
    /// let (tx, _rx) = broadcast::channel::<u8>(1);
    /// assert!(tx.same_channel(&tx.clone()));
    /// ```
    pub fn same_channel(&self, other: &Sender<T>) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }

    /// Waits until there are no receivers.
    ///
    /// ```
    /// use evloop::sync::broadcast;
    ///
    /// # evloop::block_on(async {
    /// let (tx, rx) = broadcast::channel::<u8>(1);
    /// evloop::spawn(async move { drop(rx) });
    /// tx.closed().await;
    /// assert_eq!(tx.receiver_count(), 0);
    /// # });
    /// ```
    pub async fn closed(&self) {
        loop {
            let notified = self.shared.no_receivers.notified();
            if self.receiver_count() == 0 {
                return;
            }
            notified.await;
        }
    }
}

fn new_receiver<T>(shared: &Arc<Shared<T>>) -> Receiver<T> {
    let mut state = lock(&shared.state);
    state.rx_count += 1;
    Receiver {
        shared: shared.clone(),
        next: state.tail,
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Sender<T> {
        lock(&self.shared.state).tx_count += 1;
        Sender {
            shared: self.shared.clone(),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let mut state = lock(&self.shared.state);
        state.tx_count -= 1;
        if state.tx_count > 0 {
            return;
        }
        let wakers = state.wake_all();
        drop(state);
        wakers.wake_all();
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = lock(&self.shared.state);
        f.debug_struct("Sender")
            .field("receivers", &state.rx_count)
            .field("capacity", &state.capacity())
            .finish()
    }
}

impl<T: Clone> Receiver<T> {
    /// Receives the next value, waiting if there is none yet.
    ///
    /// Fails with [`RecvError::Lagged`] after falling behind (the next call continues with the
    /// oldest retained value) and with [`RecvError::Closed`] once every sender is gone and no
    /// value is left for this receiver.
    ///
    /// Cancellation safe: a value is taken only when the future completes.
    ///
    /// ```
    /// use evloop::sync::broadcast::{self, error::RecvError};
    ///
    /// # evloop::block_on(async {
    /// let (tx, mut rx) = broadcast::channel(2);
    /// tx.send(1).unwrap();
    /// drop(tx);
    /// assert_eq!(rx.recv().await, Ok(1));
    /// assert_eq!(rx.recv().await, Err(RecvError::Closed));
    /// # });
    /// ```
    pub fn recv(&mut self) -> Recv<'_, T> {
        Recv {
            receiver: self,
            key: None,
        }
    }

    /// Takes the next value if one is waiting.
    ///
    /// ```
    /// use evloop::sync::broadcast::{self, error::TryRecvError};
    ///
    /// let (tx, mut rx) = broadcast::channel(1);
    /// tx.send(1).unwrap();
    /// tx.send(2).unwrap();
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Lagged(1)));
    /// assert_eq!(rx.try_recv(), Ok(2));
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// ```
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let mut state = lock(&self.shared.state);
        state.take(&mut self.next)
    }

    /// Receives from synchronous code, blocking the thread; meant for threads outside the
    /// runtime.
    ///
    /// ```
    /// use evloop::sync::broadcast;
    ///
    /// let (tx, mut rx) = broadcast::channel(1);
    /// std::thread::spawn(move || tx.send(3).unwrap());
    /// assert_eq!(rx.blocking_recv(), Ok(3));
    /// ```
    pub fn blocking_recv(&mut self) -> Result<T, RecvError> {
        futures_lite::future::block_on(self.recv())
    }
}

impl<T> Receiver<T> {
    /// A new receiver of the same channel that starts at the current end: it sees values sent
    /// from now on, not the ones this receiver has yet to see.
    ///
    /// ```
    /// use evloop::sync::broadcast;
    ///
    /// let (tx, mut rx) = broadcast::channel(2);
    /// tx.send(1).unwrap();
    /// let mut rx2 = rx.resubscribe();
    /// tx.send(2).unwrap();
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// assert_eq!(rx2.try_recv(), Ok(2));
    /// ```
    pub fn resubscribe(&self) -> Receiver<T> {
        new_receiver(&self.shared)
    }

    /// The number of values this receiver has yet to see (at most the capacity).
    ///
    /// ```
    /// use evloop::sync::broadcast;
    ///
    /// let (tx, rx) = broadcast::channel(4);
    /// tx.send(1).unwrap();
    /// assert_eq!(rx.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        let state = lock(&self.shared.state);
        let oldest = state.tail.saturating_sub(state.capacity());
        (state.tail - self.next.max(oldest)) as usize
    }

    /// Whether this receiver has no value waiting.
    ///
    /// ```
    /// use evloop::sync::broadcast;
    ///
    /// let (_tx, rx) = broadcast::channel::<u8>(4);
    /// assert!(rx.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether every sender is gone.
    ///
    /// ```
    /// use evloop::sync::broadcast;
    ///
    /// let (tx, rx) = broadcast::channel::<u8>(1);
    /// drop(tx);
    /// assert!(rx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        lock(&self.shared.state).is_closed()
    }

    /// Whether both receivers belong to the same channel.
    ///
    /// ```
    /// use evloop::sync::broadcast;
    ///
    /// let (_tx, rx) = broadcast::channel::<u8>(1);
    /// assert!(rx.same_channel(&rx.resubscribe()));
    /// ```
    pub fn same_channel(&self, other: &Receiver<T>) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let mut state = lock(&self.shared.state);
        state.rx_count -= 1;
        let last = state.rx_count == 0;
        let unneeded = state.release(self.next);
        drop(state);
        drop(unneeded);
        if last {
            self.shared.no_receivers.notify_waiters();
        }
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("next", &self.next)
            .finish_non_exhaustive()
    }
}

/// The future of [`Receiver::recv`].
///
/// ```
/// use evloop::sync::broadcast;
///
/// # evloop::block_on(async {
/// let (tx, mut rx) = broadcast::channel(1);
/// let recv = rx.recv();
/// tx.send(1).unwrap();
/// assert_eq!(recv.await, Ok(1));
/// # });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Recv<'a, T> {
    receiver: &'a mut Receiver<T>,
    /// Our slot in the list of waiting receivers, once registered.
    key: Option<usize>,
}

impl<T: Clone> Future for Recv<'_, T> {
    type Output = Result<T, RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        ready!(coop::poll_proceed(cx));
        let receiver = &mut *this.receiver;
        let mut state = lock(&receiver.shared.state);
        let result = match state.take(&mut receiver.next) {
            Ok(value) => Ok(value),
            Err(TryRecvError::Closed) => Err(RecvError::Closed),
            Err(TryRecvError::Lagged(n)) => Err(RecvError::Lagged(n)),
            Err(TryRecvError::Empty) => {
                match this.key {
                    Some(key) if state.waiters.is_linked(key) => {
                        set_waker(state.waiters.get_mut(key), cx.waker());
                    }
                    Some(key) => {
                        // Woken by a send whose value another poll path already consumed:
                        // queue again.
                        state.waiters.remove(key);
                        this.key = Some(state.waiters.push_back(Some(cx.waker().clone())));
                    }
                    None => {
                        this.key = Some(state.waiters.push_back(Some(cx.waker().clone())));
                    }
                }
                return Poll::Pending;
            }
        };
        if let Some(key) = this.key.take() {
            state.waiters.remove(key);
        }
        Poll::Ready(result)
    }
}

impl<T> Drop for Recv<'_, T> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            lock(&self.receiver.shared.state).waiters.remove(key);
        }
    }
}

impl<T> fmt::Debug for Recv<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Recv")
            .field("registered", &self.key.is_some())
            .finish_non_exhaustive()
    }
}

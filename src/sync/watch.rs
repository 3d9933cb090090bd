//! A single-value channel whose receivers see the latest value.
//!
//! [`channel(init)`](channel) returns a [`Sender`] and a [`Receiver`]. The channel always holds
//! exactly one value. Sending replaces it and marks it *changed* for every receiver;
//! [`Receiver::changed`] waits for that, and [`Receiver::borrow_and_update`] reads the value and
//! marks it seen. Intermediate values a receiver did not look at are simply skipped, so watch
//! channels suit state (configuration, progress, shutdown flags) rather than streams of events.
//!
//! ```
//! use evloop::sync::watch;
//!
//! # evloop::block_on(async {
//! let (tx, mut rx) = watch::channel("starting");
//! evloop::spawn(async move {
//!     tx.send("running").unwrap();
//! });
//! rx.changed().await.unwrap();
//! assert_eq!(*rx.borrow_and_update(), "running");
//! # });
//! ```
//!
//! # How it works
//! The value sits behind a reader-writer lock. A version counter, bumped under the write lock
//! on every send, tells receivers whether there is something new: each receiver remembers the
//! version it last saw. Waiting receivers are woken through a [`Notify`] (`notify_waiters`),
//! whose futures count a notification from the moment they are created, so checking the version
//! after creating one can never miss a send.

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use self::error::{RecvError, SendError};
use super::Notify;
use crate::loom::{AtomicUsize, Ordering, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// The errors of [`watch`](super::watch) channels.
pub mod error {
    use std::fmt;

    /// The error of [`Sender::send`](super::Sender::send): every receiver is gone. Holds the
    /// value.
    ///
    /// ```
    /// use evloop::sync::watch;
    ///
    /// let (tx, rx) = watch::channel(0);
    /// drop(rx);
    /// assert_eq!(tx.send(1).unwrap_err().0, 1);
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

    /// The error of [`Receiver::changed`](super::Receiver::changed) and relatives: every
    /// sender is gone (and, for `changed`, no unseen value is left).
    ///
    /// ```
    /// use evloop::sync::watch;
    ///
    /// # evloop::block_on(async {
    /// let (tx, mut rx) = watch::channel(0);
    /// drop(tx);
    /// assert_eq!(rx.changed().await.unwrap_err().to_string(), "channel closed");
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
}

/// Bit 0 of `state`: every sender is gone. The version is counted above it.
const CLOSED: usize = 1;
const VERSION_STEP: usize = 2;

struct Shared<T> {
    value: RwLock<T>,
    /// The version (in steps of two) and the closed bit. The version is bumped while the write
    /// lock is held, so a reader holding the read lock sees the version of the value it reads.
    state: AtomicUsize,
    rx_count: AtomicUsize,
    tx_count: AtomicUsize,
    /// Receivers waiting in `changed`.
    changed: Notify,
    /// Senders waiting in `closed`.
    no_receivers: Notify,
}

impl<T> Shared<T> {
    fn read(&self) -> RwLockReadGuard<'_, T> {
        self.value
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, T> {
        self.value
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn version(&self) -> usize {
        self.state.load(Ordering::SeqCst) & !CLOSED
    }
}

/// Creates a watch channel holding `init`; see the [module documentation](self).
///
/// ```
/// use evloop::sync::watch;
///
/// let (tx, rx) = watch::channel(1);
/// assert_eq!(*rx.borrow(), 1);
/// tx.send(2).unwrap();
/// assert_eq!(*rx.borrow(), 2);
/// ```
pub fn channel<T>(init: T) -> (Sender<T>, Receiver<T>) {
    let shared = Arc::new(Shared {
        value: RwLock::new(init),
        state: AtomicUsize::new(0),
        rx_count: AtomicUsize::new(1),
        tx_count: AtomicUsize::new(1),
        changed: Notify::new(),
        no_receivers: Notify::new(),
    });
    (
        Sender {
            shared: shared.clone(),
        },
        Receiver { shared, version: 0 },
    )
}

/// The sending half of a watch [`channel`]; clone it for more senders.
///
/// ```
/// use evloop::sync::watch;
///
/// let (tx, rx) = watch::channel(0);
/// tx.send_modify(|v| *v += 5);
/// assert_eq!(*rx.borrow(), 5);
/// ```
pub struct Sender<T> {
    shared: Arc<Shared<T>>,
}

/// A receiving half of a watch [`channel`]; clone it (or [`Sender::subscribe`]) for more.
///
/// ```
/// use evloop::sync::watch;
///
/// # evloop::block_on(async {
/// let (tx, mut rx) = watch::channel(0);
/// tx.send(1).unwrap();
/// assert!(rx.has_changed().unwrap());
/// rx.changed().await.unwrap();
/// assert!(!rx.has_changed().unwrap());
/// # });
/// ```
pub struct Receiver<T> {
    shared: Arc<Shared<T>>,
    /// The version this receiver has seen.
    version: usize,
}

/// A read lock on the value of a watch channel, from `borrow` and relatives.
///
/// Holding it blocks senders, so keep it briefly and never across an `.await`.
///
/// ```
/// use evloop::sync::watch;
///
/// let (tx, mut rx) = watch::channel(String::from("a"));
/// tx.send("b".into()).unwrap();
/// let value = rx.borrow_and_update();
/// assert!(value.has_changed());
/// assert_eq!(*value, "b");
/// ```
pub struct Ref<'a, T> {
    guard: RwLockReadGuard<'a, T>,
    has_changed: bool,
}

impl<T> Ref<'_, T> {
    /// Whether this value had not been seen by the receiver when it was borrowed (always
    /// `false` for [`Sender::borrow`]).
    ///
    /// ```
    /// use evloop::sync::watch;
    ///
    /// let (tx, rx) = watch::channel(0);
    /// assert!(!rx.borrow().has_changed());
    /// tx.send(1).unwrap();
    /// assert!(rx.borrow().has_changed());
    /// ```
    pub fn has_changed(&self) -> bool {
        self.has_changed
    }
}

impl<T> Deref for Ref<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.guard
    }
}

impl<T: fmt::Debug> fmt::Debug for Ref<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T> Sender<T> {
    /// Replaces the value and notifies receivers. Fails, handing the value back, if every
    /// receiver is gone (the value is then not stored).
    ///
    /// ```
    /// use evloop::sync::watch;
    ///
    /// let (tx, rx) = watch::channel(0);
    /// tx.send(1).unwrap();
    /// drop(rx);
    /// assert!(tx.send(2).is_err());
    /// assert_eq!(*tx.borrow(), 1);
    /// ```
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        if self.receiver_count() == 0 {
            return Err(SendError(value));
        }
        self.send_replace(value);
        Ok(())
    }

    /// Replaces the value whether or not anyone receives, notifies receivers, and returns the
    /// old value.
    ///
    /// ```
    /// use evloop::sync::watch;
    ///
    /// let (tx, _rx) = watch::channel(1);
    /// assert_eq!(tx.send_replace(2), 1);
    /// ```
    pub fn send_replace(&self, mut value: T) -> T {
        self.send_modify(|old| std::mem::swap(old, &mut value));
        value
    }

    /// Modifies the value in place and notifies receivers, whether or not anyone receives.
    ///
    /// ```
    /// use evloop::sync::watch;
    ///
    /// let (tx, rx) = watch::channel(vec![1]);
    /// tx.send_modify(|v| v.push(2));
    /// assert_eq!(*rx.borrow(), [1, 2]);
    /// ```
    pub fn send_modify<F: FnOnce(&mut T)>(&self, modify: F) {
        self.send_if_modified(|value| {
            modify(value);
            true
        });
    }

    /// Modifies the value in place; notifies receivers only if `modify` returns `true`. Returns
    /// what `modify` returned.
    ///
    /// If `modify` panics, the lock is released and receivers are not notified.
    ///
    /// ```
    /// use evloop::sync::watch;
    ///
    /// let (tx, rx) = watch::channel(3);
    /// assert!(!tx.send_if_modified(|v| if *v > 5 { *v = 0; true } else { false }));
    /// assert!(!rx.has_changed().unwrap());
    /// ```
    pub fn send_if_modified<F: FnOnce(&mut T) -> bool>(&self, modify: F) -> bool {
        {
            let mut value = self.shared.write();
            if !modify(&mut value) {
                return false;
            }
            self.shared.state.fetch_add(VERSION_STEP, Ordering::SeqCst);
        }
        self.shared.changed.notify_waiters();
        true
    }

    /// Reads the current value. (Holding the returned [`Ref`] blocks senders.)
    ///
    /// ```
    /// use evloop::sync::watch;
    ///
    /// let (tx, _rx) = watch::channel(7);
    /// assert_eq!(*tx.borrow(), 7);
    /// ```
    pub fn borrow(&self) -> Ref<'_, T> {
        Ref {
            guard: self.shared.read(),
            has_changed: false,
        }
    }

    /// A new receiver that considers the current value seen.
    ///
    /// ```
    /// use evloop::sync::watch;
    ///
    /// let (tx, _rx) = watch::channel(0);
    /// tx.send(1).unwrap();
    /// let rx2 = tx.subscribe();
    /// assert!(!rx2.has_changed().unwrap());
    /// ```
    pub fn subscribe(&self) -> Receiver<T> {
        self.shared.rx_count.fetch_add(1, Ordering::SeqCst);
        let version = self.shared.version();
        Receiver {
            shared: self.shared.clone(),
            version,
        }
    }

    /// The number of receivers.
    ///
    /// ```
    /// use evloop::sync::watch;
    ///
    /// let (tx, rx) = watch::channel(0);
    /// let rx2 = rx.clone();
    /// assert_eq!(tx.receiver_count(), 2);
    /// drop((rx, rx2));
    /// assert_eq!(tx.receiver_count(), 0);
    /// ```
    pub fn receiver_count(&self) -> usize {
        self.shared.rx_count.load(Ordering::SeqCst)
    }

    /// The number of senders.
    ///
    /// ```
    /// use evloop::sync::watch;
    ///
    /// let (tx, _rx) = watch::channel(0);
    /// let _tx2 = tx.clone();
    /// assert_eq!(tx.sender_count(), 2);
    /// ```
    pub fn sender_count(&self) -> usize {
        self.shared.tx_count.load(Ordering::SeqCst)
    }

    /// Whether every receiver is gone.
    ///
    /// ```
    /// use evloop::sync::watch;
    ///
    /// let (tx, rx) = watch::channel(0);
    /// drop(rx);
    /// assert!(tx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.receiver_count() == 0
    }

    /// Waits until every receiver is gone.
    ///
    /// ```
    /// use evloop::sync::watch;
    ///
    /// # evloop::block_on(async {
    /// let (tx, rx) = watch::channel(0);
    /// evloop::spawn(async move { drop(rx) });
    /// tx.closed().await;
    /// # });
    /// ```
    pub async fn closed(&self) {
        loop {
            let notified = self.shared.no_receivers.notified();
            if self.is_closed() {
                return;
            }
            notified.await;
        }
    }

    /// Whether both senders belong to the same channel.
    ///
    /// ```
    /// use evloop::sync::watch;
    ///
    /// let (tx, _rx) = watch::channel(0);
    /// assert!(tx.same_channel(&tx.clone()));
    /// ```
    pub fn same_channel(&self, other: &Sender<T>) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Sender<T> {
        self.shared.tx_count.fetch_add(1, Ordering::SeqCst);
        Sender {
            shared: self.shared.clone(),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        if self.shared.tx_count.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.shared.state.fetch_or(CLOSED, Ordering::SeqCst);
            self.shared.changed.notify_waiters();
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender")
            .field("value", &*self.borrow())
            .finish()
    }
}

impl<T> Receiver<T> {
    /// Reads the current value without marking it seen. (Holding the returned [`Ref`] blocks
    /// senders.)
    ///
    /// ```
    /// use evloop::sync::watch;
    ///
    /// let (tx, rx) = watch::channel(0);
    /// tx.send(1).unwrap();
    /// assert_eq!(*rx.borrow(), 1);
    /// assert!(rx.has_changed().unwrap());
    /// ```
    pub fn borrow(&self) -> Ref<'_, T> {
        let guard = self.shared.read();
        let has_changed = self.shared.version() != self.version;
        Ref { guard, has_changed }
    }

    /// Reads the current value and marks it seen.
    ///
    /// ```
    /// use evloop::sync::watch;
    ///
    /// let (tx, mut rx) = watch::channel(0);
    /// tx.send(1).unwrap();
    /// assert_eq!(*rx.borrow_and_update(), 1);
    /// assert!(!rx.has_changed().unwrap());
    /// ```
    pub fn borrow_and_update(&mut self) -> Ref<'_, T> {
        let guard = self.shared.read();
        let version = self.shared.version();
        let has_changed = version != self.version;
        self.version = version;
        Ref { guard, has_changed }
    }

    /// Whether a value this receiver has not seen is waiting. Fails if every sender is gone.
    ///
    /// ```
    /// use evloop::sync::watch;
    ///
    /// let (tx, rx) = watch::channel(0);
    /// assert_eq!(rx.has_changed(), Ok(false));
    /// tx.send(1).unwrap();
    /// assert_eq!(rx.has_changed(), Ok(true));
    /// drop(tx);
    /// assert!(rx.has_changed().is_err());
    /// ```
    pub fn has_changed(&self) -> Result<bool, RecvError> {
        let state = self.shared.state.load(Ordering::SeqCst);
        if state & CLOSED == CLOSED {
            return Err(RecvError(()));
        }
        Ok(state & !CLOSED != self.version)
    }

    /// Marks the current value as not seen, so that [`changed`](Receiver::changed) completes
    /// at once.
    ///
    /// ```
    /// use evloop::sync::watch;
    ///
    /// let (_tx, mut rx) = watch::channel(0);
    /// rx.mark_changed();
    /// assert!(rx.has_changed().unwrap());
    /// ```
    pub fn mark_changed(&mut self) {
        self.version = self.shared.version().wrapping_sub(VERSION_STEP);
    }

    /// Marks the current value as seen.
    ///
    /// ```
    /// use evloop::sync::watch;
    ///
    /// let (tx, mut rx) = watch::channel(0);
    /// tx.send(1).unwrap();
    /// rx.mark_unchanged();
    /// assert!(!rx.has_changed().unwrap());
    /// ```
    pub fn mark_unchanged(&mut self) {
        self.version = self.shared.version();
    }

    /// Waits for a value this receiver has not seen, and marks it seen.
    ///
    /// Completes at once if one is already waiting (even if every sender is gone since). Fails
    /// with [`RecvError`] once every sender is gone and nothing unseen is left.
    /// Cancellation safe.
    ///
    /// ```
    /// use evloop::sync::watch;
    ///
    /// # evloop::block_on(async {
    /// let (tx, mut rx) = watch::channel(0);
    /// evloop::spawn(async move {
    ///     tx.send(1).unwrap();
    /// });
    /// rx.changed().await.unwrap();
    /// assert_eq!(*rx.borrow(), 1);
    /// # });
    /// ```
    pub async fn changed(&mut self) -> Result<(), RecvError> {
        loop {
            let notified = self.shared.changed.notified();
            let state = self.shared.state.load(Ordering::SeqCst);
            if state & !CLOSED != self.version {
                self.version = state & !CLOSED;
                return Ok(());
            }
            if state & CLOSED == CLOSED {
                return Err(RecvError(()));
            }
            notified.await;
        }
    }

    /// Waits until the value satisfies `condition`, marks it seen and returns a [`Ref`] to it.
    /// Checks the current value first. Fails if every sender is gone first.
    ///
    /// ```
    /// use evloop::sync::watch;
    ///
    /// # evloop::block_on(async {
    /// let (tx, mut rx) = watch::channel(0);
    /// evloop::spawn(async move {
    ///     for i in 1..=5 {
    ///         tx.send(i).unwrap();
    ///         evloop::task::yield_now().await;
    ///     }
    /// });
    /// let value = rx.wait_for(|v| *v >= 3).await.unwrap();
    /// assert!(*value >= 3);
    /// # });
    /// ```
    pub async fn wait_for(
        &mut self,
        mut condition: impl FnMut(&T) -> bool,
    ) -> Result<Ref<'_, T>, RecvError> {
        loop {
            let notified = self.shared.changed.notified();
            {
                let guard = self.shared.read();
                let state = self.shared.state.load(Ordering::SeqCst);
                let version = state & !CLOSED;
                let has_changed = version != self.version;
                self.version = version;
                if condition(&guard) {
                    return Ok(Ref { guard, has_changed });
                }
                if state & CLOSED == CLOSED {
                    return Err(RecvError(()));
                }
            }
            notified.await;
        }
    }

    /// Whether both receivers belong to the same channel.
    ///
    /// ```
    /// use evloop::sync::watch;
    ///
    /// let (_tx, rx) = watch::channel(0);
    /// assert!(rx.same_channel(&rx.clone()));
    /// ```
    pub fn same_channel(&self, other: &Receiver<T>) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }
}

impl<T> Clone for Receiver<T> {
    fn clone(&self) -> Receiver<T> {
        self.shared.rx_count.fetch_add(1, Ordering::SeqCst);
        Receiver {
            shared: self.shared.clone(),
            version: self.version,
        }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        if self.shared.rx_count.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.shared.no_receivers.notify_waiters();
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("value", &*self.borrow())
            .field("version", &self.version)
            .finish()
    }
}

//! A runtime-neutral bounded channel for one producer and one consumer.
//!
//! Workloads need message passing that costs every peer the same, so they use
//! this channel rather than any runtime's own. It follows the shape of
//! `async_channel::bounded` (`send(v).await`, `try_send(v)`, `recv().await`,
//! errors once the other side is dropped), restricted to a single sender and
//! a single receiver: one waker slot per side, a `Mutex`-protected buffer.
//! With `async-channel` as a dev-dependency, this whole module can become
//! `pub use async_channel::{bounded, Sender};` and the workloads
//! compile unchanged.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

/// The receiver was dropped; the value comes back.
#[derive(Debug)]
pub struct SendError<T>(pub T);

/// The sender was dropped and the buffer is empty.
#[derive(Debug)]
pub struct RecvError;

/// Why `try_send` did not send.
#[derive(Debug)]
pub enum TrySendError<T> {
    Full(T),
    Closed(T),
}

struct State<T> {
    buf: VecDeque<T>,
    cap: usize,
    sender_alive: bool,
    receiver_alive: bool,
    send_waker: Option<Waker>,
    recv_waker: Option<Waker>,
}

type Shared<T> = Arc<Mutex<State<T>>>;

pub struct Sender<T> {
    shared: Shared<T>,
}

pub struct Receiver<T> {
    shared: Shared<T>,
}

/// A channel holding at most `cap` messages (`cap >= 1`).
pub fn bounded<T>(cap: usize) -> (Sender<T>, Receiver<T>) {
    assert!(cap >= 1, "capacity must be at least 1");
    let shared = Arc::new(Mutex::new(State {
        buf: VecDeque::with_capacity(cap),
        cap,
        sender_alive: true,
        receiver_alive: true,
        send_waker: None,
        recv_waker: None,
    }));
    (
        Sender {
            shared: shared.clone(),
        },
        Receiver { shared },
    )
}

fn store(slot: &mut Option<Waker>, cx: &Context<'_>) {
    match slot {
        Some(w) if w.will_wake(cx.waker()) => {}
        _ => *slot = Some(cx.waker().clone()),
    }
}

impl<T> Sender<T> {
    /// Sends `value`, waiting while the buffer is full.
    pub fn send(&self, value: T) -> Send<'_, T> {
        Send {
            sender: self,
            value: Some(value),
        }
    }

    /// Sends `value` if there is room right now.
    pub fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        let waker = {
            let mut s = self.shared.lock().unwrap();
            if !s.receiver_alive {
                return Err(TrySendError::Closed(value));
            }
            if s.buf.len() >= s.cap {
                return Err(TrySendError::Full(value));
            }
            s.buf.push_back(value);
            s.recv_waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
        Ok(())
    }
}

impl<T> Receiver<T> {
    /// Receives the next message, waiting while the buffer is empty.
    pub fn recv(&self) -> Recv<'_, T> {
        Recv { receiver: self }
    }
}

/// Future of [`Sender::send`].
pub struct Send<'a, T> {
    sender: &'a Sender<T>,
    value: Option<T>,
}

// The value is moved in and out by value, never pinned.
impl<T> Unpin for Send<'_, T> {}

impl<T> Future for Send<'_, T> {
    type Output = Result<(), SendError<T>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let (out, waker) = {
            let mut s = this.sender.shared.lock().unwrap();
            if !s.receiver_alive {
                let v = this.value.take().expect("Send polled after completion");
                (Poll::Ready(Err(SendError(v))), None)
            } else if s.buf.len() < s.cap {
                let v = this.value.take().expect("Send polled after completion");
                s.buf.push_back(v);
                (Poll::Ready(Ok(())), s.recv_waker.take())
            } else {
                store(&mut s.send_waker, cx);
                (Poll::Pending, None)
            }
        };
        if let Some(w) = waker {
            w.wake();
        }
        out
    }
}

/// Future of [`Receiver::recv`].
pub struct Recv<'a, T> {
    receiver: &'a Receiver<T>,
}

impl<T> Future for Recv<'_, T> {
    type Output = Result<T, RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let (out, waker) = {
            let mut s = self.receiver.shared.lock().unwrap();
            match s.buf.pop_front() {
                Some(v) => (Poll::Ready(Ok(v)), s.send_waker.take()),
                None if !s.sender_alive => (Poll::Ready(Err(RecvError)), None),
                None => {
                    store(&mut s.recv_waker, cx);
                    (Poll::Pending, None)
                }
            }
        };
        if let Some(w) = waker {
            w.wake();
        }
        out
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let waker = {
            let mut s = self.shared.lock().unwrap();
            s.sender_alive = false;
            s.recv_waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let waker = {
            let mut s = self.shared.lock().unwrap();
            s.receiver_alive = false;
            s.send_waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}

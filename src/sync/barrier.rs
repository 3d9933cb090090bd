//! [`Barrier`]: let a fixed number of tasks wait for each other.

use std::fmt;

use super::Notify;
use crate::loom::{lock, Mutex};

/// A barrier for `n` tasks: each calls [`wait`](Barrier::wait), and all of them continue once
/// the `n`-th arrives. Exactly one of each group is told it is the *leader*. The barrier then
/// resets and can be used again by the next `n` arrivals.
///
/// ```
/// use std::sync::Arc;
/// use evloop::sync::Barrier;
///
/// # evloop::block_on(async {
/// let barrier = Arc::new(Barrier::new(3));
/// let tasks: Vec<_> = (0..3)
///     .map(|_| {
///         let barrier = barrier.clone();
///         evloop::spawn(async move { barrier.wait().await.is_leader() })
///     })
///     .collect();
/// let mut leaders = 0;
/// for task in tasks {
///     leaders += task.await.unwrap() as usize;
/// }
/// assert_eq!(leaders, 1);
/// # });
/// ```
pub struct Barrier {
    n: usize,
    state: Mutex<State>,
    released: Notify,
}

#[derive(Debug)]
struct State {
    arrived: usize,
    generation: usize,
}

/// What [`Barrier::wait`] reports: whether this task was the group's leader.
///
/// ```
/// use evloop::sync::Barrier;
///
/// # evloop::block_on(async {
/// let barrier = Barrier::new(1);
/// assert!(barrier.wait().await.is_leader());
/// # });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BarrierWaitResult(bool);

impl BarrierWaitResult {
    /// Whether this task was the leader: the last of its group to arrive. Exactly one task per
    /// group is.
    ///
    /// ```
    /// use evloop::sync::Barrier;
    ///
    /// # evloop::block_on(async {
    /// assert!(Barrier::new(0).wait().await.is_leader());
    /// # });
    /// ```
    pub fn is_leader(&self) -> bool {
        self.0
    }
}

impl Barrier {
    /// Creates a barrier for groups of `n` tasks. `n == 0` behaves like `n == 1`: every `wait`
    /// returns at once, as leader.
    ///
    /// ```
    /// use evloop::sync::Barrier;
    /// let barrier = Barrier::new(10);
    /// # drop(barrier);
    /// ```
    pub fn new(n: usize) -> Barrier {
        Barrier {
            n: n.max(1),
            state: Mutex::new(State {
                arrived: 0,
                generation: 0,
            }),
            released: Notify::new(),
        }
    }

    /// Arrives at the barrier and waits until `n` tasks have arrived.
    ///
    /// A task counts as arrived from the first poll of this future. Not cancellation safe in
    /// that sense: dropping the future after that poll does not take the arrival back, so the
    /// group still completes with one task fewer actually waiting.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use evloop::sync::Barrier;
    ///
    /// # evloop::block_on(async {
    /// let barrier = Arc::new(Barrier::new(2));
    /// let other = barrier.clone();
    /// let task = evloop::spawn(async move { other.wait().await.is_leader() });
    /// let here = barrier.wait().await.is_leader();
    /// assert!(here ^ task.await.unwrap());
    /// # });
    /// ```
    pub async fn wait(&self) -> BarrierWaitResult {
        let released = {
            let mut state = lock(&self.state);
            state.arrived += 1;
            if state.arrived == self.n {
                state.arrived = 0;
                state.generation = state.generation.wrapping_add(1);
                drop(state);
                self.released.notify_waiters();
                return BarrierWaitResult(true);
            }
            // Created under the lock, so the leader's `notify_waiters` (which comes after the
            // leader takes the lock) is guaranteed to count for it.
            self.released.notified()
        };
        released.await;
        BarrierWaitResult(false)
    }
}

impl fmt::Debug for Barrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = lock(&self.state);
        f.debug_struct("Barrier")
            .field("n", &self.n)
            .field("arrived", &state.arrived)
            .field("generation", &state.generation)
            .finish()
    }
}

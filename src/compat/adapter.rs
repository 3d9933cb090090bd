//! [`Compat<T>`]: one wrapper, three jobs.
//!
//! - With the feature `tokio-io`, a `Compat<T>` whose `T` implements the `futures-io` traits
//!   implements tokio's, and one whose `T` implements tokio's implements the `futures-io` ones.
//!   Closing maps to shutting down (`poll_close` ⇄ `poll_shutdown`), and seeking crosses between
//!   `futures-io`'s one-call `poll_seek` and tokio's two-step `start_seek` / `poll_complete` with
//!   a small state machine kept in the wrapper.
//! - With the feature `tokio`, a `Compat<F>` whose `F` is a future is a future that polls `F`
//!   inside a tokio runtime context (see [`tokio()`](super::tokio())).

use std::fmt;
use std::pin::Pin;

pin_project_lite::pin_project! {
    /// Adapts `T` between the `futures-io` and tokio I/O traits (feature `tokio-io`), or runs
    /// the future `T` inside a tokio runtime context (feature `tokio`).
    ///
    /// Made by [`FuturesIoCompatExt::compat`](super::FuturesIoCompatExt::compat),
    /// [`TokioIoCompatExt::compat`](super::TokioIoCompatExt::compat),
    /// [`tokio()`](super::tokio()) or [`Compat::new`].
    ///
    /// Which traits a `Compat<T>` implements depends only on `T`: the tokio I/O traits when `T`
    /// has the `futures-io` ones, the `futures-io` traits when `T` has tokio's, and `Future`
    /// when `T` is a future.
    pub struct Compat<T> {
        // `None` only while being dropped (see the `PinnedDrop` below).
        #[pin]
        inner: Option<T>,
        // futures-io → tokio: the target given to `start_seek`, for `poll_complete`.
        seek_target: Option<std::io::SeekFrom>,
        // tokio → futures-io: the target of the seek `start_seek` accepted, until completed.
        seek_started: Option<std::io::SeekFrom>,
    }

    impl<T> PinnedDrop for Compat<T> {
        fn drop(this: Pin<&mut Self>) {
            // A future that needs a tokio context may need it to drop, too (it may spawn or
            // deregister on drop). Enter the background runtime if, and only if, it is running.
            #[cfg(feature = "tokio")]
            let _guard = super::runtime::enter_if_started();
            this.project().inner.set(None);
        }
    }
}

/// The wrapped value, the futures-io → tokio seek target, the tokio → futures-io one.
#[cfg(feature = "tokio-io")]
pub(super) type Parts<'a, T> = (
    Pin<&'a mut T>,
    &'a mut Option<std::io::SeekFrom>,
    &'a mut Option<std::io::SeekFrom>,
);

const DROPPED: &str = "`Compat` polled while being dropped";

impl<T> Compat<T> {
    /// Wraps `inner`.
    ///
    /// For a future, the wrapper polls it inside a tokio runtime context (feature `tokio`, same
    /// as [`tokio()`](super::tokio())); for an I/O object, it translates between the
    /// `futures-io` and tokio I/O traits (feature `tokio-io`).
    pub fn new(inner: T) -> Compat<T> {
        Compat {
            inner: Some(inner),
            seek_target: None,
            seek_started: None,
        }
    }

    /// The wrapped value.
    pub fn get_ref(&self) -> &T {
        self.inner.as_ref().expect(DROPPED)
    }

    /// The wrapped value, mutably.
    pub fn get_mut(&mut self) -> &mut T {
        self.inner.as_mut().expect(DROPPED)
    }

    /// The wrapped value, pinned.
    pub fn get_pin_mut(self: Pin<&mut Self>) -> Pin<&mut T> {
        self.project().inner.as_pin_mut().expect(DROPPED)
    }

    /// Unwraps the value.
    pub fn into_inner(self) -> T {
        let mut this = self;
        this.inner.take().expect(DROPPED)
    }

    /// The wrapped value and the seek state, projected from a pinned wrapper.
    #[cfg(feature = "tokio-io")]
    pub(super) fn parts(self: Pin<&mut Self>) -> Parts<'_, T> {
        let this = self.project();
        (
            this.inner.as_pin_mut().expect(DROPPED),
            this.seek_target,
            this.seek_started,
        )
    }
}

impl<T: fmt::Debug> fmt::Debug for Compat<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Compat").field(&self.inner).finish()
    }
}

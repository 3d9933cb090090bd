//! Task-local storage: [`task_local!`](crate::task_local), [`LocalKey`] and
//! [`TaskLocalFuture`].
//!
//! A key is a thread-local `RefCell<Option<T>>`, empty outside every scope. The value of a scope
//! lives in its [`TaskLocalFuture`], not in the thread-local: each poll of the future (and its
//! drop) swaps the value into the thread-local, runs, and swaps it back out, through a guard
//! whose `Drop` does the swap, so that a panic restores the previous contents too. Whatever
//! thread polls a task, and whatever other tasks that thread polls in between, each task sees
//! only the value of its own scope, and nested scopes of one key see the innermost value.
//!
//! Nothing here needs a runtime: the futures work under any executor.

use std::cell::RefCell;
use std::error::Error;
use std::future::Future;
use std::marker::PhantomPinned;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::{fmt, mem, thread};

use pin_project_lite::pin_project;

/// Declares task-local keys, each a [`LocalKey`](crate::task::LocalKey).
///
/// The macro takes any number of `static NAME: Type;` declarations; the visibility and the
/// attributes (doc comments included) of each are kept. A key holds no value by itself: a value
/// is set for the duration of a future with [`LocalKey::scope`](crate::task::LocalKey::scope),
/// or of a closure with [`LocalKey::sync_scope`](crate::task::LocalKey::sync_scope).
///
/// ```
/// evloop::task_local! {
///     /// The id of the request being served.
///     pub static REQUEST_ID: u64;
///
///     static USER: String;
/// }
///
/// # evloop::block_on(async {
/// let served = REQUEST_ID
///     .scope(7, async {
///         USER.scope("ada".to_string(), async {
///             evloop::task::yield_now().await;
///             format!("request {} for {}", REQUEST_ID.get(), USER.get())
///         })
///         .await
///     })
///     .await;
/// assert_eq!(served, "request 7 for ada");
/// assert!(REQUEST_ID.try_with(|_| ()).is_err());
/// # });
/// ```
#[macro_export]
macro_rules! task_local {
    () => {};

    ($(#[$attr:meta])* $vis:vis static $name:ident: $t:ty; $($rest:tt)*) => {
        $crate::__task_local_inner!($(#[$attr])* $vis $name, $t);
        $crate::task_local!($($rest)*);
    };

    ($(#[$attr:meta])* $vis:vis static $name:ident: $t:ty) => {
        $crate::__task_local_inner!($(#[$attr])* $vis $name, $t);
    };
}

/// Declares one key of [`task_local!`](crate::task_local).
#[doc(hidden)]
#[macro_export]
macro_rules! __task_local_inner {
    ($(#[$attr:meta])* $vis:vis $name:ident, $t:ty) => {
        $(#[$attr])*
        $vis static $name: $crate::task::LocalKey<$t> = {
            ::std::thread_local! {
                static __EVLOOP_TASK_LOCAL: ::std::cell::RefCell<::std::option::Option<$t>> =
                    const { ::std::cell::RefCell::new(::std::option::Option::None) };
            }

            $crate::task::LocalKey {
                inner: __EVLOOP_TASK_LOCAL,
            }
        };
    };
}

/// A key to task-local data, declared with [`task_local!`](crate::task_local).
///
/// Unlike [`std::thread::LocalKey`], a key has no initial value: a value exists only inside a
/// scope, set for a future by [`scope`](LocalKey::scope) (for every poll of that future, on
/// whatever thread polls it) or for a closure by [`sync_scope`](LocalKey::sync_scope). Inside a
/// scope, [`with`](LocalKey::with), [`try_with`](LocalKey::try_with) and
/// [`get`](LocalKey::get) reach the value of the innermost scope; outside every scope, `with` and
/// `get` panic and `try_with` returns an [`AccessError`].
///
/// ```
/// evloop::task_local! {
///     static NUMBER: u32;
/// }
///
/// # evloop::block_on(async {
/// NUMBER
///     .scope(1, async {
///         assert_eq!(NUMBER.get(), 1);
///         NUMBER
///             .scope(2, async {
///                 assert_eq!(NUMBER.get(), 2);
///             })
///             .await;
///         assert_eq!(NUMBER.get(), 1);
///     })
///     .await;
/// # });
/// ```
pub struct LocalKey<T: 'static> {
    /// The thread-local that holds the value while a scope's future or closure runs.
    #[doc(hidden)]
    pub inner: thread::LocalKey<RefCell<Option<T>>>,
}

impl<T: 'static> LocalKey<T> {
    /// Sets `value` as this key's value for the future `f`: the returned future polls `f` with
    /// the value set, and drops `f` with the value set too.
    ///
    /// The value lives in the returned [`TaskLocalFuture`], and is dropped with it (or taken
    /// with [`TaskLocalFuture::take_value`]). Between polls it is set nowhere, so the other
    /// tasks of the thread never see it, and the task may move to another thread.
    ///
    /// # Panics
    /// Polling the returned future inside [`with`](LocalKey::with) or
    /// [`try_with`](LocalKey::try_with) of the same key panics.
    ///
    /// ```
    /// evloop::task_local! {
    ///     static NUMBER: u32;
    /// }
    ///
    /// # evloop::block_on(async {
    /// let task = evloop::spawn(NUMBER.scope(5, async {
    ///     evloop::task::yield_now().await;
    ///     NUMBER.get() * 2
    /// }));
    /// assert_eq!(task.await.unwrap(), 10);
    /// # });
    /// ```
    pub fn scope<F>(&'static self, value: T, f: F) -> TaskLocalFuture<T, F>
    where
        F: Future,
    {
        TaskLocalFuture {
            local: self,
            slot: Some(value),
            future: Some(f),
            _pinned: PhantomPinned,
        }
    }

    /// Sets `value` as this key's value while the closure `f` runs, then drops it.
    ///
    /// # Panics
    /// Inside [`with`](LocalKey::with) or [`try_with`](LocalKey::try_with) of the same key.
    ///
    /// ```
    /// evloop::task_local! {
    ///     static NUMBER: u32;
    /// }
    ///
    /// let doubled = NUMBER.sync_scope(21, || NUMBER.get() * 2);
    /// assert_eq!(doubled, 42);
    /// ```
    #[track_caller]
    pub fn sync_scope<F, R>(&'static self, value: T, f: F) -> R
    where
        F: FnOnce() -> R,
    {
        let mut slot = Some(value);
        match self.scope_inner(&mut slot, f) {
            Ok(result) => result,
            Err(err) => err.panic(),
        }
    }

    /// Runs `f` with `slot`'s contents swapped into the thread-local, and swaps them back
    /// afterwards, even if `f` panics.
    fn scope_inner<F, R>(&'static self, slot: &mut Option<T>, f: F) -> Result<R, ScopeError>
    where
        F: FnOnce() -> R,
    {
        /// Swaps the value back out of the thread-local when dropped.
        struct Restore<'a, T: 'static> {
            local: &'static LocalKey<T>,
            slot: &'a mut Option<T>,
        }

        impl<T: 'static> Drop for Restore<'_, T> {
            fn drop(&mut self) {
                // Neither step can fail. The thread-local was alive when the scope began and
                // lives as long as its thread. It was not borrowed then, and every borrow of it
                // (in `try_with`, or a nested scope's own swap) ends before the code that took
                // it returns or unwinds: no borrow outlives `f`.
                self.local.inner.with(|cell| {
                    mem::swap(self.slot, &mut *cell.borrow_mut());
                });
            }
        }

        self.inner
            .try_with(|cell| {
                cell.try_borrow_mut()
                    .map(|mut current| mem::swap(slot, &mut *current))
            })
            .map_err(|_| ScopeError::Destroyed)?
            .map_err(|_| ScopeError::Borrowed)?;

        let restore = Restore { local: self, slot };
        let result = f();
        drop(restore);
        Ok(result)
    }

    /// Runs `f` with a reference to this key's current value.
    ///
    /// # Panics
    /// Outside every scope of this key (see [`try_with`](LocalKey::try_with) for the variant
    /// that returns an error instead).
    ///
    /// ```
    /// evloop::task_local! {
    ///     static NAME: String;
    /// }
    ///
    /// NAME.sync_scope("evloop".to_string(), || {
    ///     assert_eq!(NAME.with(|name| name.len()), 6);
    /// });
    /// ```
    #[track_caller]
    pub fn with<F, R>(&'static self, f: F) -> R
    where
        F: FnOnce(&T) -> R,
    {
        match self.try_with(f) {
            Ok(result) => result,
            Err(_) => panic!("cannot access a task-local storage value without setting it first"),
        }
    }

    /// Runs `f` with a reference to this key's current value, or returns an [`AccessError`]
    /// outside every scope of this key.
    ///
    /// ```
    /// evloop::task_local! {
    ///     static NUMBER: u32;
    /// }
    ///
    /// assert!(NUMBER.try_with(|n| *n).is_err());
    /// assert_eq!(NUMBER.sync_scope(3, || NUMBER.try_with(|n| *n)), Ok(3));
    /// ```
    pub fn try_with<F, R>(&'static self, f: F) -> Result<R, AccessError>
    where
        F: FnOnce(&T) -> R,
    {
        // A thread-local already destroyed holds no scope's value: that is "not set" as well.
        // The shared borrow cannot fail: the only mutable borrows are the swaps of
        // `scope_inner`, which run no other code while they hold it.
        let result = self.inner.try_with(|cell| cell.borrow().as_ref().map(f));
        match result {
            Ok(Some(result)) => Ok(result),
            Ok(None) | Err(_) => Err(AccessError { _private: () }),
        }
    }
}

impl<T: Clone + 'static> LocalKey<T> {
    /// Returns a clone of this key's current value.
    ///
    /// # Panics
    /// Outside every scope of this key (see [`try_get`](LocalKey::try_get) for the variant
    /// that returns an error instead).
    ///
    /// ```
    /// evloop::task_local! {
    ///     static NUMBER: u32;
    /// }
    ///
    /// assert_eq!(NUMBER.sync_scope(9, || NUMBER.get()), 9);
    /// ```
    #[track_caller]
    pub fn get(&'static self) -> T {
        self.with(T::clone)
    }

    /// Returns a clone of this key's current value, or an [`AccessError`] outside every scope
    /// of this key.
    ///
    /// ```
    /// evloop::task_local! {
    ///     static NUMBER: u32;
    /// }
    ///
    /// assert!(NUMBER.try_get().is_err());
    /// assert_eq!(NUMBER.sync_scope(9, || NUMBER.try_get()), Ok(9));
    /// ```
    pub fn try_get(&'static self) -> Result<T, AccessError> {
        self.try_with(T::clone)
    }
}

impl<T: 'static> fmt::Debug for LocalKey<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad("LocalKey { .. }")
    }
}

pin_project! {
    /// A future that runs the future `F` with a value of a task-local key set; made by
    /// [`LocalKey::scope`].
    ///
    /// Its output is `F`'s. The value is set during each poll of `F` and while `F` is dropped;
    /// it is dropped with this future, unless taken out first with
    /// [`take_value`](TaskLocalFuture::take_value).
    ///
    /// ```
    /// use evloop::task::futures::TaskLocalFuture;
    ///
    /// evloop::task_local! {
    ///     static NUMBER: u32;
    /// }
    ///
    /// # evloop::block_on(async {
    /// let future: TaskLocalFuture<u32, _> = NUMBER.scope(4, async { NUMBER.get() + 1 });
    /// assert_eq!(future.await, 5);
    /// # });
    /// ```
    pub struct TaskLocalFuture<T, F>
    where
        T: 'static,
    {
        local: &'static LocalKey<T>,
        // The value, while it is not swapped into the thread-local (between polls).
        slot: Option<T>,
        // `None` once `F` has completed (dropped then, with the value set).
        #[pin]
        future: Option<F>,
        // As tokio's: the future is `!Unpin` whatever `F` is.
        #[pin]
        _pinned: PhantomPinned,
    }

    impl<T: 'static, F> PinnedDrop for TaskLocalFuture<T, F> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            if mem::needs_drop::<F>() && this.future.is_some() {
                // Drop `F` with the value set if the thread-local can be entered; if it cannot
                // (the thread is exiting, or this drop runs inside `with` of the same key),
                // `F` is dropped without it when the field drops.
                let mut future = this.future;
                let _ = this.local.scope_inner(this.slot, || future.set(None));
            }
        }
    }
}

impl<T: 'static, F> TaskLocalFuture<T, F> {
    /// Takes the value out of this future: `Some` the first time, `None` after that.
    ///
    /// This works whether or not the inner future has completed; taken before, the value is no
    /// longer set for the inner future's later polls (nor for its drop).
    ///
    /// ```
    /// evloop::task_local! {
    ///     static NUMBER: u32;
    /// }
    ///
    /// # evloop::block_on(async {
    /// let mut future = Box::pin(NUMBER.scope(42, async { NUMBER.get() }));
    /// assert_eq!(future.as_mut().await, 42);
    /// assert_eq!(future.as_mut().take_value(), Some(42));
    /// assert_eq!(future.as_mut().take_value(), None);
    /// # });
    /// ```
    pub fn take_value(self: Pin<&mut Self>) -> Option<T> {
        self.project().slot.take()
    }
}

impl<T: 'static, F: Future> Future for TaskLocalFuture<T, F> {
    type Output = F::Output;

    #[track_caller]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let mut future = this.future;
        let polled = this
            .local
            .scope_inner(this.slot, || match future.as_mut().as_pin_mut() {
                Some(inner) => {
                    let poll = inner.poll(cx);
                    if poll.is_ready() {
                        // Drop the finished future while the value is still set.
                        future.set(None);
                    }
                    Some(poll)
                }
                None => None,
            });
        match polled {
            Ok(Some(poll)) => poll,
            Ok(None) => panic!("`TaskLocalFuture` polled after completion"),
            Err(err) => err.panic(),
        }
    }
}

impl<T: fmt::Debug + 'static, F> fmt::Debug for TaskLocalFuture<T, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        /// The value without `Some(..)` around it.
        struct Value<'a, T>(&'a Option<T>);

        impl<T: fmt::Debug> fmt::Debug for Value<'_, T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self.0 {
                    Some(value) => value.fmt(f),
                    // Taken with `take_value`, or being polled (formatted from inside).
                    None => f.pad("<missing>"),
                }
            }
        }

        f.debug_struct("TaskLocalFuture")
            .field("value", &Value(&self.slot))
            .finish()
    }
}

/// The error of [`LocalKey::try_with`] and [`LocalKey::try_get`] outside every scope of the
/// key.
///
/// ```
/// evloop::task_local! {
///     static NUMBER: u32;
/// }
///
/// let err = NUMBER.try_get().unwrap_err();
/// assert_eq!(err.to_string(), "task-local value not set");
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct AccessError {
    _private: (),
}

impl fmt::Debug for AccessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessError").finish()
    }
}

impl fmt::Display for AccessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad("task-local value not set")
    }
}

impl Error for AccessError {}

/// Why a scope could not be entered.
enum ScopeError {
    /// The thread-local is borrowed: inside `with`/`try_with` of the same key.
    Borrowed,
    /// The thread-local has been destroyed: the thread is exiting.
    Destroyed,
}

impl ScopeError {
    #[track_caller]
    fn panic(&self) -> ! {
        match self {
            ScopeError::Borrowed => panic!(
                "cannot enter a task-local scope while the task-local storage is borrowed \
                 (inside `with` or `try_with` of the same key)"
            ),
            ScopeError::Destroyed => panic!(
                "cannot enter a task-local scope during or after destruction of the underlying \
                 thread-local"
            ),
        }
    }
}

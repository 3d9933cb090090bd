use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::pin;
use std::sync::OnceLock;

use super::context;
use super::inner::{RuntimeInner, Scheduler};
use super::{Builder, Runtime, RuntimeFlavor, RuntimeMetrics};
use crate::scheduler::current_thread::park_on;
use crate::task::JoinHandle;
use std::sync::Arc;

/// A cheap, clonable reference to a runtime: spawn on it, block on it, enter it.
///
/// A `Handle` does not keep the runtime's threads alive: once the [`Runtime`] is dropped, tasks
/// spawned through a handle are cancelled at once.
#[derive(Clone)]
pub struct Handle {
    pub(crate) inner: Arc<RuntimeInner>,
}

/// The error of [`Handle::try_current`]: the thread is not inside a runtime.
#[derive(Debug)]
pub struct TryCurrentError(());

impl fmt::Display for TryCurrentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("there is no evloop runtime on this thread")
    }
}

impl std::error::Error for TryCurrentError {}

/// Keeps a runtime current on this thread (see [`Handle::enter`]) until dropped.
#[must_use = "the runtime is current only while the guard is alive"]
pub struct EnterGuard<'a> {
    _guard: context::SetCurrentGuard,
    _not_send: PhantomData<(&'a Handle, *const ())>,
}

impl fmt::Debug for EnterGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnterGuard").finish_non_exhaustive()
    }
}

impl Handle {
    /// The handle of the runtime this thread is in.
    ///
    /// # Panics
    /// Outside a runtime (not on one of its threads, not inside its `block_on` or `enter`); see
    /// [`Handle::try_current`] for the non-panicking form.
    ///
    /// ```
    /// let rt = evloop::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let handle = evloop::runtime::Handle::current();
    ///     assert_eq!(handle.spawn(async { 1 }).await.unwrap(), 1);
    /// });
    /// ```
    #[track_caller]
    pub fn current() -> Handle {
        match context::current() {
            Some(handle) => handle,
            None => panic!(
                "there is no evloop runtime on this thread: call this from inside \
                 `Runtime::block_on`, a spawned task, or after `Handle::enter`"
            ),
        }
    }

    /// The handle of the runtime this thread is in, or an error outside any runtime.
    pub fn try_current() -> Result<Handle, TryCurrentError> {
        context::current().ok_or(TryCurrentError(()))
    }

    /// The current runtime's handle, or the global runtime's outside any.
    pub(crate) fn current_or_global() -> Handle {
        context::current().unwrap_or_else(|| Handle::global().clone())
    }

    /// The global runtime behind `evloop::spawn` outside any runtime, started on first use.
    pub(crate) fn global() -> &'static Handle {
        static GLOBAL: OnceLock<Runtime> = OnceLock::new();
        GLOBAL
            .get_or_init(|| {
                let mut builder = Builder::new_multi_thread();
                builder.thread_name("evloop-global");
                match builder.build() {
                    Ok(rt) => rt,
                    Err(err) => panic!("failed to start the global evloop runtime: {err}"),
                }
            })
            .handle()
    }

    /// Spawns a task on this runtime; see [`crate::spawn`].
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.spawn_inner(future)
    }

    pub(crate) fn spawn_inner<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.inner.spawn(future)
    }

    /// Runs a blocking closure on this runtime's blocking pool; see
    /// [`crate::task::spawn_blocking`].
    #[track_caller]
    pub fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.spawn_blocking_inner(f)
    }

    pub(crate) fn spawn_blocking_inner<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.inner.spawn_blocking(f)
    }

    /// Runs `future` to completion on the current thread, with this runtime current.
    ///
    /// On a multi-thread runtime the future is polled on the calling thread while spawned tasks
    /// run on the workers. On a current-thread runtime the calling thread also runs the tasks.
    ///
    /// # Panics
    /// If called from a thread that drives a runtime's tasks (a worker, or inside another
    /// `block_on`): blocking that thread could stall the very tasks the future waits for.
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        let _block_on = context::enter_block_on();
        let _current = context::set_current(self.clone());
        match &self.inner.scheduler {
            Scheduler::MultiThread(_) => park_on(future),
            Scheduler::CurrentThread(shared) => {
                let mut future = pin!(future);
                shared.block_on(&self.inner, |cx| future.as_mut().poll(cx))
            }
        }
    }

    /// Makes this runtime current on this thread until the guard is dropped, so that
    /// [`crate::spawn`] and [`Handle::current`] find it.
    ///
    /// ```
    /// let rt = evloop::runtime::Runtime::new().unwrap();
    /// let _guard = rt.enter();
    /// let handle = evloop::spawn(async { 5 });
    /// assert_eq!(rt.block_on(handle).unwrap(), 5);
    /// ```
    pub fn enter(&self) -> EnterGuard<'_> {
        EnterGuard {
            _guard: context::set_current(self.clone()),
            _not_send: PhantomData,
        }
    }

    /// Counters describing this runtime; see [`RuntimeMetrics`].
    pub fn metrics(&self) -> RuntimeMetrics {
        RuntimeMetrics::new(self.inner.clone())
    }

    /// Which scheduler this runtime uses.
    pub fn runtime_flavor(&self) -> RuntimeFlavor {
        match &self.inner.scheduler {
            Scheduler::MultiThread(_) => RuntimeFlavor::MultiThread,
            Scheduler::CurrentThread(_) => RuntimeFlavor::CurrentThread,
        }
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle")
            .field("flavor", &self.runtime_flavor())
            .finish_non_exhaustive()
    }
}

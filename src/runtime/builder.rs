use std::fmt;
use std::io;
use std::sync::{OnceLock, Weak};
use std::time::Duration;

use super::inner::{RuntimeInner, Scheduler};
use super::{context, Handle, Runtime};
use crate::blocking::{BlockingConfig, BlockingPool};
use crate::reactor::Driver;
use crate::scheduler::{current_thread, multi_thread};
use std::sync::Arc;

use super::workers::{Callback, ThreadNameFn, WorkerThreads};

/// Default cap on blocking-pool threads: generous, because blocking threads mostly sleep in
/// system calls; matches tokio so that ported programs behave the same.
pub(crate) const DEFAULT_MAX_BLOCKING_THREADS: usize = 512;

/// Default idle time after which a blocking-pool thread exits: long enough to absorb bursts of
/// file I/O without respawning threads, short enough that an idle program gives them back.
pub(crate) const DEFAULT_KEEP_ALIVE: Duration = Duration::from_secs(10);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    MultiThread,
    CurrentThread,
}

/// Configures and builds a [`Runtime`].
///
/// Setters take and return `&mut Self`, as tokio's do.
///
/// ```
/// use evloop::runtime::Builder;
///
/// let rt = Builder::new_multi_thread()
///     .worker_threads(2)
///     .thread_name("my-worker")
///     .enable_all()
///     .build()
///     .unwrap();
/// assert_eq!(rt.metrics().num_workers(), 2);
/// ```
pub struct Builder {
    kind: Kind,
    worker_threads: Option<usize>,
    max_blocking_threads: usize,
    thread_name: ThreadNameFn,
    thread_stack_size: Option<usize>,
    keep_alive: Duration,
    on_thread_start: Option<Callback>,
    on_thread_stop: Option<Callback>,
    start_paused: bool,
}

impl fmt::Debug for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("kind", &self.kind)
            .field("worker_threads", &self.worker_threads)
            .field("max_blocking_threads", &self.max_blocking_threads)
            .field("thread_stack_size", &self.thread_stack_size)
            .field("keep_alive", &self.keep_alive)
            .finish_non_exhaustive()
    }
}

impl Builder {
    /// A builder for the multi-threaded, work-stealing runtime (one worker per core unless
    /// [`Builder::worker_threads`] says otherwise).
    pub fn new_multi_thread() -> Builder {
        Builder::new(Kind::MultiThread)
    }

    /// A builder for the current-thread runtime: tasks run on the thread that calls `block_on`
    /// or `run`.
    pub fn new_current_thread() -> Builder {
        Builder::new(Kind::CurrentThread)
    }

    fn new(kind: Kind) -> Builder {
        Builder {
            kind,
            worker_threads: None,
            max_blocking_threads: DEFAULT_MAX_BLOCKING_THREADS,
            thread_name: Arc::new(|| "evloop-worker".to_string()),
            thread_stack_size: None,
            keep_alive: DEFAULT_KEEP_ALIVE,
            on_thread_start: None,
            on_thread_stop: None,
            start_paused: false,
        }
    }

    /// Number of worker threads (multi-thread runtime only; ignored by the current-thread one).
    /// Defaults to the number of cores. Zero is refused by [`Builder::build`].
    pub fn worker_threads(&mut self, n: usize) -> &mut Self {
        self.worker_threads = Some(n);
        self
    }

    /// Maximum number of threads in the blocking pool (default 512). Zero is refused by
    /// [`Builder::build`].
    pub fn max_blocking_threads(&mut self, n: usize) -> &mut Self {
        self.max_blocking_threads = n;
        self
    }

    /// Name of the runtime's threads (default `"evloop-worker"`).
    pub fn thread_name(&mut self, name: impl Into<String>) -> &mut Self {
        let name = name.into();
        self.thread_name = Arc::new(move || name.clone());
        self
    }

    /// A function that names each new runtime thread.
    pub fn thread_name_fn<F>(&mut self, f: F) -> &mut Self
    where
        F: Fn() -> String + Send + Sync + 'static,
    {
        self.thread_name = Arc::new(f);
        self
    }

    /// Stack size of the runtime's threads, in bytes (default: the platform's).
    pub fn thread_stack_size(&mut self, bytes: usize) -> &mut Self {
        self.thread_stack_size = Some(bytes);
        self
    }

    /// How long an idle blocking-pool thread waits for work before it exits (default 10 s).
    pub fn thread_keep_alive(&mut self, duration: Duration) -> &mut Self {
        self.keep_alive = duration;
        self
    }

    /// Runs `f` on each runtime thread (worker or blocking) when it starts.
    pub fn on_thread_start<F>(&mut self, f: F) -> &mut Self
    where
        F: Fn() + Send + Sync + 'static,
    {
        self.on_thread_start = Some(Arc::new(f));
        self
    }

    /// Runs `f` on each runtime thread (worker or blocking) before it stops.
    pub fn on_thread_stop<F>(&mut self, f: F) -> &mut Self
    where
        F: Fn() + Send + Sync + 'static,
    {
        self.on_thread_stop = Some(Arc::new(f));
        self
    }

    /// Accepted for source compatibility with tokio: I/O and time are always enabled.
    pub fn enable_all(&mut self) -> &mut Self {
        self
    }

    /// Accepted for source compatibility with tokio: I/O is always enabled.
    pub fn enable_io(&mut self) -> &mut Self {
        self
    }

    /// Accepted for source compatibility with tokio: timers are always enabled.
    pub fn enable_time(&mut self) -> &mut Self {
        self
    }

    /// Starts the runtime with time paused (current-thread runtime only); see
    /// [`time::pause`](crate::time::pause). `build` refuses it for a multi-thread runtime.
    pub fn start_paused(&mut self, paused: bool) -> &mut Self {
        self.start_paused = paused;
        self
    }

    /// Creates the runtime and starts its threads.
    ///
    /// # Errors
    /// `InvalidInput` for zero worker or blocking threads or `start_paused` on a multi-thread
    /// runtime; the
    /// operating system's error if a thread cannot be started.
    pub fn build(&mut self) -> io::Result<Runtime> {
        if self.worker_threads == Some(0) {
            return Err(invalid("worker_threads must be at least 1"));
        }
        if self.max_blocking_threads == 0 {
            return Err(invalid("max_blocking_threads must be at least 1"));
        }
        if self.start_paused && self.kind == Kind::MultiThread {
            return Err(invalid("start_paused needs a current_thread runtime"));
        }
        let num_workers = self.worker_threads.unwrap_or_else(default_worker_threads);
        let driver = Arc::new(Driver::with_timer_wheels(match self.kind {
            Kind::MultiThread => num_workers,
            _ => 1,
        })?);
        if self.start_paused {
            driver.pause();
        }
        let scheduler = match self.kind {
            Kind::MultiThread => {
                Scheduler::MultiThread(multi_thread::Shared::new(num_workers, driver.clone()))
            }
            Kind::CurrentThread => {
                Scheduler::CurrentThread(current_thread::Shared::new(driver.clone()))
            }
        };

        // Blocking threads enter the runtime's context; the runtime does not exist yet, so they
        // find it through this cell, filled right below. The cell holds a weak reference: the
        // pool (inside the runtime) owns this closure, and a strong one would be a cycle.
        let cell: Arc<OnceLock<Weak<RuntimeInner>>> = Arc::new(OnceLock::new());
        let start = {
            let cell = cell.clone();
            let user = self.on_thread_start.clone();
            Arc::new(move || {
                if let Some(inner) = cell.get().and_then(Weak::upgrade) {
                    // For the thread's whole life: it exits before the runtime is gone.
                    std::mem::forget(context::set_current(Handle { inner }));
                }
                if let Some(user) = &user {
                    user();
                }
            }) as Callback
        };
        let blocking = BlockingPool::new(BlockingConfig {
            max_threads: self.max_blocking_threads,
            keep_alive: self.keep_alive,
            thread_name: self.thread_name.clone(),
            stack_size: self.thread_stack_size,
            on_thread_start: Some(start),
            on_thread_stop: self.on_thread_stop.clone(),
        });
        let workers = WorkerThreads::new(
            self.thread_name.clone(),
            self.thread_stack_size,
            self.on_thread_start.clone(),
            self.on_thread_stop.clone(),
        );
        let inner = Arc::new(RuntimeInner::new(scheduler, driver, blocking, workers));
        let _ = cell.set(Arc::downgrade(&inner));
        let handle = Handle { inner };

        let mut runtime = Runtime::from_parts(handle.clone());
        if self.kind == Kind::MultiThread {
            for index in 0..num_workers {
                // On failure `runtime` is dropped, which shuts down the workers already started.
                let thread = handle.inner.workers.spawn(&handle, index)?;
                runtime.push_worker(thread);
            }
        }
        Ok(runtime)
    }
}

fn invalid(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg)
}

fn default_worker_threads() -> usize {
    std::env::var("EVLOOP_WORKER_THREADS")
        .ok()
        .and_then(|s| s.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        })
}

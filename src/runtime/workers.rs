//! Starting the worker threads of a multi-thread runtime: all of them when it is built, and one
//! more each time `block_in_place` hands a worker to a new thread.

use std::fmt;
use std::io;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle as ThreadHandle;

use super::{context, Handle};
use crate::scheduler::multi_thread;

pub(crate) type Callback = Arc<dyn Fn() + Send + Sync>;
pub(crate) type ThreadNameFn = Arc<dyn Fn() -> String + Send + Sync>;

/// How a runtime's worker threads are started (the builder's thread settings), and the threads
/// started after the runtime was built, which shutdown joins.
pub(crate) struct WorkerThreads {
    pub(crate) name: ThreadNameFn,
    pub(crate) stack_size: Option<usize>,
    pub(crate) on_start: Option<Callback>,
    pub(crate) on_stop: Option<Callback>,
    /// Threads started by `block_in_place` hand-offs and not joined yet.
    replacements: Mutex<Vec<ThreadHandle<()>>>,
}

impl fmt::Debug for WorkerThreads {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorkerThreads")
            .field("stack_size", &self.stack_size)
            .finish_non_exhaustive()
    }
}

impl WorkerThreads {
    pub(crate) fn new(
        name: ThreadNameFn,
        stack_size: Option<usize>,
        on_start: Option<Callback>,
        on_stop: Option<Callback>,
    ) -> WorkerThreads {
        WorkerThreads {
            name,
            stack_size,
            on_start,
            on_stop,
            replacements: Mutex::new(Vec::new()),
        }
    }

    /// Starts a thread that runs worker `index` of `handle`'s runtime, with the runtime current
    /// and the start and stop hooks around the worker loop.
    pub(crate) fn spawn(&self, handle: &Handle, index: usize) -> io::Result<ThreadHandle<()>> {
        let mut builder = std::thread::Builder::new().name((self.name)());
        if let Some(size) = self.stack_size {
            builder = builder.stack_size(size);
        }
        let handle = handle.clone();
        let on_start = self.on_start.clone();
        let on_stop = self.on_stop.clone();
        builder.spawn(move || {
            let _current = context::set_current(handle.clone());
            if let Some(f) = &on_start {
                f();
            }
            multi_thread::run_worker(&handle.inner, index);
            if let Some(f) = &on_stop {
                f();
            }
        })
    }

    /// Starts a thread for worker `index`, taken over from a thread that blocks in
    /// `block_in_place`, and keeps its handle for shutdown. Joins the replacements that have
    /// finished meanwhile, so the list stays as short as the number of live ones.
    pub(crate) fn spawn_replacement(&self, handle: &Handle, index: usize) -> io::Result<()> {
        let thread = self.spawn(handle, index)?;
        let finished = {
            let mut threads = self
                .replacements
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let (finished, live) = std::mem::take(&mut *threads)
                .into_iter()
                .partition(|thread: &ThreadHandle<()>| thread.is_finished());
            *threads = live;
            threads.push(thread);
            finished
        };
        for thread in finished {
            let _ = thread.join();
        }
        Ok(())
    }

    /// The replacement threads not joined yet.
    pub(crate) fn take_replacements(&self) -> Vec<ThreadHandle<()>> {
        std::mem::take(
            &mut *self
                .replacements
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        )
    }
}

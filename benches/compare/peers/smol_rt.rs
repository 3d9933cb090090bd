//! smol, configured as its users configure it: one `async_executor::Executor`
//! shared by N threads, each running `async_io::block_on(ex.run(shutdown))`.
//!
//! Tasks reach the executor through a thread-local set on every executor
//! thread and, for the duration of `block_on`, on the calling thread (the
//! same kind of lookup `tokio::spawn` does). With one worker no thread is
//! started: `block_on` runs the executor on the calling thread, the analogue
//! of tokio's current-thread runtime.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::thread::JoinHandle;

use async_executor::Executor;

use crate::rt::Runtime;

thread_local! {
    static CURRENT: RefCell<Option<Arc<Executor<'static>>>> = const { RefCell::new(None) };
}

/// Makes `ex` the current executor of this thread until dropped.
struct Enter {
    previous: Option<Arc<Executor<'static>>>,
}

impl Enter {
    fn new(ex: &Arc<Executor<'static>>) -> Self {
        let previous = CURRENT.with(|c| c.borrow_mut().replace(ex.clone()));
        Enter { previous }
    }
}

impl Drop for Enter {
    fn drop(&mut self) {
        CURRENT.with(|c| *c.borrow_mut() = self.previous.take());
    }
}

fn with_current<R>(f: impl FnOnce(&Executor<'static>) -> R) -> R {
    CURRENT.with(|c| {
        let c = c.borrow();
        f(c.as_ref().expect("smol spawn called outside the runtime"))
    })
}

pub struct SmolRt {
    ex: Arc<Executor<'static>>,
    shutdown: Arc<Shutdown>,
    threads: Vec<JoinHandle<()>>,
    single: bool,
}

impl Runtime for SmolRt {
    const NAME: &'static str = "smol";
    fn new(workers: usize) -> Self {
        let ex = Arc::new(Executor::new());
        let shutdown = Arc::new(Shutdown::default());
        let single = workers == 1;
        let threads = if single {
            Vec::new()
        } else {
            (0..workers)
                .map(|i| {
                    let ex = ex.clone();
                    let shutdown = shutdown.clone();
                    std::thread::Builder::new()
                        .name(format!("smol-worker-{i}"))
                        .spawn(move || {
                            let _enter = Enter::new(&ex);
                            async_io::block_on(ex.run(shutdown.wait()));
                        })
                        .expect("spawn smol worker thread")
                })
                .collect()
        };
        SmolRt {
            ex,
            shutdown,
            threads,
            single,
        }
    }

    fn describe(workers: usize) -> String {
        let base = if workers == 1 {
            "async_executor::Executor run by the calling thread in async_io::block_on".to_string()
        } else {
            format!(
                "async_executor::Executor run by {workers} threads in async_io::block_on(ex.run(shutdown)); caller drives block_on"
            )
        };
        format!("{base}; blocking work on the `blocking` crate's pool")
    }

    fn block_on<F: Future>(&self, f: F) -> F::Output {
        let _enter = Enter::new(&self.ex);
        if self.single {
            async_io::block_on(self.ex.run(f))
        } else {
            async_io::block_on(f)
        }
    }

    fn spawn_remote<F>(&self, f: F) -> impl Future<Output = F::Output> + Send + 'static
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.ex.spawn(f)
    }

    fn spawn<F>(f: F) -> impl Future<Output = F::Output> + Send + 'static
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        with_current(|ex| ex.spawn(f))
    }

    fn spawn_detached<F>(f: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        with_current(|ex| ex.spawn(f).detach());
    }

    fn yield_now() -> impl Future<Output = ()> + Send {
        futures_lite::future::yield_now()
    }

    fn spawn_blocking<F, T>(f: F) -> impl Future<Output = T> + Send + 'static
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        // smol's pool for blocking work is the `blocking` crate.
        blocking::unblock(f)
    }
}

impl Drop for SmolRt {
    fn drop(&mut self) {
        self.shutdown.trigger();
        for t in self.threads.drain(..) {
            t.join().expect("smol worker thread panicked");
        }
    }
}

/// A one-shot broadcast: every `wait()` future completes once `trigger()` ran.
#[derive(Default)]
struct Shutdown {
    state: Mutex<(bool, Vec<Waker>)>,
}

impl Shutdown {
    fn trigger(&self) {
        let wakers = {
            let mut state = self.state.lock().unwrap();
            state.0 = true;
            std::mem::take(&mut state.1)
        };
        wakers.into_iter().for_each(Waker::wake);
    }

    fn wait(&self) -> impl Future<Output = ()> + '_ {
        ShutdownWait { signal: self }
    }
}

struct ShutdownWait<'a> {
    signal: &'a Shutdown,
}

impl Future for ShutdownWait<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = self.signal.state.lock().unwrap();
        if state.0 {
            return Poll::Ready(());
        }
        if !state.1.iter().any(|w| w.will_wake(cx.waker())) {
            state.1.push(cx.waker().clone());
        }
        Poll::Pending
    }
}

//! smol, configured as its users configure it: one `async_executor::Executor`
//! shared by N threads, each running `async_io::block_on(ex.run(shutdown))`.
//!
//! Tasks reach the executor through a thread-local set on every executor
//! thread and, for the duration of `block_on`, on the calling thread (the
//! same kind of lookup `tokio::spawn` does). With one worker no thread is
//! started: `block_on` runs the executor on the calling thread, the analogue
//! of tokio's current-thread runtime.
//!
//! Timers are `async_io::Timer`s (a timeout is the inner future raced
//! against a timer with `futures_lite::FutureExt::or`), TCP is `async_net`
//! (the `futures-io` traits, through `futures-lite`'s extension traits), and
//! files are read with `std::fs::read` on the `blocking` crate's pool
//! (`blocking::unblock`), which is what `async-fs` does too.

use std::cell::RefCell;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::thread::JoinHandle;
use std::time::Duration;

use async_executor::Executor;
use futures_lite::{AsyncReadExt, AsyncWriteExt, FutureExt};

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
    workers: usize,
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
            workers,
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

    fn workers(&self) -> usize {
        self.workers
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

    async fn sleep(d: Duration) {
        async_io::Timer::after(d).await;
    }

    async fn timeout<F>(d: Duration, f: F) -> Option<F::Output>
    where
        F: Future + Send,
        F::Output: Send,
    {
        // The timer is made with the timeout, as tokio's and evloop's are, so
        // the deadline counts from the call (not from `f`'s first poll).
        let timer = async_io::Timer::after(d);
        async { Some(f.await) }
            .or(async {
                timer.await;
                None
            })
            .await
    }

    type Listener = async_net::TcpListener;
    type Stream = async_net::TcpStream;

    fn bind(addr: SocketAddr) -> impl Future<Output = io::Result<Self::Listener>> + Send {
        async_net::TcpListener::bind(addr)
    }

    fn local_addr(listener: &Self::Listener) -> io::Result<SocketAddr> {
        listener.local_addr()
    }

    async fn accept(listener: &Self::Listener) -> io::Result<Self::Stream> {
        listener.accept().await.map(|(stream, _)| stream)
    }

    fn connect(addr: SocketAddr) -> impl Future<Output = io::Result<Self::Stream>> + Send {
        async_net::TcpStream::connect(addr)
    }

    fn set_nodelay(stream: &Self::Stream) -> io::Result<()> {
        stream.set_nodelay(true)
    }

    fn read<'a>(
        stream: &'a mut Self::Stream,
        buf: &'a mut [u8],
    ) -> impl Future<Output = io::Result<usize>> + Send + 'a {
        stream.read(buf)
    }

    fn read_exact<'a>(
        stream: &'a mut Self::Stream,
        buf: &'a mut [u8],
    ) -> impl Future<Output = io::Result<()>> + Send + 'a {
        stream.read_exact(buf)
    }

    fn write_all<'a>(
        stream: &'a mut Self::Stream,
        buf: &'a [u8],
    ) -> impl Future<Output = io::Result<()>> + Send + 'a {
        stream.write_all(buf)
    }

    // The same runtime-neutral `futures-io` adapter as evloop's peer: `HyperIo` is trait glue
    // only and works on any `futures-io` stream, `async_net`'s included.
    type HyperIo = evloop::compat::hyper::HyperIo<Self::Stream>;

    fn hyper_io(stream: Self::Stream) -> Self::HyperIo {
        evloop::compat::hyper::HyperIo::new(stream)
    }

    fn read_file(path: PathBuf) -> impl Future<Output = io::Result<Vec<u8>>> + Send + 'static {
        // smol has no file API of its own; `async-fs` runs `std::fs` calls on
        // the `blocking` crate's pool, which is what this does directly.
        blocking::unblock(move || std::fs::read(path))
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

//! evloop, configured as its users configure it: `evloop::time` for timers,
//! `evloop::net` for TCP (the `futures-io` traits, through `futures-lite`'s
//! extension traits), `evloop::fs` for files.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use futures_lite::{AsyncReadExt, AsyncWriteExt};

use crate::rt::Runtime;

pub struct EvloopRt {
    rt: evloop::runtime::Runtime,
    workers: usize,
}

impl Runtime for EvloopRt {
    const NAME: &'static str = "evloop";

    fn new(workers: usize) -> Self {
        let rt = if workers == 1 {
            evloop::runtime::Builder::new_current_thread().build()
        } else {
            evloop::runtime::Builder::new_multi_thread()
                .worker_threads(workers)
                .build()
        }
        .expect("build evloop runtime");
        EvloopRt { rt, workers }
    }

    fn describe(workers: usize) -> String {
        if workers == 1 {
            "Builder::new_current_thread()".to_string()
        } else {
            format!("Builder::new_multi_thread().worker_threads({workers})")
        }
    }

    fn workers(&self) -> usize {
        self.workers
    }

    fn block_on<F: Future>(&self, f: F) -> F::Output {
        self.rt.block_on(f)
    }

    fn spawn_remote<F>(&self, f: F) -> impl Future<Output = F::Output> + Send + 'static
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let handle = self.rt.spawn(f);
        async move { handle.await.expect("evloop task failed") }
    }

    fn spawn<F>(f: F) -> impl Future<Output = F::Output> + Send + 'static
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let handle = evloop::spawn(f);
        async move { handle.await.expect("evloop task failed") }
    }

    fn spawn_detached<F>(f: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        drop(evloop::spawn(f));
    }

    fn yield_now() -> impl Future<Output = ()> + Send {
        evloop::task::yield_now()
    }

    fn spawn_blocking<F, T>(f: F) -> impl Future<Output = T> + Send + 'static
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let handle = evloop::task::spawn_blocking(f);
        async move { handle.await.expect("evloop blocking task failed") }
    }

    fn sleep(d: Duration) -> impl Future<Output = ()> + Send {
        evloop::time::sleep(d)
    }

    async fn timeout<F>(d: Duration, f: F) -> Option<F::Output>
    where
        F: Future + Send,
        F::Output: Send,
    {
        evloop::time::timeout(d, f).await.ok()
    }

    type Listener = evloop::net::TcpListener;
    type Stream = evloop::net::TcpStream;

    fn bind(addr: SocketAddr) -> impl Future<Output = io::Result<Self::Listener>> + Send {
        evloop::net::TcpListener::bind(addr)
    }

    fn local_addr(listener: &Self::Listener) -> io::Result<SocketAddr> {
        listener.local_addr()
    }

    async fn accept(listener: &Self::Listener) -> io::Result<Self::Stream> {
        listener.accept().await.map(|(stream, _)| stream)
    }

    fn connect(addr: SocketAddr) -> impl Future<Output = io::Result<Self::Stream>> + Send {
        evloop::net::TcpStream::connect(addr)
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

    type HyperIo = evloop::compat::hyper::HyperIo<Self::Stream>;

    fn hyper_io(stream: Self::Stream) -> Self::HyperIo {
        evloop::compat::hyper::HyperIo::new(stream)
    }

    fn read_file(path: PathBuf) -> impl Future<Output = io::Result<Vec<u8>>> + Send + 'static {
        evloop::fs::read(path)
    }
}

//! The small runtime abstraction every workload is written against.
//!
//! Each peer implements [`Runtime`] with the calls its users would write
//! (`tokio::spawn`, `Executor::spawn`, `evloop::spawn`, `tokio::time::sleep`,
//! `async_net::TcpStream::connect`, ...). Workloads only use this trait, so
//! every peer runs identical workload code; the only per-peer code is the thin
//! mapping below each `impl Runtime`.
//!
//! I/O goes through associated types ([`Runtime::Listener`],
//! [`Runtime::Stream`]) and associated functions that hide which I/O traits a
//! peer uses: the `futures-io` traits (through `futures-lite`'s extension
//! traits) for evloop and smol, tokio's own `AsyncRead`/`AsyncWrite` for
//! tokio.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// A runtime under test.
///
/// Associated functions without `&self` (`spawn`, `yield_now`, `sleep`,
/// `connect`, ...) must be called from inside the runtime: from a future
/// passed to [`Runtime::block_on`] or from a task spawned on it.
pub trait Runtime: Sized + 'static {
    /// Name used in tables, JSON and the chart.
    const NAME: &'static str;

    /// Builds a runtime with `workers` worker threads; `workers == 1` selects
    /// the peer's single-threaded flavour.
    fn new(workers: usize) -> Self;

    /// How the runtime was configured, in words (for the JSON report).
    fn describe(workers: usize) -> String;

    /// The worker count this runtime was built with.
    fn workers(&self) -> usize;

    /// Runs `f` to completion on the calling thread.
    fn block_on<F: Future>(&self, f: F) -> F::Output;

    /// Spawns from a thread outside the runtime; the returned future resolves
    /// to the task's output.
    fn spawn_remote<F>(&self, f: F) -> impl Future<Output = F::Output> + Send + 'static
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static;

    /// Spawns from inside the runtime; the returned future resolves to the
    /// task's output (a panic in the task is a bug in the workload and
    /// aborts the benchmark).
    fn spawn<F>(f: F) -> impl Future<Output = F::Output> + Send + 'static
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static;

    /// Spawns from inside the runtime and lets the task run to completion on
    /// its own (the handle is dropped or detached).
    fn spawn_detached<F>(f: F)
    where
        F: Future<Output = ()> + Send + 'static;

    /// Yields once to the scheduler.
    fn yield_now() -> impl Future<Output = ()> + Send;

    /// Whether [`Runtime::spawn_blocking`] is backed by a pool in this build.
    const BLOCKING_POOL: bool = true;

    /// Runs `f` on the peer's pool for blocking work; the returned future
    /// resolves to its result.
    fn spawn_blocking<F, T>(f: F) -> impl Future<Output = T> + Send + 'static
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static;

    // ----- time -----

    /// Completes once `d` has passed (the peer's own timer).
    fn sleep(d: Duration) -> impl Future<Output = ()> + Send;

    /// Runs `f` with a deadline `d` from now: `Some(output)` if it completes
    /// first, `None` once the deadline passed.
    fn timeout<F>(d: Duration, f: F) -> impl Future<Output = Option<F::Output>> + Send
    where
        F: Future + Send,
        F::Output: Send;

    // ----- TCP -----

    /// A listening TCP socket.
    type Listener: Send + Sync + 'static;
    /// A connected TCP stream.
    type Stream: Send + 'static;

    /// Binds a listener to `addr`.
    fn bind(addr: SocketAddr) -> impl Future<Output = io::Result<Self::Listener>> + Send;

    /// The address a listener is bound to.
    fn local_addr(listener: &Self::Listener) -> io::Result<SocketAddr>;

    /// Accepts one connection.
    fn accept(
        listener: &Self::Listener,
    ) -> impl Future<Output = io::Result<Self::Stream>> + Send + '_;

    /// Connects to `addr`.
    fn connect(addr: SocketAddr) -> impl Future<Output = io::Result<Self::Stream>> + Send;

    /// Sets `TCP_NODELAY`.
    fn set_nodelay(stream: &Self::Stream) -> io::Result<()>;

    /// Reads what is available, at most `buf.len()` bytes; 0 at end of file.
    fn read<'a>(
        stream: &'a mut Self::Stream,
        buf: &'a mut [u8],
    ) -> impl Future<Output = io::Result<usize>> + Send + 'a;

    /// Reads exactly `buf.len()` bytes.
    fn read_exact<'a>(
        stream: &'a mut Self::Stream,
        buf: &'a mut [u8],
    ) -> impl Future<Output = io::Result<()>> + Send + 'a;

    /// Writes all of `buf`.
    fn write_all<'a>(
        stream: &'a mut Self::Stream,
        buf: &'a [u8],
    ) -> impl Future<Output = io::Result<()>> + Send + 'a;

    // ----- HTTP -----

    /// A stream as hyper sees it (`hyper::rt::Read` + `hyper::rt::Write`).
    type HyperIo: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static;

    /// Wraps a connected stream for hyper, with the glue a user of this
    /// runtime would write (or take from hyper-util).
    fn hyper_io(stream: Self::Stream) -> Self::HyperIo;

    // ----- file system -----

    /// Reads the whole file at `path` (the peer's own file API, or its
    /// blocking pool running `std::fs::read` where it has no file API).
    fn read_file(path: PathBuf) -> impl Future<Output = io::Result<Vec<u8>>> + Send + 'static;
}

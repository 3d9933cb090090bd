//! Working with the rest of the ecosystem: `futures-io` crates, tokio-io crates, tokio-only
//! libraries and hyper.
//!
//! # Three ways in (and hyper)
//!
//! | a library that… | works with evloop | needs |
//! |---|---|---|
//! | uses the `futures-io` traits (`futures-rustls`, `async-tungstenite`, `async-compression`'s `futures-io` side, `futures-lite`, …) | natively: every evloop I/O type implements them | nothing |
//! | uses tokio's `AsyncRead`/`AsyncWrite` (`tokio-util`'s codecs, `tokio-rustls`, …) but no runtime | every evloop I/O type implements tokio's traits too; [`Compat`] converts any other type either way | feature `tokio-io` |
//! | needs a tokio *runtime* (calls `tokio::spawn`, uses `tokio::net` or `tokio::time`: `reqwest`, …) | wrap its futures in [`tokio()`](tokio()) | feature `tokio` |
//! | is hyper 1.x | [`hyper::HyperIo`], [`hyper::HyperExecutor`], [`hyper::HyperTimer`]: no tokio runtime at all | feature `hyper` |
//!
//! ## 1. `futures-io`, natively
//! ```
//! use evloop::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
//! use evloop::net::{TcpListener, TcpStream};
//!
//! # fn main() -> std::io::Result<()> {
//! evloop::block_on(async {
//!     let listener = TcpListener::bind("127.0.0.1:0").await?;
//!     let mut client = TcpStream::connect(listener.local_addr()?).await?;
//!     let (server, _) = listener.accept().await?;
//!
//!     client.write_all(b"hello\n").await?;
//!     // Any futures-io adapter takes an evloop stream as it is.
//!     let mut line = String::new();
//!     BufReader::new(server).read_line(&mut line).await?;
//!     assert_eq!(line, "hello\n");
//!     Ok(())
//! })
//! # }
//! ```
//!
//! ## 2. tokio's I/O traits (feature `tokio-io`)
//! evloop's streams are tokio `AsyncRead + AsyncWrite` as they are; any other `futures-io` type
//! becomes one with [`.compat()`](FuturesIoCompatExt::compat), and a tokio-io type becomes a
//! `futures-io` one with [`.compat()`](TokioIoCompatExt::compat).
//! ```
//! # #[cfg(feature = "tokio-io")]
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use evloop::compat::FuturesIoCompatExt;
//! use evloop::net::{TcpListener, TcpStream};
//! use futures_util::{SinkExt, StreamExt};
//! use tokio::io::AsyncReadExt;
//! use tokio_util::codec::{Framed, LinesCodec};
//!
//! evloop::block_on(async {
//!     let listener = TcpListener::bind("127.0.0.1:0").await?;
//!     let client = TcpStream::connect(listener.local_addr()?).await?;
//!     let (server, _) = listener.accept().await?;
//!
//!     // tokio-util's codecs over evloop streams, no adapter needed.
//!     let mut client = Framed::new(client, LinesCodec::new());
//!     let mut server = Framed::new(server, LinesCodec::new());
//!     client.send("ping").await?;
//!     assert_eq!(server.next().await.transpose()?.as_deref(), Some("ping"));
//!
//!     // A futures-io type from elsewhere, read with tokio's extension trait.
//!     let mut text = String::new();
//!     futures_lite::io::Cursor::new("pong").compat().read_to_string(&mut text).await?;
//!     assert_eq!(text, "pong");
//!     Ok(())
//! })
//! # }
//! # #[cfg(not(feature = "tokio-io"))]
//! # fn main() {}
//! ```
//!
//! ## 3. libraries that need a tokio runtime (feature `tokio`)
//! [`tokio()`](tokio()) polls the future inside a tokio runtime context: a shared background
//! runtime, started on first use, drives tokio's reactor and timers.
//! ```
//! # #[cfg(feature = "tokio")]
//! # fn main() -> std::io::Result<()> {
//! use evloop::io::AsyncWriteExt;
//! use evloop::net::TcpListener;
//! use tokio::io::AsyncReadExt;
//!
//! evloop::block_on(async {
//!     let listener = TcpListener::bind("127.0.0.1:0").await?;
//!     let addr = listener.local_addr()?;
//!     evloop::spawn(async move {
//!         let (mut stream, _) = listener.accept().await?;
//!         stream.write_all(b"from evloop").await?;
//!         std::io::Result::Ok(())
//!     });
//!
//!     // Code written for tokio: tokio::net, tokio::spawn.
//!     let text = evloop::compat::tokio(async move {
//!         let mut stream = tokio::net::TcpStream::connect(addr).await?;
//!         let reader = tokio::spawn(async move {
//!             let mut text = String::new();
//!             stream.read_to_string(&mut text).await.map(|_| text)
//!         });
//!         reader.await?
//!     })
//!     .await?;
//!     assert_eq!(text, "from evloop");
//!     Ok(())
//! })
//! # }
//! # #[cfg(not(feature = "tokio"))]
//! # fn main() {}
//! ```
//!
//! ## hyper (feature `hyper`)
//! hyper 1.x asks for an executor, a timer and I/O through its `rt` traits; [`hyper`] provides
//! them on evloop, so a hyper server or client needs no tokio runtime:
//! ```
//! # #[cfg(feature = "hyper")]
//! # fn main() -> std::io::Result<()> {
//! use evloop::compat::hyper::{HyperIo, HyperTimer};
//! use evloop::net::TcpListener;
//! use http_body_util::Full;
//! use hyper::body::{Bytes, Incoming};
//! use hyper::{server::conn::http1, service::service_fn, Request, Response};
//!
//! async fn hello(_: Request<Incoming>) -> Result<Response<Full<Bytes>>, std::convert::Infallible> {
//!     Ok(Response::new(Full::new(Bytes::from("Hello, world!\n"))))
//! }
//!
//! evloop::block_on(async {
//!     let listener = TcpListener::bind("127.0.0.1:0").await?;
//!     # let addr = listener.local_addr()?;
//!     # evloop::spawn(async move { evloop::net::TcpStream::connect(addr).await });
//!     # for _ in 0..1 {
//!     // for each connection:
//!     let (stream, _) = listener.accept().await?;
//!     evloop::spawn(
//!         http1::Builder::new()
//!             .timer(HyperTimer::new())
//!             .serve_connection(HyperIo::new(stream), service_fn(hello)),
//!     );
//!     # }
//!     Ok(())
//! })
//! # }
//! # #[cfg(not(feature = "hyper"))]
//! # fn main() {}
//! ```
//!
//! # Features
//! - `tokio-io`: [`Compat`], [`FuturesIoCompatExt`], [`TokioIoCompatExt`], and tokio's
//!   `AsyncRead`/`AsyncWrite` (plus `AsyncSeek` for [`fs::File`](crate::fs::File) and
//!   [`Unblock`](crate::blocking::Unblock)) on `TcpStream`, `UnixStream`, their borrowed and owned
//!   halves, `&TcpStream`, `&UnixStream`, [`io::Async<T>`](crate::io::Async), `fs::File`,
//!   `Unblock<T>` and the standard streams. The helpers re-exported from `futures-lite`
//!   ([`io::split`](crate::io::split)'s halves, `BufReader`, `Cursor`, …) are other crates'
//!   types: wrap them with `.compat()`.
//! - `tokio`: [`tokio()`](tokio()) and [`Compat<F>`] as a future.
//! - `hyper`: the [`hyper`] module.

#![deny(unsafe_code)] // allowed in `hyper/io.rs` alone, which says why

#[cfg(any(feature = "tokio-io", feature = "tokio"))]
mod adapter;
#[cfg(feature = "hyper")]
pub mod hyper;
#[cfg(feature = "tokio-io")]
mod io;
#[cfg(feature = "tokio")]
mod runtime;

#[cfg(any(feature = "tokio-io", feature = "tokio"))]
pub use adapter::Compat;
#[cfg(feature = "tokio")]
pub use runtime::{__background_runtime_started, tokio};

/// `.compat()`: wraps any value in a [`Compat`], which converts between the two I/O trait
/// families in whichever direction the value needs.
///
/// - A `futures-io` type (`futures_io::AsyncRead`, `AsyncWrite`, `AsyncBufRead`, `AsyncSeek`)
///   becomes a tokio-io one (tokio's traits of the same names).
/// - A tokio-io type becomes a `futures-io` one (that is the same trait under its other name,
///   [`TokioIoCompatExt`]).
///
/// Implemented for every type, so that writers, readers and seekers alike have it.
///
/// ```
/// # #[cfg(feature = "tokio-io")]
/// # fn main() -> std::io::Result<()> {
/// use evloop::compat::TokioIoCompatExt; // the same trait as `FuturesIoCompatExt`
/// use evloop::io::AsyncReadExt; // futures-io's extension trait
///
/// evloop::block_on(async {
///     let (mut tokio_side, evloop_side) = tokio::io::duplex(64);
///     tokio::io::AsyncWriteExt::write_all(&mut tokio_side, b"through a tokio pipe").await?;
///     drop(tokio_side);
///     let mut text = String::new();
///     evloop_side.compat().read_to_string(&mut text).await?;
///     assert_eq!(text, "through a tokio pipe");
///     Ok(())
/// })
/// # }
/// # #[cfg(not(feature = "tokio-io"))]
/// # fn main() {}
/// ```
#[cfg(feature = "tokio-io")]
pub trait FuturesIoCompatExt {
    /// Wraps `self` so that it implements the I/O traits of the other family.
    fn compat(self) -> Compat<Self>
    where
        Self: Sized,
    {
        Compat::new(self)
    }

    /// Wraps a shared reference (for types whose `&T` implements the I/O traits).
    fn compat_ref(&self) -> Compat<&Self> {
        Compat::new(self)
    }

    /// Wraps a mutable reference, leaving `self` usable afterwards.
    fn compat_mut(&mut self) -> Compat<&mut Self> {
        Compat::new(self)
    }
}

#[cfg(feature = "tokio-io")]
impl<T: ?Sized> FuturesIoCompatExt for T {}

/// Turns a tokio-io type into a `futures-io` one with `.compat()`: the same trait as
/// [`FuturesIoCompatExt`] (a [`Compat`] converts in whichever direction its content needs), so
/// importing both names never makes `.compat()` ambiguous.
#[cfg(feature = "tokio-io")]
pub use FuturesIoCompatExt as TokioIoCompatExt;

/// MIGRATION.md's Rust code blocks, compiled and run as doctests (with every feature on, as
/// the guide uses them all).
#[cfg(all(doctest, feature = "tokio-io", feature = "tokio", feature = "hyper"))]
#[doc = include_str!("../../MIGRATION.md")]
mod migration_doctests {}

//! hyper 1.x on evloop, with no tokio runtime (feature `hyper`).
//!
//! hyper 1.x is runtime-agnostic: it asks its caller for an executor (to spawn connection tasks),
//! a timer (for header-read and keep-alive timeouts) and I/O objects through the traits of its
//! [`rt`](::hyper::rt) module. This module implements them on evloop:
//!
//! | hyper needs | evloop gives | what it does |
//! |---|---|---|
//! | [`rt::Executor`](::hyper::rt::Executor) | [`HyperExecutor`] | [`spawn`](crate::spawn)s the future (on the current runtime, else the global one), detached |
//! | [`rt::Timer`](::hyper::rt::Timer), [`rt::Sleep`](::hyper::rt::Sleep) | [`HyperTimer`], [`HyperSleep`] | evloop's [`sleep`](crate::time::sleep) in the reactor's timer wheel |
//! | [`rt::Read`](::hyper::rt::Read), [`rt::Write`](::hyper::rt::Write) | [`HyperIo<T>`] | for any `futures-io` `T`: evloop's `TcpStream`, `UnixStream`, a TLS stream, ... |
//!
//! `HyperIo<T>` also works the other way round: wrapping a hyper I/O object (such as
//! `hyper::upgrade::Upgraded`) gives a `futures-io` `AsyncRead`/`AsyncWrite`.
//!
//! ```
//! use evloop::compat::hyper::{HyperExecutor, HyperIo, HyperTimer};
//! use evloop::net::{TcpListener, TcpStream};
//! use http_body_util::{BodyExt, Empty, Full};
//! use hyper::body::Bytes;
//! use hyper::{service::service_fn, Request, Response};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//! evloop::block_on(async {
//!     let listener = TcpListener::bind("127.0.0.1:0").await?;
//!     let addr = listener.local_addr()?;
//!     evloop::spawn(async move {
//!         let (stream, _) = listener.accept().await?;
//!         let hello = service_fn(|_req: Request<hyper::body::Incoming>| async {
//!             Ok::<_, std::convert::Infallible>(Response::new(Full::new(Bytes::from("hello"))))
//!         });
//!         hyper::server::conn::http1::Builder::new()
//!             .timer(HyperTimer::new())
//!             .serve_connection(HyperIo::new(stream), hello)
//!             .await
//!             .map_err(std::io::Error::other)
//!     });
//!
//!     let stream = TcpStream::connect(addr).await?;
//!     let (mut sender, connection) = hyper::client::conn::http1::handshake(HyperIo::new(stream)).await?;
//!     HyperExecutor::new().spawn(connection);
//!     let request = Request::get("/").header("host", "localhost").body(Empty::<Bytes>::new())?;
//!     let response = sender.send_request(request).await?;
//!     let body = response.into_body().collect().await?.to_bytes();
//!     assert_eq!(body, "hello");
//!     Ok(())
//! })
//! # }
//! ```

mod io;
mod rt;

pub use io::HyperIo;
pub use rt::{HyperExecutor, HyperSleep, HyperTimer};

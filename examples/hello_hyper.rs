//! hyper's hello-world HTTP server, on evloop with no tokio runtime.
//!
//! ```text
//! cargo run --example hello_hyper --features hyper                  # 127.0.0.1:3000
//! cargo run --example hello_hyper --features hyper -- 127.0.0.1:0   # or the address given
//! ```
//!
//! Then `curl http://127.0.0.1:3000/`. `curl http://127.0.0.1:3000/shutdown` stops the server
//! (after answering); so does Ctrl-C.

use std::convert::Infallible;

use evloop::compat::hyper::{HyperIo, HyperTimer};
use evloop::net::TcpListener;
use evloop::sync::watch;
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};

#[evloop::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:3000".to_string());
    let listener = TcpListener::bind(addr.as_str()).await?;
    println!("Listening on http://{}", listener.local_addr()?);

    let (shutdown, mut shutting_down) = watch::channel(false);
    loop {
        let (stream, _) = evloop::select! {
            accepted = listener.accept() => accepted?,
            _ = shutting_down.changed() => break,
        };
        let shutdown = shutdown.clone();
        let service = service_fn(move |request: Request<Incoming>| {
            let shutdown = shutdown.clone();
            async move {
                if request.uri().path() == "/shutdown" {
                    let _ = shutdown.send(true);
                    return Ok::<_, Infallible>(Response::new(Full::new(Bytes::from("Bye!\n"))));
                }
                Ok(Response::new(Full::new(Bytes::from("Hello, World!\n"))))
            }
        });
        evloop::spawn(async move {
            let connection = http1::Builder::new()
                .timer(HyperTimer::new())
                .serve_connection(HyperIo::new(stream), service);
            if let Err(err) = connection.await {
                eprintln!("connection error: {err}");
            }
        });
    }
    println!("shutting down");
    Ok(())
}

//! Libraries that need a tokio runtime, run from evloop with `compat::tokio` (feature `tokio`):
//! `reqwest` fetches a page from an evloop + hyper server on loopback, and futures that call
//! `tokio::spawn`, `tokio::time` and `tokio::net` work when polled by evloop.
#![cfg(all(feature = "tokio", feature = "hyper"))]

#[macro_use]
mod util;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

use evloop::compat::hyper::{HyperIo, HyperTimer};
use evloop::net::TcpListener;
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper::{Request, Response};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

async fn hello(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    // The server side is pure evloop: no tokio context here, even while reqwest runs.
    assert!(tokio::runtime::Handle::try_current().is_err());
    let body = format!("hello from evloop, you asked for {}", request.uri().path());
    Ok(Response::new(Full::new(Bytes::from(body))))
}

/// An evloop + hyper HTTP/1 server on a loopback port.
async fn start_server() -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    evloop::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            evloop::spawn(
                hyper::server::conn::http1::Builder::new()
                    .timer(HyperTimer::new())
                    .serve_connection(HyperIo::new(stream), service_fn(hello)),
            );
        }
    });
    Ok(addr)
}

async fn reqwest_get() -> Result<(), BoxError> {
    let addr = start_server().await?;
    let body = evloop::compat::tokio(async move {
        let client = reqwest::Client::new();
        let mut bodies = Vec::new();
        for path in ["/first", "/second"] {
            let response = client.get(format!("http://{addr}{path}")).send().await?;
            assert_eq!(response.status(), 200);
            bodies.push(response.text().await?);
        }
        Ok::<_, reqwest::Error>(bodies)
    })
    .await?;
    assert_eq!(
        body,
        [
            "hello from evloop, you asked for /first",
            "hello from evloop, you asked for /second"
        ]
    );
    assert!(evloop::compat::__background_runtime_started());
    Ok(())
}

rt_test! {
    fn reqwest_get_against_evloop_hyper_server(rt) {
        rt.block_on(reqwest_get()).unwrap();
    }
}

#[evloop::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokio_spawn_time_and_net_inside_compat() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = evloop::spawn(async move {
        use evloop::io::{AsyncReadExt, AsyncWriteExt};
        let (mut stream, _) = listener.accept().await?;
        let mut request = [0u8; 4];
        stream.read_exact(&mut request).await?;
        stream.write_all(b"pong").await?;
        std::io::Result::Ok(request)
    });

    // Polled on an evloop worker (a spawned task), not on the test's own thread.
    let reply = evloop::spawn(evloop::compat::tokio(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut stream = tokio::net::TcpStream::connect(addr).await?;
        let handle = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(5)).await;
            stream.write_all(b"ping").await?;
            let mut reply = [0u8; 4];
            stream.read_exact(&mut reply).await?;
            std::io::Result::Ok(reply)
        });
        handle.await?
    }))
    .await
    .unwrap()
    .unwrap();
    assert_eq!(&reply, b"pong");
    assert_eq!(&server.await.unwrap().unwrap(), b"ping");
    // Outside the wrapped future, no tokio context leaks into evloop code.
    assert!(tokio::runtime::Handle::try_current().is_err());
}

#[evloop::test]
async fn dropping_a_pending_compat_future_is_fine() {
    // `tokio::time::sleep(..)` needs the context when it is *called*, so it goes inside an
    // `async` block, which calls it on first poll.
    let mut sleeping = Box::pin(evloop::compat::tokio(async {
        tokio::time::sleep(Duration::from_secs(3600)).await
    }));
    // Poll once (registering a tokio timer), then drop it while pending.
    let polled = futures_lite::future::poll_once(sleeping.as_mut()).await;
    assert!(polled.is_none());
    drop(sleeping);
    // A short tokio sleep still completes afterwards.
    evloop::compat::tokio(async { tokio::time::sleep(Duration::from_millis(1)).await }).await;
}

#[test]
fn an_existing_tokio_runtime_is_used_as_it_is() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let on_it = runtime.block_on(evloop::compat::tokio(async {
        tokio::runtime::Handle::current().runtime_flavor()
    }));
    assert_eq!(on_it, tokio::runtime::RuntimeFlavor::CurrentThread);
}

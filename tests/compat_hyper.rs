//! hyper 1.x on evloop with no tokio runtime (feature `hyper`): a hyper server answers a real
//! `curl` and a hyper client, both on loopback, and hyper's timer fires on evloop's wheel.
//!
//! Every request handler and the client check that no tokio runtime is current, and the end
//! of each test checks that `compat::tokio`'s background runtime was never started.
#![cfg(feature = "hyper")]

#[macro_use]
mod util;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use evloop::compat::hyper::{HyperExecutor, HyperIo, HyperTimer};
use evloop::io::AsyncReadExt;
use evloop::net::{TcpListener, TcpStream};
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper::{Method, Request, Response};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn assert_no_tokio_runtime() {
    assert!(
        tokio::runtime::Handle::try_current().is_err(),
        "a tokio runtime is current"
    );
    #[cfg(feature = "tokio")]
    assert!(
        !evloop::compat::__background_runtime_started(),
        "compat::tokio's background runtime was started"
    );
}

/// `GET /` says hello; `POST /echo` returns the request body; anything else is a 404.
async fn handle(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, hyper::Error> {
    assert_no_tokio_runtime();
    let response = match (request.method(), request.uri().path()) {
        (&Method::GET, "/") => Response::new(Full::new(Bytes::from("Hello from evloop\n"))),
        (&Method::POST, "/echo") => {
            let body = request.into_body().collect().await?.to_bytes();
            Response::new(Full::new(body))
        }
        _ => {
            let mut response = Response::new(Full::new(Bytes::new()));
            *response.status_mut() = hyper::StatusCode::NOT_FOUND;
            response
        }
    };
    Ok(response)
}

/// Starts a hyper HTTP/1 server on a loopback port; it serves until the runtime ends.
async fn start_server() -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    evloop::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                break;
            };
            HyperExecutor::new().spawn(async move {
                let _ = hyper::server::conn::http1::Builder::new()
                    .timer(HyperTimer::new())
                    .serve_connection(HyperIo::new(stream), service_fn(handle))
                    .await;
            });
        }
    });
    Ok(addr)
}

/// Runs `curl` with `args`; `None` when curl is not installed.
async fn curl(args: Vec<String>) -> Option<std::process::Output> {
    evloop::task::spawn_blocking(move || {
        match std::process::Command::new("curl").args(&args).output() {
            Ok(output) => Some(output),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => None,
            Err(err) => panic!("could not run curl: {err}"),
        }
    })
    .await
    .unwrap()
}

async fn served_to_curl() -> Result<(), BoxError> {
    let addr = start_server().await?;
    let base = format!("http://{addr}");
    let Some(get) = curl(vec![
        "-sS".into(),
        "--max-time".into(),
        "10".into(),
        base.clone(),
    ])
    .await
    else {
        println!("skipped: curl not installed");
        return Ok(());
    };
    assert!(get.status.success(), "curl failed: {get:?}");
    assert_eq!(String::from_utf8(get.stdout)?, "Hello from evloop\n");

    let post = curl(vec![
        "-sS".into(),
        "--max-time".into(),
        "10".into(),
        "--data-binary".into(),
        "posted through curl".into(),
        format!("{base}/echo"),
    ])
    .await
    .expect("curl was there a moment ago");
    assert!(post.status.success(), "curl failed: {post:?}");
    assert_eq!(String::from_utf8(post.stdout)?, "posted through curl");

    let missing = curl(vec![
        "-s".into(),
        "-o".into(),
        "/dev/null".into(),
        "-w".into(),
        "%{http_code}".into(),
        "--max-time".into(),
        "10".into(),
        format!("{base}/nowhere"),
    ])
    .await
    .expect("curl was there a moment ago");
    assert_eq!(String::from_utf8(missing.stdout)?, "404");
    assert_no_tokio_runtime();
    Ok(())
}

async fn served_to_hyper_client() -> Result<(), BoxError> {
    let addr = start_server().await?;
    let stream = TcpStream::connect(addr).await?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(HyperIo::new(stream)).await?;
    let connection = evloop::spawn(connection);
    assert_no_tokio_runtime();

    // Several requests on the one kept-alive connection.
    for i in 0..10 {
        sender.ready().await?;
        let request = Request::post("/echo")
            .header("host", addr.to_string())
            .body(Full::new(Bytes::from(format!("request {i}"))))?;
        let response = sender.send_request(request).await?;
        assert_eq!(response.status(), 200);
        let body = response.into_body().collect().await?.to_bytes();
        assert_eq!(body, format!("request {i}"));
    }
    // The connection takes the next request only once it has finished with the last one
    // (it runs as its own task, maybe on another worker): wait for that, as hyper requires.
    sender.ready().await?;
    let request = Request::get("/")
        .header("host", addr.to_string())
        .body(Full::new(Bytes::new()))?;
    let response = sender.send_request(request).await?;
    let body = response.into_body().collect().await?.to_bytes();
    assert_eq!(body, "Hello from evloop\n");

    // Dropping the sender ends the client connection task cleanly.
    drop(sender);
    connection.await??;
    assert_no_tokio_runtime();
    Ok(())
}

rt_test! {
    fn hyper_server_answers_curl(rt) {
        rt.block_on(served_to_curl()).unwrap();
    }

    fn hyper_server_answers_hyper_client(rt) {
        rt.block_on(served_to_hyper_client()).unwrap();
    }
}

/// hyper's header-read timeout runs on `HyperTimer`: a client that never sends its request
/// is disconnected.
#[evloop::test(flavor = "multi_thread", worker_threads = 2)]
async fn hyper_timer_drives_header_read_timeout() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = evloop::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        hyper::server::conn::http1::Builder::new()
            .timer(HyperTimer::new())
            .header_read_timeout(Duration::from_millis(100))
            .serve_connection(HyperIo::new(stream), service_fn(handle))
            .await
    });

    let started = Instant::now();
    let mut silent = TcpStream::connect(addr).await.unwrap();
    let mut rest = Vec::new();
    // The server gives up on us and closes: end of file (possibly after a 408 response).
    evloop::time::timeout(Duration::from_secs(10), silent.read_to_end(&mut rest))
        .await
        .expect("the header-read timeout never fired")
        .unwrap();
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(100),
        "fired early: {waited:?}"
    );
    let outcome = server.await.unwrap();
    assert!(
        outcome.is_err(),
        "the connection should end with a timeout error"
    );
    assert_no_tokio_runtime();
}

//! 11: `http_hello`, a hyper 1.x hello-world server on each runtime, driven by
//! a load generator outside the runtime.
//!
//! The server code is written once: an accept loop spawning one task per
//! connection, each serving HTTP/1.1 with keep-alive through
//! `hyper::server::conn::http1` (no timer configured, so no header-read
//! timeout), answering every request with a 13-byte `Hello, World!`. Each
//! peer only supplies the glue between its stream and hyper's I/O traits
//! ([`Runtime::hyper_io`]): hyper-util's `TokioIo` for tokio,
//! `evloop::compat::hyper::HyperIo` (runtime-neutral, over any `futures-io`
//! stream) for evloop and smol alike.
//!
//! The load generator runs on plain threads with blocking sockets, so it
//! takes no part in any runtime: one thread per connection, each sending
//! `GET /` (keep-alive, never pipelined: the next request goes out once the
//! whole response has been read) and parsing the response's status line and
//! `Content-Length`. Connections are made before the clock starts; the timed
//! section runs from releasing every client thread at once to the last one
//! finishing. The sample's extra value is the p99 request latency in µs (from
//! writing the request to having read the whole response).

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::service::service_fn;
use hyper::{Request, Response};

use super::Sample;
use crate::rt::Runtime;

/// Keep-alive connections of the load generator (one thread each).
pub const CONNECTIONS: usize = 50;
/// The body of every response.
const BODY: &[u8] = b"Hello, World!";
/// The request every client sends, again and again.
const REQUEST: &[u8] = b"GET / HTTP/1.1\r\nHost: localhost\r\nUser-Agent: evloop-bench\r\n\r\n";

/// Serves HTTP/1.1 on one connection until the client closes it.
async fn serve_connection<R: Runtime>(stream: R::Stream) {
    let service = service_fn(|_request: Request<hyper::body::Incoming>| async {
        Ok::<_, std::convert::Infallible>(Response::new(Full::new(Bytes::from_static(BODY))))
    });
    // A client that goes away mid-request is not the server's failure.
    let _ = hyper::server::conn::http1::Builder::new()
        .keep_alive(true)
        .serve_connection(R::hyper_io(stream), service)
        .await;
}

/// What one client thread measured: per-request latencies in ns.
type Latencies = Vec<u32>;

/// 11: `n` requests, split evenly over [`CONNECTIONS`] keep-alive
/// connections; see the module doc.
pub fn http_hello<R: Runtime>(rt: &R, n: usize) -> Option<Sample> {
    let per_conn = (n / CONNECTIONS).max(1);
    let (elapsed, mut lat_ns) = rt.block_on(async move {
        let listener = R::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
            .await
            .expect("bind loopback");
        let addr = R::local_addr(&listener).expect("local address");
        let server = R::spawn(async move {
            let mut connections = Vec::with_capacity(CONNECTIONS);
            for _ in 0..CONNECTIONS {
                let stream = R::accept(&listener).await.expect("accept");
                R::set_nodelay(&stream).expect("set TCP_NODELAY");
                connections.push(R::spawn(serve_connection::<R>(stream)));
            }
            for c in connections {
                c.await;
            }
        });
        let (done_tx, done_rx) = crate::chan::bounded(1);
        let generator = thread::Builder::new()
            .name("http-load".into())
            .spawn(move || {
                let result = generate_load(addr, per_conn);
                if done_tx.try_send(result).is_err() {
                    unreachable!("the result channel has room for the one result");
                }
            })
            .expect("start the load generator");
        let result = done_rx.recv().await.expect("load generator failed");
        generator.join().expect("load generator panicked");
        // Every client closed its connection: the server tasks finish.
        server.await;
        result
    });
    lat_ns.sort_unstable();
    Some(Sample {
        elapsed,
        value: None,
        extras: vec![super::net::percentile(&lat_ns, 99.0) / 1e3],
    })
}

/// Runs the clients against `addr`, `per_conn` requests each; returns the
/// timed section and every request's latency.
fn generate_load(addr: SocketAddr, per_conn: usize) -> (Duration, Latencies) {
    let start_line = Arc::new(Barrier::new(CONNECTIONS + 1));
    let clients: Vec<_> = (0..CONNECTIONS)
        .map(|i| {
            let start_line = start_line.clone();
            thread::Builder::new()
                .name(format!("http-client-{i}"))
                .stack_size(256 * 1024)
                .spawn(move || {
                    let mut stream = TcpStream::connect(addr).expect("connect to the server");
                    stream.set_nodelay(true).expect("set TCP_NODELAY");
                    let mut buf = vec![0u8; 4096];
                    let mut lat = Vec::with_capacity(per_conn);
                    start_line.wait();
                    for _ in 0..per_conn {
                        let t = Instant::now();
                        stream.write_all(REQUEST).expect("send request");
                        read_response(&mut stream, &mut buf);
                        lat.push(u32::try_from(t.elapsed().as_nanos()).unwrap_or(u32::MAX));
                    }
                    lat
                })
                .expect("start a client thread")
        })
        .collect();
    start_line.wait();
    let start = Instant::now();
    let mut lat = Vec::with_capacity(per_conn * CONNECTIONS);
    for c in clients {
        lat.extend(c.join().expect("client thread panicked"));
    }
    (start.elapsed(), lat)
}

/// Reads one whole response (headers and a `Content-Length` body) and checks
/// it is `200` with the expected body.
fn read_response(stream: &mut TcpStream, buf: &mut Vec<u8>) {
    let mut len = 0;
    let (head_end, body_len) = loop {
        if len == buf.len() {
            buf.resize(buf.len() * 2, 0);
        }
        let k = stream.read(&mut buf[len..]).expect("read response");
        assert!(k > 0, "the server closed a keep-alive connection");
        len += k;
        if let Some(end) = find(&buf[..len], b"\r\n\r\n") {
            break (end + 4, content_length(&buf[..end]));
        }
    };
    let total = head_end + body_len;
    while len < total {
        if total > buf.len() {
            buf.resize(total, 0);
        }
        let k = stream.read(&mut buf[len..total]).expect("read body");
        assert!(k > 0, "the server closed the connection mid-body");
        len += k;
    }
    assert!(
        buf.starts_with(b"HTTP/1.1 200 "),
        "unexpected status line: {:?}",
        String::from_utf8_lossy(&buf[..head_end.min(40)])
    );
    assert_eq!(len, total, "a response longer than its Content-Length");
    assert_eq!(&buf[head_end..total], BODY, "unexpected body");
}

/// The position of `needle` in `hay`.
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The `Content-Length` of a response head.
fn content_length(head: &[u8]) -> usize {
    const NAME: &[u8] = b"content-length:";
    head.split(|&b| b == b'\n')
        .find(|line| line.len() > NAME.len() && line[..NAME.len()].eq_ignore_ascii_case(NAME))
        .and_then(|line| std::str::from_utf8(&line[NAME.len()..]).ok())
        .and_then(|v| v.trim().parse().ok())
        .expect("a response without Content-Length")
}

//! TCP workloads on the loopback interface, server and clients in the same
//! runtime. Every stream has `TCP_NODELAY` set, on both ends.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Instant;

use super::{in_task, Sample};
use crate::rt::Runtime;

/// Concurrent connections in `tcp_echo`.
pub const ECHO_CONNECTIONS: usize = 100;
/// Bytes per `tcp_echo` message.
const ECHO_MESSAGE: usize = 64;
/// Bytes per `tcp_stream` write.
pub const STREAM_CHUNK: usize = 64 * 1024;

fn loopback() -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, 0))
}

/// Connects to `addr` with `TCP_NODELAY` set.
async fn connect<R: Runtime>(addr: SocketAddr) -> R::Stream {
    let stream = R::connect(addr).await.expect("connect to loopback");
    R::set_nodelay(&stream).expect("set TCP_NODELAY");
    stream
}

/// Accepts `n` connections and runs `serve` on each in its own task; resolves
/// once every one of those tasks has finished.
fn serve<R, F, Fut>(
    listener: R::Listener,
    n: usize,
    serve: F,
) -> impl std::future::Future<Output = ()> + Send
where
    R: Runtime,
    F: Fn(R::Stream) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    R::spawn(async move {
        let mut handles = Vec::with_capacity(n);
        for _ in 0..n {
            let stream = R::accept(&listener).await.expect("accept");
            R::set_nodelay(&stream).expect("set TCP_NODELAY");
            handles.push(R::spawn(serve(stream)));
        }
        for h in handles {
            h.await;
        }
    })
}

/// Echoes what it reads until the peer closes.
async fn echo<R: Runtime>(mut stream: R::Stream) {
    let mut buf = [0u8; 4096];
    loop {
        match R::read(&mut stream, &mut buf).await {
            Ok(0) => return,
            Ok(n) => R::write_all(&mut stream, &buf[..n])
                .await
                .expect("echo write"),
            Err(e) if e.kind() == io::ErrorKind::ConnectionReset => return,
            Err(e) => panic!("echo read: {e}"),
        }
    }
}

/// The `p`-th percentile of sorted `v` (nearest rank).
pub fn percentile(v: &[u32], p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * v.len() as f64).ceil() as usize;
    f64::from(v[rank.clamp(1, v.len()) - 1])
}

/// 9: [`ECHO_CONNECTIONS`] client tasks, each doing `n / ECHO_CONNECTIONS`
/// round trips of a [`ECHO_MESSAGE`]-byte message (write it, read the echo
/// back) against an echo server in the same runtime. Connections are made
/// before the clock starts; the timed section runs from starting the clients
/// to the last one finishing. The sample's extras are the p50 and p99
/// round-trip latency in µs over every round trip of the sample.
pub fn tcp_echo<R: Runtime>(rt: &R, n: usize) -> Option<Sample> {
    let per_conn = (n / ECHO_CONNECTIONS).max(1);
    let (lat_ns, elapsed) = in_task(rt, async move {
        let listener = R::bind(loopback()).await.expect("bind loopback");
        let addr = R::local_addr(&listener).expect("local address");
        let server = serve::<R, _, _>(listener, ECHO_CONNECTIONS, echo::<R>);
        let mut streams = Vec::with_capacity(ECHO_CONNECTIONS);
        for _ in 0..ECHO_CONNECTIONS {
            streams.push(connect::<R>(addr).await);
        }

        let start = Instant::now();
        let clients: Vec<_> = streams
            .into_iter()
            .map(|mut stream| {
                R::spawn(async move {
                    let msg = [0x5au8; ECHO_MESSAGE];
                    let mut back = [0u8; ECHO_MESSAGE];
                    let mut lat = Vec::with_capacity(per_conn);
                    for _ in 0..per_conn {
                        let t = Instant::now();
                        R::write_all(&mut stream, &msg).await.expect("client write");
                        R::read_exact(&mut stream, &mut back)
                            .await
                            .expect("client read");
                        lat.push(u32::try_from(t.elapsed().as_nanos()).unwrap_or(u32::MAX));
                    }
                    assert_eq!(back, msg, "echo corrupted the message");
                    lat
                })
            })
            .collect();
        let mut lat_ns = Vec::with_capacity(per_conn * ECHO_CONNECTIONS);
        for c in clients {
            lat_ns.extend(c.await);
        }
        let elapsed = start.elapsed();
        // The clients dropped their streams; the echo tasks see end of file.
        server.await;
        (lat_ns, elapsed)
    });
    let mut lat_ns = lat_ns;
    lat_ns.sort_unstable();
    Some(Sample {
        elapsed,
        value: None,
        extras: vec![
            percentile(&lat_ns, 50.0) / 1e3,
            percentile(&lat_ns, 99.0) / 1e3,
        ],
    })
}

/// 10: one connection; the client writes `n` chunks of [`STREAM_CHUNK`]
/// bytes and closes, the server task reads into a buffer of the same size
/// until end of file. Timed from the first write (the connection is set up
/// and accepted before) to the server having read every byte.
pub fn tcp_stream<R: Runtime>(rt: &R, n: usize) -> Option<Sample> {
    let elapsed = in_task(rt, async move {
        let listener = R::bind(loopback()).await.expect("bind loopback");
        let addr = R::local_addr(&listener).expect("local address");
        let (accepted_tx, accepted_rx) = crate::chan::bounded::<()>(1);
        let reader = R::spawn(async move {
            let mut stream = R::accept(&listener).await.expect("accept");
            R::set_nodelay(&stream).expect("set TCP_NODELAY");
            accepted_tx.try_send(()).expect("writer gone");
            let mut buf = vec![0u8; STREAM_CHUNK];
            let mut total = 0usize;
            loop {
                match R::read(&mut stream, &mut buf).await.expect("server read") {
                    0 => return total,
                    k => total += k,
                }
            }
        });
        let mut stream = connect::<R>(addr).await;
        accepted_rx.recv().await.expect("reader gone");
        let chunk = vec![0xa5u8; STREAM_CHUNK];

        let start = Instant::now();
        for _ in 0..n {
            R::write_all(&mut stream, &chunk)
                .await
                .expect("client write");
        }
        drop(stream);
        assert_eq!(reader.await, n * STREAM_CHUNK, "bytes lost on the way");
        start.elapsed()
    });
    Some(Sample::timed(elapsed))
}

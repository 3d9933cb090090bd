//! `evloop::net::TcpStream` over loopback: connecting, errors, half-close, sharing a stream
//! between tasks, splitting, peeking, the `try_*` methods, options and the poll budget.

#[macro_use]
mod util;

use std::future::poll_fn;
use std::io::{self, ErrorKind, IoSlice, IoSliceMut, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use evloop::io::{AsyncReadExt, AsyncWriteExt};
use evloop::net::{TcpListener, TcpStream};

use util::Flag;

/// A connected pair: (client, server side).
async fn connected_pair(listen_on: &str) -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind(listen_on).await.unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let (server, peer) = listener.accept().await.unwrap();
    assert_eq!(peer, client.local_addr().unwrap());
    (client, server)
}

/// An address on loopback that nobody listens on (a listener was bound there and dropped).
async fn dead_address(ip: &str) -> SocketAddr {
    let listener = TcpListener::bind((ip, 0)).await.unwrap();
    listener.local_addr().unwrap()
}

/// Bytes `0, 1, 2, …` wrapping at 251 (a prime, so the pattern does not line up with buffer
/// sizes).
fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

rt_test! {
    fn connect_accept_and_exchange_over_ipv4_and_ipv6(rt) {
        rt.block_on(async {
            for listen_on in ["127.0.0.1:0", "[::1]:0"] {
                let (mut client, mut server) = connected_pair(listen_on).await;
                assert_eq!(client.peer_addr().unwrap(), server.local_addr().unwrap());
                client.write_all(b"ping").await.unwrap();
                let mut buf = [0; 4];
                server.read_exact(&mut buf).await.unwrap();
                assert_eq!(&buf, b"ping");
                server.write_all(b"pong").await.unwrap();
                client.read_exact(&mut buf).await.unwrap();
                assert_eq!(&buf, b"pong");
            }
        });
    }

    fn connection_refused_is_reported_as_such(rt) {
        rt.block_on(async {
            for ip in ["127.0.0.1", "::1"] {
                let addr = dead_address(ip).await;
                let error = TcpStream::connect(addr).await.unwrap_err();
                assert_eq!(error.kind(), ErrorKind::ConnectionRefused, "{addr}: {error}");
            }
        });
    }

    fn connect_tries_each_address_in_turn(rt) {
        rt.block_on(async {
            let dead = dead_address("127.0.0.1").await;
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let live = listener.local_addr().unwrap();

            let stream = TcpStream::connect(&[dead, live][..]).await.unwrap();
            assert_eq!(stream.peer_addr().unwrap(), live);

            // All refused: the last error is the one reported.
            let error = TcpStream::connect(&[dead, dead][..]).await.unwrap_err();
            assert_eq!(error.kind(), ErrorKind::ConnectionRefused);

            // Nothing to try at all.
            let error = TcpStream::connect(&[][..]).await.unwrap_err();
            assert_eq!(error.kind(), ErrorKind::InvalidInput);
        });
    }

    fn connect_by_name_and_by_literal_forms(rt) {
        rt.block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let port = listener.local_addr().unwrap().port();
            let forms = [
                TcpStream::connect(format!("127.0.0.1:{port}")).await,
                TcpStream::connect(("127.0.0.1", port)).await,
                TcpStream::connect((std::net::Ipv4Addr::LOCALHOST, port)).await,
                TcpStream::connect(("localhost".to_string(), port)).await,
            ];
            for (i, stream) in forms.into_iter().enumerate() {
                // "localhost" may resolve to ::1 first, where nobody listens; connect then
                // moves on to 127.0.0.1.
                let stream = stream.unwrap_or_else(|e| panic!("form {i}: {e}"));
                assert_eq!(stream.peer_addr().unwrap().port(), port);
            }
        });
    }

    fn half_close_with_close_then_reply_the_other_way(rt) {
        rt.block_on(async {
            let (mut client, mut server) = connected_pair("127.0.0.1:0").await;
            client.write_all(b"request").await.unwrap();
            client.close().await.unwrap();

            let mut request = Vec::new();
            server.read_to_end(&mut request).await.unwrap();
            assert_eq!(request, b"request");
            let mut buf = [0; 8];
            assert_eq!(server.read(&mut buf).await.unwrap(), 0, "end-of-file stays");

            // The other direction is still open.
            server.write_all(b"response").await.unwrap();
            server.close().await.unwrap();
            let mut response = Vec::new();
            client.read_to_end(&mut response).await.unwrap();
            assert_eq!(response, b"response");

            // Writing after the close fails.
            let error = client.write_all(b"more").await.unwrap_err();
            assert_eq!(error.kind(), ErrorKind::BrokenPipe, "{error}");
        });
    }

    fn half_close_with_shutdown_write(rt) {
        rt.block_on(async {
            let (client, server) = connected_pair("[::1]:0").await;
            (&client).write_all(b"abc").await.unwrap();
            client.shutdown(Shutdown::Write).unwrap();

            let mut received = Vec::new();
            (&server).read_to_end(&mut received).await.unwrap();
            assert_eq!(received, b"abc");

            (&server).write_all(b"still flowing").await.unwrap();
            let mut buf = [0; 13];
            (&client).read_exact(&mut buf).await.unwrap();
            assert_eq!(&buf, b"still flowing");

            // Reading side down too: reads see end-of-file at once.
            client.shutdown(Shutdown::Read).unwrap();
            assert_eq!((&client).read(&mut buf).await.unwrap(), 0);
        });
    }

    fn peer_closing_gives_end_of_file_to_a_waiting_reader(rt) {
        rt.block_on(async {
            let (client, server) = connected_pair("127.0.0.1:0").await;
            let reader = evloop::spawn(async move {
                let mut server = server;
                let mut all = Vec::new();
                server.read_to_end(&mut all).await.map(|_| all)
            });
            evloop::time::sleep(Duration::from_millis(10)).await;
            (&client).write_all(b"last words").await.unwrap();
            drop(client);
            assert_eq!(reader.await.unwrap().unwrap(), b"last words");
        });
    }

    /// One task reads a `&TcpStream` while another writes it: a megabyte goes out and comes
    /// back through an echo peer, which only works if both directions make progress at once.
    fn shared_stream_read_and_written_from_two_tasks(rt) {
        rt.block_on(async {
            const LEN: usize = 1 << 20;
            let (client, server) = connected_pair("127.0.0.1:0").await;
            let echo = evloop::spawn(async move {
                let mut server = server;
                let (mut from, mut to) = server.split();
                let mut buf = vec![0; 16 * 1024];
                loop {
                    let n = from.read(&mut buf).await.unwrap();
                    if n == 0 {
                        break;
                    }
                    to.write_all(&buf[..n]).await.unwrap();
                }
            });

            let client = Arc::new(client);
            let writer = evloop::spawn({
                let client = client.clone();
                async move {
                    let mut stream: &TcpStream = &client;
                    for chunk in pattern(LEN).chunks(10_000) {
                        stream.write_all(chunk).await.unwrap();
                    }
                    stream.close().await.unwrap();
                }
            });
            let reader = evloop::spawn({
                let client = client.clone();
                async move {
                    let mut stream: &TcpStream = &client;
                    let mut received = Vec::with_capacity(LEN);
                    stream.read_to_end(&mut received).await.unwrap();
                    received
                }
            });
            writer.await.unwrap();
            let received = reader.await.unwrap();
            assert_eq!(received.len(), LEN);
            assert!(received == pattern(LEN), "the echo differs");
            echo.await.unwrap();
        });
    }

    fn owned_halves_in_two_tasks_and_reunite(rt) {
        rt.block_on(async {
            const LEN: usize = 256 * 1024;
            let (client, mut server) = connected_pair("127.0.0.1:0").await;
            let (mut reader, mut writer) = client.into_split();
            assert_eq!(reader.peer_addr().unwrap(), writer.peer_addr().unwrap());

            let write_task = evloop::spawn(async move {
                writer.write_all(&pattern(LEN)).await.unwrap();
                writer // dropped later: its drop shuts down the write side
            });
            let read_task = evloop::spawn(async move {
                let mut buf = vec![0; LEN];
                reader.read_exact(&mut buf).await.unwrap();
                assert!(buf == pattern(LEN));
                reader
            });
            // The server echoes as it goes, so neither side's buffers fill up for good.
            let mut buf = vec![0; 8192];
            let mut echoed = 0;
            while echoed < LEN {
                let n = server.read(&mut buf).await.unwrap();
                server.write_all(&buf[..n]).await.unwrap();
                echoed += n;
            }
            let writer = write_task.await.unwrap();
            let reader = read_task.await.unwrap();

            // Halves of different streams do not reunite, and come back unchanged.
            let (other_client, _other_server) = connected_pair("127.0.0.1:0").await;
            let (other_reader, other_writer) = other_client.into_split();
            let error = reader.reunite(other_writer).unwrap_err();
            assert!(error.to_string().contains("not from the same socket"));
            let (reader, other_writer) = (error.0, error.1);
            other_writer.forget();
            drop(other_reader);

            // Halves of one stream do; the stream is whole again (its write side still open).
            let mut client = reader.reunite(writer).unwrap();
            client.write_all(b"whole").await.unwrap();
            let mut five = [0; 5];
            server.read_exact(&mut five).await.unwrap();
            assert_eq!(&five, b"whole");

            // Dropping an owned write half shuts the write side down.
            let (_reader, writer) = client.into_split();
            drop(writer);
            assert_eq!(server.read(&mut five).await.unwrap(), 0);
        });
    }

    fn borrowed_halves(rt) {
        rt.block_on(async {
            let (mut client, mut server) = connected_pair("127.0.0.1:0").await;
            let (mut reader, mut writer) = client.split();
            assert_eq!(reader.local_addr().unwrap(), writer.local_addr().unwrap());
            writer.write_all(b"half").await.unwrap();
            writer.close().await.unwrap();
            let mut buf = Vec::new();
            server.read_to_end(&mut buf).await.unwrap();
            assert_eq!(buf, b"half");
            server.write_all(b"back").await.unwrap();
            let mut four = [0; 4];
            reader.peek(&mut four).await.unwrap();
            reader.read_exact(&mut four).await.unwrap();
            assert_eq!(&four, b"back");
        });
    }

    fn peek_does_not_consume(rt) {
        rt.block_on(async {
            let (client, mut server) = connected_pair("127.0.0.1:0").await;

            // A peek waits for data like a read does.
            let sender = evloop::spawn(async move {
                evloop::time::sleep(Duration::from_millis(10)).await;
                (&client).write_all(b"hello").await.unwrap();
                client
            });
            let mut buf = [0; 5];
            let mut peeked = 0;
            while peeked < 5 {
                peeked = server.peek(&mut buf).await.unwrap();
            }
            assert_eq!(&buf, b"hello");
            let again = poll_fn(|cx| server.poll_peek(cx, &mut buf)).await.unwrap();
            assert_eq!((again, &buf), (5, b"hello"));
            let mut read = [0; 5];
            server.read_exact(&mut read).await.unwrap();
            assert_eq!(&read, b"hello");

            // At end-of-file a peek returns 0.
            drop(sender.await.unwrap());
            assert_eq!(server.peek(&mut buf).await.unwrap(), 0);
        });
    }

    fn try_read_and_try_write_with_readiness(rt) {
        rt.block_on(async {
            let (client, server) = connected_pair("127.0.0.1:0").await;
            let mut buf = [0; 64];
            assert_eq!(server.try_read(&mut buf).unwrap_err().kind(), ErrorKind::WouldBlock);

            client.writable().await.unwrap();
            assert_eq!(client.try_write(b"abc").unwrap(), 3);
            let written = client
                .try_write_vectored(&[IoSlice::new(b"de"), IoSlice::new(b"f")])
                .unwrap();
            assert_eq!(written, 3);

            let mut received = Vec::new();
            while received.len() < 6 {
                server.readable().await.unwrap();
                match server.try_read(&mut buf) {
                    Ok(n) => received.extend_from_slice(&buf[..n]),
                    Err(e) if e.kind() == ErrorKind::WouldBlock => continue,
                    Err(e) => panic!("{e}"),
                }
            }
            assert_eq!(received, b"abcdef");

            // Fill the connection until writes would block.
            let chunk = vec![9u8; 64 * 1024];
            let mut stuffed = 0;
            loop {
                match client.try_write(&chunk) {
                    Ok(n) => stuffed += n,
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                    Err(e) => panic!("{e}"),
                }
            }
            assert!(stuffed > 0);

            // `writable` waits until the peer has drained some, then a write goes through.
            let drain = evloop::spawn(async move {
                evloop::time::sleep(Duration::from_millis(20)).await;
                let mut server = server;
                let mut sink = vec![0; 64 * 1024];
                let mut drained = 0;
                loop {
                    let n = server.read(&mut sink).await.unwrap();
                    if n == 0 {
                        break drained;
                    }
                    drained += n;
                }
            });
            let mut more = 0;
            while more == 0 {
                client.writable().await.unwrap();
                match client.try_write(&chunk) {
                    Ok(n) => more = n,
                    Err(e) if e.kind() == ErrorKind::WouldBlock => continue,
                    Err(e) => panic!("{e}"),
                }
            }
            client.shutdown(Shutdown::Write).unwrap();
            assert_eq!(drain.await.unwrap(), stuffed + more);
        });
    }

    fn try_read_vectored_and_vectored_io(rt) {
        rt.block_on(async {
            let (mut client, mut server) = connected_pair("127.0.0.1:0").await;
            let n = client
                .write_vectored(&[IoSlice::new(b"vec"), IoSlice::new(b"tored")])
                .await
                .unwrap();
            assert_eq!(n, 8);
            let (mut a, mut b) = ([0; 3], [0; 5]);
            let got = loop {
                server.readable().await.unwrap();
                let mut bufs = [IoSliceMut::new(&mut a), IoSliceMut::new(&mut b)];
                match server.try_read_vectored(&mut bufs) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == ErrorKind::WouldBlock => continue,
                    Err(e) => panic!("{e}"),
                }
            };
            // One write of 8 bytes over loopback arrives in one piece.
            assert_eq!(got, 8);
            assert_eq!((&a, &b), (b"vec", b"tored"));

            server.write_all(b"xyz").await.unwrap();
            let (mut x, mut yz) = ([0; 1], [0; 2]);
            let mut bufs = [IoSliceMut::new(&mut x), IoSliceMut::new(&mut yz)];
            let n = client.read_vectored(&mut bufs).await.unwrap();
            assert!(n >= 1);
        });
    }

    fn options_round_trip(rt) {
        rt.block_on(async {
            let (client, _server) = connected_pair("127.0.0.1:0").await;
            client.set_nodelay(true).unwrap();
            assert!(client.nodelay().unwrap());
            client.set_nodelay(false).unwrap();
            assert!(!client.nodelay().unwrap());
            client.set_ttl(33).unwrap();
            assert_eq!(client.ttl().unwrap(), 33);
            assert_eq!(client.linger().unwrap(), None);
            client.set_linger(Some(Duration::from_secs(3))).unwrap();
            assert_eq!(client.linger().unwrap(), Some(Duration::from_secs(3)));
            client.set_linger(None).unwrap();
            assert!(client.take_error().unwrap().is_none());
            assert!(format!("{client:?}").contains("TcpStream"));
        });
    }

    fn std_conversions(rt) {
        rt.block_on(async {
            let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = std_listener.local_addr().unwrap();
            let listener = TcpListener::from_std(std_listener).unwrap();

            // A blocking std stream becomes non-blocking inside evloop.
            let std_client = std::net::TcpStream::connect(addr).unwrap();
            let mut client = TcpStream::try_from(std_client).unwrap();
            let (server, _) = listener.accept().await.unwrap();
            client.write_all(b"to std").await.unwrap();

            let mut std_server = server.into_std().unwrap();
            std_server.set_nonblocking(false).unwrap();
            let mut buf = [0; 6];
            std_server.read_exact(&mut buf).unwrap();
            assert_eq!(&buf, b"to std");
            std_server.write_all(b"back").unwrap();
            let mut four = [0; 4];
            client.read_exact(&mut four).await.unwrap();
            assert_eq!(&four, b"back");

            let std_listener = listener.into_std().unwrap();
            assert_eq!(std_listener.local_addr().unwrap(), addr);
        });
    }
}

/// The peer of [`always_readable_socket_does_not_starve_other_tasks`]: writes as fast as it can
/// until the connection breaks; sets `primed` once it has queued a megabyte.
fn flood(addr: SocketAddr, primed: Flag) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        let chunk = vec![0x5a; 64 * 1024];
        let mut sent = 0;
        loop {
            if stream.write_all(&chunk).is_err() {
                return;
            }
            sent += chunk.len();
            if sent >= 1 << 20 && !primed.is_set() {
                primed.set();
            }
        }
    })
}

rt_test! {
    /// A task reading a socket that never runs dry (one byte per read, while a thread keeps
    /// writing) would never return `Pending` by itself; the poll budget must make it yield so
    /// that the task that stops it gets to run. On a one-worker runtime, without the budget this
    /// test hangs.
    fn always_readable_socket_does_not_starve_other_tasks(rt) {
        rt.block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let primed = Flag::new();
            let peer = flood(listener.local_addr().unwrap(), primed.clone());
            let (stream, _) = listener.accept().await.unwrap();
            primed.wait().await;

            let stop = Arc::new(AtomicBool::new(false));
            let reader = evloop::spawn({
                let stop = stop.clone();
                async move {
                    let mut stream = stream;
                    let mut byte = [0; 1];
                    while !stop.load(SeqCst) {
                        assert_eq!(stream.read(&mut byte).await.unwrap(), 1);
                    }
                }
            });
            let stopper = evloop::spawn(async move { stop.store(true, SeqCst) });
            stopper.await.unwrap();
            // With several workers the stopper may even run first; the reads are not counted
            // here, only the finish matters.
            reader.await.unwrap();
            // The reader's stream is gone: the flooding thread's next write fails.
            peer.join().unwrap();
        });
    }
}

#[evloop::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_and_accept_from_different_tasks() -> io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = evloop::spawn(async move {
        let mut total = 0;
        for _ in 0..20 {
            let (mut stream, _) = listener.accept().await?;
            let mut buf = Vec::new();
            stream.read_to_end(&mut buf).await?;
            total += buf.len();
        }
        io::Result::Ok(total)
    });
    let mut clients = Vec::new();
    for i in 0..20 {
        clients.push(evloop::spawn(async move {
            let mut stream = TcpStream::connect(addr).await?;
            stream.write_all(&vec![1; i]).await?;
            stream.close().await
        }));
    }
    for client in clients {
        client.await??;
    }
    assert_eq!(server.await??, (0..20).sum::<usize>());
    Ok(())
}

#[evloop::test]
async fn a_stream_made_outside_a_task_works_inside_one() {
    let (client, server) = connected_pair("127.0.0.1:0").await;
    let task = evloop::spawn(async move {
        let mut server = server;
        let mut buf = [0; 2];
        server.read_exact(&mut buf).await.unwrap();
        buf
    });
    (&client).write_all(b"ok").await.unwrap();
    assert_eq!(&task.await.unwrap(), b"ok");
}

/// Waits at most ten seconds for `f`, so that a read that never wakes fails the test instead of
/// hanging it.
async fn within<T>(what: &str, f: impl std::future::Future<Output = T>) -> T {
    match evloop::time::timeout(Duration::from_secs(10), f).await {
        Ok(value) => value,
        Err(_) => panic!("{what}: no progress in 10 s"),
    }
}

rt_test! {
    /// Reads that fill their buffer exactly (a fixed-size protocol) followed by a wait for the
    /// next message: after a read that emptied the socket's queue the stream waits for the next
    /// readiness event instead of reading, so that event must arrive and be seen, whether the
    /// message comes at once or after a pause, in one segment or in two.
    fn exact_size_reads_keep_receiving_later_messages(rt) {
        rt.block_on(async {
            let (client, server) = connected_pair("127.0.0.1:0").await;
            let echo = evloop::spawn(async move {
                let mut server = server;
                let mut buf = [0u8; 64];
                for _ in 0..300 {
                    server.read_exact(&mut buf).await.unwrap();
                    server.write_all(&buf).await.unwrap();
                }
            });
            let mut client = client;
            // The split messages must not wait for Nagle's algorithm (and the peer's delayed
            // acknowledgement) between their two parts.
            client.set_nodelay(true).unwrap();
            for i in 0..300u32 {
                let msg = [(i % 251) as u8; 64];
                match i % 3 {
                    0 => client.write_all(&msg).await.unwrap(),
                    1 => {
                        evloop::time::sleep(Duration::from_millis(1)).await;
                        client.write_all(&msg).await.unwrap();
                    }
                    _ => {
                        client.write_all(&msg[..10]).await.unwrap();
                        evloop::time::sleep(Duration::from_millis(1)).await;
                        client.write_all(&msg[10..]).await.unwrap();
                    }
                }
                let mut back = [0u8; 64];
                within("reading the echo", client.read_exact(&mut back)).await.unwrap();
                assert_eq!(back, msg, "message {i}");
            }
            within("the echo task", echo).await.unwrap();
        });
    }

    /// End of file right after a read that took the last byte, with the peer's shutdown
    /// arriving before that read or after it.
    fn end_of_file_after_an_exact_size_read(rt) {
        rt.block_on(async {
            for shutdown_first in [true, false] {
                let (mut client, mut server) = connected_pair("127.0.0.1:0").await;
                client.write_all(&[7u8; 64]).await.unwrap();
                if shutdown_first {
                    client.shutdown(Shutdown::Write).unwrap();
                }
                let mut buf = [0u8; 64];
                within("reading the message", server.read_exact(&mut buf)).await.unwrap();
                assert_eq!(buf, [7u8; 64]);
                if !shutdown_first {
                    evloop::time::sleep(Duration::from_millis(5)).await;
                    client.shutdown(Shutdown::Write).unwrap();
                }
                let n = within("reading end of file", server.read(&mut buf)).await.unwrap();
                assert_eq!(n, 0, "shutdown first: {shutdown_first}");
            }
        });
    }
}

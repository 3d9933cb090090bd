//! `evloop::io`'s in-memory pipes (`duplex`, `simplex`, `SimplexStream`) and the copy helpers
//! `copy_bidirectional`, `copy_bidirectional_with_sizes` and `copy_buf`: data through them
//! checked byte for byte, back-pressure, end-of-file and broken pipes, wake-ups across tasks,
//! a proxy over pipes and over loopback TCP, and the same without any runtime.

#[macro_use]
mod util;

use std::future::Future;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use evloop::io::{
    self, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader, Cursor, DuplexStream,
    ErrorKind, IoSlice, SimplexStream,
};
use evloop::net::{TcpListener, TcpStream};
use futures_lite::future::{block_on, poll_once, zip};

/// `len` bytes of a pattern with no short period, so that bytes lost, duplicated or reordered
/// anywhere fail a comparison.
fn pattern(len: usize) -> Vec<u8> {
    (0..len as u64)
        .map(|i| {
            let x = i.wrapping_mul(0x9E37_79B9_7F4A_7C15);
            (x >> 56) as u8 ^ (i >> 8) as u8
        })
        .collect()
}

/// Asserts that `result` is an error of `kind`.
#[track_caller]
fn assert_kind<T: std::fmt::Debug>(result: io::Result<T>, kind: ErrorKind) {
    match result {
        Err(err) => assert_eq!(err.kind(), kind, "unexpected error {err:?}"),
        Ok(value) => panic!("expected {kind:?}, got Ok({value:?})"),
    }
}

/// Reads `reader` to its end through a fixed buffer. (`read_to_end` zeroes the spare capacity
/// of its vector at every poll, which adds up over the thousands of small reads from a small
/// pipe.)
async fn read_all<R: AsyncRead + Unpin + ?Sized>(reader: &mut R) -> io::Result<Vec<u8>> {
    let mut all = Vec::new();
    let mut buf = [0; 4096];
    loop {
        match reader.read(&mut buf).await? {
            0 => return Ok(all),
            n => all.extend_from_slice(&buf[..n]),
        }
    }
}

/// Whether `future` is still pending after one poll (it may have made progress).
async fn stays_pending<F: Future + Unpin>(future: F) -> bool {
    poll_once(future).await.is_none()
}

rt_test! {
    fn round_trip_both_ways(rt) {
        rt.block_on(async {
            let (mut client, mut server) = io::duplex(64);

            client.write_all(b"ping").await.unwrap();
            let mut buf = [0; 4];
            server.read_exact(&mut buf).await.unwrap();
            assert_eq!(&buf, b"ping");

            server.write_all(b"pong").await.unwrap();
            client.read_exact(&mut buf).await.unwrap();
            assert_eq!(&buf, b"pong");

            // Both directions at once, each with bytes in flight.
            client.write_all(b"to server").await.unwrap();
            server.write_all(b"to client").await.unwrap();
            let mut nine = [0; 9];
            server.read_exact(&mut nine).await.unwrap();
            assert_eq!(&nine, b"to server");
            client.read_exact(&mut nine).await.unwrap();
            assert_eq!(&nine, b"to client");

            // A vectored write takes what fits, in order, across the slices.
            let (mut small, mut other) = io::duplex(5);
            let written = small
                .write_vectored(&[IoSlice::new(b"abc"), IoSlice::new(b"defg")])
                .await
                .unwrap();
            assert_eq!(written, 5);
            let mut five = [0; 5];
            other.read_exact(&mut five).await.unwrap();
            assert_eq!(&five, b"abcde");

            // Empty reads and writes complete at once, even on an empty or full pipe.
            assert_eq!(other.read(&mut []).await.unwrap(), 0);
            small.write_all(&[9; 5]).await.unwrap();
            assert_eq!(small.write(&[]).await.unwrap(), 0);
            small.flush().await.unwrap();
        });
    }

    fn back_pressure_one_mebibyte_through_64_bytes(rt) {
        rt.block_on(async {
            const CAP: usize = 64;
            let data = Arc::new(pattern(1 << 20));
            let (mut writer, mut reader) = io::duplex(CAP);

            // With nobody reading, the pipe takes exactly `CAP` bytes and then holds the writer.
            assert!(stays_pending(writer.write_all(&data)).await);
            assert!(stays_pending(writer.write(&data[..1])).await);
            let mut first = [0; CAP];
            reader.read_exact(&mut first).await.unwrap();
            assert_eq!(&first[..], &data[..CAP]);

            // The rest from another task, while this one reads.
            let done = Arc::new(AtomicBool::new(false));
            let write = evloop::spawn({
                let data = data.clone();
                let done = done.clone();
                async move {
                    writer.write_all(&data[CAP..]).await?;
                    done.store(true, Ordering::SeqCst);
                    writer.close().await
                }
            });

            let mut received = first.to_vec();
            let mut buf = vec![0; 4096];
            loop {
                // The writer can only have finished once all but `CAP` bytes were read.
                if done.load(Ordering::SeqCst) {
                    assert!(received.len() + CAP >= data.len(), "{} read", received.len());
                }
                let n = reader.read(&mut buf).await.unwrap();
                if n == 0 {
                    break;
                }
                assert!(n <= CAP, "a read returned {n} bytes from a {CAP}-byte pipe");
                received.extend_from_slice(&buf[..n]);
            }
            write.await.unwrap().unwrap();
            assert!(received == *data, "the bytes differ from those written");
        });
    }

    fn eof_after_close_with_buffered_bytes_first(rt) {
        rt.block_on(async {
            let (mut a, mut b) = io::duplex(64);
            a.write_all(b"last words").await.unwrap();
            a.close().await.unwrap();

            let mut received = Vec::new();
            assert_eq!(b.read_to_end(&mut received).await.unwrap(), 10);
            assert_eq!(received, b"last words");
            // EOF again, as often as asked.
            assert_eq!(b.read(&mut [0; 8]).await.unwrap(), 0);

            // The closed direction refuses writes; the other one still works (a half close).
            assert_kind(a.write(b"more").await, ErrorKind::BrokenPipe);
            b.write_all(b"reply").await.unwrap();
            let mut reply = [0; 5];
            a.read_exact(&mut reply).await.unwrap();
            assert_eq!(&reply, b"reply");
        });
    }

    fn eof_after_drop_with_buffered_bytes_first(rt) {
        rt.block_on(async {
            let (mut a, mut b) = io::duplex(64);
            a.write_all(b"farewell").await.unwrap();
            drop(a);

            let mut received = Vec::new();
            b.read_to_end(&mut received).await.unwrap();
            assert_eq!(received, b"farewell");
            assert_eq!(b.read(&mut [0; 8]).await.unwrap(), 0);
            assert_kind(b.write_all(b"anyone?").await, ErrorKind::BrokenPipe);
            b.flush().await.unwrap();
            b.close().await.unwrap();
        });
    }

    fn broken_pipe_for_a_writer_waiting_when_the_peer_drops(rt) {
        rt.block_on(async {
            let (a, b) = io::duplex(64);
            let (blocked_tx, blocked_rx) = util::oneshot();
            let writer = evloop::spawn(async move {
                let mut b = b;
                b.write_all(&[1; 64]).await?;
                let mut write = pin!(b.write_all(b"one too many"));
                assert!(stays_pending(write.as_mut()).await, "the pipe is full");
                blocked_tx.send(());
                // Only dropping the peer can end this wait.
                write.await
            });
            blocked_rx.await.unwrap();
            drop(a);
            assert_kind(writer.await.unwrap(), ErrorKind::BrokenPipe);
        });
    }

    fn reader_waiting_on_an_empty_pipe_is_woken_by_another_task(rt) {
        rt.block_on(async {
            let (mut a, b) = io::duplex(64);
            let (waiting_tx, waiting_rx) = util::oneshot();
            let reader = evloop::spawn(async move {
                let mut b = b;
                let mut buf = [0; 16];
                let n = {
                    let mut read = pin!(b.read(&mut buf));
                    assert!(stays_pending(read.as_mut()).await, "nothing written yet");
                    waiting_tx.send(());
                    read.await.unwrap()
                };
                buf[..n].to_vec()
            });
            waiting_rx.await.unwrap();
            let writer = evloop::spawn(async move {
                a.write_all(b"wake up").await.unwrap();
                a
            });
            let _a = writer.await.unwrap();
            assert_eq!(reader.await.unwrap(), b"wake up");
        });
    }

    fn writer_waiting_on_a_full_pipe_is_woken_by_another_task(rt) {
        rt.block_on(async {
            let (a, mut b) = io::duplex(8);
            let (waiting_tx, waiting_rx) = util::oneshot();
            let writer = evloop::spawn(async move {
                let mut a = a;
                a.write_all(b"12345678").await.unwrap();
                {
                    let mut write = pin!(a.write_all(b"9"));
                    assert!(stays_pending(write.as_mut()).await, "the pipe is full");
                    waiting_tx.send(());
                    write.await.unwrap();
                }
                a
            });
            waiting_rx.await.unwrap();
            let mut nine = [0; 9];
            evloop::spawn(async move {
                b.read_exact(&mut nine).await.unwrap();
                assert_eq!(&nine, b"123456789");
            })
            .await
            .unwrap();
            drop(writer.await.unwrap());
        });
    }

    fn many_small_round_trips_lose_no_wake_up(rt) {
        rt.block_on(async {
            // One-byte pipes: every message needs a wake-up in each direction.
            let (mut a, mut b) = io::duplex(1);
            let echo = evloop::spawn(async move {
                let mut buf = [0; 2];
                let mut echoed = 0;
                loop {
                    match b.read_exact(&mut buf).await {
                        Ok(()) => {}
                        Err(err) if err.kind() == ErrorKind::UnexpectedEof => return echoed,
                        Err(err) => panic!("{err}"),
                    }
                    b.write_all(&buf).await.unwrap();
                    echoed += 1;
                }
            });
            for i in 0..500u16 {
                a.write_all(&i.to_le_bytes()).await.unwrap();
                let mut back = [0; 2];
                a.read_exact(&mut back).await.unwrap();
                assert_eq!(u16::from_le_bytes(back), i);
            }
            a.close().await.unwrap();
            assert_eq!(echo.await.unwrap(), 500);
        });
    }

    fn simplex_halves_on_two_tasks(rt) {
        rt.block_on(async {
            let data = Arc::new(pattern(100_000));
            let (mut reader, mut writer) = io::simplex(16);
            let write = evloop::spawn({
                let data = data.clone();
                async move {
                    writer.write_all(&data).await?;
                    writer.close().await
                }
            });
            let received = read_all(&mut reader).await.unwrap();
            write.await.unwrap().unwrap();
            assert!(received == *data, "the bytes differ from those written");
        });
    }

    fn simplex_stream_unsplit(rt) {
        rt.block_on(async {
            let mut pipe = SimplexStream::new_unsplit(4);
            // Full at 4 bytes: the fifth waits for a read.
            assert_eq!(pipe.write(b"abcdef").await.unwrap(), 4);
            assert!(stays_pending(pipe.write(b"e")).await);
            let mut two = [0; 2];
            pipe.read_exact(&mut two).await.unwrap();
            assert_eq!(&two, b"ab");
            pipe.write_all(b"ef").await.unwrap();
            assert!(stays_pending(pipe.write(b"g")).await);

            pipe.close().await.unwrap();
            assert_kind(pipe.write(b"g").await, ErrorKind::BrokenPipe);
            let mut rest = Vec::new();
            pipe.read_to_end(&mut rest).await.unwrap();
            assert_eq!(rest, b"cdef");
            assert!(format!("{pipe:?}").starts_with("SimplexStream"));
        });
    }

    fn copy_bidirectional_proxy_between_duplex_pairs(rt) {
        rt.block_on(async {
            // client <-> [proxy_a, proxy_b] <-> server, with small pipes so that everything
            // moves in many steps.
            let (mut client, mut proxy_a) = io::duplex(64);
            let (mut proxy_b, mut server) = io::duplex(100);
            let proxy = evloop::spawn(async move {
                io::copy_bidirectional(&mut proxy_a, &mut proxy_b).await
            });
            // The server echoes the whole request once it has all of it, then closes.
            let server = evloop::spawn(async move {
                let request = read_all(&mut server).await?;
                server.write_all(b"echo:").await?;
                server.write_all(&request).await?;
                server.close().await?;
                Ok::<_, io::Error>(request.len())
            });

            let request = pattern(50_000);
            // The client closes its write side first (the request is complete), then reads the
            // answer to its end.
            client.write_all(&request).await.unwrap();
            client.close().await.unwrap();
            let reply = read_all(&mut client).await.unwrap();

            assert_eq!(server.await.unwrap().unwrap(), request.len());
            let (to_server, to_client) = proxy.await.unwrap().unwrap();
            assert_eq!(to_server, request.len() as u64);
            assert_eq!(to_client, request.len() as u64 + 5);
            assert_eq!(&reply[..5], b"echo:");
            assert!(reply[5..] == request[..], "the echo differs from the request");
        });
    }

    fn copy_bidirectional_proxy_over_loopback_tcp(rt) {
        rt.block_on(async {
            // An echo server, a one-connection proxy in front of it, and a client of the proxy.
            let server = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let server_addr = server.local_addr().unwrap();
            let echo = evloop::spawn(async move {
                let (mut stream, _) = server.accept().await?;
                let mut received = Vec::new();
                stream.read_to_end(&mut received).await?;
                stream.write_all(&received).await?;
                stream.close().await?;
                Ok::<_, io::Error>(received.len())
            });

            let front = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let front_addr = front.local_addr().unwrap();
            let proxy = evloop::spawn(async move {
                let (mut inbound, _) = front.accept().await?;
                let mut outbound = TcpStream::connect(server_addr).await?;
                io::copy_bidirectional(&mut inbound, &mut outbound).await
            });

            let request = pattern(300_000);
            let mut client = TcpStream::connect(front_addr).await.unwrap();
            let (sent, reply) = {
                let (mut read_half, mut write_half) = client.split();
                zip(
                    async {
                        write_half.write_all(&request).await?;
                        write_half.close().await
                    },
                    async {
                        let mut reply = Vec::new();
                        read_half.read_to_end(&mut reply).await.map(|_| reply)
                    },
                )
                .await
            };
            sent.unwrap();
            let reply = reply.unwrap();

            assert_eq!(echo.await.unwrap().unwrap(), request.len());
            let n = request.len() as u64;
            assert_eq!(proxy.await.unwrap().unwrap(), (n, n));
            assert!(reply == request, "the echo differs from the request");
        });
    }

    fn copy_bidirectional_returns_a_write_error(rt) {
        rt.block_on(async {
            let (mut client, mut proxy_a) = io::duplex(64);
            let (mut proxy_b, mut server) = io::duplex(64);
            let proxy = evloop::spawn(async move {
                io::copy_bidirectional(&mut proxy_a, &mut proxy_b).await
            });
            // The client is gone before the answer comes: writing it towards the client fails.
            client.write_all(b"request").await.unwrap();
            drop(client);
            let mut request = Vec::new();
            server.read_to_end(&mut request).await.unwrap();
            assert_eq!(request, b"request");
            // Written until the proxy gives up (the pipe takes the first 64 bytes regardless).
            let _ = server.write_all(&[0; 1000]).await;
            assert_kind(proxy.await.unwrap(), ErrorKind::BrokenPipe);
        });
    }

    fn copy_bidirectional_with_small_buffers(rt) {
        rt.block_on(async {
            let (mut left, mut a) = io::duplex(4096);
            let (mut b, mut right) = io::duplex(4096);
            let left_data = pattern(3000);
            let right_data = pattern(2000);
            left.write_all(&left_data).await.unwrap();
            left.close().await.unwrap();
            right.write_all(&right_data).await.unwrap();
            right.close().await.unwrap();

            let copied = io::copy_bidirectional_with_sizes(&mut a, &mut b, 7, 3).await.unwrap();
            assert_eq!(copied, (3000, 2000));
            drop((a, b));
            let mut at_right = Vec::new();
            right.read_to_end(&mut at_right).await.unwrap();
            let mut at_left = Vec::new();
            left.read_to_end(&mut at_left).await.unwrap();
            assert!(at_right == left_data && at_left == right_data);
        });
    }

    fn copy_buf_from_a_buf_reader(rt) {
        rt.block_on(async {
            let data = pattern(100_000);
            for capacity in [1, 7, 8192] {
                let mut reader = BufReader::with_capacity(capacity, Cursor::new(data.clone()));
                let mut writer = Vec::new();
                assert_eq!(io::copy_buf(&mut reader, &mut writer).await.unwrap(), 100_000);
                assert!(writer == data, "capacity {capacity}: the bytes differ");
            }

            // Into a pipe that another task drains: the copy waits for room.
            let (mut into, mut out) = io::duplex(100);
            let drain = evloop::spawn(async move { read_all(&mut out).await });
            let mut reader = BufReader::new(Cursor::new(data.clone()));
            assert_eq!(io::copy_buf(&mut reader, &mut into).await.unwrap(), 100_000);
            into.close().await.unwrap();
            assert!(drain.await.unwrap().unwrap() == data);
        });
    }
}

/// A writer that accepts nothing.
struct Stuck;

impl AsyncWrite for Stuck {
    fn poll_write(self: Pin<&mut Self>, _: &mut Context<'_>, _: &[u8]) -> Poll<io::Result<usize>> {
        Poll::Ready(Ok(0))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl AsyncRead for Stuck {
    fn poll_read(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        _: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(Ok(0))
    }
}

#[test]
fn copies_into_a_writer_that_accepts_nothing_fail_with_write_zero() {
    block_on(async {
        let mut reader = BufReader::new(Cursor::new(b"data".to_vec()));
        assert_kind(
            io::copy_buf(&mut reader, &mut Stuck).await,
            ErrorKind::WriteZero,
        );

        let (mut left, mut a) = io::duplex(64);
        left.write_all(b"data").await.unwrap();
        assert_kind(
            io::copy_bidirectional(&mut a, &mut Stuck).await,
            ErrorKind::WriteZero,
        );
    });
}

#[test]
fn everything_works_without_a_runtime() {
    block_on(async {
        // A duplex round trip.
        let (mut a, mut b) = io::duplex(8);
        let data = pattern(10_000);
        let (sent, received) = zip(
            async {
                a.write_all(&data).await?;
                a.close().await
            },
            read_all(&mut b),
        )
        .await;
        sent.unwrap();
        assert!(received.unwrap() == data);

        // simplex.
        let (mut reader, mut writer) = io::simplex(8);
        let (sent, received) = zip(
            async {
                writer.write_all(&data).await?;
                writer.close().await
            },
            read_all(&mut reader),
        )
        .await;
        sent.unwrap();
        assert!(received.unwrap() == data);

        // A proxy.
        let (mut client, mut proxy_a) = io::duplex(16);
        let (mut proxy_b, mut server) = io::duplex(16);
        let proxy = io::copy_bidirectional(&mut proxy_a, &mut proxy_b);
        let ends = async {
            client.write_all(b"question").await?;
            client.close().await?;
            let mut question = Vec::new();
            server.read_to_end(&mut question).await?;
            server.write_all(b"answer").await?;
            server.close().await?;
            let mut answer = Vec::new();
            client.read_to_end(&mut answer).await?;
            Ok::<_, io::Error>((question, answer))
        };
        let (copied, ends) = zip(proxy, ends).await;
        assert_eq!(copied.unwrap(), (8, 6));
        let (question, answer) = ends.unwrap();
        assert_eq!(
            (&question[..], &answer[..]),
            (&b"question"[..], &b"answer"[..])
        );

        // copy_buf.
        let mut out = Vec::new();
        let mut reader = BufReader::with_capacity(3, Cursor::new(&data[..]));
        assert_eq!(io::copy_buf(&mut reader, &mut out).await.unwrap(), 10_000);
        assert!(out == data);
    });
}

#[test]
#[should_panic(expected = "`max_buf_size` must be greater than 0")]
fn duplex_of_zero_bytes_panics() {
    let _ = io::duplex(0);
}

#[test]
#[should_panic(expected = "`b_to_a_buf_size` must be greater than 0")]
fn copy_bidirectional_with_a_zero_buffer_panics() {
    let (mut a, _) = io::duplex(1);
    let (mut b, _) = io::duplex(1);
    // The call itself checks the sizes, before the future is polled.
    let copy = io::copy_bidirectional_with_sizes(&mut a, &mut b, 1, 0);
    drop(copy);
}

#[test]
fn debug_shows_the_state_not_the_bytes() {
    let (a, b): (DuplexStream, DuplexStream) = io::duplex(32);
    block_on(async {
        let mut a = a;
        a.write_all(b"xyz").await.unwrap();
        let shown = format!("{b:?}");
        assert!(shown.starts_with("DuplexStream"), "{shown}");
        assert!(shown.contains("buffered: 3"), "{shown}");
        assert!(shown.contains("max_buf_size: 32"), "{shown}");
    });
}

/// tokio's I/O traits on the pipes (feature `tokio-io`), with tokio's extension traits.
#[cfg(feature = "tokio-io")]
mod tokio_traits {
    // tokio's extension traits only: futures-lite's have methods of the same names.
    use super::{assert_kind, block_on, pattern, zip};
    use evloop::io::{self, ErrorKind, SimplexStream};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[test]
    fn duplex_with_tokio_extension_traits() {
        block_on(async {
            let (mut a, mut b) = io::duplex(16);
            let data = pattern(5000);
            let (sent, received) = zip(
                async {
                    a.write_all(&data).await?;
                    a.shutdown().await
                },
                async {
                    // `read_buf` reads into the spare capacity of a `Vec`, uninitialized memory.
                    let mut received = Vec::with_capacity(64);
                    loop {
                        received.reserve(64);
                        if b.read_buf(&mut received).await? == 0 {
                            break;
                        }
                    }
                    Ok::<_, io::Error>(received)
                },
            )
            .await;
            sent.unwrap();
            assert!(received.unwrap() == data);

            // The other direction is still open: tokio's traits there too.
            b.write_u32(0xDEAD_BEEF).await.unwrap();
            assert_eq!(a.read_u32().await.unwrap(), 0xDEAD_BEEF);
            b.shutdown().await.unwrap();
            let mut rest = Vec::new();
            assert_eq!(a.read_to_end(&mut rest).await.unwrap(), 0);

            // And on a SimplexStream, with a closed pipe refusing writes.
            let mut pipe = SimplexStream::new_unsplit(8);
            pipe.write_all(b"tokio").await.unwrap();
            pipe.shutdown().await.unwrap();
            let mut text = String::new();
            pipe.read_to_string(&mut text).await.unwrap();
            assert_eq!(text, "tokio");
            assert_kind(pipe.write(b"late").await, ErrorKind::BrokenPipe);
        });
    }
}

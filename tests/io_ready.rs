//! `ready`, `try_io` and `async_io` with `evloop::io::{Interest, Ready}` on real sockets: TCP
//! over loopback, UDP, and Unix stream and datagram pairs.
//!
//! "At once" below means "on the first poll": each such check polls the future exactly once
//! instead of timing it.

#[macro_use]
mod util;

use std::future::{poll_fn, Future};
use std::io::ErrorKind;
use std::pin::{pin, Pin};
use std::sync::Arc;
use std::task::Poll;

use evloop::io::{AsyncReadExt, AsyncWriteExt, Interest, Ready};
use evloop::net::{TcpListener, TcpStream, UdpSocket};

/// A connected pair: (client, server side).
async fn connected_pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let (server, _) = listener.accept().await.unwrap();
    (client, server)
}

/// Polls `future` once: its output if it is ready at once, `None` if it waits (its waker, the
/// calling task's, is then stored wherever the future stores it).
async fn poll_once<F: Future + Unpin>(future: &mut F) -> Option<F::Output> {
    poll_fn(|cx| match Pin::new(&mut *future).poll(cx) {
        Poll::Ready(output) => Poll::Ready(Some(output)),
        Poll::Pending => Poll::Ready(None),
    })
    .await
}

const BOTH: Interest = Interest::READABLE.add(Interest::WRITABLE);

#[test]
fn interest_and_ready_sets() {
    let mut interest = Interest::READABLE;
    interest |= Interest::ERROR;
    assert!(interest.is_readable() && interest.is_error() && !interest.is_writable());
    assert_eq!(interest.remove(Interest::READABLE), Some(Interest::ERROR));
    assert_eq!(BOTH.remove(BOTH), None);
    assert_eq!(format!("{BOTH:?}"), "READABLE | WRITABLE");

    let ready = Ready::WRITE_CLOSED | Ready::ERROR;
    assert!(ready.is_writable() && ready.is_write_closed() && ready.is_error());
    assert!(!ready.is_readable() && !ready.is_read_closed() && !ready.is_empty());
    assert_eq!(ready & Ready::ERROR, Ready::ERROR);
    assert_eq!(ready - Ready::ERROR, Ready::WRITE_CLOSED);
    assert!(Ready::EMPTY.is_empty());
    assert_eq!(Ready::ALL - Ready::ALL, Ready::EMPTY);
}

rt_test! {
    fn split_halves_wait_for_readiness_in_their_direction(rt) {
        rt.block_on(async {
            let (mut client, server) = connected_pair().await;
            let (reader, writer) = server.into_split();
            let mut writable = pin!(writer.ready(Interest::WRITABLE));
            let found = poll_once(&mut writable).await.expect("room to write at once");
            assert!(found.unwrap().is_writable());

            let mut readable = pin!(reader.ready(Interest::READABLE));
            assert!(poll_once(&mut readable).await.is_none(), "nothing was sent yet");
            client.write_all(b"hi").await.unwrap();
            assert!(readable.await.unwrap().is_readable());
            let mut buf = [0; 8];
            assert_eq!(reader.try_read(&mut buf).unwrap(), 2);

            let (mut client, mut server) = connected_pair().await;
            let (reader, _writer) = server.split();
            let mut readable = pin!(reader.ready(Interest::READABLE));
            assert!(poll_once(&mut readable).await.is_none(), "nothing was sent yet");
            client.write_all(b"hi").await.unwrap();
            assert!(readable.await.unwrap().is_readable());
        });
    }
}

rt_test! {
    fn tcp_ready_readable_waits_for_the_peer(rt) {
        rt.block_on(async {
            let (mut client, server) = connected_pair().await;
            let mut ready = pin!(server.ready(Interest::READABLE));
            assert!(poll_once(&mut ready).await.is_none(), "nothing was sent yet");

            client.write_all(b"hi").await.unwrap();
            let found = ready.await.unwrap();
            assert!(found.is_readable(), "{found:?}");
            assert!(!found.is_read_closed() && !found.is_writable(), "{found:?}");
            let mut buf = [0; 8];
            assert_eq!(server.try_read(&mut buf).unwrap(), 2);
            assert_eq!(&buf[..2], b"hi");
        });
    }

    fn tcp_ready_writable_is_immediate_on_a_fresh_connection(rt) {
        rt.block_on(async {
            let (client, server) = connected_pair().await;
            for stream in [&client, &server] {
                let mut ready = pin!(stream.ready(Interest::WRITABLE));
                let found = poll_once(&mut ready).await.expect("writable at once").unwrap();
                assert!(found.is_writable() && !found.is_write_closed(), "{found:?}");
                assert!(!found.is_readable(), "only the interest's directions: {found:?}");
            }
        });
    }

    fn tcp_ready_both_ways_reports_writable_at_once(rt) {
        rt.block_on(async {
            let (mut client, server) = connected_pair().await;
            let mut ready = pin!(server.ready(BOTH));
            let found = poll_once(&mut ready).await.expect("writable at once").unwrap();
            assert!(found.is_writable(), "{found:?}");
            assert!(!found.is_readable(), "nothing was sent: {found:?}");

            // Once data is there, both directions are reported.
            client.write_all(b"x").await.unwrap();
            server.ready(Interest::READABLE).await.unwrap();
            let found = server.ready(BOTH).await.unwrap();
            assert!(found.is_readable() && found.is_writable(), "{found:?}");
        });
    }

    fn tcp_ready_waits_again_after_a_read_that_would_block(rt) {
        rt.block_on(async {
            let (mut client, server) = connected_pair().await;
            let mut buf = [0; 8];
            for round in 0..3u8 {
                assert_eq!(server.try_read(&mut buf).unwrap_err().kind(), ErrorKind::WouldBlock);
                let mut ready = pin!(server.ready(Interest::READABLE));
                assert!(
                    poll_once(&mut ready).await.is_none(),
                    "round {round}: `ready` after `WouldBlock` must wait"
                );
                client.write_all(&[round]).await.unwrap();
                assert!(ready.await.unwrap().is_readable());
                assert_eq!(server.try_read(&mut buf).unwrap(), 1);
                assert_eq!(buf[0], round);
            }
        });
    }

    fn tcp_peer_close_reports_read_closed_and_end_of_file(rt) {
        rt.block_on(async {
            let (client, server) = connected_pair().await;
            let mut ready = pin!(server.ready(Interest::READABLE));
            assert!(poll_once(&mut ready).await.is_none());
            drop(client);

            let found = ready.await.unwrap();
            assert!(found.is_readable(), "{found:?}");
            // epoll and kqueue report the peer's close with the readability it causes; the
            // Windows poll device may report it in an event of its own, after that one.
            #[cfg(not(windows))]
            assert!(found.is_read_closed(), "{found:?}");
            let mut buf = [0; 8];
            assert_eq!(server.try_read(&mut buf).unwrap(), 0, "end-of-file");
            // End-of-file stays: `ready` keeps reporting it.
            assert!(server.ready(Interest::READABLE).await.unwrap().is_readable());
        });
    }

    fn tcp_try_io_clears_readiness_on_would_block(rt) {
        rt.block_on(async {
            let (mut client, server) = connected_pair().await;
            let mut buf = [0; 8];
            let mut calls = 0;
            // A new stream counts as readable, so the first attempt runs and fails; from then on
            // `f` does not run until the reactor reports readability. (An event that arrived
            // during an attempt, such as the registration's first report, keeps the readiness
            // for one more attempt.)
            let mut attempts = 0;
            loop {
                let before = calls;
                let result = server.try_io(Interest::READABLE, || {
                    calls += 1;
                    server.try_read(&mut buf)
                });
                assert_eq!(result.unwrap_err().kind(), ErrorKind::WouldBlock);
                if calls == before {
                    break;
                }
                attempts += 1;
                assert!(attempts < 100, "readiness is never cleared");
            }
            assert!(calls >= 1, "the first attempt runs");

            client.write_all(b"data").await.unwrap();
            let n = loop {
                assert!(server.ready(Interest::READABLE).await.unwrap().is_readable());
                match server.try_io(Interest::READABLE, || server.try_read(&mut buf)) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == ErrorKind::WouldBlock => continue,
                    Err(e) => panic!("{e}"),
                }
            };
            assert_eq!(&buf[..n], b"data");

            // Writing is untouched by all this, and other errors come back as they are.
            assert_eq!(server.try_io(Interest::WRITABLE, || server.try_write(b"ok")).unwrap(), 2);
            let error = server
                .try_io(Interest::WRITABLE, || -> std::io::Result<()> {
                    Err(ErrorKind::InvalidInput.into())
                })
                .unwrap_err();
            assert_eq!(error.kind(), ErrorKind::InvalidInput);
            let mut reply = [0; 2];
            client.read_exact(&mut reply).await.unwrap();
            assert_eq!(&reply, b"ok");
        });
    }

    fn tcp_async_io_retries_after_each_readiness(rt) {
        rt.block_on(async {
            let (mut client, server) = connected_pair().await;
            let mut buf = [0; 8];
            let mut calls = 0;
            let n = {
                let mut io = pin!(server.async_io(Interest::READABLE, || {
                    calls += 1;
                    server.try_read(&mut buf)
                }));
                assert!(poll_once(&mut io).await.is_none(), "nothing was sent yet");
                client.write_all(b"abc").await.unwrap();
                io.await.unwrap()
            };
            assert_eq!(&buf[..n], b"abc");
            assert!(calls >= 2, "tried at once, and again after the data came ({calls})");

            // A write that can go ahead does so on the first try.
            let sent = server
                .async_io(Interest::WRITABLE, || server.try_write(b"back"))
                .await
                .unwrap();
            assert_eq!(sent, 4);
            let mut reply = [0; 4];
            client.read_exact(&mut reply).await.unwrap();
            assert_eq!(&reply, b"back");
        });
    }

    fn tcp_dropping_a_pending_ready_leaves_reading_working(rt) {
        rt.block_on(async {
            let (client, server) = connected_pair().await;
            {
                let mut ready = pin!(server.ready(Interest::READABLE));
                assert!(poll_once(&mut ready).await.is_none());
            }
            // Another task reads now; the abandoned wait must not take its wake-up.
            let server = Arc::new(server);
            let reader = {
                let server = server.clone();
                evloop::spawn(async move {
                    let mut buf = [0; 5];
                    (&*server).read_exact(&mut buf).await.map(|()| buf)
                })
            };
            (&client).write_all(b"later").await.unwrap();
            assert_eq!(&reader.await.unwrap().unwrap(), b"later");
        });
    }

    fn udp_ready_try_io_and_async_io(rt) {
        rt.block_on(async {
            let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            let peer = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            let (me, peer_addr) = (socket.local_addr().unwrap(), peer.local_addr().unwrap());

            let mut ready = pin!(socket.ready(Interest::WRITABLE));
            let found = poll_once(&mut ready).await.expect("writable at once").unwrap();
            assert!(found.is_writable(), "{found:?}");

            let mut ready = pin!(socket.ready(Interest::READABLE));
            assert!(poll_once(&mut ready).await.is_none(), "no datagram yet");
            peer.send_to(b"dgram", me).await.unwrap();
            assert!(ready.await.unwrap().is_readable());

            let mut buf = [0; 16];
            let (len, from) = socket
                .try_io(Interest::READABLE, || socket.try_recv_from(&mut buf))
                .unwrap();
            assert_eq!((&buf[..len], from), (&b"dgram"[..], peer_addr));
            // The queue is empty now: the next attempt would block and clears readiness.
            let empty = socket.try_io(Interest::READABLE, || socket.try_recv_from(&mut buf));
            assert_eq!(empty.unwrap_err().kind(), ErrorKind::WouldBlock);
            let mut ready = pin!(socket.ready(Interest::READABLE));
            assert!(poll_once(&mut ready).await.is_none());

            peer.send_to(b"two", me).await.unwrap();
            let (len, _) = socket
                .async_io(Interest::READABLE, || socket.try_recv_from(&mut buf))
                .await
                .unwrap();
            assert_eq!(&buf[..len], b"two");
        });
    }
}

/// An error pending on the socket (a datagram refused by the loopback host) ends a wait for
/// `Interest::ERROR`, and the next receive returns it. Linux only: how, and whether, a refused
/// datagram is reported to the sender differs between systems (Wine drops it entirely).
#[cfg(target_os = "linux")]
mod errors {
    use super::*;

    rt_test! {
        fn udp_refused_datagram_is_reported_as_an_error(rt) {
            rt.block_on(async {
                let dead = UdpSocket::bind("127.0.0.1:0").await.unwrap();
                let dead_addr = dead.local_addr().unwrap();
                drop(dead);
                let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
                socket.connect(dead_addr).await.unwrap();

                let mut error = pin!(socket.ready(Interest::ERROR));
                assert!(poll_once(&mut error).await.is_none(), "no error yet");
                socket.send(b"anyone?").await.unwrap();
                let found = error.await.unwrap();
                assert!(found.is_error(), "{found:?}");

                let mut buf = [0; 8];
                let refused = socket.try_recv(&mut buf).unwrap_err();
                assert_eq!(refused.kind(), ErrorKind::ConnectionRefused, "{refused}");
            });
        }
    }
}

#[cfg(unix)]
mod unix {
    use super::*;
    use evloop::net::{UnixDatagram, UnixStream};

    /// Writes to `stream` until its send buffer is full (a Unix stream stays full until the
    /// peer reads); returns how much was written.
    fn fill(stream: &UnixStream) -> usize {
        let chunk = [7; 16 * 1024];
        let mut total = 0;
        loop {
            match stream.try_write(&chunk) {
                Ok(n) => total += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return total,
                Err(e) => panic!("{e}"),
            }
        }
    }

    rt_test! {
        fn unix_stream_ready_and_peer_close(rt) {
            rt.block_on(async {
                let (a, b) = UnixStream::pair().unwrap();
                let found = poll_once(&mut pin!(a.ready(BOTH))).await.expect("at once").unwrap();
                assert!(found.is_writable() && !found.is_readable(), "{found:?}");

                let mut ready = pin!(a.ready(Interest::READABLE));
                assert!(poll_once(&mut ready).await.is_none());
                b.try_write(b"hey").unwrap();
                assert!(ready.await.unwrap().is_readable());
                let mut buf = [0; 8];
                assert_eq!(a.try_io(Interest::READABLE, || a.try_read(&mut buf)).unwrap(), 3);

                let mut ready = pin!(a.ready(Interest::READABLE));
                assert!(poll_once(&mut ready).await.is_none());
                drop(b);
                let found = ready.await.unwrap();
                assert!(found.is_readable() && found.is_read_closed(), "{found:?}");
                assert_eq!(a.try_read(&mut buf).unwrap(), 0, "end-of-file");
            });
        }

        fn unix_stream_ready_waits_for_room_to_write(rt) {
            rt.block_on(async {
                let (a, mut b) = UnixStream::pair().unwrap();
                let written = fill(&a);
                let mut ready = pin!(a.ready(Interest::WRITABLE));
                assert!(poll_once(&mut ready).await.is_none(), "the send buffer is full");

                let mut drained = 0;
                let mut buf = vec![0; 64 * 1024];
                while drained < written {
                    drained += b.read(&mut buf).await.unwrap();
                }
                assert!(ready.await.unwrap().is_writable());
            });
        }

        fn unix_stream_dropping_a_wait_in_both_directions_leaves_both_working(rt) {
            rt.block_on(async {
                let (a, mut b) = UnixStream::pair().unwrap();
                let written = fill(&a);
                {
                    // Nothing to read and no room to write: this waits in both directions.
                    let mut ready = pin!(a.ready(BOTH));
                    assert!(poll_once(&mut ready).await.is_none());
                }

                // A reader and a writer in tasks of their own take over both directions.
                let a = Arc::new(a);
                let writer = {
                    let a = a.clone();
                    evloop::spawn(async move {
                        (&*a).write_all(b"tail").await?;
                        (&*a).close().await
                    })
                };
                let reader = {
                    let a = a.clone();
                    evloop::spawn(async move {
                        let mut buf = [0; 4];
                        (&*a).read_exact(&mut buf).await.map(|()| buf)
                    })
                };

                b.write_all(b"ping").await.unwrap();
                let mut received = Vec::new();
                b.read_to_end(&mut received).await.unwrap();
                assert_eq!(received.len(), written + 4);
                assert_eq!(&received[written..], b"tail");
                assert_eq!(&reader.await.unwrap().unwrap(), b"ping");
                writer.await.unwrap().unwrap();
            });
        }

        fn unix_datagram_ready_try_io_and_async_io(rt) {
            rt.block_on(async {
                let (a, b) = UnixDatagram::pair().unwrap();
                let found = poll_once(&mut pin!(a.ready(Interest::WRITABLE)))
                    .await
                    .expect("writable at once")
                    .unwrap();
                assert!(found.is_writable(), "{found:?}");

                let mut ready = pin!(b.ready(Interest::READABLE));
                assert!(poll_once(&mut ready).await.is_none(), "no datagram yet");
                a.send(b"one").await.unwrap();
                assert!(ready.await.unwrap().is_readable());

                let mut buf = [0; 8];
                let n = b.try_io(Interest::READABLE, || b.try_recv(&mut buf)).unwrap();
                assert_eq!(&buf[..n], b"one");
                let empty = b.try_io(Interest::READABLE, || b.try_recv(&mut buf));
                assert_eq!(empty.unwrap_err().kind(), ErrorKind::WouldBlock);
                // Cleared: the next attempt does not even run.
                let mut ran = false;
                let skipped = b.try_io(Interest::READABLE, || {
                    ran = true;
                    b.try_recv(&mut buf)
                });
                assert_eq!(skipped.unwrap_err().kind(), ErrorKind::WouldBlock);
                assert!(!ran, "readiness was cleared by the attempt that would block");

                let n = {
                    let mut io = pin!(b.async_io(Interest::READABLE, || b.try_recv(&mut buf)));
                    assert!(poll_once(&mut io).await.is_none());
                    a.send(b"two").await.unwrap();
                    io.await.unwrap()
                };
                assert_eq!(&buf[..n], b"two");
            });
        }
    }
}

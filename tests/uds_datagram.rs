//! `evloop::net::UnixDatagram`: bound, unbound, paired and connected sockets.

#![cfg(unix)]

#[macro_use]
mod util;

use std::future::poll_fn;
use std::io::ErrorKind;
use std::net::Shutdown;
use std::sync::Arc;
use std::time::Duration;

use evloop::net::UnixDatagram;

rt_test! {
    fn round_trip_between_bound_sockets(rt) {
        rt.block_on(async {
            let dir = tempfile::tempdir().unwrap();
            let (server_path, client_path) = (dir.path().join("s"), dir.path().join("c"));
            let server = UnixDatagram::bind(&server_path).unwrap();
            let client = UnixDatagram::bind(&client_path).unwrap();
            assert_eq!(server.local_addr().unwrap().as_pathname(), Some(server_path.as_path()));

            assert_eq!(client.send_to(b"question", &server_path).await.unwrap(), 8);
            let mut buf = [0; 32];
            let (len, from) = server.recv_from(&mut buf).await.unwrap();
            assert_eq!(&buf[..len], b"question");
            assert_eq!(from.as_pathname(), Some(client_path.as_path()));

            server.send_to(b"answer", from.as_pathname().unwrap()).await.unwrap();
            let (len, _) = client.recv_from(&mut buf).await.unwrap();
            assert_eq!(&buf[..len], b"answer");
        });
    }

    fn pair_keeps_boundaries(rt) {
        rt.block_on(async {
            let (a, b) = UnixDatagram::pair().unwrap();
            for message in [&b"first"[..], b"second", b"", b"fourth"] {
                a.send(message).await.unwrap();
            }
            let mut buf = [0; 16];
            for expected in [&b"first"[..], b"second", b"", b"fourth"] {
                let len = b.recv(&mut buf).await.unwrap();
                assert_eq!(&buf[..len], expected);
            }
            assert_eq!(b.try_recv(&mut buf).unwrap_err().kind(), ErrorKind::WouldBlock);
        });
    }

    fn unbound_socket_connects_and_gets_replies(rt) {
        rt.block_on(async {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("server");
            let server = UnixDatagram::bind(&path).unwrap();
            let client = UnixDatagram::unbound().unwrap();
            client.connect(&path).unwrap();
            assert_eq!(client.peer_addr().unwrap().as_pathname(), Some(path.as_path()));

            client.send(b"hi").await.unwrap();
            let mut buf = [0; 8];
            let (len, from) = server.recv_from(&mut buf).await.unwrap();
            assert_eq!(&buf[..len], b"hi");
            assert!(from.is_unnamed(), "an unbound sender has no name to reply to");
        });
    }

    fn receive_waits_and_poll_forms(rt) {
        rt.block_on(async {
            let (a, b) = UnixDatagram::pair().unwrap();
            let b = Arc::new(b);
            let task = evloop::spawn({
                let b = b.clone();
                async move {
                    let mut buf = [0; 8];
                    let len = poll_fn(|cx| b.poll_recv(cx, &mut buf)).await.unwrap();
                    buf[..len].to_vec()
                }
            });
            evloop::time::sleep(Duration::from_millis(20)).await;
            assert_eq!(poll_fn(|cx| a.poll_send(cx, b"late")).await.unwrap(), 4);
            assert_eq!(task.await.unwrap(), b"late");

            a.writable().await.unwrap();
            assert_eq!(a.try_send(b"now").unwrap(), 3);
            b.readable().await.unwrap();
            let mut buf = [0; 8];
            let (len, _) = poll_fn(|cx| b.poll_recv_from(cx, &mut buf)).await.unwrap();
            assert_eq!(&buf[..len], b"now");
        });
    }

    /// A full queue makes `send` wait until the receiver makes room; nothing is lost.
    fn send_waits_for_a_full_queue_to_drain(rt) {
        rt.block_on(async {
            let (a, b) = UnixDatagram::pair().unwrap();
            let datagram = [7u8; 1024];
            let mut queued = 0usize;
            loop {
                match a.try_send(&datagram) {
                    Ok(_) => queued += 1,
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                    Err(e) => panic!("{e}"),
                }
            }
            let sender = evloop::spawn(async move {
                for _ in 0..10 {
                    a.send(&datagram).await.unwrap();
                }
                a
            });
            let mut buf = [0; 2048];
            for _ in 0..queued + 10 {
                let len = b.recv(&mut buf).await.unwrap();
                assert_eq!(len, 1024);
            }
            let a = sender.await.unwrap();
            a.shutdown(Shutdown::Both).unwrap();
        });
    }

    fn errors_and_std_round_trip(rt) {
        rt.block_on(async {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("d");
            let socket = UnixDatagram::bind(&path).unwrap();
            assert_eq!(UnixDatagram::bind(&path).unwrap_err().kind(), ErrorKind::AddrInUse);
            let lonely = UnixDatagram::unbound().unwrap();
            assert!(lonely.peer_addr().is_err());
            let error = lonely.send_to(b"x", dir.path().join("missing")).await.unwrap_err();
            assert_eq!(error.kind(), ErrorKind::NotFound);
            assert!(socket.take_error().unwrap().is_none());

            let std_socket = socket.into_std().unwrap();
            let socket = UnixDatagram::try_from(std_socket).unwrap();
            lonely.try_send_to(b"y", &path).unwrap();
            let mut buf = [0; 1];
            assert_eq!(socket.recv(&mut buf).await.unwrap(), 1);
            assert!(format!("{socket:?}").contains("UnixDatagram"));
        });
    }
}

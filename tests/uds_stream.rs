//! `evloop::net::{UnixListener, UnixStream}`: round trips through a socket file and a socket
//! pair, half-close, splitting, `incoming`, errors, peer credentials.

#![cfg(unix)]

#[macro_use]
mod util;

use std::future::poll_fn;
use std::io::{ErrorKind, IoSlice, Read, Write};
use std::net::Shutdown;
use std::sync::Arc;

use evloop::io::{AsyncReadExt, AsyncWriteExt};
use evloop::net::{UnixListener, UnixStream};
use futures_lite::StreamExt;

rt_test! {
    fn round_trip_through_a_socket_file(rt) {
        rt.block_on(async {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("echo.sock");
            let listener = UnixListener::bind(&path).unwrap();
            assert_eq!(listener.local_addr().unwrap().as_pathname(), Some(path.as_path()));

            let server = evloop::spawn(async move {
                let (mut stream, addr) = listener.accept().await.unwrap();
                assert!(addr.is_unnamed(), "clients do not bind");
                let mut request = Vec::new();
                stream.read_to_end(&mut request).await.unwrap();
                stream.write_all(&request).await.unwrap();
                request.len()
            });

            let mut client = UnixStream::connect(&path).await.unwrap();
            assert_eq!(client.peer_addr().unwrap().as_pathname(), Some(path.as_path()));
            let payload: Vec<u8> = (0..300_000u32).map(|i| (i % 253) as u8).collect();
            // Write and read at once: the echo does not fit the socket buffers.
            let (reader, writer) = (&client, &client);
            let send = async {
                let mut writer = writer;
                writer.write_all(&payload).await.unwrap();
                writer.close().await.unwrap();
            };
            let receive = async {
                let mut reader = reader;
                let mut echoed = Vec::new();
                reader.read_to_end(&mut echoed).await.unwrap();
                echoed
            };
            let ((), echoed) = futures_lite::future::zip(send, receive).await;
            assert!(echoed == payload);
            assert_eq!(server.await.unwrap(), payload.len());
            client.close().await.ok();
        });
    }

    fn pair_round_trip_and_half_close(rt) {
        rt.block_on(async {
            let (mut a, mut b) = UnixStream::pair().unwrap();
            a.write_all(b"hello").await.unwrap();
            a.shutdown(Shutdown::Write).unwrap();
            let mut received = Vec::new();
            b.read_to_end(&mut received).await.unwrap();
            assert_eq!(received, b"hello");
            let mut buf = [0; 4];
            assert_eq!(b.read(&mut buf).await.unwrap(), 0, "end-of-file stays");

            // The other direction still works, and closing it ends it.
            b.write_all(b"back").await.unwrap();
            b.close().await.unwrap();
            let mut back = Vec::new();
            a.read_to_end(&mut back).await.unwrap();
            assert_eq!(back, b"back");

            let error = a.write_all(b"late").await.unwrap_err();
            assert_eq!(error.kind(), ErrorKind::BrokenPipe);
        });
    }

    fn owned_halves_in_two_tasks(rt) {
        rt.block_on(async {
            const LEN: usize = 200_000;
            let (a, b) = UnixStream::pair().unwrap();
            let (mut reader, mut writer) = a.into_split();
            // b echoes everything.
            let echo = evloop::spawn(async move {
                let mut b = b;
                let (mut from, mut to) = b.split();
                let mut buf = vec![0; 4096];
                loop {
                    let n = from.read(&mut buf).await.unwrap();
                    if n == 0 {
                        break;
                    }
                    to.write_all(&buf[..n]).await.unwrap();
                }
            });
            let write = evloop::spawn(async move {
                let data = vec![0xab; LEN];
                writer.write_all(&data).await.unwrap();
                // Dropping the half shuts down the write side: the echo task sees end-of-file.
            });
            let read = evloop::spawn(async move {
                let mut all = Vec::new();
                let mut buf = vec![0; 4096];
                while all.len() < LEN {
                    let n = reader.read(&mut buf).await.unwrap();
                    assert_ne!(n, 0);
                    all.extend_from_slice(&buf[..n]);
                }
                all
            });
            write.await.unwrap();
            let all = read.await.unwrap();
            assert!(all.len() == LEN && all.iter().all(|&byte| byte == 0xab));
            echo.await.unwrap();
        });
    }

    fn reunite_and_try_forms(rt) {
        rt.block_on(async {
            let (a, b) = UnixStream::pair().unwrap();
            let (reader, writer) = a.into_split();
            let (c, _d) = UnixStream::pair().unwrap();
            let (c_reader, c_writer) = c.into_split();
            let error = reader.reunite(c_writer).unwrap_err();
            let (reader, c_writer) = (error.0, error.1);
            drop((c_reader, c_writer));
            let a = writer.reunite(reader).unwrap();

            let mut buf = [0; 8];
            assert_eq!(b.try_read(&mut buf).unwrap_err().kind(), ErrorKind::WouldBlock);
            a.writable().await.unwrap();
            assert_eq!(a.try_write(b"try").unwrap(), 3);
            assert_eq!(
                a.try_write_vectored(&[IoSlice::new(b"a"), IoSlice::new(b"b")]).unwrap(),
                2
            );
            let mut got = Vec::new();
            while got.len() < 5 {
                b.readable().await.unwrap();
                match b.try_read(&mut buf) {
                    Ok(n) => got.extend_from_slice(&buf[..n]),
                    Err(e) if e.kind() == ErrorKind::WouldBlock => continue,
                    Err(e) => panic!("{e}"),
                }
            }
            assert_eq!(got, b"tryab");
            poll_fn(|cx| a.poll_write_ready(cx)).await.unwrap();
        });
    }

    fn incoming_connections(rt) {
        rt.block_on(async {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("incoming.sock");
            let listener = UnixListener::bind(&path).unwrap();
            let clients = evloop::spawn({
                let path = path.clone();
                async move {
                    let mut streams = Vec::new();
                    for i in 0..4u8 {
                        let mut stream = UnixStream::connect(&path).await.unwrap();
                        stream.write_all(&[i]).await.unwrap();
                        streams.push(stream);
                    }
                    streams
                }
            });
            let mut seen = Vec::new();
            let mut incoming = listener.incoming();
            while seen.len() < 4 {
                let mut stream = incoming.next().await.unwrap().unwrap();
                let mut byte = [0];
                stream.read_exact(&mut byte).await.unwrap();
                seen.push(byte[0]);
            }
            seen.sort_unstable();
            assert_eq!(seen, [0, 1, 2, 3]);
            drop(clients.await.unwrap());
        });
    }

    fn connect_errors(rt) {
        rt.block_on(async {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("nobody.sock");
            let error = UnixStream::connect(&path).await.unwrap_err();
            assert_eq!(error.kind(), ErrorKind::NotFound);

            // A socket file whose listener is gone refuses connections.
            drop(UnixListener::bind(&path).unwrap());
            let error = UnixStream::connect(&path).await.unwrap_err();
            assert_eq!(error.kind(), ErrorKind::ConnectionRefused);

            // Binding an existing path is AddrInUse.
            let error = UnixListener::bind(&path).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::AddrInUse);
        });
    }

    fn std_interop_and_shared_reference_io(rt) {
        rt.block_on(async {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("std.sock");
            let std_listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
            let listener = UnixListener::from_std(std_listener).unwrap();
            let client = Arc::new(UnixStream::connect(&path).await.unwrap());
            let (server, _) = listener.accept().await.unwrap();

            let mut std_server = server.into_std().unwrap();
            std_server.set_nonblocking(false).unwrap();
            // Small enough for the socket buffer: the write completes before the blocking read
            // (which would otherwise stall a current-thread runtime).
            (&*client).write_all(b"shared").await.unwrap();
            let mut buf = [0; 6];
            std_server.read_exact(&mut buf).unwrap();
            assert_eq!(&buf, b"shared");
            std_server.write_all(b"std").unwrap();
            let mut three = [0; 3];
            (&*client).read_exact(&mut three).await.unwrap();
            assert_eq!(&three, b"std");

            let std_client = Arc::try_unwrap(client).unwrap().into_std().unwrap();
            assert_eq!(std_client.peer_addr().unwrap().as_pathname(), Some(path.as_path()));
            let _listener = listener.into_std().unwrap();
        });
    }
}

#[cfg(any(target_os = "linux", target_os = "android"))]
#[evloop::test]
async fn peer_credentials_name_this_process() {
    let (a, b) = UnixStream::pair().unwrap();
    let cred = a.peer_cred().unwrap();
    assert_eq!(cred.pid(), Some(std::process::id() as i32));
    assert_eq!(cred, b.peer_cred().unwrap());
    assert_eq!(cred.uid(), rustix::process::getuid().as_raw());
    assert_eq!(cred.gid(), rustix::process::getgid().as_raw());
}

#[evloop::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_clients_on_one_listener() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("many.sock");
    let listener = UnixListener::bind(&path).unwrap();
    let server = evloop::spawn(async move {
        let mut served = 0;
        while served < 50 {
            let (mut stream, _) = listener.accept().await.unwrap();
            evloop::spawn(async move {
                let mut buf = Vec::new();
                stream.read_to_end(&mut buf).await.unwrap();
                stream.write_all(&buf).await.unwrap();
            });
            served += 1;
        }
    });
    let clients: Vec<_> = (0..50u32)
        .map(|i| {
            let path = path.clone();
            evloop::spawn(async move {
                let mut stream = UnixStream::connect(&path).await.unwrap();
                stream.write_all(&i.to_be_bytes()).await.unwrap();
                stream.close().await.unwrap();
                let mut back = Vec::new();
                stream.read_to_end(&mut back).await.unwrap();
                assert_eq!(back, i.to_be_bytes());
            })
        })
        .collect();
    for client in clients {
        client.await.unwrap();
    }
    server.await.unwrap();
}

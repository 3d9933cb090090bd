//! `evloop::net::TcpListener`: binding (address forms, `AddrInUse`, fallback to the next
//! address), accepting, the `incoming` stream, options.

#[macro_use]
mod util;

use std::future::poll_fn;
use std::io::{ErrorKind, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::thread;

use evloop::io::AsyncReadExt;
use evloop::net::{TcpListener, TcpStream};
use futures_lite::StreamExt;

rt_test! {
    fn bind_accepts_every_address_form(rt) {
        rt.block_on(async {
            let v4 = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
            let listeners = [
                TcpListener::bind("127.0.0.1:0").await,
                TcpListener::bind(String::from("[::1]:0")).await,
                TcpListener::bind(("127.0.0.1", 0)).await,
                TcpListener::bind(("::1".to_string(), 0)).await,
                TcpListener::bind((IpAddr::V6(Ipv6Addr::LOCALHOST), 0)).await,
                TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await,
                TcpListener::bind(v4).await,
                TcpListener::bind(&v4).await,
                TcpListener::bind(&[v4][..]).await,
                TcpListener::bind("localhost:0").await,
            ];
            for (i, listener) in listeners.into_iter().enumerate() {
                let listener = listener.unwrap_or_else(|e| panic!("form {i}: {e}"));
                let addr = listener.local_addr().unwrap();
                assert!(addr.ip().is_loopback(), "form {i}: {addr}");
                assert_ne!(addr.port(), 0);
            }
        });
    }

    fn binding_a_listening_port_again_is_addr_in_use(rt) {
        rt.block_on(async {
            for ip in ["127.0.0.1", "::1"] {
                let first = TcpListener::bind((ip, 0)).await.unwrap();
                let taken = first.local_addr().unwrap();
                let error = TcpListener::bind(taken).await.unwrap_err();
                assert_eq!(error.kind(), ErrorKind::AddrInUse, "{taken}: {error}");
                // A std listener sees the same.
                let error = std::net::TcpListener::bind(taken).unwrap_err();
                assert_eq!(error.kind(), ErrorKind::AddrInUse);
            }
        });
    }

    fn bind_falls_back_to_the_next_address_and_reports_the_last_error(rt) {
        rt.block_on(async {
            let first = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let taken = first.local_addr().unwrap();
            let free = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));

            let second = TcpListener::bind(&[taken, free][..]).await.unwrap();
            assert_ne!(second.local_addr().unwrap(), taken);

            let error = TcpListener::bind(&[taken, taken][..]).await.unwrap_err();
            assert_eq!(error.kind(), ErrorKind::AddrInUse);
            let error = TcpListener::bind(&[][..]).await.unwrap_err();
            assert_eq!(error.kind(), ErrorKind::InvalidInput);
        });
    }

    fn accept_waits_for_a_connection_from_a_thread(rt) {
        rt.block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let client = thread::spawn(move || {
                thread::sleep(std::time::Duration::from_millis(20));
                let mut stream = std::net::TcpStream::connect(addr).unwrap();
                stream.write_all(b"from a thread").unwrap();
                let mut reply = String::new();
                stream.read_to_string(&mut reply).unwrap();
                (stream.local_addr().unwrap(), reply)
            });
            let (mut stream, peer) = listener.accept().await.unwrap();
            let mut buf = [0; 13];
            stream.read_exact(&mut buf).await.unwrap();
            assert_eq!(&buf, b"from a thread");
            evloop::io::AsyncWriteExt::write_all(&mut stream, b"bye").await.unwrap();
            drop(stream);
            let (client_addr, reply) = client.join().unwrap();
            assert_eq!(peer, client_addr);
            assert_eq!(reply, "bye");
        });
    }

    fn poll_accept_and_incoming(rt) {
        rt.block_on(async {
            let listener = TcpListener::bind("[::1]:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let clients = evloop::spawn(async move {
                let mut streams = Vec::new();
                for _ in 0..5 {
                    streams.push(TcpStream::connect(addr).await.unwrap());
                }
                streams
            });

            let (first, peer) = poll_fn(|cx| listener.poll_accept(cx)).await.unwrap();
            assert_eq!(first.peer_addr().unwrap(), peer);
            let rest: Vec<_> = listener.incoming().take(4).collect().await;
            assert_eq!(rest.len(), 4);
            let clients = clients.await.unwrap();
            let mut client_ports: Vec<_> =
                clients.iter().map(|c| c.local_addr().unwrap().port()).collect();
            let mut accepted_ports = vec![first.peer_addr().unwrap().port()];
            for stream in rest {
                accepted_ports.push(stream.unwrap().peer_addr().unwrap().port());
            }
            client_ports.sort_unstable();
            accepted_ports.sort_unstable();
            assert_eq!(client_ports, accepted_ports);
        });
    }

    fn listener_options_and_std_round_trip(rt) {
        rt.block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            listener.set_ttl(99).unwrap();
            assert_eq!(listener.ttl().unwrap(), 99);
            assert!(listener.take_error().unwrap().is_none());
            assert!(format!("{listener:?}").contains("TcpListener"));

            let addr = listener.local_addr().unwrap();
            let std_listener = listener.into_std().unwrap();
            std_listener.set_nonblocking(false).unwrap();
            let client = thread::spawn(move || std::net::TcpStream::connect(addr).unwrap());
            let (accepted, _) = std_listener.accept().unwrap();
            drop((accepted, client.join().unwrap()));

            let listener = TcpListener::try_from(std_listener).unwrap();
            let _client = TcpStream::connect(addr).await.unwrap();
            listener.accept().await.unwrap();
        });
    }
}

#[evloop::test]
async fn incoming_stream_on_current_thread() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    evloop::spawn(async move {
        for i in 0..3u8 {
            let mut stream = TcpStream::connect(addr).await.unwrap();
            evloop::io::AsyncWriteExt::write_all(&mut stream, &[i])
                .await
                .unwrap();
        }
    });
    let mut incoming = listener.incoming();
    let mut seen = Vec::new();
    while seen.len() < 3 {
        let mut stream = incoming.next().await.unwrap().unwrap();
        let mut byte = [0];
        stream.read_exact(&mut byte).await.unwrap();
        seen.push(byte[0]);
    }
    seen.sort_unstable();
    assert_eq!(seen, [0, 1, 2]);
}

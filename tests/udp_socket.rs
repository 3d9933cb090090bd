//! `evloop::net::UdpSocket` over loopback: round trips, datagrams to oneself, connected
//! sockets, peeking, the `poll_*` and `try_*` forms, errors and options.

#[macro_use]
mod util;

use std::future::poll_fn;
use std::io::ErrorKind;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use evloop::net::UdpSocket;

rt_test! {
    fn round_trip_between_two_sockets(rt) {
        rt.block_on(async {
            for ip in ["127.0.0.1", "::1"] {
                let a = UdpSocket::bind((ip, 0)).await.unwrap();
                let b = UdpSocket::bind((ip, 0)).await.unwrap();
                let (a_addr, b_addr) = (a.local_addr().unwrap(), b.local_addr().unwrap());

                assert_eq!(a.send_to(b"ping", b_addr).await.unwrap(), 4);
                let mut buf = [0; 64];
                let (len, from) = b.recv_from(&mut buf).await.unwrap();
                assert_eq!((&buf[..len], from), (&b"ping"[..], a_addr));

                assert_eq!(b.send_to(b"pong", from).await.unwrap(), 4);
                let (len, from) = a.recv_from(&mut buf).await.unwrap();
                assert_eq!((&buf[..len], from), (&b"pong"[..], b_addr));
            }
        });
    }

    fn datagram_to_self(rt) {
        rt.block_on(async {
            let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            let me = socket.local_addr().unwrap();
            socket.send_to(b"myself", me).await.unwrap();
            let mut buf = [0; 16];
            let (len, from) = socket.recv_from(&mut buf).await.unwrap();
            assert_eq!((&buf[..len], from), (&b"myself"[..], me));

            // Through the name resolver's literal path too.
            socket.send_to(b"again", format!("127.0.0.1:{}", me.port())).await.unwrap();
            let (len, _) = socket.recv_from(&mut buf).await.unwrap();
            assert_eq!(&buf[..len], b"again");
        });
    }

    fn receive_waits_for_a_later_datagram(rt) {
        rt.block_on(async {
            let receiver = Arc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
            let to = receiver.local_addr().unwrap();
            let task = evloop::spawn({
                let receiver = receiver.clone();
                async move {
                    let mut buf = [0; 16];
                    let (len, _) = receiver.recv_from(&mut buf).await.unwrap();
                    buf[..len].to_vec()
                }
            });
            evloop::time::sleep(Duration::from_millis(20)).await;
            let sender = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            sender.send_to(b"late", to).await.unwrap();
            assert_eq!(task.await.unwrap(), b"late");
        });
    }

    fn connected_send_and_recv(rt) {
        rt.block_on(async {
            let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            let stranger = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            a.connect(b.local_addr().unwrap()).await.unwrap();
            b.connect(a.local_addr().unwrap()).await.unwrap();
            assert_eq!(a.peer_addr().unwrap(), b.local_addr().unwrap());

            // A datagram from someone else is filtered out by the connected socket.
            stranger.send_to(b"noise", b.local_addr().unwrap()).await.unwrap();
            a.send(b"signal").await.unwrap();
            let mut buf = [0; 16];
            let len = b.recv(&mut buf).await.unwrap();
            assert_eq!(&buf[..len], b"signal");

            b.send(b"reply").await.unwrap();
            let len = a.peek(&mut buf).await.unwrap();
            assert_eq!(&buf[..len], b"reply");
            let len = a.recv(&mut buf).await.unwrap();
            assert_eq!(&buf[..len], b"reply");
            assert_eq!(a.try_recv(&mut buf).unwrap_err().kind(), ErrorKind::WouldBlock);
        });
    }

    fn connected_socket_reports_a_refused_port(rt) {
        rt.block_on(async {
            let dead = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            let dead_addr = dead.local_addr().unwrap();
            drop(dead);
            let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            socket.connect(dead_addr).await.unwrap();
            socket.send(b"anyone?").await.unwrap();
            let mut buf = [0; 8];
            let error = socket.recv(&mut buf).await.unwrap_err();
            assert_eq!(error.kind(), ErrorKind::ConnectionRefused, "{error}");
        });
    }

    fn peek_from_keeps_the_datagram(rt) {
        rt.block_on(async {
            let socket = UdpSocket::bind("[::1]:0").await.unwrap();
            let me = socket.local_addr().unwrap();
            socket.send_to(b"one", me).await.unwrap();
            socket.send_to(b"two", me).await.unwrap();
            let mut buf = [0; 8];
            for _ in 0..2 {
                let (len, from) = socket.peek_from(&mut buf).await.unwrap();
                assert_eq!((&buf[..len], from), (&b"one"[..], me));
            }
            let (len, _) = poll_fn(|cx| socket.poll_peek_from(cx, &mut buf)).await.unwrap();
            assert_eq!(&buf[..len], b"one");
            let (len, _) = socket.recv_from(&mut buf).await.unwrap();
            assert_eq!(&buf[..len], b"one");
            let (len, _) = socket.recv_from(&mut buf).await.unwrap();
            assert_eq!(&buf[..len], b"two");
        });
    }

    fn poll_and_try_forms(rt) {
        rt.block_on(async {
            let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            let b_addr = b.local_addr().unwrap();
            let mut buf = [0; 16];

            assert_eq!(b.try_recv_from(&mut buf).unwrap_err().kind(), ErrorKind::WouldBlock);
            let sent = poll_fn(|cx| a.poll_send_to(cx, b"polled", b_addr)).await.unwrap();
            assert_eq!(sent, 6);
            let (len, from) = poll_fn(|cx| b.poll_recv_from(cx, &mut buf)).await.unwrap();
            assert_eq!((&buf[..len], from), (&b"polled"[..], a.local_addr().unwrap()));

            a.writable().await.unwrap();
            assert_eq!(a.try_send_to(b"tried", b_addr).unwrap(), 5);
            let len = loop {
                b.readable().await.unwrap();
                match b.try_recv_from(&mut buf) {
                    Ok((len, _)) => break len,
                    Err(e) if e.kind() == ErrorKind::WouldBlock => continue,
                    Err(e) => panic!("{e}"),
                }
            };
            assert_eq!(&buf[..len], b"tried");

            a.connect(b_addr).await.unwrap();
            b.connect(a.local_addr().unwrap()).await.unwrap();
            assert_eq!(poll_fn(|cx| a.poll_send(cx, b"c1")).await.unwrap(), 2);
            let len = poll_fn(|cx| b.poll_recv(cx, &mut buf)).await.unwrap();
            assert_eq!(&buf[..len], b"c1");
            assert_eq!(a.try_send(b"c2").unwrap(), 2);
            let len = b.recv(&mut buf).await.unwrap();
            assert_eq!(&buf[..len], b"c2");
        });
    }

    /// One task receives on a shared socket while another sends on it.
    fn receive_and_send_from_two_tasks(rt) {
        rt.block_on(async {
            const COUNT: u32 = 200;
            let socket = Arc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
            let echo = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            let echo_addr = echo.local_addr().unwrap();
            socket.connect(echo_addr).await.unwrap();
            let echo_task = evloop::spawn(async move {
                let mut buf = [0; 8];
                for _ in 0..COUNT {
                    let (len, from) = echo.recv_from(&mut buf).await.unwrap();
                    echo.send_to(&buf[..len], from).await.unwrap();
                }
            });
            let receiver = evloop::spawn({
                let socket = socket.clone();
                async move {
                    let mut sum = 0u64;
                    let mut buf = [0; 8];
                    for _ in 0..COUNT {
                        let len = socket.recv(&mut buf).await.unwrap();
                        assert_eq!(len, 4);
                        sum += u64::from(u32::from_le_bytes(buf[..4].try_into().unwrap()));
                    }
                    sum
                }
            });
            let sender = evloop::spawn({
                let socket = socket.clone();
                async move {
                    for i in 0..COUNT {
                        socket.send(&i.to_le_bytes()).await.unwrap();
                        // Keep well within the receive buffers: loopback drops nothing then.
                        if i % 16 == 15 {
                            evloop::time::sleep(Duration::from_millis(1)).await;
                        }
                    }
                }
            });
            sender.await.unwrap();
            assert_eq!(receiver.await.unwrap(), u64::from(COUNT * (COUNT - 1) / 2));
            echo_task.await.unwrap();
        });
    }

    fn binding_a_bound_port_again_is_addr_in_use(rt) {
        rt.block_on(async {
            let first = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            let error = UdpSocket::bind(first.local_addr().unwrap()).await.unwrap_err();
            assert_eq!(error.kind(), ErrorKind::AddrInUse);
        });
    }

    fn options_and_std_round_trip(rt) {
        rt.block_on(async {
            let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            socket.set_broadcast(true).unwrap();
            assert!(socket.broadcast().unwrap());
            socket.set_ttl(12).unwrap();
            assert_eq!(socket.ttl().unwrap(), 12);
            socket.set_multicast_loop_v4(false).unwrap();
            assert!(!socket.multicast_loop_v4().unwrap());
            socket.set_multicast_ttl_v4(3).unwrap();
            assert_eq!(socket.multicast_ttl_v4().unwrap(), 3);
            assert!(socket.take_error().unwrap().is_none());
            assert!(socket.peer_addr().is_err(), "not connected");

            // Membership needs a multicast-capable interface; where there is one, joining and
            // leaving must both work.
            let group = Ipv4Addr::new(239, 255, 12, 34);
            let any = UdpSocket::bind("0.0.0.0:0").await.unwrap();
            if any.join_multicast_v4(group, Ipv4Addr::LOCALHOST).is_ok() {
                any.leave_multicast_v4(group, Ipv4Addr::LOCALHOST).unwrap();
            }

            let addr: SocketAddr = socket.local_addr().unwrap();
            let std_socket = socket.into_std().unwrap();
            assert_eq!(std_socket.local_addr().unwrap(), addr);
            let socket = UdpSocket::try_from(std_socket).unwrap();
            socket.send_to(b"x", addr).await.unwrap();
            let mut buf = [0; 1];
            socket.recv_from(&mut buf).await.unwrap();
        });
    }
}

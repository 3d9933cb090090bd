//! `evloop::net::TcpSocket` over loopback: binding, listening and connecting (IPv4 and IPv6),
//! refused connections, `SO_REUSEADDR` and `SO_REUSEPORT` at work, options read back, the flags
//! a new socket has, `from_std_stream`, the raw descriptor traits, and invalid operations
//! reported as errors.

#[macro_use]
mod util;

use std::io::{self, ErrorKind};
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use evloop::io::{AsyncReadExt, AsyncWriteExt};
use evloop::net::{TcpListener, TcpSocket, TcpStream};

/// Port 0 on the IPv4 loopback address: the system picks a free port.
fn any_port_v4() -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, 0))
}

/// Port 0 on `::1`, if this machine has IPv6 on loopback; `None` (and a note) otherwise.
fn any_port_v6() -> Option<SocketAddr> {
    let addr: SocketAddr = "[::1]:0".parse().unwrap();
    match std::net::TcpListener::bind(addr) {
        Ok(_) => Some(addr),
        Err(error) => {
            eprintln!("skipped: no IPv6 loopback here ({error})");
            None
        }
    }
}

/// A listener made by a `TcpSocket` bound to `addr`.
fn listener_on(addr: SocketAddr) -> TcpListener {
    let socket = match addr {
        SocketAddr::V4(_) => TcpSocket::new_v4(),
        SocketAddr::V6(_) => TcpSocket::new_v6(),
    }
    .unwrap();
    socket.bind(addr).unwrap();
    socket.listen(1024).unwrap()
}

/// An address on loopback that nobody listens on (a listener was bound there and dropped).
fn dead_address(addr: SocketAddr) -> SocketAddr {
    std::net::TcpListener::bind(addr)
        .unwrap()
        .local_addr()
        .unwrap()
}

/// Bytes `0, 1, 2, …` wrapping at 251 (a prime, so the pattern does not line up with buffer
/// sizes).
fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

/// Hands the socket over to `std` through the raw descriptor traits.
#[cfg(unix)]
fn into_std(socket: TcpSocket) -> std::net::TcpStream {
    use std::os::fd::{FromRawFd, IntoRawFd};
    // SAFETY: the descriptor comes straight from `into_raw_fd`: open, and owned by nothing else.
    unsafe { std::net::TcpStream::from_raw_fd(socket.into_raw_fd()) }
}

/// Hands the socket over to `std` through the raw socket traits.
#[cfg(windows)]
fn into_std(socket: TcpSocket) -> std::net::TcpStream {
    use std::os::windows::io::{FromRawSocket, IntoRawSocket};
    // SAFETY: the socket comes straight from `into_raw_socket`: open, and owned by nothing else.
    unsafe { std::net::TcpStream::from_raw_socket(socket.into_raw_socket()) }
}

/// Takes a socket back from its raw descriptor.
#[cfg(unix)]
fn socket_from_raw(socket: TcpSocket) -> TcpSocket {
    use std::os::fd::{FromRawFd, IntoRawFd};
    // SAFETY: the descriptor comes straight from `into_raw_fd`: open, and owned by nothing else.
    unsafe { TcpSocket::from_raw_fd(socket.into_raw_fd()) }
}

/// Takes a socket back from its raw socket.
#[cfg(windows)]
fn socket_from_raw(socket: TcpSocket) -> TcpSocket {
    use std::os::windows::io::{FromRawSocket, IntoRawSocket};
    // SAFETY: the socket comes straight from `into_raw_socket`: open, and owned by nothing else.
    unsafe { TcpSocket::from_raw_socket(socket.into_raw_socket()) }
}

/// Sends 256 KiB from a connecting task to an accepting task, which answers with what it got;
/// returns after checking both directions and the addresses each side sees.
async fn exchange_over(listen_on: SocketAddr) {
    let listener = listener_on(listen_on);
    let addr = listener.local_addr().unwrap();
    let sent = pattern(256 * 1024);

    let server = evloop::spawn(async move {
        let (mut stream, peer) = listener.accept().await?;
        let mut got = Vec::new();
        stream.read_to_end(&mut got).await?;
        stream.write_all(&got[..16]).await?;
        io::Result::Ok((got, peer))
    });
    let to_send = sent.clone();
    let client = evloop::spawn(async move {
        let socket = match addr {
            SocketAddr::V4(_) => TcpSocket::new_v4()?,
            SocketAddr::V6(_) => TcpSocket::new_v6()?,
        };
        let mut stream = socket.connect(addr).await?;
        assert_eq!(stream.peer_addr()?, addr);
        stream.write_all(&to_send).await?;
        stream.close().await?; // the server reads end-of-file
        let mut reply = Vec::new();
        stream.read_to_end(&mut reply).await?;
        io::Result::Ok((reply, stream.local_addr()?))
    });

    let (reply, client_addr) = client.await.unwrap().unwrap();
    let (got, peer) = server.await.unwrap().unwrap();
    assert_eq!(got, sent);
    assert_eq!(reply, &sent[..16]);
    assert_eq!(peer, client_addr);
}

rt_test! {
    fn bind_listen_connect_and_exchange_data(rt) {
        rt.block_on(exchange_over(any_port_v4()));
    }

    fn bind_listen_connect_and_exchange_data_over_ipv6(rt) {
        if let Some(addr) = any_port_v6() {
            rt.block_on(exchange_over(addr));
        }
    }

    fn connect_to_a_closed_port_is_refused(rt) {
        rt.block_on(async {
            let mut addrs = vec![any_port_v4()];
            addrs.extend(any_port_v6());
            for addr in addrs {
                let dead = dead_address(addr);
                let socket = match dead {
                    SocketAddr::V4(_) => TcpSocket::new_v4(),
                    SocketAddr::V6(_) => TcpSocket::new_v6(),
                }
                .unwrap();
                let error = socket.connect(dead).await.unwrap_err();
                assert_eq!(error.kind(), ErrorKind::ConnectionRefused, "{dead}: {error}");
            }
        });
    }

    fn local_addr_after_binding_to_port_zero(rt) {
        rt.block_on(async {
            let socket = TcpSocket::new_v4().unwrap();
            socket.bind(any_port_v4()).unwrap();
            let addr = socket.local_addr().unwrap();
            assert_eq!(addr.ip(), Ipv4Addr::LOCALHOST);
            assert_ne!(addr.port(), 0, "the system picked a port");

            let listener = socket.listen(16).unwrap();
            assert_eq!(listener.local_addr().unwrap(), addr);
            let client = TcpStream::connect(addr).await.unwrap();
            let (_server, peer) = listener.accept().await.unwrap();
            assert_eq!(peer, client.local_addr().unwrap());
        });
    }

    fn connect_from_a_chosen_local_address(rt) {
        rt.block_on(async {
            let listener = TcpListener::bind(any_port_v4()).await.unwrap();
            let to = listener.local_addr().unwrap();

            let socket = TcpSocket::new_v4().unwrap();
            socket.bind(any_port_v4()).unwrap();
            let from = socket.local_addr().unwrap();
            let mut stream = socket.connect(to).await.unwrap();
            assert_eq!(stream.local_addr().unwrap(), from);

            let (mut server, peer) = listener.accept().await.unwrap();
            assert_eq!(peer, from);
            stream.write_all(b"from here").await.unwrap();
            let mut buf = [0; 9];
            server.read_exact(&mut buf).await.unwrap();
            assert_eq!(&buf, b"from here");
        });
    }

    fn reuseaddr_lets_a_listener_bind_a_port_old_connections_hold(rt) {
        rt.block_on(async {
            let first = TcpSocket::new_v4().unwrap();
            first.set_reuseaddr(true).unwrap();
            first.bind(any_port_v4()).unwrap();
            let listener = first.listen(8).unwrap();
            let addr = listener.local_addr().unwrap();

            let mut client = TcpStream::connect(addr).await.unwrap();
            let (server, _) = listener.accept().await.unwrap();
            // The server closes first, so its end of the connection stays on the port a while
            // (`TIME_WAIT`) after both the connection and the listener are gone.
            drop(server);
            drop(listener);
            let mut rest = Vec::new();
            client.read_to_end(&mut rest).await.unwrap();
            drop(client);

            // Without `SO_REUSEADDR`, Linux keeps the port for the old connection.
            #[cfg(target_os = "linux")]
            {
                let plain = TcpSocket::new_v4().unwrap();
                assert!(!plain.reuseaddr().unwrap());
                let error = plain.bind(addr).unwrap_err();
                assert_eq!(error.kind(), ErrorKind::AddrInUse, "{error}");
            }

            let second = TcpSocket::new_v4().unwrap();
            second.set_reuseaddr(true).unwrap();
            second.bind(addr).unwrap();
            let listener = second.listen(8).unwrap();
            assert_eq!(listener.local_addr().unwrap(), addr);
            let client = TcpStream::connect(addr).await.unwrap();
            let (_server, peer) = listener.accept().await.unwrap();
            assert_eq!(peer, client.local_addr().unwrap());
        });
    }

    fn binding_a_listening_port_again_is_addr_in_use(rt) {
        rt.block_on(async {
            let listener = listener_on(any_port_v4());
            let taken = listener.local_addr().unwrap();
            let socket = TcpSocket::new_v4().unwrap();
            let error = socket.bind(taken).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::AddrInUse, "{taken}: {error}");
            // The listener is unharmed.
            let _client = TcpStream::connect(taken).await.unwrap();
            listener.accept().await.unwrap();
        });
    }

    fn invalid_operations_are_errors(rt) {
        rt.block_on(async {
            // Binding twice.
            let socket = TcpSocket::new_v4().unwrap();
            socket.bind(any_port_v4()).unwrap();
            let error = socket.bind(any_port_v4()).unwrap_err();
            #[cfg(target_os = "linux")]
            assert_eq!(error.kind(), ErrorKind::InvalidInput, "{error}");
            drop(error);

            // An address of the other IP version.
            let v6: SocketAddr = "[::1]:1".parse().unwrap();
            assert!(TcpSocket::new_v4().unwrap().bind(v6).is_err());
            assert!(TcpSocket::new_v4().unwrap().connect(v6).await.is_err());

            // Connecting a socket that is connected already.
            let listener = TcpListener::bind(any_port_v4()).await.unwrap();
            let addr = listener.local_addr().unwrap();
            let std_stream = std::net::TcpStream::connect(addr).unwrap();
            let socket = TcpSocket::from_std_stream(std_stream);
            assert!(socket.connect(addr).await.is_err());

            // A value the option cannot hold.
            let socket = TcpSocket::new_v4().unwrap();
            let error = socket.set_tos_v4(256).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::InvalidInput);
            let error = socket.set_send_buffer_size(u32::MAX).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::InvalidInput);
        });
    }

    fn from_std_stream_of_a_blocking_socket_connects_without_blocking(rt) {
        rt.block_on(async {
            let listener = TcpListener::bind(any_port_v4()).await.unwrap();
            let addr = listener.local_addr().unwrap();

            let std_socket = into_std(TcpSocket::new_v4().unwrap());
            std_socket.set_nonblocking(false).unwrap();
            let socket = TcpSocket::from_std_stream(std_socket);
            let mut stream = socket.connect(addr).await.unwrap();
            let (mut server, _) = listener.accept().await.unwrap();

            // Non-blocking now: a read with nothing to read waits in the reactor, not the thread.
            assert_eq!(
                stream.try_read(&mut [0; 1]).unwrap_err().kind(),
                ErrorKind::WouldBlock
            );
            server.write_all(b"hi").await.unwrap();
            let mut buf = [0; 2];
            stream.read_exact(&mut buf).await.unwrap();
            assert_eq!(&buf, b"hi");

            // And refused on a dead port, blocking socket or not.
            let std_socket = into_std(TcpSocket::new_v4().unwrap());
            std_socket.set_nonblocking(false).unwrap();
            let dead = dead_address(any_port_v4());
            let error = TcpSocket::from_std_stream(std_socket)
                .connect(dead)
                .await
                .unwrap_err();
            assert_eq!(error.kind(), ErrorKind::ConnectionRefused, "{error}");
        });
    }

    fn raw_descriptor_round_trip_keeps_the_socket(rt) {
        rt.block_on(async {
            let socket = TcpSocket::new_v4().unwrap();
            socket.set_reuseaddr(true).unwrap();
            socket.bind(any_port_v4()).unwrap();
            let addr = socket.local_addr().unwrap();

            #[cfg(unix)]
            {
                use std::os::fd::{AsFd, AsRawFd};
                assert_eq!(socket.as_fd().as_raw_fd(), socket.as_raw_fd());
            }
            #[cfg(windows)]
            {
                use std::os::windows::io::{AsRawSocket, AsSocket};
                assert_eq!(socket.as_socket().as_raw_socket(), socket.as_raw_socket());
            }

            let socket = socket_from_raw(socket);
            assert_eq!(socket.local_addr().unwrap(), addr);
            assert!(socket.reuseaddr().unwrap());
            let listener = socket.listen(4).unwrap();
            let _client = TcpStream::connect(addr).await.unwrap();
            listener.accept().await.unwrap();
        });
    }
}

/// Each option reads back what was set (buffer sizes: at least what was asked for, since the
/// system may round them up, and Linux doubles them).
#[test]
fn options_read_back() {
    let socket = TcpSocket::new_v4().unwrap();

    assert!(!socket.keepalive().unwrap());
    socket.set_keepalive(true).unwrap();
    assert!(socket.keepalive().unwrap());
    socket.set_keepalive(false).unwrap();
    assert!(!socket.keepalive().unwrap());

    assert!(!socket.reuseaddr().unwrap());
    socket.set_reuseaddr(true).unwrap();
    assert!(socket.reuseaddr().unwrap());
    socket.set_reuseaddr(false).unwrap();
    assert!(!socket.reuseaddr().unwrap());

    #[cfg(unix)]
    {
        assert!(!socket.reuseport().unwrap());
        socket.set_reuseport(true).unwrap();
        assert!(socket.reuseport().unwrap());
        socket.set_reuseport(false).unwrap();
        assert!(!socket.reuseport().unwrap());
    }

    let size = 64 * 1024;
    socket.set_send_buffer_size(size).unwrap();
    let got = socket.send_buffer_size().unwrap();
    assert!(got >= size, "send buffer {got} < {size}");
    socket.set_recv_buffer_size(size).unwrap();
    let got = socket.recv_buffer_size().unwrap();
    assert!(got >= size, "receive buffer {got} < {size}");

    assert_eq!(socket.linger().unwrap(), None);
    socket.set_linger(Some(Duration::from_secs(1))).unwrap();
    assert_eq!(socket.linger().unwrap(), Some(Duration::from_secs(1)));
    socket.set_zero_linger().unwrap();
    assert_eq!(socket.linger().unwrap(), Some(Duration::ZERO));
    socket.set_linger(None).unwrap();
    assert_eq!(socket.linger().unwrap(), None);

    socket.set_nodelay(true).unwrap();
    assert!(socket.nodelay().unwrap());
    socket.set_nodelay(false).unwrap();
    assert!(!socket.nodelay().unwrap());

    // Windows may accept `IP_TOS` without applying it; elsewhere it reads back.
    socket.set_tos_v4(0x10).unwrap();
    #[cfg(unix)]
    assert_eq!(socket.tos_v4().unwrap(), 0x10);
    #[cfg(windows)]
    assert!([0, 0x10].contains(&socket.tos_v4().unwrap()));
    #[allow(deprecated)]
    {
        socket.set_tos(0x08).unwrap();
        #[cfg(unix)]
        assert_eq!(socket.tos().unwrap(), 0x08);
        #[cfg(windows)]
        assert!([0, 0x08].contains(&socket.tos().unwrap()));
    }

    assert!(socket.take_error().unwrap().is_none());
    assert!(format!("{socket:?}").contains("TcpSocket"));
}

/// The options carry over to the stream that `connect` makes.
#[test]
fn options_carry_over_to_the_connected_stream() {
    evloop::block_on(async {
        let listener = TcpListener::bind(any_port_v4()).await.unwrap();
        let socket = TcpSocket::new_v4().unwrap();
        socket.set_nodelay(true).unwrap();
        socket.set_zero_linger().unwrap();
        let stream = socket
            .connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        assert!(stream.nodelay().unwrap());
        assert_eq!(stream.linger().unwrap(), Some(Duration::ZERO));
    });
}

#[cfg(unix)]
#[test]
fn ipv6_traffic_class_reads_back() {
    if any_port_v6().is_none() {
        return;
    }
    let socket = TcpSocket::new_v6().unwrap();
    socket.set_tclass_v6(0x10).unwrap();
    assert_eq!(socket.tclass_v6().unwrap(), 0x10);
}

/// A new socket is non-blocking and closed on `exec`.
#[cfg(unix)]
#[test]
fn new_sockets_are_non_blocking_and_close_on_exec() {
    use rustix::fs::OFlags;
    use rustix::io::FdFlags;

    let mut sockets = vec![TcpSocket::new_v4().unwrap()];
    if any_port_v6().is_some() {
        sockets.push(TcpSocket::new_v6().unwrap());
    }
    for socket in sockets {
        assert!(rustix::fs::fcntl_getfl(&socket)
            .unwrap()
            .contains(OFlags::NONBLOCK));
        assert!(rustix::io::fcntl_getfd(&socket)
            .unwrap()
            .contains(FdFlags::CLOEXEC));
    }
}

/// A new socket is not inherited by child processes.
#[cfg(windows)]
#[test]
fn new_sockets_are_not_inheritable() {
    use std::os::windows::io::AsRawSocket;
    use windows_sys::Win32::Foundation::{GetHandleInformation, HANDLE, HANDLE_FLAG_INHERIT};

    let mut sockets = vec![TcpSocket::new_v4().unwrap()];
    if any_port_v6().is_some() {
        sockets.push(TcpSocket::new_v6().unwrap());
    }
    for socket in sockets {
        let mut flags = 0u32;
        // SAFETY: the socket is open for the call (it lives in `socket`), and `flags` is a live,
        // writable `u32`.
        let ok = unsafe { GetHandleInformation(socket.as_raw_socket() as HANDLE, &mut flags) };
        assert_ne!(ok, 0, "{}", io::Error::last_os_error());
        assert_eq!(flags & HANDLE_FLAG_INHERIT, 0);
    }
}

/// With `SO_REUSEPORT`, two listeners share one port (Linux: the kernel spreads the
/// connections over them).
#[cfg(target_os = "linux")]
#[test]
fn reuseport_lets_two_listeners_share_a_port() {
    evloop::block_on(async {
        let first = TcpSocket::new_v4().unwrap();
        first.set_reuseport(true).unwrap();
        first.bind(any_port_v4()).unwrap();
        let addr = first.local_addr().unwrap();
        let second = TcpSocket::new_v4().unwrap();
        second.set_reuseport(true).unwrap();
        second.bind(addr).unwrap();
        let first = first.listen(8).unwrap();
        let second = second.listen(8).unwrap();
        assert_eq!(first.local_addr().unwrap(), second.local_addr().unwrap());

        // Each connection lands on one of the two.
        let _client = TcpStream::connect(addr).await.unwrap();
        futures_lite::future::or(async { first.accept().await.unwrap() }, async {
            second.accept().await.unwrap()
        })
        .await;
    });
}

/// `SO_BINDTODEVICE` to loopback, where the process may set it; the kernel refuses it to an
/// unprivileged process on older kernels, which skips the test.
#[cfg(target_os = "linux")]
#[test]
fn bind_device_reads_back() {
    let socket = TcpSocket::new_v4().unwrap();
    assert_eq!(socket.device().unwrap(), None);
    match socket.bind_device(Some(b"lo")) {
        Ok(()) => {}
        Err(error) if error.kind() == ErrorKind::PermissionDenied => {
            eprintln!("skipped: {error}");
            return;
        }
        Err(error) => panic!("bind_device: {error}"),
    }
    assert_eq!(socket.device().unwrap().as_deref(), Some(&b"lo"[..]));
    socket.bind_device(None).unwrap();
    assert_eq!(socket.device().unwrap(), None);

    let error = socket.bind_device(Some(b"no-such-interface")).unwrap_err();
    assert!(error.raw_os_error().is_some(), "{error}");
}

/// `from_std_stream` on a connected stream: the options are those of the connection.
#[test]
fn from_std_stream_of_a_connected_stream() {
    let listener = std::net::TcpListener::bind(any_port_v4()).unwrap();
    let std_stream = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let local = std_stream.local_addr().unwrap();
    std_stream.set_nodelay(true).unwrap();

    let socket = TcpSocket::from_std_stream(std_stream);
    assert_eq!(socket.local_addr().unwrap(), local);
    assert!(socket.nodelay().unwrap());
    socket.set_keepalive(true).unwrap();
    assert!(socket.keepalive().unwrap());
}

/// `listen` and `connect` outside any runtime use the global one, as `TcpListener::bind` does.
#[test]
fn listen_and_connect_outside_a_runtime() {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(any_port_v4()).unwrap();
    let listener = socket.listen(4).unwrap();
    let addr = listener.local_addr().unwrap();
    let connect = TcpSocket::new_v4().unwrap().connect(addr);
    let stream = futures_lite::future::block_on(connect).unwrap();
    assert_eq!(stream.peer_addr().unwrap(), addr);
}

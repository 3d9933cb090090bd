//! Compile-time properties of the `evloop::net` types that code ported from tokio relies on:
//! every type is `Send + Sync + Unpin`, and every future is `Send`, so sockets and their
//! operations can move into spawned tasks. Also: the futures-io traits for `T` and `&T`.

use std::future::Future;
use std::net::SocketAddr;

use evloop::io::{AsyncRead, AsyncWrite};
use evloop::net::{lookup_host, tcp, TcpListener, TcpStream, ToSocketAddrs, UdpSocket};

fn send_sync_unpin<T: Send + Sync + Unpin>() {}

fn send<F: Future + Send>(_future: F) {}

fn read_write<T: AsyncRead + AsyncWrite + Unpin>() {}

fn read<T: AsyncRead + Unpin>() {}

fn write<T: AsyncWrite + Unpin>() {}

fn to_socket_addrs<T: ToSocketAddrs + ?Sized>() {}

#[test]
fn types_are_send_sync_unpin() {
    send_sync_unpin::<TcpListener>();
    send_sync_unpin::<TcpStream>();
    send_sync_unpin::<UdpSocket>();
    send_sync_unpin::<tcp::OwnedReadHalf>();
    send_sync_unpin::<tcp::OwnedWriteHalf>();
    send_sync_unpin::<tcp::ReadHalf<'static>>();
    send_sync_unpin::<tcp::WriteHalf<'static>>();
    send_sync_unpin::<tcp::ReuniteError>();
    send_sync_unpin::<tcp::Incoming<'static>>();
    #[cfg(unix)]
    {
        use evloop::net::{unix, UnixDatagram, UnixListener, UnixStream};
        send_sync_unpin::<UnixListener>();
        send_sync_unpin::<UnixStream>();
        send_sync_unpin::<UnixDatagram>();
        send_sync_unpin::<unix::OwnedReadHalf>();
        send_sync_unpin::<unix::OwnedWriteHalf>();
        send_sync_unpin::<unix::Incoming<'static>>();
        read_write::<UnixStream>();
        read_write::<&UnixStream>();
        read::<unix::OwnedReadHalf>();
        write::<unix::OwnedWriteHalf>();
    }
}

#[test]
fn streams_implement_the_futures_io_traits() {
    read_write::<TcpStream>();
    read_write::<&TcpStream>();
    read::<tcp::OwnedReadHalf>();
    read::<tcp::ReadHalf<'static>>();
    write::<tcp::OwnedWriteHalf>();
    write::<tcp::WriteHalf<'static>>();
}

#[test]
fn address_forms_accepted() {
    to_socket_addrs::<SocketAddr>();
    to_socket_addrs::<std::net::SocketAddrV4>();
    to_socket_addrs::<std::net::SocketAddrV6>();
    to_socket_addrs::<(std::net::IpAddr, u16)>();
    to_socket_addrs::<(std::net::Ipv4Addr, u16)>();
    to_socket_addrs::<(std::net::Ipv6Addr, u16)>();
    to_socket_addrs::<(&str, u16)>();
    to_socket_addrs::<(String, u16)>();
    to_socket_addrs::<str>();
    to_socket_addrs::<&str>();
    to_socket_addrs::<String>();
    to_socket_addrs::<&String>();
    to_socket_addrs::<[SocketAddr]>();
    to_socket_addrs::<&[SocketAddr]>();
}

/// Never run: only has to compile.
#[allow(dead_code)]
async fn futures_are_send(listener: TcpListener, stream: TcpStream, udp: UdpSocket) {
    let mut buf = [0u8; 4];
    send(TcpListener::bind("127.0.0.1:0"));
    send(TcpListener::bind(String::new()));
    send(TcpStream::connect(("localhost", 80)));
    send(listener.accept());
    send(stream.peek(&mut buf));
    send(stream.readable());
    send(stream.writable());
    send(udp.recv_from(&mut buf));
    send(udp.send_to(&[], "127.0.0.1:9"));
    send(udp.connect("127.0.0.1:9"));
    send(lookup_host("localhost:80"));
    #[cfg(unix)]
    {
        send(evloop::net::UnixStream::connect("/nonexistent"));
    }
}

//! TCP, UDP and Unix domain sockets, and host name resolution.
//!
//! The types follow tokio's `net` module: [`TcpListener`], [`TcpStream`], [`TcpSocket`],
//! [`UdpSocket`], [`lookup_host`] and [`ToSocketAddrs`], and on Unix [`UnixListener`],
//! [`UnixStream`] and [`UnixDatagram`]. Each wraps the matching `std` socket in an
//! [`Async`](crate::io::Async), which registers it with the current runtime's reactor, so every
//! operation first tries its system call and, when that would block, waits for the reactor to
//! report readiness. A [`TcpSocket`] is the exception: a socket not yet connected or listening,
//! configured (options, local address) before it becomes a [`TcpStream`] or a [`TcpListener`].
//!
//! Stream types implement [`AsyncRead`](crate::io::AsyncRead) and
//! [`AsyncWrite`](crate::io::AsyncWrite) (the `futures-io` traits) for both `T` and `&T`;
//! closing one (`AsyncWriteExt::close`) shuts its write half down, so the peer reads
//! end-of-file while data can still flow the other way.
//!
//! ```
//! use evloop::io::{AsyncReadExt, AsyncWriteExt};
//! use evloop::net::{TcpListener, TcpStream};
//!
//! # fn main() -> std::io::Result<()> {
//! evloop::block_on(async {
//!     let listener = TcpListener::bind("127.0.0.1:0").await?;
//!     let addr = listener.local_addr()?;
//!
//!     let server = evloop::spawn(async move {
//!         let (mut stream, _peer) = listener.accept().await?;
//!         let mut request = Vec::new();
//!         stream.read_to_end(&mut request).await?;
//!         stream.write_all(&request).await?;
//!         std::io::Result::Ok(())
//!     });
//!
//!     let mut client = TcpStream::connect(addr).await?;
//!     client.write_all(b"echo me").await?;
//!     client.close().await?; // half-close: the server sees end-of-file
//!     let mut reply = Vec::new();
//!     client.read_to_end(&mut reply).await?;
//!     assert_eq!(reply, b"echo me");
//!     server.await??;
//!     Ok(())
//! })
//! # }
//! ```
//!
//! # One waiting task per direction
//! A socket has one slot for a task waiting to read (or accept, or receive) and one for a task
//! waiting to write (or send). Reading a `&TcpStream` in one task while writing it in another is
//! fine: they wait in different directions. Two tasks *reading* the same socket at the same time
//! are not supported: the later waiter displaces the earlier one, which may then miss its
//! wake-up. The split halves ([`TcpStream::into_split`], [`TcpStream::split`] and their Unix
//! counterparts) make the supported pattern explicit: one reader, one writer. The same holds for
//! the datagram sockets (one receiving task and one sending task at a time) and for listeners
//! (one accepting task).
//!
//! # Name resolution
//! Every function that takes an address takes an [`impl ToSocketAddrs`](ToSocketAddrs), which
//! accepts what `std::net::ToSocketAddrs` does. Literal addresses (`"127.0.0.1:80"`,
//! `("::1", 80)`, a [`SocketAddr`](std::net::SocketAddr)) are parsed in place; host names are
//! resolved by the system resolver on the blocking pool, so a slow DNS server never blocks a
//! worker thread.
//!
//! # Platforms
//! The Unix domain socket types ([`UnixListener`], [`UnixStream`], [`UnixDatagram`] and the
//! [`unix`] module) exist on Unix platforms only.

// No `unsafe` code, except in three places, each of which says why: the socket options that
// neither `std` nor `rustix` covers (Linux's `SO_BINDTODEVICE` in `sys/unix.rs`, Winsock's
// `setsockopt`/`getsockopt` in `sys/windows.rs`), and `TcpSocket`'s `FromRawFd` and
// `FromRawSocket`, whose methods are `unsafe` by definition.
#![deny(unsafe_code)]

/// The platform's own traits for handing the socket to code that takes a raw one: `AsFd` and
/// `AsRawFd` on Unix, `AsSocket` and `AsRawSocket` on Windows (the one place in `net` that names
/// them). For a type whose `io` field is an [`Async`](crate::io::Async).
macro_rules! impl_as_raw {
    ($ty:ty) => {
        #[cfg(unix)]
        impl std::os::fd::AsFd for $ty {
            fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
                std::os::fd::AsFd::as_fd(self.io.get_ref())
            }
        }

        #[cfg(unix)]
        impl std::os::fd::AsRawFd for $ty {
            fn as_raw_fd(&self) -> std::os::fd::RawFd {
                std::os::fd::AsRawFd::as_raw_fd(self.io.get_ref())
            }
        }

        #[cfg(windows)]
        impl std::os::windows::io::AsSocket for $ty {
            fn as_socket(&self) -> std::os::windows::io::BorrowedSocket<'_> {
                std::os::windows::io::AsSocket::as_socket(self.io.get_ref())
            }
        }

        #[cfg(windows)]
        impl std::os::windows::io::AsRawSocket for $ty {
            fn as_raw_socket(&self) -> std::os::windows::io::RawSocket {
                std::os::windows::io::AsRawSocket::as_raw_socket(self.io.get_ref())
            }
        }
    };
}
pub(crate) use impl_as_raw;

mod addr;
mod poll;
mod sys;
pub mod tcp;
mod udp;
#[cfg(unix)]
pub mod unix;

pub use addr::{lookup_host, ToSocketAddrs};
pub use tcp::{TcpListener, TcpSocket, TcpStream};
pub use udp::UdpSocket;
#[cfg(unix)]
pub use unix::{UnixDatagram, UnixListener, UnixStream};

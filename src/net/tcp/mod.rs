//! TCP: [`TcpListener`], [`TcpStream`], the halves a stream splits into, and [`TcpSocket`], a
//! socket configured before it connects or listens.
//!
//! [`TcpStream::split`] borrows a stream as a [`ReadHalf`] and a [`WriteHalf`];
//! [`TcpStream::into_split`] turns it into an [`OwnedReadHalf`] and an [`OwnedWriteHalf`] that
//! can move to different tasks and be put back together with [`OwnedReadHalf::reunite`].
//! [`TcpListener::incoming`] gives the listener's connections as a stream, [`Incoming`].

mod listener;
mod socket;
mod split;
mod stream;

pub use listener::{Incoming, TcpListener};
pub use socket::TcpSocket;
pub use split::{OwnedReadHalf, OwnedWriteHalf, ReadHalf, ReuniteError, WriteHalf};
pub use stream::TcpStream;

//! tokio's I/O traits on evloop types (feature `tokio-io`): `tokio-util`'s `Framed` with
//! `LinesCodec` over an evloop `TcpStream`, tokio's extension traits on files, Unix sockets and
//! `io::Async`, and `Compat` in both directions, all on loopback with no tokio runtime.
#![cfg(feature = "tokio-io")]

#[macro_use]
mod util;

use std::io::SeekFrom;
use std::pin::Pin;
use std::task::{Context, Poll};

use evloop::compat::{Compat, FuturesIoCompatExt};
use evloop::net::{TcpListener, TcpStream};
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
use tokio_util::codec::{Framed, FramedRead, FramedWrite, LinesCodec};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

async fn pair() -> std::io::Result<(TcpStream, TcpStream)> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let client = TcpStream::connect(listener.local_addr()?).await?;
    let (server, _) = listener.accept().await?;
    Ok((client, server))
}

/// A line server with `Framed`: answers each line upper-cased, until the client closes.
async fn framed_lines() -> Result<(), BoxError> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = evloop::spawn(async move {
        let (stream, _) = listener.accept().await?;
        let mut lines = Framed::new(stream, LinesCodec::new());
        let mut answered = 0;
        while let Some(line) = lines.next().await {
            lines.send(line?.to_uppercase()).await?;
            answered += 1;
        }
        Ok::<_, BoxError>(answered)
    });

    let stream = TcpStream::connect(addr).await?;
    // The owned halves, each framed on its own.
    let (read, write) = stream.into_split();
    let mut requests = FramedWrite::new(write, LinesCodec::new());
    let mut replies = FramedRead::new(read, LinesCodec::new());
    for i in 0..100 {
        requests.send(format!("line {i} over evloop")).await?;
    }
    // Shuts the write half down: the server's `next()` ends.
    SinkExt::<String>::close(&mut requests).await?;
    for i in 0..100 {
        let reply = replies.next().await.ok_or("connection ended early")??;
        assert_eq!(reply, format!("LINE {i} OVER EVLOOP"));
    }
    assert!(replies.next().await.is_none());
    assert_eq!(server.await.map_err(|e| e.to_string())??, 100);
    Ok(())
}

rt_test! {
    fn framed_lines_codec_over_tcp(rt) {
        rt.block_on(framed_lines()).unwrap();
    }
}

#[evloop::test]
async fn read_buf_into_uninitialized_capacity() {
    let (mut client, mut server) = pair().await.unwrap();
    let sent: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let writer = {
        let sent = sent.clone();
        evloop::spawn(async move {
            client.write_all(&sent).await?;
            // `TcpStream::shutdown(how)` (std's, synchronous) shadows the extension method.
            AsyncWriteExt::shutdown(&mut client).await
        })
    };
    // `read_buf` hands the spare (uninitialized) capacity of the Vec through a `ReadBuf`.
    let mut received = Vec::with_capacity(7);
    loop {
        if received.capacity() == received.len() {
            received.reserve(4096);
        }
        if server.read_buf(&mut received).await.unwrap() == 0 {
            break;
        }
    }
    writer.await.unwrap().unwrap();
    assert!(received == sent);
}

/// A broken `futures-io` reader that claims more bytes than it was given.
struct Overreader;

impl futures_io::AsyncRead for Overreader {
    fn poll_read(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<std::io::Result<usize>> {
        Poll::Ready(Ok(buf.len() + 1))
    }
}

#[evloop::test]
async fn a_reader_claiming_too_much_is_an_error_not_a_panic() {
    let mut buf = [0u8; 16];
    let err = Overreader.compat().read(&mut buf).await.unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
}

#[evloop::test]
async fn compat_futures_io_to_tokio_and_back() {
    // futures-io → tokio: read, buffered lines, seek.
    let cursor = futures_lite::io::Cursor::new(b"first\nsecond\nthird\n".to_vec());
    let mut lines = futures_lite::io::BufReader::new(cursor).compat().lines();
    assert_eq!(lines.next_line().await.unwrap().as_deref(), Some("first"));
    assert_eq!(lines.next_line().await.unwrap().as_deref(), Some("second"));

    let mut cursor = futures_lite::io::Cursor::new(b"0123456789".to_vec()).compat();
    assert_eq!(cursor.seek(SeekFrom::Start(4)).await.unwrap(), 4);
    assert_eq!(cursor.stream_position().await.unwrap(), 4);
    let mut rest = String::new();
    cursor.read_to_string(&mut rest).await.unwrap();
    assert_eq!(rest, "456789");
    cursor.write_all(b"ab").await.unwrap();
    assert_eq!(cursor.get_ref().get_ref(), b"0123456789ab");

    // tokio → futures-io: read, write, close, seek.
    use futures_lite::{AsyncReadExt as _, AsyncSeekExt as _, AsyncWriteExt as _};
    let (tokio_a, tokio_b) = tokio::io::duplex(16);
    let (mut a, mut b) = (tokio_a.compat(), tokio_b.compat());
    let writer = evloop::spawn(async move {
        a.write_all(&[5u8; 1000]).await?;
        a.close().await
    });
    let mut all = Vec::new();
    b.read_to_end(&mut all).await.unwrap();
    writer.await.unwrap().unwrap();
    assert_eq!(all, [5u8; 1000]);

    let mut seeker = Compat::new(std::io::Cursor::new(b"abcdef".to_vec()));
    assert_eq!(seeker.seek(SeekFrom::End(-2)).await.unwrap(), 4);
    let mut tail = String::new();
    seeker.read_to_string(&mut tail).await.unwrap();
    assert_eq!(tail, "ef");
    assert_eq!(seeker.into_inner().position(), 6);
}

#[evloop::test]
async fn compat_mut_borrows() {
    let (client, mut server) = pair().await.unwrap();
    let mut client = futures_lite::io::BufWriter::new(client);
    client.compat_mut().write_all(b"buffered").await.unwrap();
    client.compat_mut().shutdown().await.unwrap();
    let mut text = String::new();
    server.read_to_string(&mut text).await.unwrap();
    assert_eq!(text, "buffered");
}

#[evloop::test]
async fn file_through_tokio_traits() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokio-traits.txt");
    let mut file = evloop::fs::File::create(&path).await.unwrap();
    file.write_all(b"hello, tokio traits").await.unwrap();
    file.flush().await.unwrap();
    drop(file);

    let mut file = evloop::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&path)
        .await
        .unwrap();
    let mut word = [0u8; 5];
    file.read_exact(&mut word).await.unwrap();
    assert_eq!(&word, b"hello");
    assert_eq!(file.stream_position().await.unwrap(), 5);
    assert_eq!(file.seek(SeekFrom::Start(7)).await.unwrap(), 7);
    let mut rest = String::new();
    file.read_to_string(&mut rest).await.unwrap();
    assert_eq!(rest, "tokio traits");
    file.rewind().await.unwrap();
    file.write_all(b"HELLO").await.unwrap();
    file.flush().await.unwrap();
    // A failing seek reports its error (and leaves no seek pending).
    assert!(file.seek(SeekFrom::Current(-1000)).await.is_err());
    assert_eq!(file.seek(SeekFrom::End(-6)).await.unwrap(), 13);
    drop(file);
    assert_eq!(std::fs::read(&path).unwrap(), b"HELLO, tokio traits");
}

#[evloop::test]
async fn unblock_through_tokio_traits() {
    let mut io = evloop::blocking::Unblock::new(std::io::Cursor::new(Vec::new()));
    io.write_all(b"on the blocking pool").await.unwrap();
    io.flush().await.unwrap();
    assert_eq!(io.seek(SeekFrom::Start(7)).await.unwrap(), 7);
    let mut rest = String::new();
    io.read_to_string(&mut rest).await.unwrap();
    assert_eq!(rest, "blocking pool");
    assert!(io.seek(SeekFrom::Current(-1000)).await.is_err());
}

#[cfg(unix)]
#[evloop::test]
async fn unix_stream_and_async_through_tokio_traits() {
    // UnixStream and its borrowed halves.
    let (mut a, mut b) = evloop::net::UnixStream::pair().unwrap();
    let writer = evloop::spawn(async move {
        let (_, mut write) = a.split();
        write.write_all(b"over a unix socket").await?;
        write.shutdown().await
    });
    let mut text = String::new();
    let (mut read, _) = b.split();
    read.read_to_string(&mut text).await.unwrap();
    writer.await.unwrap().unwrap();
    assert_eq!(text, "over a unix socket");

    // io::Async<T> by value and by reference.
    let (left, right) = std::os::unix::net::UnixStream::pair().unwrap();
    let left = evloop::io::Async::new(left).unwrap();
    let mut right = evloop::io::Async::new(right).unwrap();
    (&left).write_all(b"ping").await.unwrap();
    let mut word = [0u8; 4];
    right.read_exact(&mut word).await.unwrap();
    assert_eq!(&word, b"ping");
    right.write_all(b"pong").await.unwrap();
    (&left).read_exact(&mut word).await.unwrap();
    assert_eq!(&word, b"pong");
}

#[evloop::test]
async fn no_tokio_runtime_is_involved() {
    let (mut client, mut server) = pair().await.unwrap();
    assert!(tokio::runtime::Handle::try_current().is_err());
    client.write_all(b"x").await.unwrap();
    let mut byte = [0u8; 1];
    server.read_exact(&mut byte).await.unwrap();
    assert!(tokio::runtime::Handle::try_current().is_err());
    #[cfg(feature = "tokio")]
    assert!(!evloop::compat::__background_runtime_started());
}

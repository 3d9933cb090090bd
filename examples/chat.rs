//! A line-based chat server: each client picks a name, then every line it sends goes to all the
//! others.
//!
//! ```text
//! cargo run --example chat                  # listens on 127.0.0.1:8081
//! cargo run --example chat -- 127.0.0.1:0   # or on the address given (port 0: any free one)
//! ```
//!
//! Connect a few terminals with `nc 127.0.0.1 8081`. A client leaves with `/quit`; the server
//! stops on Ctrl-C, or by itself once a client sends `/shutdown`.

use std::net::SocketAddr;

use evloop::io::{self, AsyncBufReadExt, AsyncWriteExt, BufReader};
use evloop::net::{TcpListener, TcpStream};
use evloop::sync::{broadcast, watch};
use futures_lite::StreamExt;

/// What goes round the room: who said it, and the text (one line, with its newline).
type Message = (SocketAddr, String);

#[evloop::main]
async fn main() -> io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8081".to_string());
    let listener = TcpListener::bind(addr.as_str()).await?;
    println!("chat server listening on {}", listener.local_addr()?);

    let (room, _) = broadcast::channel::<Message>(256);
    let (shutdown, mut shutting_down) = watch::channel(false);
    loop {
        evloop::select! {
            accepted = listener.accept() => {
                let (stream, peer) = accepted?;
                let room = room.clone();
                let shutdown = shutdown.clone();
                evloop::spawn(async move {
                    if let Err(err) = client(stream, peer, room, shutdown).await {
                        eprintln!("{peer}: {err}");
                    }
                });
            }
            _ = shutting_down.changed() => break,
        }
    }
    println!("shutting down");
    Ok(())
}

/// Runs one client's session.
async fn client(
    stream: TcpStream,
    peer: SocketAddr,
    room: broadcast::Sender<Message>,
    shutdown: watch::Sender<bool>,
) -> io::Result<()> {
    let mut inbox = room.subscribe();
    let (reader, mut writer) = stream.into_split();
    let mut lines = BufReader::new(reader).lines();

    writer.write_all(b"Welcome! Your name?\n").await?;
    let Some(name) = lines.next().await.transpose()? else {
        return Ok(());
    };
    let name = name.trim().to_string();
    println!("{peer} is {name}");
    let _ = room.send((peer, format!("* {name} joined\n")));

    loop {
        evloop::select! {
            line = lines.next() => match line.transpose()? {
                Some(line) if line.trim() == "/quit" => break,
                Some(line) if line.trim() == "/shutdown" => {
                    let _ = room.send((peer, format!("* {name} closed the room\n")));
                    let _ = shutdown.send(true);
                    break;
                }
                Some(line) => {
                    let _ = room.send((peer, format!("{name}: {line}\n")));
                }
                None => break,
            },
            message = inbox.recv() => match message {
                Ok((from, text)) => {
                    if from != peer {
                        writer.write_all(text.as_bytes()).await?;
                    }
                }
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    writer.write_all(format!("* you missed {missed} messages\n").as_bytes()).await?;
                }
                Err(broadcast::error::RecvError::Closed) => break,
            },
        }
    }
    let _ = room.send((peer, format!("* {name} left\n")));
    writer.close().await
}

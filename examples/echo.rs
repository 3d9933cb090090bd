//! A TCP echo server: every connection gets back what it sends.
//!
//! ```text
//! cargo run --example echo                  # listens on 127.0.0.1:8080
//! cargo run --example echo -- 127.0.0.1:0   # or on the address given (port 0: any free one)
//! ```
//!
//! Try it with `nc 127.0.0.1 8080`. The server stops by itself after `EVLOOP_ECHO_MAX`
//! connections if that variable is set (handy in scripts), otherwise on Ctrl-C.

use evloop::io;
use evloop::net::TcpListener;

#[evloop::main]
async fn main() -> io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8080".to_string());
    let max_connections = std::env::var("EVLOOP_ECHO_MAX")
        .ok()
        .and_then(|max| max.parse::<usize>().ok());

    let listener = TcpListener::bind(addr.as_str()).await?;
    println!("echo server listening on {}", listener.local_addr()?);

    let mut connections = evloop::task::JoinSet::new();
    let mut accepted = 0;
    while max_connections.is_none_or(|max| accepted < max) {
        let (stream, peer) = listener.accept().await?;
        accepted += 1;
        connections.spawn(async move {
            // Owned halves: reading and writing proceed independently. `copy` flushes at the end,
            // and dropping the write half shuts it down, so the client reads end-of-file.
            let (reader, writer) = stream.into_split();
            match io::copy(reader, writer).await {
                Ok(n) => println!("{peer}: echoed {n} bytes"),
                Err(err) => eprintln!("{peer}: {err}"),
            }
        });
    }
    // Wait for the connections in flight, then exit.
    while connections.join_next().await.is_some() {}
    println!("served {accepted} connections, bye");
    Ok(())
}

//! TCP under load: a thousand connections open at once against one echo server, every byte
//! checked, on each runtime flavor.

#[macro_use]
mod util;

use evloop::io::{AsyncReadExt, AsyncWriteExt};
use evloop::net::{TcpListener, TcpStream};

use util::open_file_budget;

/// Connections open at the same time (each uses two descriptors: the client's and the
/// server's end).
const CONNECTIONS: usize = 1000;

/// The bytes client `id` sends: a length and a pattern that differ from client to client, so
/// that data delivered to the wrong connection, reordered or cut short fails the comparison.
fn payload(id: usize) -> Vec<u8> {
    let len = 1 + (id * 37) % 8192;
    (0..len).map(|i| (i * 31 + id * 7) as u8).collect()
}

/// Reads a connection to its end and writes everything back, then closes.
async fn echo(mut stream: TcpStream) -> std::io::Result<usize> {
    let mut received = Vec::new();
    stream.read_to_end(&mut received).await?;
    stream.write_all(&received).await?;
    stream.close().await?;
    Ok(received.len())
}

rt_test! {
    fn thousand_concurrent_connections_echo_all_data(rt) {
        let connections = open_file_budget(2 * CONNECTIONS + 16) / 2;
        rt.block_on(async move {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();

            let server = evloop::spawn(async move {
                let mut handlers = Vec::with_capacity(connections);
                for _ in 0..connections {
                    let (stream, peer) = listener.accept().await.unwrap();
                    assert!(peer.ip().is_loopback());
                    handlers.push(evloop::spawn(echo(stream)));
                }
                let mut echoed = 0;
                for handler in handlers {
                    echoed += handler.await.unwrap().unwrap();
                }
                echoed
            });

            // Every client connects before any finishes: each holds its connection open until
            // it has the echo back, and the server only answers after the client's
            // end-of-file, so all of them are open at once at some point unless the clients
            // run one after another, which the barrier below prevents.
            let connected = util::CountDown::new(connections);
            let clients: Vec<_> = (0..connections)
                .map(|id| {
                    let connected = connected.clone();
                    evloop::spawn(async move {
                        let mut stream = TcpStream::connect(addr).await.unwrap();
                        connected.hit();
                        connected.wait().await;
                        let sent = payload(id);
                        stream.write_all(&sent).await.unwrap();
                        stream.close().await.unwrap();
                        let mut received = Vec::new();
                        stream.read_to_end(&mut received).await.unwrap();
                        assert!(received == sent, "client {id}: the echo differs");
                        sent.len()
                    })
                })
                .collect();

            let mut sent = 0;
            for client in clients {
                sent += client.await.unwrap();
            }
            let echoed = server.await.unwrap();
            assert_eq!(echoed, sent);
            assert_eq!(sent, (0..connections).map(|id| payload(id).len()).sum::<usize>());
        });
    }
}

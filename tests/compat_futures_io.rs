//! `futures-io` crates, unchanged, over evloop sockets on loopback: a TLS echo with
//! `futures-rustls` (a certificate made at test time with `rcgen`), a WebSocket echo with
//! `async-tungstenite` and a gzip stream with `async-compression`.
//!
//! No feature is needed: evloop's I/O types implement the `futures-io` traits natively.

#[macro_use]
mod util;

use async_tungstenite::tungstenite::Message;
use evloop::io::{AsyncReadExt, AsyncWriteExt, BufReader};
use evloop::net::{TcpListener, TcpStream};
use futures_util::StreamExt;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A connected pair of loopback TCP streams: (client, server).
async fn pair() -> std::io::Result<(TcpStream, TcpStream)> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let client = TcpStream::connect(listener.local_addr()?).await?;
    let (server, _) = listener.accept().await?;
    Ok((client, server))
}

/// Bytes whose corruption, loss or reordering shows: a pattern that does not repeat with any
/// short period.
fn payload(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 + i / 251) as u8).collect()
}

async fn websocket_echo() -> Result<(), BoxError> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = evloop::spawn(async move {
        let (tcp, _) = listener.accept().await?;
        let mut ws = async_tungstenite::accept_async(tcp).await?;
        let mut echoed = 0;
        while let Some(message) = ws.next().await {
            let message = message?;
            if message.is_close() {
                // The reply goes out with the next poll, which then ends the stream.
                continue;
            }
            ws.send(message).await?;
            echoed += 1;
        }
        Ok::<_, BoxError>(echoed)
    });

    let tcp = TcpStream::connect(addr).await?;
    let (mut ws, response) =
        async_tungstenite::client_async(format!("ws://{addr}/echo"), tcp).await?;
    assert_eq!(response.status(), 101);

    let big = payload(100_000);
    ws.send(Message::text("hello over evloop")).await?;
    ws.send(Message::binary(big.clone())).await?;
    let first = ws.next().await.ok_or("server went away")??;
    assert_eq!(first.to_text()?, "hello over evloop");
    let second = ws.next().await.ok_or("server went away")??;
    assert!(
        second.into_data() == big,
        "the binary frame came back altered"
    );

    ws.close(None).await?;
    // Drain until the server's close reply ends the stream.
    while let Some(message) = ws.next().await {
        message?;
    }
    assert_eq!(server.await.map_err(|e| e.to_string())??, 2);
    Ok(())
}

async fn gzip_stream() -> Result<(), BoxError> {
    use async_compression::futures::bufread::GzipDecoder;
    use async_compression::futures::write::GzipEncoder;

    let (client, server) = pair().await?;
    let original: Vec<u8> = b"evloop speaks futures-io; compress me, "
        .iter()
        .copied()
        .cycle()
        .take(1 << 20)
        .collect();

    let sender = {
        let original = original.clone();
        evloop::spawn(async move {
            let mut encoder = GzipEncoder::new(client);
            encoder.write_all(&original).await?;
            // Writes the gzip trailer, then closes (half-closes) the socket.
            encoder.close().await?;
            let client = encoder.into_inner();
            std::io::Result::Ok(client)
        })
    };

    // Count the compressed bytes as they arrive, then decode them.
    let mut compressed = Vec::new();
    let mut server = server;
    server.read_to_end(&mut compressed).await?;
    let _client = sender.await??;
    assert!(
        compressed.len() < original.len() / 10,
        "{} compressed bytes for {} repetitive ones",
        compressed.len(),
        original.len()
    );
    assert_eq!(&compressed[..2], [0x1f, 0x8b], "not a gzip stream");

    let mut decoder = GzipDecoder::new(BufReader::new(&compressed[..]));
    let mut decoded = Vec::new();
    decoder.read_to_end(&mut decoded).await?;
    assert!(decoded == original, "gzip round trip altered the data");

    // And the other way: decode straight off the socket.
    let (client, server) = pair().await?;
    let writer = {
        let original = original.clone();
        evloop::spawn(async move {
            let mut encoder = GzipEncoder::new(client);
            encoder.write_all(&original).await?;
            encoder.close().await
        })
    };
    let mut decoder = GzipDecoder::new(BufReader::new(server));
    let mut decoded = Vec::new();
    decoder.read_to_end(&mut decoded).await?;
    writer.await??;
    assert!(decoded == original, "gzip over the socket altered the data");
    Ok(())
}

rt_test! {
    fn websocket_echo_with_async_tungstenite(rt) {
        rt.block_on(websocket_echo()).unwrap();
    }

    fn gzip_with_async_compression(rt) {
        rt.block_on(gzip_stream()).unwrap();
    }
}

/// The TLS echo, on the platforms where the tests run (Linux, and Windows under Wine). `ring`,
/// rustls' crypto provider, compiles C code for its target, which needs that target's C
/// toolchain; the kqueue targets are only type-checked, without one, so there this part is left
/// out (and with it the `futures-rustls` and `rcgen` dev-dependencies, see Cargo.toml).
#[cfg(any(target_os = "linux", windows))]
mod tls {
    use std::sync::Arc;

    use evloop::io::{AsyncReadExt, AsyncWriteExt};
    use evloop::net::{TcpListener, TcpStream};
    use futures_rustls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
    use futures_rustls::rustls::{self, ClientConfig, RootCertStore, ServerConfig};
    use futures_rustls::{TlsAcceptor, TlsConnector};

    use super::{payload, BoxError};

    /// A server and a client TLS configuration that trust a self-signed certificate for
    /// `localhost`, made now, on the `ring` provider.
    fn tls_configs() -> Result<(ServerConfig, ClientConfig), BoxError> {
        let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_string()])?;
        let cert = certified.cert.der().clone();
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
            certified.signing_key.serialize_der(),
        ));
        let provider = Arc::new(rustls::crypto::ring::default_provider());

        let server = ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(vec![cert.clone()], key)?;

        let mut roots = RootCertStore::empty();
        roots.add(cert)?;
        let client = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok((server, client))
    }

    async fn tls_echo() -> Result<(), BoxError> {
        let (server_config, client_config) = tls_configs()?;
        let acceptor = TlsAcceptor::from(Arc::new(server_config));
        let connector = TlsConnector::from(Arc::new(client_config));

        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let server = evloop::spawn(async move {
            let (tcp, _) = listener.accept().await?;
            let mut tls = acceptor.accept(tcp).await?;
            // Echo until the client's close_notify.
            let mut received = Vec::new();
            tls.read_to_end(&mut received).await?;
            tls.write_all(&received).await?;
            tls.close().await?;
            std::io::Result::Ok(received.len())
        });

        let tcp = TcpStream::connect(addr).await?;
        let mut tls = connector
            .connect(ServerName::try_from("localhost")?, tcp)
            .await?;
        let sent = payload(300_000);
        tls.write_all(&sent).await?;
        // Sends close_notify and shuts the TCP write half down; the reply still flows back.
        tls.close().await?;
        let mut echoed = Vec::new();
        tls.read_to_end(&mut echoed).await?;

        assert_eq!(server.await??, sent.len());
        assert!(echoed == sent, "the TLS echo came back altered");
        Ok(())
    }

    rt_test! {
        fn tls_echo_with_futures_rustls(rt) {
            rt.block_on(tls_echo()).unwrap();
        }
    }
}

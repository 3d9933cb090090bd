//! `evloop::io::Async`: readiness-driven I/O on real descriptors (socket pairs, UDP and TCP
//! sockets, pipes' cousins, regular files and character devices), end to end through the reactor.

// Most cases use Unix socket pairs, pipes and character devices; `Async` over TCP and UDP
// sockets is covered on every platform by the `tcp_*` and `udp_*` tests.
#![cfg(unix)]

#[macro_use]
mod util;

use std::fs::File;
use std::io::{self, IoSlice, IoSliceMut, Read, Seek, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use evloop::io::Async;
use futures_lite::{AsyncReadExt, AsyncWriteExt};

use util::{wait_until, with_watchdog, Flavor, PollCounter};

fn pair() -> (Async<UnixStream>, Async<UnixStream>) {
    let (a, b) = UnixStream::pair().unwrap();
    (Async::new(a).unwrap(), Async::new(b).unwrap())
}

/// Descriptors this test may open at once: `wanted`, or fewer if the soft limit on open files is
/// too low for it (leaving room for the harness and the tests running alongside).
fn descriptor_budget(wanted: usize) -> usize {
    let limits = std::fs::read_to_string("/proc/self/limits").unwrap_or_default();
    let soft = limits
        .lines()
        .find(|line| line.starts_with("Max open files"))
        .and_then(|line| line.split_whitespace().nth(3))
        .and_then(|soft| soft.parse::<usize>().ok());
    match soft {
        Some(soft) if soft < wanted + 256 => {
            let reduced = soft.saturating_sub(256).max(16);
            eprintln!("open-file limit {soft}: using {reduced} sockets instead of {wanted}");
            reduced
        }
        _ => wanted,
    }
}

rt_test! {
    fn round_trip_over_a_socket_pair(rt) {
        rt.block_on(async {
            let (mut a, mut b) = pair();
            a.write_all(b"ping").await.unwrap();
            let mut buf = [0; 4];
            b.read_exact(&mut buf).await.unwrap();
            assert_eq!(&buf, b"ping");
            b.write_all(b"pong").await.unwrap();
            a.read_exact(&mut buf).await.unwrap();
            assert_eq!(&buf, b"pong");
        });
    }

    fn vectored_reads_and_writes(rt) {
        rt.block_on(async {
            let (mut a, mut b) = pair();
            let written = a
                .write_vectored(&[IoSlice::new(b"vec"), IoSlice::new(b"tored")])
                .await
                .unwrap();
            assert_eq!(written, 8);
            let (mut first, mut second) = ([0; 3], [0; 5]);
            let mut read = 0;
            while read < 8 {
                let mut bufs = [IoSliceMut::new(&mut first), IoSliceMut::new(&mut second)];
                // Only the first call can see an empty buffer; the data is all there.
                read += b.read_vectored(&mut bufs).await.unwrap();
            }
            assert_eq!((&first, &second), (b"vec", b"tored"));

            // The same through shared references.
            let (a, b) = (&a, &b);
            let mut writer = a;
            writer.write_vectored(&[IoSlice::new(b"x"), IoSlice::new(b"y")]).await.unwrap();
            let mut reader = b;
            let mut two = [0; 2];
            reader.read_exact(&mut two).await.unwrap();
            assert_eq!(&two, b"xy");
        });
    }

    fn readable_wakes_when_data_arrives_from_another_thread(rt) {
        let (a, mut b) = UnixStream::pair().unwrap();
        let a = Async::new(a).unwrap();
        rt.block_on(async move {
            let writer = thread::spawn(move || {
                thread::sleep(Duration::from_millis(30));
                b.write_all(b"late").unwrap();
                b
            });
            a.readable().await.unwrap();
            let mut buf = [0; 4];
            assert_eq!(a.get_ref().read(&mut buf).unwrap(), 4);
            assert_eq!(&buf, b"late");
            let _b = writer.join().unwrap();
        });
    }

    fn readable_in_a_spawned_task(rt) {
        let (a, mut b) = UnixStream::pair().unwrap();
        let a = Async::new(a).unwrap();
        let task = rt.spawn(async move {
            let mut buf = [0; 5];
            let n = a.read_with(|s| (&*s).read(&mut buf)).await.unwrap();
            buf[..n].to_vec()
        });
        thread::sleep(Duration::from_millis(20));
        b.write_all(b"hello").unwrap();
        assert_eq!(rt.block_on(task).unwrap(), b"hello");
    }

    fn writable_wakes_when_the_peer_drains(rt) {
        let (a, b) = UnixStream::pair().unwrap();
        let a = Async::new(a).unwrap();
        // Fill the socket buffer.
        let chunk = [7u8; 4096];
        let mut filled = 0;
        loop {
            match a.get_ref().write(&chunk) {
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => panic!("{e}"),
            }
        }
        let drainer = thread::spawn(move || {
            thread::sleep(Duration::from_millis(30));
            let mut b = b;
            let mut buf = vec![0; filled];
            b.read_exact(&mut buf).unwrap();
            b
        });
        rt.block_on(async {
            a.writable().await.unwrap();
            let n = a.write_with(|s| (&*s).write(b"more")).await.unwrap();
            assert_eq!(n, 4);
        });
        let mut b = drainer.join().unwrap();
        let mut buf = [0; 4];
        b.read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"more");
    }

    fn closed_peer_reads_end_of_file(rt) {
        rt.block_on(async {
            let (a, b) = UnixStream::pair().unwrap();
            let mut a = Async::new(a).unwrap();
            let closer = thread::spawn(move || {
                thread::sleep(Duration::from_millis(30));
                drop(b);
            });
            let mut buf = [0; 16];
            assert_eq!(a.read(&mut buf).await.unwrap(), 0, "end of file once the peer closes");
            // End of file counts as readable, now and later.
            a.readable().await.unwrap();
            assert_eq!(a.read(&mut buf).await.unwrap(), 0);
            // Writing to a closed peer fails instead of hanging.
            let err = a.write_all(b"anyone?").await.unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
            closer.join().unwrap();
        });
    }

    fn a_megabyte_each_way_through_shared_references(rt) {
        const LEN: usize = 1 << 20;
        let data: Arc<Vec<u8>> = Arc::new((0..LEN).map(|i| (i % 251) as u8).collect());
        let (a, b) = pair();
        let (a, b) = (Arc::new(a), Arc::new(b));
        let mut tasks = Vec::new();
        for (from, to) in [(a.clone(), b.clone()), (b, a)] {
            let sent = data.clone();
            tasks.push(rt.spawn(async move {
                let mut writer = &*from;
                for chunk in sent.chunks(7_919) {
                    writer.write_all(chunk).await.unwrap();
                }
            }));
            let data = data.clone();
            tasks.push(rt.spawn(async move {
                let mut reader = &*to;
                let mut received = vec![0; LEN];
                reader.read_exact(&mut received).await.unwrap();
                assert!(received == *data, "bytes arrived changed or out of order");
            }));
        }
        rt.block_on(async {
            for task in tasks {
                task.await.unwrap();
            }
        });
    }

    fn accept_and_connect_with_read_with(rt) {
        let listener = Async::new(TcpListener::bind("127.0.0.1:0").unwrap()).unwrap();
        let addr = listener.get_ref().local_addr().unwrap();
        let client = thread::spawn(move || {
            thread::sleep(Duration::from_millis(20));
            let mut stream = TcpStream::connect(addr).unwrap();
            stream.write_all(b"over tcp").unwrap();
        });
        rt.block_on(async {
            let (stream, _) = listener.read_with(|l| l.accept()).await.unwrap();
            let mut stream = Async::new(stream).unwrap();
            let mut received = Vec::new();
            stream.read_to_end(&mut received).await.unwrap();
            assert_eq!(received, b"over tcp");
        });
        client.join().unwrap();
    }
}

#[test]
fn regular_files_and_character_devices_are_always_ready() {
    with_watchdog(|| {
        evloop::block_on(async {
            let mut file = tempfile::tempfile().unwrap();
            file.write_all(b"on disk").unwrap();
            file.rewind().unwrap();
            let mut file = Async::new(file).unwrap();
            file.readable().await.unwrap();
            file.writable().await.unwrap();
            let mut contents = String::new();
            file.read_to_string(&mut contents).await.unwrap();
            assert_eq!(contents, "on disk");

            let mut null =
                Async::new(File::options().write(true).open("/dev/null").unwrap()).unwrap();
            null.write_all(&[0; 100_000]).await.unwrap();
            null.writable().await.unwrap();
        });
    });
}

#[test]
fn dropping_or_unwrapping_deregisters() {
    with_watchdog(|| {
        let (a, mut b) = UnixStream::pair().unwrap();
        let first = Async::new(&a).unwrap();
        let err = Async::new(&a).unwrap_err();
        assert_eq!(
            err.kind(),
            io::ErrorKind::AlreadyExists,
            "one registration per descriptor"
        );
        drop(first);

        let second = Async::new(&a).unwrap();
        let inner: &UnixStream = second.into_inner().unwrap();

        // Registered again, the descriptor still gets its events.
        let third = Async::new(inner).unwrap();
        b.write_all(b"!").unwrap();
        let mut buf = [0; 1];
        let n = evloop::block_on(third.read_with(|s| {
            let mut s: &UnixStream = s;
            s.read(&mut buf)
        }))
        .unwrap();
        assert_eq!(n, 1);
    });
}

#[test]
fn thousand_sockets_each_woken_exactly_when_written() {
    with_watchdog(|| {
        let count = descriptor_budget(1_000);
        let rt = Flavor::MultiThread(4).build();
        let sockets: Vec<Async<UdpSocket>> = (0..count)
            .map(|_| Async::new(UdpSocket::bind("127.0.0.1:0").unwrap()).unwrap())
            .collect();
        let addrs: Vec<SocketAddr> = sockets
            .iter()
            .map(|s| s.get_ref().local_addr().unwrap())
            .collect();
        let sent: Arc<Vec<AtomicBool>> =
            Arc::new((0..count).map(|_| AtomicBool::new(false)).collect());
        let polls: Vec<PollCounter> = (0..count).map(|_| PollCounter::new()).collect();

        let tasks: Vec<_> = sockets
            .into_iter()
            .enumerate()
            .map(|(i, socket)| {
                let sent = sent.clone();
                rt.spawn(polls[i].wrap(async move {
                    socket.readable().await.unwrap();
                    assert!(
                        sent[i].load(SeqCst),
                        "socket {i} woke before it was written to"
                    );
                    let mut buf = [0; 8];
                    let n = socket.read_with(|s| s.recv(&mut buf)).await.unwrap();
                    assert_eq!(&buf[..n], &(i as u64).to_le_bytes());
                }))
            })
            .collect();

        // Every task waits (its waker is registered) before anything is sent.
        wait_until("every reader to wait", || {
            polls.iter().all(|p| p.get() >= 1)
        });
        let sender = UdpSocket::bind("127.0.0.1:0").unwrap();
        for i in (0..count).rev() {
            sent[i].store(true, SeqCst);
            sender.send_to(&(i as u64).to_le_bytes(), addrs[i]).unwrap();
        }
        rt.block_on(async {
            for task in tasks {
                task.await.unwrap();
            }
        });
        for (i, polls) in polls.iter().enumerate() {
            // Two polls: one to start waiting, one after the wake-up. One, if the data had
            // already arrived when the first poll looked (the wait above sees a poll begin, not
            // end). Never more: a socket is not woken spuriously.
            assert!(
                (1..=2).contains(&polls.get()),
                "socket {i}: {} polls, expected one or two",
                polls.get()
            );
        }
    });
}

#[test]
fn always_ready_descriptors_still_yield_to_other_tasks() {
    // `/dev/zero` never blocks; without the poll budget this loop would never let the other
    // task run on a current-thread runtime (and the watchdog would fail the test).
    with_watchdog(|| {
        let rt = Flavor::CurrentThread.build();
        rt.block_on(async {
            let flag = Arc::new(AtomicBool::new(false));
            let setter = {
                let flag = flag.clone();
                evloop::spawn(async move { flag.store(true, SeqCst) })
            };
            let mut zero = Async::new(File::open("/dev/zero").unwrap()).unwrap();
            let mut buf = [1u8; 64];
            while !flag.load(SeqCst) {
                assert_eq!(zero.read(&mut buf).await.unwrap(), 64);
            }
            assert_eq!(buf, [0; 64]);
            setter.await.unwrap();
        });
    });
}

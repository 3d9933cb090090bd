//! Integration tests of the blocking thread pool through the public API:
//! `spawn_blocking`, runtime metrics and the `Unblock` adapter.

use std::io::SeekFrom;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use evloop::blocking::Unblock;
use evloop::runtime::{Builder, Runtime};
use futures_lite::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

/// Upper bound for conditions that should become true quickly; reaching it
/// means something is broken, not that the machine is slow.
const PATIENCE: Duration = Duration::from_secs(10);

fn runtime(max_blocking_threads: usize, keep_alive: Duration) -> Runtime {
    Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(max_blocking_threads)
        .thread_keep_alive(keep_alive)
        .build()
        .expect("runtime builds")
}

/// Polls `cond` until it holds, failing only after [`PATIENCE`].
fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn many_closures_complete_within_the_thread_limit() {
    const MAX: usize = 16;
    const CLOSURES: usize = 2_000;
    let rt = runtime(MAX, Duration::from_secs(10));
    let running = Arc::new(AtomicUsize::new(0));
    let high_water = Arc::new(AtomicUsize::new(0));

    let sum = rt.block_on(async {
        let handles: Vec<_> = (0..CLOSURES)
            .map(|i| {
                let running = Arc::clone(&running);
                let high_water = Arc::clone(&high_water);
                evloop::task::spawn_blocking(move || {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    high_water.fetch_max(now, Ordering::SeqCst);
                    // Long enough for closures to overlap.
                    thread::sleep(Duration::from_micros(200));
                    running.fetch_sub(1, Ordering::SeqCst);
                    i
                })
            })
            .collect();
        let mut sum = 0;
        for handle in handles {
            sum += handle.await.expect("closure completes");
        }
        sum
    });

    assert_eq!(sum, (0..CLOSURES).sum::<usize>());
    let high_water = high_water.load(Ordering::SeqCst);
    assert!(high_water >= 1);
    assert!(high_water <= MAX, "{high_water} closures ran at once");
    assert!(rt.metrics().num_blocking_threads() <= MAX);
}

#[test]
fn a_panicking_closure_is_reported_and_the_pool_keeps_working() {
    let rt = runtime(2, Duration::from_secs(10));
    let err = rt
        .block_on(rt.spawn_blocking(|| -> u32 { panic!("closure fails on purpose") }))
        .expect_err("the closure panicked");
    assert!(err.is_panic());

    let values = rt.block_on(async {
        let handles: Vec<_> = (0..8u32)
            .map(|i| evloop::task::spawn_blocking(move || i * 2))
            .collect();
        let mut values = Vec::new();
        for handle in handles {
            values.push(handle.await.expect("closure completes"));
        }
        values
    });
    assert_eq!(values, (0..8u32).map(|i| i * 2).collect::<Vec<_>>());
    assert!(rt.metrics().num_blocking_threads() <= 2);
}

#[test]
fn idle_threads_exit_after_keep_alive() {
    let rt = runtime(8, Duration::from_millis(200));
    rt.block_on(async {
        let handles: Vec<_> = (0..8)
            .map(|_| evloop::task::spawn_blocking(|| thread::sleep(Duration::from_millis(50))))
            .collect();
        for handle in handles {
            handle.await.expect("closure completes");
        }
    });
    assert!(rt.metrics().num_blocking_threads() >= 1);
    wait_until("idle blocking threads have exited", || {
        rt.metrics().num_blocking_threads() == 0
    });

    // The pool grows again on demand.
    let value = rt
        .block_on(rt.spawn_blocking(|| 5))
        .expect("closure completes");
    assert_eq!(value, 5);
}

#[test]
fn a_single_thread_pool_runs_closures_in_fifo_order() {
    let rt = runtime(1, Duration::from_secs(10));
    let order = Arc::new(Mutex::new(Vec::new()));
    let handles: Vec<_> = (0..200)
        .map(|i| {
            let order = Arc::clone(&order);
            rt.spawn_blocking(move || order.lock().unwrap().push(i))
        })
        .collect();
    rt.block_on(async {
        for handle in handles {
            handle.await.expect("closure completes");
        }
    });
    assert_eq!(*order.lock().unwrap(), (0..200).collect::<Vec<_>>());
    assert_eq!(rt.metrics().num_blocking_threads(), 1);
}

#[test]
fn unblock_round_trips_a_file() {
    let rt = runtime(4, Duration::from_secs(10));
    let file = tempfile::tempfile().expect("temp file");
    // Several buffers' worth, with a pattern that exposes misplaced bytes.
    let data: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();

    let file = rt.block_on(async {
        let mut file = Unblock::new(file);
        file.write_all(&data).await.unwrap();
        file.flush().await.unwrap();

        assert_eq!(file.seek(SeekFrom::Start(0)).await.unwrap(), 0);
        let mut back = Vec::new();
        file.read_to_end(&mut back).await.unwrap();
        assert_eq!(back, data);

        // A relative seek is measured from what was read, not from how far
        // the adapter read ahead.
        file.seek(SeekFrom::Start(10)).await.unwrap();
        let mut five = [0; 5];
        file.read_exact(&mut five).await.unwrap();
        assert_eq!(five, data[10..15]);
        assert_eq!(file.seek(SeekFrom::Current(0)).await.unwrap(), 15);
        assert_eq!(file.seek(SeekFrom::Current(-5)).await.unwrap(), 10);

        // Overwrite in the middle, then read across the change.
        file.write_all(b"XYZ").await.unwrap();
        assert_eq!(file.seek(SeekFrom::Current(0)).await.unwrap(), 13);
        file.seek(SeekFrom::Start(9)).await.unwrap();
        let mut five = [0; 5];
        file.read_exact(&mut five).await.unwrap();
        assert_eq!(five, [data[9], b'X', b'Y', b'Z', data[13]]);

        // Writes past the end are flushed by close.
        file.seek(SeekFrom::End(0)).await.unwrap();
        file.write_all(b"tail").await.unwrap();
        file.close().await.unwrap();
        file.into_inner().await
    });

    let mut expected = data;
    expected[10..13].copy_from_slice(b"XYZ");
    expected.extend_from_slice(b"tail");
    let mut file = file;
    let mut on_disk = Vec::new();
    std::io::Seek::seek(&mut file, SeekFrom::Start(0)).unwrap();
    std::io::Read::read_to_end(&mut file, &mut on_disk).unwrap();
    assert_eq!(on_disk, expected);
}

#[test]
fn unblock_can_move_between_threads() {
    fn assert_send<T: Send>() {}
    assert_send::<Unblock<std::fs::File>>();
    assert_send::<Unblock<std::io::Cursor<Vec<u8>>>>();

    let rt = runtime(2, Duration::from_secs(10));
    let cursor = rt.block_on(async {
        let task = evloop::spawn(async {
            let mut io = Unblock::new(std::io::Cursor::new(Vec::new()));
            io.write_all(b"spawned").await.unwrap();
            io.into_inner().await
        });
        task.await.expect("task completes")
    });
    assert_eq!(cursor.into_inner(), b"spawned");
}

#[test]
fn unblock_reports_a_panicking_reader_as_an_error() {
    struct Broken;
    impl std::io::Read for Broken {
        fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
            panic!("reader fails on purpose")
        }
    }

    let rt = runtime(2, Duration::from_secs(10));
    rt.block_on(async {
        let mut reader = Unblock::new(Broken);
        let mut buf = [0; 4];
        assert!(reader.read(&mut buf).await.is_err());
        // The reader went down with the panic; later calls fail too.
        assert!(reader.read(&mut buf).await.is_err());
    });
}

//! `evloop::fs::File`: reading, writing, seeking and positional I/O on real files.

use std::io::{ErrorKind, IoSlice, IoSliceMut, SeekFrom};
use std::path::Path;
use std::time::{Duration, Instant};

use evloop::fs::{self, File, OpenOptions};
use evloop::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
use futures_lite::future::{poll_fn, zip};
use futures_lite::io::{AsyncRead, AsyncSeek, AsyncWrite};
use std::pin::Pin;
use std::task::Poll;

/// Bytes that differ from position to position, so misplaced data shows.
fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

async fn read_all(path: &Path) -> Vec<u8> {
    let mut file = File::open(path).await.unwrap();
    let mut data = Vec::new();
    file.read_to_end(&mut data).await.unwrap();
    data
}

#[evloop::test]
async fn small_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("small");

    let mut file = File::create(&path).await.unwrap();
    file.write_all(b"hello, evloop").await.unwrap();
    file.flush().await.unwrap();
    drop(file);

    assert_eq!(read_all(&path).await, b"hello, evloop");
    assert_eq!(std::fs::read(&path).unwrap(), b"hello, evloop");
}

#[evloop::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_round_trip_8_mib() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("large");
    let data = pattern(8 * 1024 * 1024);

    let mut file = File::create(&path).await.unwrap();
    file.write_all(&data).await.unwrap();
    file.flush().await.unwrap();
    drop(file);
    assert_eq!(std::fs::metadata(&path).unwrap().len(), data.len() as u64);

    // Read back both in one go and in odd-sized pieces.
    assert!(read_all(&path).await == data);
    let mut file = File::open(&path).await.unwrap();
    let mut back = Vec::with_capacity(data.len());
    let mut piece = vec![0; 70_001];
    loop {
        let n = file.read(&mut piece).await.unwrap();
        if n == 0 {
            break;
        }
        back.extend_from_slice(&piece[..n]);
    }
    assert!(back == data);
}

#[evloop::test]
async fn append_adds_at_the_end() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log");
    std::fs::write(&path, "one\n").unwrap();

    let mut file = OpenOptions::new().append(true).open(&path).await.unwrap();
    file.write_all(b"two\n").await.unwrap();
    file.write_all(b"three\n").await.unwrap();
    file.flush().await.unwrap();

    assert_eq!(std::fs::read_to_string(&path).unwrap(), "one\ntwo\nthree\n");
}

#[evloop::test]
async fn truncate_and_create_truncate_existing_contents() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("truncated");
    std::fs::write(&path, "a long original text").unwrap();

    let mut file = OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(&path)
        .await
        .unwrap();
    file.write_all(b"short").await.unwrap();
    file.flush().await.unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "short");

    let mut file = File::create(&path).await.unwrap();
    file.write_all(b"x").await.unwrap();
    file.flush().await.unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "x");
}

#[evloop::test]
async fn create_new_on_an_existing_file_is_already_exists() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("exists");

    let mut file = File::create_new(&path).await.unwrap();
    file.write_all(b"first").await.unwrap();
    file.flush().await.unwrap();

    let err = File::create_new(&path).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AlreadyExists);
    let err = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AlreadyExists);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "first");
}

#[evloop::test]
async fn missing_file_is_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing");

    let err = File::open(&path).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    // The operating system's error is kept.
    assert!(err.raw_os_error().is_some());

    assert_eq!(
        fs::read(&path).await.unwrap_err().kind(),
        ErrorKind::NotFound
    );
    assert_eq!(
        fs::read_to_string(&path).await.unwrap_err().kind(),
        ErrorKind::NotFound
    );
    assert_eq!(
        fs::metadata(&path).await.unwrap_err().kind(),
        ErrorKind::NotFound
    );
    assert_eq!(
        fs::remove_file(&path).await.unwrap_err().kind(),
        ErrorKind::NotFound
    );
    let in_missing_dir = dir.path().join("no-such-dir").join("file");
    assert_eq!(
        File::create(&in_missing_dir).await.unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

#[evloop::test]
async fn read_at_and_write_at_leave_the_cursor_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("positional");
    std::fs::write(&path, "0123456789abcdef").unwrap();

    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(&path)
        .await
        .unwrap();

    let mut head = [0; 3];
    file.read_exact(&mut head).await.unwrap();
    assert_eq!(&head, b"012");

    // Positional reads and writes at other offsets.
    let mut middle = [0; 4];
    assert_eq!(file.read_at(&mut middle, 10).await.unwrap(), 4);
    assert_eq!(&middle, b"abcd");
    assert_eq!(file.write_at(b"XY", 5).await.unwrap(), 2);
    assert_eq!(file.write_at(b"Z", 14).await.unwrap(), 1);

    // The sequential cursor is still at 3 and sees the positional write.
    let mut rest = String::new();
    file.read_to_string(&mut rest).await.unwrap();
    assert_eq!(rest, "34XY789abcdZf");

    // Reading past the end gives 0; writing past the end extends the file.
    assert_eq!(file.read_at(&mut middle, 100).await.unwrap(), 0);
    assert_eq!(file.write_at(b"!", 20).await.unwrap(), 1);
    assert_eq!(file.metadata().await.unwrap().len(), 21);
    assert_eq!(file.seek(SeekFrom::Current(0)).await.unwrap(), 16);
}

#[evloop::test(flavor = "multi_thread", worker_threads = 2)]
async fn positional_io_waits_for_the_write_in_flight() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ordered");

    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(&path)
        .await
        .unwrap();
    let data = pattern(1024 * 1024);
    // Completes before the bytes reach the file; `read_at` must still see them.
    assert_eq!(file.write(&data).await.unwrap(), data.len());
    let mut tail = [0; 16];
    assert_eq!(
        file.read_at(&mut tail, data.len() as u64 - 16)
            .await
            .unwrap(),
        16
    );
    assert_eq!(&tail[..], &data[data.len() - 16..]);

    // Several positional reads at once, from one shared `File`.
    let file = &file;
    let read = |at: usize| async move {
        let mut buf = [0; 100];
        let n = file.read_at(&mut buf, at as u64).await.unwrap();
        (at, n, buf)
    };
    let ((a, b), (c, d)) = zip(zip(read(0), read(1000)), zip(read(5000), read(77_777))).await;
    for (at, n, buf) in [a, b, c, d] {
        assert_eq!(n, 100);
        assert_eq!(&buf[..], &data[at..at + 100]);
    }
}

/// Tasks sharing one `File` all wait for the same write in flight, then read it back.
async fn shared_file_waiters(tasks: usize) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shared");
    let data = pattern(tasks * 64 * 1024);

    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(&path)
        .await
        .unwrap();
    // Accepted at once; the blocking write is most likely still running below.
    assert_eq!(file.write(&data).await.unwrap(), data.len());
    let file = std::sync::Arc::new(file);
    let mut handles = Vec::new();
    for i in 0..tasks {
        let file = file.clone();
        handles.push(evloop::spawn(async move {
            let mut buf = vec![0; 4096];
            let at = i * 64 * 1024 + 1000;
            let n = file.read_at(&mut buf, at as u64).await.unwrap();
            (at, n, buf)
        }));
    }
    for handle in handles {
        let (at, n, buf) = handle.await.unwrap();
        assert_eq!(n, 4096);
        assert!(buf == data[at..at + 4096]);
    }
}

#[evloop::test]
async fn tasks_sharing_a_file_wait_for_its_write() {
    shared_file_waiters(16).await;
}

#[evloop::test(flavor = "multi_thread", worker_threads = 2)]
async fn tasks_on_two_workers_sharing_a_file_wait_for_its_write() {
    for _ in 0..10 {
        shared_file_waiters(16).await;
    }
}

#[evloop::test]
async fn vectored_write_and_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vectored");

    let mut file = File::create(&path).await.unwrap();
    let parts = [
        IoSlice::new(b"alpha-"),
        IoSlice::new(b""),
        IoSlice::new(b"beta-"),
        IoSlice::new(b"gamma"),
    ];
    let n = file.write_vectored(&parts).await.unwrap();
    assert_eq!(n, 16);
    file.flush().await.unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "alpha-beta-gamma");

    let mut file = File::open(&path).await.unwrap();
    let (mut a, mut b, mut c) = ([0; 4], [0; 7], [0; 10]);
    let n = {
        let mut bufs = [
            IoSliceMut::new(&mut a),
            IoSliceMut::new(&mut b),
            IoSliceMut::new(&mut c),
        ];
        file.read_vectored(&mut bufs).await.unwrap()
    };
    assert_eq!(n, 16);
    assert_eq!(&a, b"alph");
    assert_eq!(&b, b"a-beta-");
    assert_eq!(&c[..5], b"gamma");
    assert_eq!(file.read(&mut a).await.unwrap(), 0);
}

#[evloop::test]
async fn seek_after_write_sees_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("seek-write");

    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(&path)
        .await
        .unwrap();
    file.write_all(b"0123456789").await.unwrap();
    // No flush: the seek waits for the write in flight.
    assert_eq!(file.seek(SeekFrom::Start(2)).await.unwrap(), 2);
    let mut buf = [0; 3];
    file.read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf, b"234");

    assert_eq!(file.seek(SeekFrom::End(-2)).await.unwrap(), 8);
    let mut end = String::new();
    file.read_to_string(&mut end).await.unwrap();
    assert_eq!(end, "89");

    // Writing after a seek goes where the seek said.
    file.seek(SeekFrom::Start(4)).await.unwrap();
    file.write_all(b"ab").await.unwrap();
    file.seek(SeekFrom::Start(0)).await.unwrap();
    let mut all = String::new();
    file.read_to_string(&mut all).await.unwrap();
    assert_eq!(all, "0123ab6789");
}

#[evloop::test]
async fn seek_current_accounts_for_read_ahead() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("seek-current");
    let data = pattern(100_000);
    std::fs::write(&path, &data).unwrap();

    let mut file = File::open(&path).await.unwrap();
    let mut buf = [0; 10];
    file.read_exact(&mut buf).await.unwrap();
    // The read fetched more than 10 bytes; the logical position is still 10.
    assert_eq!(file.seek(SeekFrom::Current(0)).await.unwrap(), 10);

    file.read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf, &data[10..20]);
    assert_eq!(file.seek(SeekFrom::Current(5)).await.unwrap(), 25);
    file.read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf, &data[25..35]);

    assert_eq!(file.seek(SeekFrom::Current(-30)).await.unwrap(), 5);
    file.read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf, &data[5..15]);

    // Seeking before the start fails and changes nothing.
    let err = file.seek(SeekFrom::Current(-1000)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert_eq!(file.seek(SeekFrom::Current(0)).await.unwrap(), 15);
}

#[evloop::test]
async fn write_after_read_lands_at_the_logical_position() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("read-then-write");
    std::fs::write(&path, "0123456789").unwrap();

    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(&path)
        .await
        .unwrap();
    let mut buf = [0; 3];
    file.read_exact(&mut buf).await.unwrap();
    // Read-ahead holds the rest of the file; the write must still go to position 3.
    file.write_all(b"abc").await.unwrap();
    file.flush().await.unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "012abc6789");

    let mut rest = String::new();
    file.read_to_string(&mut rest).await.unwrap();
    assert_eq!(rest, "6789");
}

#[evloop::test]
async fn set_len_truncates_and_extends() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("set-len");
    std::fs::write(&path, "0123456789").unwrap();

    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(&path)
        .await
        .unwrap();
    let mut buf = [0; 2];
    file.read_exact(&mut buf).await.unwrap();

    file.set_len(4).await.unwrap();
    assert_eq!(file.metadata().await.unwrap().len(), 4);
    // The read-ahead from before the truncation is gone; the cursor is still at 2.
    let mut rest = Vec::new();
    file.read_to_end(&mut rest).await.unwrap();
    assert_eq!(rest, b"23");

    file.set_len(8).await.unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"0123\0\0\0\0");

    let read_only = File::open(&path).await.unwrap();
    assert!(read_only.set_len(0).await.is_err());
}

#[evloop::test]
async fn sync_all_and_sync_data_after_writes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("synced");

    let mut file = File::create(&path).await.unwrap();
    file.write_all(&pattern(300_000)).await.unwrap();
    // No flush: syncing waits for the write in flight.
    file.sync_all().await.unwrap();
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 300_000);
    file.write_all(b"more").await.unwrap();
    file.sync_data().await.unwrap();
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 300_004);
}

#[evloop::test]
async fn failed_background_write_is_reported_by_flush() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("read-only");
    std::fs::write(&path, "data").unwrap();

    // Opened for reading only: the write is accepted, and fails on the pool.
    let mut file = File::open(&path).await.unwrap();
    assert_eq!(file.write(b"nope").await.unwrap(), 4);
    assert!(file.flush().await.is_err());
    // Reported once; the file is usable afterwards.
    file.flush().await.unwrap();
    let mut text = String::new();
    file.read_to_string(&mut text).await.unwrap();
    assert_eq!(text, "data");

    // Also reported by the next operation of another kind.
    assert_eq!(file.write(b"again").await.unwrap(), 5);
    assert!(file.seek(SeekFrom::Start(0)).await.is_err());
    assert_eq!(file.seek(SeekFrom::Start(0)).await.unwrap(), 0);
}

#[evloop::test]
async fn dropping_a_file_lets_its_pending_write_finish() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dropped");
    let data = pattern(512 * 1024);

    let mut file = File::create(&path).await.unwrap();
    assert_eq!(file.write(&data).await.unwrap(), data.len());
    drop(file);

    let deadline = Instant::now() + Duration::from_secs(10);
    while std::fs::metadata(&path).unwrap().len() < data.len() as u64 {
        assert!(
            Instant::now() < deadline,
            "the background write never finished"
        );
        evloop::task::spawn_blocking(|| std::thread::sleep(Duration::from_millis(5)))
            .await
            .unwrap();
    }
    assert!(std::fs::read(&path).unwrap() == data);
}

#[evloop::test]
async fn metadata_try_clone_permissions_and_std_conversions() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("misc");

    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(&path)
        .await
        .unwrap();
    file.write_all(b"0123456789").await.unwrap();
    // Includes the write still in flight.
    let meta = file.metadata().await.unwrap();
    assert!(meta.is_file());
    assert_eq!(meta.len(), 10);

    file.seek(SeekFrom::Start(0)).await.unwrap();
    let mut two = [0; 2];
    file.read_exact(&mut two).await.unwrap();
    // The clone shares the cursor, at the position read up to.
    let mut clone = file.try_clone().await.unwrap();
    let mut next = [0; 3];
    clone.read_exact(&mut next).await.unwrap();
    assert_eq!(&next, b"234");

    let mut perms = file.metadata().await.unwrap().permissions();
    perms.set_readonly(true);
    file.set_permissions(perms).await.unwrap();
    assert!(std::fs::metadata(&path).unwrap().permissions().readonly());

    // `into_std` continues where the async file stopped.
    let mut std_file = clone.into_std().await;
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut std_file, &mut rest).unwrap();
    assert_eq!(rest, "56789");

    let mut from_std = File::from_std(std::fs::File::open(&path).unwrap());
    let mut all = String::new();
    from_std.read_to_string(&mut all).await.unwrap();
    assert_eq!(all, "0123456789");
    // At rest: converts back at once.
    let back = from_std.try_into_std().unwrap();
    assert_eq!(back.metadata().unwrap().len(), 10);

    assert!(format!("{file:?}").starts_with("File"));
    let mut perms = std::fs::metadata(&path).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&path, perms).unwrap();
}

#[evloop::test]
async fn max_buf_size_bounds_each_chunk() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chunks");
    let data = pattern(10_000);

    let mut file = File::create(&path).await.unwrap();
    assert_eq!(file.max_buf_size(), 2 * 1024 * 1024);
    file.set_max_buf_size(1000);
    assert_eq!(file.write(&data).await.unwrap(), 1000);
    file.write_all(&data[1000..]).await.unwrap();
    file.flush().await.unwrap();
    assert!(std::fs::read(&path).unwrap() == data);

    let mut file = File::open(&path).await.unwrap();
    file.set_max_buf_size(1000);
    let mut buf = vec![0; 5000];
    assert_eq!(file.read(&mut buf).await.unwrap(), 1000);
    assert_eq!(file.read_at(&mut buf, 0).await.unwrap(), 1000);
}

#[evloop::test]
async fn a_read_abandoned_while_pending_is_undone_by_the_next_write() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("abandoned");

    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(&path)
        .await
        .unwrap();
    // Start a read and abandon it while it runs on the pool, then write and seek: the state
    // machine must wait for the read and undo its read-ahead.
    file.write_all(b"abcdef").await.unwrap();
    file.seek(SeekFrom::Start(0)).await.unwrap();
    let mut buf = [0; 2];
    // Usually `Pending`: the read runs on the pool and is abandoned here. If the pool was
    // faster, the read consumed two bytes and left the rest as read-ahead, which the write must
    // undo all the same.
    let consumed = poll_fn(|cx| {
        Poll::Ready(match Pin::new(&mut file).poll_read(cx, &mut buf) {
            Poll::Ready(n) => n.unwrap(),
            Poll::Pending => 0,
        })
    })
    .await;
    let n = poll_fn(|cx| Pin::new(&mut file).poll_write(cx, b"XY")).await;
    assert_eq!(n.unwrap(), 2);
    file.flush().await.unwrap();
    let expected = if consumed == 0 { "XYcdef" } else { "abXYef" };
    assert_eq!(std::fs::read_to_string(&path).unwrap(), expected);
}

#[evloop::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_files_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut tasks = Vec::new();
    for i in 0..1000usize {
        let path = dir.path().join(format!("file-{i}"));
        tasks.push(evloop::spawn(async move {
            let data: Vec<u8> = (0..4096).map(|j| ((i + j) % 256) as u8).collect();
            let mut file = File::create(&path).await?;
            file.write_all(&data).await?;
            file.flush().await?;
            drop(file);

            let mut file = File::open(&path).await?;
            let mut back = Vec::new();
            file.read_to_end(&mut back).await?;
            assert!(back == data, "file {i} read back wrong");
            std::io::Result::Ok(())
        }));
    }
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1000);
}

#[evloop::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_works_across_threads() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("moved");
    let mut file = File::create(&path).await.unwrap();
    file.write_all(b"written on one task").await.unwrap();
    // Carried to another task, possibly on another worker, with the write in flight.
    let file = evloop::spawn(async move {
        file.write_all(b", then another").await.unwrap();
        file.flush().await.unwrap();
        file
    })
    .await
    .unwrap();
    drop(file);
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "written on one task, then another"
    );
}

#[test]
fn works_under_block_on_without_a_runtime() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("block-on");
    evloop::block_on(async {
        fs::write(&path, "plain").await.unwrap();
        let mut file = File::open(&path).await.unwrap();
        let mut text = String::new();
        file.read_to_string(&mut text).await.unwrap();
        assert_eq!(text, "plain");
    });
}

#[allow(dead_code)]
fn file_is_send_sync_unpin() {
    fn check<T: Send + Sync + Unpin + 'static>() {}
    check::<File>();
    check::<fs::ReadDir>();
    check::<fs::DirEntry>();
    fn io<T: AsyncRead + AsyncWrite + AsyncSeek>() {}
    io::<File>();
}

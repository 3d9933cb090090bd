//! `evloop::io` helpers: `split`, `copy`, `BufReader`, `BufWriter` and friends, over in-memory
//! cursors and over files.

use evloop::fs::{File, OpenOptions};
use evloop::io::{
    self, AsyncBufReadExt, AsyncReadExt, AsyncSeekExt, AsyncWriteExt, BufReader, BufWriter, Cursor,
    ErrorKind, SeekFrom,
};
use futures_lite::StreamExt;

#[evloop::test]
async fn split_halves_share_a_cursor() {
    let (mut reader, mut writer) = io::split(Cursor::new(b"hello".to_vec()));

    let mut two = [0; 2];
    reader.read_exact(&mut two).await.unwrap();
    assert_eq!(&two, b"he");
    // The write goes where the read stopped.
    writer.write_all(b"XY").await.unwrap();
    let mut rest = Vec::new();
    reader.read_to_end(&mut rest).await.unwrap();
    assert_eq!(rest, b"o");
}

#[evloop::test(flavor = "multi_thread", worker_threads = 2)]
async fn split_halves_of_a_file_on_two_tasks() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("split");
    std::fs::write(&path, "abc").unwrap();

    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(&path)
        .await
        .unwrap();
    let (mut reader, mut writer) = io::split(file);
    let read = evloop::spawn(async move {
        let mut three = [0; 3];
        reader.read_exact(&mut three).await.unwrap();
        three
    })
    .await
    .unwrap();
    assert_eq!(&read, b"abc");
    evloop::spawn(async move {
        writer.write_all(b"def").await.unwrap();
        writer.flush().await.unwrap();
    })
    .await
    .unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "abcdef");
}

#[evloop::test]
async fn copy_between_memory_and_files() {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("source");
    let target = dir.path().join("target");
    let data: Vec<u8> = (0..1_000_000).map(|i| (i % 249) as u8).collect();

    // Memory to file.
    let mut file = File::create(&source).await.unwrap();
    let copied = io::copy(&mut Cursor::new(data.clone()), &mut file)
        .await
        .unwrap();
    assert_eq!(copied, data.len() as u64);
    drop(file);
    assert!(std::fs::read(&source).unwrap() == data);

    // File to file: `copy` flushes the writer at the end.
    let mut from = File::open(&source).await.unwrap();
    let mut to = File::create(&target).await.unwrap();
    assert_eq!(
        io::copy(&mut from, &mut to).await.unwrap(),
        data.len() as u64
    );
    assert!(std::fs::read(&target).unwrap() == data);

    // File to memory.
    let mut back = Vec::new();
    let mut from = File::open(&target).await.unwrap();
    io::copy(&mut from, &mut back).await.unwrap();
    assert!(back == data);
}

#[evloop::test]
async fn empty_sink_and_repeat() {
    let mut nothing = Vec::new();
    assert_eq!(io::copy(io::empty(), &mut nothing).await.unwrap(), 0);
    assert!(nothing.is_empty());

    assert_eq!(
        io::copy(io::repeat(b'z').take(10_000), &mut io::sink())
            .await
            .unwrap(),
        10_000
    );
    let mut five = Vec::new();
    io::repeat(b'q')
        .take(5)
        .read_to_end(&mut five)
        .await
        .unwrap();
    assert_eq!(five, b"qqqqq");
}

#[evloop::test]
async fn buf_reader_lines_over_a_cursor() {
    let text = "first line\nsecond line\r\n\nlast, without newline";
    let lines: Vec<String> = BufReader::new(Cursor::new(text.as_bytes().to_vec()))
        .lines()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        lines,
        ["first line", "second line", "", "last, without newline"]
    );

    let mut reader = BufReader::new(Cursor::new(b"a,b,c".to_vec()));
    let mut field = Vec::new();
    reader.read_until(b',', &mut field).await.unwrap();
    assert_eq!(field, b"a,");
    let mut line = String::new();
    reader.read_line(&mut line).await.unwrap();
    assert_eq!(line, "b,c");
}

#[evloop::test(flavor = "multi_thread", worker_threads = 2)]
async fn buf_writer_then_buf_reader_lines_over_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lines");

    let mut writer = BufWriter::new(File::create(&path).await.unwrap());
    for i in 0..10_000 {
        writer
            .write_all(format!("line number {i}\n").as_bytes())
            .await
            .unwrap();
    }
    writer.flush().await.unwrap();
    drop(writer);

    let mut lines = BufReader::new(File::open(&path).await.unwrap()).lines();
    let mut count = 0;
    while let Some(line) = lines.next().await {
        assert_eq!(line.unwrap(), format!("line number {count}"));
        count += 1;
    }
    assert_eq!(count, 10_000);
}

#[evloop::test]
async fn buf_reader_over_a_file_seeks_correctly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("seek");
    std::fs::write(&path, "0123456789").unwrap();

    let mut reader = BufReader::new(File::open(&path).await.unwrap());
    let mut two = [0; 2];
    reader.read_exact(&mut two).await.unwrap();
    // Both the `BufReader`'s buffer and the file's read-ahead are ahead of position 2.
    assert_eq!(reader.seek(SeekFrom::Current(3)).await.unwrap(), 5);
    let mut rest = String::new();
    reader.read_to_string(&mut rest).await.unwrap();
    assert_eq!(rest, "56789");
}

#[evloop::test]
async fn std_io_names_are_reexported() {
    fn fails() -> io::Result<()> {
        Err(io::Error::new(ErrorKind::InvalidData, "custom"))
    }
    assert_eq!(fails().unwrap_err().kind(), ErrorKind::InvalidData);
    let mut cursor = Cursor::new(vec![1, 2, 3]);
    assert_eq!(cursor.seek(SeekFrom::End(-1)).await.unwrap(), 2);
}

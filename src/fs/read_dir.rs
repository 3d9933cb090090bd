//! [`read_dir`], [`ReadDir`] and [`DirEntry`]: listing a directory.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::fmt;
use std::fs::{FileType, Metadata};
use std::future::{poll_fn, Future};
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use futures_core::Stream;

use super::offload::{asyncify, join_error};
use crate::task::{spawn_blocking, JoinHandle};

/// Entries fetched per trip to the blocking pool.
///
/// Reading an entry is cheap next to the round trip, so entries are fetched in batches; 32
/// keeps the round trips few for large directories while a small directory is listed in one
/// trip and little memory is held.
const BATCH: usize = 32;

/// Opens the directory at `path` for listing its entries.
///
/// The entries come in no particular order and do not include `.` and `..`. They are fetched on
/// the blocking pool, 32 per trip.
///
/// # Errors
///
/// Fails as [`std::fs::read_dir`] does: [`ErrorKind::NotFound`](io::ErrorKind::NotFound) for a
/// missing path, an error for a path that is not a directory or cannot be read.
///
/// # Examples
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// let dir = std::env::temp_dir().join(format!("evloop-doc-read-dir-{}", std::process::id()));
/// std::fs::create_dir(&dir)?;
/// std::fs::write(dir.join("a.txt"), "a")?;
/// std::fs::write(dir.join("b.txt"), "b")?;
///
/// let mut names = evloop::block_on(async {
///     let mut entries = evloop::fs::read_dir(&dir).await?;
///     let mut names = Vec::new();
///     while let Some(entry) = entries.next_entry().await? {
///         names.push(entry.file_name().into_string().unwrap());
///     }
///     Ok::<_, std::io::Error>(names)
/// })?;
/// names.sort();
/// assert_eq!(names, ["a.txt", "b.txt"]);
/// std::fs::remove_dir_all(&dir)
/// # }
/// ```
pub async fn read_dir(path: impl AsRef<Path>) -> io::Result<ReadDir> {
    let path = path.as_ref().to_owned();
    let std = asyncify(move || std::fs::read_dir(path)).await?;
    Ok(ReadDir {
        state: State::Idle(Batch {
            entries: VecDeque::with_capacity(BATCH),
            std: Some(std),
        }),
    })
}

/// The entries of a directory, made by [`read_dir`].
///
/// Take the entries with [`next_entry`](ReadDir::next_entry), or use `ReadDir` as a
/// [`Stream`] of `io::Result<DirEntry>` (with `futures_lite::StreamExt` or the `futures`
/// crate).
///
/// # Examples
///
/// ```
/// use futures_lite::StreamExt;
///
/// # fn main() -> std::io::Result<()> {
/// let dir = std::env::temp_dir().join(format!("evloop-doc-read-dir-stream-{}", std::process::id()));
/// std::fs::create_dir(&dir)?;
/// std::fs::write(dir.join("only"), "")?;
///
/// let entries: Vec<_> = evloop::block_on(async {
///     evloop::fs::read_dir(&dir).await?.try_collect::<_, _, Vec<_>>().await
/// })?;
/// assert_eq!(entries.len(), 1);
/// assert_eq!(entries[0].file_name(), "only");
/// std::fs::remove_dir_all(&dir)
/// # }
/// ```
pub struct ReadDir {
    state: State,
}

/// Entries fetched and not handed out yet, and the std iterator that fetches more.
struct Batch {
    entries: VecDeque<io::Result<DirEntry>>,
    /// `None` once the directory is exhausted (or the iterator was lost).
    std: Option<std::fs::ReadDir>,
}

// `Batch` holds std's `ReadDir`, large on Windows; one `State` lives in each `ReadDir`, and
// boxing the batch would cost an allocation per batch for no gain.
#[allow(clippy::large_enum_variant)]
enum State {
    Idle(Batch),
    /// A pool thread is fetching the next batch.
    Busy(JoinHandle<Batch>),
}

impl ReadDir {
    /// Returns the next entry, or `None` once every entry has been returned.
    ///
    /// # Errors
    ///
    /// An error reading the directory is returned in place of an entry; later calls go on with
    /// the entries after it, if the operating system can.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future before it completes loses no entry: a batch being fetched is kept
    /// for the next call.
    pub async fn next_entry(&mut self) -> io::Result<Option<DirEntry>> {
        poll_fn(|cx| self.poll_next_entry(cx)).await
    }

    /// Polls for the next entry: `Ready(Ok(None))` once every entry has been returned.
    ///
    /// When it returns `Pending`, the task is woken once the next batch has been fetched.
    pub fn poll_next_entry(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Option<DirEntry>>> {
        loop {
            match &mut self.state {
                State::Idle(batch) => {
                    if let Some(entry) = batch.entries.pop_front() {
                        return Poll::Ready(entry.map(Some));
                    }
                    let Some(mut std) = batch.std.take() else {
                        return Poll::Ready(Ok(None));
                    };
                    let mut entries = std::mem::take(&mut batch.entries);
                    self.state = State::Busy(spawn_blocking(move || {
                        let exhausted = fetch(&mut std, &mut entries);
                        Batch {
                            entries,
                            std: if exhausted { None } else { Some(std) },
                        }
                    }));
                }
                State::Busy(handle) => {
                    let joined = ready!(Pin::new(handle).poll(cx));
                    match joined {
                        Ok(batch) => self.state = State::Idle(batch),
                        Err(err) => {
                            // The iterator went with the job: the listing ends here.
                            self.state = State::Idle(Batch {
                                entries: VecDeque::new(),
                                std: None,
                            });
                            return Poll::Ready(Err(join_error(&err)));
                        }
                    }
                }
            }
        }
    }
}

/// Moves up to [`BATCH`] entries from `std` into `entries`; returns whether `std` is exhausted.
fn fetch(std: &mut std::fs::ReadDir, entries: &mut VecDeque<io::Result<DirEntry>>) -> bool {
    for _ in 0..BATCH {
        match std.next() {
            Some(Ok(entry)) => entries.push_back(Ok(DirEntry::new(entry))),
            Some(Err(err)) => entries.push_back(Err(err)),
            None => return true,
        }
    }
    false
}

impl Stream for ReadDir {
    type Item = io::Result<DirEntry>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_next_entry(cx).map(Result::transpose)
    }
}

impl fmt::Debug for ReadDir {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("ReadDir");
        match &self.state {
            State::Idle(batch) => s
                .field("buffered", &batch.entries.len())
                .field("exhausted", &batch.std.is_none()),
            State::Busy(_) => s.field("fetching", &true),
        };
        s.finish()
    }
}

/// An entry of a directory, returned by [`ReadDir`].
///
/// Its [`path`](DirEntry::path) and [`file_name`](DirEntry::file_name) are known without a
/// system call. [`file_type`](DirEntry::file_type) is usually known too (fetched with the
/// entry where the platform reports it, as Linux, macOS and Windows do);
/// [`metadata`](DirEntry::metadata) always takes a trip to the blocking pool.
#[derive(Clone)]
pub struct DirEntry {
    std: Arc<std::fs::DirEntry>,
    /// The type, when the platform reported it with the entry.
    file_type: Option<FileType>,
}

impl DirEntry {
    /// Wraps a std entry; runs on the pool, where asking for the type is allowed to block.
    fn new(std: std::fs::DirEntry) -> DirEntry {
        let file_type = std.file_type().ok();
        DirEntry {
            std: Arc::new(std),
            file_type,
        }
    }

    /// The full path of the entry: the path given to [`read_dir`] joined with the entry's file
    /// name.
    pub fn path(&self) -> PathBuf {
        self.std.path()
    }

    /// The entry's file name, without any leading path.
    pub fn file_name(&self) -> OsString {
        self.std.file_name()
    }

    /// The entry's metadata. Symbolic links are not followed: for a link, this describes the
    /// link itself.
    ///
    /// # Errors
    ///
    /// Fails as [`std::fs::DirEntry::metadata`] does; for example, if the entry was removed
    /// since it was listed.
    pub async fn metadata(&self) -> io::Result<Metadata> {
        let std = self.std.clone();
        asyncify(move || std.metadata()).await
    }

    /// The entry's file type (directory, file, symbolic link, ...). Symbolic links are not
    /// followed.
    ///
    /// Answered at once when the platform reported the type with the entry; otherwise on the
    /// blocking pool.
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> std::io::Result<()> {
    /// let dir = std::env::temp_dir().join(format!("evloop-doc-file-type-{}", std::process::id()));
    /// std::fs::create_dir_all(dir.join("sub"))?;
    ///
    /// evloop::block_on(async {
    ///     let mut entries = evloop::fs::read_dir(&dir).await?;
    ///     let entry = entries.next_entry().await?.expect("one entry");
    ///     assert!(entry.file_type().await?.is_dir());
    ///     Ok::<_, std::io::Error>(())
    /// })?;
    /// std::fs::remove_dir_all(&dir)
    /// # }
    /// ```
    pub async fn file_type(&self) -> io::Result<FileType> {
        if let Some(file_type) = self.file_type {
            return Ok(file_type);
        }
        let std = self.std.clone();
        asyncify(move || std.file_type()).await
    }

    /// The entry's inode number, as the directory listing reported it.
    #[cfg(unix)]
    pub fn ino(&self) -> u64 {
        std::os::unix::fs::DirEntryExt::ino(&*self.std)
    }
}

impl fmt::Debug for DirEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("DirEntry").field(&self.path()).finish()
    }
}

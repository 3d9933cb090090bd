//! [`File`]: an open file whose operations run on the blocking pool.

use std::fmt;
use std::fs::{File as StdFile, Metadata, Permissions};
use std::future::poll_fn;
use std::io::{self, IoSlice, IoSliceMut, SeekFrom};
use std::path::Path;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{ready, Context, Poll};

use futures_io::{AsyncRead, AsyncSeek, AsyncWrite};

use super::offload::asyncify;
use super::positional::{self, CursorLock};
use super::state::Inner;
use super::OpenOptions;
use crate::task::coop;

/// An open file, read and written asynchronously.
///
/// `File` implements the `futures-io` traits [`AsyncRead`], [`AsyncWrite`] and [`AsyncSeek`]
/// (use them through [`AsyncReadExt`](crate::io::AsyncReadExt),
/// [`AsyncWriteExt`](crate::io::AsyncWriteExt) and [`AsyncSeekExt`](crate::io::AsyncSeekExt)),
/// and offers positional I/O ([`read_at`](File::read_at), [`write_at`](File::write_at)) that
/// leaves the cursor alone.
///
/// # How it works
///
/// Every system call runs on the blocking pool, one operation at a time, with an internal
/// buffer that travels to the pool thread and back:
///
/// - A **read** with nothing buffered reads up to 2 MiB (at least what the caller asked for,
///   and at least 8 KiB) on the pool; what the caller does not take stays buffered as
///   read-ahead for the next reads.
/// - A **write** copies up to 2 MiB of the caller's bytes into the buffer and completes at
///   once; the blocking write then runs in the background. The next operation waits for it,
///   so operations stay in order. If the background write fails, the next operation (or
///   [`flush`](crate::io::AsyncWriteExt::flush)) returns the error.
/// - A **seek** waits for any write in flight, discards the read-ahead and seeks on the pool;
///   [`SeekFrom::Current`] counts from the position the caller has read up to, not from where
///   the read-ahead left the cursor.
///
/// Every read and write spends one unit of the task's poll budget, so a task reading a large
/// read-ahead in small pieces still lets others run.
///
/// Flushing waits for the write in flight; it does not ask the operating system to put the
/// data on disk: use [`sync_all`](File::sync_all) or [`sync_data`](File::sync_data) for that.
///
/// Methods taking `&self` ([`read_at`](File::read_at), [`write_at`](File::write_at),
/// [`metadata`](File::metadata), [`sync_all`](File::sync_all), ...) first wait for the
/// operation in flight, so they see every byte written before them. Several of them may run at
/// the same time, from different tasks sharing the `File`. If the future of such a call is
/// dropped before it completes, the call may still take effect, at an unspecified point
/// relative to later operations.
///
/// # Dropping
///
/// Dropping a `File` with a write in flight does not cancel it: the write finishes in the
/// background and the file is closed afterwards, but its error, if any, is lost. Flush (or
/// close) the file before dropping it to see that error. If the runtime shuts down first, a
/// write still queued may never run.
///
/// # Examples
///
/// ```
/// use evloop::fs::File;
/// use evloop::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt, SeekFrom};
///
/// # fn main() -> std::io::Result<()> {
/// let path = std::env::temp_dir().join(format!("evloop-doc-file-{}", std::process::id()));
/// evloop::block_on(async {
///     let mut file = File::options()
///         .read(true)
///         .write(true)
///         .create(true)
///         .truncate(true)
///         .open(&path)
///         .await?;
///     file.write_all(b"hello, world").await?;
///
///     file.seek(SeekFrom::Start(7)).await?;
///     let mut word = String::new();
///     file.read_to_string(&mut word).await?;
///     assert_eq!(word, "world");
///     Ok::<_, std::io::Error>(())
/// })?;
/// std::fs::remove_file(&path)
/// # }
/// ```
pub struct File {
    std: Arc<StdFile>,
    cursor_lock: Arc<CursorLock>,
    inner: Mutex<Inner>,
}

impl File {
    /// Opens a file for reading.
    ///
    /// Same as [`OpenOptions::new().read(true).open(path)`](OpenOptions::open).
    ///
    /// # Errors
    ///
    /// Fails as [`std::fs::File::open`] does; a missing file gives
    /// [`ErrorKind::NotFound`](io::ErrorKind::NotFound).
    ///
    /// # Examples
    ///
    /// ```
    /// use evloop::fs::File;
    /// use evloop::io::AsyncReadExt;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let path = std::env::temp_dir().join(format!("evloop-doc-open-{}", std::process::id()));
    /// std::fs::write(&path, "contents")?;
    /// evloop::block_on(async {
    ///     let mut file = File::open(&path).await?;
    ///     let mut text = String::new();
    ///     file.read_to_string(&mut text).await?;
    ///     assert_eq!(text, "contents");
    ///
    ///     let missing = File::open(path.with_extension("missing")).await.unwrap_err();
    ///     assert_eq!(missing.kind(), std::io::ErrorKind::NotFound);
    ///     Ok::<_, std::io::Error>(())
    /// })?;
    /// std::fs::remove_file(&path)
    /// # }
    /// ```
    pub async fn open(path: impl AsRef<Path>) -> io::Result<File> {
        OpenOptions::new().read(true).open(path).await
    }

    /// Opens a file for writing, creating it if it does not exist and truncating it if it does.
    ///
    /// Same as `OpenOptions::new().write(true).create(true).truncate(true).open(path)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use evloop::fs::File;
    /// use evloop::io::AsyncWriteExt;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let path = std::env::temp_dir().join(format!("evloop-doc-create-{}", std::process::id()));
    /// evloop::block_on(async {
    ///     let mut file = File::create(&path).await?;
    ///     file.write_all(b"new").await?;
    ///     file.flush().await
    /// })?;
    /// assert_eq!(std::fs::read(&path)?, b"new");
    /// std::fs::remove_file(&path)
    /// # }
    /// ```
    pub async fn create(path: impl AsRef<Path>) -> io::Result<File> {
        OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)
            .await
    }

    /// Creates a new file for reading and writing; fails with
    /// [`ErrorKind::AlreadyExists`](io::ErrorKind::AlreadyExists) if `path` exists.
    ///
    /// Same as `OpenOptions::new().read(true).write(true).create_new(true).open(path)`; the
    /// check and the creation are one atomic step.
    pub async fn create_new(path: impl AsRef<Path>) -> io::Result<File> {
        OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(path)
            .await
    }

    /// Returns a new [`OpenOptions`], to open a file with options other than those of
    /// [`open`](File::open) and [`create`](File::create).
    ///
    /// # Examples
    ///
    /// ```
    /// use evloop::fs::File;
    /// use evloop::io::AsyncWriteExt;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let path = std::env::temp_dir().join(format!("evloop-doc-options-{}", std::process::id()));
    /// std::fs::write(&path, "first,")?;
    /// evloop::block_on(async {
    ///     let mut log = File::options().append(true).open(&path).await?;
    ///     log.write_all(b"second").await?;
    ///     log.flush().await
    /// })?;
    /// assert_eq!(std::fs::read_to_string(&path)?, "first,second");
    /// std::fs::remove_file(&path)
    /// # }
    /// ```
    pub fn options() -> OpenOptions {
        OpenOptions::new()
    }

    /// Wraps a std file.
    ///
    /// The file's cursor is used as it is; nothing is read or written until the first
    /// operation.
    pub fn from_std(std: StdFile) -> File {
        File {
            std: Arc::new(std),
            cursor_lock: Arc::new(CursorLock::default()),
            inner: Mutex::new(Inner::new()),
        }
    }

    /// Unwraps the std file, after waiting for the operation in flight.
    ///
    /// Read-ahead is discarded and the cursor is moved back to the position read up to, so the
    /// std file continues where this `File` stopped. An error of a background write that has
    /// not been reported yet is lost: [`flush`](crate::io::AsyncWriteExt::flush) first to see
    /// it.
    ///
    /// # Panics
    ///
    /// Only if a `&self` method's future was dropped while its operation still runs and
    /// duplicating the file handle, to return a handle anyway, fails (the process is out of
    /// file descriptors). [`try_into_std`](File::try_into_std) never panics.
    ///
    /// # Examples
    ///
    /// ```
    /// use evloop::fs::File;
    /// use evloop::io::AsyncWriteExt;
    /// use std::io::Write;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let path = std::env::temp_dir().join(format!("evloop-doc-into-std-{}", std::process::id()));
    /// evloop::block_on(async {
    ///     let mut file = File::create(&path).await?;
    ///     file.write_all(b"async, ").await?;
    ///     let mut std_file = file.into_std().await;
    ///     std_file.write_all(b"then blocking")
    /// })?;
    /// assert_eq!(std::fs::read_to_string(&path)?, "async, then blocking");
    /// std::fs::remove_file(&path)
    /// # }
    /// ```
    pub async fn into_std(self) -> StdFile {
        self.settled(true, |_| ()).await;
        match Arc::try_unwrap(self.std) {
            Ok(std) => std,
            // Another handle to the same open file shares its cursor, so it serves as well.
            Err(shared) => shared
                .try_clone()
                .expect("duplicating a file handle for `File::into_std` failed"),
        }
    }

    /// Unwraps the std file if that can be done at once: nothing in flight, no read-ahead
    /// buffered and no unreported error of a background write. Otherwise gives the `File`
    /// back.
    pub fn try_into_std(mut self) -> Result<StdFile, File> {
        if !self.inner_mut().is_quiescent() {
            return Err(self);
        }
        let File {
            std,
            cursor_lock,
            inner,
        } = self;
        Arc::try_unwrap(std).map_err(|std| File {
            std,
            cursor_lock,
            inner,
        })
    }

    /// Reads into `buf` from the file at `offset`, without moving the file's cursor.
    ///
    /// Returns how many bytes were read: 0 at or past the end of the file, and possibly fewer
    /// than `buf.len()` (at most 2 MiB, or the [maximum buffer size](File::set_max_buf_size),
    /// at a time). Waits for the operation in flight first, so the bytes of every earlier
    /// write are seen. Several calls may run in parallel.
    ///
    /// On Unix this is `pread`. On Windows the underlying call moves the cursor; it is put back
    /// before this returns, and positional calls on one `File` then run one at a time.
    ///
    /// # Errors
    ///
    /// Fails as the system call does, or with the error of an earlier background write that
    /// has not been reported yet.
    ///
    /// # Examples
    ///
    /// ```
    /// use evloop::fs::File;
    /// use evloop::io::AsyncReadExt;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let path = std::env::temp_dir().join(format!("evloop-doc-read-at-{}", std::process::id()));
    /// std::fs::write(&path, "0123456789")?;
    /// evloop::block_on(async {
    ///     let mut file = File::open(&path).await?;
    ///     let mut middle = [0; 4];
    ///     assert_eq!(file.read_at(&mut middle, 3).await?, 4);
    ///     assert_eq!(&middle, b"3456");
    ///
    ///     // The cursor has not moved.
    ///     let mut first = [0; 2];
    ///     file.read_exact(&mut first).await?;
    ///     assert_eq!(&first, b"01");
    ///     Ok::<_, std::io::Error>(())
    /// })?;
    /// std::fs::remove_file(&path)
    /// # }
    /// ```
    pub async fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        let max = self.settled(false, Inner::take_error_then_max_buf).await?;
        if buf.is_empty() {
            return Ok(0);
        }
        let len = buf.len().min(max);
        let std = self.std.clone();
        let cursor_lock = self.cursor_lock.clone();
        let (data, n) = asyncify(move || {
            let mut data = vec![0; len];
            let n = positional::read_at(&std, &cursor_lock, &mut data, offset)?;
            Ok((data, n))
        })
        .await?;
        buf[..n].copy_from_slice(&data[..n]);
        Ok(n)
    }

    /// Writes `buf` into the file at `offset`, without moving the file's cursor.
    ///
    /// Returns how many bytes were written: possibly fewer than `buf.len()` (at most 2 MiB, or
    /// the [maximum buffer size](File::set_max_buf_size), at a time). Waits for the operation
    /// in flight first, so it lands after every earlier write, and discards read-ahead, so later
    /// reads see these bytes. The write is complete when this returns. On a file opened in
    /// append mode the operating system may append instead (Linux and Windows do).
    ///
    /// On Unix this is `pwrite`. On Windows the underlying call moves the cursor; it is put back
    /// before this returns, and positional calls on one `File` then run one at a time.
    ///
    /// # Errors
    ///
    /// Fails as the system call does, or with the error of an earlier background write that
    /// has not been reported yet.
    ///
    /// # Examples
    ///
    /// ```
    /// use evloop::fs::File;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let path = std::env::temp_dir().join(format!("evloop-doc-write-at-{}", std::process::id()));
    /// std::fs::write(&path, "hello world")?;
    /// evloop::block_on(async {
    ///     let file = File::options().write(true).open(&path).await?;
    ///     assert_eq!(file.write_at(b"W", 6).await?, 1);
    ///     Ok::<_, std::io::Error>(())
    /// })?;
    /// assert_eq!(std::fs::read_to_string(&path)?, "hello World");
    /// std::fs::remove_file(&path)
    /// # }
    /// ```
    pub async fn write_at(&self, buf: &[u8], offset: u64) -> io::Result<usize> {
        let max = self.settled(true, Inner::take_error_then_max_buf).await?;
        if buf.is_empty() {
            return Ok(0);
        }
        let data = buf[..buf.len().min(max)].to_vec();
        let std = self.std.clone();
        let cursor_lock = self.cursor_lock.clone();
        asyncify(move || positional::write_at(&std, &cursor_lock, &data, offset)).await
    }

    /// Waits for the operation in flight, then asks the operating system to write the file's
    /// data and metadata to the storage device (`fsync`).
    ///
    /// # Errors
    ///
    /// Fails as [`std::fs::File::sync_all`] does, or with the error of an earlier background
    /// write that has not been reported yet.
    ///
    /// # Examples
    ///
    /// ```
    /// use evloop::fs::File;
    /// use evloop::io::AsyncWriteExt;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let path = std::env::temp_dir().join(format!("evloop-doc-sync-{}", std::process::id()));
    /// evloop::block_on(async {
    ///     let mut file = File::create(&path).await?;
    ///     file.write_all(b"durable").await?;
    ///     file.sync_all().await
    /// })?;
    /// std::fs::remove_file(&path)
    /// # }
    /// ```
    pub async fn sync_all(&self) -> io::Result<()> {
        self.settled(false, Inner::take_error).await?;
        let std = self.std.clone();
        asyncify(move || std.sync_all()).await
    }

    /// Like [`sync_all`](File::sync_all), but may skip metadata that is not needed to read the
    /// data back (`fdatasync`).
    ///
    /// # Errors
    ///
    /// Fails as [`std::fs::File::sync_data`] does, or with the error of an earlier background
    /// write that has not been reported yet.
    pub async fn sync_data(&self) -> io::Result<()> {
        self.settled(false, Inner::take_error).await?;
        let std = self.std.clone();
        asyncify(move || std.sync_data()).await
    }

    /// Truncates or extends the file to `size` bytes; extending fills with zeros.
    ///
    /// Waits for the operation in flight and discards read-ahead first. The cursor does not
    /// move, even when it ends up past the end of the file.
    ///
    /// # Errors
    ///
    /// Fails as [`std::fs::File::set_len`] does (for example, if the file is not open for
    /// writing), or with the error of an earlier background write that has not been reported
    /// yet.
    ///
    /// # Examples
    ///
    /// ```
    /// use evloop::fs::File;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let path = std::env::temp_dir().join(format!("evloop-doc-set-len-{}", std::process::id()));
    /// std::fs::write(&path, "0123456789")?;
    /// evloop::block_on(async {
    ///     let file = File::options().write(true).open(&path).await?;
    ///     file.set_len(4).await?;
    ///     assert_eq!(file.metadata().await?.len(), 4);
    ///     Ok::<_, std::io::Error>(())
    /// })?;
    /// std::fs::remove_file(&path)
    /// # }
    /// ```
    pub async fn set_len(&self, size: u64) -> io::Result<()> {
        self.settled(true, Inner::take_error).await?;
        let std = self.std.clone();
        asyncify(move || std.set_len(size)).await
    }

    /// Queries the file's metadata, after waiting for the operation in flight (so the length
    /// includes every earlier write).
    ///
    /// An error of an earlier background write is left for the next I/O operation to report.
    pub async fn metadata(&self) -> io::Result<Metadata> {
        self.settled(false, |_| ()).await;
        let std = self.std.clone();
        asyncify(move || std.metadata()).await
    }

    /// Changes the file's permissions, after waiting for the operation in flight.
    ///
    /// An error of an earlier background write is left for the next I/O operation to report.
    pub async fn set_permissions(&self, perm: Permissions) -> io::Result<()> {
        self.settled(false, |_| ()).await;
        let std = self.std.clone();
        asyncify(move || std.set_permissions(perm)).await
    }

    /// Creates a second `File` for the same open file.
    ///
    /// Both share one cursor (and, on Unix, the file status flags), as handles from
    /// [`std::fs::File::try_clone`] do. Waits for the operation in flight and discards
    /// read-ahead first, so the new handle starts at the position read up to. Each `File` keeps
    /// its own buffer: once both are used, their read-ahead and background writes are not
    /// coordinated, so move the cursor explicitly (seek) when switching between them.
    pub async fn try_clone(&self) -> io::Result<File> {
        self.settled(true, |_| ()).await;
        let std = self.std.clone();
        let clone = asyncify(move || std.try_clone()).await?;
        Ok(File::from_std(clone))
    }

    /// Sets the largest read or write handed to the blocking pool at once (2 MiB by default;
    /// 0 is treated as 1).
    ///
    /// Larger chunks mean fewer round trips to the pool for large sequential transfers, at the
    /// cost of a buffer of that size per file while it is in use.
    pub fn set_max_buf_size(&mut self, max_buf_size: usize) {
        self.inner_mut().set_max_buf(max_buf_size);
    }

    /// The largest read or write handed to the blocking pool at once.
    pub fn max_buf_size(&self) -> usize {
        self.lock().max_buf()
    }

    /// Waits, with the state locked, until nothing is in flight (and, with `rewind`, no
    /// read-ahead is buffered), then runs `f` on the state under the same lock.
    async fn settled<R>(&self, rewind: bool, f: impl FnOnce(&mut Inner) -> R) -> R {
        let mut f = Some(f);
        poll_fn(|cx| {
            let mut inner = self.lock();
            ready!(inner.poll_settle(cx, &self.std, rewind));
            let f = f
                .take()
                .expect("a `poll_fn` future is not polled after it completes");
            Poll::Ready(f(&mut inner))
        })
        .await
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn inner_mut(&mut self) -> &mut Inner {
        self.inner.get_mut().unwrap_or_else(PoisonError::into_inner)
    }

    /// The target of a seek begun with tokio's `AsyncSeek::start_seek` (see `compat`).
    #[cfg(feature = "tokio-io")]
    pub(crate) fn tokio_seek(&mut self) -> &mut Option<std::io::SeekFrom> {
        &mut self.inner_mut().tokio_seek
    }
}

impl From<StdFile> for File {
    fn from(std: StdFile) -> File {
        File::from_std(std)
    }
}

impl AsyncRead for File {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        ready!(coop::poll_proceed(cx));
        let this = self.get_mut();
        let want = buf.len();
        let std = &this.std;
        let inner = this.inner.get_mut().unwrap_or_else(PoisonError::into_inner);
        inner.poll_read(cx, std, want, |ahead| ahead.copy_to(buf))
    }

    fn poll_read_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &mut [IoSliceMut<'_>],
    ) -> Poll<io::Result<usize>> {
        ready!(coop::poll_proceed(cx));
        let this = self.get_mut();
        let want = bufs.iter().map(|buf| buf.len()).sum();
        let std = &this.std;
        let inner = this.inner.get_mut().unwrap_or_else(PoisonError::into_inner);
        inner.poll_read(cx, std, want, |ahead| ahead.copy_to_vectored(bufs))
    }
}

impl AsyncWrite for File {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        ready!(coop::poll_proceed(cx));
        let this = self.get_mut();
        let std = &this.std;
        let inner = this.inner.get_mut().unwrap_or_else(PoisonError::into_inner);
        inner.poll_write(cx, std, &[IoSlice::new(buf)])
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        ready!(coop::poll_proceed(cx));
        let this = self.get_mut();
        let std = &this.std;
        let inner = this.inner.get_mut().unwrap_or_else(PoisonError::into_inner);
        inner.poll_write(cx, std, bufs)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().inner_mut().poll_flush(cx)
    }

    /// Same as flushing: waits for the write in flight. The file itself is closed when the
    /// `File` is dropped.
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_flush(cx)
    }
}

impl AsyncSeek for File {
    fn poll_seek(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        pos: SeekFrom,
    ) -> Poll<io::Result<u64>> {
        let this = self.get_mut();
        let std = &this.std;
        let inner = this.inner.get_mut().unwrap_or_else(PoisonError::into_inner);
        inner.poll_seek(cx, std, pos)
    }
}

impl fmt::Debug for File {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.inner.try_lock() {
            Ok(inner) => inner.describe(),
            Err(_) => "locked",
        };
        f.debug_struct("File")
            .field("std", &self.std)
            .field("state", &state)
            .finish()
    }
}

#[cfg(unix)]
mod unix {
    use super::File;
    use std::os::unix::io::{AsFd, AsRawFd, BorrowedFd, RawFd};

    impl AsRawFd for File {
        fn as_raw_fd(&self) -> RawFd {
            self.std.as_raw_fd()
        }
    }

    impl AsFd for File {
        fn as_fd(&self) -> BorrowedFd<'_> {
            self.std.as_fd()
        }
    }
}

#[cfg(windows)]
mod windows {
    use super::File;
    use std::os::windows::io::{AsHandle, AsRawHandle, BorrowedHandle, RawHandle};

    impl AsRawHandle for File {
        fn as_raw_handle(&self) -> RawHandle {
            self.std.as_raw_handle()
        }
    }

    impl AsHandle for File {
        fn as_handle(&self) -> BorrowedHandle<'_> {
            self.std.as_handle()
        }
    }
}

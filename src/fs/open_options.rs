//! [`OpenOptions`]: how to open a file.

use std::io;
use std::path::Path;

use super::offload::asyncify;
use super::File;

/// Options for opening a file: which access, whether to create or truncate it.
///
/// The same builder as [`std::fs::OpenOptions`] (which it wraps), with an asynchronous
/// [`open`](OpenOptions::open). Setters take and return `&mut Self`, so calls chain.
/// [`File::options`] is a shorter way to get one.
///
/// # Examples
///
/// ```
/// use evloop::fs::OpenOptions;
/// use evloop::io::AsyncWriteExt;
///
/// # fn main() -> std::io::Result<()> {
/// let path = std::env::temp_dir().join(format!("evloop-doc-open-options-{}", std::process::id()));
/// evloop::block_on(async {
///     let mut file = OpenOptions::new().write(true).create_new(true).open(&path).await?;
///     file.write_all(b"only once").await?;
///     file.flush().await?;
///
///     let again = OpenOptions::new().write(true).create_new(true).open(&path).await;
///     assert_eq!(again.unwrap_err().kind(), std::io::ErrorKind::AlreadyExists);
///     Ok::<_, std::io::Error>(())
/// })?;
/// std::fs::remove_file(&path)
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct OpenOptions(std::fs::OpenOptions);

impl OpenOptions {
    /// Options with every flag off; set at least one of [`read`](OpenOptions::read),
    /// [`write`](OpenOptions::write) or [`append`](OpenOptions::append) before opening.
    pub fn new() -> OpenOptions {
        OpenOptions(std::fs::OpenOptions::new())
    }

    /// Opens for reading.
    pub fn read(&mut self, read: bool) -> &mut OpenOptions {
        self.0.read(read);
        self
    }

    /// Opens for writing (at the cursor, which starts at the beginning).
    pub fn write(&mut self, write: bool) -> &mut OpenOptions {
        self.0.write(write);
        self
    }

    /// Opens for appending: every write goes to the end of the file, whatever the cursor.
    /// Implies write access.
    pub fn append(&mut self, append: bool) -> &mut OpenOptions {
        self.0.append(append);
        self
    }

    /// Truncates an existing file to length 0 when opening it; needs write access.
    pub fn truncate(&mut self, truncate: bool) -> &mut OpenOptions {
        self.0.truncate(truncate);
        self
    }

    /// Creates the file if it does not exist; needs write or append access.
    pub fn create(&mut self, create: bool) -> &mut OpenOptions {
        self.0.create(create);
        self
    }

    /// Creates the file, failing with [`ErrorKind::AlreadyExists`](io::ErrorKind::AlreadyExists)
    /// if it exists (checked and created in one atomic step); needs write or append access.
    /// When set, [`create`](OpenOptions::create) and [`truncate`](OpenOptions::truncate) are
    /// ignored.
    pub fn create_new(&mut self, create_new: bool) -> &mut OpenOptions {
        self.0.create_new(create_new);
        self
    }

    /// Opens the file at `path` with these options, on the blocking pool.
    ///
    /// # Errors
    ///
    /// Fails as [`std::fs::OpenOptions::open`] does: [`ErrorKind::NotFound`](io::ErrorKind::NotFound)
    /// for a missing file without `create`, [`ErrorKind::AlreadyExists`](io::ErrorKind::AlreadyExists)
    /// with `create_new`, [`ErrorKind::PermissionDenied`](io::ErrorKind::PermissionDenied),
    /// [`ErrorKind::InvalidInput`](io::ErrorKind::InvalidInput) for contradictory options.
    pub async fn open(&self, path: impl AsRef<Path>) -> io::Result<File> {
        let options = self.0.clone();
        let path = path.as_ref().to_owned();
        let std = asyncify(move || options.open(path)).await?;
        Ok(File::from_std(std))
    }
}

/// Unix-only options.
#[cfg(unix)]
impl OpenOptions {
    /// Sets the permission bits a newly created file gets (before the process's umask is
    /// applied); `0o666` by default.
    ///
    /// # Examples
    ///
    /// ```
    /// use evloop::fs::OpenOptions;
    /// use std::os::unix::fs::PermissionsExt;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let path = std::env::temp_dir().join(format!("evloop-doc-mode-{}", std::process::id()));
    /// evloop::block_on(async {
    ///     let file = OpenOptions::new().write(true).create(true).mode(0o600).open(&path).await?;
    ///     let mode = file.metadata().await?.permissions().mode();
    ///     assert_eq!(mode & 0o777, 0o600);
    ///     Ok::<_, std::io::Error>(())
    /// })?;
    /// std::fs::remove_file(&path)
    /// # }
    /// ```
    pub fn mode(&mut self, mode: u32) -> &mut OpenOptions {
        std::os::unix::fs::OpenOptionsExt::mode(&mut self.0, mode);
        self
    }

    /// Adds flags to those `open(2)` gets (for example `O_NOFOLLOW`); the access mode bits are
    /// ignored.
    pub fn custom_flags(&mut self, flags: i32) -> &mut OpenOptions {
        std::os::unix::fs::OpenOptionsExt::custom_flags(&mut self.0, flags);
        self
    }
}

impl Default for OpenOptions {
    fn default() -> OpenOptions {
        OpenOptions::new()
    }
}

impl From<std::fs::OpenOptions> for OpenOptions {
    fn from(options: std::fs::OpenOptions) -> OpenOptions {
        OpenOptions(options)
    }
}

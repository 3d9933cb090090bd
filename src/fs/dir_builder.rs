//! [`DirBuilder`]: creating directories with options.

use std::io;
use std::path::Path;

use super::offload::asyncify;

/// Creates directories with options: recursively, and on Unix with given permission bits.
///
/// The same builder as [`std::fs::DirBuilder`], with an asynchronous
/// [`create`](DirBuilder::create). [`create_dir`](super::create_dir) and
/// [`create_dir_all`](super::create_dir_all) cover the common cases.
///
/// # Examples
///
/// ```
/// use evloop::fs::DirBuilder;
///
/// # fn main() -> std::io::Result<()> {
/// let root = std::env::temp_dir().join(format!("evloop-doc-dir-builder-{}", std::process::id()));
/// evloop::block_on(DirBuilder::new().recursive(true).create(root.join("a/b/c")))?;
/// assert!(root.join("a/b/c").is_dir());
/// std::fs::remove_dir_all(&root)
/// # }
/// ```
#[derive(Clone, Debug, Default)]
pub struct DirBuilder {
    recursive: bool,
    #[cfg(unix)]
    mode: Option<u32>,
}

impl DirBuilder {
    /// A builder that creates one directory (its parent must exist), with the platform's
    /// default permissions.
    pub fn new() -> DirBuilder {
        DirBuilder::default()
    }

    /// With `true`, missing parent directories are created too, and a directory that already
    /// exists is not an error.
    pub fn recursive(&mut self, recursive: bool) -> &mut DirBuilder {
        self.recursive = recursive;
        self
    }

    /// Creates the directory at `path` (and, if recursive, its missing parents) on the
    /// blocking pool.
    ///
    /// # Errors
    ///
    /// Fails as [`std::fs::DirBuilder::create`] does; without `recursive`, an existing path
    /// gives [`ErrorKind::AlreadyExists`](io::ErrorKind::AlreadyExists) and a missing parent
    /// [`ErrorKind::NotFound`](io::ErrorKind::NotFound).
    pub async fn create(&self, path: impl AsRef<Path>) -> io::Result<()> {
        let path = path.as_ref().to_owned();
        let options = self.clone();
        asyncify(move || options.to_std().create(path)).await
    }

    fn to_std(&self) -> std::fs::DirBuilder {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(self.recursive);
        #[cfg(unix)]
        if let Some(mode) = self.mode {
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, mode);
        }
        builder
    }
}

/// Unix-only options.
#[cfg(unix)]
impl DirBuilder {
    /// Sets the permission bits of the directories created (before the process's umask is
    /// applied); `0o777` by default.
    pub fn mode(&mut self, mode: u32) -> &mut DirBuilder {
        self.mode = Some(mode);
        self
    }
}

//! The free functions: one std file system call each, on the blocking pool.
//!
//! Each takes its paths as `impl AsRef<Path>`, copies them into the job, and fails exactly as
//! the std function of the same name does (a missing path gives `ErrorKind::NotFound`).

use std::fs::{Metadata, Permissions};
use std::io;
use std::path::{Path, PathBuf};

use super::offload::asyncify;

/// Reads the whole file at `path` into a byte vector.
///
/// On Linux, a file of 32 MiB or more is read in 8 MiB pieces by up to eight threads of the
/// blocking pool at once (as many as the machine has cores), each piece with `pread` into its
/// place in the vector. A file found shorter than its size said is read again from its start,
/// one that has grown is read on to its new end.
///
/// # Examples
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// let path = std::env::temp_dir().join(format!("evloop-doc-read-{}", std::process::id()));
/// evloop::block_on(async {
///     evloop::fs::write(&path, [1, 2, 3]).await?;
///     assert_eq!(evloop::fs::read(&path).await?, [1, 2, 3]);
///     evloop::fs::remove_file(&path).await?;
///
///     let missing = evloop::fs::read(&path).await.unwrap_err();
///     assert_eq!(missing.kind(), std::io::ErrorKind::NotFound);
///     Ok(())
/// })
/// # }
/// ```
pub async fn read(path: impl AsRef<Path>) -> io::Result<Vec<u8>> {
    let path = path.as_ref().to_owned();
    asyncify(move || {
        // A large file is read by more than one thread of the blocking pool; its threads run
        // in their runtime's context.
        crate::reactor::read_whole(&path, &|job| {
            if let Ok(handle) = crate::runtime::Handle::try_current() {
                drop(handle.spawn_blocking(job));
            }
        })
    })
    .await
}

/// Reads the whole file at `path` into a string.
///
/// # Errors
///
/// As [`std::fs::read_to_string`]: also [`ErrorKind::InvalidData`](io::ErrorKind::InvalidData)
/// if the contents are not UTF-8.
pub async fn read_to_string(path: impl AsRef<Path>) -> io::Result<String> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::read_to_string(path)).await
}

/// Writes `contents` as the whole contents of the file at `path`, creating the file if it does
/// not exist and truncating it if it does.
///
/// # Examples
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// let path = std::env::temp_dir().join(format!("evloop-doc-write-{}", std::process::id()));
/// evloop::block_on(async {
///     evloop::fs::write(&path, "first").await?;
///     evloop::fs::write(&path, "second").await?;
///     assert_eq!(evloop::fs::read_to_string(&path).await?, "second");
///     evloop::fs::remove_file(&path).await
/// })
/// # }
/// ```
pub async fn write(path: impl AsRef<Path>, contents: impl AsRef<[u8]>) -> io::Result<()> {
    let path = path.as_ref().to_owned();
    let contents = contents.as_ref().to_owned();
    asyncify(move || std::fs::write(path, contents)).await
}

/// Copies the contents (and permission bits) of the file `from` to the file `to`, replacing
/// `to`'s contents if it exists; returns the number of bytes copied.
///
/// The copy happens in the operating system where it can (`copy_file_range`, `clonefile`,
/// `CopyFileEx`), as [`std::fs::copy`] does.
pub async fn copy(from: impl AsRef<Path>, to: impl AsRef<Path>) -> io::Result<u64> {
    let from = from.as_ref().to_owned();
    let to = to.as_ref().to_owned();
    asyncify(move || std::fs::copy(from, to)).await
}

/// Renames `from` to `to`, replacing `to` if it is a file (and, on Unix, an empty directory
/// when `from` is a directory). Both must be on the same file system.
pub async fn rename(from: impl AsRef<Path>, to: impl AsRef<Path>) -> io::Result<()> {
    let from = from.as_ref().to_owned();
    let to = to.as_ref().to_owned();
    asyncify(move || std::fs::rename(from, to)).await
}

/// Removes the file (or symbolic link) at `path`.
///
/// Open handles to the file stay usable on Unix; the data goes once the last one closes.
pub async fn remove_file(path: impl AsRef<Path>) -> io::Result<()> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::remove_file(path)).await
}

/// Creates a directory at `path`. The parent must exist, and `path` must not.
///
/// Use [`create_dir_all`] to create missing parents as well.
pub async fn create_dir(path: impl AsRef<Path>) -> io::Result<()> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::create_dir(path)).await
}

/// Creates a directory at `path` and every missing parent; succeeds if it already exists.
///
/// # Examples
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// let root = std::env::temp_dir().join(format!("evloop-doc-create-dir-all-{}", std::process::id()));
/// evloop::block_on(async {
///     evloop::fs::create_dir_all(root.join("x/y")).await?;
///     assert!(evloop::fs::metadata(root.join("x/y")).await?.is_dir());
///     evloop::fs::remove_dir_all(&root).await?;
///     assert!(!evloop::fs::try_exists(&root).await?);
///     Ok(())
/// })
/// # }
/// ```
pub async fn create_dir_all(path: impl AsRef<Path>) -> io::Result<()> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::create_dir_all(path)).await
}

/// Removes the empty directory at `path`.
pub async fn remove_dir(path: impl AsRef<Path>) -> io::Result<()> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::remove_dir(path)).await
}

/// Removes the directory at `path` with everything in it. Symbolic links inside are removed,
/// not followed.
///
/// The whole removal is one job on the pool, however large the tree.
pub async fn remove_dir_all(path: impl AsRef<Path>) -> io::Result<()> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::remove_dir_all(path)).await
}

/// Queries the metadata of the file or directory at `path`, following symbolic links.
pub async fn metadata(path: impl AsRef<Path>) -> io::Result<Metadata> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::metadata(path)).await
}

/// Queries the metadata of `path` itself: for a symbolic link, of the link, not its target.
pub async fn symlink_metadata(path: impl AsRef<Path>) -> io::Result<Metadata> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::symlink_metadata(path)).await
}

/// Returns the absolute form of `path`, with every symbolic link and `.`/`..` component
/// resolved. The path must exist.
pub async fn canonicalize(path: impl AsRef<Path>) -> io::Result<PathBuf> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::canonicalize(path)).await
}

/// Creates `link` as a new name (a hard link) for the existing file `original`.
pub async fn hard_link(original: impl AsRef<Path>, link: impl AsRef<Path>) -> io::Result<()> {
    let original = original.as_ref().to_owned();
    let link = link.as_ref().to_owned();
    asyncify(move || std::fs::hard_link(original, link)).await
}

/// Returns the target a symbolic link points to (as stored in the link, not resolved).
pub async fn read_link(path: impl AsRef<Path>) -> io::Result<PathBuf> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::read_link(path)).await
}

/// Returns whether `path` exists, following symbolic links (a broken link gives `false`).
///
/// Unlike [`Path::exists`], errors other than "not found" (such as a permission error on a
/// parent directory) are returned instead of read as `false`.
pub async fn try_exists(path: impl AsRef<Path>) -> io::Result<bool> {
    let path = path.as_ref().to_owned();
    asyncify(move || path.try_exists()).await
}

/// Changes the permissions of the file or directory at `path`.
pub async fn set_permissions(path: impl AsRef<Path>, perm: Permissions) -> io::Result<()> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::set_permissions(path, perm)).await
}

/// Creates a symbolic link at `link` pointing to `original` (Unix).
///
/// `original` is stored as given; a relative target is resolved relative to the link's
/// directory when the link is followed.
#[cfg(unix)]
pub async fn symlink(original: impl AsRef<Path>, link: impl AsRef<Path>) -> io::Result<()> {
    let original = original.as_ref().to_owned();
    let link = link.as_ref().to_owned();
    asyncify(move || std::os::unix::fs::symlink(original, link)).await
}

/// Creates a symbolic link to a file at `link` pointing to `original` (Windows).
#[cfg(windows)]
pub async fn symlink_file(original: impl AsRef<Path>, link: impl AsRef<Path>) -> io::Result<()> {
    let original = original.as_ref().to_owned();
    let link = link.as_ref().to_owned();
    asyncify(move || std::os::windows::fs::symlink_file(original, link)).await
}

/// Creates a symbolic link to a directory at `link` pointing to `original` (Windows).
#[cfg(windows)]
pub async fn symlink_dir(original: impl AsRef<Path>, link: impl AsRef<Path>) -> io::Result<()> {
    let original = original.as_ref().to_owned();
    let link = link.as_ref().to_owned();
    asyncify(move || std::os::windows::fs::symlink_dir(original, link)).await
}

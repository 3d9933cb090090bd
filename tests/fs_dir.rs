//! `evloop::fs` directories: `read_dir`, `DirEntry`, `DirBuilder`, creating and removing.

use std::collections::BTreeSet;
use std::io::ErrorKind;

use evloop::fs::{self, DirBuilder};
use futures_lite::StreamExt;

/// Creates `files` files and `dirs` directories in `root`; returns their names.
fn populate(root: &std::path::Path, files: usize, dirs: usize) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for i in 0..files {
        let name = format!("file-{i:03}");
        std::fs::write(root.join(&name), i.to_string()).unwrap();
        names.insert(name);
    }
    for i in 0..dirs {
        let name = format!("dir-{i:03}");
        std::fs::create_dir(root.join(&name)).unwrap();
        names.insert(name);
    }
    names
}

#[evloop::test]
async fn next_entry_lists_exactly_the_created_entries() {
    let dir = tempfile::tempdir().unwrap();
    // More than one batch of 32.
    let expected = populate(dir.path(), 70, 30);

    let mut entries = fs::read_dir(dir.path()).await.unwrap();
    let mut seen = BTreeSet::new();
    while let Some(entry) = entries.next_entry().await.unwrap() {
        let name = entry.file_name().into_string().unwrap();
        assert_eq!(entry.path(), dir.path().join(&name));
        let file_type = entry.file_type().await.unwrap();
        assert_eq!(file_type.is_dir(), name.starts_with("dir-"));
        assert_eq!(file_type.is_file(), name.starts_with("file-"));
        let meta = entry.metadata().await.unwrap();
        assert_eq!(meta.is_dir(), name.starts_with("dir-"));
        assert!(seen.insert(name), "an entry was listed twice");
    }
    assert_eq!(seen, expected);
    // Exhausted stays exhausted.
    assert!(entries.next_entry().await.unwrap().is_none());
}

#[evloop::test(flavor = "multi_thread", worker_threads = 2)]
async fn stream_lists_exactly_the_created_entries() {
    let dir = tempfile::tempdir().unwrap();
    let expected = populate(dir.path(), 40, 5);

    let entries: Vec<fs::DirEntry> = fs::read_dir(dir.path())
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    let seen: BTreeSet<String> = entries
        .iter()
        .map(|entry| entry.file_name().into_string().unwrap())
        .collect();
    assert_eq!(entries.len(), expected.len());
    assert_eq!(seen, expected);
}

#[evloop::test]
async fn empty_and_missing_directories() {
    let dir = tempfile::tempdir().unwrap();
    let mut entries = fs::read_dir(dir.path()).await.unwrap();
    assert!(entries.next_entry().await.unwrap().is_none());
    assert_eq!(fs::read_dir(dir.path()).await.unwrap().count().await, 0);

    let err = fs::read_dir(dir.path().join("missing")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);

    std::fs::write(dir.path().join("plain"), "").unwrap();
    assert!(fs::read_dir(dir.path().join("plain")).await.is_err());
}

#[evloop::test]
async fn create_dir_all_and_remove_dir_all() {
    let dir = tempfile::tempdir().unwrap();
    let deep = dir.path().join("a").join("b").join("c");

    fs::create_dir_all(&deep).await.unwrap();
    assert!(fs::metadata(&deep).await.unwrap().is_dir());
    // Already there: still fine.
    fs::create_dir_all(&deep).await.unwrap();
    fs::write(deep.join("leaf.txt"), "leaf").await.unwrap();

    let top = dir.path().join("a");
    fs::remove_dir_all(&top).await.unwrap();
    assert!(!fs::try_exists(&top).await.unwrap());
    assert_eq!(
        fs::remove_dir_all(&top).await.unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

#[evloop::test]
async fn create_dir_and_remove_dir() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("sub");

    fs::create_dir(&sub).await.unwrap();
    assert_eq!(
        fs::create_dir(&sub).await.unwrap_err().kind(),
        ErrorKind::AlreadyExists
    );
    assert_eq!(
        fs::create_dir(dir.path().join("x").join("y"))
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::NotFound
    );

    fs::write(sub.join("f"), "").await.unwrap();
    // Not empty.
    assert!(fs::remove_dir(&sub).await.is_err());
    fs::remove_file(sub.join("f")).await.unwrap();
    fs::remove_dir(&sub).await.unwrap();
    assert!(!fs::try_exists(&sub).await.unwrap());
}

#[evloop::test]
async fn dir_builder_creates_with_options() {
    let dir = tempfile::tempdir().unwrap();
    let nested = dir.path().join("x").join("y");

    let err = DirBuilder::new().create(&nested).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    DirBuilder::new()
        .recursive(true)
        .create(&nested)
        .await
        .unwrap();
    assert!(nested.is_dir());
    DirBuilder::new()
        .recursive(true)
        .create(&nested)
        .await
        .unwrap();
    let err = DirBuilder::new().create(&nested).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AlreadyExists);

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let private = dir.path().join("private");
        DirBuilder::new()
            .mode(0o700)
            .create(&private)
            .await
            .unwrap();
        let mode = fs::metadata(&private).await.unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
    }
}

#[cfg(unix)]
#[evloop::test]
async fn entries_report_symlinks_without_following_them() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("target"), "t").unwrap();
    fs::symlink("target", dir.path().join("link"))
        .await
        .unwrap();

    let mut entries = fs::read_dir(dir.path()).await.unwrap();
    let mut saw_link = false;
    while let Some(entry) = entries.next_entry().await.unwrap() {
        if entry.file_name() == "link" {
            saw_link = true;
            assert!(entry.file_type().await.unwrap().is_symlink());
            assert!(entry.metadata().await.unwrap().file_type().is_symlink());
            assert_ne!(entry.ino(), 0);
        }
    }
    assert!(saw_link);
}

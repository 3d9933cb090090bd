//! The free functions of `evloop::fs`, on real files in temporary directories.

use std::io::ErrorKind;

use evloop::fs;

#[evloop::test]
async fn write_read_and_read_to_string() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("text");

    fs::write(&path, "first").await.unwrap();
    fs::write(&path, b"second".to_vec()).await.unwrap();
    assert_eq!(fs::read(&path).await.unwrap(), b"second");
    assert_eq!(fs::read_to_string(&path).await.unwrap(), "second");

    fs::write(&path, [0xff, 0xfe]).await.unwrap();
    assert_eq!(
        fs::read_to_string(&path).await.unwrap_err().kind(),
        ErrorKind::InvalidData
    );
}

#[evloop::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_write_and_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("large");
    let data: Vec<u8> = (0..8 * 1024 * 1024).map(|i| (i % 253) as u8).collect();

    fs::write(&path, &data).await.unwrap();
    assert!(fs::read(&path).await.unwrap() == data);
}

/// 40 MiB: large enough that the read is split between threads of the blocking pool, on
/// every flavour (a current_thread runtime has a blocking pool too).
async fn read_of_a_file_read_in_pieces() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pieces");
    let data: Vec<u8> = (0..40 * 1024 * 1024 + 77)
        .map(|i| (i % 251) as u8)
        .collect();
    std::fs::write(&path, &data).unwrap();
    let read = fs::read(&path).await.unwrap();
    assert_eq!(read.len(), data.len());
    assert!(read == data, "the contents differ");
}

#[evloop::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_of_a_file_read_in_pieces_on_two_workers() {
    read_of_a_file_read_in_pieces().await;
}

#[evloop::test]
async fn read_of_a_file_read_in_pieces_on_one_thread() {
    read_of_a_file_read_in_pieces().await;
}

#[evloop::test]
async fn copy_rename_and_remove_file() {
    let dir = tempfile::tempdir().unwrap();
    let original = dir.path().join("original");
    let copied = dir.path().join("copied");
    let renamed = dir.path().join("renamed");
    fs::write(&original, "payload").await.unwrap();

    assert_eq!(fs::copy(&original, &copied).await.unwrap(), 7);
    assert_eq!(fs::read_to_string(&copied).await.unwrap(), "payload");
    assert_eq!(fs::read_to_string(&original).await.unwrap(), "payload");

    fs::rename(&copied, &renamed).await.unwrap();
    assert!(!fs::try_exists(&copied).await.unwrap());
    assert_eq!(fs::read_to_string(&renamed).await.unwrap(), "payload");

    fs::remove_file(&renamed).await.unwrap();
    assert!(!fs::try_exists(&renamed).await.unwrap());

    let missing = dir.path().join("missing");
    assert_eq!(
        fs::copy(&missing, &copied).await.unwrap_err().kind(),
        ErrorKind::NotFound
    );
    assert_eq!(
        fs::rename(&missing, &renamed).await.unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

#[evloop::test]
async fn hard_link_shares_the_contents() {
    let dir = tempfile::tempdir().unwrap();
    let original = dir.path().join("original");
    let link = dir.path().join("link");
    fs::write(&original, "shared").await.unwrap();

    fs::hard_link(&original, &link).await.unwrap();
    fs::write(&original, "changed").await.unwrap();
    assert_eq!(fs::read_to_string(&link).await.unwrap(), "changed");
    assert_eq!(
        fs::hard_link(&original, &link).await.unwrap_err().kind(),
        ErrorKind::AlreadyExists
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        assert_eq!(fs::metadata(&link).await.unwrap().nlink(), 2);
    }
}

#[evloop::test]
async fn canonicalize_and_try_exists() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("sub");
    fs::create_dir(&sub).await.unwrap();
    fs::write(sub.join("f"), "").await.unwrap();

    let roundabout = sub.join("..").join("sub").join(".").join("f");
    let canonical = fs::canonicalize(&roundabout).await.unwrap();
    assert!(canonical.is_absolute());
    assert_eq!(
        canonical,
        std::fs::canonicalize(dir.path())
            .unwrap()
            .join("sub")
            .join("f")
    );
    assert_eq!(
        fs::canonicalize(sub.join("missing"))
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::NotFound
    );

    assert!(fs::try_exists(&roundabout).await.unwrap());
    assert!(fs::try_exists(&sub).await.unwrap());
    assert!(!fs::try_exists(sub.join("missing")).await.unwrap());
}

fn perms_of(path: &std::path::Path) -> std::fs::Permissions {
    std::fs::metadata(path).unwrap().permissions()
}

#[evloop::test]
async fn metadata_and_set_permissions() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("meta");
    fs::write(&path, "12345").await.unwrap();

    let meta = fs::metadata(&path).await.unwrap();
    assert!(meta.is_file());
    assert_eq!(meta.len(), 5);
    assert!(fs::metadata(dir.path()).await.unwrap().is_dir());
    assert!(fs::symlink_metadata(&path).await.unwrap().is_file());

    let mut perms = meta.permissions();
    perms.set_readonly(true);
    fs::set_permissions(&path, perms).await.unwrap();
    let perms = fs::metadata(&path).await.unwrap().permissions();
    assert!(perms.readonly());

    let mut perms = perms;
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    fs::set_permissions(&path, perms).await.unwrap();
    assert!(!fs::metadata(&path).await.unwrap().permissions().readonly());

    assert_eq!(
        fs::set_permissions(dir.path().join("missing"), perms_of(&path))
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::NotFound
    );
}

#[cfg(unix)]
#[evloop::test]
async fn symlinks_read_link_and_symlink_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("target");
    let link = dir.path().join("link");
    let dangling = dir.path().join("dangling");
    fs::write(&target, "t").await.unwrap();

    fs::symlink("target", &link).await.unwrap();
    fs::symlink("nowhere", &dangling).await.unwrap();

    assert_eq!(
        fs::read_link(&link).await.unwrap(),
        std::path::Path::new("target")
    );
    assert!(fs::symlink_metadata(&link).await.unwrap().is_symlink());
    assert!(fs::metadata(&link).await.unwrap().is_file());
    assert_eq!(fs::read_to_string(&link).await.unwrap(), "t");
    assert_eq!(
        fs::canonicalize(&link).await.unwrap(),
        fs::canonicalize(&target).await.unwrap()
    );

    // A dangling link exists as a link, not as a file.
    assert!(!fs::try_exists(&dangling).await.unwrap());
    assert!(fs::symlink_metadata(&dangling).await.is_ok());
    assert_eq!(
        fs::read_link(&target).await.unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
}

#[evloop::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_free_function_calls_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_owned();
    let mut tasks = Vec::new();
    for i in 0..200 {
        let root = root.clone();
        tasks.push(evloop::spawn(async move {
            let path = root.join(format!("f{i}"));
            fs::write(&path, i.to_string()).await?;
            let back = fs::read_to_string(&path).await?;
            assert_eq!(back, i.to_string());
            fs::remove_file(&path).await
        }));
    }
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    assert_eq!(std::fs::read_dir(&root).unwrap().count(), 0);
}

//! The start-up sweep of blobs no file uses, over a real daemon restart on
//! both storage backends: an orphan planted while the daemon is stopped (as
//! a crash between storing a blob and recording its file would leave it) is
//! gone after the next start, and every file keeps its bytes.

mod common;
#[macro_use]
mod files_support;

use bytes::Bytes;
use commcenter_files::storage::BlobStore;
use common::{get, TestDaemon};
use files_support::*;

on_both_backends!(
    a_blob_no_file_uses_is_deleted_at_start,
    files_and_thumbnails_keep_their_blobs_across_the_sweep,
);

/// Stops the daemon, runs `while_stopped` on its blob store, and starts it
/// again on the same data dir and storage.
async fn restart_with(
    setup: Setup,
    while_stopped: impl AsyncFnOnce(&BlobStore),
) -> (Setup, BlobStore) {
    let Setup {
        daemon,
        storage,
        tmp_dir,
    } = setup;
    let dir = daemon.stop().await;
    let blobs = BlobStore::open(&storage).await.expect("blob store");
    while_stopped(&blobs).await;
    let daemon = TestDaemon::start_with(dir, |settings| {
        settings.files.storage = storage.clone();
        settings.files.upload_tmp_dir = tmp_dir.clone();
    })
    .await;
    let setup = Setup {
        daemon,
        storage,
        tmp_dir,
    };
    (setup, blobs)
}

async fn a_blob_no_file_uses_is_deleted_at_start(backend: Backend) {
    let setup = start(backend).await;
    let quote = fixture("quote.pdf");
    let meta = upload(&setup.daemon.admin, "quote.pdf", "application/pdf", &quote).await;
    let orphan = Bytes::from_static(b"stored, then the daemon crashed");
    let (setup, blobs) = restart_with(setup, async |blobs| {
        blobs.put_bytes(orphan.clone()).await.expect("plant");
    })
    .await;
    let orphan_key = commcenter_files::BlobKey::of_bytes(&orphan);
    assert!(!blobs.exists(&orphan_key).await.unwrap(), "orphan swept");
    assert_eq!(setup.stored_blobs(), vec![meta.sha256.clone()]);
    let download = download(&setup.daemon.admin, meta.id).await;
    assert_eq!(download.status, 200);
    assert!(download.body == quote, "the file's bytes are intact");
}

async fn files_and_thumbnails_keep_their_blobs_across_the_sweep(backend: Backend) {
    let setup = start(backend).await;
    let photo = fixture("photo.jpg");
    let meta = upload(&setup.daemon.admin, "photo.jpg", "image/jpeg", &photo).await;
    assert!(meta.thumbnail, "a photo gets a thumbnail");
    let before = setup.stored_blobs();
    let (setup, _) = restart_with(setup, async |_| {}).await;
    assert_eq!(setup.stored_blobs(), before);
    let admin = &setup.daemon.admin;
    assert!(download(admin, meta.id).await.body == photo);
    let thumbnail = get(admin, &format!("/api/v1/files/{}/thumbnail", meta.id)).await;
    assert_eq!(thumbnail.status, 200);
}

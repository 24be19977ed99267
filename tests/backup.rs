//! `POST /api/v1/admin/backup` and the restore of what it writes: a backup
//! taken under write load holds every message acknowledged before it
//! began, restores into a data dir a daemon serves with a new epoch (a
//! WebSocket resuming with the old one is told to resync), carries the
//! local file blobs, and a damaged backup is refused.

mod common;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use commcenter::client::Client;
use commcenter::wire::{Backup, ErrorCode};
use commcenter::Id;
use commcenterd::backup::restore::restore;
use common::ws::WsClient;
use common::{error_of, post, request, send_text, text, Chat, TestDaemon};
use http::Method;
use serde_json::json;

/// Sends messages until `stop`; answers the ids acknowledged, in order.
async fn keep_writing(client: Client, conversation: Id, stop: Arc<AtomicBool>) -> Vec<Id> {
    let mut acknowledged = Vec::new();
    for n in 0.. {
        if stop.load(Ordering::Acquire) {
            break;
        }
        let message = client
            .send_message(conversation, &text(&format!("load {n}")))
            .await
            .expect("writes go on during a backup");
        acknowledged.push(message.id);
    }
    acknowledged
}

/// The ids of every message of a conversation, page by page.
async fn every_message(client: &Client, conversation: Id) -> Vec<Id> {
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = client
            .list_messages(conversation, Some(500), cursor.as_deref())
            .await
            .unwrap();
        ids.extend(page.items.iter().map(|m| m.id));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return ids,
        }
    }
}

fn backup_of(answer: &commcenter::client::RawResponse) -> Backup {
    assert_eq!(
        answer.status,
        201,
        "{}",
        String::from_utf8_lossy(&answer.body)
    );
    answer.json().expect("a Backup")
}

/// Restores `backup` into a fresh temp dir and starts a daemon on it.
async fn restored(backup: &Backup) -> TestDaemon {
    let dir = tempfile::tempdir().unwrap();
    restore(Path::new(&backup.path), dir.path()).expect("the backup restores");
    TestDaemon::start_in(dir).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_under_write_load_restores_every_message_acknowledged_before_it() {
    let chat = Chat::start().await;
    let old = WsClient::open(&chat.agent.client).await;
    let old_epoch = old.hello["epoch"].as_str().unwrap().to_owned();
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..3)
        .map(|_| {
            let client = chat.agent.client.clone();
            tokio::spawn(keep_writing(client, chat.conversation, stop.clone()))
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Every message acknowledged by now was acknowledged before the backup began.
    let before = every_message(&chat.daemon.admin, chat.conversation).await;
    let backup = backup_of(&post(&chat.daemon.admin, "/api/v1/admin/backup", json!({})).await);
    tokio::time::sleep(Duration::from_millis(200)).await;
    stop.store(true, Ordering::Release);
    let mut written = 0;
    for writer in writers {
        written += writer.await.unwrap().len();
    }
    assert!(
        before.len() > 5 && written > before.len(),
        "the load ran: {written}"
    );
    assert_eq!(backup.epoch, old_epoch);
    assert!(backup.size > 0);
    assert!(backup.path.contains("/backups/"), "{}", backup.path);

    let second = restored(&backup).await;
    for id in &before {
        second
            .admin
            .get_message(*id)
            .await
            .expect("acknowledged before the backup");
    }
    let fresh = WsClient::open(&second.admin).await;
    let new_epoch = fresh.hello["epoch"].as_str().unwrap().to_owned();
    assert_ne!(new_epoch, old_epoch, "a restored store has a new epoch");
    assert_eq!(
        fresh.hello_seq(),
        backup.seq,
        "the restored log ends where the backup did"
    );
    let query = format!("?since={}&epoch={old_epoch}", old.hello_seq());
    let mut resumed = WsClient::open_with(&second.admin, &query).await;
    assert_eq!(
        resumed.next_of("resync_required").await["type"],
        "resync_required"
    );
}

#[tokio::test]
async fn a_backup_carries_the_local_file_blobs_and_their_checksums() {
    let chat = Chat::start().await;
    let file = chat
        .ann
        .client
        .upload_file(
            "note.txt",
            "text/plain",
            b"the boiler is in the loft".to_vec(),
        )
        .await
        .unwrap();
    let backup = backup_of(&post(&chat.daemon.admin, "/api/v1/admin/backup", json!({})).await);
    let manifest: serde_json::Value = serde_json::from_slice(
        &std::fs::read(Path::new(&backup.path).join("manifest.json")).unwrap(),
    )
    .unwrap();
    let blob = manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["sha256"] == file.sha256.as_str())
        .expect("the blob is in the manifest");
    assert!(
        blob["path"].as_str().unwrap().starts_with("files/"),
        "{blob}"
    );
    assert_eq!(manifest["seq"], backup.seq);
    let second = restored(&backup).await;
    let bytes = second
        .client(common::ADMIN_TOKEN)
        .send_raw(
            Method::GET,
            &format!("/api/v1/files/{}", file.id),
            None,
            &[],
        )
        .await
        .unwrap();
    assert_eq!(&bytes.body[..], b"the boiler is in the loft");
}

/// A backup of a chat with one uploaded file, and the blob's path in it.
async fn backup_with_a_file() -> (Chat, Backup, PathBuf) {
    let chat = Chat::start().await;
    let file = chat
        .ann
        .client
        .upload_file("note.txt", "text/plain", b"gas meter reading 0421".to_vec())
        .await
        .unwrap();
    let backup = backup_of(&post(&chat.daemon.admin, "/api/v1/admin/backup", json!({})).await);
    let sha = file.sha256;
    let blob = Path::new(&backup.path)
        .join("files")
        .join(&sha[0..2])
        .join(&sha[2..4])
        .join(&sha);
    assert!(blob.is_file(), "{}", blob.display());
    (chat, backup, blob)
}

#[tokio::test]
async fn a_truncated_backup_is_refused_naming_the_file_and_nothing_is_written() {
    let (_chat, backup, blob) = backup_with_a_file().await;
    // The blob is a hard link to the live one: replace it, never write through it.
    let bytes = std::fs::read(&blob).unwrap();
    std::fs::remove_file(&blob).unwrap();
    std::fs::write(&blob, &bytes[..bytes.len() / 2]).unwrap();
    let target = tempfile::tempdir().unwrap().path().join("restored");
    let refused = restore(Path::new(&backup.path), &target)
        .unwrap_err()
        .to_string();
    let name = blob.file_name().unwrap().to_str().unwrap();
    assert!(
        refused.contains(name) && refused.contains("truncated"),
        "{refused}"
    );
    assert!(!target.exists(), "nothing was written");
}

#[tokio::test]
async fn a_corrupt_store_in_a_backup_is_refused() {
    let (_chat, backup, _) = backup_with_a_file().await;
    let store = Path::new(&backup.path).join("commcenter.redb");
    let mut bytes = std::fs::read(&store).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01;
    std::fs::write(&store, bytes).unwrap();
    let target = tempfile::tempdir().unwrap();
    let refused = restore(Path::new(&backup.path), target.path())
        .unwrap_err()
        .to_string();
    assert!(
        refused.contains("commcenter.redb") && refused.contains("SHA-256"),
        "{refused}"
    );
    assert_eq!(
        std::fs::read_dir(target.path()).unwrap().count(),
        0,
        "nothing was written"
    );
}

#[tokio::test]
async fn a_restore_into_a_directory_that_is_not_empty_is_refused() {
    let (_chat, backup, _) = backup_with_a_file().await;
    let target = tempfile::tempdir().unwrap();
    std::fs::write(target.path().join("keep.txt"), "mine").unwrap();
    let refused = restore(Path::new(&backup.path), target.path())
        .unwrap_err()
        .to_string();
    assert!(refused.contains("not empty"), "{refused}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_backup_while_one_runs_is_refused_with_409() {
    let chat = Chat::start().await;
    for n in 0..200 {
        send_text(
            &chat.agent.client,
            chat.conversation,
            &format!("history {n}"),
        )
        .await;
    }
    // Concurrent pairs until one overlaps (the first does, on any machine
    // where a backup takes longer than sending a request).
    for _ in 0..10 {
        let (a, b) = tokio::join!(
            post(&chat.daemon.admin, "/api/v1/admin/backup", json!({})),
            post(&chat.daemon.admin, "/api/v1/admin/backup", json!({})),
        );
        let mut statuses = [a.status, b.status];
        statuses.sort();
        if statuses == [201, 409] {
            let refused = if a.status == 409 { &a } else { &b };
            assert_eq!(error_of(refused).code, ErrorCode::Conflict);
            return;
        }
        assert!(
            statuses.iter().all(|s| *s == 201 || *s == 409),
            "{statuses:?}"
        );
    }
    panic!("no two backups overlapped in ten tries");
}

#[tokio::test]
async fn the_destination_must_be_absolute_and_empty() {
    let daemon = TestDaemon::start().await;
    let relative = post(
        &daemon.admin,
        "/api/v1/admin/backup",
        json!({"to": "backups/x"}),
    )
    .await;
    assert_eq!(relative.status, 422);
    assert_eq!(error_of(&relative).field.as_deref(), Some("to"));
    let occupied = tempfile::tempdir().unwrap();
    std::fs::write(occupied.path().join("x"), "x").unwrap();
    let to = occupied.path().to_str().unwrap();
    let refused = post(&daemon.admin, "/api/v1/admin/backup", json!({ "to": to })).await;
    assert_eq!(refused.status, 409);
    assert_eq!(error_of(&refused).field.as_deref(), Some("to"));
    let empty = tempfile::tempdir().unwrap();
    let to = empty.path().to_str().unwrap();
    let made = backup_of(&post(&daemon.admin, "/api/v1/admin/backup", json!({ "to": to })).await);
    assert_eq!(made.path, to);
    assert!(empty.path().join("manifest.json").is_file());
}

#[tokio::test]
async fn a_repeated_idempotency_key_answers_the_first_backup_and_makes_no_other() {
    let daemon = TestDaemon::start().await;
    let headers = [("idempotency-key", "nightly-2026-12-03")];
    let body = json!({});
    let first = request(
        &daemon.admin,
        Method::POST,
        "/api/v1/admin/backup",
        Some(&body),
        &headers,
    )
    .await;
    let again = request(
        &daemon.admin,
        Method::POST,
        "/api/v1/admin/backup",
        Some(&body),
        &headers,
    )
    .await;
    assert_eq!(backup_of(&first), backup_of(&again));
    let dir = daemon.dir.as_ref().unwrap().path().join("backups");
    assert_eq!(std::fs::read_dir(dir).unwrap().count(), 1);
}

#[tokio::test]
async fn an_empty_body_makes_a_default_backup() {
    let daemon = TestDaemon::start().await;
    let answer = daemon
        .admin
        .send_raw(Method::POST, "/api/v1/admin/backup", None, &[])
        .await
        .unwrap();
    let backup = backup_of(&answer);
    let expected = daemon.dir.as_ref().unwrap().path().join("backups");
    assert!(
        Path::new(&backup.path).starts_with(&expected),
        "{}",
        backup.path
    );
}

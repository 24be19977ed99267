//! A full disk: the data dir on a small tmpfs, filled up while the daemon
//! runs. Writes must be answered at once with 503 `unavailable`, reads must
//! go on, `/readyz` must say why, the daemon must recover by itself when
//! space returns and stop when asked, and no acknowledged write is lost.
//!
//! Mounting a tmpfs needs root (CI runs as root); elsewhere these tests say
//! so and pass without checking anything.

mod common;

use std::io::Write;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use commcenter::client::{Client, RawResponse};
use commcenter::wire::ErrorCode;
use commcenter::Id;
use common::{error_of, get, post, TestDaemon};
use serde_json::json;

/// Every answer during the fault must come at least this fast.
const PROMPT: Duration = Duration::from_secs(2);

/// A tmpfs mounted on a temp dir, unmounted on drop.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(megabytes: u32) -> Option<SmallDisk> {
        if !is_root() {
            eprintln!("not root: cannot mount a tmpfs, the disk-full checks are skipped");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={megabytes}m"), "tmpfs"])
            .arg(dir.path())
            .status()
            .expect("run mount");
        assert!(status.success(), "mount a {megabytes} MiB tmpfs");
        Some(SmallDisk { dir })
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn filler(&self) -> PathBuf {
        self.dir.path().join("filler")
    }

    /// Writes a file until the disk is full.
    fn fill(&self) {
        let mut file = std::fs::File::create(self.filler()).unwrap();
        let chunk = vec![7u8; 64 * 1024];
        while file.write_all(&chunk).is_ok() {}
        let _ = file.sync_all();
    }

    fn free(&self) {
        std::fs::remove_file(self.filler()).unwrap();
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

async fn start_on(disk: &SmallDisk) -> TestDaemon {
    std::fs::create_dir_all(disk.data_dir()).unwrap();
    let dir = tempfile::TempDir::new_in(disk.data_dir()).unwrap();
    TestDaemon::start_in(dir).await
}

/// Sends a message; the answer, whatever it is, must come within [`PROMPT`].
async fn post_promptly(client: &Client, conversation: Id, body: &str) -> RawResponse {
    let path = format!("/api/v1/conversations/{conversation}/messages");
    tokio::time::timeout(PROMPT, post(client, &path, json!({ "body": body })))
        .await
        .unwrap_or_else(|_| panic!("a write was not answered within {PROMPT:?}"))
}

/// Sends until a write is refused with 503; every answer must be prompt.
/// Returns the ids acknowledged on the way.
async fn send_until_refused(client: &Client, conversation: Id) -> Vec<String> {
    let body = "x".repeat(30_000);
    let mut acknowledged = Vec::new();
    for _ in 0..2_000 {
        let started = Instant::now();
        let answer = post(
            client,
            &format!("/api/v1/conversations/{conversation}/messages"),
            json!({ "body": body }),
        )
        .await;
        assert!(
            started.elapsed() < PROMPT,
            "a write took {:?}",
            started.elapsed()
        );
        match answer.status {
            201 => acknowledged.push(
                answer.json::<serde_json::Value>().unwrap()["id"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            ),
            503 => {
                let error = error_of(&answer);
                assert_eq!(error.code, ErrorCode::Unavailable);
                assert!(error.message.contains("space"), "{}", error.message);
                return acknowledged;
            }
            other => panic!("unexpected answer {other}: {:?}", answer),
        }
    }
    panic!("the disk never filled up");
}

async fn fill_and_check_refusals(daemon: &TestDaemon, disk: &SmallDisk) -> (Id, Vec<String>) {
    let conversation =
        common::open_conversation(&daemon.admin, daemon.customer("Ada").await.id()).await;
    let mut acknowledged = vec![common::send_text(&daemon.admin, conversation.id, "before")
        .await
        .id
        .to_string()];
    disk.fill();
    acknowledged.extend(send_until_refused(&daemon.admin, conversation.id).await);
    for _ in 0..5 {
        let refused = post_promptly(&daemon.admin, conversation.id, "during the fault").await;
        assert_eq!(refused.status, 503, "writes are refused during the fault");
    }
    (conversation.id, acknowledged)
}

/// The ids of every message of `conversation`, read through the API.
async fn stored_ids(client: &Client, conversation: Id) -> Vec<String> {
    let mut ids = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = get(
            client,
            &format!("/api/v1/conversations/{conversation}/messages?limit=500{cursor}"),
        )
        .await;
        assert_eq!(page.status, 200, "reads work: {:?}", page);
        let page: serde_json::Value = page.json().unwrap();
        ids.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["id"].as_str().unwrap().to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => return ids,
        }
    }
}

/// Starts a daemon on `dir` and checks that every acknowledged message is there.
async fn assert_kept_after_restart(
    dir: tempfile::TempDir,
    conversation: Id,
    acknowledged: &[String],
) {
    let daemon = TestDaemon::start_in(dir).await;
    let stored = stored_ids(&daemon.admin, conversation).await;
    for id in acknowledged {
        assert!(stored.contains(id), "acknowledged message {id} survived");
    }
}

async fn readyz_status(daemon: &TestDaemon) -> u16 {
    get(&daemon.anonymous(), "/readyz").await.status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_refuses_writes_at_once_and_recovers_by_itself() {
    let Some(disk) = SmallDisk::mount(12) else {
        return;
    };
    let daemon = start_on(&disk).await;
    let (conversation, acknowledged) = fill_and_check_refusals(&daemon, &disk).await;

    let stored = stored_ids(&daemon.admin, conversation).await;
    assert!(
        acknowledged.iter().all(|id| stored.contains(id)),
        "reads go on and show every acknowledged write"
    );
    assert_eq!(
        readyz_status(&daemon).await,
        503,
        "not ready while writes fail"
    );
    let upload = daemon
        .admin
        .send_raw(
            http::Method::POST,
            "/api/v1/files?name=notes.txt",
            Some(vec![b'a'; 256 * 1024]),
            &[("content-type", "text/plain")],
        )
        .await
        .unwrap();
    assert_eq!(upload.status, 503, "a file that does not fit: {:?}", upload);

    disk.free();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let answer = post(
            &daemon.admin,
            &format!("/api/v1/conversations/{conversation}/messages"),
            json!({ "body": "after the fault" }),
        )
        .await;
        if answer.status == 201 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "writes did not come back within 10 s"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(readyz_status(&daemon).await, 200, "ready again");

    let dir = daemon.stop().await;
    assert_kept_after_restart(dir, conversation, &acknowledged).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_daemon_with_a_full_disk_stops_when_asked_and_keeps_what_it_acknowledged() {
    let Some(disk) = SmallDisk::mount(12) else {
        return;
    };
    let daemon = start_on(&disk).await;
    let (conversation, acknowledged) = fill_and_check_refusals(&daemon, &disk).await;

    let stopped = tokio::time::timeout(Duration::from_secs(15), daemon.stop()).await;
    let dir = stopped.expect("the daemon stops while the disk is full");
    disk.free();
    assert_kept_after_restart(dir, conversation, &acknowledged).await;
}

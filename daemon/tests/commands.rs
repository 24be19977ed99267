//! The subcommands of the real binary: `backup` asks a running daemon,
//! `restore` turns the backup into a data dir a daemon starts on (and
//! refuses a damaged one, writing nothing), `doctor` says what is wrong,
//! and the flag-only invocation still serves.

mod process;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

use commcenter::wire::{NewConversation, NewMessage, NewUser, Role};
use process::{Process, ADMIN_TOKEN};

fn commcenterd(args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_commcenterd"))
        .args(args)
        .env_remove("COMMCENTER_TOKEN")
        .envs(env.iter().copied())
        .output()
        .expect("run commcenterd")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A daemon with one message in it; answers the message's id.
async fn daemon_with_a_message(data: &Path) -> (Process, commcenter::Id) {
    let daemon = Process::start(data, &[]);
    let admin = daemon.admin();
    let customer = admin
        .create_user(&NewUser {
            name: "Ann".into(),
            role: Role::Customer,
            email: None,
            phone: None,
        })
        .await
        .unwrap();
    let conversation = admin
        .create_conversation(&NewConversation {
            customer_id: customer.id,
            subject: None,
        })
        .await
        .unwrap();
    let new = NewMessage {
        body: Some("before the backup".into()),
        ..Default::default()
    };
    let message = admin.send_message(conversation.id, &new).await.unwrap();
    (daemon, message.id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_asks_the_running_daemon_and_restore_makes_a_data_dir_it_serves() {
    let dir = tempfile::tempdir().unwrap();
    let (daemon, message) = daemon_with_a_message(&dir.path().join("data")).await;
    let backup = dir.path().join("backup");
    let made = commcenterd(
        &["backup", "--to", path(&backup), "--url", &daemon.base_url],
        &[("COMMCENTER_TOKEN", ADMIN_TOKEN)],
    );
    assert!(made.status.success(), "{}", text(&made));
    assert!(text(&made).contains("backup written to"), "{}", text(&made));
    assert!(backup.join("manifest.json").is_file());

    let restored = dir.path().join("restored");
    let done = commcenterd(
        &[
            "restore",
            "--from",
            path(&backup),
            "--data-dir",
            path(&restored),
        ],
        &[],
    );
    assert!(done.status.success(), "{}", text(&done));
    assert!(text(&done).contains("new epoch"), "{}", text(&done));
    let mode = std::fs::metadata(&restored).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700);

    let second = Process::start(&restored, &[]);
    let found = second.admin().get_message(message).await.unwrap();
    assert_eq!(found.body, "before the backup");
    drop(daemon);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_reads_the_token_from_the_data_dir_when_none_is_given() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let daemon = Process::start(&data, &[]);
    std::fs::write(data.join("admin.token"), format!("{ADMIN_TOKEN}\n")).unwrap();
    let made = commcenterd(
        &[
            "backup",
            "--data-dir",
            path(&data),
            "--url",
            &daemon.base_url,
        ],
        &[],
    );
    assert!(made.status.success(), "{}", text(&made));
    let backups: Vec<_> = std::fs::read_dir(data.join("backups")).unwrap().collect();
    assert_eq!(backups.len(), 1, "one backup in DATA_DIR/backups");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restore_refuses_a_damaged_backup_naming_the_file_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (daemon, _) = daemon_with_a_message(&dir.path().join("data")).await;
    let backup = dir.path().join("backup");
    daemon.admin().backup(Some(path(&backup))).await.unwrap();
    let store = backup.join("commcenter.redb");
    let mut bytes = std::fs::read(&store).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&store, bytes).unwrap();

    let target = dir.path().join("restored");
    let refused = commcenterd(
        &[
            "restore",
            "--from",
            path(&backup),
            "--data-dir",
            path(&target),
        ],
        &[],
    );
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused));
    assert!(
        text(&refused).contains("commcenter.redb"),
        "{}",
        text(&refused)
    );
    assert!(text(&refused).contains("SHA-256"), "{}", text(&refused));
    assert!(!target.exists(), "nothing was written");
}

#[test]
fn restore_refuses_a_manifest_that_lists_no_store() {
    let dir = tempfile::tempdir().unwrap();
    let backup = dir.path().join("backup");
    std::fs::create_dir(&backup).unwrap();
    std::fs::write(
        backup.join("manifest.json"),
        r#"{"format":"commcenter-backup","format_version":1,"schema_version":1,"seq":0,"epoch":"e","created_at":"2026-12-03T07:00:00.000Z","files":[]}"#,
    )
    .unwrap();
    let target = dir.path().join("restored");
    let refused = commcenterd(
        &[
            "restore",
            "--from",
            path(&backup),
            "--data-dir",
            path(&target),
        ],
        &[],
    );
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused));
    assert!(
        text(&refused).contains("lists no commcenter.redb"),
        "{}",
        text(&refused)
    );
    assert!(!target.exists(), "nothing was written");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_finds_nothing_wrong_with_a_data_dir_the_daemon_made() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // SIGTERM the moment it says it listens: the handler must already be
    // installed, so the daemon closes its store and exits 0.
    let stopped = Process::start(&data, &[]).terminate();
    assert!(stopped.success(), "commcenterd exited with {stopped}");
    // A threshold of 1 %: the test is about the data dir, not this host's disk.
    let checked = commcenterd(
        &[
            "doctor",
            "--data-dir",
            path(&data),
            "--disk-low-percent",
            "1",
        ],
        &[],
    );
    let said = text(&checked);
    assert_eq!(checked.status.code(), Some(0), "{said}");
    assert!(said.contains("ok       data dir"), "{said}");
    assert!(said.contains("mode 0700"), "{said}");
    assert!(said.contains("the store opens: schema version 1"), "{said}");
    assert!(said.contains("0 problem(s)"), "{said}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_warns_of_a_readable_store_and_asks_a_running_daemon() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let daemon = Process::start(&data, &[]);
    let store = data.join("commcenter.redb");
    std::fs::set_permissions(&store, std::fs::Permissions::from_mode(0o644)).unwrap();
    let listen = daemon.base_url.trim_start_matches("http://");
    let checked = commcenterd(
        &[
            "doctor",
            "--data-dir",
            path(&data),
            "--listen",
            listen,
            "--disk-low-percent",
            "1",
        ],
        &[],
    );
    let said = text(&checked);
    assert_eq!(checked.status.code(), Some(0), "warnings only: {said}");
    assert!(
        said.contains("warning  the store file has mode 0644"),
        "{said}"
    );
    assert!(said.contains("chmod 600"), "{said}");
    assert!(said.contains("a running daemon holds the store"), "{said}");
    assert!(said.contains("answers ready"), "{said}");
}

#[test]
fn doctor_reports_a_store_from_a_newer_build_and_incomplete_sms_settings_as_problems() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    Process::start(&data, &[]).terminate();
    commcenter_store::Store::overwrite_schema_version(&data.join("commcenter.redb"), 99).unwrap();
    let checked = commcenterd(
        &[
            "doctor",
            "--data-dir",
            path(&data),
            "--sms-url",
            "https://api.example.com",
        ],
        &[],
    );
    let said = text(&checked);
    assert_eq!(checked.status.code(), Some(1), "{said}");
    assert!(
        said.contains("problem  the store has schema version 99"),
        "{said}"
    );
    assert!(
        said.contains("--sms-account-sid, --sms-auth-token, --sms-from missing"),
        "{said}"
    );
}

#[test]
fn help_names_the_backup_restore_and_doctor_commands() {
    let help = commcenterd(&["--help"], &[]);
    let said = text(&help);
    for command in [
        "commcenterd backup",
        "commcenterd restore",
        "commcenterd doctor",
    ] {
        assert!(said.contains(command), "{said}");
    }
    let help = commcenterd(&["restore", "--help"], &[]);
    assert!(text(&help).contains("--from"), "{}", text(&help));
}

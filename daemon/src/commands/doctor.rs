//! `commcenterd doctor [SETTINGS]`: checks a data dir and the settings the
//! daemon would run with, and says in words what is wrong and what to do.
//!
//! Read-only: it opens the store without changing it, and probes nothing
//! but the file storage it is told to use. While a daemon runs, redb's lock
//! keeps the store closed to it, and it asks that daemon's `/readyz` instead.

use std::ffi::OsString;
use std::fmt;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use commcenter_files::storage::{BlobStore, StorageConfig};
use commcenter_store::{InspectError, SCHEMA_VERSION};

use crate::app::{ADMIN_TOKEN_FILE, STORE_FILE};
use crate::settings::{Settings, SettingsError};

/// Free space under `--disk-low-percent` is a problem (the running daemon
/// warns in its log then); under this many times that, a warning.
const DISK_WARNING_FACTOR: f64 = 2.0;
/// How long the file storage and a running daemon get to answer.
const ANSWER_WITHIN: Duration = Duration::from_secs(10);

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Ok,
    Warning,
    Problem,
}

/// One thing the doctor found, in words (with what to do, when not ok).
#[derive(Debug, Clone)]
pub struct Finding {
    pub level: Level,
    pub text: String,
}

impl Finding {
    fn ok(text: impl Into<String>) -> Finding {
        Finding {
            level: Level::Ok,
            text: text.into(),
        }
    }
    fn warning(text: impl Into<String>) -> Finding {
        Finding {
            level: Level::Warning,
            text: text.into(),
        }
    }
    fn problem(text: impl Into<String>) -> Finding {
        Finding {
            level: Level::Problem,
            text: text.into(),
        }
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let label = match self.level {
            Level::Ok => "ok",
            Level::Warning => "warning",
            Level::Problem => "problem",
        };
        write!(f, "{label:<8} {}", self.text)
    }
}

pub fn main(argv: Vec<OsString>) -> ExitCode {
    let settings = match Settings::from_argv(argv) {
        Ok(settings) => settings,
        Err(SettingsError::Flags(e)) => e.exit(),
        Err(e) => {
            println!("{}", Finding::problem(format!("the settings: {e}")));
            return ExitCode::FAILURE;
        }
    };
    let findings = match super::runtime() {
        Ok(rt) => rt.block_on(examine(&settings)),
        Err(e) => return super::fail("doctor", e),
    };
    for finding in &findings {
        println!("{finding}");
    }
    let count = |level| findings.iter().filter(|f| f.level == level).count();
    let (problems, warnings) = (count(Level::Problem), count(Level::Warning));
    println!("{problems} problem(s), {warnings} warning(s)");
    if problems == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Every check, in order: the data dir, its secrets and store, the disk,
/// the file storage, the outbox transports.
pub async fn examine(settings: &Settings) -> Vec<Finding> {
    let dir = &settings.data_dir;
    let mut findings = vec![data_dir(dir)];
    if dir.is_dir() {
        findings.push(private_file(
            &dir.join(ADMIN_TOKEN_FILE),
            "admin.token",
            "the admin's secret",
        ));
        findings.push(private_file(
            &dir.join(STORE_FILE),
            "the store file",
            "every customer's data",
        ));
        findings.push(store(settings).await);
    }
    findings.push(disk(dir, settings.ops.disk_low_percent));
    findings.push(file_storage(settings).await);
    findings.extend(outbox(settings));
    findings
}

fn data_dir(dir: &Path) -> Finding {
    let shown = dir.display();
    let meta = match std::fs::metadata(dir) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Finding::warning(format!(
                "data dir {shown} does not exist yet: commcenterd creates it (mode 0700) at its first start"
            ))
        }
        Err(e) => return Finding::problem(format!("data dir {shown}: {e}")),
    };
    if !meta.is_dir() {
        return Finding::problem(format!(
            "data dir {shown} is not a directory: pass another --data-dir"
        ));
    }
    if rustix::fs::access(dir, rustix::fs::Access::WRITE_OK).is_err() {
        return Finding::problem(format!(
            "data dir {shown} is not writable by this user: run as the daemon's user, or chown it to that user"
        ));
    }
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Finding::warning(format!(
            "data dir {shown} has mode {mode:04o}: other users can reach customers' data; run: chmod 700 {shown}"
        ));
    }
    Finding::ok(format!("data dir {shown} exists, mode {mode:04o}"))
}

/// A file only the daemon's user may read (mode 0600), if it exists.
fn private_file(path: &Path, name: &str, holds: &str) -> Finding {
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Finding::ok(format!("no {name} ({})", path.display()))
        }
        Err(e) => return Finding::problem(format!("{}: {e}", path.display())),
    };
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Finding::warning(format!(
            "{name} has mode {mode:04o} but holds {holds}: run: chmod 600 {}",
            path.display()
        ));
    }
    Finding::ok(format!("{name} has mode {mode:04o}"))
}

async fn store(settings: &Settings) -> Finding {
    let path = settings.data_dir.join(STORE_FILE);
    if !path.exists() {
        return Finding::ok("no store yet: commcenterd creates it at its first start");
    }
    let inspected = tokio::task::spawn_blocking(move || commcenter_store::inspect(&path)).await;
    match inspected {
        Ok(Ok(facts)) if facts.schema_version > SCHEMA_VERSION => Finding::problem(format!(
            "the store has schema version {} but this commcenterd reads up to {SCHEMA_VERSION}: run the newer commcenterd that wrote it",
            facts.schema_version
        )),
        Ok(Ok(facts)) => Finding::ok(format!(
            "the store opens: schema version {} (this build reads up to {SCHEMA_VERSION}), last seq {}, epoch {}",
            facts.schema_version, facts.seq, facts.epoch
        )),
        Ok(Err(InspectError::Locked)) => running_daemon(settings).await,
        Ok(Err(InspectError::NeedsRepair)) => Finding::warning(
            "the store was not closed cleanly (a crash or kill -9): commcenterd repairs it at its next start",
        ),
        Ok(Err(e)) => Finding::problem(format!(
            "the store does not open ({e}): restore the last backup (commcenterd restore --from BACKUP --data-dir NEW_DIR)"
        )),
        Err(e) => Finding::problem(format!("checking the store failed: {e}")),
    }
}

/// The store is locked: a daemon runs on it. Its `/readyz` says how it is.
async fn running_daemon(settings: &Settings) -> Finding {
    let url = format!("http://{}", super::backup::local_address(settings.listen));
    let client = commcenter::client::Client::new(&url, None);
    let asked = tokio::time::timeout(
        ANSWER_WITHIN,
        client.send_raw(http::Method::GET, "/readyz", None, &[]),
    )
    .await;
    match asked {
        Ok(Ok(answer)) if answer.status == 200 => Finding::ok(format!(
            "a running daemon holds the store (so it was not opened here); its {url}/readyz answers ready"
        )),
        Ok(Ok(answer)) => Finding::problem(format!(
            "a running daemon holds the store, and its {url}/readyz answers {}: {}",
            answer.status,
            String::from_utf8_lossy(&answer.body)
        )),
        Ok(Err(e)) => Finding::problem(format!(
            "another process holds the store, and nothing answers at {url}/readyz ({e}): is a commcenterd with other settings running on this data dir?"
        )),
        Err(_) => Finding::problem(format!(
            "a process holds the store, and {url}/readyz did not answer within {ANSWER_WITHIN:?}"
        )),
    }
}

fn disk(dir: &Path, low_percent: f64) -> Finding {
    // The data dir, or the nearest directory above it that exists.
    let Some(existing) = dir.ancestors().find(|d| d.exists()) else {
        return Finding::problem(format!("no directory of {} exists", dir.display()));
    };
    let space = match crate::disk::space(existing) {
        Ok(space) => space,
        Err(e) => return Finding::warning(format!("free space of {}: {e}", existing.display())),
    };
    let percent = space.available_percent();
    let text = format!(
        "{} MiB free on the data dir's disk ({percent:.1} % of {} MiB)",
        space.available >> 20,
        space.total >> 20
    );
    if percent < low_percent {
        Finding::problem(format!(
            "{text}: writes fail once it is full; free space or move the data dir"
        ))
    } else if percent < low_percent * DISK_WARNING_FACTOR {
        Finding::warning(format!("{text}: free some space before it runs out"))
    } else {
        Finding::ok(text)
    }
}

async fn file_storage(settings: &Settings) -> Finding {
    match &settings.files.storage {
        StorageConfig::Local { root } => local_storage(root),
        StorageConfig::S3(s3) => {
            match tokio::time::timeout(ANSWER_WITHIN, writable(&settings.files.storage)).await {
                Ok(Ok(())) => Finding::ok(format!("S3 bucket {} answers and takes writes", s3.bucket)),
                Ok(Err(e)) => Finding::problem(format!(
                    "S3 bucket {} cannot be written: {e}; check --s3-endpoint, the keys and the bucket's policy",
                    s3.bucket
                )),
                Err(_) => Finding::problem(format!(
                    "S3 bucket {} did not answer within {ANSWER_WITHIN:?}: check --s3-endpoint and the network",
                    s3.bucket
                )),
            }
        }
    }
}

/// Whether the blob store takes a write (a small probe).
async fn writable(config: &StorageConfig) -> Result<(), commcenter_files::FileError> {
    BlobStore::open(config).await?.health().await
}

fn local_storage(root: &Path) -> Finding {
    let shown = root.display();
    if !root.exists() {
        return Finding::warning(format!(
            "file storage {shown} does not exist yet: commcenterd creates it at its first start"
        ));
    }
    if !root.is_dir() {
        return Finding::problem(format!(
            "file storage {shown} is not a directory: pass another --files-dir"
        ));
    }
    if rustix::fs::access(root, rustix::fs::Access::WRITE_OK).is_err() {
        return Finding::problem(format!(
            "file storage {shown} is not writable by this user: chown it to the daemon's user"
        ));
    }
    Finding::ok(format!("file storage {shown} is writable"))
}

/// The SMTP and SMS settings: complete when set, and nothing set by half.
fn outbox(settings: &Settings) -> Vec<Finding> {
    let o = &settings.outbox;
    let email = match &o.smtp_url {
        None => Finding::ok(
            "email: no --smtp-url, so email goes to DATA_DIR/outbox.log (the log transport)",
        ),
        Some(url) => smtp(url, &o.email_from),
    };
    let sms_parts = [
        ("--sms-account-sid", &o.sms_account_sid),
        ("--sms-auth-token", &o.sms_auth_token),
        ("--sms-from", &o.sms_from),
    ];
    let sms = match &o.sms_url {
        None if sms_parts.iter().any(|(_, v)| v.is_some()) => Finding::warning(
            "SMS: provider credentials are set but --sms-url is not, so SMS go to DATA_DIR/outbox.log; set --sms-url",
        ),
        None => Finding::ok("SMS: no --sms-url, so SMS go to DATA_DIR/outbox.log (the log transport)"),
        Some(url) => {
            let missing: Vec<&str> = sms_parts
                .iter()
                .filter(|(_, v)| v.as_deref().is_none_or(str::is_empty))
                .map(|(flag, _)| *flag)
                .collect();
            match reqwest::Url::parse(url) {
                Err(e) => Finding::problem(format!("SMS: --sms-url `{url}` is not a URL ({e})")),
                Ok(_) if !missing.is_empty() => Finding::problem(format!(
                    "SMS: --sms-url is set but {} missing: set them, or SMS fail",
                    missing.join(", ")
                )),
                Ok(_) => Finding::ok(format!("SMS: sent through {url}")),
            }
        }
    };
    vec![email, sms]
}

fn smtp(url: &str, from: &str) -> Finding {
    let parsed = match reqwest::Url::parse(url) {
        Ok(parsed) => parsed,
        Err(e) => return Finding::problem(format!("email: --smtp-url is not a URL ({e})")),
    };
    if !matches!(parsed.scheme(), "smtp" | "smtps") || parsed.host_str().is_none() {
        return Finding::problem(
            "email: --smtp-url must be smtp://[user:pass@]host[:port] or smtps://…",
        );
    }
    if from == "commcenter@localhost" || !from.contains('@') {
        return Finding::warning(format!(
            "email: --email-from is `{from}`, which recipients cannot answer: set the firm's address"
        ));
    }
    Finding::ok(format!(
        "email: sent through {} as {from}",
        parsed.host_str().unwrap_or_default()
    ))
}

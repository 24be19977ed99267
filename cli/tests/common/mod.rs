//! The real `commcenter` binary against a real daemon: a daemon on a
//! port-0 listener with a temp data dir and the demo data, and the binary
//! with a clean environment.

#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output, Stdio};

use commcenterd::{AppState, Settings};

pub const PRIYA: &str = "cct_demo_priya";
pub const TOM: &str = "cct_demo_tom";
pub const MAREK_CREW: &str = "cct_demo_marek";
pub const HELEN_CUSTOMER: &str = "cct_demo_c1";

/// A daemon on its own runtime, alive as long as this value.
pub struct Daemon {
    pub url: String,
    pub data: tempfile::TempDir,
    /// A config dir of the CLI's own, empty.
    pub config: tempfile::TempDir,
    pub runtime: tokio::runtime::Runtime,
}

pub fn daemon() -> Daemon {
    let data = tempfile::tempdir().expect("temp dir");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let url = runtime.block_on(async {
        let mut settings = Settings::for_data_dir(data.path());
        settings.demo = true;
        let opened = AppState::open(settings).await.expect("daemon opens");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        tokio::spawn(commcenterd::serve(
            listener,
            opened.state,
            std::future::pending::<()>(),
        ));
        url
    });
    Daemon {
        url,
        data,
        config: tempfile::tempdir().expect("config dir"),
        runtime,
    }
}

impl Daemon {
    /// The binary, pointed at this daemon with `token`.
    pub fn cli(&self, token: &str) -> Command {
        let mut command = bare(self.config.path());
        command.args(["--url", &self.url, "--token", token]);
        command
    }

    /// A typed API client with `token`, to check what the CLI did.
    pub fn client(&self, token: &str) -> commcenter::client::Client {
        commcenter::client::Client::new(&self.url, Some(token.to_owned()))
    }

    pub fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }
}

/// The binary with a clean environment: its own config dir, a data dir
/// with no admin.token, and none of the caller's COMMCENTER_* settings.
pub fn bare(config: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_commcenter"));
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("COMMCENTER_") || name == "NO_COLOR" {
            command.env_remove(name);
        }
    }
    command
        .env("COMMCENTER_CONFIG_DIR", config)
        .env("COMMCENTER_DATA_DIR", config.join("no-daemon-here"));
    command
}

pub fn run(command: &mut Command) -> Output {
    command.stdin(Stdio::null()).output().expect("binary runs")
}

/// Stdout of a run that must succeed.
pub fn ok(command: &mut Command) -> String {
    succeeded(run(command))
}

/// Stdout of a finished run that must have succeeded.
pub fn succeeded(output: Output) -> String {
    assert!(
        output.status.success(),
        "failed ({:?}): {}",
        output.status.code(),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("utf-8")
}

/// Stdout of a run that must succeed, as one JSON document of type `T`.
pub fn json<T: serde::de::DeserializeOwned>(command: &mut Command) -> T {
    serde_json::from_str(&ok(command.arg("--json"))).expect("the API's JSON")
}

/// Stdout of a run that must succeed, as JSON Lines of type `T`.
pub fn json_lines<T: serde::de::DeserializeOwned>(command: &mut Command) -> Vec<T> {
    ok(command.arg("--json"))
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect()
}

/// A fixture file's path.
pub fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/files")
        .join(name)
}

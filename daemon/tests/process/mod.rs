//! The real `commcenterd` binary as a child process, for the tests that
//! kill it, restore under it or watch what it tells systemd: started on
//! `127.0.0.1:0` (its address read from the line it prints), its log in a
//! file beside the data dir.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use commcenter::client::Client;
use futures_util::StreamExt;
use serde_json::Value;

/// The bootstrap admin's token of every daemon started here.
pub const ADMIN_TOKEN: &str = "cct_process_test_admin";

/// How long a start may take (a debug build repairing a killed store).
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// A running `commcenterd`.
pub struct Process {
    child: Child,
    pub base_url: String,
    pub data_dir: PathBuf,
}

impl Process {
    /// Starts the daemon on `data_dir`, with extra environment variables.
    pub fn start(data_dir: &Path, env: &[(&str, &str)]) -> Process {
        Self::start_with(data_dir, &[], env)
    }

    /// Starts the daemon on `data_dir` with extra flags and environment.
    pub fn start_with(data_dir: &Path, flags: &[&str], env: &[(&str, &str)]) -> Process {
        let log = std::fs::File::create(log_path(data_dir)).expect("log file");
        let mut child = Command::new(env!("CARGO_BIN_EXE_commcenterd"))
            .arg("--data-dir")
            .arg(data_dir)
            .args(["--listen", "127.0.0.1:0"])
            .args(flags)
            .env("COMMCENTER_ADMIN_TOKEN", ADMIN_TOKEN)
            .env("COMMCENTER_LOG", "warn")
            .env_remove("NOTIFY_SOCKET")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("start commcenterd");
        let base_url = listening_url(&mut child, data_dir);
        Process {
            child,
            base_url,
            data_dir: data_dir.to_owned(),
        }
    }

    /// The bootstrap admin's client.
    pub fn admin(&self) -> Client {
        Client::new(&self.base_url, Some(ADMIN_TOKEN.to_owned()))
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL, as `kill -9`: no shutdown, no flush.
    pub fn kill(mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reap");
    }

    /// SIGTERM, then waits for the exit.
    pub fn terminate(mut self) -> ExitStatus {
        let sent = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(sent.success(), "kill -TERM failed");
        self.child.wait().expect("wait for commcenterd")
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Where a daemon on `data_dir` logs: beside it, not in it.
pub fn log_path(data_dir: &Path) -> PathBuf {
    let name = data_dir
        .file_name()
        .expect("a named data dir")
        .to_string_lossy();
    data_dir.with_file_name(format!("{name}.log"))
}

/// Reads stdout until `commcenterd listening on http://…`, then leaves a
/// thread draining the rest so that the daemon never blocks on the pipe.
fn listening_url(child: &mut Child, data_dir: &Path) -> String {
    let stdout = child.stdout.take().expect("piped stdout");
    let (found, url) = mpsc::channel();
    std::thread::spawn(move || {
        let mut found = Some(found);
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(url) = line.strip_prefix("commcenterd listening on ") {
                if let Some(found) = found.take() {
                    let _ = found.send(url.to_owned());
                }
            }
        }
    });
    url.recv_timeout(START_TIMEOUT).unwrap_or_else(|_| {
        let log = std::fs::read_to_string(log_path(data_dir)).unwrap_or_default();
        panic!("commcenterd did not start within {START_TIMEOUT:?}; its log:\n{log}")
    })
}

/// Opens the WebSocket as the admin with `query` and answers the socket and
/// the `hello` frame's data.
pub async fn websocket(
    base_url: &str,
    query: &str,
) -> (
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
    Value,
) {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let url = format!(
        "{}/api/v1/ws{query}",
        base_url.replacen("http://", "ws://", 1)
    );
    let mut request = url.into_client_request().expect("ws request");
    request.headers_mut().insert(
        "authorization",
        format!("Bearer {ADMIN_TOKEN}").parse().expect("header"),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("ws connects");
    let hello = next_json(&mut socket).await.expect("a first frame");
    (socket, hello)
}

/// The next JSON text frame, or `None` once the socket ends.
pub async fn next_json(
    socket: &mut tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
) -> Option<Value> {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .ok()??;
        match frame {
            Ok(tokio_tungstenite::tungstenite::Message::Text(text)) => {
                return Some(serde_json::from_str(&text).expect("frames are JSON"))
            }
            Ok(_) => continue,
            Err(_) => return None,
        }
    }
}

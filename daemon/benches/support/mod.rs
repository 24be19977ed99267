//! What the bench programs share: the release daemon as a child process on a
//! temp data dir, and readings of its memory from `/proc`.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use commcenter::client::Client;

/// The bootstrap admin's token in every bench daemon.
pub const ADMIN_TOKEN: &str = "cct_bench_admin";

/// A running release `commcenterd`; killed when dropped.
pub struct Daemon {
    pub child: Child,
    pub base_url: String,
    _dir: tempfile::TempDir,
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Daemon {
    /// Starts the daemon on 127.0.0.1 (port 0) with a fresh data dir, quiet
    /// logs, `args` and `envs` added; returns once it listens.
    pub fn start(args: &[&str], envs: &[(&str, String)]) -> Daemon {
        Daemon::start_on(tempfile::tempdir().expect("temp dir"), args, envs)
    }

    /// As [`Daemon::start`], on a data dir prepared beforehand.
    pub fn start_on(dir: tempfile::TempDir, args: &[&str], envs: &[(&str, String)]) -> Daemon {
        let mut child = Command::new(daemon_binary())
            .args(["--listen", "127.0.0.1:0", "--log", "warn", "--data-dir"])
            .arg(dir.path())
            .args(args)
            .env("COMMCENTER_ADMIN_TOKEN", ADMIN_TOKEN)
            .envs(envs.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::piped())
            .spawn()
            .expect("start commcenterd");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let base_url = loop {
            let line = lines.next().expect("daemon output").expect("read line");
            if let Some(url) = line.strip_prefix("commcenterd listening on ") {
                break url.trim().to_owned();
            }
        };
        Daemon {
            child,
            base_url,
            _dir: dir,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// A client with the admin's token.
    pub fn admin(&self) -> Client {
        Client::new(&self.base_url, Some(ADMIN_TOKEN.to_owned()))
    }

    /// The daemon's resident memory, in KiB.
    pub fn rss_kib(&self) -> u64 {
        status_kib(self.pid(), "VmRSS:")
    }
}

/// The daemon to run: this build's, or the one `BENCH_DAEMON` names (to
/// compare two builds with the same bench, e.g. before and after a change).
pub fn daemon_binary() -> String {
    std::env::var("BENCH_DAEMON").unwrap_or_else(|_| env!("CARGO_BIN_EXE_commcenterd").to_owned())
}

/// A `VmRSS:`-style line of `/proc/PID/status`, in KiB.
pub fn status_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("{field} in /proc/{pid}/status"))
}

/// "N CPUs, model" of this machine.
pub fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|m| m.trim_start_matches([' ', '\t', ':']).to_owned())
        .unwrap_or_default();
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!("{cpus} CPUs, {model}")
}

//! A real SMTP server for the email tests: aiosmtpd (`fixtures/smtp_peer.py`)
//! on 127.0.0.1, writing each message it receives as JSON for the test to read.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde::Deserialize;
use tempfile::TempDir;

pub struct SmtpPeer {
    pub port: u16,
    child: Child,
    out: TempDir,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ReceivedEmail {
    /// The sending connection's port: the same for emails on one connection.
    pub client_port: u16,
    pub mail_from: String,
    pub rcpt_tos: Vec<String>,
    pub subject: Option<String>,
    pub message_id: Option<String>,
    pub reply_to: Option<String>,
    pub text: Option<String>,
    pub attachments: Vec<ReceivedAttachment>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ReceivedAttachment {
    pub name: Option<String>,
    pub content_type: String,
    pub base64: String,
}

impl SmtpPeer {
    /// Starts the server; it refuses the first `transient_failures`
    /// messages with 451.
    pub fn start(transient_failures: u32) -> SmtpPeer {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let out = tempfile::tempdir().unwrap();
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/smtp_peer.py");
        let mut child = Command::new("python3")
            .arg(script)
            .arg(port.to_string())
            .arg(out.path())
            .arg(transient_failures.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 runs fixtures/smtp_peer.py (aiosmtpd: scripts/test-peers.sh)");
        let mut ready = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut ready)
            .unwrap();
        assert_eq!(
            ready.trim(),
            "ready",
            "the SMTP peer did not start (is aiosmtpd installed?)"
        );
        SmtpPeer { port, child, out }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message received so far, in order.
    pub fn received(&self) -> Vec<ReceivedEmail> {
        let mut paths: Vec<_> = std::fs::read_dir(self.out.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        paths.sort();
        paths
            .iter()
            .map(|p| serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap())
            .collect()
    }

    /// The messages once there are `n` (at most 20 s).
    pub fn wait_for(&self, n: usize) -> Vec<ReceivedEmail> {
        let start = Instant::now();
        loop {
            let received = self.received();
            if received.len() >= n {
                return received;
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "only {} emails arrived",
                received.len()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for SmtpPeer {
    fn drop(&mut self) {
        // Closing its stdin ends the server; kill in case it hangs.
        drop(self.child.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

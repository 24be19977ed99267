//! The `log` transport: with no provider configured, each outgoing SMS or
//! email is appended to `DATA_DIR/outbox.log` as one JSON line and counts
//! as sent. The demo works offline this way, and the file shows what would
//! have gone out.

use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use commcenter::wire::Channel;
use commcenter::Timestamp;
use serde::Serialize;

use super::transport::{Outgoing, SendError};

/// The log's file name inside the data dir.
pub const OUTBOX_LOG_FILE: &str = "outbox.log";

#[derive(Debug, Clone)]
pub struct LogTransport {
    path: PathBuf,
    /// One writer at a time, so that lines never interleave.
    lock: Arc<Mutex<()>>,
}

/// One line of the log.
#[derive(Serialize)]
struct LogLine<'a> {
    at: Timestamp,
    message_id: String,
    conversation_id: String,
    channel: Channel,
    to: &'a str,
    subject: Option<&'a str>,
    body: &'a str,
    attachments: Vec<LoggedAttachment<'a>>,
}

#[derive(Serialize)]
struct LoggedAttachment<'a> {
    file_id: String,
    name: &'a str,
    content_type: &'a str,
    size: u64,
}

impl LogTransport {
    pub fn new(path: PathBuf) -> Self {
        LogTransport {
            path,
            lock: Arc::new(Mutex::new(())),
        }
    }

    pub fn path(&self) -> &std::path::Path {
        &self.path
    }

    /// Appends the message as a line (on a blocking thread: file I/O);
    /// answers `log:{message id}` as the provider's id.
    pub async fn send(&self, channel: Channel, message: &Outgoing) -> Result<String, SendError> {
        let line = log_line(channel, message)?;
        let transport = self.clone();
        tokio::task::spawn_blocking(move || transport.append(&line))
            .await
            .map_err(|e| SendError::transient(format!("log transport: {e}")))??;
        Ok(format!("log:{}", message.message_id))
    }

    fn append(&self, line: &str) -> Result<(), SendError> {
        let _one_writer = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .map_err(|e| SendError::transient(format!("{}: {e}", self.path.display())))?;
        file.write_all(line.as_bytes())
            .map_err(|e| SendError::transient(format!("{}: {e}", self.path.display())))
    }
}

fn log_line(channel: Channel, m: &Outgoing) -> Result<String, SendError> {
    let line = LogLine {
        at: Timestamp::now(),
        message_id: m.message_id.to_string(),
        conversation_id: m.conversation_id.to_string(),
        channel,
        to: &m.to,
        subject: m.subject.as_deref(),
        body: &m.body,
        attachments: m
            .attachments
            .iter()
            .map(|a| LoggedAttachment {
                file_id: a.file_id.to_string(),
                name: &a.name,
                content_type: &a.content_type,
                size: a.size,
            })
            .collect(),
    };
    let mut text = serde_json::to_string(&line)
        .map_err(|e| SendError::permanent(format!("log transport: {e}")))?;
    text.push('\n');
    Ok(text)
}

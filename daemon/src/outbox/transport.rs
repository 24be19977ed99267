//! What a transport is given and what it answers: the outgoing message with
//! its attachments' bytes, and the provider's id or a classified error.

use std::time::Duration;

use bytes::Bytes;
use commcenter::Id;
use commcenter_files::BlobKey;
use commcenter_store::OutboxJob;
use futures_util::TryStreamExt;

use crate::files::Files;

/// One message to hand to a transport.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub message_id: Id,
    pub conversation_id: Id,
    /// The customer's phone number or email address.
    pub to: String,
    pub subject: Option<String>,
    pub body: String,
    pub attachments: Vec<AttachmentBytes>,
}

#[derive(Debug, Clone)]
pub struct AttachmentBytes {
    pub file_id: Id,
    pub name: String,
    pub content_type: String,
    /// Bytes.
    pub size: u64,
    /// The file's bytes, read only for transports that send them (email);
    /// empty otherwise.
    pub bytes: Bytes,
}

/// Why a delivery attempt failed, and whether trying again may help.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SendError {
    pub message: String,
    pub transient: bool,
    /// The provider's `Retry-After`: do not try again sooner.
    pub retry_after: Option<Duration>,
}

impl SendError {
    pub fn transient(message: impl Into<String>) -> Self {
        SendError {
            message: message.into(),
            transient: true,
            retry_after: None,
        }
    }

    pub fn permanent(message: impl Into<String>) -> Self {
        SendError {
            message: message.into(),
            transient: false,
            retry_after: None,
        }
    }
}

impl Outgoing {
    /// The job, with its attachments' bytes read from file storage when
    /// `with_bytes`. A customer
    /// without the phone or address (removed since queueing) or a missing
    /// blob is a permanent error: no retry brings them back.
    pub async fn load(
        job: &OutboxJob,
        files: &Files,
        with_bytes: bool,
    ) -> Result<Outgoing, SendError> {
        let to = job.to.clone().ok_or_else(|| {
            SendError::permanent(format!(
                "the customer has no {} any more",
                match job.channel {
                    commcenter::wire::Channel::Sms => "phone number",
                    _ => "email address",
                }
            ))
        })?;
        let mut attachments = Vec::with_capacity(job.attachments.len());
        for file in &job.attachments {
            let bytes = match with_bytes {
                true => read_blob(files, &file.sha256).await?,
                false => Bytes::new(),
            };
            attachments.push(AttachmentBytes {
                file_id: file.file_id,
                name: file.name.clone(),
                content_type: file.content_type.clone(),
                size: file.size,
                bytes,
            });
        }
        Ok(Outgoing {
            message_id: job.message_id,
            conversation_id: job.conversation_id,
            to,
            subject: job.subject.clone(),
            body: job.body.clone(),
            attachments,
        })
    }
}

/// A blob's bytes, whole (attachments are at most the upload limit).
async fn read_blob(files: &Files, sha256: &str) -> Result<Bytes, SendError> {
    let key = BlobKey::parse(sha256)
        .ok_or_else(|| SendError::permanent(format!("`{sha256}` is not a blob key")))?;
    let read = files
        .blobs()
        .open_read(&key, None)
        .await
        .map_err(|e| files.note_failure("read", e))
        .map_err(|e| SendError::transient(format!("reading attachment {key}: {e}")))?;
    let chunks: Vec<Bytes> = read
        .body
        .try_collect()
        .await
        .map_err(|e| SendError::transient(format!("reading attachment {key}: {e}")))?;
    Ok(chunks.concat().into())
}

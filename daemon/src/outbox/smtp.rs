//! Email over SMTP (lettre), on a pooled connection that deliveries reuse.
//!
//! Each email has a `Message-ID` made from our message id, so a retry after
//! a crash sends the same identity and the recipient's mail system can
//! thread or drop the duplicate; it is also the message's `provider_id`.
//! `Reply-To` is the From address plus-tagged with the conversation
//! (`local+CONVERSATION@domain`), so a reply names the conversation it
//! answers even without `In-Reply-To`.

use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::transport::{Outgoing, SendError};

#[derive(Clone)]
pub struct SmtpTransport {
    mailer: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

/// Why the SMTP settings cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("--smtp-url / --email-from: {0}")]
pub struct SmtpSettingsError(String);

impl SmtpTransport {
    /// From `smtp://[user:pass@]host[:port]` (STARTTLS when the server offers
    /// it; `?tls=required` insists, `?tls=none` never tries) or `smtps://`.
    pub fn new(
        url: &str,
        from: &str,
        timeout: std::time::Duration,
    ) -> Result<Self, SmtpSettingsError> {
        let from: Mailbox = from
            .parse()
            .map_err(|e| SmtpSettingsError(format!("`{from}`: {e}")))?;
        let mailer = AsyncSmtpTransport::<Tokio1Executor>::from_url(&lettre_url(url))
            .map_err(|e| SmtpSettingsError(e.to_string()))?
            .timeout(Some(timeout))
            .build();
        Ok(SmtpTransport { mailer, from })
    }

    /// Sends the email; answers its `Message-ID`.
    pub async fn send(&self, message: &Outgoing) -> Result<String, SendError> {
        let message_id = self.message_id(message);
        let email = self.build(message, &message_id)?;
        self.mailer
            .send(email)
            .await
            .map_err(classify)
            .map(|_| message_id)
    }

    /// `<{message id}@{domain of the From address}>`.
    fn message_id(&self, message: &Outgoing) -> String {
        format!("<{}@{}>", message.message_id, self.from.email.domain())
    }

    fn build(&self, m: &Outgoing, message_id: &str) -> Result<Message, SendError> {
        let to: Mailbox =
            m.to.parse()
                .map_err(|e| SendError::permanent(format!("recipient `{}`: {e}", m.to)))?;
        let mut parts = MultiPart::mixed().singlepart(SinglePart::plain(m.body.clone()));
        for a in &m.attachments {
            let content_type = ContentType::parse(&a.content_type)
                .unwrap_or(ContentType::parse("application/octet-stream").expect("a valid type"));
            parts = parts
                .singlepart(Attachment::new(a.name.clone()).body(a.bytes.to_vec(), content_type));
        }
        Message::builder()
            .message_id(Some(message_id.to_owned()))
            .from(self.from.clone())
            .reply_to(self.reply_to(m))
            .to(to)
            .subject(m.subject.clone().unwrap_or_default())
            .multipart(parts)
            .map_err(|e| SendError::permanent(format!("building the email: {e}")))
    }

    /// The From address with `+{conversation id}` on its local part.
    fn reply_to(&self, m: &Outgoing) -> Mailbox {
        let address = &self.from.email;
        let tagged = format!(
            "{}+{}@{}",
            address.user(),
            m.conversation_id,
            address.domain()
        );
        tagged
            .parse()
            .map(|email| Mailbox::new(self.from.name.clone(), email))
            .unwrap_or_else(|_| self.from.clone())
    }
}

/// SMTP 4xx, timeouts and connection failures are transient; 5xx and
/// refusals of the message itself are permanent.
fn classify(error: lettre::transport::smtp::Error) -> SendError {
    let message = format!("smtp: {error}");
    if error.is_permanent() {
        SendError::permanent(message)
    } else {
        SendError::transient(message)
    }
}

/// Our URL forms in lettre's: `smtp://` without `tls=` means opportunistic
/// STARTTLS, and `tls=none` means lettre's plain `smtp://`.
fn lettre_url(url: &str) -> String {
    if !url.starts_with("smtp://") {
        return url.to_owned();
    }
    match url.split_once('?') {
        Some((base, "tls=none")) => base.to_owned(),
        Some(_) => url.to_owned(),
        None => format!("{url}?tls=opportunistic"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_smtp_url_asks_for_starttls_when_offered() {
        assert_eq!(
            lettre_url("smtp://u:p@mail.example:2525"),
            "smtp://u:p@mail.example:2525?tls=opportunistic"
        );
        assert_eq!(lettre_url("smtp://h:25?tls=none"), "smtp://h:25");
        assert_eq!(lettre_url("smtp://h?tls=required"), "smtp://h?tls=required");
        assert_eq!(lettre_url("smtps://h"), "smtps://h");
    }
}

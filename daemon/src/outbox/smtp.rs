//! Email over SMTP (lettre), on connections that deliveries reuse: our own
//! for `smtp://` (see `smtp_conn`), lettre's pool for `smtps://`.
//!
//! Each email has a `Message-ID` made from our message id, so a retry after
//! a crash sends the same identity and the recipient's mail system can
//! thread or drop the duplicate; it is also the message's `provider_id`.
//! `Reply-To` is the From address plus-tagged with the conversation
//! (`local+CONVERSATION@domain`), so a reply names the conversation it
//! answers even without `In-Reply-To`.

use std::sync::Arc;
use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::smtp_conn::{SmtpConnections, StartTls};
use super::transport::{Outgoing, SendError};

#[derive(Clone)]
pub struct SmtpTransport {
    mailer: Mailer,
    from: Mailbox,
}

#[derive(Clone)]
enum Mailer {
    /// `smtp://`: our connections (plain or STARTTLS, `TCP_NODELAY`).
    Direct(Arc<SmtpConnections>),
    /// `smtps://`: lettre's pooled transport.
    Lettre(AsyncSmtpTransport<Tokio1Executor>),
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
        let mailer = if url.starts_with("smtps://") {
            let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                .map_err(|e| SmtpSettingsError(e.to_string()))?
                .timeout(Some(timeout))
                .build();
            Mailer::Lettre(transport)
        } else {
            Mailer::Direct(Arc::new(direct(url, timeout)?))
        };
        Ok(SmtpTransport { mailer, from })
    }

    /// Sends the email; answers its `Message-ID`.
    pub async fn send(&self, message: &Outgoing) -> Result<String, SendError> {
        let message_id = self.message_id(message);
        let email = self.build(message, &message_id)?;
        match &self.mailer {
            Mailer::Direct(connections) => {
                connections
                    .send(email.envelope(), &email.formatted())
                    .await?
            }
            Mailer::Lettre(transport) => {
                transport.send(email).await.map_err(classify)?;
            }
        }
        Ok(message_id)
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
pub(super) fn classify(error: lettre::transport::smtp::Error) -> SendError {
    let message = format!("smtp: {error}");
    if error.is_permanent() {
        SendError::permanent(message)
    } else {
        SendError::transient(message)
    }
}

/// `smtp://[user:pass@]host[:port][?tls=opportunistic|required|none]`
/// (port 25 by default; user and password percent-decoded).
fn direct(url: &str, timeout: Duration) -> Result<SmtpConnections, SmtpSettingsError> {
    let bad = |why: &str| SmtpSettingsError(format!("`{url}`: {why}"));
    let parsed = reqwest::Url::parse(url).map_err(|e| bad(&e.to_string()))?;
    if parsed.scheme() != "smtp" {
        return Err(bad("the scheme must be smtp:// or smtps://"));
    }
    let host = parsed.host_str().ok_or_else(|| bad("no host"))?.to_owned();
    let starttls = match parsed.query_pairs().find(|(k, _)| k == "tls") {
        None => StartTls::Opportunistic,
        Some((_, v)) if v == "opportunistic" => StartTls::Opportunistic,
        Some((_, v)) if v == "required" => StartTls::Required,
        Some((_, v)) if v == "none" => StartTls::Never,
        Some(_) => return Err(bad("tls= must be opportunistic, required or none")),
    };
    let decode = |text: &str| {
        percent_encoding::percent_decode_str(text)
            .decode_utf8()
            .map(|t| t.into_owned())
            .map_err(|_| bad("the credentials are not UTF-8"))
    };
    let credentials = match parsed.password() {
        Some(password) => Some(Credentials::new(
            decode(parsed.username())?,
            decode(password)?,
        )),
        None => None,
    };
    let port = parsed.port().unwrap_or(25);
    Ok(SmtpConnections::new(
        host,
        port,
        starttls,
        credentials,
        timeout,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_urls_name_host_port_tls_and_credentials() {
        let timeout = Duration::from_secs(1);
        assert!(direct("smtp://u:p%40ss@mail.example:2525", timeout).is_ok());
        assert!(direct("smtp://mail.example?tls=none", timeout).is_ok());
        assert!(direct("smtp://mail.example?tls=sometimes", timeout).is_err());
        assert!(direct("http://mail.example", timeout).is_err());
    }
}

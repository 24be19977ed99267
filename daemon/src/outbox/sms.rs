//! SMS through a Twilio-compatible HTTP API: a form `POST` to
//! `{base}/2010-04-01/Accounts/{sid}/Messages.json` with basic auth.
//!
//! Each request carries `Idempotency-Key: {message id}` (and the same in
//! `I-Twilio-Idempotency-Token`), so a gateway that de-duplicates sends a
//! retried message once; Twilio itself does not promise that for this API.
//! 429 and 5xx are transient (their `Retry-After` is honoured), as are
//! timeouts and connection failures; any other 4xx is permanent.

use std::time::Duration;

use http::StatusCode;
use serde::Deserialize;

use super::transport::{Outgoing, SendError};

#[derive(Clone)]
pub struct SmsTransport {
    client: reqwest::Client,
    endpoint: String,
    account_sid: String,
    auth_token: String,
    from: String,
}

#[derive(Debug, thiserror::Error)]
#[error("SMS settings: {0}")]
pub struct SmsSettingsError(String);

/// The parts of the provider's answer we read.
#[derive(Deserialize)]
struct ProviderAnswer {
    sid: Option<String>,
    message: Option<String>,
}

impl SmsTransport {
    pub fn new(
        base_url: &str,
        account_sid: Option<&str>,
        auth_token: Option<&str>,
        from: Option<&str>,
        timeout: Duration,
    ) -> Result<Self, SmsSettingsError> {
        let need = |value: Option<&str>, flag: &str| {
            value
                .map(str::to_owned)
                .ok_or_else(|| SmsSettingsError(format!("--sms-url needs --{flag}")))
        };
        let account_sid = need(account_sid, "sms-account-sid")?;
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|e| SmsSettingsError(e.to_string()))?;
        Ok(SmsTransport {
            client,
            endpoint: format!(
                "{}/2010-04-01/Accounts/{account_sid}/Messages.json",
                base_url.trim_end_matches('/')
            ),
            auth_token: need(auth_token, "sms-auth-token")?,
            from: need(from, "sms-from")?,
            account_sid,
        })
    }

    /// Sends the text; answers the provider's message sid. `media_urls` are
    /// the attachments' links.
    pub async fn send(&self, m: &Outgoing, media_urls: &[String]) -> Result<String, SendError> {
        let to = dialable(&m.to);
        let mut form = vec![
            ("To", to.as_str()),
            ("From", self.from.as_str()),
            ("Body", m.body.as_str()),
        ];
        form.extend(media_urls.iter().map(|url| ("MediaUrl", url.as_str())));
        let key = m.message_id.to_string();
        let response = self
            .client
            .post(&self.endpoint)
            .basic_auth(&self.account_sid, Some(&self.auth_token))
            .header("Idempotency-Key", &key)
            .header("I-Twilio-Idempotency-Token", &key)
            .form(&form)
            .send()
            .await
            .map_err(|e| SendError::transient(format!("sms provider: {e}")))?;
        let status = response.status();
        let retry_after = retry_after(response.headers());
        let text = response.text().await.unwrap_or_default();
        let answer: Option<ProviderAnswer> = serde_json::from_str(&text).ok();
        if status.is_success() {
            return answer.and_then(|a| a.sid).ok_or_else(|| {
                SendError::transient(format!("sms provider answered {status} without a sid"))
            });
        }
        let detail = answer.and_then(|a| a.message).unwrap_or(text);
        Err(failure(status, retry_after, detail))
    }
}

/// A stored phone number as providers take it (E.164-like): its `+` and
/// digits, without the spaces, dots, dashes and parentheses people write.
fn dialable(phone: &str) -> String {
    phone
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '+')
        .collect()
}

impl SmsTransport {
    /// Fetches an inbound message's media (`MediaUrl`) with the account's
    /// credentials, at most `limit` bytes; answers the bytes and their
    /// declared type.
    pub async fn fetch_media(
        &self,
        url: &str,
        limit: u64,
    ) -> Result<(Vec<u8>, Option<String>), String> {
        let request = self
            .client
            .get(url)
            .basic_auth(&self.account_sid, Some(&self.auth_token));
        fetch_limited(request, limit).await
    }
}

/// A GET's body, refused past `limit` bytes (before reading, when the
/// length is declared), and its `Content-Type`.
pub async fn fetch_limited(
    request: reqwest::RequestBuilder,
    limit: u64,
) -> Result<(Vec<u8>, Option<String>), String> {
    let mut response = request.send().await.map_err(|e| e.to_string())?;
    if !response.status().is_success() {
        return Err(format!("answered {}", response.status()));
    }
    if response.content_length().is_some_and(|n| n > limit) {
        return Err(format!("larger than {limit} bytes"));
    }
    let content_type = response
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| e.to_string())? {
        bytes.extend_from_slice(&chunk);
        if bytes.len() as u64 > limit {
            return Err(format!("larger than {limit} bytes"));
        }
    }
    Ok((bytes, content_type))
}

fn failure(status: StatusCode, retry_after: Option<Duration>, detail: String) -> SendError {
    let message = format!("sms provider answered {status}: {}", detail.trim());
    let transient = status == StatusCode::TOO_MANY_REQUESTS
        || status == StatusCode::REQUEST_TIMEOUT
        || status.is_server_error();
    SendError {
        message,
        transient,
        retry_after: retry_after.filter(|_| transient),
    }
}

/// `Retry-After` in seconds (the HTTP-date form is taken as no advice).
fn retry_after(headers: &http::HeaderMap) -> Option<Duration> {
    headers
        .get(http::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_number_is_sent_as_its_plus_and_digits() {
        assert_eq!(dialable("+44 (0)7700 900-123"), "+4407700900123");
    }

    #[test]
    fn rate_limits_and_server_errors_are_transient_other_client_errors_permanent() {
        let after = Some(Duration::from_secs(3));
        let limited = failure(StatusCode::TOO_MANY_REQUESTS, after, "slow down".into());
        assert!(limited.transient);
        assert_eq!(limited.retry_after, after);
        assert!(failure(StatusCode::BAD_GATEWAY, None, String::new()).transient);
        let refused = failure(StatusCode::BAD_REQUEST, after, "bad number".into());
        assert!(!refused.transient);
        assert_eq!(refused.retry_after, None);
        assert!(refused.message.contains("bad number"));
    }
}

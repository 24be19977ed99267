//! Settings of the outbox (SMTP, the SMS provider, the retry policy) and of
//! the inbound webhooks.

use std::time::Duration;

use super::values;

/// Where `sms` and `email` messages go, how often a delivery is retried,
/// and the secrets that authenticate inbound webhooks. With no SMTP URL
/// (no SMS URL) emails (texts) go to the `log` transport: one JSON line
/// each in DATA_DIR/outbox.log.
#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Outbox and inbound channels")]
pub struct OutboxSettings {
    /// SMTP server for email: smtp://[user:pass@]host[:port] (STARTTLS when
    /// the server offers it) or smtps://… (TLS from the start) [default: the
    /// log transport]
    #[arg(long, env = "COMMCENTER_SMTP_URL", value_name = "URL")]
    pub smtp_url: Option<String>,

    /// The From address of outgoing email; replies go to its plus-address
    /// for the conversation (local+CONVERSATION@domain)
    #[arg(
        long,
        env = "COMMCENTER_EMAIL_FROM",
        value_name = "ADDRESS",
        default_value = "commcenter@localhost"
    )]
    pub email_from: String,

    /// Base URL of a Twilio-compatible SMS API; messages are POSTed to
    /// {URL}/2010-04-01/Accounts/{SID}/Messages.json [default: the log transport]
    #[arg(long, env = "COMMCENTER_SMS_URL", value_name = "URL")]
    pub sms_url: Option<String>,

    /// The SMS provider's account SID (the basic-auth user)
    #[arg(long, env = "COMMCENTER_SMS_ACCOUNT_SID", value_name = "SID")]
    pub sms_account_sid: Option<String>,

    /// The SMS provider's auth token (the basic-auth password, and the key
    /// of inbound SMS signatures)
    #[arg(long, env = "COMMCENTER_SMS_AUTH_TOKEN", value_name = "TOKEN")]
    pub sms_auth_token: Option<String>,

    /// The number (or sender id) outgoing SMS come from
    #[arg(long, env = "COMMCENTER_SMS_FROM", value_name = "NUMBER")]
    pub sms_from: Option<String>,

    /// Shared secret of the inbound email webhook (X-Commcenter-Signature:
    /// sha256=HMAC-SHA256(secret, body)); without it the webhook refuses all
    #[arg(long, env = "COMMCENTER_INBOUND_EMAIL_SECRET", value_name = "SECRET")]
    pub inbound_email_secret: Option<String>,

    /// Largest inbound webhook body, in bytes (413 beyond)
    #[arg(
        long,
        env = "COMMCENTER_INBOUND_LIMIT_BYTES",
        value_name = "BYTES",
        default_value_t = 8 * 1024 * 1024
    )]
    pub inbound_limit_bytes: usize,

    /// Delivery attempts before a message with transient errors is failed
    #[arg(
        long,
        env = "COMMCENTER_OUTBOX_MAX_ATTEMPTS",
        value_name = "N",
        default_value_t = 8
    )]
    pub outbox_max_attempts: u32,

    /// Seconds after queueing past which a message is failed instead of
    /// retried
    #[arg(
        long = "outbox-max-age-s",
        id = "outbox_max_age_s",
        env = "COMMCENTER_OUTBOX_MAX_AGE_S",
        value_name = "SECONDS",
        value_parser = values::seconds,
        default_value = "86400"
    )]
    pub outbox_max_age: Duration,

    /// Deliveries in progress at once (with a provider answering in 50 ms,
    /// 64 allow about 1,000 messages/s)
    #[arg(
        long,
        env = "COMMCENTER_OUTBOX_CONCURRENCY",
        value_name = "N",
        value_parser = values::at_least_one,
        default_value = "64"
    )]
    pub outbox_concurrency: usize,

    /// Seconds one delivery attempt may take before it counts as a
    /// transient error
    #[arg(
        long = "outbox-timeout-s",
        id = "outbox_timeout_s",
        env = "COMMCENTER_OUTBOX_TIMEOUT_S",
        value_name = "SECONDS",
        value_parser = values::seconds,
        default_value = "30"
    )]
    pub outbox_timeout: Duration,

    /// Days a media link (an SMS attachment's MediaUrl, GET /media/…) stays
    /// valid
    #[arg(
        long = "media-link-days",
        id = "media_link_days",
        env = "COMMCENTER_MEDIA_LINK_DAYS",
        value_name = "DAYS",
        value_parser = values::days,
        default_value = "7"
    )]
    pub media_link_valid_for: Duration,

    /// The first retry's backoff ceiling; each retry doubles it, up to
    /// `backoff_max` (full jitter: the wait is uniform below the ceiling).
    #[arg(skip = Duration::from_secs(2))]
    pub backoff_base: Duration,

    /// The largest backoff ceiling.
    #[arg(skip = Duration::from_secs(600))]
    pub backoff_max: Duration,
}

//! Settings of the WebSocket hub and the event log's retention.

use std::time::Duration;

use super::values;

/// Settings of the WebSocket hub. The origin allow-list and the retention
/// have flags; the rest are fields so that tests can shorten them.
#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "WebSockets")]
pub struct RealtimeSettings {
    /// Browser origins (scheme://host[:port]), comma-separated, that may open
    /// a WebSocket besides the daemon's own [default: none]
    // Held lowercase without a trailing `/`, as browsers send `Origin`.
    #[arg(
        long = "ws-allowed-origins",
        id = "ws_allowed_origins",
        env = "COMMCENTER_WS_ALLOWED_ORIGINS",
        value_name = "ORIGINS",
        value_delimiter = ',',
        value_parser = values::origin
    )]
    pub allowed_origins: Vec<String>,

    /// Days the event log keeps events for WebSocket resume, i.e. how far
    /// back a resume reaches
    #[arg(
        long = "event-retention-days",
        id = "event_retention_days",
        env = "COMMCENTER_EVENT_RETENTION_DAYS",
        value_name = "DAYS",
        value_parser = values::days,
        default_value = "7"
    )]
    pub event_retention: Duration,

    /// WebSockets one user may hold open; opening one more closes the
    /// user's oldest (1008), so one token cannot take every connection
    #[arg(
        long = "ws-per-user",
        id = "ws_per_user",
        env = "COMMCENTER_WS_PER_USER",
        value_name = "N",
        value_parser = values::at_least_one,
        default_value = "16"
    )]
    pub sockets_per_user: usize,

    /// How often the event log is pruned.
    #[arg(skip = Duration::from_secs(600))]
    pub prune_interval: Duration,

    /// How often the server pings each connection.
    #[arg(skip = Duration::from_secs(25))]
    pub heartbeat: Duration,

    /// A connection that sent nothing (not even a pong) for this long is closed.
    #[arg(skip = Duration::from_secs(60))]
    pub idle_timeout: Duration,

    /// How long a `POST /ws/ticket` ticket stays valid.
    #[arg(skip = Duration::from_secs(60))]
    pub ticket_ttl: Duration,

    /// Frames a connection's outbox holds; a client that lets it fill is too
    /// slow and is closed with 1013.
    #[arg(skip = 1024_usize)]
    pub outbox_frames: usize,
}

//! Settings of the WebSocket hub and the event log's retention.

use std::time::Duration;

/// Settings of the WebSocket hub. The origin allow-list and the retention
/// have flags; the rest are fields so that tests can shorten them.
#[derive(Debug, Clone)]
pub struct RealtimeSettings {
    /// Origins (`scheme://host[:port]`, lowercase) besides the daemon's own
    /// that a browser may open a WebSocket from.
    pub allowed_origins: Vec<String>,
    /// How long the event log keeps events, i.e. how far back a resume reaches.
    pub event_retention: Duration,
    /// How often the event log is pruned.
    pub prune_interval: Duration,
    /// How often the server pings each connection.
    pub heartbeat: Duration,
    /// A connection that sent nothing (not even a pong) for this long is closed.
    pub idle_timeout: Duration,
    /// How long a `POST /ws/ticket` ticket stays valid.
    pub ticket_ttl: Duration,
    /// Frames a connection's outbox holds; a client that lets it fill is too
    /// slow and is closed with 1013.
    pub outbox_frames: usize,
    /// WebSockets one user may hold open; a new one closes the user's
    /// oldest (1008), so one token cannot take every connection.
    pub sockets_per_user: usize,
}

impl Default for RealtimeSettings {
    fn default() -> Self {
        RealtimeSettings {
            allowed_origins: Vec::new(),
            event_retention: Duration::from_secs(7 * 86_400),
            prune_interval: Duration::from_secs(600),
            heartbeat: Duration::from_secs(25),
            idle_timeout: Duration::from_secs(60),
            ticket_ttl: Duration::from_secs(60),
            outbox_frames: 1024,
            sockets_per_user: 16,
        }
    }
}

impl RealtimeSettings {
    /// The defaults with the allow-list and the retention (in days) given.
    pub(super) fn resolve(origins: Option<Vec<String>>, retention_days: Option<u64>) -> Self {
        let defaults = RealtimeSettings::default();
        RealtimeSettings {
            allowed_origins: origins
                .unwrap_or_default()
                .iter()
                .map(|o| normalize_origin(o))
                .filter(|o| !o.is_empty())
                .collect(),
            event_retention: retention_days.map_or(defaults.event_retention, |days| {
                Duration::from_secs(days.saturating_mul(86_400))
            }),
            ..defaults
        }
    }
}

/// An origin as browsers send it: lowercase, without a trailing `/`.
fn normalize_origin(origin: &str) -> String {
    origin.trim().trim_end_matches('/').to_ascii_lowercase()
}

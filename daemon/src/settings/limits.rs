//! What each client may hold at once (enforced in `crate::limits`).

use std::time::Duration;

use super::values;

/// Per-client limits on requests: every limit holds per client as well as
/// globally, so that one script cannot slow anyone else down.
#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Limits per client")]
pub struct ClientLimits {
    /// Seconds a request body may go without sending anything before it is
    /// cut off (400) and its connection closed
    #[arg(
        long = "body-idle-timeout-s",
        id = "body_idle_timeout_s",
        env = "COMMCENTER_BODY_IDLE_TIMEOUT_S",
        value_name = "SECONDS",
        value_parser = values::seconds,
        default_value = "15"
    )]
    pub body_idle_timeout: Duration,

    /// Slowest average rate of a request body, in bytes a second, once the
    /// daemon has spent 10 s waiting for it (only waiting time counts)
    #[arg(
        long = "body-min-bytes-per-s",
        id = "body_min_bytes_per_s",
        env = "COMMCENTER_BODY_MIN_BYTES_PER_S",
        value_name = "BYTES",
        default_value = "1024"
    )]
    pub body_min_bytes_per_s: u64,

    /// Waiting time a body gets before its average rate is checked.
    #[arg(skip = Duration::from_secs(10))]
    pub body_grace: Duration,

    /// Requests one user may have in flight at once; one more is answered
    /// 429 before its body is read (WebSockets do not count)
    #[arg(
        long = "requests-per-user",
        id = "requests_per_user",
        env = "COMMCENTER_REQUESTS_PER_USER",
        value_name = "N",
        value_parser = values::at_least_one,
        default_value = "64"
    )]
    pub requests_per_user: usize,

    /// Failed authentications (unknown, revoked or expired token, bad
    /// WebSocket ticket) one client address may make within
    /// --auth-failure-window-s; further failed attempts get 429 until the
    /// window ends. A valid token is never refused (IPv6: per /64)
    #[arg(
        long = "auth-failures",
        id = "auth_failures",
        env = "COMMCENTER_AUTH_FAILURES",
        value_name = "N",
        value_parser = values::at_least_one,
        default_value = "20"
    )]
    pub auth_failures: usize,

    /// Seconds of the window in which --auth-failures are counted
    #[arg(
        long = "auth-failure-window-s",
        id = "auth_failure_window_s",
        env = "COMMCENTER_AUTH_FAILURE_WINDOW_S",
        value_name = "SECONDS",
        value_parser = values::seconds,
        default_value = "60"
    )]
    pub auth_failure_window: Duration,
}

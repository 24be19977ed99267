//! Settings of watching the daemon: the metrics listener.

use std::net::SocketAddr;

/// How the daemon is watched.
#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Operations")]
pub struct OpsSettings {
    /// A second address serving only GET /metrics, without a token, for a
    /// Prometheus scraper; bind it to loopback or a private network only
    /// [default: none; /metrics on the API address needs the admin token]
    #[arg(
        long = "metrics-listen",
        id = "metrics_listen",
        env = "COMMCENTER_METRICS_LISTEN",
        value_name = "ADDR"
    )]
    pub metrics_listen: Option<SocketAddr>,
}

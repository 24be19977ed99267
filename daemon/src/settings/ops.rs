//! Settings of watching the daemon: the metrics listener and the low-disk
//! warning.

use std::net::SocketAddr;

use super::values;

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

    /// Free space on the data dir's disk, in percent, under which a warning
    /// is logged (once, until the space recovers) and /metrics shows
    /// commcenter_disk_low 1
    #[arg(
        long = "disk-low-percent",
        id = "disk_low_percent",
        env = "COMMCENTER_DISK_LOW_PERCENT",
        value_name = "PERCENT",
        value_parser = values::percent,
        default_value = "5"
    )]
    pub disk_low_percent: f64,
}

//! `GET /metrics`: the daemon's figures in the Prometheus exposition format
//! (OpenMetrics text, through the `prometheus-client` crate).
//!
//! Invariants:
//! - Recording on a request's path is cheap: a request is one counter and
//!   one histogram observation found by label lookup ([`HttpMetrics`],
//!   measured in BENCHMARKS.md); WebSocket and file-storage events are a
//!   counter each. Nothing on the hot path locks for longer than a lookup,
//!   allocates after a label set's first use, or touches the disk.
//! - What is costly or blocking is read only when scraped, off the async
//!   runtime: the data dir's disk space and the store file's size on a
//!   blocking thread, the outbox's depth in a store read. The store's writer
//!   counts its batches in atomics of its own (`commcenter_store`, which
//!   knows nothing of Prometheus); [`store::WriterCollector`] reads them at
//!   scrape time.
//! - Label values come from fixed sets (route templates, status codes,
//!   close causes, channels), never from request data, so the number of
//!   series is bounded.
//!
//! The route answers only the admin; `--metrics-listen` serves the same
//! text without a token on a second address ([`listener`]).

pub mod listener;
mod requests;
mod store;

use commcenter::wire::Channel;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::{Registry, Unit};

pub use self::requests::{HttpMetrics, UNMATCHED};
use crate::app::{AppState, STORE_FILE};

/// The `Content-Type` of the exposition.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Every metric the daemon exports, registered once.
pub struct Metrics {
    registry: Registry,
    pub http: HttpMetrics,
    scraped: Scraped,
    /// 1 while the data dir's disk is under `--disk-low-percent` (`disk_watch`).
    disk_low: Gauge,
}

/// Gauges set at each scrape from what is read then.
#[derive(Default)]
struct Scraped {
    store_bytes: Gauge,
    disk_available: Gauge,
    disk_total: Gauge,
    outbox_queued: Family<ChannelLabels, Gauge>,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ChannelLabels {
    channel: &'static str,
}

/// WebSocket connections: held by the hub, exported here.
#[derive(Clone, Default)]
pub struct RealtimeMetrics {
    open: Gauge,
    closes: Family<CloseLabels, Counter>,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CloseLabels {
    cause: &'static str,
    code: u16,
}

/// Keeps a connection counted as open until dropped.
pub struct OpenConnection(Gauge);

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.0.dec();
    }
}

impl RealtimeMetrics {
    /// Counts a connection open while the answer lives.
    pub fn opened(&self) -> OpenConnection {
        self.open.inc();
        OpenConnection(self.open.clone())
    }

    /// Counts a close: its cause and close code (0: no close frame of ours).
    pub fn closed(&self, cause: &'static str, code: u16) {
        self.closes
            .get_or_create(&CloseLabels { cause, code })
            .inc();
    }
}

/// Failures of the file storage, by operation: held by `Files`.
#[derive(Clone, Default)]
pub struct FileStorageErrors(Family<OperationLabels, Counter>);

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OperationLabels {
    operation: &'static str,
}

impl FileStorageErrors {
    /// Counts a failure of `operation` (`write`, `read`, `delete`, `health`).
    pub fn failed(&self, operation: &'static str) {
        self.0.get_or_create(&OperationLabels { operation }).inc();
    }
}

impl Metrics {
    /// Registers every metric; the hub's, the files' and the store's are
    /// read from them.
    pub fn new(state_parts: &Parts<'_>) -> Metrics {
        let mut registry = Registry::with_prefix("commcenter");
        let http = HttpMetrics::default();
        http.register(&mut registry);
        let scraped = Scraped::default();
        scraped.register(&mut registry);
        state_parts.register(&mut registry);
        let disk_low = Gauge::default();
        registry.register(
            "disk_low",
            "1 while free space on the data dir's disk is under --disk-low-percent (checked every 30 s), else 0",
            disk_low.clone(),
        );
        Metrics {
            registry,
            http,
            scraped,
            disk_low,
        }
    }

    /// Records whether the data dir's disk is low (`disk_watch`).
    pub fn set_disk_low(&self, low: bool) {
        self.disk_low.set(i64::from(low));
    }
}

/// The parts of the state whose metrics live with them.
pub struct Parts<'a> {
    pub store: &'a commcenter_store::Store,
    pub realtime: &'a RealtimeMetrics,
    pub file_errors: &'a FileStorageErrors,
    pub auth_throttle: &'a crate::auth_throttle::AuthThrottle,
}

impl Parts<'_> {
    fn register(&self, registry: &mut Registry) {
        let realtime = self.realtime.clone();
        registry.register(
            "websocket_connections",
            "WebSocket connections open now",
            realtime.open,
        );
        registry.register(
            "websocket_closes",
            "WebSocket connections closed, by cause (too_slow and replaced are evictions) and close code (0: closed by the client or the network)",
            realtime.closes,
        );
        registry.register(
            "file_storage_errors",
            "Failed operations of the file storage (the blob store), by operation",
            self.file_errors.0.clone(),
        );
        let (failures, refusals) = self.auth_throttle.counters();
        registry.register(
            "auth_failures",
            "Failed authentications (unknown, revoked or expired tokens, bad WebSocket tickets)",
            failures,
        );
        registry.register(
            "auth_refusals",
            "Attempts refused with 429 because their address failed to authenticate too often",
            refusals,
        );
        registry.register_collector(Box::new(store::WriterCollector::new(self.store.clone())));
    }
}

impl Scraped {
    fn register(&self, registry: &mut Registry) {
        registry.register_with_unit(
            "store_file",
            "Size of the store's file",
            Unit::Bytes,
            self.store_bytes.clone(),
        );
        registry.register_with_unit(
            "disk_available",
            "Bytes the daemon may still use on the data dir's file system",
            Unit::Bytes,
            self.disk_available.clone(),
        );
        registry.register_with_unit(
            "disk_total",
            "Size of the data dir's file system",
            Unit::Bytes,
            self.disk_total.clone(),
        );
        registry.register(
            "outbox_queued",
            "Messages waiting in the outbox for delivery, by channel",
            self.outbox_queued.clone(),
        );
    }
}

/// What a scrape reads besides the counters.
struct Sample {
    store_bytes: Option<u64>,
    disk: Option<crate::disk::DiskSpace>,
    outbox: Option<Vec<(Channel, u64)>>,
}

/// The exposition: reads the scrape-time figures, then encodes everything.
pub async fn render(state: &AppState) -> String {
    let sample = sample(state).await;
    let metrics = &state.metrics;
    metrics.scraped.set(&sample);
    let mut text = String::new();
    if let Err(e) = prometheus_client::encoding::text::encode(&mut text, &metrics.registry) {
        tracing::error!(error = %e, "metrics did not encode");
    }
    text
}

/// Reads the disk and the store file on a blocking thread, and the outbox
/// in a store read. A figure that cannot be read keeps its last value.
async fn sample(state: &AppState) -> Sample {
    let data_dir = state.settings.data_dir.clone();
    let files = tokio::task::spawn_blocking(move || {
        let store_bytes = std::fs::metadata(data_dir.join(STORE_FILE)).map(|m| m.len());
        (store_bytes.ok(), crate::disk::space(&data_dir).ok())
    })
    .await;
    let (store_bytes, disk) = files.unwrap_or((None, None));
    let outbox = state.store.read(|v| v.outbox_depth()).await.ok();
    Sample {
        store_bytes,
        disk,
        outbox,
    }
}

impl Scraped {
    fn set(&self, sample: &Sample) {
        let as_gauge = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        if let Some(bytes) = sample.store_bytes {
            self.store_bytes.set(as_gauge(bytes));
        }
        if let Some(disk) = sample.disk {
            self.disk_available.set(as_gauge(disk.available));
            self.disk_total.set(as_gauge(disk.total));
        }
        if let Some(depth) = &sample.outbox {
            // The outbox's channels are always there, 0 when empty.
            for channel in [Channel::Sms, Channel::Email] {
                let queued = depth.iter().find(|(c, _)| *c == channel).map_or(0, |d| d.1);
                self.outbox_queued
                    .get_or_create(&ChannelLabels {
                        channel: channel.as_str(),
                    })
                    .set(as_gauge(queued));
            }
        }
    }
}

/// The `200` answer carrying the exposition.
pub async fn exposition(state: &AppState) -> crate::http::Response {
    let text = render(state).await;
    let mut response = ::http::Response::new(crate::http::full(text));
    response.headers_mut().insert(
        ::http::header::CONTENT_TYPE,
        ::http::HeaderValue::from_static(CONTENT_TYPE),
    );
    response
}

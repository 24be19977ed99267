//! The store writer's own counts, read at scrape time.

use commcenter_store::{HistogramSnapshot, Store};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric, NoLabelSet};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Unit;

/// Encodes `Store::write_stats` as a batch counter and two histograms.
pub(super) struct WriterCollector {
    store: Store,
}

impl WriterCollector {
    pub(super) fn new(store: Store) -> Self {
        WriterCollector { store }
    }
}

impl std::fmt::Debug for WriterCollector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WriterCollector")
    }
}

impl Collector for WriterCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let stats = self.store.write_stats();
        let batches = ConstCounter::new(stats.batch_jobs.count);
        batches.encode(encoder.encode_descriptor(
            "store_write_batches",
            "Write batches committed (one transaction and one fsync each)",
            None,
            batches.metric_type(),
        )?)?;
        encode_histogram(
            &mut encoder,
            "store_write_batch_jobs",
            "Writes (jobs) per committed batch",
            None,
            &stats.batch_jobs,
            1.0,
        )?;
        encode_histogram(
            &mut encoder,
            "store_commit_duration",
            "Time of each batch's commit, its fsync included",
            Some(&Unit::Seconds),
            &stats.commit_micros,
            1e-6,
        )
    }
}

/// Writes a snapshot's buckets (bounds multiplied by `scale`) as a
/// histogram; the encoder wants per-bucket counts, `+Inf` last.
fn encode_histogram(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    unit: Option<&Unit>,
    snapshot: &HistogramSnapshot,
    scale: f64,
) -> Result<(), std::fmt::Error> {
    let mut buckets = Vec::with_capacity(snapshot.buckets.len() + 1);
    let mut below = 0;
    for &(bound, cumulative) in &snapshot.buckets {
        buckets.push((bound as f64 * scale, cumulative - below));
        below = cumulative;
    }
    buckets.push((f64::MAX, snapshot.count - below));
    let sum = snapshot.sum as f64 * scale;
    encoder
        .encode_descriptor(name, help, unit, MetricType::Histogram)?
        .encode_histogram::<NoLabelSet>(sum, snapshot.count, &buckets, None)
}

//! What the writer has done, counted as it goes: committed batches, their
//! sizes in jobs, and how long each commit (its fsync) took.
//!
//! Recording is a few relaxed atomic adds on the writer thread after each
//! commit; nothing here locks or allocates. Readers (the daemon's
//! `/metrics`) take a [`WriteStatsSnapshot`] at scrape time. The counters
//! are independent, so a snapshot taken during a commit may count a batch
//! in one figure and not yet in another; each figure on its own only grows.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds of the jobs-per-batch buckets (`MAX_BATCH` is 2,048).
const BATCH_JOBS_BOUNDS: &[u64] = &[1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048];
/// Upper bounds of the commit-time buckets, in microseconds (0.25 ms to 5 s:
/// an fsync on an SSD takes around a millisecond, on a busy disk far more).
const COMMIT_MICROS_BOUNDS: &[u64] = &[
    250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000,
    2_500_000, 5_000_000,
];

/// The writer's counters; shared by the writer and the store's handles.
#[derive(Debug)]
pub struct WriteStats {
    batch_jobs: AtomicHistogram,
    commit_micros: AtomicHistogram,
}

impl Default for WriteStats {
    fn default() -> Self {
        WriteStats {
            batch_jobs: AtomicHistogram::new(BATCH_JOBS_BOUNDS),
            commit_micros: AtomicHistogram::new(COMMIT_MICROS_BOUNDS),
        }
    }
}

impl WriteStats {
    /// A committed batch of `jobs` writes whose commit took `took`.
    pub(super) fn committed(&self, jobs: usize, took: Duration) {
        self.batch_jobs.observe(jobs as u64);
        let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        self.commit_micros.observe(micros);
    }

    /// The figures as they are now.
    pub fn snapshot(&self) -> WriteStatsSnapshot {
        WriteStatsSnapshot {
            batch_jobs: self.batch_jobs.snapshot(),
            commit_micros: self.commit_micros.snapshot(),
        }
    }
}

/// The writer's figures at one moment.
#[derive(Debug, Clone, PartialEq)]
pub struct WriteStatsSnapshot {
    /// Jobs per committed batch; its `count` is the number of batches
    /// committed and its `sum` the number of jobs in them.
    pub batch_jobs: HistogramSnapshot,
    /// Time of each commit (including its fsync), in microseconds.
    pub commit_micros: HistogramSnapshot,
}

/// A histogram's buckets, count and sum, in Prometheus' form: each bucket
/// counts the observations at or below its bound (cumulative).
#[derive(Debug, Clone, PartialEq)]
pub struct HistogramSnapshot {
    /// `(upper bound, observations <= bound)`, bounds ascending; the
    /// `+Inf` bucket is `count`.
    pub buckets: Vec<(u64, u64)>,
    pub count: u64,
    pub sum: u64,
}

/// A fixed-bucket histogram of `u64` observations made of atomics.
#[derive(Debug)]
struct AtomicHistogram {
    bounds: &'static [u64],
    /// Per bucket (not cumulative); one more than `bounds`, for `+Inf`.
    counts: Box<[AtomicU64]>,
    sum: AtomicU64,
}

impl AtomicHistogram {
    fn new(bounds: &'static [u64]) -> Self {
        AtomicHistogram {
            bounds,
            counts: (0..=bounds.len()).map(|_| AtomicU64::new(0)).collect(),
            sum: AtomicU64::new(0),
        }
    }

    fn observe(&self, value: u64) {
        let bucket = self.bounds.partition_point(|&bound| bound < value);
        self.counts[bucket].fetch_add(1, Ordering::Relaxed);
        self.sum.fetch_add(value, Ordering::Relaxed);
    }

    fn snapshot(&self) -> HistogramSnapshot {
        let mut cumulative = 0;
        let mut buckets = Vec::with_capacity(self.bounds.len());
        for (bound, count) in self.bounds.iter().zip(self.counts.iter()) {
            cumulative += count.load(Ordering::Relaxed);
            buckets.push((*bound, cumulative));
        }
        let over = self.counts[self.bounds.len()].load(Ordering::Relaxed);
        HistogramSnapshot {
            buckets,
            count: cumulative + over,
            sum: self.sum.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn observations_land_in_the_first_bucket_whose_bound_they_do_not_exceed() {
        let histogram = AtomicHistogram::new(&[1, 4, 16]);
        for value in [1, 2, 4, 5, 100] {
            histogram.observe(value);
        }
        let snapshot = histogram.snapshot();
        assert_eq!(snapshot.buckets, [(1, 1), (4, 3), (16, 4)]);
        assert_eq!(snapshot.count, 5);
        assert_eq!(snapshot.sum, 112);
    }

    #[test]
    fn a_commit_counts_its_batch_jobs_and_time() {
        let stats = WriteStats::default();
        stats.committed(3, Duration::from_micros(700));
        stats.committed(1, Duration::from_millis(2));
        let snapshot = stats.snapshot();
        assert_eq!(snapshot.batch_jobs.count, 2);
        assert_eq!(snapshot.batch_jobs.sum, 4);
        assert_eq!(snapshot.commit_micros.sum, 2_700);
        let under_1ms = snapshot
            .commit_micros
            .buckets
            .iter()
            .find(|(b, _)| *b == 1_000);
        assert_eq!(under_1ms, Some(&(1_000, 1)));
    }
}

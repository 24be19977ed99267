//! The low-disk warning: the data dir's disk is checked every
//! [`CHECK_EVERY`], and a warning is logged when its free space drops under
//! `--disk-low-percent`, before writes start failing.
//!
//! Invariants: the warning is logged once per drop: not again while the
//! space stays low, and again only after it recovered (back at or above
//! the threshold, logged as such) and dropped once more. The state is also
//! `commcenter_disk_low` in `/metrics` (1 while low). The first check runs
//! when the daemon starts; `statvfs` runs on a blocking thread.

use std::time::Duration;

use tokio::sync::watch;

use crate::app::AppState;
use crate::disk::{self, DiskSpace};

/// How often the disk is checked.
pub const CHECK_EVERY: Duration = Duration::from_secs(30);

/// What a check found, against the state before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    Dropped,
    Recovered,
    Unchanged,
}

/// Whether the disk went low or recovered: low is under `threshold`
/// percent free.
fn change(was_low: bool, space: &DiskSpace, threshold: f64) -> Change {
    let low = space.available_percent() < threshold;
    match (was_low, low) {
        (false, true) => Change::Dropped,
        (true, false) => Change::Recovered,
        _ => Change::Unchanged,
    }
}

/// Checks the disk until `stop` turns true.
pub async fn run(state: AppState, mut stop: watch::Receiver<bool>) {
    let threshold = state.settings.ops.disk_low_percent;
    let mut low = false;
    let mut failing = false;
    let mut every = tokio::time::interval(CHECK_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stop.wait_for(|s| *s) => return,
            _ = every.tick() => {}
        }
        let dir = state.settings.data_dir.clone();
        let space = match tokio::task::spawn_blocking(move || disk::space(&dir)).await {
            Ok(Ok(space)) => space,
            Ok(Err(error)) => {
                if !std::mem::replace(&mut failing, true) {
                    tracing::warn!(%error, "cannot read the data dir's free space");
                }
                continue;
            }
            Err(_) => continue,
        };
        failing = false;
        match change(low, &space, threshold) {
            Change::Dropped => {
                low = true;
                tracing::warn!(
                    available_bytes = space.available,
                    total_bytes = space.total,
                    "the data dir's disk is almost full: {:.1} % free, under --disk-low-percent {threshold}; writes fail when it is full",
                    space.available_percent()
                );
            }
            Change::Recovered => {
                low = false;
                tracing::info!(
                    available_bytes = space.available,
                    "the data dir's disk has room again: {:.1} % free",
                    space.available_percent()
                );
            }
            Change::Unchanged => {}
        }
        state.metrics.set_disk_low(low);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn space(available: u64) -> DiskSpace {
        DiskSpace {
            available,
            total: 100,
        }
    }

    #[test]
    fn a_drop_is_told_once_and_again_only_after_a_recovery() {
        let mut low = false;
        let mut told = Vec::new();
        for free in [50, 4, 3, 4, 6, 7, 2, 1] {
            let change = change(low, &space(free), 5.0);
            low = match change {
                Change::Dropped => true,
                Change::Recovered => false,
                Change::Unchanged => low,
            };
            told.push(change);
        }
        use Change::*;
        assert_eq!(
            told,
            [Unchanged, Dropped, Unchanged, Unchanged, Recovered, Unchanged, Dropped, Unchanged]
        );
    }

    #[test]
    fn exactly_the_threshold_is_not_low() {
        assert_eq!(change(false, &space(5), 5.0), Change::Unchanged);
        assert_eq!(change(true, &space(5), 5.0), Change::Recovered);
    }
}

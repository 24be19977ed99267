//! The event log's retention: a background job that prunes events older
//! than the retention (and tickets that expired unredeemed) at start and
//! then every `prune_interval`.

use std::time::Duration;

use commcenter::Timestamp;
use commcenter_store::Store;
use tokio::sync::watch;
use tokio::time::MissedTickBehavior;

use super::stopping;
use crate::settings::RealtimeSettings;

/// Events removed per write: keeps each of the writer's transactions short,
/// so that pruning a large backlog never holds up messages for long.
const PRUNE_BATCH: usize = 2_000;

pub(super) async fn run(store: Store, settings: RealtimeSettings, mut stop: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(settings.prune_interval.max(Duration::from_millis(10)));
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stopping(&mut stop) => return,
            _ = tick.tick() => prune_once(&store, settings.event_retention).await,
        }
    }
}

async fn prune_once(store: &Store, retention: Duration) {
    let retention_ms = i64::try_from(retention.as_millis()).unwrap_or(i64::MAX);
    let cutoff = Timestamp::from_millis(Timestamp::now().millis().saturating_sub(retention_ms));
    let mut pruned = 0;
    loop {
        match store
            .write(move |tx| tx.prune_events(cutoff, PRUNE_BATCH))
            .await
        {
            Ok(n) => {
                pruned += n;
                if n < PRUNE_BATCH {
                    break;
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "pruning the event log failed");
                return;
            }
        }
    }
    if pruned > 0 {
        tracing::info!(pruned, cutoff = %cutoff, "pruned the event log");
    }
    if let Err(e) = store.write(|tx| tx.prune_ws_tickets()).await {
        tracing::warn!(error = %e, "pruning expired websocket tickets failed");
    }
    if let Err(e) = store.write(|tx| tx.prune_portal_codes()).await {
        tracing::warn!(error = %e, "pruning expired portal sign-in codes failed");
    }
}

//! The fan-out task: committed events, from the store's broadcast to the
//! outboxes of the connections allowed to see them, in `seq` order.
//!
//! Invariant: the index's position moves one `seq` at a time. When the
//! broadcast skips ahead (this task lagged behind it) the missing events are
//! read from the event log; only if the log no longer has them are all
//! connections evicted, so that each resumes and learns it must resync.
//! An event is never dropped silently.

use std::sync::Arc;

use commcenter::access::Audience;
use commcenter::wire::{Event, EventData};
use commcenter::Id;
use commcenter_store::StoredEvent;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{broadcast, watch};

use super::index::OutFrame;
use super::{stopping, Hub};

/// Events read from the log per read while catching up.
const CATCH_UP_CHUNK: usize = 1024;

/// Runs until the server stops or the store goes away.
pub(super) async fn run(
    hub: Hub,
    mut events: broadcast::Receiver<Arc<StoredEvent>>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        let received = tokio::select! {
            _ = stopping(&mut stop) => return,
            received = events.recv() => received,
        };
        match received {
            Ok(event) => hub.fan_out(&event).await,
            Err(RecvError::Lagged(missed)) => {
                tracing::warn!(
                    missed,
                    "the hub fell behind; catching up from the event log"
                );
                hub.catch_up(hub.store().last_seq()).await;
            }
            Err(RecvError::Closed) => return,
        }
    }
}

impl Hub {
    /// Publishes one event from the broadcast, first filling any gap before
    /// it from the log; one already published from the log is skipped.
    async fn fan_out(&self, event: &StoredEvent) {
        let position = self.index().position();
        if event.seq <= position {
            return;
        }
        if event.seq > position + 1 {
            self.catch_up(event.seq - 1).await;
        }
        self.publish(event);
    }

    /// Publishes the logged events after the position, through `until`.
    async fn catch_up(&self, until: u64) {
        loop {
            let after = self.index().position();
            if after >= until {
                return;
            }
            let read = self
                .store()
                .read(move |v| v.events_range(after, CATCH_UP_CHUNK))
                .await;
            let chunk = match read {
                Ok(chunk) if !chunk.is_empty() => chunk,
                Ok(_) => return self.lose_events(until, "the log ends early"),
                Err(e) => return self.lose_events(until, &e.to_string()),
            };
            if chunk[0].seq != after + 1 {
                self.lose_events(chunk[0].seq - 1, "the log was pruned past the hub");
            }
            for event in chunk.iter().filter(|e| e.seq <= until) {
                self.publish(event);
            }
        }
    }

    /// Events through `through` cannot be published: every connection is
    /// closed (1013) so that none goes on with a gap, and the position moves on.
    fn lose_events(&self, through: u64, why: &str) {
        tracing::error!(
            through,
            why,
            "events could not be fanned out; closing every websocket"
        );
        let mut index = self.index();
        index.evict_all();
        index.skip_to(through);
    }

    fn publish(&self, event: &StoredEvent) {
        let crew = crew_change(event);
        let frame = Arc::new(OutFrame {
            seq: Some(event.seq),
            text: event.frame.clone().into(),
        });
        self.index().publish(&event.audience, &frame, crew);
    }
}

/// A project's new crew, when the event is a `project.updated` (the only
/// event whose audience is a project).
fn crew_change(event: &StoredEvent) -> Option<(Id, Vec<Id>)> {
    if !matches!(event.audience, Audience::Project { .. }) {
        return None;
    }
    match serde_json::from_str::<Event>(&event.frame) {
        Ok(Event {
            data: EventData::ProjectUpdated { project },
            ..
        }) => Some((project.id, project.crew_ids)),
        Ok(_) => None,
        Err(e) => {
            tracing::error!(seq = event.seq, error = %e, "a project event did not parse");
            None
        }
    }
}

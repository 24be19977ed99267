//! Real time: `GET /api/v1/ws`, its hub, presence and the event log's
//! retention.
//!
//! The store publishes every committed event, in `seq` order, on a
//! broadcast channel. One fan-out task ([`fanout`]) takes them from there
//! and queues each on the bounded outbox of every connection allowed to see
//! it ([`index`]); a task per connection ([`connection`]) writes its outbox
//! to the socket and handles what the client sends. A client that lets its
//! outbox fill is evicted (close 1013), so nobody waits for it. Replay of
//! missed events reads the same log the live events come from.

mod connection;
mod fanout;
pub(crate) mod handshake;
mod index;
mod retention;

use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};

use commcenter::access::{Audience, Caller};
use commcenter::wire::{LiveFrame, Presence};
use commcenter::{Id, Timestamp};
use commcenter_store::{Store, StoreError};
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_tungstenite::WebSocketStream;

pub(crate) use connection::{Resume, Session};
use index::{Index, OutFrame};

use crate::lease::ConnectionLease;
use crate::metrics::RealtimeMetrics;
use crate::settings::RealtimeSettings;

/// The largest frame or message a client may send; larger is closed with 1009.
pub const MAX_CLIENT_FRAME_BYTES: usize = 64 * 1024;
/// Bytes read from the socket at a time. Client frames are small, and
/// tungstenite allocates this eagerly for every connection, idle or not.
const READ_BUFFER_BYTES: usize = 2 * 1024;

/// The WebSocket hub; cheap to clone.
#[derive(Clone)]
pub struct Hub {
    inner: Arc<Shared>,
}

struct Shared {
    store: Store,
    settings: RealtimeSettings,
    index: Mutex<Index>,
    /// Connections open, and closes by cause (`/metrics`).
    metrics: RealtimeMetrics,
    /// The server's shutdown signal, from [`Hub::start`].
    stop: OnceLock<watch::Receiver<bool>>,
}

/// The hub's background tasks, to be joined once the server has stopped.
pub struct HubTasks {
    tasks: Vec<JoinHandle<()>>,
}

impl HubTasks {
    /// Waits for the fan-out and pruning tasks, which end when the stop
    /// signal given to [`Hub::start`] is set.
    pub async fn join(self) {
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

impl Hub {
    pub fn new(store: Store, settings: RealtimeSettings) -> Hub {
        Hub {
            inner: Arc::new(Shared {
                store,
                settings,
                index: Mutex::new(Index::default()),
                metrics: RealtimeMetrics::default(),
                stop: OnceLock::new(),
            }),
        }
    }

    /// Loads the crew assignments and starts fanning out and pruning, until
    /// `stop` turns true; then every connection closes with 1001.
    pub async fn start(&self, stop: watch::Receiver<bool>) -> Result<HubTasks, StoreError> {
        // Subscribe before the snapshot, so that no event after it is missed.
        let events = self.inner.store.subscribe();
        let (position, assignments) = self.inner.store.read(|v| v.crew_assignments()).await?;
        self.index().load(position, assignments);
        let _ = self.inner.stop.set(stop.clone());
        let fanout = tokio::spawn(fanout::run(self.clone(), events, stop.clone()));
        let pruner = tokio::spawn(retention::run(
            self.inner.store.clone(),
            self.inner.settings.clone(),
            stop,
        ));
        Ok(HubTasks {
            tasks: vec![fanout, pruner],
        })
    }

    pub fn settings(&self) -> &RealtimeSettings {
        &self.inner.settings
    }

    pub fn metrics(&self) -> &RealtimeMetrics {
        &self.inner.metrics
    }

    fn store(&self) -> &Store {
        &self.inner.store
    }

    fn index(&self) -> MutexGuard<'_, Index> {
        // The index stays consistent if a holder panicked: every operation
        // completes its map updates before anything that could panic.
        self.inner
            .index
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The server's stop signal (a closed one if the hub was never started).
    fn stop_signal(&self) -> watch::Receiver<bool> {
        match self.inner.stop.get() {
            Some(stop) => stop.clone(),
            None => watch::channel(true).1,
        }
    }

    /// Serves an accepted upgrade: waits for hyper to hand over the socket,
    /// then runs the connection. `lease` keeps the connection counted
    /// against `--max-connections` until it closes.
    pub(crate) fn accept(
        &self,
        upgrade: OnUpgrade,
        session: Session,
        lease: Option<ConnectionLease>,
    ) {
        let hub = self.clone();
        tokio::spawn(async move {
            let _lease = lease;
            let upgraded = match upgrade.await {
                Ok(upgraded) => upgraded,
                Err(e) => {
                    tracing::debug!(error = %e, "websocket upgrade failed");
                    return;
                }
            };
            let ws = WebSocketStream::from_raw_socket(
                TokioIo::new(upgraded),
                Role::Server,
                Some(ws_config()),
            )
            .await;
            connection::serve(hub, ws, session).await;
        });
    }

    /// `GET /presence`: every user, online or not, oldest user first.
    pub async fn presence(&self, caller: &Caller) -> Result<Vec<Presence>, StoreError> {
        let caller = *caller;
        let seen = self
            .store()
            .read(move |v| v.users_last_seen(&caller))
            .await?;
        let now = Timestamp::now();
        let index = self.index();
        Ok(seen
            .into_iter()
            .map(|(user_id, last_seen_at)| {
                let online = index.is_online(&user_id);
                Presence {
                    user_id,
                    online,
                    last_seen_at: if online { Some(now) } else { last_seen_at },
                }
            })
            .collect())
    }

    /// Queues a live-only frame (typing) for `audience`, except `sender`'s connections.
    fn deliver(&self, audience: &Audience, frame: &LiveFrame, sender: Id) {
        let frame = OutFrame::live(frame);
        self.index().deliver(audience, &frame, Some(sender));
    }
}

/// No compression (none is negotiated), client frames and messages capped
/// at 64 KiB, a small read buffer, and every frame written through at once
/// (`write_buffer_size` 0) so nothing accumulates for an idle connection.
fn ws_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(READ_BUFFER_BYTES)
        .write_buffer_size(0)
        .max_message_size(Some(MAX_CLIENT_FRAME_BYTES))
        .max_frame_size(Some(MAX_CLIENT_FRAME_BYTES))
}

/// Completes when the server is stopping (or its signal is gone).
async fn stopping(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|stopping| *stopping).await;
}

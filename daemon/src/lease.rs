//! A connection's place under the connection budget (`--max-connections`).
//!
//! Handed to every request on the connection, so that a WebSocket upgrade
//! can keep it for as long as the upgraded connection lives; the place is
//! freed when the last clone drops.

use std::sync::Arc;

use tokio::sync::OwnedSemaphorePermit;

#[derive(Clone)]
pub(crate) struct ConnectionLease {
    _permit: Arc<OwnedSemaphorePermit>,
}

impl ConnectionLease {
    pub(crate) fn new(permit: OwnedSemaphorePermit) -> ConnectionLease {
        ConnectionLease {
            _permit: Arc::new(permit),
        }
    }
}

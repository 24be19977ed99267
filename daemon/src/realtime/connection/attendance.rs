//! Presence: a user is online while one of their connections is open, and
//! is seen (`last_seen_at`) when a connection opens and when it closes.

use commcenter::access::{self, Caller};
use commcenter::{Id, Timestamp};

use crate::realtime::Hub;

/// Keeps a user counted as online while one of their connections is open;
/// also when the connection's task panics (the count drops with it).
pub(super) struct Attendance {
    hub: Hub,
    user: Id,
    counted: bool,
}

impl Attendance {
    /// Counts the connection and records the user as seen now. The write
    /// finishes before `hello`, so a client that got `hello` finds its
    /// `last_seen_at` set.
    pub(super) async fn begin(hub: Hub, caller: Caller) -> Attendance {
        let (user, now) = (caller.user_id, Timestamp::now());
        hub.index()
            .connected(user, access::in_every_audience(&caller), now);
        touch_last_seen(&hub, user, now).await;
        Attendance {
            hub,
            user,
            counted: true,
        }
    }

    pub(super) async fn end(&mut self) {
        let now = Timestamp::now();
        self.leave(now);
        touch_last_seen(&self.hub, self.user, now).await;
    }

    fn leave(&mut self, at: Timestamp) {
        if std::mem::take(&mut self.counted) {
            self.hub.index().disconnected(self.user, at);
        }
    }
}

impl Drop for Attendance {
    fn drop(&mut self) {
        self.leave(Timestamp::now());
    }
}

async fn touch_last_seen(hub: &Hub, user: Id, at: Timestamp) {
    if let Err(e) = hub
        .store()
        .write(move |tx| tx.touch_last_seen(user, at))
        .await
    {
        tracing::debug!(error = %e, "last_seen_at not recorded");
    }
}

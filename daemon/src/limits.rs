//! Per-client limits, so that one client cannot slow anyone else down.
//!
//! - [`TimedBody`]: a request body must keep arriving. Waiting longer than
//!   `body_idle_timeout` for its next piece, or an average below
//!   `body_min_bytes_per_s` once `body_grace` has been spent waiting for
//!   it, ends it with an error (the handler answers
//!   400 and the connection closes), so a stalled body holds its connection
//!   for seconds, not forever.
//! - [`InFlight`]: each user has at most `requests_per_user` requests being
//!   served at once; one more is answered 429 before its body is read. A
//!   script stalling a thousand bodies on one token holds only its own
//!   share, and every other user's requests are served as before.
//!
//! The limits are settings (`settings::ClientLimits`). The WebSocket cap
//! per user (`RealtimeSettings::sockets_per_user`) lives
//! with the hub (`realtime::index`), which closes a user's oldest socket
//! when a new one would exceed it.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use commcenter::wire::ErrorCode;
use commcenter::Id;
use hyper::body::{Body, Frame, Incoming, SizeHint};
use tokio::time::{Instant, Sleep};

use crate::error::ApiError;
pub use crate::settings::ClientLimits;

/// Why a request body was cut off.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    #[error(transparent)]
    Connection(#[from] hyper::Error),
    #[error("the request body stalled: nothing arrived for {0:?}")]
    Stalled(Duration),
    #[error(
        "the request body is too slow: {received} bytes in {elapsed_s} s, below {min} bytes/s"
    )]
    TooSlow {
        received: u64,
        elapsed_s: u64,
        min: u64,
    },
}

/// A request body under the idle and minimum-rate deadlines.
///
/// Both count only the time the daemon spends waiting for the client: a
/// handler that pauses reading (an upload waiting for the image budget)
/// does not make its client look slow.
pub struct TimedBody {
    inner: Incoming,
    idle_timeout: Duration,
    min_bytes_per_s: u64,
    grace: Duration,
    received: u64,
    /// Time spent waiting for the client in earlier waits.
    waited: Duration,
    /// When the current wait began, while the body is waited for.
    wait_started: Option<Instant>,
    /// The current wait's deadline; made on the first wait, reset by each.
    idle: Option<Pin<Box<Sleep>>>,
}

impl TimedBody {
    pub fn new(inner: Incoming, limits: &ClientLimits) -> TimedBody {
        TimedBody {
            inner,
            idle_timeout: limits.body_idle_timeout,
            min_bytes_per_s: limits.body_min_bytes_per_s,
            grace: limits.body_grace,
            received: 0,
            waited: Duration::ZERO,
            wait_started: None,
            idle: None,
        }
    }

    fn too_slow(&self) -> Option<BodyError> {
        if self.waited < self.grace {
            return None;
        }
        let expected = self.min_bytes_per_s.saturating_mul(self.waited.as_secs());
        (self.received < expected).then(|| BodyError::TooSlow {
            received: self.received,
            elapsed_s: self.waited.as_secs(),
            min: self.min_bytes_per_s,
        })
    }

    /// Something arrived: the current wait, if any, ends.
    fn arrived(&mut self, bytes: u64) {
        self.received = self.received.saturating_add(bytes);
        if let Some(started) = self.wait_started.take() {
            self.waited += started.elapsed();
        }
    }

    /// Nothing is there: a wait begins (its deadline set) or goes on.
    fn wait(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BodyError>>> {
        let deadline = Instant::now() + self.idle_timeout;
        if self.wait_started.is_none() {
            self.wait_started = Some(Instant::now());
            match self.idle.as_mut() {
                Some(idle) => idle.as_mut().reset(deadline),
                None => self.idle = Some(Box::pin(tokio::time::sleep_until(deadline))),
            }
        }
        let idle = self.idle.as_mut().expect("armed above");
        match idle.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Some(Err(BodyError::Stalled(self.idle_timeout)))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl Body for TimedBody {
    type Data = Bytes;
    type Error = BodyError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BodyError>>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                this.arrived(frame.data_ref().map_or(0, |d| d.len() as u64));
                match this.too_slow() {
                    Some(slow) => Poll::Ready(Some(Err(slow))),
                    None => Poll::Ready(Some(Ok(frame))),
                }
            }
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(e.into()))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => this.wait(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Requests in flight per user.
#[derive(Clone, Default)]
pub struct InFlight {
    counts: Arc<Mutex<HashMap<Id, usize>>>,
}

/// One request's place in its user's share; released on drop.
pub struct InFlightGuard {
    counts: Arc<Mutex<HashMap<Id, usize>>>,
    user: Id,
}

impl InFlight {
    /// A place for one more request of `user`, or 429 when `limit` are
    /// already being served.
    pub fn enter(&self, user: Id, limit: usize) -> Result<InFlightGuard, ApiError> {
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        let count = counts.entry(user).or_insert(0);
        if *count >= limit {
            return Err(ApiError::new(
                ErrorCode::RateLimited,
                format!("too many requests in flight for this user (at most {limit}); retry when one finishes"),
            ));
        }
        *count += 1;
        Ok(InFlightGuard {
            counts: self.counts.clone(),
            user,
        })
    }
}

impl Drop for InFlightGuard {
    fn drop(&mut self) {
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(count) = counts.get_mut(&self.user) {
            *count -= 1;
            if *count == 0 {
                counts.remove(&self.user);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_gets_at_most_the_limit_and_a_place_frees_on_drop() {
        let in_flight = InFlight::default();
        let (alice, bob) = (Id::from_u128(1), Id::from_u128(2));
        let first = in_flight.enter(alice, 2).unwrap();
        let _second = in_flight.enter(alice, 2).unwrap();
        let refused = in_flight.enter(alice, 2).err().unwrap();
        assert_eq!(refused.code, ErrorCode::RateLimited);
        assert!(in_flight.enter(bob, 2).is_ok(), "others are not limited");
        drop(first);
        assert!(in_flight.enter(alice, 2).is_ok());
    }
}

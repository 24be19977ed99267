//! Failed authentication, counted per client address, so that a script
//! trying tokens (or a broken one retrying a revoked token in a loop) is
//! slowed down without slowing anyone else.
//!
//! Invariants:
//! - A client is its IP address ([`ClientKey`]); IPv6 addresses are grouped
//!   by their /64 (one subscriber's line or one host usually holds a whole
//!   /64, so counting single IPv6 addresses would count nothing), and an
//!   IPv4-mapped IPv6 address counts as its IPv4 address.
//! - Counting is by fixed window: a client's first failure opens a window
//!   of `--auth-failure-window-s`; after `--auth-failures` failures in it,
//!   every further failed attempt is answered 429 `rate_limited` with
//!   `Retry-After` (the rest of the window) instead of 401. When the window
//!   ends, the count starts again.
//! - Only failures count and only failures are refused: a **valid** token
//!   is served whatever its address's count, so one bad script behind an
//!   office's NAT does not lock the office out. Tokens are 256 random bits,
//!   so answering a right guess gives a guesser nothing.
//! - Memory is bounded: at most [`MAX_CLIENTS`] addresses are tracked. When
//!   full, ended windows are dropped first, then the oldest window.
//! - Behind a reverse proxy every client has the proxy's address and shares
//!   one count (valid tokens are still served).
//!
//! # The hook for other credentials
//!
//! A route that checks a credential of its own (`POST /api/v1/portal/redeem`
//! with its single-use sign-in codes, or the WebSocket's `?ticket=`) uses
//! two methods of its `Ctx`:
//!
//! ```ignore
//! ctx.refuse_if_throttled()?;            // before a costly check (a store write)
//! let Some(user) = check(code).await? else {
//!     return Err(ctx.credential_failed(ApiError::unauthorized()));
//! };
//! ```
//!
//! `refuse_if_throttled` answers 429 while the address is over its count
//! (use it when checking costs something, such as redeeming a code in a
//! write transaction); `credential_failed` counts the failure and answers
//! the route's own error, or 429 once the address is over its count.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use commcenter::wire::ErrorCode;
use prometheus_client::metrics::counter::Counter;

use crate::error::ApiError;
use crate::settings::ClientLimits;

/// The most client addresses tracked at once (about 50 bytes each).
pub const MAX_CLIENTS: usize = 16_384;

/// Who failed: an IPv4 address, or an IPv6 /64.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientKey(IpAddr);

impl ClientKey {
    pub fn of(ip: IpAddr) -> ClientKey {
        match ip.to_canonical() {
            IpAddr::V4(v4) => ClientKey(IpAddr::V4(v4)),
            IpAddr::V6(v6) => {
                let prefix = v6.to_bits() & !((1u128 << 64) - 1);
                ClientKey(IpAddr::V6(Ipv6Addr::from_bits(prefix)))
            }
        }
    }
}

/// The failures of one client in its current window.
#[derive(Debug, Clone, Copy)]
struct Window {
    opened: Instant,
    failures: usize,
}

/// The failed-authentication counts; cheap to clone.
#[derive(Clone)]
pub struct AuthThrottle {
    inner: Arc<Inner>,
}

struct Inner {
    limit: usize,
    window: Duration,
    clients: Mutex<HashMap<ClientKey, Window>>,
    /// Failed authentications counted, and attempts answered 429 (`/metrics`).
    failures: Counter,
    refusals: Counter,
}

impl AuthThrottle {
    pub fn new(limits: &ClientLimits) -> AuthThrottle {
        AuthThrottle {
            inner: Arc::new(Inner {
                limit: limits.auth_failures,
                window: limits.auth_failure_window,
                clients: Mutex::new(HashMap::new()),
                failures: Counter::default(),
                refusals: Counter::default(),
            }),
        }
    }

    /// The counters `/metrics` exports: failures, and refusals (429).
    pub fn counters(&self) -> (Counter, Counter) {
        (self.inner.failures.clone(), self.inner.refusals.clone())
    }

    /// How long `client` must wait, when it is over its count now.
    pub fn throttled(&self, client: ClientKey, now: Instant) -> Option<Duration> {
        let clients = self.lock();
        let window = clients.get(&client)?;
        self.remaining_if_over(window, now)
    }

    /// Counts a failure of `client`; answers how long it must wait when it
    /// was already over its count (the attempt is then refused, not counted).
    pub fn failed(&self, client: ClientKey, now: Instant) -> Option<Duration> {
        self.inner.failures.inc();
        let mut clients = self.lock();
        if let Some(window) = clients.get_mut(&client) {
            if let Some(wait) = self.remaining_if_over(window, now) {
                return Some(wait);
            }
            if now.duration_since(window.opened) < self.inner.window {
                window.failures += 1;
                return None;
            }
        } else if clients.len() >= MAX_CLIENTS {
            self.make_room(&mut clients, now);
        }
        clients.insert(
            client,
            Window {
                opened: now,
                failures: 1,
            },
        );
        None
    }

    /// 429 with `Retry-After` for a client that must wait `wait`.
    pub fn refusal(&self, wait: Duration) -> ApiError {
        self.inner.refusals.inc();
        let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        ApiError::new(
            ErrorCode::RateLimited,
            format!("too many failed authentications from this address; try again in {seconds} s"),
        )
        .with_retry_after(seconds.max(1))
    }

    fn remaining_if_over(&self, window: &Window, now: Instant) -> Option<Duration> {
        let elapsed = now.duration_since(window.opened);
        (window.failures >= self.inner.limit && elapsed < self.inner.window)
            .then(|| self.inner.window - elapsed)
    }

    /// Drops ended windows; if none had ended, the oldest one.
    fn make_room(&self, clients: &mut HashMap<ClientKey, Window>, now: Instant) {
        let window = self.inner.window;
        clients.retain(|_, w| now.duration_since(w.opened) < window);
        if clients.len() < MAX_CLIENTS {
            return;
        }
        let oldest = clients
            .iter()
            .min_by_key(|(_, w)| w.opened)
            .map(|(k, _)| *k);
        if let Some(oldest) = oldest {
            clients.remove(&oldest);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<ClientKey, Window>> {
        self.inner.clients.lock().unwrap_or_else(|p| p.into_inner())
    }

    #[cfg(test)]
    fn tracked(&self) -> usize {
        self.lock().len()
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;
    use crate::settings::Settings;

    fn throttle(limit: usize, window_s: u64) -> AuthThrottle {
        let mut limits = Settings::for_data_dir(std::path::Path::new("/d")).limits;
        limits.auth_failures = limit;
        limits.auth_failure_window = Duration::from_secs(window_s);
        AuthThrottle::new(&limits)
    }

    fn v4(last: u8) -> ClientKey {
        ClientKey::of(IpAddr::V4(Ipv4Addr::new(192, 0, 2, last)))
    }

    #[test]
    fn ipv6_addresses_of_one_64_are_one_client_and_mapped_ipv4_is_ipv4() {
        let a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let other: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(ClientKey::of(a), ClientKey::of(b));
        assert_ne!(ClientKey::of(a), ClientKey::of(other));
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(ClientKey::of(mapped), v4(7));
    }

    #[test]
    fn after_the_limit_failures_are_refused_until_the_window_ends() {
        let throttle = throttle(3, 60);
        let start = Instant::now();
        for _ in 0..3 {
            assert_eq!(throttle.failed(v4(1), start), None);
        }
        let later = start + Duration::from_secs(10);
        assert_eq!(throttle.failed(v4(1), later), Some(Duration::from_secs(50)));
        assert_eq!(
            throttle.throttled(v4(1), later),
            Some(Duration::from_secs(50))
        );
        assert_eq!(
            throttle.throttled(v4(2), later),
            None,
            "others are not held"
        );
        let after = start + Duration::from_secs(60);
        assert_eq!(throttle.throttled(v4(1), after), None);
        assert_eq!(throttle.failed(v4(1), after), None, "a new window");
    }

    #[test]
    fn a_refusal_rounds_its_wait_up_to_whole_seconds() {
        let refusal = throttle(1, 60).refusal(Duration::from_millis(1500));
        assert_eq!(refusal.code, ErrorCode::RateLimited);
        assert_eq!(refusal.retry_after, Some(2));
    }

    #[test]
    fn the_tracked_addresses_are_bounded_and_the_oldest_goes_first() {
        let throttle = throttle(1, 60);
        let start = Instant::now();
        for n in 0..MAX_CLIENTS as u32 {
            let ip = IpAddr::V4(Ipv4Addr::from_bits(0x0a00_0000 + n));
            throttle.failed(
                ClientKey::of(ip),
                start + Duration::from_micros(u64::from(n)),
            );
        }
        assert_eq!(throttle.tracked(), MAX_CLIENTS);
        let first = ClientKey::of(IpAddr::V4(Ipv4Addr::from_bits(0x0a00_0000)));
        let now = start + Duration::from_secs(1);
        assert!(throttle.throttled(first, now).is_some());
        throttle.failed(v4(1), now);
        assert_eq!(throttle.tracked(), MAX_CLIENTS);
        assert_eq!(
            throttle.throttled(first, now),
            None,
            "the oldest was dropped"
        );
        assert!(throttle.throttled(v4(1), now).is_some());
    }
}

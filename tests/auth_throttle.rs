//! The failed-authentication throttle (`auth_throttle`): after
//! `--auth-failures` failed authentications from one address within the
//! window, further failed attempts from it get 429 with `Retry-After`;
//! other addresses and valid tokens are not affected (docs/api-notes.md).
//!
//! Requests go over raw sockets bound to a chosen loopback address
//! (127.0.0.1 or 127.0.0.2), so that the daemon sees two clients.

mod common;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use common::{TestDaemon, ADMIN_TOKEN};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpSocket;

const LIMIT: usize = 5;
const FIRST: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 1);
const SECOND: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 2);

/// An answer read off the socket.
struct Answer {
    status: u16,
    retry_after: Option<u64>,
    body: Value,
}

/// `GET path` with `Authorization: Bearer token` (none for `None`), sent
/// from `from` to the daemon.
async fn call(daemon: &TestDaemon, from: Ipv4Addr, path: &str, token: Option<&str>) -> Answer {
    let to: SocketAddr = daemon.addr().parse().unwrap();
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::new(IpAddr::V4(from), 0)).unwrap();
    let mut stream = socket.connect(to).await.expect("connect");
    let auth = token.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
    let request = format!("GET {path} HTTP/1.1\r\nHost: {to}\r\n{auth}Connection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut raw))
        .await
        .expect("an answer in time")
        .unwrap();
    parse(&String::from_utf8_lossy(&raw))
}

fn parse(raw: &str) -> Answer {
    let (head, body) = raw.split_once("\r\n\r\n").expect("a whole answer");
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let retry_after = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("retry-after:")
                .map(str::to_owned)
        })
        .map(|v| v.trim().parse().expect("Retry-After in seconds"));
    Answer {
        status,
        retry_after,
        body: serde_json::from_str(body).unwrap_or(Value::Null),
    }
}

async fn daemon(window: Duration) -> TestDaemon {
    TestDaemon::start_with(tempfile::tempdir().unwrap(), |s| {
        s.limits.auth_failures = LIMIT;
        s.limits.auth_failure_window = window;
    })
    .await
}

/// Spends `from`'s failures: `LIMIT` calls with an unknown token, each 401.
async fn use_up_failures(daemon: &TestDaemon, from: Ipv4Addr) {
    for n in 0..LIMIT {
        let answer = call(daemon, from, "/api/v1/me", Some("cct_not_a_token")).await;
        assert_eq!(answer.status, 401, "failure {n} is still a plain 401");
    }
}

#[tokio::test]
async fn failed_attempts_over_the_limit_get_429_with_retry_after() {
    let daemon = daemon(Duration::from_secs(60)).await;
    use_up_failures(&daemon, FIRST).await;
    let refused = call(&daemon, FIRST, "/api/v1/me", Some("cct_still_wrong")).await;
    assert_eq!(refused.status, 429);
    assert_eq!(refused.body["error"]["code"], "rate_limited");
    let wait = refused.retry_after.expect("Retry-After");
    assert!((1..=60).contains(&wait), "{wait}");
}

#[tokio::test]
async fn a_revoked_token_counts_as_a_failure() {
    let daemon = daemon(Duration::from_secs(60)).await;
    let agent = daemon.agent("Bob Agent").await;
    let tokens = daemon.admin.list_tokens(agent.id()).await.unwrap();
    let revoked = agent.client.token().unwrap().to_owned();
    daemon.admin.revoke_token(tokens.items[0].id).await.unwrap();
    for _ in 0..LIMIT {
        let answer = call(&daemon, FIRST, "/api/v1/me", Some(&revoked)).await;
        assert_eq!(answer.status, 401);
    }
    let refused = call(&daemon, FIRST, "/api/v1/me", Some(&revoked)).await;
    assert_eq!(refused.status, 429);
}

#[tokio::test]
async fn another_address_is_not_slowed_by_a_throttled_one() {
    let daemon = daemon(Duration::from_secs(60)).await;
    use_up_failures(&daemon, FIRST).await;
    assert_eq!(
        call(&daemon, FIRST, "/api/v1/me", Some("cct_x"))
            .await
            .status,
        429
    );
    let other = call(&daemon, SECOND, "/api/v1/me", Some("cct_x")).await;
    assert_eq!(other.status, 401, "its own first failure");
    let served = call(&daemon, SECOND, "/api/v1/me", Some(ADMIN_TOKEN)).await;
    assert_eq!(served.status, 200);
}

#[tokio::test]
async fn a_valid_token_from_a_throttled_address_is_still_served() {
    let daemon = daemon(Duration::from_secs(60)).await;
    use_up_failures(&daemon, FIRST).await;
    assert_eq!(
        call(&daemon, FIRST, "/api/v1/me", Some("cct_x"))
            .await
            .status,
        429
    );
    let served = call(&daemon, FIRST, "/api/v1/me", Some(ADMIN_TOKEN)).await;
    assert_eq!(served.status, 200, "{}", served.body);
}

#[tokio::test]
async fn the_count_starts_again_when_the_window_ends() {
    let daemon = daemon(Duration::from_secs(1)).await;
    use_up_failures(&daemon, FIRST).await;
    let refused = call(&daemon, FIRST, "/api/v1/me", Some("cct_x")).await;
    assert_eq!(refused.status, 429);
    assert_eq!(refused.retry_after, Some(1));
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let again = call(&daemon, FIRST, "/api/v1/me", Some("cct_x")).await;
    assert_eq!(again.status, 401, "a new window");
}

#[tokio::test]
async fn a_request_without_a_token_is_not_a_failed_authentication() {
    let daemon = daemon(Duration::from_secs(60)).await;
    for _ in 0..LIMIT * 2 {
        assert_eq!(call(&daemon, FIRST, "/api/v1/me", None).await.status, 401);
    }
    let answer = call(&daemon, FIRST, "/api/v1/me", Some("cct_x")).await;
    assert_eq!(answer.status, 401, "no failure was counted before");
}

#[tokio::test]
async fn bad_websocket_tickets_count_and_are_then_refused_before_redeeming() {
    let daemon = daemon(Duration::from_secs(60)).await;
    for _ in 0..LIMIT {
        let (status, _) = common::ws::refused(&daemon.base_url, "?ticket=wst_bad", &[]).await;
        assert_eq!(status, 401);
    }
    let (status, body) = common::ws::refused(&daemon.base_url, "?ticket=wst_bad", &[]).await;
    assert_eq!(status, 429);
    assert_eq!(body["error"]["code"], "rate_limited");
    // Bearer tokens on the WebSocket are still checked first.
    let admin = [("authorization", "Bearer cct_test_admin_token")];
    assert!(common::ws::try_connect(&daemon.base_url, "", &admin)
        .await
        .is_ok());
}

#[tokio::test]
async fn failures_and_refusals_are_counted_in_metrics() {
    let daemon = daemon(Duration::from_secs(60)).await;
    use_up_failures(&daemon, FIRST).await;
    call(&daemon, FIRST, "/api/v1/me", Some("cct_x")).await;
    let text = common::get(&daemon.admin, "/metrics").await;
    let text = String::from_utf8_lossy(&text.body);
    let value = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse::<f64>().ok())
    };
    assert_eq!(
        value("commcenter_auth_failures_total"),
        Some(LIMIT as f64 + 1.0)
    );
    assert_eq!(value("commcenter_auth_refusals_total"), Some(1.0));
}

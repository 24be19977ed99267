//! Hostile clients with the default settings: one client, token or user
//! holding a thousand connections must not keep another user's request
//! from being answered. Each test holds the attack open while an agent's
//! `GET /me` (on a fresh connection) and WebSocket handshake are timed.

mod common;

use std::time::{Duration, Instant};

use commcenter::client::Client;
use common::ws::WsClient;
use common::{request, TestDaemon};
use http::Method;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// What an agent must still get while an attack is held open.
const ANSWER_WITHIN: Duration = Duration::from_secs(1);
/// Connections one attacker holds: more than the old 1,024 budget.
const ATTACK_CONNECTIONS: usize = 1_100;

fn raise_fd_limit() {
    rlimit::increase_nofile_limit(u64::MAX).expect("raise the open-file limit");
}

/// The head of a JSON `POST` declaring a 100-byte body, sent with `token`.
fn post_head(token: &str) -> String {
    format!(
        "POST /api/v1/conversations HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n"
    )
}

/// That head and the first byte of its body, and then nothing.
fn stalled_post(token: &str) -> String {
    post_head(token) + "{"
}

/// Opens `count` connections to the daemon, each having sent `prefix`.
async fn hold_connections(daemon: &TestDaemon, count: usize, prefix: &str) -> Vec<TcpStream> {
    let mut held = Vec::with_capacity(count);
    for _ in 0..count {
        let mut stream = TcpStream::connect(daemon.addr()).await.expect("connect");
        stream.write_all(prefix.as_bytes()).await.expect("send");
        held.push(stream);
    }
    held
}

/// Times an agent's `GET /me` on a fresh connection and a WebSocket
/// handshake, several times, and checks each against [`ANSWER_WITHIN`].
async fn agent_is_served(daemon: &TestDaemon, token: &str) {
    for round in 0..5 {
        let fresh = Client::new(&daemon.base_url, Some(token.to_owned()));
        let started = Instant::now();
        let me = tokio::time::timeout(ANSWER_WITHIN, fresh.me()).await;
        assert!(
            matches!(me, Ok(Ok(_))),
            "round {round}: GET /me not answered within {ANSWER_WITHIN:?}"
        );
        let took_me = started.elapsed();
        let started = Instant::now();
        let socket = tokio::time::timeout(ANSWER_WITHIN, WsClient::open(&fresh)).await;
        assert!(
            socket.is_ok(),
            "round {round}: WebSocket handshake not done within {ANSWER_WITHIN:?}"
        );
        eprintln!(
            "round {round}: GET /me {took_me:?}, WebSocket {:?}",
            started.elapsed()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_customer_stalling_a_thousand_bodies_does_not_delay_an_agent() {
    raise_fd_limit();
    let daemon = TestDaemon::start().await;
    let customer = daemon.customer("Mallory").await;
    let agent = daemon.agent("Ann").await;
    let stalled = stalled_post(customer.client.token().unwrap());
    let _held = hold_connections(&daemon, ATTACK_CONNECTIONS, &stalled).await;
    agent_is_served(&daemon, agent.client.token().unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_slow_header_connections_do_not_delay_an_agent() {
    raise_fd_limit();
    let daemon = TestDaemon::start().await;
    let agent = daemon.agent("Ann").await;
    let _held = hold_connections(
        &daemon,
        ATTACK_CONNECTIONS,
        "GET /api/v1/me HTTP/1.1\r\nHost: x\r\nX-Slow: ",
    )
    .await;
    agent_is_served(&daemon, agent.client.token().unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_customer_opening_1500_websockets_keeps_only_their_share() {
    raise_fd_limit();
    let daemon = TestDaemon::start().await;
    let customer = daemon.customer("Mallory").await;
    let agent = daemon.agent("Ann").await;
    let mut sockets = Vec::with_capacity(1_500);
    for _ in 0..1_500 {
        sockets.push(WsClient::open(&customer.client).await);
    }
    agent_is_served(&daemon, agent.client.token().unwrap()).await;
    // The oldest were closed to make room, with a reason; the newest live.
    let code = sockets[0].close_code(Duration::from_secs(5)).await;
    assert_eq!(code, Some(1008), "the oldest socket is closed as replaced");
    let newest = sockets.last_mut().unwrap();
    newest.send_json(serde_json::json!({"type": "ping"})).await;
    assert_eq!(newest.next_of("pong").await["type"], "pong");
}

#[tokio::test]
async fn a_stalled_body_is_answered_once_it_stops_arriving() {
    let daemon = TestDaemon::start_with(tempfile::tempdir().unwrap(), |s| {
        s.limits.body_idle_timeout = Duration::from_millis(500);
    })
    .await;
    let mut stream = TcpStream::connect(daemon.addr()).await.unwrap();
    let head = stalled_post(common::ADMIN_TOKEN);
    stream.write_all(head.as_bytes()).await.unwrap();
    let answer = read_answer(&mut stream, Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("stalled"), "{answer}");
}

#[tokio::test]
async fn an_upload_declaring_10_gb_is_refused_before_any_body_arrives() {
    let daemon = TestDaemon::start().await;
    let mut stream = TcpStream::connect(daemon.addr()).await.unwrap();
    let head = format!(
        "POST /api/v1/files?name=big.bin HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/octet-stream\r\nContent-Length: 10000000000\r\n\r\n",
        common::ADMIN_TOKEN
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let answer = read_answer(&mut stream, Duration::from_secs(2)).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
}

#[tokio::test]
async fn a_user_over_their_share_of_requests_in_flight_gets_429() {
    let daemon = TestDaemon::start().await;
    let customer = daemon.customer("Mallory").await;
    let share = commcenterd::Settings::for_data_dir(std::path::Path::new("/d"))
        .limits
        .requests_per_user;
    let stalled = stalled_post(customer.client.token().unwrap());
    let _held = hold_connections(&daemon, share, &stalled).await;
    // The stalled requests are in flight once the daemon has read their heads.
    let mut refused = None;
    for _ in 0..50 {
        let answer = request(&customer.client, Method::GET, "/api/v1/me", None, &[]).await;
        if answer.status == 429 {
            refused = Some(answer);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let refused = refused.expect("the customer's next request is refused");
    assert_eq!(
        common::error_of(&refused).code,
        commcenter::wire::ErrorCode::RateLimited
    );
    let other = daemon.customer("Olive").await;
    assert!(other.client.me().await.is_ok(), "other users are served");
}

/// Reads what the daemon answers until it closes or `within` passes.
async fn read_answer(stream: &mut TcpStream, within: Duration) -> String {
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + within;
    while let Ok(Ok(n)) = tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
        if n == 0 {
            break;
        }
        answer.extend_from_slice(&buf[..n]);
        if answer.windows(4).any(|w| w == b"\r\n\r\n") && answer.ends_with(b"}") {
            break;
        }
    }
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn headers_over_16_kib_are_refused() {
    let daemon = TestDaemon::start().await;
    let mut stream = TcpStream::connect(daemon.addr()).await.unwrap();
    let head = format!(
        "GET /api/v1/me HTTP/1.1\r\nHost: x\r\nX-Padding: {}\r\n\r\n",
        "a".repeat(20 * 1024)
    );
    let _ = stream.write_all(head.as_bytes()).await;
    let answer = read_answer(&mut stream, Duration::from_secs(2)).await;
    assert!(answer.starts_with("HTTP/1.1 431"), "{answer:.80}");
}

#[tokio::test]
async fn a_body_trickling_below_the_minimum_rate_is_cut_off() {
    let daemon = TestDaemon::start_with(tempfile::tempdir().unwrap(), |s| {
        s.limits.body_grace = Duration::from_secs(1);
        s.limits.body_min_bytes_per_s = 1024;
    })
    .await;
    let mut stream = TcpStream::connect(daemon.addr()).await.unwrap();
    let head = post_head(common::ADMIN_TOKEN);
    stream.write_all(head.as_bytes()).await.unwrap();
    // One byte every 200 ms: each under the idle timeout, far under 1 KiB/s.
    for _ in 0..15 {
        if stream.write_all(b" ").await.is_err() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let answer = read_answer(&mut stream, Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("too slow"), "{answer}");
}

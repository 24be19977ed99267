//! `GET /metrics` and `--metrics-listen`, scraped from a real daemon and
//! read by a real Prometheus-format parser: the Python `prometheus_client`
//! (`fixtures/parse_metrics.py`, installed by scripts/test-peers.sh).

mod common;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use commcenter::client::{Client, RawResponse};
use common::ws::WsClient;
use common::{get, open_conversation, send_text, TestDaemon};
use serde_json::Value;

/// A scrape as the parser read it.
struct Scrape {
    families: serde_json::Map<String, Value>,
    samples: Vec<Value>,
}

impl Scrape {
    /// The sum of the samples named `name` whose labels include `labels`
    /// (`None` when there is none).
    fn value(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        let matching: Vec<f64> = self
            .samples
            .iter()
            .filter(|s| s["name"] == name)
            .filter(|s| labels.iter().all(|(k, v)| s["labels"][*k] == *v))
            .map(|s| s["value"].as_f64().expect("a finite value"))
            .collect();
        (!matching.is_empty()).then(|| matching.iter().sum())
    }

    fn family_type(&self, name: &str) -> &str {
        self.families[name].as_str().unwrap_or("")
    }
}

/// Runs the Prometheus client's parser over an answer of `/metrics`.
fn parse(response: &RawResponse) -> Scrape {
    assert_eq!(
        response.status,
        200,
        "{}",
        String::from_utf8_lossy(&response.body)
    );
    let content_type = response.headers["content-type"].to_str().unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/parse_metrics.py");
    let mut child = Command::new("python3")
        .arg(script)
        .arg(content_type)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs (scripts/test-peers.sh installs prometheus_client)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(&response.body)
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "the parser refused the exposition: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&response.body)
    );
    let parsed: Value = serde_json::from_slice(&out.stdout).unwrap();
    Scrape {
        families: parsed["families"].as_object().unwrap().clone(),
        samples: parsed["samples"].as_array().unwrap().clone(),
    }
}

async fn scrape(by: &Client) -> Scrape {
    parse(&get(by, "/metrics").await)
}

const ME: [(&str, &str); 3] = [
    ("route", "/api/v1/me"),
    ("method", "GET"),
    ("status", "200"),
];

#[tokio::test]
async fn a_route_counts_its_requests_and_their_latencies() {
    let daemon = TestDaemon::start().await;
    let before = scrape(&daemon.admin).await;
    for _ in 0..3 {
        daemon.admin.me().await.unwrap();
    }
    let after = scrape(&daemon.admin).await;
    let count = |s: &Scrape| {
        s.value("commcenter_http_requests_total", &ME)
            .unwrap_or(0.0)
    };
    assert_eq!(count(&after) - count(&before), 3.0);
    assert_eq!(after.family_type("commcenter_http_requests"), "counter");

    let latency = [("route", "/api/v1/me"), ("class", "2xx")];
    let observed = after
        .value("commcenter_http_request_duration_seconds_count", &latency)
        .unwrap();
    assert!(observed >= 3.0, "{observed}");
    let in_inf = after
        .value(
            "commcenter_http_request_duration_seconds_bucket",
            &[("route", "/api/v1/me"), ("le", "+Inf")],
        )
        .unwrap();
    assert_eq!(in_inf, observed, "the +Inf bucket holds every observation");
    assert_eq!(
        after.family_type("commcenter_http_request_duration_seconds"),
        "histogram"
    );
}

#[tokio::test]
async fn an_unknown_path_counts_as_unmatched_not_by_its_path() {
    let daemon = TestDaemon::start().await;
    assert_eq!(get(&daemon.admin, "/no/such/01ABC").await.status, 404);
    let scraped = scrape(&daemon.admin).await;
    let unmatched = [("route", "unmatched"), ("status", "404")];
    assert_eq!(
        scraped.value("commcenter_http_requests_total", &unmatched),
        Some(1.0)
    );
    assert!(!scraped
        .samples
        .iter()
        .any(|s| s["labels"]["route"] == "/no/such/01ABC"));
}

#[tokio::test]
async fn a_committed_write_counts_a_batch_its_jobs_and_its_commit_time() {
    let daemon = TestDaemon::start().await;
    let customer = daemon.customer("Ann Owner").await;
    let conversation = open_conversation(&daemon.admin, customer.id()).await;
    let before = scrape(&daemon.admin).await;
    send_text(&daemon.admin, conversation.id, "The engineer comes at 9").await;
    let after = scrape(&daemon.admin).await;
    let batches = |s: &Scrape| {
        s.value("commcenter_store_write_batches_total", &[])
            .unwrap()
    };
    assert!(batches(&after) > batches(&before));
    let jobs = |s: &Scrape| {
        s.value("commcenter_store_write_batch_jobs_sum", &[])
            .unwrap()
    };
    assert!(jobs(&after) > jobs(&before));
    let commits = |s: &Scrape| {
        s.value("commcenter_store_commit_duration_seconds_count", &[])
            .unwrap()
    };
    assert_eq!(commits(&after), batches(&after), "one commit per batch");
    let spent = after
        .value("commcenter_store_commit_duration_seconds_sum", &[])
        .unwrap();
    assert!(spent > 0.0, "an fsync takes time: {spent}");
}

#[tokio::test]
async fn websocket_connections_are_counted_open_and_their_closes_by_cause() {
    let daemon = TestDaemon::start().await;
    let agent = daemon.agent("Bob Agent").await;
    let socket = WsClient::open(&agent.client).await;
    let open = scrape(&daemon.admin).await;
    assert_eq!(
        open.value("commcenter_websocket_connections", &[]),
        Some(1.0)
    );
    socket.close().await;
    let closed = wait_for(&daemon.admin, |s| {
        s.value("commcenter_websocket_connections", &[]) == Some(0.0)
    })
    .await;
    let by_client = [("cause", "client"), ("code", "0")];
    assert_eq!(
        closed.value("commcenter_websocket_closes_total", &by_client),
        Some(1.0)
    );
}

#[tokio::test]
async fn storage_figures_are_there_at_every_scrape() {
    let daemon = TestDaemon::start().await;
    let scraped = scrape(&daemon.admin).await;
    let total = scraped.value("commcenter_disk_total_bytes", &[]).unwrap();
    let available = scraped
        .value("commcenter_disk_available_bytes", &[])
        .unwrap();
    assert!(total > 0.0 && available <= total, "{available} of {total}");
    let store = scraped.value("commcenter_store_file_bytes", &[]).unwrap();
    let on_disk = std::fs::metadata(common::store_path(daemon.dir.as_ref().unwrap().path()))
        .unwrap()
        .len();
    assert!(
        store > 0.0 && store <= on_disk as f64,
        "{store} vs {on_disk}"
    );
    for channel in ["sms", "email"] {
        assert_eq!(
            scraped.value("commcenter_outbox_queued", &[("channel", channel)]),
            Some(0.0)
        );
    }
    let failed = scraped.value("commcenter_file_storage_errors_total", &[]);
    assert_eq!(failed.unwrap_or(0.0), 0.0, "a healthy local storage");
}

#[tokio::test]
async fn an_sms_the_provider_cannot_take_yet_counts_in_the_outbox_depth() {
    // A provider on a port nobody listens on: every attempt fails
    // transiently, so the message stays queued.
    let unreachable = format!("http://{}", free_port());
    let daemon = TestDaemon::start_with(tempfile::tempdir().unwrap(), |s| {
        s.outbox.sms_url = Some(unreachable);
        s.outbox.sms_account_sid = Some("AC00000000000000000000000000000000".into());
        s.outbox.sms_auth_token = Some("secret".into());
        s.outbox.sms_from = Some("+15550000000".into());
    })
    .await;
    let customer = daemon.customer("Ann Owner").await;
    let conversation = open_conversation(&daemon.admin, customer.id()).await;
    let sms = commcenter::wire::NewMessage {
        body: Some("Your engineer is on the way".into()),
        channel: Some(commcenter::wire::Channel::Sms),
        ..Default::default()
    };
    daemon
        .admin
        .send_message(conversation.id, &sms)
        .await
        .unwrap();
    let scraped = scrape(&daemon.admin).await;
    assert_eq!(
        scraped.value("commcenter_outbox_queued", &[("channel", "sms")]),
        Some(1.0)
    );
    assert_eq!(
        scraped.value("commcenter_outbox_queued", &[("channel", "email")]),
        Some(0.0)
    );
}

#[tokio::test]
async fn only_the_admin_may_read_metrics() {
    let daemon = TestDaemon::start().await;
    let agent = daemon.agent("Bob Agent").await;
    let customer = daemon.customer("Ann Owner").await;
    assert_eq!(get(&agent.client, "/metrics").await.status, 403);
    assert_eq!(get(&customer.client, "/metrics").await.status, 403);
    assert_eq!(get(&daemon.anonymous(), "/metrics").await.status, 401);
}

#[tokio::test]
async fn the_metrics_listener_serves_metrics_without_a_token_and_nothing_else() {
    let addr = free_port();
    let dir = tempfile::tempdir().unwrap();
    let daemon = TestDaemon::start_with(dir, |s| s.ops.metrics_listen = Some(addr)).await;
    daemon.admin.me().await.unwrap();
    let scraper = Client::new(&format!("http://{addr}"), None);
    let scraped = scrape(&scraper).await;
    assert!(
        scraped
            .value("commcenter_http_requests_total", &ME)
            .unwrap()
            >= 1.0
    );
    let api = get(
        &scraper.with_token(Some(common::ADMIN_TOKEN.into())),
        "/api/v1/me",
    )
    .await;
    assert_eq!(api.status, 404, "only /metrics is served there");
    assert_eq!(get(&daemon.anonymous(), "/metrics").await.status, 401);
}

/// A port that was free a moment ago on 127.0.0.1.
fn free_port() -> std::net::SocketAddr {
    let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    probe.local_addr().unwrap()
}

/// Scrapes until `done` holds (at most 10 s).
async fn wait_for(by: &Client, done: impl Fn(&Scrape) -> bool) -> Scrape {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let scraped = scrape(by).await;
        if done(&scraped) {
            return scraped;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the metrics did not get there"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_disk_under_the_low_threshold_shows_in_metrics() {
    // Every disk has less than 100 % free: the first check finds it low.
    let low = TestDaemon::start_with(tempfile::tempdir().unwrap(), |s| {
        s.ops.disk_low_percent = 100.0;
    })
    .await;
    wait_for(&low.admin, |s| {
        s.value("commcenter_disk_low", &[]) == Some(1.0)
    })
    .await;
    let roomy = TestDaemon::start_with(tempfile::tempdir().unwrap(), |s| {
        s.ops.disk_low_percent = 0.0;
    })
    .await;
    let scraped = scrape(&roomy.admin).await;
    assert_eq!(scraped.value("commcenter_disk_low", &[]), Some(0.0));
}

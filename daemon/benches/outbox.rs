//! The outbox against a real `commcenterd` (the release build).
//!
//! 1. `sms`: 3,000 SMS to a stand-in Twilio-compatible provider (in this
//!    process, on 127.0.0.1) that answers each request after 50 ms: the
//!    delivery rate (messages/s), and that each message reached the
//!    provider exactly once.
//! 2. `smtp`: 1,000 emails to aiosmtpd (`fixtures/smtp_peer.py`), with one
//!    delivery at a time (one reused SMTP connection) and with the default
//!    concurrency: emails/s.
//! 3. `latency`: the time to answer a send, in-app versus SMS (queued),
//!    one request at a time, 500 each: what queueing adds.
//!
//! Run: `cargo bench -p commcenterd --bench outbox [-- sms|smtp|latency]`.

use std::collections::HashSet;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

mod support;

use bytes::Bytes;
use commcenter::client::Client;
use commcenter::wire::{Channel, NewConversation, NewMessage, NewUser, Role};
use commcenter::Id;
use futures_util::{stream, StreamExt};
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use support::{machine, Daemon};
use tokio::time::Instant;

const SMS_COUNT: usize = 3_000;
const EMAIL_COUNT: usize = 1_000;
const LATENCY_COUNT: usize = 500;
const PROVIDER_DELAY: Duration = Duration::from_millis(50);
/// Sends in flight at once (under a user's share of 64).
const SENDERS: usize = 32;
const PHASE_LIMIT: Duration = Duration::from_secs(300);

fn main() {
    let which: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let wants = |name: &str| which.is_empty() || which.iter().any(|w| w == name);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    println!("{}", machine());
    runtime.block_on(async {
        if wants("sms") {
            sms_throughput().await;
        }
        if wants("smtp") {
            smtp_throughput("1").await;
            smtp_throughput("64").await;
        }
        if wants("latency") {
            queueing_latency().await;
        }
    });
}

/// What the stand-in provider received: idempotency keys, in order.
#[derive(Clone, Default)]
struct Provider {
    keys: Arc<Mutex<Vec<String>>>,
}

impl Provider {
    async fn start(&self) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let provider = self.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let provider = provider.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                        let provider = provider.clone();
                        async move {
                            let key = req
                                .headers()
                                .get("idempotency-key")
                                .map(|v| v.to_str().unwrap().to_owned());
                            let _ = req.into_body().collect().await;
                            tokio::time::sleep(PROVIDER_DELAY).await;
                            let n = {
                                let mut keys = provider.keys.lock().unwrap();
                                keys.push(key.unwrap_or_default());
                                keys.len()
                            };
                            let body = format!(r#"{{"sid":"SM{n}"}}"#);
                            Ok::<_, Infallible>(
                                hyper::Response::builder()
                                    .status(201)
                                    .body(Full::new(Bytes::from(body)))
                                    .unwrap(),
                            )
                        }
                    });
                    let _ = http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        url
    }

    fn count(&self) -> usize {
        self.keys.lock().unwrap().len()
    }
}

/// A customer with a phone and an email address, and their conversation.
async fn conversation(admin: &Client) -> Id {
    let customer = admin
        .create_user(&NewUser {
            name: "Bench Customer".into(),
            role: Role::Customer,
            email: Some("bench@example.com".into()),
            phone: Some("+15550001234".into()),
        })
        .await
        .unwrap();
    admin
        .create_conversation(&NewConversation {
            customer_id: customer.id,
            subject: None,
        })
        .await
        .unwrap()
        .id
}

fn message(channel: Channel, n: usize) -> NewMessage {
    NewMessage {
        channel: Some(channel),
        subject: Some(format!("bench {n}")),
        body: Some(format!("bench message {n}")),
        ..NewMessage::default()
    }
}

/// Sends `count` messages, `SENDERS` at a time.
async fn send_all(admin: &Client, conversation: Id, channel: Channel, count: usize) {
    stream::iter(0..count)
        .for_each_concurrent(SENDERS, |n| async move {
            admin
                .send_message(conversation, &message(channel, n))
                .await
                .expect("send");
        })
        .await;
}

async fn wait_until(mut done: impl FnMut() -> bool) -> Instant {
    let deadline = Instant::now() + PHASE_LIMIT;
    while !done() {
        assert!(Instant::now() < deadline, "phase limit passed");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    Instant::now()
}

async fn sms_throughput() {
    let provider = Provider::default();
    let url = provider.start().await;
    let daemon = Daemon::start(
        &[
            "--sms-url",
            &url,
            "--sms-account-sid",
            "AC1",
            "--sms-from",
            "+15550009999",
        ],
        &[("COMMCENTER_SMS_AUTH_TOKEN", "token".to_owned())],
    );
    let admin = daemon.admin();
    let conversation = conversation(&admin).await;
    let start = Instant::now();
    send_all(&admin, conversation, Channel::Sms, SMS_COUNT).await;
    let sent = start.elapsed();
    let done = wait_until(|| provider.count() >= SMS_COUNT).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let keys = provider.keys.lock().unwrap().clone();
    let distinct: HashSet<&String> = keys.iter().collect();
    let elapsed = done - start;
    println!(
        "sms: {SMS_COUNT} messages, provider answering in {PROVIDER_DELAY:?}: sends done in {:.2} s, \
         all delivered in {:.2} s: {:.0} messages/s; provider saw {} requests, {} distinct",
        sent.as_secs_f64(),
        elapsed.as_secs_f64(),
        SMS_COUNT as f64 / elapsed.as_secs_f64(),
        keys.len(),
        distinct.len()
    );
}

async fn smtp_throughput(concurrency: &str) {
    let out = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/smtp_peer.py");
    let mut peer = std::process::Command::new("python3")
        .args([script, &port.to_string(), out.path().to_str().unwrap()])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3 fixtures/smtp_peer.py (aiosmtpd)");
    let mut ready = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(peer.stdout.take().unwrap()),
        &mut ready,
    )
    .unwrap();
    let smtp = format!("smtp://127.0.0.1:{port}");
    let daemon = Daemon::start(
        &[
            "--smtp-url",
            &smtp,
            "--email-from",
            "bench@commcenter.example",
            "--outbox-concurrency",
            concurrency,
        ],
        &[],
    );
    let admin = daemon.admin();
    let conversation = conversation(&admin).await;
    let start = Instant::now();
    send_all(&admin, conversation, Channel::Email, EMAIL_COUNT).await;
    let received = || {
        std::fs::read_dir(out.path())
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .path()
                    .extension()
                    .is_some_and(|x| x == "json")
            })
            .count()
    };
    let done = wait_until(|| received() >= EMAIL_COUNT).await;
    let elapsed = done - start;
    println!(
        "smtp (concurrency {concurrency}): {EMAIL_COUNT} emails to aiosmtpd in {:.2} s: {:.0} emails/s",
        elapsed.as_secs_f64(),
        EMAIL_COUNT as f64 / elapsed.as_secs_f64()
    );
    drop(peer.stdin.take());
    let _ = peer.kill();
    let _ = peer.wait();
}

async fn queueing_latency() {
    let provider = Provider::default();
    let url = provider.start().await;
    let daemon = Daemon::start(
        &[
            "--sms-url",
            &url,
            "--sms-account-sid",
            "AC1",
            "--sms-from",
            "+15550009999",
        ],
        &[("COMMCENTER_SMS_AUTH_TOKEN", "token".to_owned())],
    );
    let admin = daemon.admin();
    let conversation = conversation(&admin).await;
    for (label, channel) in [
        ("in_app", Channel::InApp),
        ("sms (queued)", Channel::Sms),
        ("in_app again", Channel::InApp),
    ] {
        let mut times = Vec::with_capacity(LATENCY_COUNT);
        for n in 0..LATENCY_COUNT {
            let started = Instant::now();
            admin
                .send_message(conversation, &message(channel, n))
                .await
                .expect("send");
            times.push(started.elapsed());
        }
        times.sort();
        let at = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];
        println!(
            "send {label}: {LATENCY_COUNT} one at a time: p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms",
            at(0.5).as_secs_f64() * 1e3,
            at(0.9).as_secs_f64() * 1e3,
            at(0.99).as_secs_f64() * 1e3
        );
    }
}

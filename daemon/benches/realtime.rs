//! Real-time delivery against a real `commcenterd` (the release build).
//!
//! 1. `latency`: 1,000 customers each hold a WebSocket, and one agent
//!    console holds another; an agent sends in-app messages over HTTP at
//!    1,000 a second, round-robin over the customers' conversations. For
//!    each message: the time from its HTTP 201 to its `message.created`
//!    frame on the customer's socket (p50, p99), and from the request's
//!    start to that frame (end to end, including the durable commit).
//! 2. `memory`: 10,000 idle WebSockets, one per customer: the daemon's RSS
//!    after they are open, minus before, divided by 10,000.
//!
//! Run: `cargo bench -p commcenterd --bench realtime [-- latency|memory]`.
//! Everything is on 127.0.0.1; every phase is bounded in count and time.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

mod support;

use commcenter::client::Client;
use commcenter::wire::{NewConversation, NewMessage, NewToken, NewUser, Role};
use commcenter::Id;
use futures_util::{stream, StreamExt};
use support::{machine, Daemon};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;
use tokio::time::{Instant, MissedTickBehavior};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

const LATENCY_CLIENTS: usize = 1_000;
const MESSAGES_PER_S: u64 = 1_000;
const LATENCY_RUN: Duration = Duration::from_secs(10);
const WARMUP: Duration = Duration::from_secs(2);
/// Sends in flight at once; past this the sender waits (and says so).
/// At most the daemon's share of requests in flight per user (64 by default).
const MAX_IN_FLIGHT: usize = 64;
const IDLE_CONNECTIONS: usize = 10_000;
const SETUP_CONCURRENCY: usize = 64;
const CONNECT_CONCURRENCY: usize = 128;
/// The longest any one phase's wait may take.
const PHASE_LIMIT: Duration = Duration::from_secs(300);

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

fn main() {
    let limit = rlimit::increase_nofile_limit(u64::MAX).expect("raise the fd limit");
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
    println!("fd limit {limit}; {}", machine());
    if wants("latency") {
        runtime.block_on(bounded(latency()));
    }
    if wants("memory") {
        runtime.block_on(bounded(memory()));
    }
}

/// The release daemon on a fresh temp data dir, allowed `max_connections`.
fn start_daemon(max_connections: usize) -> Daemon {
    Daemon::start(&["--max-connections", &max_connections.to_string()], &[])
}

async fn bounded(phase: impl std::future::Future<Output = ()>) {
    tokio::time::timeout(PHASE_LIMIT, phase)
        .await
        .expect("the phase finished within its time limit");
}

/// A user of `role` and a token for them.
async fn user_with_token(admin: &Client, role: Role, name: String) -> (Id, String) {
    let user = admin
        .create_user(&NewUser {
            name,
            role,
            email: None,
            phone: None,
        })
        .await
        .expect("create user");
    let token = admin
        .issue_token(user.id, &NewToken::default())
        .await
        .expect("issue token");
    (user.id, token.token)
}

/// `n` customers with tokens, made `SETUP_CONCURRENCY` at a time.
async fn customers(admin: &Client, n: usize) -> Vec<(Id, String)> {
    stream::iter(0..n)
        .map(|i| user_with_token(admin, Role::Customer, format!("Customer {i}")))
        .buffer_unordered(SETUP_CONCURRENCY)
        .collect()
        .await
}

async fn connect(base_url: &str, token: &str) -> Socket {
    let url = format!("{}/api/v1/ws", base_url.replacen("http://", "ws://", 1));
    let mut request = url.into_client_request().expect("request");
    let bearer = format!("Bearer {token}").parse().expect("header");
    request.headers_mut().insert("authorization", bearer);
    let (mut socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("websocket opens");
    match socket.next().await {
        Some(Ok(Message::Text(hello))) if hello.contains("\"hello\"") => socket,
        other => panic!("expected hello, got {other:?}"),
    }
}

/// When each message's `message.created` arrived, by message id.
type Arrivals = Arc<Mutex<HashMap<String, Instant>>>;

/// Reads a socket until it ends, noting the arrival of every
/// `message.created` (reading also answers the server's pings).
fn watch(mut socket: Socket, arrivals: Option<Arrivals>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        while let Some(Ok(message)) = socket.next().await {
            let (Message::Text(text), Some(arrivals)) = (message, &arrivals) else {
                continue;
            };
            let at = Instant::now();
            if let Some(id) = created_message_id(&text) {
                arrivals.lock().unwrap().insert(id, at);
            }
        }
    })
}

fn created_message_id(frame: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(frame).ok()?;
    if value["type"] != "message.created" {
        return None;
    }
    value["data"]["message"]["id"].as_str().map(str::to_owned)
}

/// One sent message: its id, when its request started and when its 201 came.
struct Sent {
    id: String,
    started: Instant,
    created: Instant,
}

async fn latency() {
    let daemon = start_daemon(LATENCY_CLIENTS + 512);
    let admin = daemon.admin();
    let (_, agent_token) = user_with_token(&admin, Role::Agent, "Agent".into()).await;
    let agent = Client::new(&daemon.base_url, Some(agent_token.clone()));
    let people = customers(&admin, LATENCY_CLIENTS).await;
    let conversations = open_conversations(&agent, &people).await;
    let arrivals: Arrivals = Arc::default();
    let mut readers = vec![watch(connect(&daemon.base_url, &agent_token).await, None)];
    for (_, token) in &people {
        readers.push(watch(
            connect(&daemon.base_url, token).await,
            Some(arrivals.clone()),
        ));
    }
    println!(
        "latency: {} customer websockets + 1 agent console; daemon RSS {} KiB",
        people.len(),
        daemon.rss_kib()
    );
    send_at_rate(&agent, &conversations, WARMUP).await;
    let sent = send_at_rate(&agent, &conversations, LATENCY_RUN).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    report_latency(&sent, &arrivals.lock().unwrap());
    println!("latency: daemon RSS after the run {} KiB", daemon.rss_kib());
    readers.iter().for_each(|r| r.abort());
}

async fn open_conversations(agent: &Client, people: &[(Id, String)]) -> Vec<Id> {
    stream::iter(people)
        .map(|(customer_id, _)| async move {
            let new = NewConversation {
                customer_id: *customer_id,
                subject: None,
            };
            agent
                .create_conversation(&new)
                .await
                .expect("conversation")
                .id
        })
        .buffered(SETUP_CONCURRENCY)
        .collect()
        .await
}

/// Sends `MESSAGES_PER_S` messages a second for `run`, round-robin over
/// `conversations`; answers what was sent.
async fn send_at_rate(agent: &Client, conversations: &[Id], run: Duration) -> Vec<Sent> {
    let total = (run.as_millis() as u64 * MESSAGES_PER_S / 1000) as usize;
    let in_flight = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
    let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / MESSAGES_PER_S));
    tick.set_missed_tick_behavior(MissedTickBehavior::Burst);
    let began = Instant::now();
    let mut tasks = Vec::with_capacity(total);
    for i in 0..total {
        tick.tick().await;
        let permit = in_flight.clone().acquire_owned().await.expect("semaphore");
        let (agent, conversation) = (agent.clone(), conversations[i % conversations.len()]);
        tasks.push(tokio::spawn(async move {
            let sent = send_one(&agent, conversation, i).await;
            drop(permit);
            sent
        }));
    }
    let mut sent = Vec::with_capacity(total);
    for task in tasks {
        sent.push(task.await.expect("send task"));
    }
    let rate = total as f64 / began.elapsed().as_secs_f64();
    println!("sent {total} messages at {rate:.0}/s");
    sent
}

async fn send_one(agent: &Client, conversation: Id, i: usize) -> Sent {
    let new = NewMessage {
        body: Some(format!("message {i}: the crew arrives at nine")),
        ..Default::default()
    };
    let started = Instant::now();
    let message = agent.send_message(conversation, &new).await.expect("201");
    Sent {
        id: message.id.to_string(),
        started,
        created: Instant::now(),
    }
}

fn report_latency(sent: &[Sent], arrivals: &HashMap<String, Instant>) {
    let (mut after_201, mut late, mut end_to_end) = (Vec::new(), Vec::new(), Vec::new());
    for s in sent {
        let Some(&at) = arrivals.get(&s.id) else {
            continue;
        };
        // The frame often arrives before the 201: both leave right after the commit.
        if at > s.created {
            late.push(micros(at - s.created));
        }
        after_201.push(micros(at.saturating_duration_since(s.created)));
        end_to_end.push(micros(at.saturating_duration_since(s.started)));
    }
    let early = after_201.len() - late.len();
    let lost = sent.len() - after_201.len();
    println!(
        "delivered {} of {} (lost {lost}); {early} frames arrived before their 201",
        after_201.len(),
        sent.len()
    );
    print_percentiles("201 -> frame (frame before 201 counts 0)", &mut after_201);
    print_percentiles("201 -> frame, frames after their 201 only", &mut late);
    print_percentiles("request start -> frame (end to end)", &mut end_to_end);
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn print_percentiles(what: &str, samples: &mut [f64]) {
    if samples.is_empty() {
        println!("{what}: no samples");
        return;
    }
    samples.sort_by(f64::total_cmp);
    let at = |p: f64| samples[((samples.len() - 1) as f64 * p).round() as usize] / 1000.0;
    println!(
        "{what}: p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms (n = {})",
        at(0.50),
        at(0.90),
        at(0.99),
        at(1.0),
        samples.len()
    );
}

async fn memory() {
    let daemon = start_daemon(IDLE_CONNECTIONS + 512);
    let admin = daemon.admin();
    let people = customers(&admin, IDLE_CONNECTIONS).await;
    // Warm up: the first connections grow pools that later ones reuse.
    let warm = open_all(&daemon.base_url, &people[..200]).await;
    warm.iter().for_each(|r| r.abort());
    tokio::time::sleep(Duration::from_secs(2)).await;
    let before = daemon.rss_kib();
    let began = Instant::now();
    let readers = open_all(&daemon.base_url, &people).await;
    let opened_in = began.elapsed();
    tokio::time::sleep(Duration::from_secs(5)).await;
    let after = daemon.rss_kib();
    let per = (after.saturating_sub(before)) as f64 * 1024.0 / people.len() as f64;
    println!(
        "memory: {} idle websockets opened in {:.1} s; daemon RSS {before} KiB -> {after} KiB; {:.1} KiB ({per:.0} bytes) per connection",
        readers.len(),
        opened_in.as_secs_f64(),
        per / 1024.0,
    );
    readers.iter().for_each(|r| r.abort());
}

/// Opens one idle WebSocket per token, `CONNECT_CONCURRENCY` at a time.
async fn open_all(base_url: &str, people: &[(Id, String)]) -> Vec<tokio::task::JoinHandle<()>> {
    stream::iter(people)
        .map(|(_, token)| connect(base_url, token))
        .buffer_unordered(CONNECT_CONCURRENCY)
        .map(|socket| watch(socket, None))
        .collect()
        .await
}

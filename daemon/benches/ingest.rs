//! Durable message ingest over HTTP against a real `commcenterd`.
//!
//! Starts the release daemon on a temp data dir with the demo data, reads
//! its idle RSS, then for 1, 16 and 64 concurrent clients sends in-app
//! messages (each a durable 201) for a fixed time and prints messages/s and
//! p50/p99 latency. Run: `cargo bench -p commcenterd --bench ingest`
//! (`BENCH_DAEMON=path/to/commcenterd` runs another build of the daemon).
//! Everything is on 127.0.0.1; each run is bounded by `RUN_FOR`.

use std::time::{Duration, Instant};

mod support;

use commcenter::client::Client;
use commcenter::wire::{NewConversation, NewMessage, NewToken, NewUser, Role};
use support::{Daemon, ADMIN_TOKEN};

const RUN_FOR: Duration = Duration::from_secs(5);
const CONCURRENCY: [usize; 3] = [1, 16, 64];

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

/// One client: an agent token and its own conversation.
async fn prepare_client(admin: &Client, n: usize) -> (Client, commcenter::Id) {
    let customer = admin
        .create_user(&NewUser {
            name: format!("Bench customer {n}"),
            role: Role::Customer,
            email: None,
            phone: None,
        })
        .await
        .expect("customer");
    let agent = admin
        .create_user(&NewUser {
            name: format!("Bench agent {n}"),
            role: Role::Agent,
            email: None,
            phone: None,
        })
        .await
        .expect("agent");
    let token = admin
        .issue_token(agent.id, &NewToken::default())
        .await
        .expect("token");
    let client = admin.with_token(Some(token.token));
    let conversation = client
        .create_conversation(&NewConversation {
            customer_id: customer.id,
            subject: Some("bench".into()),
        })
        .await
        .expect("conversation");
    (client, conversation.id)
}

async fn run_level(admin: &Client, clients: usize) {
    let mut prepared = Vec::new();
    for n in 0..clients {
        prepared.push(prepare_client(admin, n).await);
    }
    let started = Instant::now();
    let deadline = started + RUN_FOR;
    let mut tasks = Vec::new();
    for (client, conversation) in prepared {
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let body = NewMessage {
                body: Some("Engineer booked for Thursday 9:00, please confirm access.".into()),
                ..Default::default()
            };
            while Instant::now() < deadline {
                let t = Instant::now();
                client
                    .send_message(conversation, &body)
                    .await
                    .expect("send");
                latencies.push(t.elapsed());
            }
            latencies
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.expect("client task"));
    }
    let elapsed = started.elapsed();
    all.sort();
    println!(
        "clients {clients:>3}: {:>7} messages in {:.2} s = {:>8.0} messages/s, p50 {:>6.2} ms, p99 {:>6.2} ms",
        all.len(),
        elapsed.as_secs_f64(),
        all.len() as f64 / elapsed.as_secs_f64(),
        percentile(&all, 0.50).as_secs_f64() * 1e3,
        percentile(&all, 0.99).as_secs_f64() * 1e3,
    );
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    // COMMCENTER_BENCH_URL points the load at a daemon started by hand (for
    // profiling it); its admin token must be ADMIN_TOKEN.
    let external = std::env::var("COMMCENTER_BENCH_URL").ok();
    let daemon = external.is_none().then(|| Daemon::start(&["--demo"], &[]));
    let base_url = external.unwrap_or_else(|| daemon.as_ref().expect("daemon").base_url.clone());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let admin = Client::new(&base_url, Some(ADMIN_TOKEN.to_owned()));
    runtime.block_on(async {
        // Wait until it answers, then let it settle before reading idle RSS.
        while admin.healthz().await.is_err() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    });
    let rss = |d: &Daemon| d.rss_kib() as f64 / 1024.0;
    if let Some(d) = &daemon {
        println!("idle RSS after start with demo data: {:.1} MiB", rss(d));
    }
    runtime.block_on(async {
        for clients in CONCURRENCY {
            run_level(&admin, clients).await;
        }
    });
    if let Some(d) = &daemon {
        println!("RSS after the runs: {:.1} MiB", rss(d));
    }
}

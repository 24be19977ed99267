//! A backup of a running daemon under write load: what it costs the
//! writers (send latency p50/p99/max during backups against without), how
//! long it takes and how big it is.
//!
//! Starts the release daemon on a temp data dir, fills it with
//! `BENCH_MESSAGES` messages (default 50,000), then runs the same send loop
//! (`WRITERS` clients, one conversation each) twice for `RUN_FOR`: once
//! alone, once while backups run back to back (`POST /api/v1/admin/backup`).
//! A send counts as "during a backup" when it started while one ran.
//! Run: `cargo bench -p commcenterd --bench backup`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

mod support;

use commcenter::client::Client;
use commcenter::wire::{NewConversation, NewMessage, NewUser, Role};
use support::{Daemon, ADMIN_TOKEN};

const RUN_FOR: Duration = Duration::from_secs(5);
const WRITERS: usize = 4;
const FILL_CLIENTS: usize = 16;

/// When backups ran: (start, end) of each, for classifying sends.
type Windows = Arc<Mutex<Vec<(Instant, Option<Instant>)>>>;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

async fn conversation(admin: &Client, n: usize) -> commcenter::Id {
    let customer = admin
        .create_user(&NewUser {
            name: format!("Bench customer {n}"),
            role: Role::Customer,
            email: None,
            phone: None,
        })
        .await
        .expect("customer");
    let new = NewConversation {
        customer_id: customer.id,
        subject: Some("bench".into()),
    };
    admin
        .create_conversation(&new)
        .await
        .expect("conversation")
        .id
}

fn message(n: usize) -> NewMessage {
    NewMessage {
        body: Some(format!(
            "Engineer booked for Thursday 9:00, please confirm access to the loft ({n})."
        )),
        ..Default::default()
    }
}

/// Fills the store with `total` messages from `FILL_CLIENTS` clients.
async fn fill(admin: &Client, total: usize) {
    let mut tasks = Vec::new();
    for c in 0..FILL_CLIENTS {
        let admin = admin.clone();
        let id = conversation(&admin, 1000 + c).await;
        let share = total / FILL_CLIENTS + usize::from(c < total % FILL_CLIENTS);
        tasks.push(tokio::spawn(async move {
            for n in 0..share {
                admin.send_message(id, &message(n)).await.expect("fill");
            }
        }));
    }
    for task in tasks {
        task.await.expect("fill task");
    }
}

/// Sends for `RUN_FOR`; answers each send's start and latency.
async fn send_loop(admin: &Client) -> Vec<(Instant, Duration)> {
    let deadline = Instant::now() + RUN_FOR;
    let mut tasks = Vec::new();
    for w in 0..WRITERS {
        let admin = admin.clone();
        let id = conversation(&admin, w).await;
        tasks.push(tokio::spawn(async move {
            let mut sends = Vec::new();
            let mut n = 0;
            while Instant::now() < deadline {
                let started = Instant::now();
                admin.send_message(id, &message(n)).await.expect("send");
                sends.push((started, started.elapsed()));
                n += 1;
            }
            sends
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.expect("writer"));
    }
    all
}

/// Backups back to back until `stop`; answers (duration, size) of each.
async fn back_up_until(
    admin: Client,
    stop: Arc<AtomicBool>,
    windows: Windows,
) -> Vec<(Duration, u64)> {
    let mut made = Vec::new();
    while !stop.load(Ordering::Acquire) {
        let started = Instant::now();
        windows.lock().unwrap().push((started, None));
        let backup = admin.backup(None).await.expect("backup");
        let ended = Instant::now();
        windows.lock().unwrap().last_mut().unwrap().1 = Some(ended);
        made.push((ended - started, backup.size));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    made
}

fn report(label: &str, mut latencies: Vec<Duration>) {
    latencies.sort();
    if latencies.is_empty() {
        println!("{label}: no sends");
        return;
    }
    println!(
        "{label}: {:>6} sends, p50 {:>6.2} ms, p99 {:>6.2} ms, max {:>7.2} ms",
        latencies.len(),
        ms(percentile(&latencies, 0.50)),
        ms(percentile(&latencies, 0.99)),
        ms(*latencies.last().unwrap()),
    );
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let total: usize = std::env::var("BENCH_MESSAGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50_000);
    let daemon = Daemon::start(&[], &[]);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let admin = Client::new(&daemon.base_url, Some(ADMIN_TOKEN.to_owned()));
    println!("machine: {}", support::machine());
    runtime.block_on(async {
        while admin.healthz().await.is_err() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let started = Instant::now();
        fill(&admin, total).await;
        println!(
            "filled {total} messages in {:.1} s",
            started.elapsed().as_secs_f64()
        );

        let alone = send_loop(&admin).await;
        report(
            "without a backup",
            alone.into_iter().map(|(_, l)| l).collect(),
        );

        let stop = Arc::new(AtomicBool::new(false));
        let windows: Windows = Arc::default();
        let backups = tokio::spawn(back_up_until(admin.clone(), stop.clone(), windows.clone()));
        let during = send_loop(&admin).await;
        stop.store(true, Ordering::Release);
        let made = backups.await.expect("backups");
        let windows = windows.lock().unwrap().clone();
        let in_backup = |t: Instant| {
            windows
                .iter()
                .any(|(s, e)| t >= *s && e.is_none_or(|e| t < e))
        };
        report(
            "during backups  ",
            during
                .iter()
                .filter(|(t, _)| in_backup(*t))
                .map(|(_, l)| *l)
                .collect(),
        );
        let mut times: Vec<Duration> = made.iter().map(|(d, _)| *d).collect();
        times.sort();
        let size = made.last().map_or(0, |(_, s)| *s);
        println!(
            "backups: {} made, time p50 {:.0} ms, max {:.0} ms; size of the last {:.1} MiB",
            made.len(),
            ms(percentile(&times, 0.5)),
            ms(*times.last().unwrap()),
            size as f64 / (1024.0 * 1024.0)
        );
    });
}

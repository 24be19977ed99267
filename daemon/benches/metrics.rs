//! What recording a request in `/metrics` costs on the request's path:
//! `HttpMetrics::record` (one counter and one histogram observation, each
//! found by label lookup), in nanoseconds per request.
//!
//! 1. `one thread`: 2,000,000 records over 40 label sets (10 routes × 2
//!    methods × 2 statuses), as a busy daemon spreads them.
//! 2. `two threads`: the same from two threads at once (the runtime's two
//!    workers), both on the same label sets: the contended case.
//!
//! Each figure is given twice: by the wall clock, and by the thread's own
//! CPU time (`/proc/thread-self/schedstat`), which a busy shared machine
//! does not inflate.
//!
//! Run: `cargo bench -p commcenterd --bench metrics`.

use std::time::{Duration, Instant};

use commcenterd::metrics::HttpMetrics;
use http::Method;

const RECORDS: usize = 2_000_000;
const ROUTES: [&str; 10] = [
    "/api/v1/me",
    "/api/v1/conversations",
    "/api/v1/conversations/{id}",
    "/api/v1/conversations/{id}/messages",
    "/api/v1/messages/{id}",
    "/api/v1/messages/{id}/read",
    "/api/v1/files/{id}",
    "/api/v1/search/messages",
    "/api/v1/users",
    "/healthz",
];

/// Nanoseconds this thread has run on a CPU (Linux).
fn thread_cpu_ns() -> u64 {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap_or_default();
    stat.split_whitespace()
        .next()
        .and_then(|ns| ns.parse().ok())
        .unwrap_or(0)
}

/// Wall time and CPU time of `records` records.
fn record_many(metrics: &HttpMetrics, records: usize) -> (Duration, Duration) {
    let methods = [Method::GET, Method::POST];
    let statuses = [200, 404];
    let cpu = thread_cpu_ns();
    let started = Instant::now();
    for n in 0..records {
        let route = ROUTES[n % ROUTES.len()];
        let method = &methods[(n / 10) % 2];
        let status = statuses[(n / 20) % 2];
        metrics.record(
            method,
            route,
            status,
            Duration::from_micros((n % 5000) as u64),
        );
    }
    let wall = started.elapsed();
    (wall, Duration::from_nanos(thread_cpu_ns() - cpu))
}

fn per_record(took: Duration) -> f64 {
    took.as_nanos() as f64 / RECORDS as f64
}

fn main() {
    let metrics = HttpMetrics::default();
    // Warm up: every label set exists, as in a daemon that has run a while.
    record_many(&metrics, 10_000);

    let (wall, cpu) = record_many(&metrics, RECORDS);
    println!(
        "one thread: {RECORDS} records: {:.0} ns per request (wall), {:.0} ns (CPU)",
        per_record(wall),
        per_record(cpu)
    );

    let started = Instant::now();
    let threads: Vec<_> = (0..2)
        .map(|_| {
            let metrics = metrics.clone();
            std::thread::spawn(move || record_many(&metrics, RECORDS))
        })
        .collect();
    let per_thread: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    for (n, (wall, cpu)) in per_thread.iter().enumerate() {
        println!(
            "two threads, thread {n}: {:.0} ns per request (wall), {:.0} ns (CPU)",
            per_record(*wall),
            per_record(*cpu)
        );
    }
    println!(
        "two threads: {} records in {:.0} ms wall",
        2 * RECORDS,
        started.elapsed().as_secs_f64() * 1e3
    );
}

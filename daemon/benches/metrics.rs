//! What recording a request in `/metrics` costs on the request's path:
//! `HttpMetrics::record` (one counter and one histogram observation, each
//! found by label lookup), in nanoseconds per request.
//!
//! 1. `one thread`: 2,000,000 records over 40 label sets (10 routes × 2
//!    methods × 2 statuses), as a busy daemon spreads them.
//! 2. `two threads`: the same from two threads at once (the runtime's two
//!    workers), both on the same label sets: the contended case.
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

fn record_many(metrics: &HttpMetrics, records: usize) -> Duration {
    let methods = [Method::GET, Method::POST];
    let statuses = [200, 404];
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
    started.elapsed()
}

fn main() {
    let metrics = HttpMetrics::default();
    // Warm up: every label set exists, as in a daemon that has run a while.
    record_many(&metrics, 10_000);

    let took = record_many(&metrics, RECORDS);
    println!(
        "one thread: {RECORDS} records in {:.0} ms: {:.0} ns per request",
        took.as_secs_f64() * 1e3,
        took.as_nanos() as f64 / RECORDS as f64
    );

    let started = Instant::now();
    let threads: Vec<_> = (0..2)
        .map(|_| {
            let metrics = metrics.clone();
            std::thread::spawn(move || record_many(&metrics, RECORDS))
        })
        .collect();
    let per_thread: Vec<Duration> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    let wall = started.elapsed();
    for (n, took) in per_thread.iter().enumerate() {
        println!(
            "two threads, thread {n}: {:.0} ns per request",
            took.as_nanos() as f64 / RECORDS as f64
        );
    }
    println!(
        "two threads: {} records in {:.0} ms wall",
        2 * RECORDS,
        wall.as_secs_f64() * 1e3
    );
}

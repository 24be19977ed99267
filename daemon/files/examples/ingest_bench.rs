//! Throughput and memory of streaming ingest (hash + temp file + sniff) for one big
//! upload, next to plain SHA-256 of the same bytes in memory.
//!
//! `cargo run --release -p commcenter-files --example ingest_bench [MiB]` (default 256).
//!
//! The body is fed from memory in 64 KiB chunks (what hyper hands over), so this
//! measures this crate's part of an upload, not the network. Peak RSS growth is read
//! from `/proc/self/status` (`VmHWM` before and after).

use std::time::Instant;

use bytes::Bytes;
use commcenter_files::{ingest, Declared, Limits};
use sha2::{Digest, Sha256};

const CHUNK: usize = 64 * 1024;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mib: usize = std::env::args()
        .nth(1)
        .map(|n| n.parse())
        .transpose()?
        .unwrap_or(256);
    // Text, so the whole-file UTF-8 check runs to the end too (the slowest case).
    let chunk = Bytes::from(
        (0..CHUNK)
            .map(|i| b"abcdefghijklmnopqrstuvwxyz\n"[i % 27])
            .collect::<Vec<u8>>(),
    );
    let chunks = mib * 1024 * 1024 / CHUNK;
    let tmp = tempfile::tempdir()?;

    let start = Instant::now();
    let mut hasher = Sha256::new();
    (0..chunks).for_each(|_| hasher.update(&chunk));
    let digest = hex::encode(hasher.finalize());
    report("sha256 in memory", mib, start.elapsed().as_secs_f64());

    let limits = Limits {
        max_file_size: (mib * 1024 * 1024) as u64,
    };
    let body =
        futures_util::stream::iter((0..chunks).map(|_| Ok::<_, std::io::Error>(chunk.clone())));
    let peak_before = peak_rss_kib();
    let start = Instant::now();
    let ingested = ingest(body, Declared::default(), &limits, tmp.path()).await?;
    report("ingest to temp file", mib, start.elapsed().as_secs_f64());
    println!(
        "peak RSS growth during ingest: {} KiB; hash matches: {}",
        peak_rss_kib().saturating_sub(peak_before),
        ingested.sha256.as_str() == digest
    );
    Ok(())
}

fn report(what: &str, mib: usize, seconds: f64) {
    println!(
        "{what}: {mib} MiB in {seconds:.3} s = {:.0} MiB/s",
        mib as f64 / seconds
    );
}

fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

//! Message search on a large generated store, beside SQLite FTS5 on the
//! same corpus and the same queries.
//!
//! 1. Generates `MESSAGES` messages (default 1,000,000; `SEARCH_BENCH_MESSAGES`
//!    overrides) with a Zipf-distributed vocabulary of 20,000 words, lengths
//!    of 3 to 60 words, over 2,000 customers and two years, a mix of
//!    channels, some email subjects and staff notes; writes them into a
//!    store through the store library (1,000 per transaction) and times it.
//! 2. Reads the index size against the text size.
//! 3. Starts the release `commcenterd` on that data dir and times, over
//!    HTTP, 200 queries of each kind: one word, two words, prefix, phrase,
//!    two words with a channel and a 90-day range, and two words as a
//!    customer (rights checked inside the query).
//! 4. Runs `fts5_peer.py` (Python's sqlite3, FTS5 with `unicode61
//!    remove_diacritics 2`) on the same corpus and queries, and prints the
//!    ratio for each kind.
//!
//! Run: `cargo bench -p commcenterd --bench search`. Bounded: the corpus
//! size is fixed, each query kind runs 200 queries.

mod support;

use std::io::Write;
use std::process::Command;
use std::time::{Duration, Instant};

use commcenter::access::Caller;
use commcenter::client::Client;
use commcenter::wire::{Channel, NewConversation, NewUser, Role, SearchQuery};
use commcenter::{Id, Timestamp};
use commcenter_store::{ImportedMessage, Store, StoreOptions};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;
use support::{Daemon, ADMIN_TOKEN};

const CUSTOMERS: usize = 2_000;
const AGENTS: usize = 10;
const VOCABULARY: usize = 20_000;
const QUERIES: usize = 200;
const TWO_YEARS_MS: i64 = 2 * 365 * 86_400_000;
const PER_TRANSACTION: usize = 1_000;

/// Common words of the trade first (the most frequent), then made-up ones
/// for the long tail.
const TRADE_WORDS: &[&str] = &[
    "the",
    "to",
    "and",
    "a",
    "for",
    "is",
    "on",
    "we",
    "you",
    "it",
    "at",
    "will",
    "be",
    "of",
    "in",
    "thanks",
    "tomorrow",
    "crew",
    "arrives",
    "invoice",
    "quote",
    "photo",
    "boiler",
    "kitchen",
    "roof",
    "window",
    "door",
    "paint",
    "tiles",
    "bathroom",
    "leak",
    "water",
    "heater",
    "drain",
    "gutter",
    "fence",
    "garden",
    "deck",
    "floor",
    "wall",
    "ceiling",
    "plaster",
    "electrician",
    "plumber",
    "appointment",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "morning",
    "afternoon",
    "payment",
    "deposit",
    "balance",
    "receipt",
    "estimate",
    "materials",
    "delivery",
    "scaffold",
    "skip",
    "permit",
    "inspection",
    "survey",
    "measurements",
    "cabinet",
    "worktop",
    "sink",
    "tap",
    "shower",
    "radiator",
    "valve",
    "insulation",
    "loft",
    "extension",
    "foundation",
    "brick",
    "mortar",
    "concrete",
    "timber",
    "joinery",
    "glazing",
    "sealant",
    "grout",
    "primer",
    "varnish",
    "carpet",
    "laminate",
    "oak",
    "granite",
    "marble",
    "copper",
    "pipe",
    "wiring",
    "socket",
    "switch",
    "light",
    "fitting",
    "install",
    "repair",
    "replace",
    "clean",
    "check",
    "confirm",
    "booked",
    "cancel",
    "reschedule",
    "late",
    "early",
    "parking",
    "key",
    "access",
    "gate",
    "alarm",
    "dog",
    "neighbour",
    "noise",
    "dust",
    "warranty",
    "guarantee",
    "snagging",
    "handover",
];

/// A word sampler: Zipf (s = 1.05) over the vocabulary.
struct Words {
    words: Vec<String>,
    cdf: Vec<f64>,
}

impl Words {
    fn new(rng: &mut StdRng) -> Words {
        let mut words: Vec<String> = TRADE_WORDS.iter().map(|w| (*w).to_owned()).collect();
        const SYLLABLES: &[&str] = &[
            "ka", "lo", "mi", "ne", "ru", "sa", "te", "vo", "zi", "bra", "cle", "dro", "fen",
            "gal", "hor", "jin", "kel", "lun", "mor", "nix", "pol", "quin", "ros", "sel", "tor",
        ];
        while words.len() < VOCABULARY {
            let n = rng.random_range(2..=4);
            let word: String = (0..n)
                .map(|_| SYLLABLES[rng.random_range(0..SYLLABLES.len())])
                .collect();
            words.push(word);
        }
        words.dedup();
        let mut total = 0.0;
        let cdf = (1..=words.len())
            .map(|rank| {
                total += 1.0 / (rank as f64).powf(1.05);
                total
            })
            .collect::<Vec<_>>();
        let cdf = cdf.iter().map(|c| c / total).collect();
        Words { words, cdf }
    }

    fn pick(&self, rng: &mut StdRng) -> &str {
        let x: f64 = rng.random();
        let i = self
            .cdf
            .partition_point(|&c| c < x)
            .min(self.words.len() - 1);
        &self.words[i]
    }

    fn sentence(&self, rng: &mut StdRng) -> String {
        let n = rng.random_range(3..=60);
        let mut out = String::new();
        for i in 0..n {
            if i > 0 {
                out.push(' ');
            }
            out.push_str(self.pick(rng));
        }
        out
    }
}

/// One generated message, as written to the store and to the FTS5 corpus.
struct Generated {
    conversation: usize,
    staff: bool,
    channel: Channel,
    subject: Option<String>,
    body: String,
    private: bool,
    at_ms: i64,
}

fn generate(words: &Words, rng: &mut StdRng, n: usize, start_ms: i64) -> Vec<Generated> {
    let step = TWO_YEARS_MS / n as i64;
    (0..n)
        .map(|i| {
            let channel = match rng.random_range(0..100) {
                0..70 => Channel::InApp,
                70..85 => Channel::Sms,
                85..95 => Channel::Email,
                _ => Channel::Phone,
            };
            let staff = rng.random_bool(0.5);
            Generated {
                conversation: rng.random_range(0..CUSTOMERS),
                staff,
                channel,
                subject: (channel == Channel::Email).then(|| words.sentence(rng)),
                body: words.sentence(rng),
                private: staff && channel == Channel::InApp && rng.random_bool(0.04),
                at_ms: start_ms + i as i64 * step + rng.random_range(0..step.max(1)),
            }
        })
        .collect()
}

struct Built {
    customers: Vec<Id>,
    text_bytes: u64,
    build: Duration,
}

/// Writes the corpus into a fresh store at `path` and to `corpus` (JSON lines).
async fn build_store(
    path: &std::path::Path,
    corpus: &std::path::Path,
    messages: &[Generated],
) -> Built {
    let store = Store::open(path, &StoreOptions::default()).expect("store");
    let (customers, conversations, agent) = store
        .write(|tx| {
            let admin = tx.create_user_with_token(user("Bench admin", Role::Admin), ADMIN_TOKEN)?;
            let admin = Caller {
                user_id: admin.id,
                role: Role::Admin,
                token_id: admin.id,
            };
            let mut agents = Vec::new();
            for n in 0..AGENTS {
                agents.push(
                    tx.create_user(&admin, user(&format!("Agent {n}"), Role::Agent))?
                        .id,
                );
            }
            let mut customers = Vec::new();
            let mut conversations = Vec::new();
            for n in 0..CUSTOMERS {
                let token = format!("cct_bench_customer_{n}");
                let c = tx.create_user_with_token(
                    user(&format!("Customer {n}"), Role::Customer),
                    &token,
                )?;
                let new = NewConversation {
                    customer_id: c.id,
                    subject: None,
                };
                conversations.push(tx.create_conversation(&admin, new)?.id);
                customers.push(c.id);
            }
            Ok::<_, commcenter_store::StoreError>((customers, conversations, agents[0]))
        })
        .await
        .expect("users");
    let mut out = std::io::BufWriter::new(std::fs::File::create(corpus).expect("corpus"));
    let mut text_bytes = 0u64;
    for (i, m) in messages.iter().enumerate() {
        text_bytes += (m.body.len() + m.subject.as_ref().map_or(0, String::len)) as u64;
        let line = json!({
            "rowid": i + 1, "body": m.body, "subject": m.subject,
            "customer": m.conversation, "channel": m.channel.as_str(),
            "created": m.at_ms, "private": m.private,
        });
        writeln!(out, "{line}").expect("write corpus");
    }
    out.flush().expect("flush corpus");
    let started = Instant::now();
    for chunk in messages.chunks(PER_TRANSACTION) {
        let batch: Vec<(Id, ImportedMessage)> = chunk
            .iter()
            .map(|m| {
                let sender = if m.staff {
                    agent
                } else {
                    customers[m.conversation]
                };
                (conversations[m.conversation], imported(m, sender))
            })
            .collect();
        store
            .write(move |tx| {
                for (conversation, message) in batch {
                    tx.import_message(conversation, message)?;
                }
                Ok::<_, commcenter_store::StoreError>(())
            })
            .await
            .expect("import");
    }
    let build = started.elapsed();
    store.close().await;
    Built {
        customers,
        text_bytes,
        build,
    }
}

fn user(name: &str, role: Role) -> NewUser {
    NewUser {
        name: name.to_owned(),
        role,
        email: None,
        phone: None,
    }
}

fn imported(m: &Generated, sender: Id) -> ImportedMessage {
    ImportedMessage {
        sender_id: sender,
        channel: m.channel,
        subject: m.subject.clone(),
        body: m.body.clone(),
        private: m.private,
        location: None,
        at: Timestamp::from_millis(m.at_ms),
    }
}

/// One query of a kind, in our terms and in FTS5's.
struct Query {
    ours: SearchQuery,
    fts: String,
    channel: Option<&'static str>,
    range: Option<(i64, i64)>,
    customer: Option<usize>,
}

fn two_words(m: &Generated, rng: &mut StdRng) -> (String, String) {
    let words: Vec<&str> = m.body.split(' ').collect();
    let a = words[rng.random_range(0..words.len())].to_owned();
    let b = words[rng.random_range(0..words.len())].to_owned();
    (a, b)
}

fn queries(kind: &str, messages: &[Generated], words: &Words, rng: &mut StdRng) -> Vec<Query> {
    (0..QUERIES)
        .map(|_| {
            let m = &messages[rng.random_range(0..messages.len())];
            let (a, b) = two_words(m, rng);
            let plain = |q: String, fts: String| Query {
                ours: SearchQuery {
                    q: Some(q),
                    ..Default::default()
                },
                fts,
                channel: None,
                range: None,
                customer: None,
            };
            match kind {
                "one word" => {
                    let w = words.words[rng.random_range(100..2_000)].clone();
                    plain(w.clone(), format!("\"{w}\""))
                }
                "two words" => plain(format!("{a} {b}"), format!("\"{a}\" \"{b}\"")),
                "prefix" => {
                    let p: String = b.chars().take(3).collect();
                    plain(format!("{a} {p}"), format!("\"{a}\" \"{p}\"*"))
                }
                "phrase" => {
                    let ws: Vec<&str> = m.body.split(' ').collect();
                    let i = rng.random_range(0..ws.len() - 1);
                    let phrase = format!("{} {}", ws[i], ws[i + 1]);
                    plain(format!("\"{phrase}\""), format!("\"{phrase}\""))
                }
                "filtered" => {
                    let since = m.at_ms - 45 * 86_400_000;
                    let until = m.at_ms + 45 * 86_400_000;
                    Query {
                        ours: SearchQuery {
                            q: Some(format!("{a} {b}")),
                            channel: Some(m.channel),
                            since: Some(Timestamp::from_millis(since)),
                            until: Some(Timestamp::from_millis(until)),
                            ..Default::default()
                        },
                        fts: format!("\"{a}\" \"{b}\""),
                        channel: Some(m.channel.as_str()),
                        range: Some((since, until)),
                        customer: None,
                    }
                }
                _ => Query {
                    customer: Some(m.conversation),
                    ..plain(format!("{a} {b}"), format!("\"{a}\" \"{b}\""))
                },
            }
        })
        .collect()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

async fn time_ours(
    client_for: impl Fn(Option<usize>) -> Client,
    queries: &[Query],
) -> (Duration, Duration, f64) {
    let mut times = Vec::new();
    let mut found = 0usize;
    for q in queries {
        let client = client_for(q.customer);
        let started = Instant::now();
        let page = client
            .search_messages(&q.ours, Some(50), None)
            .await
            .expect("search");
        times.push(started.elapsed());
        found += page.items.len();
    }
    times.sort();
    (
        percentile(&times, 0.5),
        percentile(&times, 0.99),
        found as f64 / queries.len() as f64,
    )
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let n: usize = std::env::var("SEARCH_BENCH_MESSAGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    println!("machine: {}", support::machine());
    let mut rng = StdRng::seed_from_u64(7);
    let words = Words::new(&mut rng);
    let start_ms = Timestamp::now().millis() - TWO_YEARS_MS;
    let messages = generate(&words, &mut rng, n, start_ms);
    let dir = tempfile::tempdir().expect("data dir");
    let work = tempfile::tempdir().expect("work dir");
    let corpus = work.path().join("corpus.jsonl");
    let store_path = dir.path().join("commcenter.redb");
    let built = build_store(&store_path, &corpus, &messages).await;
    println!(
        "built {n} messages in {:.1} s ({:.0} messages/s, through the store library, {PER_TRANSACTION} per transaction)",
        built.build.as_secs_f64(),
        n as f64 / built.build.as_secs_f64()
    );
    let store = Store::open(&store_path, &StoreOptions::default()).expect("reopen");
    let size = store
        .read(|v| v.search_index_size())
        .await
        .expect("index size");
    store.close().await;
    drop(store);
    println!(
        "index: {:.1} MiB for {} docs = {:.0} bytes/message; text {:.1} MiB = {:.0} bytes/message; index/text = {:.2}",
        size.bytes as f64 / 1048576.0,
        size.docs,
        size.bytes as f64 / n as f64,
        built.text_bytes as f64 / 1048576.0,
        built.text_bytes as f64 / n as f64,
        size.bytes as f64 / built.text_bytes as f64
    );
    for (table, bytes) in &size.tables {
        println!("  {table}: {:.0} bytes/message", *bytes as f64 / n as f64);
    }
    let store_bytes = std::fs::metadata(&store_path).map(|m| m.len()).unwrap_or(0);
    println!("store file: {:.1} MiB", store_bytes as f64 / 1048576.0);

    let kinds = [
        "one word",
        "two words",
        "prefix",
        "phrase",
        "filtered",
        "two words as a customer",
    ];
    let sets: Vec<(&str, Vec<Query>)> = kinds
        .iter()
        .map(|k| (*k, queries(k, &messages, &words, &mut rng)))
        .collect();
    let queries_file = work.path().join("queries.json");
    let as_json: Vec<_> = sets
        .iter()
        .map(|(kind, qs)| {
            json!({"kind": kind, "queries": qs.iter().map(|q| json!({
                "match": q.fts, "channel": q.channel, "range": q.range, "customer": q.customer,
            })).collect::<Vec<_>>()})
        })
        .collect();
    std::fs::write(&queries_file, serde_json::to_vec(&as_json).unwrap()).unwrap();

    let daemon = Daemon::start_on(dir, &[], &[]);
    let base = daemon.base_url.clone();
    let admin = daemon.admin();
    let client_for = |customer: Option<usize>| match customer {
        Some(c) => Client::new(&base, Some(format!("cct_bench_customer_{c}"))),
        None => admin.clone(),
    };
    // Warm the page cache the way a running daemon has it.
    let _ = time_ours(&client_for, &sets[1].1).await;
    let mut ours = Vec::new();
    for (kind, qs) in &sets {
        let (p50, p99, hits) = time_ours(&client_for, qs).await;
        ours.push((kind.to_owned(), p50, p99, hits));
    }
    println!(
        "daemon RSS after the queries: {:.1} MiB",
        daemon.rss_kib() as f64 / 1024.0
    );
    drop(daemon);

    let peer = env!("CARGO_MANIFEST_DIR").to_owned() + "/benches/fts5_peer.py";
    let output = Command::new("python3")
        .args([
            &peer,
            corpus.to_str().unwrap(),
            queries_file.to_str().unwrap(),
        ])
        .output()
        .expect("run fts5_peer.py");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let fts: serde_json::Value = serde_json::from_slice(&output.stdout).expect("peer json");
    println!(
        "FTS5 build: {:.1} s, index {:.1} MiB",
        fts["build_s"].as_f64().unwrap(),
        fts["index_mib"].as_f64().unwrap()
    );
    println!("\n| query | ours p50 | ours p99 | hits/query | FTS5 p50 | FTS5 p99 | p50 ratio (FTS5/ours) |");
    println!("|---|---|---|---|---|---|---|");
    for (kind, p50, p99, hits) in ours {
        let f = &fts["kinds"][kind];
        let f50 = f["p50_ms"].as_f64().unwrap();
        let f99 = f["p99_ms"].as_f64().unwrap();
        println!(
            "| {kind} | {} | {} | {hits:.1} | {f50:.2} ms | {f99:.2} ms | {:.2}× |",
            ms(p50),
            ms(p99),
            f50 / (p50.as_secs_f64() * 1000.0)
        );
    }
    let _ = built.customers;
}

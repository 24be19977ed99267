//! Analytics answer latency on stores of different sizes.
//!
//! For each size, fills a fresh store in-process through the store's own
//! writes (`import_message`, `read_conversation`: the same code the API and
//! the demo use, analytics kept up to date in each transaction) with one
//! message every 5 minutes up to now (288 a day: a store of 1,000,000
//! messages holds 9.5 years, one of 10,000 the last 35 days), 1,000
//! customers with one conversation each and 5 agents. Then it asks the
//! overview, one customer's figures and the agents' figures for the last 30
//! and 365 days, each `QUERIES` times, through `Store::read` as the daemon's
//! handlers do (HTTP not included), and prints p50/p99.
//!
//! Run: `cargo bench -p commcenterd --bench analytics` (sizes 10,000 and
//! 1,000,000); `-- 10000 200000` for other sizes.

use std::time::{Duration, Instant};

use commcenter::access::Caller;
use commcenter::wire::{Channel, NewConversation, NewUser, Role};
use commcenter::{Id, Timestamp};
use commcenter_store::{AnalyticsQuery, ImportedMessage, Store, StoreError, StoreOptions, Tx};

const DEFAULT_SIZES: [usize; 2] = [10_000, 1_000_000];
const CUSTOMERS: usize = 1_000;
const AGENTS: usize = 5;
const SPACING_MS: i64 = 5 * 60_000;
const BATCH: usize = 2_000;
const QUERIES: usize = 200;
const DAY_MS: i64 = 86_400_000;

/// A small deterministic generator (xorshift), so runs fill the same store.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// Who is in the store.
struct Cast {
    admin: Caller,
    agents: Vec<Caller>,
    customers: Vec<(Caller, Id)>,
}

fn caller(user_id: Id, role: Role) -> Caller {
    Caller {
        user_id,
        role,
        token_id: user_id,
    }
}

fn add_user(tx: &mut Tx<'_>, name: String, role: Role) -> Result<Caller, StoreError> {
    let secret = format!("cct_bench_{}", name.replace(' ', "_"));
    let new = NewUser {
        name,
        role,
        email: Some("someone@example.com".into()),
        phone: Some("+44 7700 900000".into()),
    };
    let user = tx.create_user_with_token(new, &secret)?;
    Ok(caller(user.id, role))
}

fn cast(tx: &mut Tx<'_>) -> Result<Cast, StoreError> {
    let admin = add_user(tx, "Bench admin".into(), Role::Admin)?;
    let agents = (0..AGENTS)
        .map(|n| add_user(tx, format!("Agent {n}"), Role::Agent))
        .collect::<Result<_, _>>()?;
    let mut customers = Vec::new();
    for n in 0..CUSTOMERS {
        let customer = add_user(tx, format!("Customer {n}"), Role::Customer)?;
        let new = NewConversation {
            customer_id: customer.user_id,
            subject: Some("Bench".into()),
        };
        let conversation = tx.create_conversation(&admin, new)?;
        customers.push((customer, conversation.id));
    }
    Ok(Cast {
        admin,
        agents,
        customers,
    })
}

/// The next message of a conversation whose last message was inbound (or
/// not): mostly alternating, with runs of inbound messages, some calls,
/// SMS, email and staff-only notes.
fn message(
    dice: &mut Dice,
    cast: &Cast,
    customer: usize,
    last_inbound: bool,
    at: Timestamp,
) -> ImportedMessage {
    let outbound = if last_inbound {
        dice.chance(80)
    } else {
        dice.chance(30)
    };
    let sender = if outbound {
        cast.agents[dice.below(AGENTS)].user_id
    } else {
        cast.customers[customer].0.user_id
    };
    let channel = match dice.below(10) {
        0 => Channel::Sms,
        1 => Channel::Email,
        2 => Channel::Phone,
        _ => Channel::InApp,
    };
    ImportedMessage {
        sender_id: sender,
        channel,
        subject: None,
        body: "Engineer booked for Thursday 9:00, please confirm access.".into(),
        private: outbound && dice.chance(5),
        location: None,
        at,
    }
}

/// Fills the store with `size` messages ending now; answers the time taken.
async fn fill(store: &Store, size: usize, now: Timestamp) -> (Cast, Duration) {
    let started_at = now.plus_millis(-(size as i64) * SPACING_MS);
    let cast = store
        .write(move |tx| {
            tx.set_clock(started_at);
            cast(tx)
        })
        .await
        .expect("cast");
    let cast = std::sync::Arc::new(cast);
    let started = Instant::now();
    let mut dice = Dice(0x9e37_79b9_7f4a_7c15);
    let mut last_inbound = vec![false; CUSTOMERS];
    for first in (0..size).step_by(BATCH) {
        let mut batch = Vec::new();
        for n in first..(first + BATCH).min(size) {
            let customer = dice.below(CUSTOMERS);
            let at = started_at.plus_millis(n as i64 * SPACING_MS);
            let m = message(&mut dice, &cast, customer, last_inbound[customer], at);
            let staff = m.sender_id != cast.customers[customer].0.user_id;
            if !m.private {
                last_inbound[customer] = !staff;
            }
            let read = staff && !m.private && m.channel == Channel::InApp && dice.chance(60);
            batch.push((customer, m, read));
        }
        let cast = cast.clone();
        store
            .write(move |tx| write_batch(tx, &cast, batch))
            .await
            .expect("batch");
    }
    let cast = std::sync::Arc::try_unwrap(cast).ok().expect("one owner");
    (cast, started.elapsed())
}

fn write_batch(
    tx: &mut Tx<'_>,
    cast: &Cast,
    batch: Vec<(usize, ImportedMessage, bool)>,
) -> Result<(), StoreError> {
    for (customer, message, read) in batch {
        let (reader, conversation) = cast.customers[customer];
        let at = message.at;
        let sent = tx.import_message(conversation, message)?;
        if read {
            tx.set_clock(at.plus_millis(60_000));
            tx.read_conversation(&reader, conversation, Some(sent.id))?;
        }
    }
    Ok(())
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

#[derive(Clone, Copy)]
enum Ask {
    Overview,
    Customer,
    Agents,
}

async fn measure(store: &Store, cast: &Cast, now: Timestamp, ask: Ask, days: i64) -> String {
    let since = now.plus_millis(-days * DAY_MS).to_string();
    let until = now.to_string();
    let q =
        AnalyticsQuery::parse(Some(&since), Some(&until), Some("Europe/London")).expect("query");
    let mut dice = Dice(7);
    let mut times = Vec::new();
    let mut last_total = 0;
    for _ in 0..QUERIES {
        let (admin, q) = (cast.admin, q.clone());
        let customer = cast.customers[dice.below(CUSTOMERS)].0.user_id;
        let started = Instant::now();
        last_total = store
            .read(move |v| match ask {
                Ask::Overview => v
                    .analytics_overview(&admin, &q, now)
                    .map(|o| o.total_messages),
                Ask::Customer => v
                    .analytics_customer(&admin, customer, &q, false, now)
                    .map(|c| c.figures.total_messages),
                Ask::Agents => v
                    .analytics_agents(&admin, &q, now)
                    .map(|a| a.items.iter().map(|i| i.replies).sum()),
            })
            .await
            .expect("analytics");
        times.push(started.elapsed());
    }
    times.sort();
    format!(
        "p50 {:>6.3} ms, p99 {:>6.3} ms (last answer counted {last_total} messages)",
        percentile(&times, 0.5).as_secs_f64() * 1e3,
        percentile(&times, 0.99).as_secs_f64() * 1e3,
    )
}

async fn run(size: usize) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("store.redb");
    let store = Store::open(&path, &StoreOptions::default()).expect("store");
    let now = Timestamp::now();
    let (cast, took) = fill(&store, size, now).await;
    let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    println!(
        "store of {size} messages: filled in {:.1} s ({:.0} messages/s in batches of {BATCH}), file {:.0} MiB",
        took.as_secs_f64(),
        size as f64 / took.as_secs_f64(),
        bytes as f64 / 1048576.0,
    );
    for days in [30, 365] {
        for (name, ask) in [
            ("overview", Ask::Overview),
            ("customer", Ask::Customer),
            ("agents  ", Ask::Agents),
        ] {
            let figures = measure(&store, &cast, now, ask, days).await;
            println!("  {name} {days:>3} days: {figures}");
        }
    }
    store.close().await;
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--list") {
        return;
    }
    let sizes: Vec<usize> = args.iter().filter_map(|a| a.parse().ok()).collect();
    let sizes = if sizes.is_empty() {
        DEFAULT_SIZES.to_vec()
    } else {
        sizes
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    for size in sizes {
        runtime.block_on(run(size));
    }
}

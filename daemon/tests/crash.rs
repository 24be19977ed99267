//! kill -9: the real binary, concurrent writers with Idempotency-Keys, and
//! SIGKILL at a random moment, over several cycles. After every restart,
//! every acknowledged message is there exactly once, a write whose answer
//! was lost lands at most once (and exactly once when retried with its
//! key), and no event `seq` is ever given twice.

mod process;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use commcenter::client::Client;
use commcenter::wire::{Message, NewConversation, NewUser, Role};
use commcenter::Id;
use http::Method;
use process::{next_json, websocket, Process};
use rand::Rng;

const CYCLES: usize = 6;
const WRITERS: usize = 4;

/// Messages by the Idempotency-Key that sent them (also their body).
type Acknowledged = HashMap<String, Id>;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_messages_survive_kill_9_exactly_once_and_no_seq_is_reused() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut daemon = Process::start(&data, &[]);
    let conversation = open_conversation(&daemon.admin()).await;
    let mut acknowledged = Acknowledged::new();
    let mut unanswered: Vec<String> = Vec::new();
    // Every event seen live, by seq: what it was about.
    let mut seen: BTreeMap<u64, String> = BTreeMap::new();
    for cycle in 0..CYCLES {
        let admin = daemon.admin();
        retry_unanswered(&admin, conversation, &mut unanswered, &mut acknowledged).await;
        let (socket, hello) = websocket(&daemon.base_url, "").await;
        let epoch = hello["data"]["epoch"].as_str().unwrap().to_owned();
        let listener = tokio::spawn(collect_events(socket));
        let stop = Arc::new(AtomicBool::new(false));
        let writers: Vec<_> = (0..WRITERS)
            .map(|w| {
                tokio::spawn(write(
                    admin.clone(),
                    conversation,
                    format!("c{cycle}w{w}"),
                    stop.clone(),
                ))
            })
            .collect();
        let wait = rand::rng().random_range(150..600);
        tokio::time::sleep(Duration::from_millis(wait)).await;
        daemon.kill();
        stop.store(true, Ordering::Release);
        for writer in writers {
            let (acked, lost) = writer.await.unwrap();
            acknowledged.extend(acked);
            unanswered.extend(lost);
        }
        let live = listener.await.unwrap();
        daemon = Process::start(&data, &[]);
        check_messages(&daemon.admin(), conversation, &acknowledged, &unanswered).await;
        for (seq, about) in live {
            if let Some(earlier) = seen.insert(seq, about.clone()) {
                assert_eq!(earlier, about, "seq {seq} was given twice");
            }
        }
        check_event_log(&daemon.base_url, &epoch, &seen).await;
    }
    assert!(
        acknowledged.len() > 20,
        "the writers got through: {}",
        acknowledged.len()
    );
}

async fn open_conversation(admin: &Client) -> Id {
    let customer = admin
        .create_user(&NewUser {
            name: "Ann Customer".into(),
            role: Role::Customer,
            email: None,
            phone: None,
        })
        .await
        .unwrap();
    let conversation = NewConversation {
        customer_id: customer.id,
        subject: None,
    };
    admin.create_conversation(&conversation).await.unwrap().id
}

/// Sends messages keyed `{prefix}-{n}` until stopped or the daemon is gone;
/// answers those acknowledged and the one whose answer was lost.
async fn write(
    admin: Client,
    conversation: Id,
    prefix: String,
    stop: Arc<AtomicBool>,
) -> (Acknowledged, Vec<String>) {
    let mut acked = Acknowledged::new();
    for n in 0.. {
        if stop.load(Ordering::Acquire) {
            break;
        }
        let key = format!("{prefix}-{n}");
        match send(&admin, conversation, &key).await {
            Some(message) => {
                acked.insert(key, message.id);
            }
            None => return (acked, vec![key]),
        }
    }
    (acked, Vec::new())
}

/// Sends the message `key` with `Idempotency-Key: key`; `None` when no
/// answer came (the daemon died).
async fn send(admin: &Client, conversation: Id, key: &str) -> Option<Message> {
    let path = format!("/api/v1/conversations/{conversation}/messages");
    let body = serde_json::to_vec(&serde_json::json!({ "body": key })).unwrap();
    let headers = [("idempotency-key", key)];
    let answer = admin
        .send_raw(Method::POST, &path, Some(body), &headers)
        .await
        .ok()?;
    assert_eq!(
        answer.status,
        201,
        "{}",
        String::from_utf8_lossy(&answer.body)
    );
    Some(answer.json().unwrap())
}

/// Sends again, with the same keys, the writes whose answers were lost:
/// each is then acknowledged, as the first message if it had been stored.
async fn retry_unanswered(
    admin: &Client,
    conversation: Id,
    unanswered: &mut Vec<String>,
    acknowledged: &mut Acknowledged,
) {
    for key in unanswered.drain(..) {
        let message = send(admin, conversation, &key)
            .await
            .expect("the daemon answers");
        assert_eq!(message.body, key);
        acknowledged.insert(key, message.id);
    }
}

/// The `message.created` events of a socket until it ends: seq → message id.
async fn collect_events(
    mut socket: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
) -> Vec<(u64, String)> {
    let mut events = Vec::new();
    while let Some(frame) = next_json(&mut socket).await {
        if let Some(seq) = frame["seq"].as_u64() {
            events.push((seq, about(&frame)));
        }
    }
    events
}

/// What an event is about: its type and the message's id, if any.
fn about(frame: &serde_json::Value) -> String {
    let id = frame["data"]["message"]["id"].as_str().unwrap_or("-");
    format!("{} {id}", frame["type"].as_str().unwrap_or("?"))
}

/// Every acknowledged message is there exactly once, under its id; a write
/// whose answer was lost is there at most once.
async fn check_messages(
    admin: &Client,
    conversation: Id,
    acknowledged: &Acknowledged,
    unanswered: &[String],
) {
    let mut by_body: HashMap<String, Vec<Id>> = HashMap::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = admin
            .list_messages(conversation, Some(500), cursor.as_deref())
            .await
            .unwrap();
        for message in page.items {
            by_body.entry(message.body).or_default().push(message.id);
        }
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    for (key, id) in acknowledged {
        assert_eq!(
            by_body.get(key),
            Some(&vec![*id]),
            "acknowledged message {key}"
        );
    }
    for key in unanswered {
        let copies = by_body.get(key).map_or(0, Vec::len);
        assert!(copies <= 1, "{key} is there {copies} times");
    }
}

/// The stored log, replayed from the start: seqs strictly increase, and
/// every event seen live before the kill is there under its seq.
async fn check_event_log(base_url: &str, epoch: &str, seen: &BTreeMap<u64, String>) {
    let (mut socket, hello) = websocket(base_url, &format!("?since=0&epoch={epoch}")).await;
    let last = hello["data"]["seq"].as_u64().unwrap();
    let highest_seen = seen.keys().next_back().copied().unwrap_or(0);
    assert!(
        last >= highest_seen,
        "the log ends at {last}, but {highest_seen} was published"
    );
    let mut stored = BTreeMap::new();
    let mut previous = 0;
    while previous < last {
        let frame = next_json(&mut socket).await.expect("the replay goes on");
        assert_ne!(
            frame["type"], "resync_required",
            "same epoch, nothing pruned"
        );
        let Some(seq) = frame["seq"].as_u64() else {
            continue;
        };
        assert!(seq > previous, "seq {seq} after {previous}");
        previous = seq;
        stored.insert(seq, about(&frame));
    }
    for (seq, about) in seen {
        assert_eq!(stored.get(seq), Some(about), "event {seq} as published");
    }
}

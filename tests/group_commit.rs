//! Group commit under load: 1,000 messages sent at once by 50 clients into 5
//! conversations are each stored exactly once, with one event each, unique
//! and increasing `seq`s and the right conversation counters.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use commcenter::client::Client;
use commcenter::wire::Message;
use commcenter::Id;
use common::{events_after, frame, open_conversation, open_store, text, Actor, TestDaemon};
use futures_util::future::join_all;
use tempfile::TempDir;

const CONVERSATIONS: usize = 5;
/// Per conversation: its customer and this many agents send.
const AGENTS_PER_CONVERSATION: usize = 9;
const SENDS_PER_CLIENT: usize = 20;
const CLIENTS: usize = CONVERSATIONS * (AGENTS_PER_CONVERSATION + 1);
const TOTAL: usize = CLIENTS * SENDS_PER_CLIENT;

/// The outcome of the flood: the daemon (still running), the conversations
/// and every message as the daemon answered it.
struct Flood {
    daemon: TestDaemon,
    conversations: Vec<Id>,
    sent: Vec<Message>,
}

/// Every sender, with the conversation it writes to.
async fn senders(daemon: &TestDaemon) -> (Vec<Id>, Vec<(Client, Id)>) {
    let customers: Vec<Actor> = join_all(
        (0..CONVERSATIONS).map(|c| async move { daemon.customer(&format!("Customer {c}")).await }),
    )
    .await;
    let mut conversations = Vec::new();
    for customer in &customers {
        conversations.push(open_conversation(&daemon.admin, customer.id()).await.id);
    }
    let agents: Vec<Actor> = join_all(
        (0..CONVERSATIONS * AGENTS_PER_CONVERSATION)
            .map(|a| async move { daemon.agent(&format!("Agent {a}")).await }),
    )
    .await;
    let mut senders: Vec<(Client, Id)> = customers
        .iter()
        .zip(&conversations)
        .map(|(customer, id)| (customer.client.clone(), *id))
        .collect();
    for (a, agent) in agents.iter().enumerate() {
        senders.push((agent.client.clone(), conversations[a % CONVERSATIONS]));
    }
    (conversations, senders)
}

async fn flood() -> Flood {
    // Every send in flight has a connection of its own, and the setup's idle
    // keep-alive connections still hold theirs: room for all of them.
    let dir = tempfile::tempdir().expect("temp dir");
    let daemon = TestDaemon::start_with(dir, |s| s.max_connections = 2 * TOTAL).await;
    let (conversations, senders) = senders(&daemon).await;
    assert_eq!(senders.len(), CLIENTS);
    let sends = senders
        .iter()
        .enumerate()
        .flat_map(|(c, (client, conversation))| {
            (0..SENDS_PER_CLIENT).map(move |n| async move {
                let body = format!("client {c} message {n}");
                client.send_message(*conversation, &text(&body)).await
            })
        });
    let sent: Vec<Message> = join_all(sends)
        .await
        .into_iter()
        .collect::<Result<_, _>>()
        .expect("every send is answered 201");
    Flood {
        daemon,
        conversations,
        sent,
    }
}

/// Every message of a conversation, oldest first, page by page.
async fn all_messages(client: &Client, conversation: Id) -> Vec<Message> {
    let (mut pages, mut cursor) = (Vec::new(), None::<String>);
    loop {
        let page = client
            .list_messages(conversation, Some(500), cursor.as_deref())
            .await
            .unwrap();
        pages.push(page.items);
        cursor = page.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    pages.into_iter().rev().flatten().collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_concurrent_send_is_stored_exactly_once() {
    let flood = flood().await;
    let answered: BTreeSet<Id> = flood.sent.iter().map(|m| m.id).collect();
    assert_eq!(answered.len(), TOTAL, "every answer is a different message");
    let mut stored = Vec::new();
    for conversation in &flood.conversations {
        stored.extend(all_messages(&flood.daemon.admin, *conversation).await);
    }
    let bodies: BTreeSet<&str> = stored.iter().map(|m| m.body.as_str()).collect();
    assert_eq!(
        (stored.len(), bodies.len()),
        (TOTAL, TOTAL),
        "no loss, no duplicate"
    );
    let stored_ids: BTreeSet<Id> = stored.iter().map(|m| m.id).collect();
    assert_eq!(stored_ids, answered);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conversation_counters_count_every_concurrent_send() {
    let flood = flood().await;
    for conversation in &flood.conversations {
        let seen = flood
            .daemon
            .admin
            .get_conversation(*conversation)
            .await
            .unwrap();
        let expected = (TOTAL / CONVERSATIONS) as u64;
        assert_eq!(seen.message_count, expected);
        let listed = all_messages(&flood.daemon.admin, *conversation).await;
        assert_eq!(listed.len() as u64, expected);
        let newest = listed.last().unwrap();
        assert_eq!(seen.last_message_at, Some(newest.created_at));
        assert_eq!(
            seen.last_message_preview.as_deref(),
            Some(newest.body.as_str())
        );
        assert!(listed
            .windows(2)
            .all(|w| w[0].created_at <= w[1].created_at));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_sends_get_one_event_each_with_unique_increasing_seqs() {
    let flood = flood().await;
    let dir: TempDir = flood.daemon.stop().await;
    let store = open_store(dir.path());
    let log = events_after(&store, 0).await;
    let seqs: Vec<u64> = log.iter().map(|e| e.seq).collect();
    assert!(
        seqs.windows(2).all(|w| w[0] < w[1]),
        "unique and increasing"
    );
    assert_eq!(
        seqs,
        (1..=store.last_seq()).collect::<Vec<_>>(),
        "and without gaps"
    );
    let mut created: BTreeMap<String, usize> = BTreeMap::new();
    for event in &log {
        let frame = frame(event);
        assert_eq!(frame["seq"], event.seq, "the frame carries its seq");
        if frame["type"] == "message.created" {
            let id = frame["data"]["message"]["id"].as_str().unwrap().to_owned();
            *created.entry(id).or_default() += 1;
        }
    }
    assert_eq!(created.len(), TOTAL);
    assert!(
        created.values().all(|&n| n == 1),
        "one message.created per message"
    );
    let sent: BTreeSet<String> = flood.sent.iter().map(|m| m.id.to_string()).collect();
    assert_eq!(created.into_keys().collect::<BTreeSet<_>>(), sent);
    store.close().await;
}

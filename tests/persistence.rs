//! Persistence: what a daemon stored is there after a restart on the same
//! data dir, the event log's `seq` goes on from where it stopped, and a store
//! written by a newer build is refused.

mod common;

use commcenter::wire::ConversationFilter;
use commcenter::wire::{Conversation, Message, NewMessage, Project, Receipts};
use commcenter_store::{Store, StoreError, StoreOptions, SCHEMA_VERSION};
use commcenterd::{AppState, Settings};
use common::{
    create_project, events_after, frame, open_conversation, open_store, request, send_text,
    store_path, text, Actor, TestDaemon,
};
use http::Method;
use serde_json::json;

/// A daemon with some of everything in it, and what it answered.
struct Before {
    daemon: TestDaemon,
    agent: Actor,
    ann: Actor,
    dan: Actor,
    project: Project,
    /// Ann's conversation as Ann sees it (with her unread count).
    conversation: Conversation,
    messages: Vec<Message>,
    receipts: Receipts,
}

impl Before {
    async fn build() -> Before {
        let daemon = TestDaemon::start().await;
        let agent = daemon.agent("Bob Agent").await;
        let ann = daemon.customer("Ann Customer").await;
        let dan = daemon.crew("Dan Crew").await;
        let project = create_project(&agent.client, ann.id(), vec![dan.id()]).await;
        send_text(&dan.client, project.conversation_id, "Arrived").await;
        let conversation = open_conversation(&agent.client, ann.id()).await.id;
        let hello = send_text(&agent.client, conversation, "Hello").await;
        send_text(&ann.client, conversation, "Hi!").await;
        let note = NewMessage {
            private: Some(true),
            ..text("Call back Friday")
        };
        agent
            .client
            .send_message(conversation, &note)
            .await
            .unwrap();
        send_text(&agent.client, conversation, "Friday?").await;
        let receipts = ann.client.mark_delivered(hello.id).await.unwrap();
        let messages = agent.client.list_messages(conversation, None, None);
        Before {
            conversation: ann.client.get_conversation(conversation).await.unwrap(),
            messages: messages.await.unwrap().items,
            daemon,
            agent,
            ann,
            dan,
            project,
            receipts,
        }
    }
}

#[tokio::test]
async fn users_and_their_tokens_outlive_a_restart() {
    let mut before = Before::build().await;
    let users = before.daemon.admin.list_users(None, None).await.unwrap();
    let spare = before.daemon.token_for(before.ann.id()).await;
    before.daemon.admin.revoke_token(spare.id).await.unwrap();
    before.daemon = before.daemon.restart().await;
    assert_eq!(
        before.daemon.admin.list_users(None, None).await.unwrap(),
        users
    );
    assert_eq!(before.ann.client.me().await.unwrap(), before.ann.user);
    assert_eq!(before.dan.client.me().await.unwrap(), before.dan.user);
    let revoked = before.daemon.client(&spare.token).me().await.unwrap_err();
    assert_eq!(revoked.status(), Some(401), "a revoked token stays revoked");
}

#[tokio::test]
async fn projects_and_conversations_outlive_a_restart() {
    let mut before = Before::build().await;
    let all = ConversationFilter::default();
    let listed = before.agent.client.list_conversations(&all).await.unwrap();
    before.daemon = before.daemon.restart().await;
    let project = before
        .ann
        .client
        .get_project(before.project.id)
        .await
        .unwrap();
    assert_eq!(project, before.project);
    let seen_by_ann = before
        .ann
        .client
        .get_conversation(before.conversation.id)
        .await;
    assert_eq!(
        seen_by_ann.unwrap(),
        before.conversation,
        "with Ann's unread count"
    );
    let after = before.agent.client.list_conversations(&all).await.unwrap();
    assert_eq!(after, listed);
}

#[tokio::test]
async fn messages_and_receipts_outlive_a_restart() {
    let mut before = Before::build().await;
    before.daemon = before.daemon.restart().await;
    let messages = before
        .agent
        .client
        .list_messages(before.conversation.id, None, None);
    assert_eq!(messages.await.unwrap().items, before.messages);
    let receipts = before
        .agent
        .client
        .receipts(before.receipts.message_id)
        .await;
    assert_eq!(receipts.unwrap(), before.receipts);
    let channel = before
        .dan
        .client
        .project_messages(before.project.id)
        .await
        .unwrap();
    assert_eq!(channel.items[0].body, "Arrived");
}

#[tokio::test]
async fn an_idempotency_key_is_remembered_across_a_restart() {
    let mut before = Before::build().await;
    let path = format!("/api/v1/conversations/{}/messages", before.conversation.id);
    let (body, key) = (json!({"body": "Once"}), [("idempotency-key", "k-1")]);
    let first = request(&before.agent.client, Method::POST, &path, Some(&body), &key).await;
    before.daemon = before.daemon.restart().await;
    let again = request(&before.agent.client, Method::POST, &path, Some(&body), &key).await;
    assert_eq!((again.status, again.body), (201, first.body));
    let messages = before
        .agent
        .client
        .list_messages(before.conversation.id, None, None);
    assert_eq!(
        messages.await.unwrap().items.len(),
        before.messages.len() + 1
    );
}

#[tokio::test]
async fn the_event_seq_goes_on_from_where_it_stopped() {
    let before = Before::build().await;
    let addr = before.daemon.addr();
    let dir = before.daemon.stop().await;
    let store = open_store(dir.path());
    let stopped_at = store.last_seq();
    let log = events_after(&store, 0).await;
    assert_eq!(log.last().map(|e| e.seq), Some(stopped_at));
    store.close().await;
    drop(store);

    let daemon = TestDaemon::start_at(dir, &addr).await;
    let sent = send_text(&before.agent.client, before.conversation.id, "Back").await;
    let dir = daemon.stop().await;
    let store = open_store(dir.path());
    let after = events_after(&store, stopped_at).await;
    assert_eq!(after[0].seq, stopped_at + 1, "no gap and no reuse");
    let created = frame(&after[0]);
    assert_eq!(created["type"], "message.created");
    assert_eq!(created["data"]["message"]["id"], sent.id.to_string());
    let seqs: Vec<u64> = after.iter().map(|e| e.seq).collect();
    let expected: Vec<u64> = (stopped_at + 1..=store.last_seq()).collect();
    assert_eq!(seqs, expected);
    store.close().await;
}

#[tokio::test]
async fn the_epoch_is_kept_across_a_restart() {
    let daemon = TestDaemon::start().await;
    let dir = daemon.stop().await;
    let store = open_store(dir.path());
    let epoch = store.epoch().to_owned();
    assert!(!epoch.is_empty());
    store.close().await;
    drop(store);
    let dir = TestDaemon::start_in(dir).await.stop().await;
    let store = open_store(dir.path());
    assert_eq!(store.epoch(), epoch);
    store.close().await;
}

#[tokio::test]
async fn a_store_written_by_a_newer_build_is_refused_with_a_clear_message() {
    let dir = TestDaemon::start().await.stop().await;
    let path = store_path(dir.path());
    Store::overwrite_schema_version(&path, SCHEMA_VERSION + 1).unwrap();
    let refused = Store::open(&path, &StoreOptions::default())
        .err()
        .expect("refused");
    assert!(
        matches!(refused, StoreError::NewerSchema { found, supported }
        if found == SCHEMA_VERSION + 1 && supported == SCHEMA_VERSION)
    );
    let message = refused.to_string();
    assert!(message.contains("newer"), "{message}");
    assert!(
        message.contains(&(SCHEMA_VERSION + 1).to_string()),
        "{message}"
    );
}

#[tokio::test]
async fn the_daemon_does_not_start_on_a_store_from_a_newer_build() {
    let dir = TestDaemon::start().await.stop().await;
    Store::overwrite_schema_version(&store_path(dir.path()), SCHEMA_VERSION + 1).unwrap();
    let refused = AppState::open(Settings::for_data_dir(dir.path())).await;
    let message = refused.err().expect("refused").to_string();
    assert!(message.contains("newer"), "{message}");
    assert!(
        message.contains("commcenter.redb"),
        "names the file: {message}"
    );
}

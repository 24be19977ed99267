//! The main path of the conversation endpoints: create, get, list with each
//! filter, order and pages, patch, unread counts and `read`.

mod common;

use std::time::Duration;

use commcenter::wire::ConversationFilter;
use commcenter::wire::{
    Channel, Conversation, ConversationKind, ConversationPatch, ConversationStatus,
    NewConversation, NewMessage,
};
use commcenter::Id;
use common::{create_project, open_conversation, send_text, text, Actor, TestDaemon};

#[tokio::test]
async fn staff_open_a_conversation_for_a_customer() {
    let daemon = TestDaemon::start().await;
    let ann = daemon.customer("Ann Customer").await;
    let new = serde_json::json!({"customer_id": ann.id(), "subject": "Boiler"});
    let response = common::post(&daemon.admin, "/api/v1/conversations", new).await;
    assert_eq!(response.status, 201);
    let conversation: Conversation = response.json().unwrap();
    assert_eq!(
        (conversation.kind, conversation.status),
        (ConversationKind::Customer, ConversationStatus::Open)
    );
    assert_eq!(
        (conversation.customer_id, conversation.subject.as_deref()),
        (ann.id(), Some("Boiler"))
    );
    assert_eq!(
        (conversation.message_count, conversation.unread_count),
        (0, 0)
    );
    assert_eq!(conversation.last_message_at, None);
    assert_eq!(
        daemon
            .admin
            .get_conversation(conversation.id)
            .await
            .unwrap(),
        conversation
    );
}

#[tokio::test]
async fn a_customer_opens_a_conversation_for_themself() {
    let daemon = TestDaemon::start().await;
    let ann = daemon.customer("Ann Customer").await;
    let new = NewConversation {
        customer_id: ann.id(),
        subject: None,
    };
    let conversation = ann.client.create_conversation(&new).await.unwrap();
    assert_eq!(conversation.customer_id, ann.id());
    assert!(daemon.admin.get_conversation(conversation.id).await.is_ok());
}

/// Three conversations that differ in every filtered property: Ann's (open,
/// assigned, with a phone call), Bea's (closed, in-app only) and the crew
/// channel of Ann's project.
struct Scene {
    daemon: TestDaemon,
    agent: Actor,
    ann: Actor,
    anns: Id,
    beas: Id,
    channel: Id,
    project: Id,
}

impl Scene {
    async fn build() -> Scene {
        let daemon = TestDaemon::start().await;
        let agent = daemon.agent("Bob Agent").await;
        let (ann, bea) = (
            daemon.customer("Ann Customer").await,
            daemon.customer("Bea").await,
        );
        let dan = daemon.crew("Dan Crew").await;
        let anns = open_conversation(&agent.client, ann.id()).await.id;
        let call = NewMessage {
            channel: Some(Channel::Phone),
            ..text("Called about the boiler")
        };
        agent.client.send_message(anns, &call).await.unwrap();
        let assign = ConversationPatch {
            assignee_id: Some(Some(agent.id())),
            ..Default::default()
        };
        agent
            .client
            .patch_conversation(anns, &assign)
            .await
            .unwrap();
        let beas = open_conversation(&agent.client, bea.id()).await.id;
        send_text(&agent.client, beas, "Done").await;
        let close = ConversationPatch {
            status: Some(ConversationStatus::Closed),
            ..Default::default()
        };
        agent.client.patch_conversation(beas, &close).await.unwrap();
        let project = create_project(&agent.client, ann.id(), vec![dan.id()]).await;
        Scene {
            daemon,
            agent,
            ann,
            anns,
            beas,
            channel: project.conversation_id,
            project: project.id,
        }
    }

    /// The ids the agent lists with `query`, sorted.
    async fn listed(&self, query: ConversationFilter) -> Vec<Id> {
        let page = self.agent.client.list_conversations(&query).await.unwrap();
        let mut ids: Vec<Id> = page.items.iter().map(|c| c.id).collect();
        ids.sort();
        ids
    }
}

fn sorted(mut ids: Vec<Id>) -> Vec<Id> {
    ids.sort();
    ids
}

#[tokio::test]
async fn conversations_filter_by_status() {
    let s = Scene::build().await;
    let q = |status| ConversationFilter {
        status: Some(status),
        ..Default::default()
    };
    assert_eq!(s.listed(q(ConversationStatus::Closed)).await, [s.beas]);
    assert_eq!(
        s.listed(q(ConversationStatus::Open)).await,
        sorted(vec![s.anns, s.channel])
    );
}

#[tokio::test]
async fn conversations_filter_by_customer() {
    let s = Scene::build().await;
    let q = ConversationFilter {
        customer_id: Some(s.ann.id()),
        ..Default::default()
    };
    assert_eq!(s.listed(q).await, sorted(vec![s.anns, s.channel]));
}

#[tokio::test]
async fn conversations_filter_by_project() {
    let s = Scene::build().await;
    let q = ConversationFilter {
        project_id: Some(s.project),
        ..Default::default()
    };
    assert_eq!(s.listed(q).await, [s.channel]);
}

#[tokio::test]
async fn conversations_filter_by_assignee() {
    let s = Scene::build().await;
    let q = ConversationFilter {
        assignee_id: Some(s.agent.id()),
        ..Default::default()
    };
    assert_eq!(s.listed(q).await, [s.anns]);
}

#[tokio::test]
async fn conversations_filter_by_kind() {
    let s = Scene::build().await;
    let q = |kind| ConversationFilter {
        kind: Some(kind),
        ..Default::default()
    };
    assert_eq!(s.listed(q(ConversationKind::Project)).await, [s.channel]);
    assert_eq!(
        s.listed(q(ConversationKind::Customer)).await,
        sorted(vec![s.anns, s.beas])
    );
}

#[tokio::test]
async fn conversations_filter_by_channel_used() {
    let s = Scene::build().await;
    let q = |channel| ConversationFilter {
        channel: Some(channel),
        ..Default::default()
    };
    assert_eq!(s.listed(q(Channel::Phone)).await, [s.anns]);
    assert_eq!(s.listed(q(Channel::InApp)).await, [s.beas]);
}

#[tokio::test]
async fn conversations_list_most_recent_activity_first() {
    let daemon = TestDaemon::start().await;
    let ann = daemon.customer("Ann Customer").await;
    let mut opened = Vec::new();
    for _ in 0..3 {
        opened.push(open_conversation(&daemon.admin, ann.id()).await.id);
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    send_text(&ann.client, opened[0], "Any news?").await;
    let expected = [opened[0], opened[2], opened[1]];
    let staff = daemon
        .admin
        .list_conversations(&ConversationFilter::default())
        .await
        .unwrap();
    assert_eq!(
        staff.items.iter().map(|c| c.id).collect::<Vec<_>>(),
        expected
    );
    let own = ann
        .client
        .list_conversations(&ConversationFilter::default())
        .await
        .unwrap();
    assert_eq!(own.items.iter().map(|c| c.id).collect::<Vec<_>>(), expected);
}

#[tokio::test]
async fn conversations_page_with_limit_and_cursor() {
    let daemon = TestDaemon::start().await;
    let ann = daemon.customer("Ann Customer").await;
    for _ in 0..5 {
        open_conversation(&daemon.admin, ann.id()).await;
    }
    for lister in [&daemon.admin, &ann.client] {
        let everything = lister
            .list_conversations(&ConversationFilter::default())
            .await
            .unwrap();
        assert_eq!(
            (everything.items.len(), everything.next_cursor.as_deref()),
            (5, None)
        );
        let (mut paged, mut cursor, mut pages) = (Vec::new(), None, 0);
        loop {
            let all = ConversationFilter::default();
            let page = lister
                .list_conversations_page(&all, Some(2), cursor.as_deref())
                .await
                .unwrap();
            assert!(page.items.len() <= 2);
            paged.extend(page.items);
            pages += 1;
            cursor = page.next_cursor;
            if cursor.is_none() {
                break;
            }
        }
        assert_eq!((pages, paged), (3, everything.items));
    }
}

#[tokio::test]
async fn staff_change_a_conversations_status_assignee_and_tags() {
    let s = Scene::build().await;
    let patch = ConversationPatch {
        status: Some(ConversationStatus::Archived),
        assignee_id: Some(None),
        tags: Some(vec!["boiler".into(), "urgent".into()]),
    };
    let changed = s
        .daemon
        .admin
        .patch_conversation(s.anns, &patch)
        .await
        .unwrap();
    assert_eq!(
        (changed.status, changed.assignee_id),
        (ConversationStatus::Archived, None)
    );
    assert_eq!(changed.tags, ["boiler", "urgent"]);
    let reopen = ConversationPatch {
        status: Some(ConversationStatus::Open),
        ..Default::default()
    };
    let reopened = s
        .daemon
        .admin
        .patch_conversation(s.anns, &reopen)
        .await
        .unwrap();
    assert_eq!(
        (reopened.status, reopened.tags),
        (ConversationStatus::Open, changed.tags)
    );
}

#[tokio::test]
async fn unread_counts_are_per_caller_and_reading_up_to_a_message_lowers_them() {
    let daemon = TestDaemon::start().await;
    let ann = daemon.customer("Ann Customer").await;
    let conversation = open_conversation(&daemon.admin, ann.id()).await.id;
    let mut sent = Vec::new();
    for body in ["One", "Two", "Three"] {
        sent.push(send_text(&daemon.admin, conversation, body).await);
    }
    assert_eq!(
        ann.client
            .get_conversation(conversation)
            .await
            .unwrap()
            .unread_count,
        3
    );
    assert_eq!(
        daemon
            .admin
            .get_conversation(conversation)
            .await
            .unwrap()
            .unread_count,
        0
    );
    let after = ann
        .client
        .read_conversation(conversation, Some(sent[1].id))
        .await
        .unwrap();
    assert_eq!(after.unread_count, 1);
    let listed = ann
        .client
        .list_conversations(&ConversationFilter::default())
        .await
        .unwrap();
    assert_eq!(listed.items[0].unread_count, 1);
}

#[tokio::test]
async fn reading_a_conversation_without_up_to_reads_everything() {
    let daemon = TestDaemon::start().await;
    let ann = daemon.customer("Ann Customer").await;
    let conversation = open_conversation(&daemon.admin, ann.id()).await.id;
    send_text(&daemon.admin, conversation, "One").await;
    send_text(&daemon.admin, conversation, "Two").await;
    let response = common::post(
        &ann.client,
        &format!("/api/v1/conversations/{conversation}/read"),
        serde_json::json!({}),
    )
    .await;
    assert_eq!(response.status, 200);
    assert_eq!(
        ann.client
            .get_conversation(conversation)
            .await
            .unwrap()
            .unread_count,
        0
    );
}

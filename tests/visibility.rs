//! Who sees what: lists, the answer for what is hidden, private notes and
//! the event log each show a caller only what the API contract lets them
//! see. (Statuses route by route are in `authorization.rs`.)

mod common;

use commcenter::wire::ConversationFilter;
use commcenter::wire::{Message, NewMessage, Project, ProjectPatch};
use commcenter::Id;
use commcenter_store::StoredEvent;
use common::{
    create_project, error_of, events_seen_by, get, open_conversation, open_store, send_text, text,
    Actor, TestDaemon,
};

/// Staff, the crew assigned to the owner's project and one who is not, the
/// owner and another customer, with the owner's conversation (an agent's
/// message, the owner's reply, a private note) and the project's crew
/// channel (a crew message).
struct Cast {
    daemon: TestDaemon,
    agent: Actor,
    crew: Actor,
    idle_crew: Actor,
    owner: Actor,
    other: Actor,
    project: Project,
    conversation: Id,
    agent_message: Message,
    customer_message: Message,
    note: Message,
    crew_message: Message,
}

impl Cast {
    async fn build() -> Cast {
        let daemon = TestDaemon::start().await;
        let agent = daemon.agent("Bob Agent").await;
        let crew = daemon.crew("Dan Crew").await;
        let idle_crew = daemon.crew("Eve Idle").await;
        let owner = daemon.customer("Ann Owner").await;
        let other = daemon.customer("Olga Other").await;
        let project = create_project(&daemon.admin, owner.id(), vec![crew.id()]).await;
        let conversation = open_conversation(&agent.client, owner.id()).await.id;
        let agent_message = send_text(&agent.client, conversation, "We'll come at 9").await;
        let customer_message = send_text(&owner.client, conversation, "Thanks").await;
        let note = NewMessage {
            private: Some(true),
            ..text("Owes us for the last visit")
        };
        let note = agent
            .client
            .send_message(conversation, &note)
            .await
            .unwrap();
        let crew_message = send_text(&crew.client, project.conversation_id, "Arrived").await;
        Cast {
            daemon,
            agent,
            crew,
            idle_crew,
            owner,
            other,
            project,
            conversation,
            agent_message,
            customer_message,
            note,
            crew_message,
        }
    }
}

#[tokio::test]
async fn crew_list_only_the_projects_they_are_assigned_to() {
    let world = Cast::build().await;
    // Ids order by millisecond; within one they are random.
    tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    let other_project = create_project(&world.daemon.admin, world.owner.id(), vec![]).await;
    let assigned = world.crew.client.list_projects().await.unwrap();
    assert_eq!(ids(&assigned.items), [world.project.id]);
    let idle = world.idle_crew.client.list_projects().await.unwrap();
    assert!(idle.items.is_empty());
    let staff = world.agent.client.list_projects().await.unwrap();
    assert_eq!(ids(&staff.items), [other_project.id, world.project.id]);
}

#[tokio::test]
async fn customers_list_only_their_own_projects() {
    let world = Cast::build().await;
    let owned = world.owner.client.list_projects().await.unwrap();
    assert_eq!(ids(&owned.items), [world.project.id]);
    let other = world.other.client.list_projects().await.unwrap();
    assert!(other.items.is_empty());
}

#[tokio::test]
async fn customers_list_only_their_own_conversations_and_never_a_crew_channel() {
    let world = Cast::build().await;
    let all = ConversationFilter::default();
    let owned = world.owner.client.list_conversations(&all).await.unwrap();
    let owned: Vec<Id> = owned.items.iter().map(|c| c.id).collect();
    assert_eq!(owned, [world.conversation]);
    let other = world.other.client.list_conversations(&all).await.unwrap();
    assert!(other.items.is_empty());
}

#[tokio::test]
async fn crew_list_only_the_crew_channels_of_their_projects() {
    let world = Cast::build().await;
    let all = ConversationFilter::default();
    let assigned = world.crew.client.list_conversations(&all).await.unwrap();
    let assigned: Vec<Id> = assigned.items.iter().map(|c| c.id).collect();
    assert_eq!(assigned, [world.project.conversation_id]);
    let idle = world
        .idle_crew
        .client
        .list_conversations(&all)
        .await
        .unwrap();
    assert!(idle.items.is_empty());
}

#[tokio::test]
async fn a_crew_member_taken_off_a_project_no_longer_sees_it_or_its_channel() {
    let world = Cast::build().await;
    let unassign = ProjectPatch {
        crew_ids: Some(vec![]),
        ..Default::default()
    };
    world
        .daemon
        .admin
        .patch_project(world.project.id, &unassign)
        .await
        .unwrap();
    let project = get(
        &world.crew.client,
        &format!("/api/v1/projects/{}", world.project.id),
    )
    .await;
    assert_eq!(project.status, 404);
    let channel = world
        .crew
        .client
        .get_conversation(world.project.conversation_id)
        .await;
    assert_eq!(channel.unwrap_err().status(), Some(404));
}

#[tokio::test]
async fn a_conversation_the_caller_may_not_see_answers_exactly_like_a_missing_one() {
    let world = Cast::build().await;
    let missing = Id::generate(1_700_000_000_000);
    let other = &world.other.client;
    let hidden = error_of(
        &get(
            other,
            &format!("/api/v1/conversations/{}", world.conversation),
        )
        .await,
    );
    let absent = error_of(&get(other, &format!("/api/v1/conversations/{missing}")).await);
    assert_eq!(hidden.code, absent.code);
    assert_eq!(hidden.field, absent.field);
    let hidden_text = hidden
        .message
        .replace(&world.conversation.to_string(), "ID");
    assert_eq!(
        hidden_text,
        absent.message.replace(&missing.to_string(), "ID")
    );
}

#[tokio::test]
async fn customers_never_see_private_notes() {
    let world = Cast::build().await;
    let page = world
        .owner
        .client
        .list_messages(world.conversation, None, None)
        .await
        .unwrap();
    assert!(page.items.iter().all(|m| !m.private), "no note in the list");
    assert_eq!(page.items.len(), 2);
    let seen = world
        .owner
        .client
        .get_conversation(world.conversation)
        .await
        .unwrap();
    assert_eq!(seen.message_count, 2, "the note is not counted");
    assert_eq!(
        seen.unread_count, 0,
        "nor unread: Ann has read up to her reply"
    );
    assert_ne!(
        seen.last_message_preview.as_deref(),
        Some("Owes us for the last visit")
    );
    let staff = world
        .agent
        .client
        .get_conversation(world.conversation)
        .await
        .unwrap();
    assert_eq!(staff.message_count, 3);
}

#[tokio::test]
async fn the_event_log_gives_each_caller_only_what_they_may_see() {
    let world = Cast::build().await;
    let dir = world.daemon.stop().await;
    let store = open_store(dir.path());
    let mentions =
        |events: &[StoredEvent], id: Id| events.iter().any(|e| e.frame.contains(&id.to_string()));
    let owner = events_seen_by(&store, world.owner.caller(), 0).await;
    assert!(mentions(&owner, world.agent_message.id));
    assert!(mentions(&owner, world.customer_message.id));
    assert!(!mentions(&owner, world.note.id), "no private note");
    assert!(!mentions(&owner, world.crew_message.id), "no crew channel");
    let crew = events_seen_by(&store, world.crew.caller(), 0).await;
    assert!(mentions(&crew, world.crew_message.id));
    assert!(
        !mentions(&crew, world.conversation),
        "not the customer's conversation"
    );
    for outsider in [&world.other, &world.idle_crew] {
        let seen = events_seen_by(&store, outsider.caller(), 0).await;
        assert!(seen.is_empty(), "{} sees nothing", outsider.user.name);
    }
    let staff = events_seen_by(&store, world.agent.caller(), 0).await;
    assert!(mentions(&staff, world.note.id));
    store.close().await;
}

fn ids(projects: &[Project]) -> Vec<Id> {
    projects.iter().map(|p| p.id).collect()
}

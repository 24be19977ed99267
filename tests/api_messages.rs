//! The main path of the message and receipt endpoints: each channel, private
//! notes, locations, pages, one message, delivered and read receipts.

mod common;

use commcenter::wire::{
    Channel, Direction, Location, Message, MessageStatus, NewMessage, Receipts,
};
use commcenter::Id;
use common::{create_project, post, send_text, text, Chat, TestDaemon};
use serde_json::json;

impl Chat {
    fn messages_path(&self) -> String {
        format!("/api/v1/conversations/{}/messages", self.conversation)
    }

    /// Sends `new` as the agent.
    async fn agent_sends(&self, new: NewMessage) -> Message {
        self.agent
            .client
            .send_message(self.conversation, &new)
            .await
            .expect("send")
    }
}

fn on(channel: Channel, body: &str) -> NewMessage {
    NewMessage {
        channel: Some(channel),
        ..text(body)
    }
}

#[tokio::test]
async fn a_staff_in_app_message_is_outbound_and_sent() {
    let chat = Chat::start().await;
    let response = post(
        &chat.agent.client,
        &chat.messages_path(),
        json!({"body": "Hello Ann"}),
    )
    .await;
    assert_eq!(response.status, 201);
    let message: Message = response.json().unwrap();
    assert_eq!(
        (message.channel, message.direction),
        (Channel::InApp, Direction::Outbound)
    );
    assert_eq!(
        (message.status, message.private),
        (MessageStatus::Sent, false)
    );
    assert_eq!(
        (message.sender_id, message.customer_id),
        (chat.agent.id(), chat.ann.id())
    );
    assert_eq!(
        (message.conversation_id, message.body.as_str()),
        (chat.conversation, "Hello Ann")
    );
    assert_eq!(
        (message.delivered_at, message.read_at, message.error),
        (None, None, None)
    );
}

#[tokio::test]
async fn a_customer_message_is_inbound_and_sent() {
    let chat = Chat::start().await;
    let message = send_text(&chat.ann.client, chat.conversation, "Is 9 ok?").await;
    assert_eq!(
        (message.direction, message.status),
        (Direction::Inbound, MessageStatus::Sent)
    );
    assert_eq!(message.sender_id, chat.ann.id());
}

#[tokio::test]
async fn a_phone_call_is_logged_as_sent_at_once() {
    let chat = Chat::start().await;
    let call = chat.agent_sends(on(Channel::Phone, "Agreed Tuesday")).await;
    assert_eq!(
        (call.channel, call.status),
        (Channel::Phone, MessageStatus::Sent)
    );
    assert_eq!(call.body, "Agreed Tuesday");
}

#[tokio::test]
async fn sms_and_email_are_answered_queued() {
    let chat = Chat::start().await;
    let sms = chat.agent_sends(on(Channel::Sms, "See you at 9")).await;
    let email = NewMessage {
        subject: Some("Your visit".into()),
        ..on(Channel::Email, "See you at 9")
    };
    let email = chat.agent_sends(email).await;
    // The outbox delivers them afterwards (tests/outbox.rs).
    for sent in [sms, email] {
        assert_eq!(sent.status, MessageStatus::Queued);
    }
}

#[tokio::test]
async fn a_private_note_is_kept_as_private_for_staff() {
    let chat = Chat::start().await;
    let note = NewMessage {
        private: Some(true),
        ..text("Prefers mornings")
    };
    let note = chat.agent_sends(note).await;
    assert!(note.private);
    let colleague = chat.daemon.agent("Cat Colleague").await;
    assert_eq!(colleague.client.get_message(note.id).await.unwrap(), note);
    let listed = colleague
        .client
        .list_messages(chat.conversation, None, None)
        .await;
    assert_eq!(listed.unwrap().items, [note]);
}

#[tokio::test]
async fn a_crew_message_carries_its_location() {
    let daemon = TestDaemon::start().await;
    let (ann, dan) = (
        daemon.customer("Ann Customer").await,
        daemon.crew("Dan Crew").await,
    );
    let project = create_project(&daemon.admin, ann.id(), vec![dan.id()]).await;
    let new = NewMessage {
        location: Some(Location {
            lat: 51.5014,
            lon: -0.1419,
            accuracy_m: Some(8.0),
            recorded_at: None,
        }),
        ..text("On site")
    };
    let sent = dan
        .client
        .send_project_message(project.id, &new)
        .await
        .unwrap();
    let location = sent.location.expect("a location");
    assert_eq!(
        (location.lat, location.lon, location.accuracy_m),
        (51.5014, -0.1419, Some(8.0))
    );
    assert!(
        location.recorded_at.is_some(),
        "recorded_at defaults to the time sent"
    );
    assert_eq!(sent.direction, Direction::Inbound);
    let fetched = daemon.admin.get_message(sent.id).await.unwrap();
    assert_eq!(fetched.location, sent.location);
}

#[tokio::test]
async fn messages_page_newest_first_in_ascending_order_and_the_cursor_goes_back() {
    let chat = Chat::start().await;
    let mut sent = Vec::new();
    for n in 1..=7 {
        sent.push(
            send_text(&chat.agent.client, chat.conversation, &format!("m{n}"))
                .await
                .id,
        );
    }
    let client = &chat.ann.client;
    let newest = client
        .list_messages(chat.conversation, Some(3), None)
        .await
        .unwrap();
    assert_eq!(ids(&newest.items), sent[4..7]);
    let cursor = newest.next_cursor.expect("older messages remain");
    let older = client
        .list_messages(chat.conversation, Some(3), Some(&cursor))
        .await
        .unwrap();
    assert_eq!(ids(&older.items), sent[1..4]);
    let cursor = older.next_cursor.expect("one message remains");
    let oldest = client
        .list_messages(chat.conversation, Some(3), Some(&cursor))
        .await
        .unwrap();
    assert_eq!(
        (ids(&oldest.items), oldest.next_cursor),
        (sent[0..1].to_vec(), None)
    );
}

#[tokio::test]
async fn a_message_is_read_back_by_id() {
    let chat = Chat::start().await;
    let sent = send_text(&chat.agent.client, chat.conversation, "Hello").await;
    assert_eq!(chat.ann.client.get_message(sent.id).await.unwrap(), sent);
}

#[tokio::test]
async fn a_delivered_receipt_moves_the_message_to_delivered() {
    let chat = Chat::start().await;
    let sent = send_text(&chat.agent.client, chat.conversation, "Hello").await;
    let path = format!("/api/v1/messages/{}/delivered", sent.id);
    let response = post(&chat.ann.client, &path, json!({})).await;
    assert_eq!(response.status, 200);
    let receipts: Receipts = response.json().unwrap();
    assert_eq!(
        (receipts.message_id, receipts.status),
        (sent.id, MessageStatus::Delivered)
    );
    assert_eq!(receipts.recipients.len(), 1);
    let ann = &receipts.recipients[0];
    assert_eq!(ann.user_id, chat.ann.id());
    assert!(ann.delivered_at.is_some() && ann.read_at.is_none());
    let message = chat.agent.client.get_message(sent.id).await.unwrap();
    assert_eq!(message.status, MessageStatus::Delivered);
    assert_eq!(
        (message.delivered_at, message.read_at),
        (ann.delivered_at, None)
    );
}

#[tokio::test]
async fn a_read_receipt_implies_delivered() {
    let chat = Chat::start().await;
    let sent = send_text(&chat.agent.client, chat.conversation, "Hello").await;
    let receipts = chat.ann.client.mark_read(sent.id).await.unwrap();
    assert_eq!(receipts.status, MessageStatus::Read);
    let ann = &receipts.recipients[0];
    assert!(ann.delivered_at.is_some() && ann.read_at.is_some());
    let message = chat.agent.client.get_message(sent.id).await.unwrap();
    assert_eq!(message.status, MessageStatus::Read);
    assert!(message.delivered_at.is_some() && message.read_at.is_some());
}

#[tokio::test]
async fn repeating_a_receipt_changes_nothing() {
    let chat = Chat::start().await;
    let sent = send_text(&chat.agent.client, chat.conversation, "Hello").await;
    let first = chat.ann.client.mark_read(sent.id).await.unwrap();
    let again = chat.ann.client.mark_read(sent.id).await.unwrap();
    let delivered_after = chat.ann.client.mark_delivered(sent.id).await.unwrap();
    assert_eq!(again, first);
    assert_eq!(
        delivered_after, first,
        "delivered after read does not go back"
    );
}

#[tokio::test]
async fn receipts_list_each_recipient_with_their_own_times() {
    let chat = Chat::start().await;
    let colleague = chat.daemon.agent("Cat Colleague").await;
    let sent = send_text(&chat.agent.client, chat.conversation, "Hello").await;
    chat.ann.client.mark_read(sent.id).await.unwrap();
    colleague.client.mark_delivered(sent.id).await.unwrap();
    let receipts = chat.agent.client.receipts(sent.id).await.unwrap();
    assert_eq!(
        (receipts.message_id, receipts.status),
        (sent.id, MessageStatus::Read)
    );
    let of = |user: Id| {
        receipts
            .recipients
            .iter()
            .find(|r| r.user_id == user)
            .unwrap()
    };
    assert!(of(chat.ann.id()).read_at.is_some());
    let cat = of(colleague.id());
    assert!(cat.delivered_at.is_some() && cat.read_at.is_none());
    assert_eq!(receipts.recipients.len(), 2);
}

#[tokio::test]
async fn reading_the_conversation_writes_read_receipts() {
    let chat = Chat::start().await;
    let sent = send_text(&chat.agent.client, chat.conversation, "Hello").await;
    chat.ann
        .client
        .read_conversation(chat.conversation, None)
        .await
        .unwrap();
    let receipts = chat.agent.client.receipts(sent.id).await.unwrap();
    assert_eq!(receipts.status, MessageStatus::Read);
    assert_eq!(receipts.recipients[0].user_id, chat.ann.id());
    assert!(receipts.recipients[0].read_at.is_some());
}

/// A judgment call where API.md is ambiguous ("the furthest state any
/// recipient reached"): a staff message's status follows the customer's
/// receipts, not a colleague's, so that `read` means the customer read it
/// (which is what the analytics' read rate counts).
#[tokio::test]
async fn a_colleagues_read_receipt_does_not_mark_a_staff_message_read() {
    let chat = Chat::start().await;
    let colleague = chat.daemon.agent("Cat Colleague").await;
    let sent = send_text(&chat.agent.client, chat.conversation, "Hello").await;
    let receipts = colleague.client.mark_read(sent.id).await.unwrap();
    assert_eq!(receipts.status, MessageStatus::Sent);
    assert!(
        receipts.recipients[0].read_at.is_some(),
        "the receipt is kept"
    );
}

#[tokio::test]
async fn staff_reading_a_customer_message_marks_it_read() {
    let chat = Chat::start().await;
    let sent = send_text(&chat.ann.client, chat.conversation, "Is 9 ok?").await;
    let receipts = chat.agent.client.mark_read(sent.id).await.unwrap();
    assert_eq!(receipts.status, MessageStatus::Read);
    let seen_by_ann = chat.ann.client.get_message(sent.id).await.unwrap();
    assert_eq!(seen_by_ann.status, MessageStatus::Read);
}

fn ids(messages: &[Message]) -> Vec<Id> {
    messages.iter().map(|m| m.id).collect()
}

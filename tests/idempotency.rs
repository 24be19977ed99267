//! Idempotency keys: a creating `POST` repeated with the same key by the same
//! caller gets the first answer and creates nothing; the same key with
//! another request is a conflict.

mod common;

use commcenter::client::{Client, RawResponse};
use commcenter::wire::{ErrorCode, Message};
use commcenter::Id;
use common::{create_project, error_of, open_conversation, request, Chat};
use futures_util::future::join_all;
use http::Method;
use serde_json::{json, Value};

impl Chat {
    /// Sends `body` as a message in `conversation` with `key`.
    async fn send(&self, by: &Client, conversation: Id, body: Value, key: &str) -> RawResponse {
        let path = format!("/api/v1/conversations/{conversation}/messages");
        keyed(by, &path, body, key).await
    }

    async fn stored(&self) -> Vec<Message> {
        let page = self
            .agent
            .client
            .list_messages(self.conversation, None, None);
        page.await.unwrap().items
    }
}

/// `POST path` with `body` and `Idempotency-Key: key`.
async fn keyed(by: &Client, path: &str, body: Value, key: &str) -> RawResponse {
    let headers = [("idempotency-key", key)];
    request(by, Method::POST, path, Some(&body), &headers).await
}

#[tokio::test]
async fn the_same_key_twice_creates_one_message_and_answers_the_same_bytes() {
    let chat = Chat::start().await;
    let hello = json!({"body": "Hello"});
    let first = chat
        .send(&chat.agent.client, chat.conversation, hello.clone(), "k-1")
        .await;
    let again = chat
        .send(&chat.agent.client, chat.conversation, hello, "k-1")
        .await;
    assert_eq!((first.status, again.status), (201, 201));
    assert_eq!(first.body, again.body, "byte-identical answers");
    let stored = chat.stored().await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0], first.json::<Message>().unwrap());
    let conversation = chat.agent.client.get_conversation(chat.conversation).await;
    assert_eq!(conversation.unwrap().message_count, 1);
}

#[tokio::test]
async fn the_same_key_with_another_body_is_a_conflict() {
    let chat = Chat::start().await;
    let agent = &chat.agent.client;
    chat.send(agent, chat.conversation, json!({"body": "Hello"}), "k-1")
        .await;
    let other = chat
        .send(agent, chat.conversation, json!({"body": "Bye"}), "k-1")
        .await;
    assert_eq!(other.status, 409);
    let error = error_of(&other);
    assert_eq!(error.code, ErrorCode::Conflict);
    assert_eq!(error.field.as_deref(), Some("Idempotency-Key"));
    assert_eq!(chat.stored().await.len(), 1, "nothing more was created");
}

#[tokio::test]
async fn the_same_key_on_another_endpoint_is_a_conflict() {
    let chat = Chat::start().await;
    let agent = &chat.agent.client;
    let elsewhere = open_conversation(agent, chat.ann.id()).await.id;
    chat.send(agent, chat.conversation, json!({"body": "Hello"}), "k-1")
        .await;
    let other = chat
        .send(agent, elsewhere, json!({"body": "Hello"}), "k-1")
        .await;
    assert_eq!(error_of(&other).code, ErrorCode::Conflict);
}

#[tokio::test]
async fn keys_are_per_caller() {
    let chat = Chat::start().await;
    let hello = json!({"body": "Hello"});
    let by_agent = chat
        .send(&chat.agent.client, chat.conversation, hello.clone(), "k-1")
        .await;
    let by_ann = chat
        .send(&chat.ann.client, chat.conversation, hello, "k-1")
        .await;
    assert_eq!((by_agent.status, by_ann.status), (201, 201));
    let (a, b) = (
        by_agent.json::<Message>().unwrap(),
        by_ann.json::<Message>().unwrap(),
    );
    assert_ne!(a.id, b.id);
    assert_eq!((a.sender_id, b.sender_id), (chat.agent.id(), chat.ann.id()));
    assert_eq!(chat.stored().await.len(), 2);
}

#[tokio::test]
async fn concurrent_repeats_of_a_key_create_one_message() {
    let chat = Chat::start().await;
    let repeats = (0..10).map(|_| {
        chat.send(
            &chat.agent.client,
            chat.conversation,
            json!({"body": "Hello"}),
            "k-1",
        )
    });
    let answers = join_all(repeats).await;
    assert!(answers.iter().all(|a| a.status == 201));
    assert!(answers.iter().all(|a| a.body == answers[0].body));
    assert_eq!(chat.stored().await.len(), 1);
}

#[tokio::test]
async fn a_failed_request_does_not_use_up_its_key() {
    let chat = Chat::start().await;
    let agent = &chat.agent.client;
    let empty = chat
        .send(agent, chat.conversation, json!({"body": ""}), "k-1")
        .await;
    assert_eq!(empty.status, 422);
    let fixed = chat
        .send(agent, chat.conversation, json!({"body": "Hello"}), "k-1")
        .await;
    assert_eq!(fixed.status, 201);
}

#[tokio::test]
async fn every_creating_post_replays_its_first_answer() {
    let chat = Chat::start().await;
    let (admin, ann) = (&chat.daemon.admin, chat.ann.id());
    let project = create_project(admin, ann, vec![]).await;
    let creations = [
        (
            "/api/v1/users".to_owned(),
            json!({"name": "Cy", "role": "crew"}),
        ),
        (
            "/api/v1/conversations".to_owned(),
            json!({"customer_id": ann}),
        ),
        (
            "/api/v1/projects".to_owned(),
            json!({"name": "Roof", "customer_id": ann}),
        ),
        (
            format!("/api/v1/projects/{}/messages", project.id),
            json!({"body": "Hi"}),
        ),
    ];
    for (path, body) in creations {
        let first = keyed(admin, &path, body.clone(), &format!("key:{path}")).await;
        let again = keyed(admin, &path, body, &format!("key:{path}")).await;
        assert_eq!(first.status, 201, "{path}");
        assert_eq!((again.status, again.body), (201, first.body), "{path}");
    }
}

#[tokio::test]
async fn issuing_a_token_again_with_the_same_key_is_a_conflict_because_secrets_are_not_kept() {
    let chat = Chat::start().await;
    let path = format!("/api/v1/users/{}/tokens", chat.ann.id());
    let admin = &chat.daemon.admin;
    let first = keyed(admin, &path, json!({"label": "app"}), "k-1").await;
    assert_eq!(first.status, 201);
    let secret = first.json::<Value>().unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let again = keyed(admin, &path, json!({"label": "app"}), "k-1").await;
    let error = error_of(&again);
    assert_eq!(error.code, ErrorCode::Conflict);
    assert!(
        !error.message.contains(&secret),
        "the secret is not repeated"
    );
    let tokens = admin.list_tokens(chat.ann.id()).await.unwrap();
    assert_eq!(
        tokens.items.len(),
        2,
        "the harness's token and the first one"
    );
}

#[tokio::test]
async fn an_idempotency_key_must_be_1_to_255_visible_characters() {
    let chat = Chat::start().await;
    let agent = &chat.agent.client;
    let longest = "k".repeat(255);
    let ok = chat
        .send(agent, chat.conversation, json!({"body": "Hi"}), &longest)
        .await;
    assert_eq!(ok.status, 201);
    for key in ["k".repeat(256), String::new(), "two words".into()] {
        let response = chat
            .send(agent, chat.conversation, json!({"body": "Hi"}), &key)
            .await;
        let error = error_of(&response);
        assert_eq!(error.code, ErrorCode::BadRequest, "key `{key}`");
        assert_eq!(error.field.as_deref(), Some("Idempotency-Key"));
    }
}

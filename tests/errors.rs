//! Every failure answers with the error envelope
//! `{"error": {"code", "message", "field"}}` and the status of its code.

mod common;

use commcenter::wire::{ErrorCode, ErrorDetail, NewUser, Role};
use common::{error_of, get, open_conversation, post, request, Actor, TestDaemon};
use http::Method;
use serde_json::{json, Value};

/// A daemon with an agent and a customer who share a conversation.
struct Chat {
    daemon: TestDaemon,
    agent: Actor,
    messages_path: String,
}

impl Chat {
    async fn start() -> Chat {
        let daemon = TestDaemon::start().await;
        let agent = daemon.agent("Bob Agent").await;
        let ann = daemon.customer("Ann Customer").await;
        let conversation = open_conversation(&agent.client, ann.id()).await.id;
        let messages_path = format!("/api/v1/conversations/{conversation}/messages");
        Chat {
            daemon,
            agent,
            messages_path,
        }
    }

    /// The error the agent gets for sending `body` as a message.
    async fn send_error(&self, body: Value) -> ErrorDetail {
        error_of(&post(&self.agent.client, &self.messages_path, body).await)
    }

    /// The error the agent gets for sending raw bytes as a message.
    async fn send_raw_error(&self, bytes: Vec<u8>) -> (u16, ErrorDetail) {
        let response = self
            .agent
            .client
            .send_raw(Method::POST, &self.messages_path, Some(bytes), &[])
            .await
            .expect("an answer");
        (response.status, error_of(&response))
    }
}

fn code_and_field(error: &ErrorDetail) -> (ErrorCode, Option<&str>) {
    (error.code, error.field.as_deref())
}

#[tokio::test]
async fn malformed_json_is_a_bad_request() {
    let chat = Chat::start().await;
    let (status, error) = chat.send_raw_error(br#"{"body": "Hello"#.to_vec()).await;
    assert_eq!((status, error.code), (400, ErrorCode::BadRequest));
}

#[tokio::test]
async fn an_unknown_field_is_a_bad_request_naming_it() {
    let chat = Chat::start().await;
    let error = chat
        .send_error(json!({"body": "Hello", "colour": "red"}))
        .await;
    assert_eq!(
        code_and_field(&error),
        (ErrorCode::BadRequest, Some("colour"))
    );
    assert!(error.message.contains("colour"), "{}", error.message);
}

#[tokio::test]
async fn an_unknown_field_inside_an_object_is_named_by_its_path() {
    let chat = Chat::start().await;
    let location = json!({"lat": 1.0, "lon": 2.0, "altitude": 30});
    let error = chat
        .send_error(json!({"body": "Here", "location": location}))
        .await;
    assert_eq!(
        code_and_field(&error),
        (ErrorCode::BadRequest, Some("location.altitude"))
    );
}

#[tokio::test]
async fn a_missing_required_field_is_a_bad_request_naming_it() {
    let daemon = TestDaemon::start().await;
    let error = error_of(&post(&daemon.admin, "/api/v1/users", json!({"role": "agent"})).await);
    assert_eq!(
        code_and_field(&error),
        (ErrorCode::BadRequest, Some("name"))
    );
}

#[tokio::test]
async fn a_value_of_the_wrong_type_is_a_bad_request_naming_the_field() {
    let chat = Chat::start().await;
    let error = chat.send_error(json!({"body": 42})).await;
    assert_eq!(
        code_and_field(&error),
        (ErrorCode::BadRequest, Some("body"))
    );
    let error = chat
        .send_error(json!({"body": "Here", "location": {"lat": "north", "lon": 0}}))
        .await;
    assert_eq!(
        code_and_field(&error),
        (ErrorCode::BadRequest, Some("location.lat"))
    );
}

#[tokio::test]
async fn an_unknown_enum_value_is_a_bad_request_naming_the_field() {
    let chat = Chat::start().await;
    let error = chat
        .send_error(json!({"body": "Hello", "channel": "fax"}))
        .await;
    assert_eq!(
        code_and_field(&error),
        (ErrorCode::BadRequest, Some("channel"))
    );
}

#[tokio::test]
async fn a_malformed_id_in_the_path_is_a_bad_request() {
    let daemon = TestDaemon::start().await;
    for path in [
        "/api/v1/conversations/not-an-id",
        "/api/v1/messages/01J%2E%2E",
    ] {
        let error = error_of(&get(&daemon.admin, path).await);
        assert_eq!(
            code_and_field(&error),
            (ErrorCode::BadRequest, Some("id")),
            "{path}"
        );
    }
}

#[tokio::test]
async fn a_malformed_id_in_the_query_is_a_bad_request_naming_the_parameter() {
    let daemon = TestDaemon::start().await;
    let response = get(&daemon.admin, "/api/v1/conversations?customer_id=ann").await;
    let error = error_of(&response);
    assert_eq!(
        code_and_field(&error),
        (ErrorCode::BadRequest, Some("customer_id"))
    );
}

#[tokio::test]
async fn a_malformed_id_in_the_body_is_a_bad_request_naming_the_field() {
    let daemon = TestDaemon::start().await;
    let body = json!({"customer_id": "ann"});
    let error = error_of(&post(&daemon.admin, "/api/v1/conversations", body).await);
    assert_eq!(
        code_and_field(&error),
        (ErrorCode::BadRequest, Some("customer_id"))
    );
}

#[tokio::test]
async fn a_bad_query_parameter_is_a_bad_request_naming_it() {
    let daemon = TestDaemon::start().await;
    let cases = [
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("limit=ten", "limit"),
        ("cursor=nonsense", "cursor"),
        ("status=pending", "status"),
        ("kind=group", "kind"),
    ];
    for (query, field) in cases {
        let error = error_of(&get(&daemon.admin, &format!("/api/v1/conversations?{query}")).await);
        assert_eq!(
            code_and_field(&error),
            (ErrorCode::BadRequest, Some(field)),
            "{query}"
        );
    }
}

#[tokio::test]
async fn a_latitude_out_of_range_is_unprocessable() {
    let chat = Chat::start().await;
    let error = chat
        .send_error(json!({"body": "Here", "location": {"lat": 90.5, "lon": 0}}))
        .await;
    assert_eq!(
        code_and_field(&error),
        (ErrorCode::Unprocessable, Some("location.lat"))
    );
}

#[tokio::test]
async fn a_longitude_out_of_range_is_unprocessable() {
    let chat = Chat::start().await;
    let error = chat
        .send_error(json!({"body": "Here", "location": {"lat": 0, "lon": -180.1}}))
        .await;
    assert_eq!(
        code_and_field(&error),
        (ErrorCode::Unprocessable, Some("location.lon"))
    );
}

#[tokio::test]
async fn sms_to_a_customer_without_a_phone_is_unprocessable() {
    let daemon = TestDaemon::start().await;
    let no_phone = NewUser {
        name: "Pat Nophone".into(),
        role: Role::Customer,
        email: Some("pat@example.com".into()),
        phone: None,
    };
    let pat = daemon.actor(no_phone).await;
    let conversation = open_conversation(&daemon.admin, pat.id()).await.id;
    let path = format!("/api/v1/conversations/{conversation}/messages");
    let response = post(
        &daemon.admin,
        &path,
        json!({"body": "Hi", "channel": "sms"}),
    )
    .await;
    assert_eq!(response.status, 422);
    assert_eq!(error_of(&response).code, ErrorCode::Unprocessable);
    let page = daemon
        .admin
        .list_messages(conversation, None, None)
        .await
        .unwrap();
    assert!(page.items.is_empty(), "nothing was stored");
}

#[tokio::test]
async fn email_to_a_customer_without_an_email_address_is_unprocessable() {
    let daemon = TestDaemon::start().await;
    let no_email = NewUser {
        name: "Pat Noemail".into(),
        role: Role::Customer,
        email: None,
        phone: Some("+44 7700 900123".into()),
    };
    let pat = daemon.actor(no_email).await;
    let conversation = open_conversation(&daemon.admin, pat.id()).await.id;
    let path = format!("/api/v1/conversations/{conversation}/messages");
    let response = post(
        &daemon.admin,
        &path,
        json!({"body": "Hi", "channel": "email"}),
    )
    .await;
    assert_eq!(error_of(&response).code, ErrorCode::Unprocessable);
}

#[tokio::test]
async fn a_private_note_by_sms_is_unprocessable() {
    let chat = Chat::start().await;
    let error = chat
        .send_error(json!({"body": "Hi", "channel": "sms", "private": true}))
        .await;
    assert_eq!(
        code_and_field(&error),
        (ErrorCode::Unprocessable, Some("private"))
    );
}

#[tokio::test]
async fn a_json_body_over_one_mib_is_payload_too_large() {
    let chat = Chat::start().await;
    let padding = "x".repeat(1024 * 1024);
    let bytes = serde_json::to_vec(&json!({ "body": padding })).unwrap();
    let (status, error) = chat.send_raw_error(bytes).await;
    assert_eq!((status, error.code), (413, ErrorCode::PayloadTooLarge));
}

#[tokio::test]
async fn a_body_over_32000_characters_is_unprocessable() {
    let chat = Chat::start().await;
    let error = chat.send_error(json!({ "body": "é".repeat(32_001) })).await;
    assert_eq!(
        code_and_field(&error),
        (ErrorCode::Unprocessable, Some("body"))
    );
    let at_limit = post(
        &chat.agent.client,
        &chat.messages_path,
        json!({ "body": "é".repeat(32_000) }),
    );
    assert_eq!(at_limit.await.status, 201, "32,000 characters are allowed");
}

#[tokio::test]
async fn a_subject_over_998_characters_is_unprocessable() {
    let chat = Chat::start().await;
    let body = json!({"body": "Hi", "channel": "email", "subject": "s".repeat(999)});
    let error = chat.send_error(body).await;
    assert_eq!(
        code_and_field(&error),
        (ErrorCode::Unprocessable, Some("subject"))
    );
}

#[tokio::test]
async fn a_message_without_body_or_attachment_is_unprocessable() {
    let chat = Chat::start().await;
    let error = chat.send_error(json!({"body": "   "})).await;
    assert_eq!(
        code_and_field(&error),
        (ErrorCode::Unprocessable, Some("body"))
    );
}

#[tokio::test]
async fn reading_up_to_a_message_of_another_conversation_is_unprocessable() {
    let chat = Chat::start().await;
    let bea = chat.daemon.customer("Bea").await;
    let other = open_conversation(&chat.agent.client, bea.id()).await.id;
    let elsewhere = common::send_text(&chat.agent.client, other, "Hi Bea").await;
    let read_path = chat.messages_path.replace("/messages", "/read");
    let response = post(
        &chat.agent.client,
        &read_path,
        json!({"up_to": elsewhere.id}),
    )
    .await;
    let error = error_of(&response);
    assert_eq!(
        code_and_field(&error),
        (ErrorCode::Unprocessable, Some("up_to"))
    );
}

#[tokio::test]
async fn an_unknown_route_is_a_not_found_envelope() {
    let daemon = TestDaemon::start().await;
    for client in [daemon.admin.clone(), daemon.anonymous()] {
        let error = error_of(&get(&client, "/api/v1/nothing-here").await);
        assert_eq!(error.code, ErrorCode::NotFound);
        let error = error_of(&request(&client, Method::DELETE, "/api/v1/users", None, &[]).await);
        assert_eq!(error.code, ErrorCode::NotFound);
    }
}

#[tokio::test]
async fn a_missing_token_is_an_unauthorized_envelope() {
    let daemon = TestDaemon::start().await;
    let error = error_of(&get(&daemon.anonymous(), "/api/v1/me").await);
    assert_eq!(error.code, ErrorCode::Unauthorized);
    let wrong = daemon.client("cct_not_a_real_token");
    assert_eq!(
        error_of(&get(&wrong, "/api/v1/me").await).code,
        ErrorCode::Unauthorized
    );
}

#[tokio::test]
async fn a_multipart_body_on_a_json_endpoint_is_unsupported_media_type() {
    let chat = Chat::start().await;
    let headers = [("content-type", "multipart/form-data; boundary=x")];
    let body = br#"{"body":"Hello"}"#.to_vec();
    let response = chat
        .agent
        .client
        .send_raw(Method::POST, &chat.messages_path, Some(body), &headers)
        .await
        .unwrap();
    assert_eq!(error_of(&response).code, ErrorCode::UnsupportedMediaType);
}

#[tokio::test]
async fn data_after_the_json_value_is_a_bad_request_and_nothing_is_stored() {
    let chat = Chat::start().await;
    let (status, error) = chat
        .send_raw_error(br#"{"body":"x"} {"body":"y"}"#.to_vec())
        .await;
    assert_eq!((status, error.code), (400, ErrorCode::BadRequest));
    let listed = get(&chat.agent.client, &chat.messages_path).await;
    let listed: Value = listed.json().unwrap();
    assert_eq!(listed["items"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn an_absurd_location_accuracy_is_unprocessable() {
    let chat = Chat::start().await;
    let error = chat
        .send_error(
            json!({"body": "here", "location": {"lat": 51.5, "lon": -0.1, "accuracy_m": 1e308}}),
        )
        .await;
    assert_eq!(
        code_and_field(&error),
        (ErrorCode::Unprocessable, Some("location.accuracy_m"))
    );
}

#[tokio::test]
async fn a_nul_character_in_a_body_is_unprocessable() {
    let chat = Chat::start().await;
    let error = chat.send_error(json!({"body": "a\u{0000}b"})).await;
    assert_eq!(
        code_and_field(&error),
        (ErrorCode::Unprocessable, Some("body"))
    );
    let error = chat
        .send_error(json!({"body": "colour \u{001b}[31m"}))
        .await;
    assert_eq!(
        code_and_field(&error),
        (ErrorCode::Unprocessable, Some("body"))
    );
}

#[tokio::test]
async fn tabs_and_line_breaks_in_a_body_are_kept() {
    let chat = Chat::start().await;
    let sent = post(
        &chat.agent.client,
        &chat.messages_path,
        json!({"body": "a\tb\r\nc"}),
    )
    .await;
    assert_eq!(sent.status, 201);
}

//! Inbound webhooks: a customer's SMS or email lands in their conversation;
//! a bad signature is refused before anything is stored; a provider's retry
//! stores nothing new; an unknown sender becomes a new customer.

mod common;
mod outbox_support;

use base64::Engine;
use commcenter::client::{Client, ClientError};
use commcenter::wire::{Channel, Direction, InboundAttachment, InboundEmail, NewUser, Role};
use commcenter::Id;
use common::TestDaemon;
use hmac::{Hmac, Mac};
use outbox_support::{outgoing, reachable_customer, settled};

const PUBLIC_URL: &str = "https://cc.example.com";
const SMS_TOKEN: &str = "inbound-sms-token";
const EMAIL_SECRET: &str = "inbound-email-secret";

async fn daemon() -> TestDaemon {
    TestDaemon::start_with(tempfile::tempdir().unwrap(), |s| {
        s.public_url = Some(PUBLIC_URL.into());
        s.outbox.sms_auth_token = Some(SMS_TOKEN.into());
        s.outbox.inbound_email_secret = Some(EMAIL_SECRET.into());
        s.outbox.email_from = "office@cc.example.com".into();
    })
    .await
}

/// The form and its Twilio signature (HMAC-SHA1 over the URL and the
/// parameters sorted by name, base64), as Twilio would send them.
fn signed_sms(params: &[(&str, &str)], token: &str) -> (Vec<u8>, String) {
    let mut sorted = params.to_vec();
    sorted.sort();
    let mut payload = format!("{PUBLIC_URL}/api/v1/inbound/sms");
    for (k, v) in &sorted {
        payload.push_str(k);
        payload.push_str(v);
    }
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(token.as_bytes()).unwrap();
    mac.update(payload.as_bytes());
    let signature = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    let form = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish();
    (form.into_bytes(), signature)
}

fn signed_email(email: &InboundEmail, secret: &str) -> (Vec<u8>, String) {
    let body = serde_json::to_vec(email).unwrap();
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(&body);
    (
        body,
        format!("sha256={}", hex::encode(mac.finalize().into_bytes())),
    )
}

fn status_of(error: ClientError) -> u16 {
    error.status().expect("an API error")
}

async fn message_count(client: &Client, conversation: Id) -> u64 {
    client
        .get_conversation(conversation)
        .await
        .unwrap()
        .message_count
}

#[tokio::test]
async fn an_inbound_sms_lands_in_the_customers_open_conversation() {
    let daemon = daemon().await;
    let (customer, conversation) = reachable_customer(&daemon, "Tia Texter").await;
    let phone = customer.user.phone.clone().unwrap();
    let (form, signature) = signed_sms(
        &[
            ("From", &phone),
            ("To", "+15550001111"),
            ("Body", "Running late"),
            ("MessageSid", "SM1"),
        ],
        SMS_TOKEN,
    );

    let message = daemon
        .anonymous()
        .inbound_sms(form, &signature)
        .await
        .unwrap();
    assert_eq!(message.conversation_id, conversation);
    assert_eq!(message.sender_id, customer.id());
    assert_eq!(message.channel, Channel::Sms);
    assert_eq!(message.direction, Direction::Inbound);
    assert_eq!(message.body, "Running late");
    let seen = customer.client.get_message(message.id).await.unwrap();
    assert_eq!(seen.id, message.id);
}

#[tokio::test]
async fn an_inbound_sms_with_a_bad_signature_is_refused_and_stores_nothing() {
    let daemon = daemon().await;
    let (customer, conversation) = reachable_customer(&daemon, "Uma Forged").await;
    let phone = customer.user.phone.clone().unwrap();
    let (form, _) = signed_sms(
        &[("From", &phone), ("Body", "hi"), ("MessageSid", "SM2")],
        SMS_TOKEN,
    );
    let (_, wrong) = signed_sms(
        &[("From", &phone), ("Body", "hi"), ("MessageSid", "SM2")],
        "not-the-token",
    );

    let refused = daemon
        .anonymous()
        .inbound_sms(form, &wrong)
        .await
        .unwrap_err();
    assert_eq!(status_of(refused), 403);
    assert_eq!(message_count(&daemon.admin, conversation).await, 0);
}

#[tokio::test]
async fn a_retried_inbound_sms_stores_nothing_new() {
    let daemon = daemon().await;
    let (customer, conversation) = reachable_customer(&daemon, "Vic Twice").await;
    let phone = customer.user.phone.clone().unwrap();
    let (form, signature) = signed_sms(
        &[("From", &phone), ("Body", "once"), ("MessageSid", "SM3")],
        SMS_TOKEN,
    );

    let first = daemon
        .anonymous()
        .inbound_sms(form.clone(), &signature)
        .await
        .unwrap();
    let raw = daemon
        .anonymous()
        .send_raw(
            http::Method::POST,
            "/api/v1/inbound/sms",
            Some(form),
            &[
                ("content-type", "application/x-www-form-urlencoded"),
                ("x-twilio-signature", &signature),
            ],
        )
        .await
        .unwrap();
    assert_eq!(raw.status, 200);
    let again: commcenter::wire::Message = raw.json().unwrap();
    assert_eq!(again.id, first.id);
    assert_eq!(message_count(&daemon.admin, conversation).await, 1);
}

#[tokio::test]
async fn an_inbound_sms_from_an_unknown_number_makes_a_new_customer_and_conversation() {
    let daemon = daemon().await;
    let (form, signature) = signed_sms(
        &[
            ("From", "+4915112345678"),
            ("Body", "Quote?"),
            ("MessageSid", "SM4"),
        ],
        SMS_TOKEN,
    );

    let message = daemon
        .anonymous()
        .inbound_sms(form, &signature)
        .await
        .unwrap();
    let sender = daemon.admin.get_user(message.sender_id).await.unwrap();
    assert_eq!(sender.role, Role::Customer);
    assert_eq!(sender.phone.as_deref(), Some("+4915112345678"));
    let conversation = daemon
        .admin
        .get_conversation(message.conversation_id)
        .await
        .unwrap();
    assert_eq!(conversation.customer_id, sender.id);
}

#[tokio::test]
async fn an_inbound_sms_from_a_staff_members_number_never_speaks_as_staff() {
    let daemon = daemon().await;
    let agent = daemon
        .actor(NewUser {
            name: "Wes Agent".into(),
            role: Role::Agent,
            email: None,
            phone: Some("+15557770000".into()),
        })
        .await;
    let (form, signature) = signed_sms(
        &[
            ("From", "+15557770000"),
            ("Body", "hi"),
            ("MessageSid", "SM5"),
        ],
        SMS_TOKEN,
    );

    let message = daemon
        .anonymous()
        .inbound_sms(form, &signature)
        .await
        .unwrap();
    assert_ne!(message.sender_id, agent.id());
    let sender = daemon.admin.get_user(message.sender_id).await.unwrap();
    assert_eq!(sender.role, Role::Customer);
}

#[tokio::test]
async fn an_inbound_sms_media_that_cannot_be_fetched_is_kept_as_its_link() {
    let daemon = daemon().await;
    let (customer, _) = reachable_customer(&daemon, "Xia Media").await;
    let phone = customer.user.phone.clone().unwrap();
    let (form, signature) = signed_sms(
        &[
            ("From", &phone),
            ("Body", "the leak"),
            ("MessageSid", "SM6"),
            ("NumMedia", "1"),
            ("MediaUrl0", "https://media.example/leak.jpg"),
        ],
        SMS_TOKEN,
    );

    let message = daemon
        .anonymous()
        .inbound_sms(form, &signature)
        .await
        .unwrap();
    assert_eq!(
        message.body,
        "the leak\n[media] https://media.example/leak.jpg"
    );
}

#[tokio::test]
async fn an_inbound_email_replying_to_ours_threads_into_that_conversation() {
    let daemon = daemon().await;
    let (customer, first) = reachable_customer(&daemon, "Yan Thread").await;
    let ours = daemon
        .admin
        .send_message(first, &outgoing(Channel::Email, "Quote attached"))
        .await
        .unwrap();
    let ours = settled(&daemon.admin, ours.id).await;
    // A later conversation is the most recently active one.
    let second = common::open_conversation(&daemon.admin, customer.id()).await;
    common::send_text(&daemon.admin, second.id, "something else").await;
    let email = InboundEmail {
        from: customer.user.email.clone().unwrap().to_uppercase(),
        to: "office@cc.example.com".into(),
        subject: Some("Re: Quote".into()),
        text: Some("Looks good".into()),
        message_id: "<reply-1@mail.example>".into(),
        in_reply_to: Some(format!("<{}@cc.example.com>", ours.id)),
        ..InboundEmail::default()
    };
    let (body, signature) = signed_email(&email, EMAIL_SECRET);

    let message = daemon
        .anonymous()
        .inbound_email(body, &signature)
        .await
        .unwrap();
    assert_eq!(message.conversation_id, first);
    assert_eq!(message.sender_id, customer.id());
    assert_eq!(message.channel, Channel::Email);
    assert_eq!(message.subject.as_deref(), Some("Re: Quote"));
}

#[tokio::test]
async fn an_inbound_email_attachment_is_stored_like_an_upload() {
    let daemon = daemon().await;
    let (customer, _) = reachable_customer(&daemon, "Zed Photo").await;
    let png = std::fs::read("fixtures/files/photo.png").unwrap();
    let email = InboundEmail {
        from: customer.user.email.clone().unwrap(),
        to: "office@cc.example.com".into(),
        text: Some("photo of the boiler".into()),
        message_id: "<photo-1@mail.example>".into(),
        attachments: vec![InboundAttachment {
            name: "boiler.png".into(),
            content_type: "application/octet-stream".into(),
            content_base64: base64::engine::general_purpose::STANDARD.encode(&png),
        }],
        ..InboundEmail::default()
    };
    let (body, signature) = signed_email(&email, EMAIL_SECRET);

    let message = daemon
        .anonymous()
        .inbound_email(body, &signature)
        .await
        .unwrap();
    let file = &message.attachments[0];
    assert_eq!(file.content_type, "image/png");
    assert!(file.thumbnail && file.width.is_some());
    assert_eq!(file.uploaded_by, customer.id());
    customer.client.file_meta(file.id).await.unwrap();
}

#[tokio::test]
async fn an_inbound_email_with_a_bad_signature_is_refused() {
    let daemon = daemon().await;
    let email = InboundEmail {
        from: "someone@example.com".into(),
        to: "office@cc.example.com".into(),
        text: Some("hi".into()),
        message_id: "<x@mail.example>".into(),
        ..InboundEmail::default()
    };
    let (body, _) = signed_email(&email, EMAIL_SECRET);
    let (_, wrong) = signed_email(&email, "another-secret");

    let refused = daemon
        .anonymous()
        .inbound_email(body, &wrong)
        .await
        .unwrap_err();
    assert_eq!(status_of(refused), 403);
    let customers = daemon
        .admin
        .list_users(Some(Role::Customer), None)
        .await
        .unwrap();
    assert!(customers.items.is_empty(), "{:?}", customers.items);
}

#[tokio::test]
async fn an_inbound_email_with_bad_base64_is_a_bad_request() {
    let daemon = daemon().await;
    let email = InboundEmail {
        from: "someone@example.com".into(),
        to: "office@cc.example.com".into(),
        text: Some("hi".into()),
        message_id: "<b64@mail.example>".into(),
        attachments: vec![InboundAttachment {
            name: "x.txt".into(),
            content_type: "text/plain".into(),
            content_base64: "not base64 !!".into(),
        }],
        ..InboundEmail::default()
    };
    let (body, signature) = signed_email(&email, EMAIL_SECRET);

    let refused = daemon
        .anonymous()
        .inbound_email(body, &signature)
        .await
        .unwrap_err();
    assert_eq!(status_of(refused), 400);
}

#[tokio::test]
async fn without_a_secret_the_inbound_email_webhook_refuses_everything() {
    let daemon = TestDaemon::start().await;
    let email = InboundEmail {
        from: "someone@example.com".into(),
        message_id: "<y@mail.example>".into(),
        ..InboundEmail::default()
    };
    let (body, signature) = signed_email(&email, "");

    let refused = daemon
        .anonymous()
        .inbound_email(body, &signature)
        .await
        .unwrap_err();
    assert_eq!(status_of(refused), 403);
}

#[tokio::test]
async fn an_inbound_email_replying_to_another_customers_message_stays_with_its_sender() {
    let daemon = daemon().await;
    let (other, others_conversation) = reachable_customer(&daemon, "Abe Other").await;
    let theirs = common::send_text(&daemon.admin, others_conversation, "private to Abe").await;
    let (sender, senders_conversation) = reachable_customer(&daemon, "Bo Sender").await;
    let email = InboundEmail {
        from: format!("Bo Sender <{}>", sender.user.email.clone().unwrap()),
        to: "office@cc.example.com".into(),
        text: Some("let me in".into()),
        message_id: "<sneaky@mail.example>".into(),
        in_reply_to: Some(format!("<{}@cc.example.com>", theirs.id)),
        ..InboundEmail::default()
    };
    let (body, signature) = signed_email(&email, EMAIL_SECRET);

    let message = daemon
        .anonymous()
        .inbound_email(body, &signature)
        .await
        .unwrap();
    assert_eq!(message.sender_id, sender.id());
    assert_eq!(message.conversation_id, senders_conversation);
    assert_eq!(message_count(&other.client, others_conversation).await, 1);
}

/// Serves `bytes` as `image/png` at every path, on 127.0.0.1; answers its URL.
async fn media_server(bytes: Vec<u8>) -> String {
    use http_body_util::Full;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/media/photo", listener.local_addr().unwrap());
    let bytes = bytes::Bytes::from(bytes);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let bytes = bytes.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |_req| {
                    let body = Full::new(bytes.clone());
                    async move {
                        let response = hyper::Response::builder()
                            .header("content-type", "image/png")
                            .body(body)
                            .unwrap();
                        Ok::<_, std::convert::Infallible>(response)
                    }
                });
                let io = hyper_util::rt::TokioIo::new(stream);
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(io, service)
                    .await;
            });
        }
    });
    url
}

#[tokio::test]
async fn an_inbound_sms_photo_is_stored_like_an_upload() {
    let daemon = daemon().await;
    let (customer, _) = reachable_customer(&daemon, "Cal Photo").await;
    let phone = customer.user.phone.clone().unwrap();
    let png = std::fs::read("fixtures/files/photo.png").unwrap();
    let url = media_server(png.clone()).await;
    let (form, signature) = signed_sms(
        &[
            ("From", &phone),
            ("Body", "the boiler"),
            ("MessageSid", "SM7"),
            ("NumMedia", "1"),
            ("MediaUrl0", &url),
            ("MediaContentType0", "image/png"),
        ],
        SMS_TOKEN,
    );

    let message = daemon
        .anonymous()
        .inbound_sms(form, &signature)
        .await
        .unwrap();
    assert_eq!(message.body, "the boiler");
    let file = &message.attachments[0];
    assert_eq!(file.content_type, "image/png");
    assert_eq!(file.size, png.len() as u64);
    assert!(file.thumbnail);
    assert_eq!(file.uploaded_by, customer.id());
}

#[tokio::test]
async fn a_bad_signature_is_refused_before_the_body_is_parsed() {
    let daemon = daemon().await;
    let refused = daemon
        .anonymous()
        .inbound_email(b"{not json".to_vec(), "sha256=00")
        .await
        .unwrap_err();
    assert_eq!(status_of(refused), 403);
}

#[tokio::test]
async fn an_inbound_body_over_the_limit_is_too_large() {
    let daemon = TestDaemon::start_with(tempfile::tempdir().unwrap(), |s| {
        s.outbox.inbound_email_secret = Some(EMAIL_SECRET.into());
        s.outbox.inbound_limit_bytes = 1024;
    })
    .await;
    let email = InboundEmail {
        from: "big@example.com".into(),
        text: Some("x".repeat(2048)),
        message_id: "<big@mail.example>".into(),
        ..InboundEmail::default()
    };
    let (body, signature) = signed_email(&email, EMAIL_SECRET);

    let refused = daemon
        .anonymous()
        .inbound_email(body, &signature)
        .await
        .unwrap_err();
    assert_eq!(status_of(refused), 413);
}

#[tokio::test]
async fn an_inbound_attachment_over_the_upload_limit_is_too_large_and_stores_nothing() {
    let daemon = TestDaemon::start_with(tempfile::tempdir().unwrap(), |s| {
        s.outbox.inbound_email_secret = Some(EMAIL_SECRET.into());
        s.files.max_upload_bytes = 1000;
    })
    .await;
    let email = InboundEmail {
        from: "photo@example.com".into(),
        text: Some("too big".into()),
        message_id: "<toobig@mail.example>".into(),
        attachments: vec![InboundAttachment {
            name: "notes.txt".into(),
            content_type: "text/plain".into(),
            content_base64: base64::engine::general_purpose::STANDARD.encode("a".repeat(2000)),
        }],
        ..InboundEmail::default()
    };
    let (body, signature) = signed_email(&email, EMAIL_SECRET);

    let refused = daemon
        .anonymous()
        .inbound_email(body, &signature)
        .await
        .unwrap_err();
    assert_eq!(status_of(refused), 413);
    let customers = daemon
        .admin
        .list_users(Some(Role::Customer), None)
        .await
        .unwrap();
    assert!(customers.items.is_empty());
}

//! The outbox: `sms` and `email` messages are queued with the message,
//! delivered by the daemon's worker (here the `log` transport and a
//! stand-in SMS provider), retried on transient errors, failed on permanent
//! ones, queued again by staff, and delivered after a restart.

mod common;
mod outbox_support;

use std::time::Duration;

use commcenter::wire::{Channel, MessageStatus};
use common::{error_of, post, TestDaemon};
use outbox_support::sms_provider::{Answer, SmsProvider, ACCOUNT_SID, FROM};
use outbox_support::{outgoing, quick_retries, reachable_customer, settled};
use serde_json::{json, Value};

fn outbox_log(daemon: &TestDaemon) -> Vec<Value> {
    let path = daemon.dir.as_ref().unwrap().path().join("outbox.log");
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

#[tokio::test]
async fn an_email_is_answered_queued_at_commit() {
    let daemon = TestDaemon::start().await;
    let (_, conversation) = reachable_customer(&daemon, "Ann Queued").await;
    let sent = daemon
        .admin
        .send_message(conversation, &outgoing(Channel::Email, "hello"))
        .await
        .unwrap();
    assert_eq!(sent.status, MessageStatus::Queued);
    assert_eq!(sent.attempts, 0);
    assert_eq!(sent.provider_id, None);
}

#[tokio::test]
async fn without_a_provider_an_email_goes_to_the_outbox_log_and_is_sent() {
    let daemon = TestDaemon::start().await;
    let (customer, conversation) = reachable_customer(&daemon, "Bea Log").await;
    let mut email = outgoing(Channel::Email, "Your quote is ready");
    email.subject = Some("Quote".into());
    let queued = daemon
        .admin
        .send_message(conversation, &email)
        .await
        .unwrap();

    let sent = settled(&daemon.admin, queued.id).await;
    assert_eq!(sent.status, MessageStatus::Sent);
    assert_eq!(sent.attempts, 1);
    assert_eq!(sent.provider_id, Some(format!("log:{}", queued.id)));
    let log = outbox_log(&daemon);
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0]["message_id"], json!(queued.id));
    assert_eq!(log[0]["channel"], "email");
    assert_eq!(log[0]["to"], json!(customer.user.email));
    assert_eq!(log[0]["subject"], "Quote");
    assert_eq!(log[0]["body"], "Your quote is ready");
}

#[tokio::test]
async fn without_a_provider_an_sms_goes_to_the_outbox_log_and_is_sent() {
    let daemon = TestDaemon::start().await;
    let (customer, conversation) = reachable_customer(&daemon, "Cy Log").await;
    let queued = daemon
        .admin
        .send_message(conversation, &outgoing(Channel::Sms, "On our way"))
        .await
        .unwrap();
    assert_eq!(
        settled(&daemon.admin, queued.id).await.status,
        MessageStatus::Sent
    );
    let log = outbox_log(&daemon);
    assert_eq!(log[0]["channel"], "sms");
    assert_eq!(log[0]["to"], json!(customer.user.phone));
}

#[tokio::test]
async fn an_sms_goes_to_the_provider_as_a_twilio_form_post() {
    let provider = SmsProvider::start(vec![]).await;
    let daemon =
        TestDaemon::start_with(tempfile::tempdir().unwrap(), |s| provider.configure(s)).await;
    let (customer, conversation) = reachable_customer(&daemon, "Di Provider").await;
    let queued = daemon
        .admin
        .send_message(conversation, &outgoing(Channel::Sms, "See you at 9"))
        .await
        .unwrap();

    let sent = settled(&daemon.admin, queued.id).await;
    assert_eq!(sent.status, MessageStatus::Sent);
    let received = provider.received();
    assert_eq!(received.len(), 1);
    let request = &received[0];
    assert_eq!(
        request.path,
        format!("/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json")
    );
    assert!(request
        .authorization
        .as_deref()
        .unwrap()
        .starts_with("Basic "));
    assert_eq!(request.field("To"), customer.user.phone.as_deref());
    assert_eq!(request.field("From"), Some(FROM));
    assert_eq!(request.field("Body"), Some("See you at 9"));
    assert_eq!(request.idempotency_key, Some(queued.id.to_string()));
    assert_eq!(sent.provider_id, Some(format!("SM{:032}", 1)));
}

#[tokio::test]
async fn a_server_error_then_success_is_one_sent_message_with_two_attempts() {
    let provider = SmsProvider::start(vec![Answer::Status(500, None)]).await;
    let daemon = TestDaemon::start_with(tempfile::tempdir().unwrap(), |s| {
        provider.configure(s);
        quick_retries(s);
    })
    .await;
    let (_, conversation) = reachable_customer(&daemon, "Ed Retry").await;
    let queued = daemon
        .admin
        .send_message(conversation, &outgoing(Channel::Sms, "retry me"))
        .await
        .unwrap();

    let sent = settled(&daemon.admin, queued.id).await;
    assert_eq!(sent.status, MessageStatus::Sent);
    assert_eq!(sent.attempts, 2);
    assert_eq!(sent.error, None);
    let received = provider.received();
    assert_eq!(received.len(), 2);
    assert_eq!(received[0].idempotency_key, received[1].idempotency_key);
}

#[tokio::test]
async fn a_rate_limit_is_retried_no_sooner_than_its_retry_after() {
    let provider = SmsProvider::start(vec![Answer::Status(429, Some(1))]).await;
    let daemon = TestDaemon::start_with(tempfile::tempdir().unwrap(), |s| {
        provider.configure(s);
        quick_retries(s);
    })
    .await;
    let (_, conversation) = reachable_customer(&daemon, "Flo Limited").await;
    let queued = daemon
        .admin
        .send_message(conversation, &outgoing(Channel::Sms, "patience"))
        .await
        .unwrap();

    assert_eq!(
        settled(&daemon.admin, queued.id).await.status,
        MessageStatus::Sent
    );
    let received = provider.received();
    assert_eq!(received.len(), 2);
    let waited = received[1].at - received[0].at;
    assert!(
        waited >= Duration::from_millis(950),
        "retried after {waited:?}"
    );
}

#[tokio::test]
async fn a_provider_that_hangs_is_a_timeout_and_retried() {
    let provider = SmsProvider::start(vec![Answer::Hang(Duration::from_secs(3))]).await;
    let daemon = TestDaemon::start_with(tempfile::tempdir().unwrap(), |s| {
        provider.configure(s);
        quick_retries(s);
        s.outbox.outbox_timeout = Duration::from_millis(500);
    })
    .await;
    let (_, conversation) = reachable_customer(&daemon, "Gus Hang").await;
    let queued = daemon
        .admin
        .send_message(conversation, &outgoing(Channel::Sms, "hello?"))
        .await
        .unwrap();

    let sent = settled(&daemon.admin, queued.id).await;
    assert_eq!(sent.status, MessageStatus::Sent);
    assert_eq!(sent.attempts, 2);
}

#[tokio::test]
async fn a_permanent_error_fails_the_message_at_once_with_the_error() {
    let provider = SmsProvider::start(vec![Answer::Status(400, None)]).await;
    let daemon = TestDaemon::start_with(tempfile::tempdir().unwrap(), |s| {
        provider.configure(s);
        quick_retries(s);
    })
    .await;
    let (_, conversation) = reachable_customer(&daemon, "Hal Bad").await;
    let queued = daemon
        .admin
        .send_message(conversation, &outgoing(Channel::Sms, "to nowhere"))
        .await
        .unwrap();

    let failed = settled(&daemon.admin, queued.id).await;
    assert_eq!(failed.status, MessageStatus::Failed);
    assert_eq!(failed.attempts, 1);
    let error = failed.error.unwrap();
    assert!(
        error.contains("400") && error.contains("scripted 400"),
        "{error}"
    );
    assert_eq!(provider.received().len(), 1);
}

#[tokio::test]
async fn transient_errors_fail_the_message_once_the_attempts_are_spent() {
    let provider = SmsProvider::start(vec![Answer::Status(503, None); 3]).await;
    let daemon = TestDaemon::start_with(tempfile::tempdir().unwrap(), |s| {
        provider.configure(s);
        quick_retries(s);
        s.outbox.outbox_max_attempts = 3;
    })
    .await;
    let (_, conversation) = reachable_customer(&daemon, "Ivy Spent").await;
    let queued = daemon
        .admin
        .send_message(conversation, &outgoing(Channel::Sms, "three strikes"))
        .await
        .unwrap();

    let failed = settled(&daemon.admin, queued.id).await;
    assert_eq!(failed.status, MessageStatus::Failed);
    assert_eq!(failed.attempts, 3);
    assert!(failed.error.unwrap().contains("gave up after 3 attempts"));
}

#[tokio::test]
async fn staff_queue_a_failed_message_again_and_it_is_delivered() {
    let provider = SmsProvider::start(vec![Answer::Status(400, None)]).await;
    let daemon = TestDaemon::start_with(tempfile::tempdir().unwrap(), |s| {
        provider.configure(s);
        quick_retries(s);
    })
    .await;
    let (_, conversation) = reachable_customer(&daemon, "Jo Again").await;
    let queued = daemon
        .admin
        .send_message(conversation, &outgoing(Channel::Sms, "second time lucky"))
        .await
        .unwrap();
    assert_eq!(
        settled(&daemon.admin, queued.id).await.status,
        MessageStatus::Failed
    );

    let requeued = daemon.admin.retry_message(queued.id).await.unwrap();
    assert_eq!(requeued.status, MessageStatus::Queued);
    assert_eq!(requeued.error, None);
    let sent = settled(&daemon.admin, queued.id).await;
    assert_eq!(sent.status, MessageStatus::Sent);
    assert_eq!(sent.attempts, 2);
}

#[tokio::test]
async fn retrying_a_message_that_has_not_failed_is_a_conflict() {
    let daemon = TestDaemon::start().await;
    let (_, conversation) = reachable_customer(&daemon, "Kit Fine").await;
    let queued = daemon
        .admin
        .send_message(conversation, &outgoing(Channel::Email, "fine"))
        .await
        .unwrap();
    settled(&daemon.admin, queued.id).await;

    let answer = post(
        &daemon.admin,
        &format!("/api/v1/messages/{}/retry", queued.id),
        json!({}),
    )
    .await;
    assert_eq!(answer.status, 409);
    assert_eq!(
        error_of(&answer).code,
        commcenter::wire::ErrorCode::Conflict
    );
}

#[tokio::test]
async fn a_customer_may_not_retry_a_delivery() {
    let daemon = TestDaemon::start().await;
    let (customer, conversation) = reachable_customer(&daemon, "Lu Customer").await;
    let queued = daemon
        .admin
        .send_message(conversation, &outgoing(Channel::Email, "hi"))
        .await
        .unwrap();

    let answer = post(
        &customer.client,
        &format!("/api/v1/messages/{}/retry", queued.id),
        json!({}),
    )
    .await;
    assert_eq!(answer.status, 403);
}

#[tokio::test]
async fn a_crew_member_cannot_see_a_customer_message_to_retry() {
    let daemon = TestDaemon::start().await;
    let crew = daemon.crew("Max Crew").await;
    let (_, conversation) = reachable_customer(&daemon, "Ned Customer").await;
    let queued = daemon
        .admin
        .send_message(conversation, &outgoing(Channel::Email, "hi"))
        .await
        .unwrap();

    let answer = post(
        &crew.client,
        &format!("/api/v1/messages/{}/retry", queued.id),
        json!({}),
    )
    .await;
    assert_eq!(answer.status, 404);
}

#[tokio::test]
async fn each_delivery_change_is_a_message_updated_event() {
    let provider = SmsProvider::start(vec![Answer::Status(500, None)]).await;
    let daemon = TestDaemon::start_with(tempfile::tempdir().unwrap(), |s| {
        provider.configure(s);
        quick_retries(s);
    })
    .await;
    let (customer, conversation) = reachable_customer(&daemon, "Oz Events").await;
    let mut socket = common::ws::WsClient::open(&customer.client).await;
    daemon
        .admin
        .send_message(conversation, &outgoing(Channel::Sms, "watch me"))
        .await
        .unwrap();

    // The customer sees the failed try (still queued, with its error),
    // then the delivery.
    let frames = socket
        .frames_until(|f| {
            f["type"] == "message.updated" && f["data"]["message"]["status"] == "sent"
        })
        .await;
    let updates: Vec<(String, u64, bool)> = common::ws::of_kind(&frames, "message.updated")
        .map(|f| &f["data"]["message"])
        .map(|m| {
            let status = m["status"].as_str().unwrap().to_owned();
            (
                status,
                m["attempts"].as_u64().unwrap(),
                m["error"].is_string(),
            )
        })
        .collect();
    assert_eq!(
        updates,
        [("queued".into(), 1, true), ("sent".into(), 2, false)]
    );
}

#[tokio::test]
async fn messages_queued_when_the_daemon_stops_are_delivered_once_after_it_starts_again() {
    // One delivery at a time, the first slow: when the daemon stops, one
    // attempt is in progress and four messages wait in the queue.
    let first = SmsProvider::start(vec![Answer::Hang(Duration::from_millis(800))]).await;
    let daemon = TestDaemon::start_with(tempfile::tempdir().unwrap(), |s| {
        first.configure(s);
        s.outbox.outbox_concurrency = 1;
    })
    .await;
    let (_, conversation) = reachable_customer(&daemon, "Sam Restart").await;
    let mut ids = Vec::new();
    for n in 0..5 {
        let body = format!("queued {n}");
        let queued = daemon
            .admin
            .send_message(conversation, &outgoing(Channel::Sms, &body))
            .await
            .unwrap();
        ids.push(queued.id.to_string());
    }
    while first.received().is_empty() {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let dir = daemon.stop().await;

    let second = SmsProvider::start(vec![]).await;
    let daemon = TestDaemon::start_with(dir, |s| second.configure(s)).await;
    for id in &ids {
        let message = settled(&daemon.admin, id.parse().unwrap()).await;
        assert_eq!(message.status, MessageStatus::Sent);
        assert_eq!(message.attempts, 1, "{id} was attempted again");
    }
    // The attempt under way at the stop finished and was recorded before
    // the store closed; the rest went out after the start, each once.
    let mut keys: Vec<String> = first
        .received()
        .iter()
        .chain(second.received().iter())
        .map(|r| r.idempotency_key.clone().unwrap())
        .collect();
    assert_eq!(first.received().len(), 1);
    keys.sort();
    assert_eq!(keys, ids);
}

#[tokio::test]
async fn an_sms_attachment_goes_out_as_a_media_link_that_needs_no_token_and_expires() {
    let provider = SmsProvider::start(vec![]).await;
    let daemon = TestDaemon::start_with(tempfile::tempdir().unwrap(), |s| {
        provider.configure(s);
        s.outbox.media_link_valid_for = Duration::from_secs(2);
    })
    .await;
    let (_, conversation) = reachable_customer(&daemon, "Tom Media").await;
    let photo = std::fs::read("fixtures/files/photo.png").unwrap();
    let file = daemon
        .admin
        .upload_file("leak.png", "image/png", photo.clone())
        .await
        .unwrap();
    let mut sms = outgoing(Channel::Sms, "the leak");
    sms.attachments = Some(vec![file.id]);
    let queued = daemon.admin.send_message(conversation, &sms).await.unwrap();
    assert_eq!(
        settled(&daemon.admin, queued.id).await.status,
        MessageStatus::Sent
    );

    let received = provider.received();
    let url = received[0]
        .field("MediaUrl")
        .expect("a MediaUrl")
        .to_owned();
    // The link starts with the public URL (here the default listen address).
    let path = &url[url.find("/media/").expect("a media link")..];
    let fetched = common::get(&daemon.anonymous(), path).await;
    assert_eq!(fetched.status, 200);
    assert_eq!(fetched.body.as_ref(), photo.as_slice());
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(common::get(&daemon.anonymous(), path).await.status, 404);
}

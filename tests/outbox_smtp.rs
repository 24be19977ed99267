//! Email through a real SMTP server (aiosmtpd, `fixtures/smtp_peer.py`) on
//! 127.0.0.1: what the server received is what was sent.

mod common;
mod outbox_support;

use base64::Engine;
use commcenter::wire::{Channel, MessageStatus};
use common::TestDaemon;
use outbox_support::smtp_peer::SmtpPeer;
use outbox_support::{outgoing, quick_retries, reachable_customer, settled};

const FROM: &str = "office@commcenter.example";

async fn daemon_for(peer: &SmtpPeer) -> TestDaemon {
    let url = peer.url();
    TestDaemon::start_with(tempfile::tempdir().unwrap(), |s| {
        s.outbox.smtp_url = Some(url);
        s.outbox.email_from = FROM.into();
        quick_retries(s);
    })
    .await
}

#[tokio::test]
async fn an_email_with_two_attachments_arrives_with_their_bytes() {
    let peer = SmtpPeer::start(0);
    let daemon = daemon_for(&peer).await;
    let (customer, conversation) = reachable_customer(&daemon, "Pia Mail").await;
    let pdf = std::fs::read("fixtures/files/quote.pdf").unwrap();
    let csv = b"item,price\nboiler,1200\n".to_vec();
    let pdf_meta = daemon
        .admin
        .upload_file("quote.pdf", "application/pdf", pdf.clone())
        .await
        .unwrap();
    let csv_meta = daemon
        .admin
        .upload_file("prices.csv", "text/csv", csv.clone())
        .await
        .unwrap();
    let mut email = outgoing(Channel::Email, "Please find the quote attached.");
    email.subject = Some("Your quote".into());
    email.attachments = Some(vec![pdf_meta.id, csv_meta.id]);
    let queued = daemon
        .admin
        .send_message(conversation, &email)
        .await
        .unwrap();

    let sent = settled(&daemon.admin, queued.id).await;
    assert_eq!(sent.status, MessageStatus::Sent, "{:?}", sent.error);
    let received = peer.wait_for(1);
    let mail = &received[0];
    assert_eq!(mail.rcpt_tos, [customer.user.email.clone().unwrap()]);
    assert_eq!(mail.mail_from, FROM);
    assert_eq!(mail.subject.as_deref(), Some("Your quote"));
    assert_eq!(
        mail.text.as_deref().map(str::trim_end),
        Some("Please find the quote attached.")
    );
    let bytes: Vec<(Option<&str>, &str, Vec<u8>)> = mail
        .attachments
        .iter()
        .map(|a| {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(&a.base64)
                .unwrap();
            (a.name.as_deref(), a.content_type.as_str(), decoded)
        })
        .collect();
    assert_eq!(
        bytes,
        [
            (Some("quote.pdf"), "application/pdf", pdf),
            (Some("prices.csv"), "text/csv", csv),
        ]
    );
}

#[tokio::test]
async fn an_email_carries_a_message_id_from_our_id_and_a_reply_to_naming_the_conversation() {
    let peer = SmtpPeer::start(0);
    let daemon = daemon_for(&peer).await;
    let (_, conversation) = reachable_customer(&daemon, "Quin Ids").await;
    let queued = daemon
        .admin
        .send_message(conversation, &outgoing(Channel::Email, "ids"))
        .await
        .unwrap();

    let sent = settled(&daemon.admin, queued.id).await;
    let mail = &peer.wait_for(1)[0];
    let message_id = format!("<{}@commcenter.example>", queued.id);
    assert_eq!(mail.message_id.as_deref(), Some(message_id.as_str()));
    assert_eq!(sent.provider_id, Some(message_id));
    let reply_to = mail.reply_to.as_deref().unwrap();
    assert!(
        reply_to.contains(&format!("office+{conversation}@commcenter.example")),
        "{reply_to}"
    );
}

#[tokio::test]
async fn a_transient_smtp_refusal_is_retried_and_the_email_arrives_once() {
    let peer = SmtpPeer::start(1);
    let daemon = daemon_for(&peer).await;
    let (_, conversation) = reachable_customer(&daemon, "Rex Later").await;
    let queued = daemon
        .admin
        .send_message(conversation, &outgoing(Channel::Email, "second try"))
        .await
        .unwrap();

    let sent = settled(&daemon.admin, queued.id).await;
    assert_eq!(sent.status, MessageStatus::Sent, "{:?}", sent.error);
    assert_eq!(sent.attempts, 2);
    assert_eq!(peer.wait_for(1).len(), 1);
}

#[tokio::test]
async fn emails_in_a_row_go_over_one_reused_connection() {
    let peer = SmtpPeer::start(0);
    let daemon = daemon_for(&peer).await;
    let (_, conversation) = reachable_customer(&daemon, "Sue Reuse").await;
    for body in ["first", "second", "third"] {
        let queued = daemon
            .admin
            .send_message(conversation, &outgoing(Channel::Email, body))
            .await
            .unwrap();
        assert_eq!(
            settled(&daemon.admin, queued.id).await.status,
            MessageStatus::Sent
        );
    }

    let ports: Vec<u16> = peer.wait_for(3).iter().map(|m| m.client_port).collect();
    assert_eq!(ports, [ports[0]; 3]);
}

//! What the outbox tests share: settings with short backoffs, customers
//! with a phone and an email address, and waiting for a delivery to settle.
#![allow(dead_code)]

pub mod sms_provider;
pub mod smtp_peer;

use std::time::Duration;

use commcenter::client::Client;
use commcenter::wire::{Channel, Message, MessageStatus, NewMessage, NewUser, Role};
use commcenter::Id;
use commcenterd::Settings;

use crate::common::{open_conversation, Actor, TestDaemon};

/// Retries within milliseconds, so that tests of retries are quick.
pub fn quick_retries(settings: &mut Settings) {
    settings.outbox.backoff_base = Duration::from_millis(20);
    settings.outbox.backoff_max = Duration::from_millis(100);
    settings.outbox.outbox_timeout = Duration::from_secs(5);
}

/// A customer reachable by SMS and email, and their open conversation.
pub async fn reachable_customer(daemon: &TestDaemon, name: &str) -> (Actor, Id) {
    let slug = name.to_lowercase().replace(' ', ".");
    let digits: u64 = name.bytes().map(u64::from).sum::<u64>() % 10_000;
    let customer = daemon
        .actor(NewUser {
            name: name.into(),
            role: Role::Customer,
            email: Some(format!("{slug}@example.com")),
            phone: Some(format!("+1555000{digits:04}")),
        })
        .await;
    let conversation = open_conversation(&daemon.admin, customer.id()).await;
    (customer, conversation.id)
}

pub fn outgoing(channel: Channel, body: &str) -> NewMessage {
    NewMessage {
        channel: Some(channel),
        body: Some(body.into()),
        ..NewMessage::default()
    }
}

/// The message once it is no longer `queued` (at most 20 s).
pub async fn settled(client: &Client, id: Id) -> Message {
    wait_for(client, id, |m| m.status != MessageStatus::Queued).await
}

/// The message once `done` holds for it (at most 20 s).
pub async fn wait_for(client: &Client, id: Id, done: impl Fn(&Message) -> bool) -> Message {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let message = client.get_message(id).await.expect("get message");
        if done(&message) {
            return message;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "message {id} did not get there: {message:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

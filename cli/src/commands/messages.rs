//! `commcenter messages`: a conversation's messages, and sending one.

use clap::Subcommand;
use commcenter::client::Client;
use commcenter::wire::{Channel, Direction, Message, MessageStatus, NewMessage};
use commcenter::{Id, Timestamp};

use crate::names::Names;
use crate::output::{ago, one_line, Output};

#[derive(Debug, Subcommand)]
pub enum Command {
    /// A conversation's newest messages, oldest first
    List {
        /// The conversation's id
        conversation: Id,
        /// At most this many, the newest (1-500)
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// Send a message (in_app by default), log a call, or write a staff note
    Send {
        conversation: Id,
        /// The text (with --template: sent as written instead of the rendered template)
        #[arg(required_unless_present = "template")]
        body: Option<String>,
        /// in_app, sms, email or phone
        #[arg(long, default_value = "in_app", value_parser = parse_channel)]
        channel: Channel,
        #[arg(long)]
        subject: Option<String>,
        /// A staff-only note
        #[arg(long)]
        private: bool,
        /// Idempotency key: a retry with the same key sends nothing twice
        #[arg(long)]
        key: Option<String>,
        /// Send from this template, rendered by the daemon for the conversation
        #[arg(long)]
        template: Option<Id>,
        /// A {{var.NAME}} value for --template, as NAME=VALUE (repeatable)
        #[arg(long = "var", requires = "template", value_parser = super::templates::parse_variable)]
        variables: Vec<(String, String)>,
    },
}

pub(super) fn parse_channel(text: &str) -> Result<Channel, String> {
    Channel::ALL
        .into_iter()
        .find(|c| c.as_str() == text)
        .ok_or_else(|| format!("`{text}` is not in_app, sms, email or phone"))
}

pub(super) const MESSAGE_HEADERS: &[&str] =
    &["ID", "WHEN", "FROM", "", "CHANNEL", "STATUS", "TEXT"];

pub(super) fn status_name(s: MessageStatus) -> &'static str {
    match s {
        MessageStatus::Queued => "queued",
        MessageStatus::Sent => "sent",
        MessageStatus::Delivered => "delivered",
        MessageStatus::Read => "read",
        MessageStatus::Failed => "failed",
    }
}

/// A message as a table row: who, which way, how, and its text on one line
/// (a staff-only note marked, attachments counted).
pub(super) fn message_row(m: &Message, names: &Names, now: Timestamp) -> Vec<String> {
    let arrow = match m.direction {
        Direction::Inbound => "<-",
        Direction::Outbound => "->",
    };
    let mut text = String::new();
    if m.private {
        text.push_str("[note] ");
    }
    if !m.attachments.is_empty() {
        text.push_str(&format!("[{} file(s)] ", m.attachments.len()));
    }
    text.push_str(&one_line(&m.body));
    vec![
        m.id.to_string(),
        ago(m.created_at, now),
        names.of(m.sender_id),
        arrow.to_owned(),
        m.channel.as_str().to_owned(),
        status_name(m.status).to_owned(),
        text,
    ]
}

/// One message as a line, after sending it.
pub(super) fn line(m: &Message) -> String {
    format!(
        "{}  {} {}  {}",
        m.id,
        m.channel.as_str(),
        status_name(m.status),
        one_line(&m.body)
    )
}

pub async fn run(command: Command, client: &Client, out: &Output) -> anyhow::Result<()> {
    match command {
        Command::List {
            conversation,
            limit,
        } => {
            let page = client
                .list_messages(conversation, Some(limit), None)
                .await?;
            if out.is_json() {
                return out.many(&page.items, |_| String::new());
            }
            let names = Names::fetch(client, page.items.iter().map(|m| m.sender_id)).await;
            let now = Timestamp::now();
            out.table(&page.items, MESSAGE_HEADERS, |m| {
                message_row(m, &names, now)
            })
        }
        Command::Send {
            conversation,
            body,
            channel,
            subject,
            private,
            key,
            template,
            variables,
        } => {
            let new = NewMessage {
                channel: Some(channel),
                body,
                subject,
                private: private.then_some(true),
                template_id: template,
                variables: (!variables.is_empty()).then(|| variables.into_iter().collect()),
                ..Default::default()
            };
            let message = client
                .send_message_keyed(conversation, &new, key.as_deref())
                .await?;
            out.one(&message, line)
        }
    }
}

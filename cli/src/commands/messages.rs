use clap::Subcommand;
use commcenter::client::Client;
use commcenter::wire::{Channel, Message, NewMessage};
use commcenter::Id;

use crate::output::Output;

#[derive(Debug, Subcommand)]
pub enum Command {
    /// A conversation's newest messages, oldest first
    List {
        conversation: Id,
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

fn line(m: &Message) -> String {
    format!(
        "{}  {} {:<6} {:<9} {}{}",
        m.created_at,
        if m.direction == commcenter::wire::Direction::Inbound {
            "<-"
        } else {
            "->"
        },
        m.channel.as_str(),
        format!("{:?}", m.status).to_lowercase(),
        if m.private { "[note] " } else { "" },
        m.body
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
            out.many(&page.items, line)
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
            let message = match key {
                None => client.send_message(conversation, &new).await?,
                Some(key) => {
                    let path = format!("/api/v1/conversations/{conversation}/messages");
                    let bytes = serde_json::to_vec(&new)?;
                    let response = client
                        .send_raw(
                            http::Method::POST,
                            &path,
                            Some(bytes),
                            &[("idempotency-key", &key)],
                        )
                        .await?;
                    if response.status >= 400 {
                        let body: commcenter::wire::ErrorBody = response.json()?;
                        anyhow::bail!("{} ({})", body.error.message, response.status);
                    }
                    response.json()?
                }
            };
            out.one(&message, line)
        }
    }
}

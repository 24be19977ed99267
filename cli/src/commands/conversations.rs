use clap::Subcommand;
use commcenter::client::Client;
use commcenter::wire::ConversationFilter;
use commcenter::wire::{Conversation, ConversationPatch, ConversationStatus};
use commcenter::Id;

use crate::output::Output;

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Conversations, most recent activity first
    List {
        /// open, closed or archived
        #[arg(long, value_parser = parse_status)]
        status: Option<ConversationStatus>,
        /// Only this customer's
        #[arg(long)]
        customer: Option<Id>,
        /// At most this many (1-500)
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// One conversation
    Show { id: Id },
    /// Set status, assignee or tags
    Set {
        id: Id,
        #[arg(long, value_parser = parse_status)]
        status: Option<ConversationStatus>,
        /// A staff user id, or `none` to unassign
        #[arg(long)]
        assignee: Option<String>,
        /// Comma-separated tags (replaces them)
        #[arg(long, value_delimiter = ',')]
        tags: Option<Vec<String>>,
    },
}

fn parse_status(text: &str) -> Result<ConversationStatus, String> {
    super::by_api_name(text, "open, closed or archived")
}

fn line(c: &Conversation) -> String {
    format!(
        "{}  {:<8} {:>4} msgs {:>3} unread  {}",
        c.id,
        format!("{:?}", c.status).to_lowercase(),
        c.message_count,
        c.unread_count,
        c.subject.as_deref().unwrap_or("(no subject)")
    )
}

pub async fn run(command: Command, client: &Client, out: &Output) -> anyhow::Result<()> {
    match command {
        Command::List {
            status,
            customer,
            limit,
        } => {
            let filter = ConversationFilter {
                status,
                customer_id: customer,
                ..Default::default()
            };
            let page = client
                .list_conversations_page(&filter, Some(limit), None)
                .await?;
            out.many(&page.items, line)
        }
        Command::Show { id } => out.one(&client.get_conversation(id).await?, line),
        Command::Set {
            id,
            status,
            assignee,
            tags,
        } => {
            let assignee_id = match assignee.as_deref() {
                None => None,
                Some("none") => Some(None),
                Some(text) => Some(Some(text.parse::<Id>()?)),
            };
            let patch = ConversationPatch {
                status,
                assignee_id,
                tags,
            };
            out.one(&client.patch_conversation(id, &patch).await?, line)
        }
    }
}

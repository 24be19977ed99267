//! `commcenter conversations`: list with filters, show with messages, and
//! triage (close, reopen, archive, assign, tag, mark read).

use clap::{Args as ClapArgs, Subcommand};
use commcenter::client::Client;
use commcenter::wire::{
    Channel, Conversation, ConversationFilter, ConversationKind, ConversationPatch,
    ConversationStatus, Message,
};
use commcenter::{Id, Timestamp};
use serde::Serialize;

use super::messages::{message_row, parse_channel, MESSAGE_HEADERS};
use crate::names::Names;
use crate::output::{ago, Output};
use crate::paging;

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Conversations, most recent activity first, as a table (JSON Lines with --json)
    List(ListArgs),
    /// One conversation with its newest messages (--json: {"conversation", "messages"})
    Show {
        /// The conversation's id
        id: Id,
        /// At most this many messages, the newest (1-500)
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// Every message, following the cursors to the first
        #[arg(long)]
        all: bool,
    },
    /// Close a conversation (staff)
    Close {
        /// The conversation's id
        id: Id,
    },
    /// Open a closed or archived conversation again (staff)
    Reopen {
        /// The conversation's id
        id: Id,
    },
    /// Archive a conversation (staff)
    Archive {
        /// The conversation's id
        id: Id,
    },
    /// Assign a conversation to a staff member, `me`, or `none` (staff)
    Assign {
        /// The conversation's id
        id: Id,
        /// A staff user id, `me`, or `none` to unassign
        assignee: String,
    },
    /// Add tags to a conversation, or remove them with --remove (staff)
    Tag {
        /// The conversation's id
        id: Id,
        /// Tags to add
        tags: Vec<String>,
        /// Tags to remove (repeatable)
        #[arg(long)]
        remove: Vec<String>,
    },
    /// Mark a conversation's messages read by you (all, or up to one)
    Read {
        /// The conversation's id
        id: Id,
        /// The last message to mark (default: the newest)
        #[arg(long)]
        up_to: Option<Id>,
    },
    /// Set status, assignee and tags at once (staff)
    Set {
        /// The conversation's id
        id: Id,
        /// open, closed or archived
        #[arg(long, value_parser = parse_status)]
        status: Option<ConversationStatus>,
        /// A staff user id, `me`, or `none` to unassign
        #[arg(long)]
        assignee: Option<String>,
        /// Comma-separated tags (replaces them)
        #[arg(long, value_delimiter = ',')]
        tags: Option<Vec<String>>,
    },
}

/// The filters of `conversations list`: every one the API has.
#[derive(Debug, ClapArgs)]
pub struct ListArgs {
    /// open, closed or archived
    #[arg(long, value_parser = parse_status)]
    status: Option<ConversationStatus>,
    /// Only this customer's
    #[arg(long)]
    customer: Option<Id>,
    /// Only this project's crew channel
    #[arg(long)]
    project: Option<Id>,
    /// Only those assigned to this staff member (`me` for yourself)
    #[arg(long)]
    assignee: Option<String>,
    /// customer (with one customer) or project (a crew channel)
    #[arg(long, value_parser = parse_kind)]
    kind: Option<ConversationKind>,
    /// Only those with a message on this channel: in_app, sms, email or phone
    #[arg(long, value_parser = parse_channel)]
    channel: Option<Channel>,
    /// At most this many per page (1-500)
    #[arg(long, default_value_t = 50)]
    limit: usize,
    /// Follow the cursors to the end
    #[arg(long)]
    all: bool,
}

fn parse_status(text: &str) -> Result<ConversationStatus, String> {
    super::by_api_name(text, "open, closed or archived")
}

fn parse_kind(text: &str) -> Result<ConversationKind, String> {
    super::by_api_name(text, "customer or project")
}

fn status_name(s: ConversationStatus) -> &'static str {
    match s {
        ConversationStatus::Open => "open",
        ConversationStatus::Closed => "closed",
        ConversationStatus::Archived => "archived",
    }
}

const HEADERS: &[&str] = &[
    "ID", "STATUS", "CUSTOMER", "ASSIGNEE", "UNREAD", "ACTIVE", "SUBJECT",
];

fn row(c: &Conversation, names: &Names, now: Timestamp) -> Vec<String> {
    let subject = c.subject.as_deref().unwrap_or("(no subject)");
    let subject = match c.kind {
        ConversationKind::Project => format!("[crew] {subject}"),
        ConversationKind::Customer => subject.to_owned(),
    };
    vec![
        c.id.to_string(),
        status_name(c.status).to_owned(),
        names.of(c.customer_id),
        names.of_option(c.assignee_id),
        c.unread_count.to_string(),
        ago(c.last_message_at.unwrap_or(c.updated_at), now),
        subject,
    ]
}

/// Conversations as a table, with people's names looked up.
async fn table(out: &Output, client: &Client, items: &[Conversation]) -> anyhow::Result<()> {
    let people = items
        .iter()
        .flat_map(|c| std::iter::once(c.customer_id).chain(c.assignee_id));
    let names = Names::fetch(client, people).await;
    let now = Timestamp::now();
    out.table(items, HEADERS, |c| row(c, &names, now))
}

/// One conversation, as a few lines for a person.
fn describe(c: &Conversation, names: &Names) -> String {
    let now = Timestamp::now();
    let tags = if c.tags.is_empty() {
        "-".to_owned()
    } else {
        c.tags.join(", ")
    };
    format!(
        "{}\n  id:       {}\n  status:   {}\n  customer: {}\n  assignee: {}\n  tags:     {}\n  messages: {} ({} unread)\n  active:   {}",
        c.subject.as_deref().unwrap_or("(no subject)"),
        c.id,
        status_name(c.status),
        names.of(c.customer_id),
        names.of_option(c.assignee_id),
        tags,
        c.message_count,
        c.unread_count,
        ago(c.last_message_at.unwrap_or(c.updated_at), now),
    )
}

/// `conversations show --json`: the conversation and its messages, each as
/// the API gives them.
#[derive(Serialize)]
struct Shown<'a> {
    conversation: &'a Conversation,
    messages: &'a [Message],
}

pub async fn run(command: Command, client: &Client, out: &Output) -> anyhow::Result<()> {
    match command {
        Command::List(args) => list(args, client, out).await,
        Command::Show { id, limit, all } => show(id, limit, all, client, out).await,
        Command::Close { id } => set_status(id, ConversationStatus::Closed, client, out).await,
        Command::Reopen { id } => set_status(id, ConversationStatus::Open, client, out).await,
        Command::Archive { id } => set_status(id, ConversationStatus::Archived, client, out).await,
        Command::Assign { id, assignee } => {
            let patch = ConversationPatch {
                assignee_id: Some(assignee_id(&assignee, client).await?),
                ..Default::default()
            };
            patched(id, &patch, client, out).await
        }
        Command::Tag { id, tags, remove } => {
            let mut current = client.get_conversation(id).await?.tags;
            current.retain(|t| !remove.contains(t));
            for tag in tags {
                if !current.contains(&tag) {
                    current.push(tag);
                }
            }
            let patch = ConversationPatch {
                tags: Some(current),
                ..Default::default()
            };
            patched(id, &patch, client, out).await
        }
        Command::Read { id, up_to } => {
            let conversation = client.read_conversation(id, up_to).await?;
            one(out, client, &conversation).await
        }
        Command::Set {
            id,
            status,
            assignee,
            tags,
        } => {
            let assignee_id = match assignee {
                Some(text) => Some(assignee_id(&text, client).await?),
                None => None,
            };
            let patch = ConversationPatch {
                status,
                assignee_id,
                tags,
            };
            patched(id, &patch, client, out).await
        }
    }
}

async fn list(args: ListArgs, client: &Client, out: &Output) -> anyhow::Result<()> {
    let assignee = match args.assignee.as_deref() {
        Some(text) => assignee_id(text, client).await?,
        None => None,
    };
    let filter = ConversationFilter {
        status: args.status,
        customer_id: args.customer,
        project_id: args.project,
        assignee_id: assignee,
        kind: args.kind,
        channel: args.channel,
    };
    let (filter, limit) = (&filter, args.limit);
    let fetch = |cursor: Option<String>| async move {
        client
            .list_conversations_page(filter, Some(limit), cursor.as_deref())
            .await
    };
    match paging::list(out, args.all, fetch).await? {
        Some(items) => table(out, client, &items).await,
        None => Ok(()),
    }
}

async fn show(
    id: Id,
    limit: usize,
    all: bool,
    client: &Client,
    out: &Output,
) -> anyhow::Result<()> {
    let conversation = client.get_conversation(id).await?;
    let mut messages = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = client
            .list_messages(id, Some(limit), cursor.as_deref())
            .await?;
        // Each page is in time order and pages go back in time.
        messages.splice(0..0, page.items);
        match page.next_cursor {
            Some(next) if all => cursor = Some(next),
            _ => break,
        }
    }
    if out.is_json() {
        let shown = Shown {
            conversation: &conversation,
            messages: &messages,
        };
        return out.one(&shown, |_| String::new());
    }
    let people = messages
        .iter()
        .map(|m| m.sender_id)
        .chain([conversation.customer_id])
        .chain(conversation.assignee_id);
    let names = Names::fetch(client, people).await;
    out.line(&describe(&conversation, &names))?;
    out.line("")?;
    let now = Timestamp::now();
    out.table(&messages, MESSAGE_HEADERS, |m| message_row(m, &names, now))
}

async fn set_status(
    id: Id,
    status: ConversationStatus,
    client: &Client,
    out: &Output,
) -> anyhow::Result<()> {
    let patch = ConversationPatch {
        status: Some(status),
        ..Default::default()
    };
    patched(id, &patch, client, out).await
}

async fn patched(
    id: Id,
    patch: &ConversationPatch,
    client: &Client,
    out: &Output,
) -> anyhow::Result<()> {
    let conversation = client.patch_conversation(id, patch).await?;
    one(out, client, &conversation).await
}

async fn one(out: &Output, client: &Client, conversation: &Conversation) -> anyhow::Result<()> {
    let names = if out.is_json() {
        Names::default()
    } else {
        let people = [conversation.customer_id].into_iter();
        Names::fetch(client, people.chain(conversation.assignee_id)).await
    };
    out.one(conversation, |c| describe(c, &names))
}

/// `me`, `none`, or a user id: `None` inside means unassigned.
async fn assignee_id(text: &str, client: &Client) -> anyhow::Result<Option<Id>> {
    match text {
        "none" => Ok(None),
        "me" => Ok(Some(client.me().await?.id)),
        id => Ok(Some(id.parse::<Id>().map_err(|e| {
            crate::failure::Failure::Usage(format!("`{id}` is not a user id, `me` or `none`: {e}"))
        })?)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_subject_of_a_crew_channel_is_marked() {
        let text = r#"{"id":"01M8VTBDDGJXVGA22PEHVT0F04","kind":"project","customer_id":"01M8VTBDDGJXVGA22PEHVT0F05","project_id":null,"subject":"Loft","status":"open","assignee_id":null,"tags":[],"created_at":"2026-11-26T05:15:20.123Z","updated_at":"2026-11-26T05:15:20.123Z","last_message_at":null,"last_message_preview":null,"message_count":0,"unread_count":2}"#;
        let c: Conversation = serde_json::from_str(text).unwrap();
        let now = Timestamp::parse("2026-11-26T05:20:20.123Z").unwrap();
        let cells = row(&c, &Names::default(), now);
        assert_eq!(cells[6], "[crew] Loft");
        assert_eq!(cells[5], "5 min ago");
        assert_eq!(cells[4], "2");
        assert_eq!(cells[3], "-");
    }
}

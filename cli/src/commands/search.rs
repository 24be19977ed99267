//! `commcenter search`: find messages by words and filters.

use clap::Args as ClapArgs;
use commcenter::client::Client;
use commcenter::wire::{Channel, Direction, MessageStatus, SearchHit, SearchQuery, SearchSort};
use commcenter::{Id, Timestamp};

use crate::names::Names;
use crate::output::{ago, one_line, Output};
use crate::paging;

#[derive(Debug, ClapArgs)]
pub struct Args {
    /// Words (all must match; the last also as a prefix; "quoted words" as a phrase)
    #[arg(default_value = "")]
    query: Vec<String>,
    /// Only this customer's messages
    #[arg(long)]
    customer: Option<Id>,
    /// Only messages about this project
    #[arg(long)]
    project: Option<Id>,
    /// Only this conversation's messages
    #[arg(long)]
    conversation: Option<Id>,
    /// in_app, sms, email or phone
    #[arg(long, value_parser = super::messages::parse_channel)]
    channel: Option<Channel>,
    /// inbound or outbound
    #[arg(long, value_parser = |t: &str| super::by_api_name::<Direction>(t, "inbound or outbound"))]
    direction: Option<Direction>,
    /// queued, sent, delivered, read or failed
    #[arg(long, value_parser = |t: &str| super::by_api_name::<MessageStatus>(t, "queued, sent, delivered, read or failed"))]
    status: Option<MessageStatus>,
    /// Only messages with attachments (or, with --attachments=false, without)
    #[arg(long, num_args = 0..=1, default_missing_value = "true")]
    attachments: Option<bool>,
    /// Created at or after this RFC 3339 time
    #[arg(long, value_parser = time_arg)]
    since: Option<Timestamp>,
    /// Created before this RFC 3339 time
    #[arg(long, value_parser = time_arg)]
    until: Option<Timestamp>,
    /// Best match first instead of newest first
    #[arg(long)]
    relevance: bool,
    /// Hits per page
    #[arg(long, default_value_t = 20)]
    limit: usize,
    /// Follow the cursors to the last hit
    #[arg(long)]
    all: bool,
}

fn time_arg(text: &str) -> Result<Timestamp, String> {
    Timestamp::parse(text).ok_or_else(|| format!("`{text}` is not an RFC 3339 time"))
}

const HEADERS: &[&str] = &["MESSAGE", "WHEN", "CUSTOMER", "CHANNEL", "SNIPPET"];

fn row(hit: &SearchHit, names: &Names, now: Timestamp) -> Vec<String> {
    let m = &hit.message;
    vec![
        m.id.to_string(),
        ago(m.created_at, now),
        names.of(m.customer_id),
        m.channel.as_str().to_owned(),
        one_line(&hit.snippet),
    ]
}

pub async fn run(args: Args, client: &Client, out: &Output) -> anyhow::Result<()> {
    let query = SearchQuery {
        q: Some(args.query.join(" ")).filter(|q| !q.trim().is_empty()),
        customer_id: args.customer,
        project_id: args.project,
        conversation_id: args.conversation,
        channel: args.channel,
        direction: args.direction,
        status: args.status,
        has_attachments: args.attachments,
        since: args.since,
        until: args.until,
        sort: if args.relevance {
            SearchSort::Relevance
        } else {
            SearchSort::Newest
        },
    };
    let (query, limit) = (&query, args.limit);
    let fetch = |cursor: Option<String>| async move {
        client
            .search_messages(query, Some(limit), cursor.as_deref())
            .await
    };
    let Some(hits) = paging::list(out, args.all, fetch).await? else {
        return Ok(());
    };
    let people = hits.iter().map(|h| h.message.customer_id);
    let names = Names::fetch(client, people).await;
    let now = Timestamp::now();
    out.table(&hits, HEADERS, |hit| row(hit, &names, now))
}

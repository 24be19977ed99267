//! `commcenter watch`: live events, one line each (the API's frames as
//! JSON Lines with `--json`), resuming after a drop without a gap or a
//! repeat ([`commcenter::live`] does the connecting and resuming).

use clap::Args as ClapArgs;
use commcenter::client::Client;
use commcenter::live::{Auth, Feed, FeedItem, Position};
use commcenter::wire::{Event, EventData, LiveFrame};

use crate::failure::Failure;
use crate::output::{one_line, Output};

#[derive(Debug, ClapArgs)]
#[command(after_help = "\
Connection news goes to stderr: `connected (seq S, epoch E)`, drops and
reconnections, and `events were lost: reload` when the daemon cannot replay
what was missed (with --json, that is also a {\"type\":\"resync_required\"}
line on stdout). Pass S and E back as --since/--epoch to pick up where an
earlier watch stopped.")]
pub struct Args {
    /// Start with the stored events after this seq (needs --epoch)
    #[arg(long, requires = "epoch")]
    since: Option<u64>,
    /// The epoch --since was counted in
    #[arg(long, requires = "since")]
    epoch: Option<String>,
    /// Authenticate the socket with a single-use ticket instead of the header
    #[arg(long)]
    ticket: bool,
    /// Only events of this type: message.created, message.updated, receipt,
    /// conversation.updated, project.updated (repeatable)
    #[arg(long = "type", value_name = "TYPE")]
    types: Vec<String>,
    /// Stop after this many events (of --type, when given)
    #[arg(long)]
    count: Option<u64>,
    /// Also show typing and presence
    #[arg(long)]
    all: bool,
}

pub async fn run(args: Args, client: &Client, out: &Output) -> anyhow::Result<()> {
    let auth = if args.ticket {
        Auth::Ticket
    } else {
        Auth::Header
    };
    let mut feed = match (args.since, args.epoch) {
        (Some(seq), Some(epoch)) => Feed::resuming(client.clone(), auth, Position { seq, epoch }),
        _ => Feed::new(client.clone(), auth),
    };
    let mut printed = 0;
    let mut ever_connected = false;
    // A live start's first `Reload` only says "state before now is over
    // HTTP"; any later one means events were lost.
    let mut expect_reload = args.since.is_none();
    while args.count.is_none_or(|count| printed < count) {
        match feed.next().await {
            FeedItem::Connected { resumed, at } => {
                ever_connected = true;
                let how = if resumed { "resuming" } else { "live" };
                eprintln!("connected, {how} (seq {}, epoch {})", at.seq, at.epoch);
            }
            FeedItem::Reload if expect_reload => expect_reload = false,
            FeedItem::Reload => {
                eprintln!("events were lost: reload");
                if out.is_json() {
                    out.json_line(&LiveFrame::ResyncRequired)?;
                }
            }
            FeedItem::Event(event)
                if !args.types.is_empty() && !args.types.iter().any(|t| t == event.data.kind()) => {
            }
            FeedItem::Event(event) => {
                print_event(out, &event)?;
                printed += 1;
            }
            FeedItem::Frame(frame) if args.all => print_frame(out, &frame)?,
            FeedItem::Frame(_) => {}
            // The first connection failing is an answer: the daemon is not
            // there, or the token is refused. Later drops are retried.
            FeedItem::Disconnected { error, .. } if !ever_connected => {
                return Err(Failure::Unreachable(error).into());
            }
            FeedItem::Disconnected {
                error, retry_in, ..
            } => eprintln!("disconnected ({error}); again in {retry_in:?}"),
        }
    }
    Ok(())
}

fn print_event(out: &Output, event: &Event) -> anyhow::Result<()> {
    if out.is_json() {
        return out.json_line(event);
    }
    out.line(&format!("{:>6}  {}", event.seq, summary(&event.data)))
}

fn print_frame(out: &Output, frame: &LiveFrame) -> anyhow::Result<()> {
    if out.is_json() {
        return out.json_line(frame);
    }
    let text = match frame {
        LiveFrame::Typing {
            conversation_id,
            user_id,
            state,
        } => format!("typing  {conversation_id}  {user_id} {state:?}"),
        LiveFrame::Presence(p) => {
            let online = if p.online { "online" } else { "offline" };
            format!("presence  {} {online}", p.user_id)
        }
        other => format!("{other:?}"),
    };
    out.line(&format!("{:>6}  {text}", "-"))
}

/// One event as a line: its type, where, and what.
fn summary(data: &EventData) -> String {
    match data {
        EventData::MessageCreated { message } | EventData::MessageUpdated { message } => format!(
            "{:<20}  {}  {} {}  {}",
            data.kind(),
            message.conversation_id,
            message.channel.as_str(),
            super::messages::status_name(message.status),
            one_line(&message.body)
        ),
        EventData::Receipt {
            message_id,
            user_id,
            state,
            ..
        } => format!("{:<20}  {message_id}  {user_id} {state:?}", data.kind()),
        EventData::ConversationUpdated { conversation } => format!(
            "{:<20}  {}  {}  {}",
            data.kind(),
            conversation.id,
            format!("{:?}", conversation.status).to_lowercase(),
            conversation.subject.as_deref().unwrap_or("")
        ),
        EventData::ProjectUpdated { project } => {
            format!("{:<20}  {}  {}", data.kind(), project.id, project.name)
        }
    }
}

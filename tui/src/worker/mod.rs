//! The worker: the only part that talks to the daemon. It owns the API
//! client and the WebSocket, runs each request as its own task (so a slow
//! answer never holds up another, nor the drawing) and sends the results
//! back as actions.

mod files;
mod live;

use std::time::Duration;

use commcenter::client::{Client, ClientError};
use commcenter::wire::{
    AnalyticsRange, Channel, ClientFrame, CustomerAnalytics, RenderTemplate, Role, SearchQuery,
    SearchSort,
};
use commcenter::Id;
use futures_util::{StreamExt, TryStreamExt};
use tokio::sync::mpsc::{unbounded_channel, UnboundedSender};
use tokio::task::JoinHandle;

use crate::action::{Action, Command, Loaded};

/// Conversations asked for at once.
const CONVERSATION_PAGE: usize = 200;
/// Messages per page of a thread.
const MESSAGE_PAGE: usize = 100;
/// Search hits shown.
const SEARCH_PAGE: usize = 100;
/// Newest messages read to learn each conversation's latest channel.
const RECENT_MESSAGES: usize = 500;
/// Customers asked for at once (the customers screen, analytics' ranking).
const CUSTOMER_PAGE: usize = 500;
/// Customers ranked in analytics.
const TOP_CUSTOMERS: usize = 20;
/// Per-customer analytics requests in flight at once.
const FIGURES_IN_FLIGHT: usize = 8;
/// Newest crew-channel messages read to find each crew member's position.
const CREW_MESSAGES: usize = 500;
/// Typing pauses shorter than this do not each cost a search.
const SEARCH_DEBOUNCE: Duration = Duration::from_millis(120);

/// Starts the worker and its WebSocket; returns where to send commands.
pub fn spawn(client: Client, actions: UnboundedSender<Action>) -> UnboundedSender<Command> {
    let (commands, mut inbox) = unbounded_channel::<Command>();
    let (frames, outbound) = unbounded_channel::<ClientFrame>();
    tokio::spawn(live::run(client.clone(), actions.clone(), outbound));
    tokio::spawn(async move {
        // Only the newest search matters: a new one cancels the last.
        let mut search: Option<JoinHandle<()>> = None;
        while let Some(command) = inbox.recv().await {
            if let Command::Typing {
                conversation_id,
                state,
            } = command
            {
                // The socket task is gone only when the console is.
                let _ = frames.send(ClientFrame::Typing {
                    conversation_id,
                    state,
                });
                continue;
            }
            let task = tokio::spawn(carry_out(client.clone(), command.clone(), actions.clone()));
            if matches!(
                command,
                Command::Search { .. } | Command::FindCustomers { .. }
            ) {
                if let Some(previous) = search.replace(task) {
                    previous.abort();
                }
            }
        }
    });
    commands
}

async fn carry_out(client: Client, command: Command, actions: UnboundedSender<Action>) {
    let action = match perform(&client, command).await {
        Ok(Some(loaded)) => Action::Loaded(loaded),
        Ok(None) => return,
        Err(e) => Action::Failed(describe(&e)),
    };
    // The console has quit when the channel is closed; nothing to tell.
    let _ = actions.send(action);
}

fn describe(e: &ClientError) -> String {
    match e {
        ClientError::Api { body, .. } => body.error.message.clone(),
        other => other.to_string(),
    }
}

async fn perform(client: &Client, command: Command) -> Result<Option<Loaded>, ClientError> {
    let loaded = match command {
        Command::FetchMe => Loaded::Me(client.me().await?),
        Command::LoadUsers => Loaded::Users(client.list_users(None, None).await?.items),
        Command::LoadPresence => Loaded::Presence(client.presence().await?),
        Command::FetchUser(id) => Loaded::User(client.get_user(id).await?),
        Command::FetchConversation(id) => Loaded::Conversation(client.get_conversation(id).await?),
        Command::LoadConversations(filter) => Loaded::Conversations(
            client
                .list_conversations_page(&filter, Some(CONVERSATION_PAGE), None)
                .await?,
        ),
        Command::LoadMoreConversations { filter, cursor } => Loaded::MoreConversations(
            client
                .list_conversations_page(&filter, Some(CONVERSATION_PAGE), Some(&cursor))
                .await?,
        ),
        Command::LoadRecentChannels => Loaded::RecentChannels(recent_channels(client).await?),
        Command::LoadThread {
            conversation_id,
            focus,
        } => Loaded::Messages {
            conversation_id,
            page: client
                .list_messages(conversation_id, Some(MESSAGE_PAGE), None)
                .await?,
            older: false,
            focus,
        },
        Command::LoadOlder {
            conversation_id,
            cursor,
            focus,
        } => Loaded::Messages {
            conversation_id,
            page: client
                .list_messages(conversation_id, Some(MESSAGE_PAGE), Some(&cursor))
                .await?,
            older: true,
            focus,
        },
        Command::Send {
            conversation_id,
            message,
        } => Loaded::Sent(client.send_message(conversation_id, &message).await?),
        Command::Patch {
            conversation_id,
            patch,
        } => Loaded::Conversation(client.patch_conversation(conversation_id, &patch).await?),
        Command::Retry(id) => Loaded::Retried(client.retry_message(id).await?),
        Command::MarkRead {
            conversation_id,
            up_to,
        } => {
            client
                .read_conversation(conversation_id, Some(up_to))
                .await?;
            return Ok(None);
        }
        // Sent over the WebSocket by `spawn`, never performed here.
        Command::Typing { .. } => return Ok(None),
        Command::Search { generation, query } => {
            tokio::time::sleep(SEARCH_DEBOUNCE).await;
            let query = SearchQuery {
                q: Some(query),
                ..SearchQuery::default()
            };
            let hits = client
                .search_messages(&query, Some(SEARCH_PAGE), None)
                .await?;
            Loaded::SearchResults {
                generation,
                hits: hits.items,
            }
        }
        other => return more(client, other).await.map(Some),
    };
    Ok(Some(loaded))
}

/// The commands of the customers, projects and analytics screens, templates
/// and files.
async fn more(client: &Client, command: Command) -> Result<Loaded, ClientError> {
    Ok(match command {
        Command::FindCustomers { generation, query } => {
            tokio::time::sleep(SEARCH_DEBOUNCE).await;
            let q = Some(query.as_str()).filter(|q| !q.is_empty());
            let page = client
                .list_users_page(Some(Role::Customer), q, Some(CUSTOMER_PAGE), None)
                .await?;
            Loaded::Customers {
                generation,
                users: page.items,
            }
        }
        Command::CreateCustomer(new) => Loaded::CustomerCreated(client.create_user(&new).await?),
        Command::LoadCustomerConversations(customer_id) => {
            let filter = commcenter::wire::ConversationFilter {
                customer_id: Some(customer_id),
                ..Default::default()
            };
            let page = client
                .list_conversations_page(&filter, Some(CONVERSATION_PAGE), None)
                .await?;
            Loaded::CustomerConversations {
                customer_id,
                items: page.items,
            }
        }
        Command::LoadCustomerFigures(id) => Loaded::CustomerFigures(Box::new(
            client
                .analytics_customer(id, &AnalyticsRange::default(), false)
                .await?,
        )),
        Command::PortalLink { user_id, send } => portal_link(client, user_id, send).await?,
        Command::LoadProjects => Loaded::Projects(
            client
                .list_projects_page(Some(CONVERSATION_PAGE), None)
                .await?
                .items,
        ),
        Command::LoadCrewMessages {
            project_id,
            conversation_id,
        } => Loaded::CrewMessages {
            project_id,
            messages: client
                .list_messages(conversation_id, Some(CREW_MESSAGES), None)
                .await?
                .items,
        },
        Command::LoadAnalytics { days, since } => analytics(client, days, since).await?,
        Command::LoadTemplates => {
            Loaded::Templates(client.list_templates(Some(500), None).await?.items)
        }
        Command::RenderTemplate {
            template,
            conversation_id,
            variables,
        } => {
            let request = RenderTemplate {
                conversation_id: Some(conversation_id),
                customer_id: None,
                variables: (!variables.is_empty()).then_some(variables),
            };
            let rendered = client.render_template(template.id, &request).await?;
            Loaded::Rendered { template, rendered }
        }
        Command::Upload {
            conversation_id,
            path,
        } => files::upload(client, conversation_id, &path).await?,
        Command::SaveFile { file, path } => files::save(client, &file, &path).await?,
        Command::OpenFile(file) => files::open(client, &file).await?,
        // `perform` answers the rest and hands only these here; a panic
        // would run the terminal-restoring hook under a live console.
        other => {
            return Err(ClientError::Transport(format!(
                "the console has no request for {other:?}"
            )))
        }
    })
}

/// The overview, and every customer's figures for the same range ranked by
/// engagement (the API has no ranking of its own: one request per customer,
/// a few at a time).
async fn analytics(client: &Client, days: u32, since: String) -> Result<Loaded, ClientError> {
    let range = AnalyticsRange {
        since: Some(since),
        ..AnalyticsRange::default()
    };
    let overview = client.analytics_overview(&range).await?;
    let customers = client
        .list_users_page(Some(Role::Customer), None, Some(CUSTOMER_PAGE), None)
        .await?
        .items;
    let mut top: Vec<CustomerAnalytics> = futures_util::stream::iter(customers)
        .map(|c| {
            let range = &range;
            async move { client.analytics_customer(c.id, range, false).await }
        })
        .buffer_unordered(FIGURES_IN_FLIGHT)
        .try_filter(|f| std::future::ready(f.figures.total_messages > 0))
        .try_collect()
        .await?;
    top.sort_by(|a, b| {
        b.engagement_score
            .total_cmp(&a.engagement_score)
            .then(a.customer_id.cmp(&b.customer_id))
    });
    top.truncate(TOP_CUSTOMERS);
    Ok(Loaded::Analytics {
        days,
        overview: Box::new(overview),
        top,
    })
}

/// The channel of the newest message of each conversation among the newest
/// messages anywhere (one search request, newest first); private notes say
/// nothing about how the customer is reached and are skipped.
async fn recent_channels(client: &Client) -> Result<Vec<(Id, Channel)>, ClientError> {
    let query = SearchQuery {
        sort: SearchSort::Newest,
        ..SearchQuery::default()
    };
    let page = client
        .search_messages(&query, Some(RECENT_MESSAGES), None)
        .await?;
    let mut seen = std::collections::HashSet::new();
    Ok(page
        .items
        .into_iter()
        .map(|hit| hit.message)
        .filter(|m| !m.private && seen.insert(m.conversation_id))
        .map(|m| (m.conversation_id, m.channel))
        .collect())
}

/// `POST /users/{id}/portal-link`: a single-use sign-in link for a customer,
/// valid for the daemon's default number of days; sent to them on `send`
/// in their open conversation (a new one if none is open).
async fn portal_link(
    client: &Client,
    user_id: Id,
    send: Option<Channel>,
) -> Result<Loaded, ClientError> {
    // The user first, so that a link is not made for a send that cannot go.
    let user = match send {
        Some(_) => Some(client.get_user(user_id).await?),
        None => None,
    };
    let link = client
        .portal_link(user_id, &commcenter::wire::NewPortalLink::default())
        .await?;
    if let (Some(user), Some(channel)) = (&user, send) {
        commcenter::outreach::send_portal_link(client, user, &link, channel).await?;
    }
    Ok(Loaded::PortalLink {
        user_id,
        url: link.url,
        expires_at: link.expires_at,
        sent: send,
    })
}

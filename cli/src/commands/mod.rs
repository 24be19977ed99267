//! One module per subcommand: an `Args` struct and a `run`.

mod analytics;
mod conversations;
mod login;
mod me;
mod messages;
mod portal_link;
mod projects;
mod retry;
mod search;
mod status;
mod templates;
mod tokens;
mod tui;
mod users;

use clap::Subcommand;
use commcenter::client::Client;

use crate::connection::Connection;
use crate::output::Output;

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show the user behind the token
    Me(me::Args),
    /// List, show and triage conversations
    #[command(subcommand)]
    Conversations(conversations::Command),
    /// List and send messages
    #[command(subcommand)]
    Messages(messages::Command),
    /// Find messages by words and filters (subject, body, attachment names)
    Search(search::Args),
    /// List, show, create, edit, delete and render message templates (staff)
    #[command(subcommand)]
    Templates(templates::Command),
    /// Volumes, response times, read rate and engagement (staff)
    #[command(subcommand)]
    Analytics(analytics::Command),
    /// Queue a failed SMS or email message again (staff)
    Retry(retry::Args),
    /// Open the staff console: live conversations, replies, search
    Tui(tui::Args),
    /// Check a token with the daemon and save it with the URL (mode 0600)
    Login(login::Args),
    /// Forget the saved URL and token
    Logout,
    /// Where the connection settings come from, who you are, whether the daemon is ready
    Status,
    /// List, show, create and edit users (staff; creating staff needs an admin)
    #[command(subcommand)]
    Users(users::Command),
    /// List, issue and revoke a user's API tokens
    #[command(subcommand)]
    Tokens(tokens::Command),
    /// List, show, create and edit projects and their crew
    #[command(subcommand)]
    Projects(projects::Command),
    /// Make a sign-in link to a customer's or crew member's web page
    /// (staff): printed, or sent to a customer with --send sms|email
    PortalLink(portal_link::Args),
}

pub async fn run(
    command: Command,
    conn: &Connection,
    client: &Client,
    out: &Output,
) -> anyhow::Result<()> {
    match command {
        Command::Me(args) => me::run(args, client, out).await,
        Command::Conversations(c) => conversations::run(c, client, out).await,
        Command::Messages(c) => messages::run(c, client, out).await,
        Command::Search(args) => search::run(args, client, out).await,
        Command::Templates(c) => templates::run(c, client, out).await,
        Command::Analytics(c) => analytics::run(c, client, out).await,
        Command::Retry(args) => retry::run(args, client, out).await,
        Command::Tui(args) => tui::run(args, client).await,
        Command::Login(args) => login::login(args, conn, client).await,
        Command::Logout => login::logout(),
        Command::Status => status::run(conn, client, out).await,
        Command::Users(c) => users::run(c, client, out).await,
        Command::Tokens(c) => tokens::run(c, client, out).await,
        Command::Projects(c) => projects::run(c, client, out).await,
        Command::PortalLink(args) => portal_link::run(args, client, out).await,
    }
}

/// An enum from its API name (`open`, `customer`, `sms`), for clap's
/// `value_parser`; the error lists the `choices`.
pub(crate) fn by_api_name<T: serde::de::DeserializeOwned>(
    text: &str,
    choices: &str,
) -> Result<T, String> {
    serde_json::from_value(serde_json::Value::String(text.to_owned()))
        .map_err(|_| format!("`{text}` is not {choices}"))
}

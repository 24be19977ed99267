//! One module per subcommand: an `Args` struct and a `run`.

mod analytics;
mod conversations;
mod me;
mod messages;

use clap::Subcommand;
use commcenter::client::Client;

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
    /// Volumes, response times, read rate and engagement (staff)
    #[command(subcommand)]
    Analytics(analytics::Command),
}

pub async fn run(command: Command, client: &Client, out: &Output) -> anyhow::Result<()> {
    match command {
        Command::Me(args) => me::run(args, client, out).await,
        Command::Conversations(c) => conversations::run(c, client, out).await,
        Command::Messages(c) => messages::run(c, client, out).await,
        Command::Analytics(c) => analytics::run(c, client, out).await,
    }
}

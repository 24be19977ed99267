//! `commcenter tokens`: a user's API tokens.

use clap::Subcommand;
use commcenter::client::Client;
use commcenter::wire::{NewToken, TokenInfo};
use commcenter::Id;

use crate::output::Output;

#[derive(Debug, Subcommand)]
pub enum Command {
    /// A user's tokens (never their secrets)
    List {
        /// The user's id
        user: Id,
    },
    /// A new token for a user: the secret is printed once, on stdout
    Issue {
        /// The user's id
        user: Id,
        /// What the token is for ("cron", "laptop")
        #[arg(long)]
        label: Option<String>,
        /// Expires after this many days (1-3650); never when absent
        #[arg(long)]
        expires_in_days: Option<u32>,
    },
    /// Revoke a token by its id
    Revoke {
        /// The token's id (from `tokens list`)
        id: Id,
    },
}

fn row(t: &TokenInfo) -> Vec<String> {
    let state = if t.revoked_at.is_some() {
        "revoked"
    } else {
        "active"
    };
    vec![
        t.id.to_string(),
        t.label.clone().unwrap_or_default(),
        state.to_owned(),
        t.created_at.to_string(),
        t.expires_at.map(|e| e.to_string()).unwrap_or_default(),
    ]
}

const HEADERS: &[&str] = &["ID", "LABEL", "STATE", "CREATED", "EXPIRES"];

pub async fn run(command: Command, client: &Client, out: &Output) -> anyhow::Result<()> {
    match command {
        Command::List { user } => {
            let page = client.list_tokens(user).await?;
            out.table(&page.items, HEADERS, row)
        }
        Command::Issue {
            user,
            label,
            expires_in_days,
        } => {
            let new = NewToken {
                label,
                expires_in_days,
            };
            let issued = client.issue_token(user, &new).await?;
            if !out.is_json() {
                eprintln!("Token {} issued; it is shown only this once:", issued.id);
            }
            // The bare secret on stdout, so `TOKEN=$(commcenter tokens issue …)` works.
            out.one(&issued, |t| t.token.clone())
        }
        Command::Revoke { id } => {
            client.revoke_token(id).await?;
            eprintln!("Revoked {id}");
            Ok(())
        }
    }
}

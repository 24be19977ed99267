//! `commcenter users`: list, show, create and edit users.

use clap::Subcommand;
use commcenter::client::Client;
use commcenter::wire::{NewUser, Role, User, UserPatch};
use commcenter::Id;

use crate::output::Output;
use crate::paging;

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Users, as a table (JSON Lines with --json)
    List {
        /// admin, agent, crew or customer
        #[arg(long, value_parser = parse_role)]
        role: Option<Role>,
        /// Words in the name, email or phone
        #[arg(long)]
        q: Option<String>,
        /// At most this many per page (1-500)
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// Follow the cursors to the end (with --json: JSON Lines of every user)
        #[arg(long)]
        all: bool,
    },
    /// One user
    Show {
        /// The user's id
        id: Id,
    },
    /// A new user
    Create {
        /// Full name
        #[arg(long)]
        name: String,
        /// admin, agent, crew or customer
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// Email address (customers get email with it)
        #[arg(long)]
        email: Option<String>,
        /// E.164, e.g. +447700900123
        #[arg(long)]
        phone: Option<String>,
    },
    /// Change name, email or phone (`--email ''` clears it)
    Edit {
        /// The user's id
        id: Id,
        /// A new name
        #[arg(long)]
        name: Option<String>,
        /// A new email address ('' clears it)
        #[arg(long)]
        email: Option<String>,
        /// A new phone number, E.164 ('' clears it)
        #[arg(long)]
        phone: Option<String>,
    },
    /// Everything stored about a user, as one JSON document (admin): the
    /// answer to a request for access
    Export {
        /// The user's id
        id: Id,
        /// Write it to this file instead of stdout
        #[arg(long, short = 'o', value_name = "PATH")]
        output: Option<std::path::PathBuf>,
    },
    /// Erase a customer's personal data (admin): the answer to a deletion
    /// request. Profile, message bodies and files go; counts stay
    Erase {
        /// The customer's id
        id: Id,
        /// Confirm: this cannot be undone
        #[arg(long, required = true)]
        yes: bool,
    },
}

pub fn parse_role(text: &str) -> Result<Role, String> {
    super::by_api_name(text, "admin, agent, crew or customer")
}

/// An empty value on the command line means "clear it" (`null` in the patch).
fn clearable(value: Option<String>) -> Option<Option<String>> {
    value.map(|v| Some(v).filter(|v| !v.is_empty()))
}

fn row(u: &User) -> Vec<String> {
    vec![
        u.id.to_string(),
        u.name.clone(),
        u.role.as_str().to_owned(),
        u.email.clone().unwrap_or_default(),
        u.phone.clone().unwrap_or_default(),
    ]
}

const HEADERS: &[&str] = &["ID", "NAME", "ROLE", "EMAIL", "PHONE"];

fn one(out: &Output, user: &User) -> anyhow::Result<()> {
    out.one(user, |u| {
        format!(
            "{}\n  id:    {}\n  role:  {}\n  email: {}\n  phone: {}",
            u.name,
            u.id,
            u.role.as_str(),
            u.email.as_deref().unwrap_or("-"),
            u.phone.as_deref().unwrap_or("-")
        )
    })
}

pub async fn run(command: Command, client: &Client, out: &Output) -> anyhow::Result<()> {
    match command {
        Command::List {
            role,
            q,
            limit,
            all,
        } => {
            let q = q.as_deref();
            let fetch = |cursor: Option<String>| async move {
                client
                    .list_users_page(role, q, Some(limit), cursor.as_deref())
                    .await
            };
            match paging::list(out, all, fetch).await? {
                Some(users) => out.table(&users, HEADERS, row),
                None => Ok(()),
            }
        }
        Command::Show { id } => one(out, &client.get_user(id).await?),
        Command::Export { id, output } => {
            let export = client.export_user(id).await?;
            let json = serde_json::to_vec_pretty(&export)?;
            match output {
                Some(path) => {
                    std::fs::write(&path, &json)?;
                    eprintln!("exported {id} to {}", path.display());
                    Ok(())
                }
                None => {
                    use std::io::Write;
                    let mut stdout = std::io::stdout().lock();
                    stdout.write_all(&json)?;
                    writeln!(stdout)?;
                    Ok(())
                }
            }
        }
        Command::Erase { id, yes: _ } => {
            let summary = client.erase_customer(id).await?;
            out.one(&summary, |s| {
                format!(
                    "erased {}: {} messages in {} conversations, {} files; \
                     {} tokens revoked, {} deliveries cancelled",
                    s.user_id,
                    s.erased_messages,
                    s.erased_conversations,
                    s.erased_files,
                    s.revoked_tokens,
                    s.cancelled_deliveries
                )
            })
        }
        Command::Create {
            name,
            role,
            email,
            phone,
        } => {
            let new = NewUser {
                name,
                role,
                email,
                phone,
            };
            one(out, &client.create_user(&new).await?)
        }
        Command::Edit {
            id,
            name,
            email,
            phone,
        } => {
            let patch = UserPatch {
                name,
                email: clearable(email),
                phone: clearable(phone),
            };
            one(out, &client.patch_user(id, &patch).await?)
        }
    }
}

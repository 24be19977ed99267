//! `commcenter projects`: jobs with a customer, an address and a crew.

use clap::Subcommand;
use commcenter::client::Client;
use commcenter::wire::{NewProject, Project, ProjectPatch, ProjectStatus};
use commcenter::Id;

use crate::names::Names;
use crate::output::Output;
use crate::paging;

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Projects you can see, as a table (JSON Lines with --json)
    List {
        /// At most this many per page (1-500)
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// Follow the cursors to the end
        #[arg(long)]
        all: bool,
    },
    /// One project
    Show {
        /// The project's id
        id: Id,
    },
    /// A new project (staff)
    Create {
        /// What the job is called
        #[arg(long)]
        name: String,
        /// The customer's user id
        #[arg(long)]
        customer: Id,
        /// The site's address
        #[arg(long)]
        address: Option<String>,
        /// Comma-separated crew user ids
        #[arg(long, value_delimiter = ',')]
        crew: Option<Vec<Id>>,
    },
    /// Change name, address (`--address ''` clears it), crew or status (staff)
    Edit {
        /// The project's id
        id: Id,
        /// A new name
        #[arg(long)]
        name: Option<String>,
        /// A new address ('' clears it)
        #[arg(long)]
        address: Option<String>,
        /// Comma-separated crew user ids (replaces the crew; `--crew ''` empties it)
        #[arg(long, value_delimiter = ',')]
        crew: Option<Vec<String>>,
        /// active or done
        #[arg(long, value_parser = parse_status)]
        status: Option<ProjectStatus>,
    },
}

fn parse_status(text: &str) -> Result<ProjectStatus, String> {
    super::by_api_name(text, "active or done")
}

fn status_name(s: ProjectStatus) -> &'static str {
    match s {
        ProjectStatus::Active => "active",
        ProjectStatus::Done => "done",
    }
}

/// Crew ids from the command line; empty pieces are skipped so `--crew ''`
/// means no crew.
fn crew_ids(texts: Vec<String>) -> anyhow::Result<Vec<Id>> {
    texts
        .iter()
        .filter(|t| !t.is_empty())
        .map(|t| {
            t.parse::<Id>()
                .map_err(|e| anyhow::anyhow!("crew id `{t}`: {e}"))
        })
        .collect()
}

fn row(p: &Project, names: &Names) -> Vec<String> {
    vec![
        p.id.to_string(),
        p.name.clone(),
        status_name(p.status).to_owned(),
        names.of(p.customer_id),
        p.crew_ids.len().to_string(),
        p.address.clone().unwrap_or_default(),
    ]
}

const HEADERS: &[&str] = &["ID", "NAME", "STATUS", "CUSTOMER", "CREW", "ADDRESS"];

fn one(out: &Output, project: &Project) -> anyhow::Result<()> {
    out.one(project, |p| {
        let crew: Vec<String> = p.crew_ids.iter().map(Id::to_string).collect();
        format!(
            "{}\n  id:           {}\n  status:       {}\n  customer:     {}\n  address:      {}\n  crew:         {}\n  conversation: {}",
            p.name,
            p.id,
            status_name(p.status),
            p.customer_id,
            p.address.as_deref().unwrap_or("-"),
            if crew.is_empty() { "-".to_owned() } else { crew.join(", ") },
            p.conversation_id
        )
    })
}

pub async fn run(command: Command, client: &Client, out: &Output) -> anyhow::Result<()> {
    match command {
        Command::List { limit, all } => {
            let fetch = |cursor: Option<String>| async move {
                client
                    .list_projects_page(Some(limit), cursor.as_deref())
                    .await
            };
            match paging::list(out, all, fetch).await? {
                Some(projects) => {
                    let names = Names::fetch(client, projects.iter().map(|p| p.customer_id)).await;
                    out.table(&projects, HEADERS, |p| row(p, &names))
                }
                None => Ok(()),
            }
        }
        Command::Show { id } => one(out, &client.get_project(id).await?),
        Command::Create {
            name,
            customer,
            address,
            crew,
        } => {
            let new = NewProject {
                name,
                customer_id: customer,
                address,
                crew_ids: crew,
            };
            one(out, &client.create_project(&new).await?)
        }
        Command::Edit {
            id,
            name,
            address,
            crew,
            status,
        } => {
            let patch = ProjectPatch {
                name,
                address: address.map(|a| Some(a).filter(|a| !a.is_empty())),
                crew_ids: crew.map(crew_ids).transpose()?,
                status,
            };
            one(out, &client.patch_project(id, &patch).await?)
        }
    }
}

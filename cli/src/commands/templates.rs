//! `commcenter templates`: list, show, create, edit, delete and render
//! message templates (staff).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clap::{Args as ClapArgs, Subcommand};
use commcenter::client::Client;
use commcenter::wire::{
    Channel, NewTemplate, RenderTemplate, RenderedTemplate, Template, TemplateUpdate,
};
use commcenter::Id;

use super::messages::parse_channel;
use crate::output::Output;

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Every template, oldest first
    List,
    /// One template, with its placeholders
    Show { template: Id },
    /// Create a template from flags, a JSON file, or both (flags win)
    Create {
        #[command(flatten)]
        fields: Fields,
        /// Idempotency key: a retry with the same key creates nothing twice
        #[arg(long)]
        key: Option<String>,
    },
    /// Change a template: the flags given replace those fields, the rest stay
    Edit {
        template: Id,
        #[command(flatten)]
        fields: Fields,
    },
    /// Delete a template (messages sent from it keep its id)
    Delete { template: Id },
    /// Fill a template in for a conversation or a customer, without sending it
    Render {
        template: Id,
        /// Take the customer (and project) from this conversation
        #[arg(long)]
        conversation: Option<Id>,
        /// Take the customer from this user
        #[arg(long)]
        customer: Option<Id>,
        /// A {{var.NAME}} value, as NAME=VALUE (repeatable)
        #[arg(long = "var", value_parser = parse_variable)]
        variables: Vec<(String, String)>,
    },
}

/// A template's fields, from flags and/or a file.
#[derive(Debug, ClapArgs)]
pub struct Fields {
    /// A JSON file with the template's fields (name, channel, subject, body)
    #[arg(long)]
    file: Option<PathBuf>,
    #[arg(long)]
    name: Option<String>,
    /// in_app, sms, email or phone; `any` for no channel
    #[arg(long, value_parser = parse_template_channel)]
    channel: Option<TemplateChannel>,
    /// The subject; an empty one removes it
    #[arg(long)]
    subject: Option<String>,
    /// The body text
    #[arg(long, conflicts_with = "body_file")]
    body: Option<String>,
    /// Read the body text from this file (`-`: standard input)
    #[arg(long)]
    body_file: Option<PathBuf>,
}

/// `--channel`: one channel, or none.
#[derive(Debug, Clone, Copy)]
pub struct TemplateChannel(Option<Channel>);

fn parse_template_channel(text: &str) -> Result<TemplateChannel, String> {
    if text == "any" {
        return Ok(TemplateChannel(None));
    }
    parse_channel(text).map(|c| TemplateChannel(Some(c)))
}

/// `NAME=VALUE`.
pub fn parse_variable(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .ok_or_else(|| format!("`{text}` is not NAME=VALUE"))
}

impl Fields {
    /// `base` with the file's fields, then the flags', laid over it.
    fn apply(self, base: NewTemplate) -> anyhow::Result<NewTemplate> {
        let mut t = match &self.file {
            Some(path) => serde_json::from_str(&read_text(path)?)
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?,
            None => base,
        };
        if let Some(name) = self.name {
            t.name = name;
        }
        if let Some(TemplateChannel(channel)) = self.channel {
            t.channel = channel;
        }
        if let Some(subject) = self.subject {
            t.subject = (!subject.is_empty()).then_some(subject);
        }
        if let Some(body) = self.body {
            t.body = body;
        }
        if let Some(path) = &self.body_file {
            t.body = read_text(path)?;
        }
        Ok(t)
    }
}

fn read_text(path: &Path) -> anyhow::Result<String> {
    if path == Path::new("-") {
        return Ok(std::io::read_to_string(std::io::stdin())?);
    }
    std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

fn line(t: &Template) -> String {
    let channel = t.channel.map_or("any", Channel::as_str);
    format!(
        "{}  {:<6} {}  [{}]",
        t.id,
        channel,
        t.name,
        t.variables.join(", ")
    )
}

fn full(t: &Template) -> String {
    let mut text = line(t);
    if let Some(subject) = &t.subject {
        text.push_str(&format!("\nSubject: {subject}"));
    }
    text.push_str(&format!("\n\n{}", t.body));
    text
}

fn rendered(r: &RenderedTemplate) -> String {
    match &r.subject {
        Some(subject) => format!("Subject: {subject}\n\n{}", r.body),
        None => r.body.clone(),
    }
}

pub async fn run(command: Command, client: &Client, out: &Output) -> anyhow::Result<()> {
    match command {
        Command::List => out.many(&all_templates(client).await?, line),
        Command::Show { template } => out.one(&client.get_template(template).await?, full),
        Command::Create { fields, key } => {
            let new = fields.apply(NewTemplate::default())?;
            out.one(&create(client, &new, key.as_deref()).await?, full)
        }
        Command::Edit { template, fields } => {
            let old = client.get_template(template).await?;
            let new = fields.apply(TemplateUpdate::default().applied_to(&old))?;
            let update = TemplateUpdate {
                name: Some(new.name),
                channel: Some(new.channel),
                subject: Some(new.subject),
                body: Some(new.body),
            };
            out.one(&client.update_template(template, &update).await?, full)
        }
        Command::Delete { template } => {
            client.delete_template(template).await?;
            Ok(())
        }
        Command::Render {
            template,
            conversation,
            customer,
            variables,
        } => {
            let request = RenderTemplate {
                conversation_id: conversation,
                customer_id: customer,
                variables: (!variables.is_empty())
                    .then(|| variables.into_iter().collect::<BTreeMap<_, _>>()),
            };
            out.one(&client.render_template(template, &request).await?, rendered)
        }
    }
}

/// Every page of `GET /templates`.
async fn all_templates(client: &Client) -> anyhow::Result<Vec<Template>> {
    let mut all = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = client.list_templates(Some(500), cursor.as_deref()).await?;
        all.extend(page.items);
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return Ok(all),
        }
    }
}

async fn create(client: &Client, new: &NewTemplate, key: Option<&str>) -> anyhow::Result<Template> {
    let path = "/api/v1/templates";
    Ok(client
        .call_keyed(http::Method::POST, path, new, key)
        .await?)
}

//! `commcenter send`: one message to a conversation, a customer (their
//! open conversation, or a new one) or a project's crew channel, with a
//! template, attachments (uploaded first) and a location.

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::Args as ClapArgs;
use commcenter::client::Client;
use commcenter::wire::{Channel, Location, NewMessage};
use commcenter::Id;

use super::messages::{line, parse_channel};
use crate::failure::Failure;
use crate::output::Output;

#[derive(Debug, ClapArgs)]
#[command(after_help = "\
Examples:
  commcenter send $CONV 'On our way'
  commcenter send --customer $CUSTOMER --channel sms --template $TEMPLATE --var minutes=15
  commcenter send --project $PROJECT 'Skip delivered' --attach site1.jpg site2.jpg --location 51.5,-0.12
  echo 'Invoice attached' | commcenter send $CONV - --channel email --subject Invoice --attach inv.pdf")]
pub struct Args {
    /// The conversation's id (with --customer or --project: the text)
    #[arg(value_name = "CONVERSATION")]
    first: Option<String>,
    /// The text; `-` reads it from standard input
    #[arg(value_name = "TEXT")]
    second: Option<String>,
    /// Write to this customer: their most recently active open conversation,
    /// or a new one (with --subject as its subject)
    #[arg(long, conflicts_with = "project")]
    customer: Option<Id>,
    /// Write in this project's crew channel
    #[arg(long)]
    project: Option<Id>,
    /// in_app (the default), sms, email or phone (a logged call)
    #[arg(long, value_parser = parse_channel)]
    channel: Option<Channel>,
    /// Render the text (and subject) from this template, for the conversation
    #[arg(long)]
    template: Option<Id>,
    /// A {{var.NAME}} value for --template, as NAME=VALUE (repeatable)
    #[arg(long = "var", requires = "template", value_parser = super::templates::parse_variable)]
    variables: Vec<(String, String)>,
    /// The subject (email)
    #[arg(long)]
    subject: Option<String>,
    /// Files to attach, uploaded first (repeatable; takes several)
    #[arg(long, num_args = 1.., value_name = "FILE")]
    attach: Vec<PathBuf>,
    /// Where the sender is, as LAT,LON in degrees
    #[arg(long, value_parser = parse_location, allow_hyphen_values = true)]
    location: Option<Location>,
    /// A staff-only note: never sent by SMS or email, never shown to customers or crew
    #[arg(long)]
    private: bool,
    /// A retry with the same key sends nothing twice (1-255 characters)
    #[arg(long)]
    idempotency_key: Option<String>,
}

/// Where the message goes.
enum Target {
    Conversation(Id),
    Customer(Id),
    Project(Id),
}

/// `LAT,LON`, e.g. `51.5072,-0.1276`.
fn parse_location(text: &str) -> Result<Location, String> {
    let bad = || format!("`{text}` is not LAT,LON (e.g. 51.5072,-0.1276)");
    let (lat, lon) = text.split_once(',').ok_or_else(bad)?;
    let lat: f64 = lat.trim().parse().map_err(|_| bad())?;
    let lon: f64 = lon.trim().parse().map_err(|_| bad())?;
    Ok(Location {
        lat,
        lon,
        accuracy_m: None,
        recorded_at: None,
    })
}

impl Args {
    /// The target and the text from the positional words.
    fn target_and_text(&self) -> Result<(Target, Option<String>), Failure> {
        let mut words = self.first.iter().chain(&self.second).cloned();
        let target = match (self.customer, self.project) {
            (Some(customer), _) => Target::Customer(customer),
            (None, Some(project)) => Target::Project(project),
            (None, None) => {
                let first = words.next().ok_or_else(|| {
                    Failure::Usage("say where: a conversation id, --customer or --project".into())
                })?;
                let id = first.parse::<Id>().map_err(|e| {
                    Failure::Usage(format!("`{first}` is not a conversation id: {e}"))
                })?;
                Target::Conversation(id)
            }
        };
        let text = words.next();
        if words.next().is_some() {
            return Err(Failure::Usage(
                "with --customer or --project, give only the text".into(),
            ));
        }
        Ok((target, text))
    }
}

pub async fn run(args: Args, client: &Client, out: &Output) -> anyhow::Result<()> {
    let (target, text) = args.target_and_text()?;
    let body = match text.as_deref() {
        Some("-") => Some(std::io::read_to_string(std::io::stdin())?),
        _ => text,
    };
    if body.is_none() && args.template.is_none() && args.attach.is_empty() {
        return Err(
            Failure::Usage("nothing to send: give a text, --template or --attach".into()).into(),
        );
    }
    let mut attachments = Vec::new();
    for path in &args.attach {
        let meta = super::files::upload(path, client)
            .await
            .map_err(|e| e.context(format!("{}", path.display())))?;
        attachments.push(meta.id);
    }
    let key = args.idempotency_key.as_deref();
    let new = NewMessage {
        channel: args.channel,
        body,
        subject: args.subject.clone(),
        attachments: (!attachments.is_empty()).then_some(attachments),
        template_id: args.template,
        variables: (!args.variables.is_empty())
            .then(|| args.variables.iter().cloned().collect::<BTreeMap<_, _>>()),
        location: args.location,
        private: args.private.then_some(true),
    };
    let message = match target {
        Target::Conversation(id) => client.send_message_keyed(id, &new, key).await?,
        Target::Project(id) => client.send_project_message_keyed(id, &new, key).await?,
        Target::Customer(customer) => {
            let conversation =
                open_conversation(client, customer, new.subject.clone(), key).await?;
            client.send_message_keyed(conversation, &new, key).await?
        }
    };
    out.one(&message, line)
}

/// The customer's most recently active open conversation, or a new one
/// (said on stderr).
pub(crate) async fn open_conversation(
    client: &Client,
    customer: Id,
    subject: Option<String>,
    key: Option<&str>,
) -> anyhow::Result<Id> {
    let opened = commcenter::outreach::open_conversation(client, customer, subject, key).await?;
    if opened.created {
        eprintln!("Opened conversation {}", opened.conversation_id);
    }
    Ok(opened.conversation_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_location_is_lat_comma_lon() {
        let at = parse_location("51.5072,-0.1276").unwrap();
        assert_eq!((at.lat, at.lon), (51.5072, -0.1276));
        assert!(parse_location("51.5").is_err());
        assert!(parse_location("north,west").is_err());
    }
}

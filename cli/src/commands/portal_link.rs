//! `commcenter portal-link USER`: a sign-in link to a customer's or crew
//! member's web page (staff); printed, or sent to a customer by SMS or email.

use commcenter::client::Client;
use commcenter::wire::{Channel, NewPortalLink, PortalLink, Role, User};
use commcenter::Id;
use serde::Serialize;

use crate::output::Output;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The customer or crew member
    user: Id,
    /// Days the link stays valid (1–30; default: the daemon's, 7)
    #[arg(long, value_name = "DAYS", value_parser = clap::value_parser!(u32).range(1..=30))]
    days: Option<u32>,
    /// Send the link to the customer in their open conversation (a new one
    /// if none is open) instead of only printing it
    #[arg(long, value_name = "CHANNEL", value_parser = ["sms", "email"])]
    send: Option<String>,
}

/// What `--json` prints: the link, and the message that carried it.
#[derive(Serialize)]
struct Answer {
    #[serde(flatten)]
    link: PortalLink,
    #[serde(skip_serializing_if = "Option::is_none")]
    sent_message_id: Option<Id>,
}

pub async fn run(args: Args, client: &Client, out: &Output) -> anyhow::Result<()> {
    // Checked before a link is made, so that a refused send wastes no code.
    let user = client.get_user(args.user).await?;
    let channel = match args.send.as_deref() {
        Some("sms") => Some(Channel::Sms),
        Some("email") => Some(Channel::Email),
        _ => None,
    };
    if channel.is_some() && user.role != Role::Customer {
        anyhow::bail!(
            "--send works for customers only: {} is {}; send the printed link yourself",
            user.name,
            user.role.as_str()
        );
    }
    let new = NewPortalLink {
        expires_in_days: args.days,
    };
    let link = client.portal_link(user.id, &new).await?;
    let sent_message_id = match channel {
        Some(channel) => Some(send(client, &user, &link, channel).await?),
        None => None,
    };
    let answer = Answer {
        link,
        sent_message_id,
    };
    out.one(&answer, |a| match a.sent_message_id {
        Some(id) => format!(
            "sent to {} (message {id}); the link works once, until {}\n{}",
            user.name, a.link.expires_at, a.link.url
        ),
        None => format!(
            "{}\nworks once, until {} (for {})",
            a.link.url, a.link.expires_at, user.name
        ),
    })
}

/// Sends the link in the customer's most recently active open conversation,
/// or a new one.
async fn send(
    client: &Client,
    user: &User,
    link: &PortalLink,
    channel: Channel,
) -> anyhow::Result<Id> {
    let opened = super::send::open_conversation(
        client,
        user.id,
        Some(commcenter::outreach::PORTAL_SUBJECT.to_owned()),
        None,
    )
    .await?;
    let message = commcenter::outreach::portal_link_message(user, link, channel);
    Ok(client.send_message(opened, &message).await?.id)
}

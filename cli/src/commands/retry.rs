//! `commcenter retry MESSAGE`: queue a failed SMS or email again (staff).

use commcenter::client::Client;
use commcenter::Id;

use crate::output::Output;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The failed sms or email message
    message: Id,
}

pub async fn run(args: Args, client: &Client, out: &Output) -> anyhow::Result<()> {
    let message = client.retry_message(args.message).await?;
    out.one(&message, |m| {
        format!(
            "{} {} queued again (attempts so far: {})",
            m.id,
            m.channel.as_str(),
            m.attempts
        )
    })
}

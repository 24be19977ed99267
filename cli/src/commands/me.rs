use commcenter::client::Client;

use crate::output::Output;

#[derive(Debug, clap::Args)]
pub struct Args {}

pub async fn run(_args: Args, client: &Client, out: &Output) -> anyhow::Result<()> {
    let me = client.me().await?;
    out.one(&me, |u| {
        format!("{} ({}) {}", u.name, u.role.as_str(), u.id)
    })
}

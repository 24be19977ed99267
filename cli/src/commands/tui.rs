//! `commcenter tui`: the staff console (the `commcenter-tui` crate), with
//! the same connection settings as every other subcommand.

use commcenter::client::Client;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Do not ring the terminal bell for new messages (toggle with `b`)
    #[arg(long)]
    no_bell: bool,
}

pub async fn run(args: Args, client: &Client) -> anyhow::Result<()> {
    if client.token().is_none() {
        anyhow::bail!("the console needs a token: pass --token, set COMMCENTER_TOKEN or run `commcenter login`");
    }
    let options = commcenter_tui::Options {
        bell: !args.no_bell,
    };
    commcenter_tui::run(client.clone(), options).await?;
    Ok(())
}

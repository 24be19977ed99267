//! `commcenter login` and `commcenter logout`: the saved connection.

use std::io::{BufRead, IsTerminal, Write};

use commcenter::client::Client;

use crate::connection::{self, Connection, Saved, Source};

#[derive(Debug, clap::Args)]
#[command(after_help = "\
The URL is the global --url (else COMMCENTER_URL, else the default). The token
is --token, else COMMCENTER_TOKEN, else read from stdin when it is not a
terminal, else asked for. It is checked with GET /api/v1/me before it is saved.")]
pub struct Args {}

pub async fn login(_args: Args, conn: &Connection, client: &Client) -> anyhow::Result<()> {
    let token = match conn.source {
        Source::Flag | Source::Env => conn.token.clone().unwrap_or_default(),
        _ => read_token()?,
    };
    if token.is_empty() {
        anyhow::bail!("no token given");
    }
    let me = client.with_token(Some(token.clone())).me().await?;
    let path = connection::config_path()
        .ok_or_else(|| anyhow::anyhow!("no config dir: set COMMCENTER_CONFIG_DIR"))?;
    connection::save(
        &path,
        &Saved {
            url: conn.url.clone(),
            token,
        },
    )?;
    eprintln!(
        "Logged in to {} as {} ({}); saved to {}",
        conn.url,
        me.name,
        me.role.as_str(),
        path.display()
    );
    Ok(())
}

/// The token from a pipe, or typed at a prompt (on stderr, so stdout stays data).
fn read_token() -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("Token: ");
        std::io::stderr().flush()?;
    }
    let mut line = String::new();
    stdin.lock().read_line(&mut line)?;
    Ok(line.trim().to_owned())
}

pub fn logout() -> anyhow::Result<()> {
    let Some(path) = connection::config_path() else {
        return Ok(());
    };
    match std::fs::remove_file(&path) {
        Ok(()) => eprintln!("Removed {}", path.display()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => eprintln!("Not logged in"),
        Err(e) => return Err(anyhow::anyhow!("cannot remove {}: {e}", path.display())),
    }
    Ok(())
}

//! `commcenter status`: which daemon, which token (and from where), who,
//! and whether the daemon is ready.

use commcenter::client::Client;
use commcenter::wire::User;
use http::Method;
use serde::Serialize;

use crate::connection::Connection;
use crate::output::Output;

#[derive(Debug, Serialize)]
struct Status {
    url: String,
    token_source: &'static str,
    user: Option<User>,
    ready: bool,
}

/// Prints what it learnt, then fails (exit 3) when the daemon cannot be
/// reached or the token is refused, so scripts can test `commcenter status`.
pub async fn run(conn: &Connection, client: &Client, out: &Output) -> anyhow::Result<()> {
    let ready = client
        .send_raw(Method::GET, "/readyz", None, &[])
        .await
        .map(|r| r.status == 200);
    let me = match conn.token {
        Some(_) => Some(client.me().await),
        None => None,
    };
    let status = Status {
        url: conn.url.clone(),
        token_source: conn.source.describe(),
        user: me.as_ref().and_then(|m| m.as_ref().ok().cloned()),
        ready: *ready.as_ref().unwrap_or(&false),
    };
    out.one(&status, human)?;
    ready?;
    match me {
        Some(result) => result.map(|_| ()).map_err(Into::into),
        None => Ok(()),
    }
}

fn human(s: &Status) -> String {
    let user = match &s.user {
        Some(u) => format!("{} ({}) {}", u.name, u.role.as_str(), u.id),
        None => "-".to_owned(),
    };
    format!(
        "url:    {}\ntoken:  {}\nuser:   {user}\nready:  {}",
        s.url,
        s.token_source,
        if s.ready { "yes" } else { "no" }
    )
}

//! `commcenter`: the command-line client of commcenterd.
//!
//! Exit codes: 0 success; 1 the daemon refused the request (an API error);
//! 2 bad usage; 3 the daemon could not be reached or the token was refused.

mod commands;
mod connection;
mod failure;
mod names;
mod output;
mod paging;

use std::process::ExitCode;

use clap::Parser;
use commcenter::client::{Client, ClientError};
use failure::Failure;

/// Talk to a commcenterd daemon from scripts and terminals.
#[derive(Debug, Parser)]
#[command(
    name = "commcenter",
    version,
    about,
    long_about = None,
    after_help = AFTER_HELP
)]
struct Cli {
    /// The daemon's address [env: COMMCENTER_URL; else the login config; default http://127.0.0.1:8080]
    #[arg(long, global = true)]
    url: Option<String>,

    /// API token [env: COMMCENTER_TOKEN; else the login config; else admin.token in the daemon's default data dir]
    #[arg(long, global = true)]
    token: Option<String>,

    /// Print the API's JSON (one document, or JSON Lines for lists)
    #[arg(long, global = true)]
    json: bool,

    #[command(subcommand)]
    command: commands::Command,
}

const AFTER_HELP: &str = "\
Connection: --url/--token, else COMMCENTER_URL/COMMCENTER_TOKEN, else the file
`commcenter login` writes (COMMCENTER_CONFIG_DIR overrides its directory), else
admin.token in the daemon's default data dir (COMMCENTER_DATA_DIR overrides it).

Output: data on stdout, messages on stderr; colour only on a terminal, never
with NO_COLOR.

Exit codes: 0 ok; 1 the daemon said no (not found, forbidden, conflict,
invalid); 2 usage error; 3 cannot reach the daemon or authenticate.";

fn main() -> ExitCode {
    let cli = Cli::parse();
    let inputs = match connection::Inputs::gather(cli.url.clone(), cli.token.clone()) {
        Ok(inputs) => inputs,
        Err(e) => return fail(&e.to_string(), 2),
    };
    let conn = connection::resolve(inputs);
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return fail(&format!("cannot start: {e}"), 3),
    };
    let client = Client::new(&conn.url, conn.token.clone());
    let out = output::Output::new(cli.json);
    match runtime.block_on(commands::run(cli.command, &conn, &client, &out)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if output::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => fail(&format!("{e:#}"), exit_code(&e)),
    }
}

/// The documented exit code of a failure (see `AFTER_HELP`).
fn exit_code(e: &anyhow::Error) -> u8 {
    for cause in e.chain() {
        if let Some(failure) = cause.downcast_ref::<Failure>() {
            return match failure {
                Failure::Usage(_) => 2,
                Failure::Unreachable(_) => 3,
            };
        }
        match cause.downcast_ref::<ClientError>() {
            Some(ClientError::Transport(_)) | Some(ClientError::Api { status: 401, .. }) => {
                return 3
            }
            Some(_) => return 1,
            None => {}
        }
    }
    1
}

fn fail(message: &str, code: u8) -> ExitCode {
    eprintln!("commcenter: {message}");
    ExitCode::from(code)
}

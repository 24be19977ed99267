//! `commcenter`: the command-line client of commcenterd.
//!
//! Exit codes: 0 success; 1 the daemon refused the request (an API error);
//! 2 bad usage; 3 the daemon could not be reached.

mod commands;
mod output;

use std::process::ExitCode;

use clap::Parser;
use commcenter::client::{Client, ClientError};

/// Talk to a commcenterd daemon from scripts and terminals.
#[derive(Debug, Parser)]
#[command(name = "commcenter", version, about, long_about = None)]
struct Cli {
    /// The daemon's address
    #[arg(
        long,
        env = "COMMCENTER_URL",
        default_value = "http://127.0.0.1:8080",
        global = true
    )]
    url: String,

    /// API token (or set COMMCENTER_TOKEN)
    #[arg(long, env = "COMMCENTER_TOKEN", hide_env_values = true, global = true)]
    token: Option<String>,

    /// Print the API's JSON (one document, or JSON Lines for lists)
    #[arg(long, global = true)]
    json: bool,

    #[command(subcommand)]
    command: commands::Command,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return fail(&format!("cannot start: {e}"), 3),
    };
    let client = Client::new(&cli.url, cli.token.clone());
    let out = output::Output::new(cli.json);
    match runtime.block_on(commands::run(cli.command, &client, &out)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if output::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => match e.downcast_ref::<ClientError>() {
            Some(ClientError::Transport(_)) => fail(&e.to_string(), 3),
            _ => fail(&e.to_string(), 1),
        },
    }
}

fn fail(message: &str, code: u8) -> ExitCode {
    eprintln!("commcenter: {message}");
    ExitCode::from(code)
}

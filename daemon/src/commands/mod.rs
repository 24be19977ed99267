//! The subcommands of `commcenterd` besides serving, one module each (its
//! `Args` and `run`): `backup`, `restore` and `doctor`. `main` picks one
//! when the first argument names it; any other invocation serves, as
//! before (`commcenterd --data-dir X` keeps working).
//!
//! Exit codes: 0 done (doctor: no problem found), 1 failed (doctor: a
//! problem found), 2 bad arguments.

pub mod backup;
pub mod doctor;
pub mod restore;

use std::ffi::OsString;
use std::process::ExitCode;

/// The subcommands, by the name that starts them.
pub const NAMES: [&str; 3] = ["backup", "restore", "doctor"];

/// Runs the subcommand `argv[1]` names, if it names one.
pub fn run(argv: &[OsString]) -> Option<ExitCode> {
    let name = argv.get(1)?.to_str()?;
    // Parsed as `commcenterd NAME [ARGS]`, so usage lines read right.
    let args = || {
        let mut args = vec![OsString::from(format!("commcenterd {name}"))];
        args.extend(argv[2..].iter().cloned());
        args
    };
    match name {
        "backup" => Some(backup::main(args())),
        "restore" => Some(restore::main(args())),
        "doctor" => Some(doctor::main(args())),
        _ => None,
    }
}

/// A runtime for a subcommand's few requests.
fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
}

/// Prints `commcenterd NAME: message` on stderr and answers exit code 1.
fn fail(name: &str, message: impl std::fmt::Display) -> ExitCode {
    eprintln!("commcenterd {name}: {message}");
    ExitCode::FAILURE
}

/// Parses `argv` into `A`; help, version and bad arguments exit as clap does.
fn parse<A: clap::Parser>(argv: Vec<OsString>) -> A {
    A::try_parse_from(argv).unwrap_or_else(|e| e.exit())
}

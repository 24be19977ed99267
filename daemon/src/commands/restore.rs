//! `commcenterd restore --from PATH --data-dir DIR`: a backup into a new
//! data dir (see `crate::backup::restore`).

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

/// Turn a backup (made by `commcenterd backup` or POST /api/v1/admin/backup)
/// into a data dir.
///
/// Checks the size and SHA-256 of every file the backup's manifest lists
/// before it writes anything, and refuses a damaged or truncated backup
/// naming the bad file. The data dir must be new or empty. The restored
/// store gets a new epoch, so WebSocket clients that resume are told to
/// resync. Then start the daemon on it: commcenterd --data-dir DIR.
#[derive(Debug, clap::Parser)]
#[command(version, long_about)]
pub struct Args {
    /// The backup's directory (the one holding manifest.json)
    #[arg(long, value_name = "PATH")]
    pub from: PathBuf,

    /// The data dir to create (or an empty one to fill)
    #[arg(long, value_name = "DIR")]
    pub data_dir: PathBuf,
}

pub fn main(argv: Vec<OsString>) -> ExitCode {
    let args: Args = super::parse(argv);
    match crate::backup::restore::restore(&args.from, &args.data_dir) {
        Ok(restored) => {
            println!(
                "restored {} into {}: {} files, {} bytes, up to seq {}",
                args.from.display(),
                restored.data_dir.display(),
                restored.files,
                restored.bytes,
                restored.seq
            );
            println!(
                "new epoch {} (was {}): WebSocket clients resuming will resync",
                restored.epoch, restored.old_epoch
            );
            println!(
                "start it with: commcenterd --data-dir {}",
                restored.data_dir.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => super::fail("restore", e),
    }
}

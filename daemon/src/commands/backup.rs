//! `commcenterd backup --to PATH`: asks the running daemon for a backup
//! through its API (`POST /api/v1/admin/backup`), so that writes go on.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use commcenter::client::Client;

use crate::settings::Settings;

/// Back up the running daemon without stopping it.
///
/// Asks the daemon (POST /api/v1/admin/backup) to write a consistent copy of
/// its store and local file blobs, with a manifest of checksums, into a new
/// directory. The daemon writes it, so the path is on the daemon's machine
/// and must be writable by the daemon's user. Restore it with
/// `commcenterd restore --from PATH --data-dir DIR`.
#[derive(Debug, clap::Parser)]
#[command(version, long_about)]
pub struct Args {
    /// The directory to create (or an empty one to fill); relative paths
    /// are taken from the current directory [default: DATA_DIR/backups/<UTC time>]
    #[arg(long, value_name = "PATH")]
    pub to: Option<PathBuf>,

    /// The daemon's URL [default: http:// and its --listen setting]
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,

    /// An admin token (prefer the environment variable to the flag)
    /// [default: DATA_DIR/admin.token]
    #[arg(
        long,
        env = "COMMCENTER_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub token: Option<String>,

    /// The daemon's data dir, for its admin.token [default: as the daemon's]
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// The daemon's config file, for its listen address and data dir
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

pub fn main(argv: Vec<OsString>) -> ExitCode {
    let args: Args = super::parse(argv);
    let request = match Request::from_args(args) {
        Ok(request) => request,
        Err(e) => return super::fail("backup", e),
    };
    let answer = super::runtime().map_err(|e| e.to_string()).and_then(|rt| {
        rt.block_on(request.client.backup(request.to.as_deref()))
            .map_err(|e| e.to_string())
    });
    match answer {
        Ok(backup) => {
            println!(
                "backup written to {} ({} bytes, up to seq {}, epoch {})",
                backup.path, backup.size, backup.seq, backup.epoch
            );
            ExitCode::SUCCESS
        }
        Err(e) => super::fail("backup", e),
    }
}

/// The request to send: to whom, with which token, into where.
struct Request {
    client: Client,
    to: Option<String>,
}

impl Request {
    fn from_args(args: Args) -> Result<Request, String> {
        let settings = daemon_settings(&args)?;
        let url = args
            .url
            .unwrap_or_else(|| format!("http://{}", local_address(settings.listen)));
        let token = match args.token {
            Some(token) => token,
            None => read_token(&settings)?,
        };
        let to = match args.to {
            Some(to) => Some(absolute(to)?),
            None => None,
        };
        Ok(Request {
            client: Client::new(&url, Some(token)),
            to,
        })
    }
}

/// The daemon's settings as it would read them (environment, config file),
/// with the data dir and config file given here.
fn daemon_settings(args: &Args) -> Result<Settings, String> {
    let mut argv: Vec<OsString> = vec!["commcenterd".into()];
    if let Some(dir) = &args.data_dir {
        argv.extend(["--data-dir".into(), dir.into()]);
    }
    if let Some(config) = &args.config {
        argv.extend(["--config".into(), config.into()]);
    }
    Settings::from_argv(argv).map_err(|e| format!("the daemon's settings: {e}"))
}

/// Where to reach a daemon listening on `listen`: a wildcard address is
/// reached on the loopback.
pub(super) fn local_address(listen: std::net::SocketAddr) -> std::net::SocketAddr {
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
    let ip = match listen.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    std::net::SocketAddr::new(ip, listen.port())
}

fn read_token(settings: &Settings) -> Result<String, String> {
    let path = settings.data_dir.join(crate::app::ADMIN_TOKEN_FILE);
    let token = std::fs::read_to_string(&path).map_err(|e| {
        format!(
            "no token: pass --token or set COMMCENTER_TOKEN ({}: {e})",
            path.display()
        )
    })?;
    Ok(token.trim().to_owned())
}

fn absolute(path: PathBuf) -> Result<String, String> {
    let path = std::path::absolute(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    path.to_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("{} is not UTF-8", path.display()))
}

//! Settings: command-line flags over `COMMCENTER_*` environment variables
//! over a TOML config file over defaults.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Parser;
use serde::Deserialize;

mod files;
mod realtime;
pub use files::{FileArgs, FilesSettings, StorageKind};
pub use realtime::RealtimeSettings;

/// commcenterd: the communication center daemon.
///
/// Serves the HTTP and WebSocket API over an embedded store in one data
/// directory. On first start with an empty data dir it creates an admin user
/// whose token is COMMCENTER_ADMIN_TOKEN, or a fresh one printed once and
/// written to DATA_DIR/admin.token (mode 0600).
///
/// Every setting can come from a flag, from its COMMCENTER_* environment
/// variable, or from the config file (keys as the long flag names with `_`
/// for `-`); that is also the order of precedence.
#[derive(Debug, Clone, Parser)]
#[command(name = "commcenterd", version, about, long_about)]
pub struct Args {
    /// Address to listen on [default: 127.0.0.1:8080]
    #[arg(long, env = "COMMCENTER_LISTEN", value_name = "ADDR")]
    pub listen: Option<SocketAddr>,

    /// Data directory [default: the platform data dir, e.g. ~/.local/share/commcenter]
    #[arg(long, env = "COMMCENTER_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Config file [default: the platform config dir's commcenter/commcenterd.toml, if it exists]
    #[arg(long, env = "COMMCENTER_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Load the demo data set (fixtures/demo.json) when the data dir is empty
    #[arg(long, env = "COMMCENTER_DEMO")]
    pub demo: bool,

    /// Most connections served at once; more wait to be accepted [default: 1024]
    #[arg(long, env = "COMMCENTER_MAX_CONNECTIONS", value_name = "N")]
    pub max_connections: Option<usize>,

    /// Seconds a client has to send a request's headers [default: 10]
    #[arg(long, env = "COMMCENTER_HEADER_TIMEOUT_S", value_name = "SECONDS")]
    pub header_timeout_s: Option<u64>,

    /// Seconds in-flight requests get to finish on shutdown [default: 10]
    #[arg(long, env = "COMMCENTER_SHUTDOWN_TIMEOUT_S", value_name = "SECONDS")]
    pub shutdown_timeout_s: Option<u64>,

    /// Largest JSON request body, in bytes [default: 1048576]
    #[arg(long, env = "COMMCENTER_JSON_LIMIT_BYTES", value_name = "BYTES")]
    pub json_limit_bytes: Option<usize>,

    /// Log filter, in tracing's EnvFilter syntax [default: info]
    #[arg(long, env = "COMMCENTER_LOG", value_name = "FILTER")]
    pub log: Option<String>,

    /// Log format: text or json [default: text]
    #[arg(long, env = "COMMCENTER_LOG_FORMAT", value_name = "FORMAT")]
    pub log_format: Option<LogFormat>,

    /// Browser origins (scheme://host[:port]), comma-separated, that may open
    /// a WebSocket besides the daemon's own [default: none]
    #[arg(
        long,
        env = "COMMCENTER_WS_ALLOWED_ORIGINS",
        value_name = "ORIGINS",
        value_delimiter = ','
    )]
    pub ws_allowed_origins: Option<Vec<String>>,

    /// Days the event log keeps events for WebSocket resume [default: 7]
    #[arg(long, env = "COMMCENTER_EVENT_RETENTION_DAYS", value_name = "DAYS")]
    pub event_retention_days: Option<u64>,

    #[command(flatten)]
    pub files: FileArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

/// The config file: the same settings as the flags.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    listen: Option<SocketAddr>,
    data_dir: Option<PathBuf>,
    demo: Option<bool>,
    max_connections: Option<usize>,
    header_timeout_s: Option<u64>,
    shutdown_timeout_s: Option<u64>,
    json_limit_bytes: Option<usize>,
    log: Option<String>,
    log_format: Option<LogFormat>,
    ws_allowed_origins: Option<Vec<String>>,
    event_retention_days: Option<u64>,
    max_upload_bytes: Option<u64>,
    compress_above_bytes: Option<u64>,
    image_workers: Option<usize>,
    image_memory_bytes: Option<u64>,
    file_storage: Option<StorageKind>,
    files_dir: Option<PathBuf>,
    s3_bucket: Option<String>,
    s3_region: Option<String>,
    s3_endpoint: Option<String>,
    s3_access_key_id: Option<String>,
    s3_secret_access_key: Option<String>,
    s3_prefix: Option<String>,
    s3_allow_http: Option<bool>,
}

/// The settings in force.
#[derive(Debug, Clone)]
pub struct Settings {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub demo: bool,
    pub max_connections: usize,
    pub header_timeout: Duration,
    pub shutdown_timeout: Duration,
    pub json_limit_bytes: usize,
    pub log: String,
    pub log_format: LogFormat,
    /// The bootstrap admin token, from `COMMCENTER_ADMIN_TOKEN`.
    pub admin_token: Option<String>,
    pub realtime: RealtimeSettings,
    pub files: FilesSettings,
}

impl Settings {
    /// Defaults for a data dir (what tests start from).
    pub fn for_data_dir(data_dir: &Path) -> Settings {
        Settings {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: data_dir.to_owned(),
            demo: false,
            max_connections: 1024,
            header_timeout: Duration::from_secs(10),
            shutdown_timeout: Duration::from_secs(10),
            json_limit_bytes: 1024 * 1024,
            log: "info".into(),
            log_format: LogFormat::Text,
            admin_token: None,
            realtime: RealtimeSettings::default(),
            files: FilesSettings::for_data_dir(data_dir),
        }
    }

    /// Resolves flags and environment (already in `args`), the config file
    /// and defaults.
    pub fn resolve(args: Args) -> anyhow::Result<Settings> {
        let file = read_config(args.config.as_deref())?;
        let dirs = directories::ProjectDirs::from("", "", "commcenter");
        let data_dir = args
            .data_dir
            .or(file.data_dir.clone())
            .or_else(|| dirs.as_ref().map(|d| d.data_dir().to_owned()))
            .ok_or_else(|| anyhow::anyhow!("no data dir: pass --data-dir"))?;
        let d = Settings::for_data_dir(&data_dir);
        let files = FilesSettings::resolve(args.files, &file, &data_dir)?;
        Ok(Settings {
            listen: args.listen.or(file.listen).unwrap_or(d.listen),
            demo: args.demo || file.demo.unwrap_or(false),
            max_connections: args
                .max_connections
                .or(file.max_connections)
                .unwrap_or(d.max_connections)
                .max(1),
            header_timeout: secs(
                args.header_timeout_s.or(file.header_timeout_s),
                d.header_timeout,
            ),
            shutdown_timeout: secs(
                args.shutdown_timeout_s.or(file.shutdown_timeout_s),
                d.shutdown_timeout,
            ),
            json_limit_bytes: args
                .json_limit_bytes
                .or(file.json_limit_bytes)
                .unwrap_or(d.json_limit_bytes),
            log: args.log.or(file.log).unwrap_or(d.log),
            log_format: args.log_format.or(file.log_format).unwrap_or(d.log_format),
            admin_token: std::env::var("COMMCENTER_ADMIN_TOKEN")
                .ok()
                .filter(|t| !t.is_empty()),
            files,
            realtime: RealtimeSettings::resolve(
                args.ws_allowed_origins.or(file.ws_allowed_origins),
                args.event_retention_days.or(file.event_retention_days),
            ),
            data_dir,
        })
    }
}

fn secs(value: Option<u64>, default: Duration) -> Duration {
    value.map(Duration::from_secs).unwrap_or(default)
}

/// Reads the config file named, or the platform one if it exists.
fn read_config(path: Option<&Path>) -> anyhow::Result<FileSettings> {
    let (path, required) = match path {
        Some(p) => (p.to_owned(), true),
        None => match directories::ProjectDirs::from("", "", "commcenter") {
            Some(d) => (d.config_dir().join("commcenterd.toml"), false),
            None => return Ok(FileSettings::default()),
        },
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => toml::from_str(&text)
            .map_err(|e| anyhow::anyhow!("config file {}: {e}", path.display())),
        Err(e) if !required && e.kind() == std::io::ErrorKind::NotFound => {
            Ok(FileSettings::default())
        }
        Err(e) => Err(anyhow::anyhow!("config file {}: {e}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Args as clap gives them for `argv` (flags only: these tests set no
    /// environment, which clap reads the same way as a flag).
    fn args(argv: &[&str]) -> Args {
        Args::try_parse_from(std::iter::once("commcenterd").chain(argv.iter().copied())).unwrap()
    }

    fn config(text: &str) -> tempfile::NamedTempFile {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), text).unwrap();
        file
    }

    #[test]
    fn the_config_file_overrides_defaults_and_flags_override_the_file() {
        let file =
            config("listen = \"127.0.0.1:9000\"\nmax_connections = 64\nheader_timeout_s = 3\n");
        let path = file.path().to_str().unwrap();
        let settings = Settings::resolve(args(&[
            "--config",
            path,
            "--data-dir",
            "/tmp/x",
            "--max-connections",
            "8",
        ]))
        .unwrap();
        assert_eq!(
            settings.listen,
            "127.0.0.1:9000".parse().unwrap(),
            "from the file"
        );
        assert_eq!(settings.max_connections, 8, "the flag wins over the file");
        assert_eq!(
            settings.header_timeout,
            Duration::from_secs(3),
            "from the file"
        );
        assert_eq!(
            settings.shutdown_timeout,
            Duration::from_secs(10),
            "the default"
        );
    }

    #[test]
    fn an_unknown_key_in_the_config_file_is_an_error_naming_it() {
        let file = config("listne = \"127.0.0.1:9000\"\n");
        let path = file.path().to_str().unwrap();
        let error =
            Settings::resolve(args(&["--config", path, "--data-dir", "/tmp/x"])).unwrap_err();
        assert!(error.to_string().contains("listne"), "{error}");
    }

    #[test]
    fn a_named_config_file_that_is_missing_is_an_error() {
        let error = Settings::resolve(args(&[
            "--config",
            "/nonexistent/commcenterd.toml",
            "--data-dir",
            "/tmp/x",
        ]))
        .unwrap_err();
        assert!(
            error.to_string().contains("/nonexistent/commcenterd.toml"),
            "{error}"
        );
    }
}

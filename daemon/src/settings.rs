//! Settings: command-line flags over `COMMCENTER_*` environment variables
//! over a TOML config file over defaults.
//!
//! Each setting is declared once, as one field of [`Settings`] or of one of
//! its groups ([`ClientLimits`], [`RealtimeSettings`], [`FilesSettings`]). The field's `#[arg]`
//! gives the flag, the environment variable and the default; its doc comment
//! is the `--help` text; its id (the field name, or `id = "…"` where the field
//! has a different name) is the config-file key. The field's type is the type
//! in force, parsed by clap (a `value_parser` from [`values`] where the text
//! is not the value, as for seconds). The config file is merged by one
//! generic step ([`config_file`]) that knows no setting by name.
//!
//! Adding a setting is adding a field, then using it:
//!
//! ```ignore
//! /// Seconds an outbox delivery may take before it is retried
//! #[arg(long = "outbox-timeout-s", id = "outbox_timeout_s", env = "COMMCENTER_OUTBOX_TIMEOUT_S",
//!       value_name = "SECONDS", value_parser = values::seconds, default_value = "30")]
//! pub outbox_timeout: Duration,
//! ```
//!
//! A setting without a default is an `Option<T>`; a group of settings is a
//! struct deriving `clap::Args`, flattened here with `#[command(flatten)]`.
//! The config file stays flat: a group's keys are its fields' ids.

use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{CommandFactory, FromArgMatches, Parser};

mod config_file;
mod files;
mod limits;
mod outbox;
mod portal;
mod realtime;
pub mod values;

pub use files::{FilesSettings, StorageFlags, StorageKind};
pub use limits::ClientLimits;
pub use outbox::OutboxSettings;
pub use portal::PortalSettings;
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
pub struct Settings {
    /// Address to listen on
    #[arg(
        long,
        env = "COMMCENTER_LISTEN",
        value_name = "ADDR",
        default_value = "127.0.0.1:8080"
    )]
    pub listen: SocketAddr,

    /// Data directory [default: the platform data dir, e.g. ~/.local/share/commcenter]
    // Empty when the platform has none (no home directory): `finish` refuses it.
    #[arg(
        long,
        env = "COMMCENTER_DATA_DIR",
        value_name = "DIR",
        default_value_os_t = platform_data_dir(),
        hide_default_value = true
    )]
    pub data_dir: PathBuf,

    /// Config file [default: the platform config dir's commcenter/commcenterd.toml, if it exists]
    #[arg(long, env = "COMMCENTER_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Load the demo data set (fixtures/demo.json) when the data dir is empty
    #[arg(long, env = "COMMCENTER_DEMO")]
    pub demo: bool,

    /// Most connections served at once; more wait to be accepted. Lowered
    /// to fit the open-file limit when that is smaller
    #[arg(
        long,
        env = "COMMCENTER_MAX_CONNECTIONS",
        value_name = "N",
        value_parser = values::at_least_one,
        default_value = "10000"
    )]
    pub max_connections: usize,

    /// Seconds a client has to send a request's headers
    #[arg(
        long = "header-timeout-s",
        id = "header_timeout_s",
        env = "COMMCENTER_HEADER_TIMEOUT_S",
        value_name = "SECONDS",
        value_parser = values::seconds,
        default_value = "10"
    )]
    pub header_timeout: Duration,

    /// Seconds in-flight requests get to finish on shutdown
    #[arg(
        long = "shutdown-timeout-s",
        id = "shutdown_timeout_s",
        env = "COMMCENTER_SHUTDOWN_TIMEOUT_S",
        value_name = "SECONDS",
        value_parser = values::seconds,
        default_value = "10"
    )]
    pub shutdown_timeout: Duration,

    /// Largest JSON request body, in bytes
    #[arg(
        long,
        env = "COMMCENTER_JSON_LIMIT_BYTES",
        value_name = "BYTES",
        default_value_t = 1024 * 1024
    )]
    pub json_limit_bytes: usize,

    /// Log filter, in tracing's EnvFilter syntax
    #[arg(
        long,
        env = "COMMCENTER_LOG",
        value_name = "FILTER",
        default_value = "info"
    )]
    pub log: String,

    /// Log format
    #[arg(
        long,
        env = "COMMCENTER_LOG_FORMAT",
        value_name = "FORMAT",
        default_value = "text"
    )]
    pub log_format: LogFormat,

    /// The public base URL of the daemon (scheme://host[:port], http or https,
    /// no path): used for links the daemon makes and, when set, as the only
    /// WebSocket origin besides the allow-list [default: none]
    // Held in the browser's Origin form: lowercase, no default port, no
    // trailing `/` (see `values::public_url`), so it is compared as it is and
    // links are `{public_url}/path`.
    #[arg(
        long,
        env = "COMMCENTER_PUBLIC_URL",
        value_name = "URL",
        value_parser = values::public_url
    )]
    pub public_url: Option<String>,

    /// The bootstrap admin token, from `COMMCENTER_ADMIN_TOKEN` only: a
    /// secret has no flag, which would show in the process list.
    #[arg(skip)]
    pub admin_token: Option<String>,

    #[command(flatten)]
    pub limits: ClientLimits,

    #[command(flatten)]
    pub realtime: RealtimeSettings,

    #[command(flatten)]
    pub files: FilesSettings,

    #[command(flatten)]
    pub outbox: OutboxSettings,

    #[command(flatten)]
    pub portal: PortalSettings,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// Why the settings could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SettingsError {
    /// A flag or environment variable is wrong, or `--help` / `--version`
    /// was asked for: `main` hands it to [`clap::Error::exit`].
    #[error(transparent)]
    Flags(#[from] clap::Error),
    #[error("config file {}: {reason}", path.display())]
    ConfigFile { path: PathBuf, reason: String },
    #[error("no data dir: pass --data-dir")]
    NoDataDir,
    #[error("--file-storage s3 needs --{0}")]
    S3Needs(&'static str),
}

impl Settings {
    /// Defaults for a data dir (what tests start from): no flags, no
    /// environment, no config file.
    pub fn for_data_dir(data_dir: &Path) -> Settings {
        let command = Settings::command().mut_args(|arg| arg.env(None));
        let argv = [OsString::from("commcenterd")];
        let matches = command
            .try_get_matches_from(argv)
            .expect("every default parses");
        let mut settings = Settings::from_arg_matches(&matches).expect("every default parses");
        settings.data_dir = data_dir.to_owned();
        settings.finish(None).expect("the defaults are complete")
    }

    /// The settings from `argv` (the program name first), the `COMMCENTER_*`
    /// environment, the config file and the defaults.
    pub fn from_argv<I, T>(argv: I) -> Result<Settings, SettingsError>
    where
        I: IntoIterator<Item = T>,
        T: Into<OsString>,
    {
        let argv: Vec<OsString> = argv.into_iter().map(Into::into).collect();
        // Parsed twice: first for where the config file is (a flag or an
        // environment variable itself), then with the file's values as the
        // defaults, below the flags and the environment.
        let first = Settings::command().try_get_matches_from(&argv)?;
        let file = config_file::read(first.get_one::<PathBuf>("config").map(PathBuf::as_path))?;
        let command = config_file::apply(Settings::command(), &file)?;
        let matches = command.try_get_matches_from(&argv)?;
        let admin_token = std::env::var("COMMCENTER_ADMIN_TOKEN")
            .ok()
            .filter(|t| !t.is_empty());
        Settings::from_arg_matches(&matches)?.finish(admin_token)
    }

    /// Checks what clap cannot and resolves the settings derived from others.
    fn finish(mut self, admin_token: Option<String>) -> Result<Settings, SettingsError> {
        if self.data_dir.as_os_str().is_empty() {
            return Err(SettingsError::NoDataDir);
        }
        self.admin_token = admin_token;
        self.files.resolve_storage(&self.data_dir)?;
        Ok(self)
    }
}

/// The platform's data dir, or an empty path where there is none.
fn platform_data_dir() -> PathBuf {
    directories::ProjectDirs::from("", "", "commcenter")
        .map(|d| d.data_dir().to_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The settings for `argv` (these tests set no environment, which clap
    /// reads the same way as a flag).
    fn resolve(argv: &[&str]) -> Result<Settings, SettingsError> {
        Settings::from_argv(std::iter::once("commcenterd").chain(argv.iter().copied()))
    }

    fn config(text: &str) -> tempfile::NamedTempFile {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), text).unwrap();
        file
    }

    /// The settings with `text` as the config file and `argv` as the flags.
    fn with_config(text: &str, argv: &[&str]) -> Result<Settings, SettingsError> {
        let file = config(text);
        let path = file.path().to_str().unwrap();
        let mut all = vec!["--config", path, "--data-dir", "/tmp/x"];
        all.extend_from_slice(argv);
        resolve(&all)
    }

    #[test]
    fn the_declarations_are_consistent() {
        Settings::command().debug_assert();
    }

    #[test]
    fn the_config_file_overrides_defaults_and_flags_override_the_file() {
        let settings = with_config(
            "listen = \"127.0.0.1:9000\"\nmax_connections = 64\nheader_timeout_s = 3\n",
            &["--max-connections", "8"],
        )
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
    fn the_environment_overrides_the_config_file() {
        // The only test that sets this variable, and the only one reading
        // json_limit_bytes from the environment (`for_data_dir` reads none).
        std::env::set_var("COMMCENTER_JSON_LIMIT_BYTES", "2048");
        let settings = with_config("json_limit_bytes = 4096\n", &[]);
        std::env::remove_var("COMMCENTER_JSON_LIMIT_BYTES");
        assert_eq!(settings.unwrap().json_limit_bytes, 2048);
    }

    #[test]
    fn an_unknown_key_in_the_config_file_is_an_error_naming_it() {
        let error = with_config("listne = \"127.0.0.1:9000\"\n", &[]).unwrap_err();
        assert!(error.to_string().contains("listne"), "{error}");
    }

    #[test]
    fn a_named_config_file_that_is_missing_is_an_error() {
        let error = resolve(&[
            "--config",
            "/nonexistent/commcenterd.toml",
            "--data-dir",
            "/tmp/x",
        ])
        .unwrap_err();
        assert!(
            error.to_string().contains("/nonexistent/commcenterd.toml"),
            "{error}"
        );
    }

    #[test]
    fn a_config_file_value_of_the_wrong_kind_is_an_error_naming_the_key() {
        let error = with_config("max_connections = \"many\"\n", &[]).unwrap_err();
        let message = error.to_string();
        assert!(message.contains("max_connections"), "{message}");
        assert!(
            matches!(error, SettingsError::ConfigFile { .. }),
            "{error:?}"
        );
    }

    #[test]
    fn the_config_file_cannot_name_another_config_file() {
        let error = with_config("config = \"/etc/other.toml\"\n", &[]).unwrap_err();
        assert!(error.to_string().contains("config"), "{error}");
    }

    #[test]
    fn every_kind_of_value_comes_from_the_config_file() {
        let settings = with_config(
            "demo = true\nlog_format = \"json\"\nevent_retention_days = 2\n\
             ws_allowed_origins = [\"https://A.example/\", \"http://b.example:8080\"]\n\
             public_url = \"https://Chat.Example.com:443/\"\nimage_workers = 3\n",
            &[],
        )
        .unwrap();
        assert!(settings.demo);
        assert_eq!(settings.log_format, LogFormat::Json);
        assert_eq!(
            settings.realtime.event_retention,
            Duration::from_secs(2 * 86_400)
        );
        assert_eq!(
            settings.realtime.allowed_origins,
            ["https://a.example", "http://b.example:8080"]
        );
        assert_eq!(
            settings.public_url.as_deref(),
            Some("https://chat.example.com")
        );
        assert_eq!(settings.files.image_workers, 3);
    }

    #[test]
    fn a_comma_separated_list_in_the_config_file_is_split_as_the_flag_is() {
        let settings = with_config(
            "ws_allowed_origins = \"https://a.example,https://b.example\"\n",
            &[],
        )
        .unwrap();
        assert_eq!(
            settings.realtime.allowed_origins,
            ["https://a.example", "https://b.example"]
        );
    }

    #[test]
    fn a_public_url_with_a_path_is_refused() {
        let error = resolve(&[
            "--data-dir",
            "/tmp/x",
            "--public-url",
            "https://chat.example.com/app",
        ])
        .unwrap_err();
        assert!(matches!(error, SettingsError::Flags(_)), "{error:?}");
    }

    #[test]
    fn the_defaults_for_a_data_dir_match_the_declared_defaults() {
        let settings = Settings::for_data_dir(Path::new("/d"));
        assert_eq!(settings.listen, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(settings.max_connections, 10_000);
        assert_eq!(settings.json_limit_bytes, 1024 * 1024);
        assert_eq!(settings.limits.requests_per_user, 64);
        assert_eq!(settings.limits.body_idle_timeout, Duration::from_secs(15));
        assert_eq!(settings.realtime.sockets_per_user, 16);
        assert_eq!(settings.public_url, None);
        assert_eq!(
            settings.realtime.event_retention,
            Duration::from_secs(7 * 86_400)
        );
        assert_eq!(settings.data_dir, PathBuf::from("/d"));
    }

    #[test]
    fn help_documents_each_setting_with_its_environment_variable() {
        let help = Settings::command().render_long_help().to_string();
        for arg in Settings::command().get_arguments() {
            if let Some(env) = arg.get_env() {
                assert!(
                    help.contains(env.to_str().unwrap()),
                    "{env:?} missing from --help"
                );
            }
        }
        assert!(help.contains("[default: 1024]"), "{help}");
    }
}

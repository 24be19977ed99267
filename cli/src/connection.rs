//! Where the daemon's address and the token come from.
//!
//! Precedence, first set wins: `--url`/`--token`, then `COMMCENTER_URL`/
//! `COMMCENTER_TOKEN`, then the config file `commcenter login` writes, then
//! (only for the token, when nothing else gave one and the URL is on this
//! machine) `admin.token` in the daemon's default data dir, so a newcomer's
//! first command on the daemon's own machine just works.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub const DEFAULT_URL: &str = "http://127.0.0.1:8080";
/// Overrides the platform config dir (tests, several profiles).
pub const CONFIG_DIR_ENV: &str = "COMMCENTER_CONFIG_DIR";
/// The daemon's own data-dir variable: the CLI looks for `admin.token` in
/// the same directory the daemon would use.
pub const DATA_DIR_ENV: &str = "COMMCENTER_DATA_DIR";
const CONFIG_FILE: &str = "config.json";
const ADMIN_TOKEN_FILE: &str = "admin.token";

/// What `commcenter login` saves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Saved {
    pub url: String,
    pub token: String,
}

/// Where the token in use came from (printed by `commcenter status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Flag,
    Env,
    Config,
    AdminToken,
    None,
}

impl Source {
    pub fn describe(self) -> &'static str {
        match self {
            Source::Flag => "--token",
            Source::Env => "COMMCENTER_TOKEN",
            Source::Config => "the login config file",
            Source::AdminToken => "admin.token in the daemon's data dir",
            Source::None => "none",
        }
    }
}

/// The settings a command runs with.
#[derive(Debug, Clone, PartialEq)]
pub struct Connection {
    pub url: String,
    pub token: Option<String>,
    pub source: Source,
}

/// The inputs to [`resolve`], gathered once so resolution is a pure function.
#[derive(Debug, Default)]
pub struct Inputs {
    pub flag_url: Option<String>,
    pub flag_token: Option<String>,
    pub env_url: Option<String>,
    pub env_token: Option<String>,
    pub saved: Option<Saved>,
    pub admin_token: Option<String>,
}

impl Inputs {
    /// Reads the environment, the config file and the admin token file.
    pub fn gather(flag_url: Option<String>, flag_token: Option<String>) -> anyhow::Result<Inputs> {
        Ok(Inputs {
            flag_url,
            flag_token,
            env_url: non_empty_env("COMMCENTER_URL"),
            env_token: non_empty_env("COMMCENTER_TOKEN"),
            saved: config_path().map(|p| load(&p)).transpose()?.flatten(),
            admin_token: data_dir().and_then(|d| read_admin_token(&d)),
        })
    }
}

/// Applies the precedence. The URL and the token are each taken from the
/// first layer that sets them, except that the config file's token is only
/// used with its own URL or a URL nobody set: a token saved for one daemon
/// must not be sent to another.
pub fn resolve(inputs: Inputs) -> Connection {
    let url = inputs
        .flag_url
        .or(inputs.env_url)
        .or_else(|| inputs.saved.as_ref().map(|s| s.url.clone()))
        .unwrap_or_else(|| DEFAULT_URL.to_owned());
    let (token, source) = if let Some(t) = inputs.flag_token {
        (Some(t), Source::Flag)
    } else if let Some(t) = inputs.env_token {
        (Some(t), Source::Env)
    } else if let Some(saved) = inputs.saved.filter(|s| same_url(&s.url, &url)) {
        (Some(saved.token), Source::Config)
    } else if let Some(t) = inputs.admin_token.filter(|_| is_local(&url)) {
        (Some(t), Source::AdminToken)
    } else {
        (None, Source::None)
    };
    Connection { url, token, source }
}

fn same_url(a: &str, b: &str) -> bool {
    a.trim_end_matches('/') == b.trim_end_matches('/')
}

/// Whether the URL names this machine: the admin token is never sent elsewhere.
fn is_local(url: &str) -> bool {
    url.parse::<http::Uri>()
        .ok()
        .and_then(|u| u.host().map(str::to_owned))
        .is_some_and(|h| matches!(h.as_str(), "127.0.0.1" | "localhost" | "[::1]" | "::1"))
}

fn non_empty_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// The config file's path: `$COMMCENTER_CONFIG_DIR/config.json`, else the
/// platform config dir of project `commcenter`.
pub fn config_path() -> Option<PathBuf> {
    let dir = match std::env::var_os(CONFIG_DIR_ENV).filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => directories::ProjectDirs::from("", "", "commcenter")?
            .config_dir()
            .to_owned(),
    };
    Some(dir.join(CONFIG_FILE))
}

/// The daemon's default data dir, computed as the daemon computes it
/// (`COMMCENTER_DATA_DIR`, else the platform data dir of `commcenter`).
pub fn data_dir() -> Option<PathBuf> {
    match std::env::var_os(DATA_DIR_ENV).filter(|v| !v.is_empty()) {
        Some(dir) => Some(PathBuf::from(dir)),
        None => Some(
            directories::ProjectDirs::from("", "", "commcenter")?
                .data_dir()
                .to_owned(),
        ),
    }
}

/// `admin.token`, when it exists and is readable (usually only by the user
/// the daemon runs as: not being able to read it is not an error).
fn read_admin_token(dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(dir.join(ADMIN_TOKEN_FILE)).ok()?;
    Some(text.trim().to_owned()).filter(|t| !t.is_empty())
}

/// The saved settings, `None` when there is no file.
pub fn load(path: &Path) -> anyhow::Result<Option<Saved>> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(serde_json::from_slice(&bytes).map_err(|e| {
            anyhow::anyhow!("{} is not a commcenter config file: {e}", path.display())
        })?)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(anyhow::anyhow!("cannot read {}: {e}", path.display())),
    }
}

/// Writes the file readable by its owner only (it holds a secret): created
/// with mode 0600 rather than narrowed afterwards, so it is never readable
/// by others even for a moment.
pub fn save(path: &Path, saved: &Saved) -> anyhow::Result<()> {
    use std::io::Write;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    #[cfg(unix)]
    {
        // An older file keeps its mode on open: narrow it too.
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    file.write_all(&serde_json::to_vec_pretty(saved)?)?;
    file.write_all(b"\n")?;
    Ok(())
}

#[cfg(test)]
mod tests;

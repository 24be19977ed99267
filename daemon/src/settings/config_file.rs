//! The config file, merged in one generic step: each key of the TOML file
//! becomes the default of the argument with that id, so clap's own order
//! (flag, then environment variable, then default) is the precedence, and no
//! setting is named here.

use std::path::{Path, PathBuf};

use clap::{Arg, Command};

use super::SettingsError;

/// A config file as read: where it came from and its keys.
#[derive(Debug, Default)]
pub(super) struct ConfigFile {
    path: PathBuf,
    table: toml::Table,
}

/// Ids of arguments that are no setting of the file: the file is not found
/// through itself, and help and version are actions.
const NOT_IN_FILE: [&str; 3] = ["config", "help", "version"];

/// Reads the config file named, or the platform one if it exists.
pub(super) fn read(path: Option<&Path>) -> Result<ConfigFile, SettingsError> {
    let (path, required) = match path {
        Some(p) => (p.to_owned(), true),
        None => match directories::ProjectDirs::from("", "", "commcenter") {
            Some(d) => (d.config_dir().join("commcenterd.toml"), false),
            None => return Ok(ConfigFile::default()),
        },
    };
    let fail = |reason: String| SettingsError::ConfigFile {
        path: path.clone(),
        reason,
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(ConfigFile {
            table: toml::from_str(&text).map_err(|e| fail(e.to_string()))?,
            path: path.clone(),
        }),
        Err(e) if !required && e.kind() == std::io::ErrorKind::NotFound => {
            Ok(ConfigFile::default())
        }
        Err(e) => Err(fail(e.to_string())),
    }
}

/// `command` with each setting of the file as its argument's default.
/// An unknown key, or a value its setting does not parse, is an error
/// naming the key.
pub(super) fn apply(mut command: Command, file: &ConfigFile) -> Result<Command, SettingsError> {
    for (key, value) in &file.table {
        let fail = |reason: String| SettingsError::ConfigFile {
            path: file.path.clone(),
            reason: format!("{key}: {reason}"),
        };
        let arg = setting(&command, key).ok_or_else(|| fail("unknown setting".into()))?;
        let values = texts(value).ok_or_else(|| fail("not a value or a list of values".into()))?;
        check(arg, &values).map_err(|reason| fail(format!("{value}: {reason}")))?;
        command = command.mut_arg(key, |arg| arg.default_values(values));
    }
    Ok(command)
}

/// The argument a config-file key sets, if the key is a setting.
fn setting<'c>(command: &'c Command, key: &str) -> Option<&'c Arg> {
    command
        .get_arguments()
        .find(|arg| arg.get_id() == key)
        .filter(|arg| arg.get_long().is_some() && !NOT_IN_FILE.contains(&key))
}

/// A TOML value as the texts a flag would carry: one, or one per element.
fn texts(value: &toml::Value) -> Option<Vec<String>> {
    match value {
        toml::Value::String(s) => Some(vec![s.clone()]),
        toml::Value::Array(items) => items.iter().map(scalar).collect(),
        other => scalar(other).map(|text| vec![text]),
    }
}

fn scalar(value: &toml::Value) -> Option<String> {
    match value {
        toml::Value::String(s) => Some(s.clone()),
        toml::Value::Integer(n) => Some(n.to_string()),
        toml::Value::Float(x) => Some(x.to_string()),
        toml::Value::Boolean(b) => Some(b.to_string()),
        toml::Value::Datetime(d) => Some(d.to_string()),
        toml::Value::Array(_) | toml::Value::Table(_) => None,
    }
}

/// Parses `values` as the setting's defaults, the way the real parse will,
/// so that a bad value is reported against the file rather than as a flag
/// the user never passed.
fn check(arg: &Arg, values: &[String]) -> Result<(), String> {
    let probe = Command::new("config file")
        .no_binary_name(true)
        .arg(arg.clone().env(None).default_values(values));
    match probe.try_get_matches_from(std::iter::empty::<String>()) {
        Ok(_) => Ok(()),
        // clap's first line, e.g. "invalid value 'xml' for '--log-format
        // <FORMAT>'", without its "error: " and its usage hint.
        Err(e) => Err(e
            .to_string()
            .lines()
            .next()
            .unwrap_or_default()
            .trim_start_matches("error: ")
            .to_owned()),
    }
}

//! Failures that are not the daemon's answer, each with its exit code (the
//! daemon's own refusals are [`commcenter::client::ClientError`]s).

/// A failure with its own exit code.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// The command line asks for something impossible (exit 2), found
    /// after clap's own checks.
    #[error("{0}")]
    Usage(String),
    /// The daemon could not be reached or refused the token (exit 3).
    #[error("{0}")]
    Unreachable(String),
}

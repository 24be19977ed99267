//! commcenterd as a library: what `main` runs and what the tests start on a
//! port-0 listener with their own shutdown future.

pub mod app;
pub mod auth_throttle;
pub mod backup;
pub mod commands;
pub mod demo;
pub mod disk;
mod disk_watch;
mod error;
pub mod files;
mod http;
pub mod lease;
pub mod limits;
pub mod metrics;
pub mod notify;
pub mod openapi;
pub mod outbox;
pub mod realtime;
mod router;
mod routes;
pub mod server;
pub mod settings;
pub mod web;

pub use app::{AppState, Opened};
pub use router::ROUTES;
pub use server::serve;
pub use settings::{Settings, SettingsError};

//! Core library of the communication center.
//!
//! Everything the daemon, the CLI, the TUI and the tests share lives here:
//! the wire types of the HTTP and WebSocket API ([`wire`]), identifiers and
//! timestamps in their wire form ([`Id`], [`Timestamp`]), the access rules
//! ([`access`]), the embedded store ([`store`]) and a typed API client
//! ([`client`]).

pub mod access;
pub mod client;
mod id;
pub mod store;
mod time;
pub mod token;
pub mod wire;

pub use id::{Id, IdParseError};
pub use time::Timestamp;

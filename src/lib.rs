//! Core library of the communication center.
//!
//! Everything the daemon, the CLI, the TUI and the tests share lives here:
//! the wire types of the HTTP and WebSocket API ([`wire`]), identifiers and
//! timestamps in their wire form ([`Id`], [`Timestamp`]), the access rules
//! ([`access`]), a typed API client ([`client`]), the live event feed
//! over WebSocket ([`live`]) and the steps of reaching out to a customer
//! that the CLI and the console share ([`outreach`]). Nothing here opens a
//! database or decodes an image: the store is `commcenter-store` and file
//! handling `commcenter-files`, both in `daemon/`, so the CLI and the console
//! build without them.

pub mod access;
pub mod client;
mod id;
pub mod live;
pub mod outreach;
pub mod template;
mod time;
pub mod token;
pub mod wire;

pub use id::{Id, IdParseError};
pub use time::Timestamp;

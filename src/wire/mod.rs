//! The API's wire types: every request and response body, the error body and
//! the WebSocket frames, defined once and shared by daemon, client, CLI and TUI.
//!
//! Request types reject unknown fields (`deny_unknown_fields`), as the API
//! contract requires; response types are plain data.
//!
//! Every type derives [`schemars::JsonSchema`] beside its serde derives: the
//! daemon's OpenAPI document is generated from them, so a field cannot change
//! without its schema. Limits the daemon enforces on a request field are
//! declared on the field (`#[schemars(length(..))]`, `range(..)`) from the
//! constants here, so that the document states them too.

mod analytics;
mod common;
mod conversations;
mod events;
mod files;
mod inbound;
mod messages;
mod portal;
mod projects;
mod realtime;
mod schema;
mod search;
mod templates;
mod users;

pub use analytics::*;
pub use common::*;
pub use conversations::*;
pub use events::*;
pub use files::*;
pub use inbound::*;
pub use messages::*;
pub use portal::*;
pub use projects::*;
pub use realtime::*;
pub use schema::ID_PATTERN;
pub use search::*;
pub use templates::*;
pub use users::*;

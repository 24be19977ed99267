//! The API's wire types: every request and response body, the error body and
//! the WebSocket frames, defined once and shared by daemon, client, CLI and TUI.
//!
//! Request types reject unknown fields (`deny_unknown_fields`), as the API
//! contract requires; response types are plain data.

mod common;
mod conversations;
mod events;
mod files;
mod messages;
mod projects;
mod realtime;
mod users;

pub use common::*;
pub use conversations::*;
pub use events::*;
pub use files::*;
pub use messages::*;
pub use projects::*;
pub use realtime::*;
pub use users::*;

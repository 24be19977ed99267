//! `commcenter tui`: the staff console.
//!
//! The shape follows gitui: state (`state`), one `update` function that is
//! the only place state changes, a `view` that draws it, one `Action` enum
//! for everything that happens, one key table (`keymap`) that drives
//! dispatch, the help overlay and the footer, one `theme`, a `worker` that
//! owns the network, and a `terminal` guard. Drawing never waits on the
//! network: the worker's answers arrive as actions.

pub mod action;
pub mod keymap;
mod run;
pub mod state;
pub mod terminal;
pub mod theme;
pub mod update;
pub mod view;
pub mod worker;

#[doc(hidden)]
pub mod fixture;

pub use run::{run, Options, TuiError};

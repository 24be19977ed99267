//! File handling for the communication center daemon: streamed ingest of uploads,
//! type checks from the bytes, content-addressed blob storage (local disk or S3) and
//! image work (limits, orientation, thumbnails, compression).
//!
//! No HTTP here: the daemon's handlers feed body streams in and map [`FileError`] to
//! responses with [`FileError::code`] and [`FileError::status`].
//!
//! Threading: everything async here keeps blocking work (file writes, hashing, fsync)
//! on `spawn_blocking` threads. Image work is synchronous ([`images`]); call it through
//! [`images::ImageWorkers`], which runs it on blocking threads under a concurrency cap.

mod error;
pub mod images;
mod ingest;
mod key;
mod kind;
pub mod multipart;
mod name;
mod sniff;
pub mod storage;

pub use error::FileError;
pub use ingest::{ingest, BoxError, Declared, Ingested, Limits, DEFAULT_MAX_FILE_SIZE};
pub use key::BlobKey;
pub use kind::FileKind;
pub use name::{sanitize_name, MAX_NAME_CHARS};

//! Files: their records, who may read them, and which blobs they use.
//!
//! A file's bytes live in the daemon's blob store, named by their SHA-256;
//! the store keeps what points at them, all written in the transaction that
//! creates the file or the message that carries it:
//! - `file`: the record, i.e. the `FileMeta` plus the thumbnail's blob;
//! - `blob_file`: a row per blob a file uses (its bytes and its thumbnail).
//!   Identical bytes are stored once and shared, so a blob is garbage only
//!   when no row names it ([`View::blob_in_use`]);
//! - `file_message`: a row per message carrying the file: the facts behind
//!   "may this caller read it", which [`access::may_read_file`] decides.
//!
//! No event is written for a new file: until a message carries it only its
//! uploader and staff may read it, and the `message.created` event carries
//! its `FileMeta` then.

use std::collections::HashSet;

use redb::ReadableTable;
use serde::{Deserialize, Serialize};

use super::records::{decode, encode};
use super::tx::{Mode, Tables};
use super::{StoreError, Tx, View};
use commcenter::access::{self, Caller};
use commcenter::wire::FileMeta;
use commcenter::{Id, Timestamp};

/// A blob as a file record names it: its key and the media type it is
/// served with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlobRef {
    /// Lower-case hex SHA-256 of the blob's bytes (its key in the blob store).
    pub sha256: String,
    pub content_type: String,
    /// Bytes.
    pub size: u64,
}

/// What the daemon stored for one upload, to be recorded by
/// [`Tx::create_files`]. Sizes are bytes; `sha256` and `size` describe the
/// stored bytes (after compression, when `compressed`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewFile {
    pub name: String,
    pub content_type: String,
    pub size: u64,
    pub sha256: String,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub compressed: bool,
    /// Bytes as uploaded, when `compressed`.
    pub original_size: Option<u64>,
    pub thumbnail: Option<BlobRef>,
}

/// A file as the daemon serves it: its description and its thumbnail's blob.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredFile {
    pub meta: FileMeta,
    pub thumbnail: Option<BlobRef>,
}

/// A file as stored: what was uploaded, by whom and when. `file` is
/// flattened, so the record is one flat JSON object.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct FileRecord {
    pub id: Id,
    #[serde(flatten)]
    pub file: NewFile,
    pub uploaded_by: Id,
    pub created_at: Timestamp,
}

impl FileRecord {
    pub(super) fn to_wire(&self) -> FileMeta {
        let f = &self.file;
        FileMeta {
            id: self.id,
            name: f.name.clone(),
            content_type: f.content_type.clone(),
            size: f.size,
            sha256: f.sha256.clone(),
            width: f.width,
            height: f.height,
            compressed: f.compressed,
            original_size: f.original_size,
            thumbnail: f.thumbnail.is_some(),
            uploaded_by: self.uploaded_by,
            created_at: self.created_at,
        }
    }

    /// Every blob this file uses: its bytes and its thumbnail.
    pub(super) fn blobs(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.file.sha256.as_str())
            .chain(self.file.thumbnail.iter().map(|t| t.sha256.as_str()))
    }
}

impl<M: Mode> Tables<M> {
    pub(super) fn find_file(&self, id: Id) -> Result<Option<FileRecord>, StoreError> {
        match self.file.get(id.to_u128())? {
            Some(v) => Ok(Some(decode(v.value())?)),
            None => Ok(None),
        }
    }

    /// The file if `caller` may read it; otherwise `NotFound`, exactly as for
    /// a file that does not exist.
    pub(super) fn readable_file(&self, caller: &Caller, id: Id) -> Result<FileRecord, StoreError> {
        let file = self.find_file(id)?;
        match file {
            Some(file) if self.may_read_file(caller, &file)? => Ok(file),
            _ => Err(StoreError::not_found("file", id)),
        }
    }

    /// [`access::may_read_file`], with the messages carrying the file
    /// searched only when the rule needs them.
    fn may_read_file(&self, caller: &Caller, file: &FileRecord) -> Result<bool, StoreError> {
        access::may_read_file(caller, file.uploaded_by, || {
            self.carried_by_visible_message(caller, file.id)
        })
    }

    /// Whether `caller` may see any message that carries the file.
    fn carried_by_visible_message(&self, caller: &Caller, file: Id) -> Result<bool, StoreError> {
        let f = file.to_u128();
        for row in self.file_message.range((f, 0)..=(f, u128::MAX))? {
            let message_id = Id::from_u128(row?.0.value().1);
            match self.visible_message(caller, message_id) {
                Ok(_) => return Ok(true),
                Err(StoreError::NotFound { .. }) => {}
                Err(other) => return Err(other),
            }
        }
        Ok(false)
    }

    /// The descriptions of a message's attachments, in its order. An id
    /// without a record (which `send_message` never lets in) is left out.
    pub(super) fn attachment_metas(&self, ids: &[Id]) -> Result<Vec<FileMeta>, StoreError> {
        let mut metas = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(file) = self.find_file(*id)? {
                metas.push(file.to_wire());
            }
        }
        Ok(metas)
    }
}

impl View {
    /// `GET /files/{id}` and friends: the file if `caller` may read it.
    pub fn get_file(&self, caller: &Caller, id: Id) -> Result<StoredFile, StoreError> {
        let file = self.readable_file(caller, id)?;
        Ok(StoredFile {
            meta: file.to_wire(),
            thumbnail: file.file.thumbnail,
        })
    }

    /// Whether any file uses the blob `sha256` (as its bytes or thumbnail).
    /// A blob that is not in use may be deleted.
    pub fn blob_in_use(&self, sha256: &str) -> Result<bool, StoreError> {
        let mut rows = self.blob_file.range((sha256, 0)..=(sha256, u128::MAX))?;
        Ok(rows.next().transpose()?.is_some())
    }
}

impl Tx<'_> {
    /// `POST /files` and `POST /files/batch`: records files whose blobs the
    /// daemon has already stored, uploaded by `caller`.
    pub fn create_files(
        &mut self,
        caller: &Caller,
        files: Vec<NewFile>,
    ) -> Result<Vec<FileMeta>, StoreError> {
        if let Some(bad) = files.iter().find(|f| !is_blob_key(&f.sha256)) {
            return Err(StoreError::Internal(format!(
                "`{}` is not a blob key",
                bad.sha256
            )));
        }
        let mut metas = Vec::with_capacity(files.len());
        for new in files {
            let record = self.new_file_record(caller, new);
            self.put_file(&record)?;
            metas.push(record.to_wire());
        }
        Ok(metas)
    }

    fn new_file_record(&mut self, caller: &Caller, new: NewFile) -> FileRecord {
        FileRecord {
            id: self.new_id(),
            file: new,
            uploaded_by: caller.user_id,
            created_at: self.now,
        }
    }

    /// Writes the record and its rows in the blob index.
    fn put_file(&mut self, record: &FileRecord) -> Result<(), StoreError> {
        let bytes = encode(record)?;
        let id = record.id.to_u128();
        self.insert(|t| &mut t.file, id, bytes.as_slice())?;
        for blob in record.blobs() {
            self.insert(|t| &mut t.blob_file, (blob, id), ())?;
        }
        Ok(())
    }

    /// Refuses attachments the sender may not read, missing ones and
    /// repeats, all as 422 on `attachments`; an unreadable file is described
    /// exactly like a missing one, so that existence does not leak.
    pub(super) fn check_attachments(&self, caller: &Caller, ids: &[Id]) -> Result<(), StoreError> {
        let mut seen = HashSet::with_capacity(ids.len());
        for id in ids {
            if !seen.insert(*id) {
                return Err(StoreError::invalid(
                    "attachments",
                    format!("file {id} is attached twice"),
                ));
            }
            match self.readable_file(caller, *id) {
                Ok(_) => {}
                Err(StoreError::NotFound { .. }) => {
                    return Err(StoreError::invalid(
                        "attachments",
                        format!("file {id} does not exist"),
                    ))
                }
                Err(other) => return Err(other),
            }
        }
        Ok(())
    }

    /// Records that `message_id` carries each of `file_ids` (in the message's
    /// transaction), which lets the message's audience read them.
    pub(super) fn index_attachments(
        &mut self,
        message_id: Id,
        file_ids: &[Id],
    ) -> Result<(), StoreError> {
        for file in file_ids {
            let key = (file.to_u128(), message_id.to_u128());
            self.insert(|t| &mut t.file_message, key, ())?;
        }
        Ok(())
    }
}

/// Exactly 64 lower-case hex digits, as the blob store names blobs.
fn is_blob_key(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

//! A read-only view of the store file for when it cannot be written.
//!
//! After a failed commit on a full disk, redb wants the database reopened,
//! and reopening a file that was not closed cleanly means a repair that
//! writes (its allocator state, a header). On a disk with no space that
//! write fails too, and without a database nothing can be read. So the
//! writer opens the file through [`Overlay`]: every write redb makes lands
//! in memory over the file, which is opened read-only and never changed.
//! Reads then go on from the last commit while writes are refused; once the
//! disk takes writes again the writer drops the view and reopens the file
//! for real (the repair then reaches the disk).
//!
//! Invariants: the file is never written through this module (it is opened
//! without write access); what a repair writes stays in memory, a few pages.

use std::collections::btree_map::{BTreeMap, Entry};
use std::fmt;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::Mutex;

use redb::{Database, StorageBackend};

/// The error type of redb's backend methods (without its experimental API).
type BackendIoError = std::io::Error;

use super::{StoreError, StoreOptions};

/// Size of the blocks the overlay keeps; a redb page is at least this big.
const BLOCK: u64 = 4096;

/// Opens the store file at `path` for reading only, repairing it in memory
/// if it was not closed cleanly.
pub(super) fn open(path: &Path, options: &StoreOptions) -> Result<Database, StoreError> {
    let file = File::open(path).map_err(|e| StoreError::Unavailable(e.to_string()))?;
    let len = file
        .metadata()
        .map_err(|e| StoreError::Unavailable(e.to_string()))?
        .len();
    let overlay = Overlay {
        base: file,
        state: Mutex::new(State {
            len,
            blocks: BTreeMap::new(),
        }),
    };
    Ok(Database::builder()
        .set_cache_size(options.cache_bytes)
        .create_with_backend(overlay)
        .map_err(redb::Error::from)?)
}

/// The file underneath, read-only, and the blocks written over it.
struct Overlay {
    base: File,
    state: Mutex<State>,
}

struct State {
    /// The length redb believes the file has.
    len: u64,
    /// Blocks written since the view was opened, by block number.
    blocks: BTreeMap<u64, Box<[u8]>>,
}

impl fmt::Debug for Overlay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("read-only view of the store file")
    }
}

impl Overlay {
    /// Block `index` as the file has it (zeros past its end).
    fn base_block(&self, index: u64) -> Result<Box<[u8]>, BackendIoError> {
        let mut block = vec![0u8; BLOCK as usize].into_boxed_slice();
        let mut done = 0;
        while done < block.len() {
            let read = self
                .base
                .read_at(&mut block[done..], index * BLOCK + done as u64)?;
            if read == 0 {
                break;
            }
            done += read;
        }
        Ok(block)
    }
}

impl StorageBackend for Overlay {
    fn len(&self) -> Result<u64, BackendIoError> {
        Ok(self.state.lock().unwrap_or_else(|p| p.into_inner()).len)
    }

    fn read(&self, offset: u64, out: &mut [u8]) -> Result<(), BackendIoError> {
        let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let mut at = 0usize;
        while at < out.len() {
            let pos = offset + at as u64;
            let (index, within) = (pos / BLOCK, (pos % BLOCK) as usize);
            let take = (BLOCK as usize - within).min(out.len() - at);
            let target = &mut out[at..at + take];
            if pos >= state.len {
                target.fill(0);
            } else if let Some(block) = state.blocks.get(&index) {
                target.copy_from_slice(&block[within..within + take]);
            } else {
                target.copy_from_slice(&self.base_block(index)?[within..within + take]);
            }
            at += take;
        }
        Ok(())
    }

    fn set_len(&self, len: u64) -> Result<(), BackendIoError> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state.len = len;
        let first_gone = len.div_ceil(BLOCK);
        state.blocks.split_off(&first_gone);
        Ok(())
    }

    fn sync_data(&self) -> Result<(), BackendIoError> {
        Ok(())
    }

    fn write(&self, offset: u64, data: &[u8]) -> Result<(), BackendIoError> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let mut at = 0usize;
        while at < data.len() {
            let pos = offset + at as u64;
            let (index, within) = (pos / BLOCK, (pos % BLOCK) as usize);
            let take = (BLOCK as usize - within).min(data.len() - at);
            let block = match state.blocks.entry(index) {
                Entry::Occupied(block) => block.into_mut(),
                Entry::Vacant(gap) => gap.insert(self.base_block(index)?),
            };
            block[within..within + take].copy_from_slice(&data[at..at + take]);
            at += take;
        }
        state.len = state.len.max(offset + data.len() as u64);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use redb::{ReadableDatabase, ReadableTableMetadata};

    use super::super::{Store, StoreOptions, View};

    /// A copy of the file of a store that is still open is what a crash
    /// leaves: it needs a repair to open.
    #[tokio::test]
    async fn a_file_that_needs_repair_opens_read_only_and_stays_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.redb");
        let store = Store::open(&path, &StoreOptions::default()).unwrap();
        store.write(|tx| tx.bootstrap_admin("cct_x")).await.unwrap();
        let copy = dir.path().join("copy.redb");
        std::fs::copy(&path, &copy).unwrap();
        store.close().await;
        std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o444)).unwrap();
        let before = std::fs::read(&copy).unwrap();

        let db = super::open(&copy, &StoreOptions::default()).unwrap();
        let txn = db.begin_read().unwrap();
        let view = View::open(&txn).unwrap();
        assert_eq!(
            view.user.len().unwrap(),
            1,
            "the view reads the last commit"
        );
        drop((view, txn, db));
        assert_eq!(std::fs::read(&copy).unwrap(), before, "nothing was written");
    }
}

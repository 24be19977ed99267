//! From a received upload to stored blobs, ready to be recorded.

use std::path::Path;

use commcenter_files::images::{ProcessedImage, Thumbnail};
use commcenter_files::storage::PutOutcome;
use commcenter_files::{sanitize_name, BlobKey, FileError, FileKind, Ingested};
use commcenter_store::{BlobRef, NewFile, Store};

use super::leases::Lease;
use super::Files;

/// An upload whose blobs are stored, waiting for its record to be committed.
///
/// Drop it once the record is committed (that releases its leases); give it
/// to [`Files::discard`] if the record is refused.
#[derive(Debug)]
pub struct Prepared {
    /// What to record.
    pub file: NewFile,
    /// The blobs this upload wrote itself (not those it found present).
    written: Vec<BlobKey>,
    /// Leases on every blob the file uses, held until this is dropped.
    _leases: Vec<Lease>,
}

/// The blobs an upload holds while it is prepared: those it wrote itself,
/// and leases on every blob it uses.
#[derive(Default)]
struct Held {
    written: Vec<BlobKey>,
    leases: Vec<Lease>,
}

impl Files {
    /// Makes an upload's thumbnail and (for a large image) its compressed
    /// version, and stores its blobs. On failure, blobs it wrote that no
    /// file uses are deleted again.
    pub async fn prepare(&self, store: &Store, upload: Ingested) -> Result<Prepared, FileError> {
        let mut held = Held::default();
        match self.store_blobs(&upload, &mut held).await {
            Ok(file) => Ok(Prepared {
                file,
                written: held.written,
                _leases: held.leases,
            }),
            Err(e) => {
                drop(held.leases);
                self.delete_unused(store, held.written).await;
                Err(e)
            }
        }
    }

    /// Gives up uploads whose records will not be committed: releases their
    /// leases and deletes the blobs they wrote that no file uses.
    pub async fn discard(&self, store: &Store, prepared: Vec<Prepared>) {
        // Each `Prepared` (and its leases) is dropped before any deletion.
        let written: Vec<BlobKey> = prepared.into_iter().flat_map(|p| p.written).collect();
        self.delete_unused(store, written).await;
    }

    /// Deletes each of the blobs (hex SHA-256 keys) that no file uses and
    /// nobody leases, as after an erasure removed the files using them.
    pub async fn delete_unused_blobs(&self, store: &Store, keys: &[String]) {
        let keys = keys.iter().filter_map(|key| BlobKey::parse(key)).collect();
        self.delete_unused(store, keys).await;
    }

    async fn delete_unused(&self, store: &Store, written: Vec<BlobKey>) {
        for key in written {
            self.delete_if_unused(store, key).await;
        }
    }

    /// Stores what is kept of `upload` and its thumbnail; returns its record.
    async fn store_blobs(&self, upload: &Ingested, held: &mut Held) -> Result<NewFile, FileError> {
        if self
            .inner
            .images
            .policy()
            .compresses(upload.kind, upload.size)
        {
            let image = self.process_image(upload).await?;
            let (path, key, mut file) = what_to_store(upload, image.as_ref());
            self.put_blob(held, key, path).await?;
            if let Some(image) = &image {
                file.thumbnail = Some(self.put_thumbnail(held, &image.thumbnail).await?);
            }
            return Ok(file);
        }
        // Kept as uploaded: its bytes are stored (two fsyncs on local disk)
        // while its thumbnail is made, not after.
        let (image, put) = tokio::join!(
            self.process_image(upload),
            self.put_blob(held, &upload.sha256, upload.path())
        );
        put?;
        let image = image?;
        let (_, _, mut file) = what_to_store(upload, image.as_ref());
        if let Some(image) = &image {
            file.thumbnail = Some(self.put_thumbnail(held, &image.thumbnail).await?);
        }
        Ok(file)
    }

    async fn process_image(&self, upload: &Ingested) -> Result<Option<ProcessedImage>, FileError> {
        if !upload.kind.is_decodable_image() {
            return Ok(None);
        }
        let (path, tmp_dir) = (upload.path().to_owned(), self.tmp_dir().to_owned());
        self.inner
            .images
            .process(path, upload.kind, upload.size, tmp_dir)
            .await
    }

    /// Stores the file at `path` as blob `key`, under a lease.
    async fn put_blob(&self, held: &mut Held, key: &BlobKey, path: &Path) -> Result<(), FileError> {
        held.leases.push(self.inner.leases.lease(key).await);
        let put = self.blobs().put(key, path).await;
        if put.map_err(|e| self.note_failure("write", e))? == PutOutcome::Stored {
            held.written.push(key.clone());
        }
        Ok(())
    }

    async fn put_thumbnail(
        &self,
        held: &mut Held,
        thumbnail: &Thumbnail,
    ) -> Result<BlobRef, FileError> {
        let key = BlobKey::of_bytes(&thumbnail.bytes);
        held.leases.push(self.inner.leases.lease(&key).await);
        let put = self.blobs().put_bytes(thumbnail.bytes.clone()).await;
        let (_, outcome) = put.map_err(|e| self.note_failure("write", e))?;
        if outcome == PutOutcome::Stored {
            held.written.push(key.clone());
        }
        Ok(BlobRef {
            sha256: key.to_string(),
            content_type: thumbnail.kind.mime().to_owned(),
            size: thumbnail.bytes.len() as u64,
        })
    }

    /// Deletes blob `key` if nobody leases it and no file uses it.
    async fn delete_if_unused(&self, store: &Store, key: BlobKey) {
        let Some(_deletion) = self.inner.leases.begin_deletion(&key) else {
            return;
        };
        let hex = key.to_string();
        match store.read(move |v| v.blob_in_use(&hex)).await {
            Ok(true) => {}
            Ok(false) => {
                if let Err(error) = self.blobs().delete(&key).await {
                    let error = self.note_failure("delete", error);
                    tracing::warn!(%error, blob = %key, "could not delete an unused blob");
                }
            }
            Err(error) => tracing::warn!(%error, blob = %key, "could not check a blob's use"),
        }
    }
}

/// What is kept of an upload: the compressed version of a large image, else
/// the upload itself. Returns its temp file, its key and its description.
fn what_to_store<'u>(
    upload: &'u Ingested,
    image: Option<&'u ProcessedImage>,
) -> (&'u Path, &'u BlobKey, NewFile) {
    if let Some(compressed) = image.and_then(|image| image.compressed.as_ref()) {
        let file = NewFile {
            name: rename_for(&upload.name, compressed.kind),
            content_type: compressed.kind.mime().to_owned(),
            size: compressed.size,
            sha256: compressed.sha256.to_string(),
            width: Some(compressed.width),
            height: Some(compressed.height),
            compressed: true,
            original_size: Some(compressed.original_size),
            thumbnail: None,
        };
        return (compressed.file.path(), &compressed.sha256, file);
    }
    let dimensions = image.map(|image| image.dimensions);
    let file = NewFile {
        name: upload.name.clone(),
        content_type: upload.content_type().to_owned(),
        size: upload.size,
        sha256: upload.sha256.to_string(),
        width: dimensions.map(|d| d.width),
        height: dimensions.map(|d| d.height),
        compressed: false,
        original_size: None,
        thumbnail: None,
    };
    (upload.path(), &upload.sha256, file)
}

/// `name` with an extension of `kind` (a PNG photo compressed to JPEG is
/// no longer `photo.png`).
fn rename_for(name: &str, kind: FileKind) -> String {
    let (stem, extension) = match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => (stem, Some(ext.to_ascii_lowercase())),
        _ => (name, None),
    };
    if extension.is_some_and(|ext| kind.extensions().contains(&ext.as_str())) {
        return name.to_owned();
    }
    let new_extension = kind.extensions().first().copied().unwrap_or("bin");
    sanitize_name(&format!("{stem}.{new_extension}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_compressed_image_gets_the_extension_of_its_new_type() {
        assert_eq!(rename_for("boiler.png", FileKind::Jpeg), "boiler.jpg");
        assert_eq!(rename_for("boiler.JPEG", FileKind::Jpeg), "boiler.JPEG");
        assert_eq!(rename_for("boiler", FileKind::Jpeg), "boiler.jpg");
        assert_eq!(rename_for(".hidden", FileKind::Png), ".hidden.png");
    }
}

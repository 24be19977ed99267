//! One suite, run against both backends: local disk, and S3 on a real moto server that
//! these tests start on 127.0.0.1 (see `common::moto_endpoint`).

mod common;

use bytes::Bytes;
use commcenter::wire::ErrorCode;
use commcenter_files::storage::{BlobStore, ByteRange, PutOutcome, StoredBlob};
use commcenter_files::{ingest, BlobKey, Declared, FileError, Ingested, Limits};
use futures_util::TryStreamExt;

use common::{body, fixture, FIXTURES};

async fn ingest_fixture(name: &str, tmp: &std::path::Path) -> Ingested {
    let declared = Declared {
        name: Some(name.to_owned()),
        ..Declared::default()
    };
    ingest(
        body(&fixture(name), 8192),
        declared,
        &Limits::default(),
        tmp,
    )
    .await
    .expect(name)
}

async fn read_all(
    store: &BlobStore,
    key: &BlobKey,
    range: Option<ByteRange>,
) -> Result<Vec<u8>, FileError> {
    let read = store.open_read(key, range).await?;
    let chunks: Vec<Bytes> = read.body.try_collect().await?;
    Ok(chunks.concat())
}

/// The behaviours every backend must have; each takes a fresh, empty store.
mod suite {
    use super::*;

    pub async fn every_allowed_type_round_trips_byte_exact(store: BlobStore) {
        let tmp = tempfile::tempdir().unwrap();
        for (name, _) in FIXTURES {
            let ingested = ingest_fixture(name, tmp.path()).await;
            assert_eq!(
                store.put(&ingested.sha256, ingested.path()).await.unwrap(),
                PutOutcome::Stored,
                "{name}"
            );
            drop(ingested.file); // the store must not depend on the temp file
            let stored = read_all(&store, &ingested.sha256, None).await.unwrap();
            assert_eq!(stored, fixture(name), "{name}");
        }
    }

    pub async fn identical_bytes_are_stored_once(store: BlobStore) {
        let tmp = tempfile::tempdir().unwrap();
        let first = ingest_fixture("quote.pdf", tmp.path()).await;
        let again = ingest_fixture("quote.pdf", tmp.path()).await;
        assert_eq!(first.sha256, again.sha256);
        assert_eq!(
            store.put(&first.sha256, first.path()).await.unwrap(),
            PutOutcome::Stored
        );
        assert_eq!(
            store.put(&again.sha256, again.path()).await.unwrap(),
            PutOutcome::AlreadyPresent
        );
    }

    pub async fn a_range_reads_exactly_those_bytes(store: BlobStore) {
        let tmp = tempfile::tempdir().unwrap();
        let ingested = ingest_fixture("tone.wav", tmp.path()).await;
        store.put(&ingested.sha256, ingested.path()).await.unwrap();
        let whole = fixture("tone.wav");
        let range = ByteRange::new(100, 1099).unwrap();
        let read = store
            .open_read(&ingested.sha256, Some(range))
            .await
            .unwrap();
        assert_eq!((read.size, read.range), (whole.len() as u64, Some(range)));
        assert_eq!(
            read_all(&store, &ingested.sha256, Some(range))
                .await
                .unwrap(),
            whole[100..1100]
        );
    }

    pub async fn a_range_past_the_end_is_not_satisfiable(store: BlobStore) {
        let (key, size) = put_text(&store, b"0123456789").await;
        let err = read_all(&store, &key, ByteRange::new(size, size + 5))
            .await
            .unwrap_err();
        assert!(
            matches!(err, FileError::RangeNotSatisfiable { size: 10 }),
            "{err}"
        );
    }

    pub async fn a_missing_blob_is_not_found(store: BlobStore) {
        let key = BlobKey::of_bytes(b"never stored");
        assert!(!store.exists(&key).await.unwrap());
        let err = store.open_read(&key, None).await.unwrap_err();
        assert_eq!(err.code(), ErrorCode::NotFound);
    }

    pub async fn delete_removes_the_blob_and_is_idempotent(store: BlobStore) {
        let (key, _) = put_text(&store, b"to be deleted").await;
        assert!(store.exists(&key).await.unwrap());
        store.delete(&key).await.unwrap();
        assert!(!store.exists(&key).await.unwrap());
        store.delete(&key).await.unwrap();
    }

    pub async fn small_blobs_are_stored_from_memory(store: BlobStore) {
        let thumbnail = Bytes::from(fixture("photo.png"));
        let (key, outcome) = store.put_bytes(thumbnail.clone()).await.unwrap();
        assert_eq!(
            (key.clone(), outcome),
            (BlobKey::of_bytes(&thumbnail), PutOutcome::Stored)
        );
        assert_eq!(
            store.put_bytes(thumbnail.clone()).await.unwrap().1,
            PutOutcome::AlreadyPresent
        );
        assert_eq!(read_all(&store, &key, None).await.unwrap(), thumbnail);
    }

    pub async fn an_empty_blob_round_trips(store: BlobStore) {
        let (key, size) = put_text(&store, b"").await;
        let read = store.open_read(&key, None).await.unwrap();
        assert_eq!(read.size, size);
        assert!(read_all(&store, &key, None).await.unwrap().is_empty());
    }

    /// 20 MiB: several multipart parts on S3, several read chunks locally.
    pub async fn a_large_blob_round_trips(store: BlobStore) {
        let text: Vec<u8> = (0..20u32 * 1024 * 1024)
            .map(|i| b"abcdefghij\n"[(i % 11) as usize])
            .collect();
        let tmp = tempfile::tempdir().unwrap();
        let declared = Declared {
            name: Some("big.log".to_owned()),
            ..Declared::default()
        };
        let ingested = ingest(
            body(&text, 64 * 1024),
            declared,
            &Limits::default(),
            tmp.path(),
        )
        .await
        .unwrap();
        store.put(&ingested.sha256, ingested.path()).await.unwrap();
        let stored = read_all(&store, &ingested.sha256, None).await.unwrap();
        assert!(stored == text, "stored blob differs from the upload");
    }

    pub async fn list_names_every_blob_with_its_size(store: BlobStore) {
        let (first, first_size) = put_text(&store, b"first blob").await;
        let (second, _) = store.put_bytes(Bytes::from_static(b"2nd")).await.unwrap();
        store.health().await.unwrap(); // its probe is not a blob
        let mut listed = store.list().await.unwrap();
        listed.sort_by(|a, b| a.key.cmp(&b.key));
        let mut expected = vec![
            StoredBlob {
                key: first,
                size: first_size,
            },
            StoredBlob {
                key: second,
                size: 3,
            },
        ];
        expected.sort_by(|a, b| a.key.cmp(&b.key));
        assert_eq!(listed, expected);
    }

    pub async fn list_of_an_empty_store_is_empty(store: BlobStore) {
        assert_eq!(store.list().await.unwrap(), Vec::new());
    }

    pub async fn a_deleted_blob_is_no_longer_listed(store: BlobStore) {
        let (key, _) = put_text(&store, b"gone soon").await;
        store.delete(&key).await.unwrap();
        assert!(store.list().await.unwrap().is_empty());
    }

    pub async fn a_healthy_store_says_so(store: BlobStore) {
        store.health().await.unwrap();
    }

    async fn put_text(store: &BlobStore, text: &[u8]) -> (BlobKey, u64) {
        let tmp = tempfile::tempdir().unwrap();
        let declared = Declared {
            name: Some("a.txt".to_owned()),
            ..Declared::default()
        };
        let ingested = ingest(body(text, 3), declared, &Limits::default(), tmp.path())
            .await
            .unwrap();
        store.put(&ingested.sha256, ingested.path()).await.unwrap();
        (ingested.sha256, ingested.size)
    }
}

/// Runs every `suite` function against one backend, one test each.
macro_rules! backend_suite {
    ($backend:ident, $store:expr) => {
        mod $backend {
            use super::*;
            backend_suite!(@tests $store;
                every_allowed_type_round_trips_byte_exact,
                identical_bytes_are_stored_once,
                a_range_reads_exactly_those_bytes,
                a_range_past_the_end_is_not_satisfiable,
                a_missing_blob_is_not_found,
                delete_removes_the_blob_and_is_idempotent,
                small_blobs_are_stored_from_memory,
                an_empty_blob_round_trips,
                a_large_blob_round_trips,
                a_healthy_store_says_so,
                list_names_every_blob_with_its_size,
                list_of_an_empty_store_is_empty,
                a_deleted_blob_is_no_longer_listed,
            );
        }
    };
    (@tests $store:expr; $($behaviour:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $behaviour() {
                let (store, _guard) = $store(stringify!($behaviour)).await;
                suite::$behaviour(store).await;
            }
        )*
    };
}

async fn local(_: &str) -> (BlobStore, tempfile::TempDir) {
    common::local_store().await
}

async fn s3(behaviour: &str) -> (BlobStore, ()) {
    let bucket = behaviour.replace('_', "-");
    (common::s3_store(&bucket).await, ())
}

backend_suite!(local_disk, local);
backend_suite!(s3_moto, s3);

#[tokio::test]
async fn local_blobs_are_sharded_by_hash_prefix() {
    let (store, root) = common::local_store().await;
    let key = BlobKey::of_bytes(b"");
    store.put_bytes(Bytes::new()).await.unwrap();
    let expected = root.path().join("blobs/e3/b0").join(key.as_str());
    assert!(expected.is_file(), "{expected:?}");
}

#[tokio::test]
async fn local_list_skips_what_is_not_a_blob_in_its_shard() {
    let (store, root) = common::local_store().await;
    let (key, _) = store.put_bytes(Bytes::from_static(b"real")).await.unwrap();
    let blobs = root.path().join("blobs");
    let stray_key = BlobKey::of_bytes(b"stray");
    let strays = [
        // an upload still being spooled, and a staged blob
        blobs.join(".uploads").join(stray_key.as_str()),
        blobs.join(".staging").join(stray_key.as_str()),
        // a key filed under another key's shard
        blobs.join("00/00").join(stray_key.as_str()),
        // names that are not keys
        blobs
            .join(&key.as_str()[0..2])
            .join(&key.as_str()[2..4])
            .join("notes.txt"),
        blobs.join("README"),
    ];
    for stray in &strays {
        std::fs::create_dir_all(stray.parent().unwrap()).unwrap();
        std::fs::write(stray, b"stray").unwrap();
    }
    let listed: Vec<BlobKey> = store
        .list()
        .await
        .unwrap()
        .into_iter()
        .map(|b| b.key)
        .collect();
    assert_eq!(listed, vec![key]);
}

#[tokio::test]
async fn local_store_with_unwritable_root_is_unhealthy() {
    let (store, root) = common::local_store().await;
    std::fs::remove_dir_all(root.path().join("blobs")).unwrap();
    std::fs::write(
        root.path().join("blobs"),
        b"a file where the root should be",
    )
    .unwrap();
    assert_eq!(
        store.health().await.unwrap_err().code(),
        ErrorCode::Internal
    );
}

#[tokio::test]
async fn s3_store_with_missing_bucket_is_unhealthy() {
    let endpoint = common::moto_endpoint();
    let config =
        commcenter_files::storage::StorageConfig::S3(commcenter_files::storage::S3Config {
            bucket: "no-such-bucket".to_owned(),
            region: "us-east-1".to_owned(),
            endpoint: Some(format!("http://{endpoint}")),
            access_key_id: "testing".to_owned(),
            secret_access_key: "testing".to_owned(),
            allow_http: true,
            prefix: "blobs".to_owned(),
        });
    let store = BlobStore::open(&config).await.unwrap();
    assert_eq!(
        store.health().await.unwrap_err().code(),
        ErrorCode::Internal
    );
}

//! Streaming ingest: type from the bytes, spoofing refused, size limit while streaming,
//! multipart single and batch uploads.

mod common;

use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use commcenter::wire::ErrorCode;
use commcenter_files::multipart::{self, MultipartUpload, BATCH_FILE_PART};
use commcenter_files::{ingest, BlobKey, Declared, FileError, FileKind, Limits};
use common::{body, entries, fixture, multipart_body, FIXTURES};

fn named(name: &str) -> Declared {
    Declared {
        name: Some(name.to_owned()),
        ..Declared::default()
    }
}

fn declared(name: &str, content_type: &str) -> Declared {
    Declared {
        name: Some(name.to_owned()),
        content_type: Some(content_type.to_owned()),
        length: None,
    }
}

async fn ingest_bytes(
    bytes: &[u8],
    declared: Declared,
) -> Result<commcenter_files::Ingested, FileError> {
    let tmp = std::env::temp_dir();
    ingest(body(bytes, 4096), declared, &Limits::default(), &tmp).await
}

#[tokio::test]
async fn every_allowed_type_is_detected_from_its_bytes() {
    for (name, kind) in FIXTURES {
        let bytes = fixture(name);
        let ingested = ingest_bytes(&bytes, named(name))
            .await
            .unwrap_or_else(|err| panic!("{name}: {err}"));
        assert_eq!(ingested.kind, *kind, "{name}");
        assert_eq!(ingested.size, bytes.len() as u64, "{name}");
        assert_eq!(ingested.sha256, BlobKey::of_bytes(&bytes), "{name}");
        assert_eq!(std::fs::read(ingested.path()).unwrap(), bytes, "{name}");
    }
}

#[tokio::test]
async fn every_allowed_type_is_accepted_under_its_canonical_type() {
    for (name, kind) in FIXTURES {
        let ingested = ingest_bytes(&fixture(name), declared(name, kind.mime())).await;
        assert_eq!(ingested.map(|i| i.kind).ok(), Some(*kind), "{name}");
    }
}

#[tokio::test]
async fn bytes_without_a_name_or_type_are_still_detected() {
    let ingested = ingest_bytes(&fixture("photo.png"), Declared::default())
        .await
        .unwrap();
    assert_eq!(ingested.kind, FileKind::Png);
    assert_eq!(ingested.name, "file");
}

#[tokio::test]
async fn html_named_photo_jpg_is_refused() {
    let page = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>";
    let err = ingest_bytes(page, declared("photo.jpg", "image/jpeg"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::UnsupportedMediaType);
}

#[tokio::test]
async fn jpeg_declared_as_png_is_refused() {
    let err = ingest_bytes(&fixture("photo.jpg"), declared("photo.jpg", "image/png"))
        .await
        .unwrap_err();
    assert!(matches!(err, FileError::UnsupportedType(_)), "{err}");
}

#[tokio::test]
async fn jpeg_named_pdf_is_refused() {
    let err = ingest_bytes(&fixture("photo.jpg"), named("invoice.pdf"))
        .await
        .unwrap_err();
    assert_eq!(err.status(), 415);
}

#[tokio::test]
async fn octet_stream_declared_type_means_unknown() {
    let ingested = ingest_bytes(
        &fixture("quote.pdf"),
        declared("quote", "application/octet-stream"),
    )
    .await
    .unwrap();
    assert_eq!(ingested.kind, FileKind::Pdf);
}

#[tokio::test]
async fn disallowed_binary_type_is_refused() {
    let zip = b"PK\x03\x04\x14\x00\x00\x00\x08\x00\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x05\0\0\0a.bin\x00\xff";
    let err = ingest_bytes(zip, named("archive.zip")).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::UnsupportedMediaType);
}

#[tokio::test]
async fn text_with_a_nul_byte_is_refused() {
    let err = ingest_bytes(b"looks like text\0but is not", named("a.txt"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::UnsupportedMediaType);
}

#[tokio::test]
async fn display_name_is_sanitised() {
    let ingested = ingest_bytes(b"hello", named("../../etc/\u{202E}notes.txt"))
        .await
        .unwrap();
    assert_eq!(ingested.name, "notes.txt");
}

#[tokio::test]
async fn oversize_upload_stops_early_and_leaves_no_temp_file() {
    let tmp = tempfile::tempdir().unwrap();
    let limits = Limits {
        max_file_size: 1024 * 1024,
    };
    let pulled = Arc::new(AtomicUsize::new(0));
    let counter = pulled.clone();
    // An endless body: only stopping early lets this test finish.
    let endless = futures_util::stream::repeat_with(move || {
        counter.fetch_add(1, Ordering::Relaxed);
        Ok::<_, io::Error>(Bytes::from_static(&[b'a'; 64 * 1024]))
    });
    let err = ingest(endless, named("big.txt"), &limits, tmp.path())
        .await
        .unwrap_err();
    assert!(
        matches!(err, FileError::TooLarge { limit: 1_048_576 }),
        "{err}"
    );
    assert_eq!(err.code(), ErrorCode::PayloadTooLarge);
    assert_eq!(
        pulled.load(Ordering::Relaxed),
        17,
        "stops at the first chunk past the limit"
    );
    assert!(
        entries(tmp.path()).is_empty(),
        "temp files left: {:?}",
        entries(tmp.path())
    );
}

#[tokio::test]
async fn file_of_exactly_the_limit_is_accepted() {
    let limits = Limits {
        max_file_size: 10_000,
    };
    let tmp = tempfile::tempdir().unwrap();
    let ingested = ingest(
        body(&[b'x'; 10_000], 333),
        named("a.txt"),
        &limits,
        tmp.path(),
    )
    .await
    .unwrap();
    assert_eq!(ingested.size, 10_000);
}

#[tokio::test]
async fn declared_length_over_the_limit_is_refused_before_reading() {
    let limits = Limits { max_file_size: 100 };
    let declared = Declared {
        length: Some(101),
        ..named("a.txt")
    };
    let tmp = tempfile::tempdir().unwrap();
    let err = ingest(body(b"short", 5), declared, &limits, tmp.path())
        .await
        .unwrap_err();
    assert!(matches!(err, FileError::TooLarge { .. }));
}

#[tokio::test]
async fn refused_type_leaves_no_temp_file() {
    let tmp = tempfile::tempdir().unwrap();
    let page = b"<html><body>hi</body></html>";
    let err = ingest(
        body(page, 7),
        named("a.jpg"),
        &Limits::default(),
        tmp.path(),
    )
    .await
    .unwrap_err();
    assert_eq!(err.status(), 415);
    assert!(entries(tmp.path()).is_empty());
}

#[tokio::test]
async fn broken_body_is_a_bad_request_and_leaves_no_temp_file() {
    let tmp = tempfile::tempdir().unwrap();
    let broken = futures_util::stream::iter(vec![
        Ok(Bytes::from_static(b"first part")),
        Err(io::Error::new(
            io::ErrorKind::ConnectionReset,
            "client went away",
        )),
    ]);
    let err = ingest(broken, named("a.txt"), &Limits::default(), tmp.path())
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::BadRequest);
    assert!(entries(tmp.path()).is_empty());
}

#[tokio::test]
async fn multipart_single_file_part_is_ingested() {
    let jpeg = fixture("photo.jpg");
    let (bytes, boundary) = multipart_body(&[("file", "boiler.jpg", "image/jpeg", &jpeg)]);
    let content_type = format!("multipart/form-data; boundary={boundary}");
    let boundary = multipart::boundary(&content_type).unwrap();
    let mut upload = MultipartUpload::new(body(&bytes, 1000), boundary, 1 << 20);
    let part = upload.next_part().await.unwrap().expect("one part");
    assert_eq!(part.field_name(), Some("file"));
    let tmp = tempfile::tempdir().unwrap();
    let ingested = part.ingest(&Limits::default(), tmp.path()).await.unwrap();
    assert_eq!(
        (ingested.kind, ingested.name.as_str()),
        (FileKind::Jpeg, "boiler.jpg")
    );
    assert_eq!(std::fs::read(ingested.path()).unwrap(), jpeg);
    assert!(upload.next_part().await.unwrap().is_none());
}

#[tokio::test]
async fn multipart_batch_with_one_bad_file_keeps_the_good_ones() {
    let (pdf, png, big) = (fixture("quote.pdf"), fixture("photo.png"), vec![b'z'; 5000]);
    let spoofed: &[u8] = b"<html><body>not a photo</body></html>";
    let parts: [(&str, &str, &str, &[u8]); 4] = [
        (BATCH_FILE_PART, "quote.pdf", "application/pdf", &pdf),
        (BATCH_FILE_PART, "photo.jpg", "image/jpeg", spoofed),
        (BATCH_FILE_PART, "huge.txt", "text/plain", &big),
        (BATCH_FILE_PART, "site.png", "image/png", &png),
    ];
    let (bytes, boundary) = multipart_body(&parts);
    let mut upload = MultipartUpload::new(body(&bytes, 777), boundary, 1 << 20);
    let (limits, tmp) = (
        Limits {
            max_file_size: 4096,
        },
        tempfile::tempdir().unwrap(),
    );
    let mut outcomes = Vec::new();
    while let Some(part) = upload.next_part().await.unwrap() {
        outcomes.push(
            part.ingest(&limits, tmp.path())
                .await
                .map(|i| i.kind)
                .map_err(|e| e.code()),
        );
    }
    let expected = [
        Ok(FileKind::Pdf),
        Err(ErrorCode::UnsupportedMediaType),
        Err(ErrorCode::PayloadTooLarge),
        Ok(FileKind::Png),
    ];
    assert_eq!(outcomes, expected);
}

#[tokio::test]
async fn multipart_body_over_its_limit_is_too_large() {
    let big = vec![b'q'; 10_000];
    let (bytes, boundary) = multipart_body(&[("file", "a.txt", "text/plain", &big)]);
    let mut upload = MultipartUpload::new(body(&bytes, 1024), boundary, 4096);
    let tmp = tempfile::tempdir().unwrap();
    let result = match upload.next_part().await {
        Ok(Some(part)) => part.ingest(&Limits::default(), tmp.path()).await.map(drop),
        Ok(None) => panic!("expected a part"),
        Err(err) => Err(err),
    };
    assert!(
        matches!(result, Err(FileError::TooLarge { limit: 4096 })),
        "{result:?}"
    );
    assert!(entries(tmp.path()).is_empty());
}

#[tokio::test]
async fn non_multipart_content_type_is_a_bad_request() {
    let err = multipart::boundary("application/json").unwrap_err();
    assert_eq!(err.code(), ErrorCode::BadRequest);
}

//! Files over real HTTP: uploads (one, batch, raw), type checks, limits,
//! images (bombs, thumbnails, orientation, compression), dedupe, downloads
//! (ranges, ETags) and who may read a file. Every test runs twice: on local
//! disk storage and on S3 (a moto server on 127.0.0.1, started here).

mod common;
#[macro_use]
mod files_support;

use std::time::{Duration, Instant};

use commcenter::wire::{BatchUpload, ErrorCode, FileMeta, Message, NewMessage};
use commcenter::Id;
use commcenter_files::storage::{S3Config, StorageConfig};
use common::{create_project, error_of, get, open_conversation, TestDaemon};
use files_support::photo::photo_like;
use files_support::*;
use image::{DynamicImage, Rgb, RgbImage};
use sha2::{Digest, Sha256};

on_both_backends!(
    every_allowed_type_round_trips_byte_exact,
    a_raw_upload_is_named_by_its_query,
    images_are_inline_with_thumbnails_and_documents_are_attachments,
    heic_is_kept_without_thumbnail_or_dimensions,
    one_bad_file_in_a_batch_fails_alone,
    a_declared_type_contradicting_the_bytes_is_415,
    an_upload_over_the_limit_is_413_and_leaves_no_temp_file,
    a_decompression_bomb_is_refused_quickly,
    thumbnails_are_upright_and_at_most_320_px,
    a_large_photo_is_stored_compressed_under_2_mib,
    identical_bytes_are_stored_once,
    ranges_etags_and_not_modified,
    a_file_is_for_its_uploader_and_staff_until_a_message_carries_it,
    crew_channel_files_are_for_the_assigned_crew,
    a_file_on_a_staff_note_stays_with_staff,
    a_message_cannot_carry_a_file_its_sender_may_not_read,
    messages_describe_their_attachments,
    an_upload_with_an_idempotency_key_is_stored_once,
    readiness_includes_the_file_storage,
);

/// Every fixture and the type it must be stored and served as.
const FIXTURES: &[(&str, &str)] = &[
    ("photo.jpg", "image/jpeg"),
    ("photo.png", "image/png"),
    ("anim.gif", "image/gif"),
    ("photo.webp", "image/webp"),
    ("photo.heic", "image/heic"),
    ("quote.pdf", "application/pdf"),
    ("notes.txt", "text/plain"),
    ("hours.csv", "text/csv"),
    (
        "letter.docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    (
        "sheet.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    ("tone.mp3", "audio/mpeg"),
    ("tone.m4a", "audio/mp4"),
    ("tone.ogg", "audio/ogg"),
    ("tone.wav", "audio/wav"),
    ("clip.mp4", "video/mp4"),
    ("clip.mov", "video/quicktime"),
    ("clip.webm", "video/webm"),
];

const HTML: &[u8] = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>";
const RED: Rgb<u8> = Rgb([220, 20, 20]);
const BLUE: Rgb<u8> = Rgb([20, 20, 220]);

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn decode(bytes: &[u8]) -> DynamicImage {
    image::load_from_memory(bytes).expect("a decodable image")
}

fn is_close(pixel: Rgb<u8>, expected: Rgb<u8>) -> bool {
    pixel
        .0
        .iter()
        .zip(expected.0)
        .all(|(a, b)| a.abs_diff(b) < 40)
}

async fn every_allowed_type_round_trips_byte_exact(backend: Backend) {
    let setup = start(backend).await;
    let admin = &setup.daemon.admin;
    for (name, content_type) in FIXTURES {
        let bytes = fixture(name);
        let meta = upload(admin, name, content_type, &bytes).await;
        assert_eq!(meta.content_type, *content_type, "{name}");
        assert_eq!(meta.name, *name);
        assert_eq!(
            (meta.size, &meta.sha256),
            (bytes.len() as u64, &sha256_hex(&bytes))
        );
        assert!(!meta.compressed && meta.original_size.is_none(), "{name}");
        let served = download(admin, meta.id).await;
        assert_eq!(served.status, 200, "{name}");
        assert!(served.body == bytes, "{name} comes back byte for byte");
        assert_eq!(header(&served, "content-length"), bytes.len().to_string());
    }
}

async fn a_raw_upload_is_named_by_its_query(backend: Backend) {
    let setup = start(backend).await;
    let bytes = fixture("notes.txt");
    let response = upload_raw(&setup.daemon.admin, "Meter notes.txt", "text/plain", &bytes).await;
    assert_eq!(response.status, 201);
    let meta: FileMeta = response.json().unwrap();
    assert_eq!(
        (meta.name.as_str(), meta.content_type.as_str()),
        ("Meter notes.txt", "text/plain")
    );
    let served = download(&setup.daemon.admin, meta.id).await;
    assert_eq!(header(&served, "content-type"), "text/plain; charset=utf-8");
    assert_eq!(
        header(&served, "content-disposition"),
        "attachment; filename=\"Meter notes.txt\"; filename*=UTF-8''Meter%20notes.txt"
    );
}

async fn images_are_inline_with_thumbnails_and_documents_are_attachments(backend: Backend) {
    let setup = start(backend).await;
    let admin = &setup.daemon.admin;
    let photo = upload(admin, "boiler.png", "image/png", &fixture("photo.png")).await;
    assert!(photo.thumbnail);
    assert_eq!((photo.width, photo.height), (Some(160), Some(120)));
    let served = download(admin, photo.id).await;
    assert!(header(&served, "content-disposition").starts_with("inline; filename=\"boiler.png\""));
    let quote = upload(admin, "quote.pdf", "application/pdf", &fixture("quote.pdf")).await;
    assert!(!quote.thumbnail && quote.width.is_none());
    let served = download(admin, quote.id).await;
    assert!(
        header(&served, "content-disposition").starts_with("attachment; filename=\"quote.pdf\"")
    );
    for response in [&served, &download(admin, photo.id).await] {
        assert_eq!(header(response, "x-content-type-options"), "nosniff");
        assert_eq!(header(response, "content-security-policy"), "sandbox");
    }
    let no_thumbnail = get(admin, &format!("/api/v1/files/{}/thumbnail", quote.id)).await;
    assert_eq!(error_of(&no_thumbnail).code, ErrorCode::NotFound);
}

async fn heic_is_kept_without_thumbnail_or_dimensions(backend: Backend) {
    let setup = start(backend).await;
    let meta = upload(
        &setup.daemon.admin,
        "photo.heic",
        "image/heic",
        &fixture("photo.heic"),
    )
    .await;
    assert!(!meta.thumbnail && meta.width.is_none() && meta.height.is_none());
    let thumbnail = get(
        &setup.daemon.admin,
        &format!("/api/v1/files/{}/thumbnail", meta.id),
    )
    .await;
    assert_eq!(thumbnail.status, 404);
}

async fn one_bad_file_in_a_batch_fails_alone(backend: Backend) {
    let setup = start(backend).await;
    let (photo, notes) = (fixture("photo.jpg"), fixture("notes.txt"));
    let parts: &[(&str, &str, &str, &[u8])] = &[
        ("files", "boiler.jpg", "image/jpeg", &photo),
        ("files", "evil.jpg", "image/jpeg", HTML),
        ("files", "notes.txt", "text/plain", &notes),
    ];
    let response = upload_parts(&setup.daemon.admin, "/api/v1/files/batch", parts).await;
    assert_eq!(
        response.status,
        200,
        "{}",
        String::from_utf8_lossy(&response.body)
    );
    let batch: BatchUpload = response.json().unwrap();
    let names: Vec<&str> = batch.uploaded.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["boiler.jpg", "notes.txt"]);
    assert_eq!((batch.uploaded_count, batch.failed_count), (2, 1));
    assert_eq!(batch.failed[0].name, "evil.jpg");
    assert_eq!(batch.failed[0].error.code, ErrorCode::UnsupportedMediaType);
    for meta in &batch.uploaded {
        assert_eq!(download(&setup.daemon.admin, meta.id).await.status, 200);
    }
}

async fn a_declared_type_contradicting_the_bytes_is_415(backend: Backend) {
    let setup = start(backend).await;
    let admin = &setup.daemon.admin;
    let html_as_photo = upload_raw(admin, "photo.jpg", "image/jpeg", HTML).await;
    let png_as_jpeg = upload_raw(admin, "photo.png", "image/jpeg", &fixture("photo.png")).await;
    let parts: &[(&str, &str, &str, &[u8])] = &[("file", "photo.jpg", "image/jpeg", HTML)];
    let multipart = upload_parts(admin, "/api/v1/files", parts).await;
    for response in [html_as_photo, png_as_jpeg, multipart] {
        assert_eq!(error_of(&response).code, ErrorCode::UnsupportedMediaType);
    }
    assert!(setup.stored_blobs().is_empty(), "nothing was stored");
    assert!(setup.temp_files().is_empty(), "no temp file is left");
}

async fn an_upload_over_the_limit_is_413_and_leaves_no_temp_file(backend: Backend) {
    const LIMIT: u64 = 256 * 1024;
    let setup = start_adjusted(backend, |s| s.files.max_upload_bytes = LIMIT).await;
    let admin = &setup.daemon.admin;
    let at_limit = vec![b'a'; LIMIT as usize];
    let over = vec![b'a'; LIMIT as usize + 1];
    let declared = upload_raw(admin, "big.txt", "text/plain", &over).await;
    let parts: &[(&str, &str, &str, &[u8])] = &[("file", "big.txt", "text/plain", &over)];
    let streamed = upload_parts(admin, "/api/v1/files", parts).await;
    for response in [declared, streamed] {
        assert_eq!(error_of(&response).code, ErrorCode::PayloadTooLarge);
        assert!(setup.temp_files().is_empty(), "no temp file is left");
    }
    assert!(setup.stored_blobs().is_empty());
    let fits = upload(admin, "fits.txt", "text/plain", &at_limit).await;
    assert_eq!(fits.size, LIMIT);
}

async fn a_decompression_bomb_is_refused_quickly(backend: Backend) {
    let setup = start(backend).await;
    let started = Instant::now();
    let bomb = upload_raw(
        &setup.daemon.admin,
        "tiny.png",
        "image/png",
        &bomb_png(100_000, 100_000),
    )
    .await;
    assert_eq!(error_of(&bomb).code, ErrorCode::Unprocessable);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    assert!(setup.stored_blobs().is_empty(), "nothing was stored");
    assert!(setup.temp_files().is_empty(), "no temp file is left");
}

async fn thumbnails_are_upright_and_at_most_320_px(backend: Backend) {
    let setup = start(backend).await;
    let admin = &setup.daemon.admin;
    let sideways = RgbImage::from_fn(800, 600, |x, _| if x < 400 { RED } else { BLUE });
    let photo = jpeg(&sideways, 90, Some(ROTATE_90));
    let meta = upload(admin, "portrait.jpg", "image/jpeg", &photo).await;
    assert_eq!(
        (meta.width, meta.height),
        (Some(600), Some(800)),
        "as displayed"
    );
    let response = get(admin, &format!("/api/v1/files/{}/thumbnail", meta.id)).await;
    assert_eq!(
        (response.status, header(&response, "content-type")),
        (200, "image/jpeg")
    );
    assert!(header(&response, "content-disposition").starts_with("inline"));
    let thumbnail = decode(&response.body).to_rgb8();
    assert_eq!(thumbnail.dimensions(), (240, 320));
    assert!(
        is_close(*thumbnail.get_pixel(120, 10), RED),
        "red is on top"
    );
    assert!(
        is_close(*thumbnail.get_pixel(120, 310), BLUE),
        "blue at the bottom"
    );
    let wide = RgbImage::from_fn(1000, 500, |x, _| if x < 500 { RED } else { BLUE });
    let meta = upload(admin, "wide.jpg", "image/jpeg", &jpeg(&wide, 90, None)).await;
    let response = get(admin, &format!("/api/v1/files/{}/thumbnail", meta.id)).await;
    assert_eq!(decode(&response.body).to_rgb8().dimensions(), (320, 160));
}

async fn a_large_photo_is_stored_compressed_under_2_mib(backend: Backend) {
    let setup = start(backend).await;
    let photo = jpeg(&photo_like(2400, 1600, 8), 98, Some(ROTATE_90));
    assert!(
        photo.len() > 2 * 1024 * 1024,
        "the photo is over the threshold"
    );
    let meta = upload(&setup.daemon.admin, "site.jpg", "image/jpeg", &photo).await;
    assert!(meta.compressed);
    assert_eq!(meta.original_size, Some(photo.len() as u64));
    assert!(meta.size <= 2 * 1024 * 1024, "{} bytes", meta.size);
    assert_eq!(meta.content_type, "image/jpeg");
    let stored = download(&setup.daemon.admin, meta.id).await;
    assert_eq!(
        (stored.body.len() as u64, sha256_hex(&stored.body)),
        (meta.size, meta.sha256.clone())
    );
    let image = decode(&stored.body);
    assert_eq!(
        (Some(image.width()), Some(image.height())),
        (meta.width, meta.height)
    );
    assert!(image.height() > image.width(), "stored upright");
}

async fn identical_bytes_are_stored_once(backend: Backend) {
    let setup = start(backend).await;
    let customer = setup.daemon.customer("Ann Owner").await;
    let photo = fixture("photo.jpg");
    let first = upload(&setup.daemon.admin, "a.jpg", "image/jpeg", &photo).await;
    let second = upload(&customer.client, "b.jpg", "image/jpeg", &photo).await;
    assert_ne!(first.id, second.id, "two files");
    assert_eq!(first.sha256, second.sha256, "one content");
    let blobs = setup.stored_blobs();
    assert_eq!(
        blobs.len(),
        2,
        "the photo and its thumbnail, once each: {blobs:?}"
    );
    assert!(blobs.contains(&first.sha256));
    for file in [first.id, second.id] {
        assert!(download(&customer.client, file).await.status != 500);
    }
    assert!(download(&setup.daemon.admin, second.id).await.body == photo);
}

async fn ranges_etags_and_not_modified(backend: Backend) {
    let setup = start(backend).await;
    let admin = &setup.daemon.admin;
    let bytes = fixture("quote.pdf");
    let meta = upload(admin, "quote.pdf", "application/pdf", &bytes).await;
    let path = format!("/api/v1/files/{}", meta.id);
    let etag = format!("\"{}\"", meta.sha256);
    let whole = download(admin, meta.id).await;
    assert_eq!(
        (header(&whole, "etag"), header(&whole, "accept-ranges")),
        (etag.as_str(), "bytes")
    );

    let part = get_with(admin, &path, &[("range", "bytes=10-19")]).await;
    assert_eq!(part.status, 206);
    assert_eq!(
        header(&part, "content-range"),
        format!("bytes 10-19/{}", bytes.len())
    );
    assert!(part.body == bytes[10..20]);
    let tail = get_with(admin, &path, &[("range", "bytes=-5")]).await;
    assert!(tail.status == 206 && tail.body == bytes[bytes.len() - 5..]);

    let cached = get_with(admin, &path, &[("if-none-match", &etag)]).await;
    assert_eq!((cached.status, cached.body.len()), (304, 0));
    assert_eq!(header(&cached, "etag"), etag);
    let stale = get_with(admin, &path, &[("if-none-match", "\"0000\"")]).await;
    assert_eq!(stale.status, 200);

    let beyond = format!("bytes={}-", bytes.len());
    let outside = get_with(admin, &path, &[("range", &beyond)]).await;
    assert_eq!(error_of(&outside).code, ErrorCode::RangeNotSatisfiable);
    assert_eq!(
        header(&outside, "content-range"),
        format!("bytes */{}", bytes.len())
    );
}

async fn a_file_is_for_its_uploader_and_staff_until_a_message_carries_it(backend: Backend) {
    let setup = start(backend).await;
    let daemon = &setup.daemon;
    let (agent, owner) = (
        daemon.agent("Bob Agent").await,
        daemon.customer("Ann Owner").await,
    );
    let other = daemon.customer("Olga Other").await;
    let idle_crew = daemon.crew("Eve Idle").await;
    let uploaded = upload(
        &owner.client,
        "boiler.jpg",
        "image/jpeg",
        &fixture("photo.jpg"),
    )
    .await;
    let quote = upload(
        &agent.client,
        "quote.pdf",
        "application/pdf",
        &fixture("quote.pdf"),
    )
    .await;
    for (reader, status) in [
        (&owner.client, 200),
        (&agent.client, 200),
        (&daemon.admin, 200),
    ] {
        assert_eq!(download(reader, uploaded.id).await.status, status);
    }
    assert_eq!(
        download(&owner.client, quote.id).await.status,
        404,
        "not carried yet"
    );
    let conversation = open_conversation(&agent.client, owner.id()).await;
    agent
        .client
        .send_message(conversation.id, &carrying("Your quote", quote.id))
        .await
        .expect("send the quote");
    assert_eq!(
        download(&owner.client, quote.id).await.status,
        200,
        "a participant"
    );
    let meta = get(&owner.client, &format!("/api/v1/files/{}/meta", quote.id)).await;
    assert_eq!(meta.json::<FileMeta>().unwrap(), quote);
    for outsider in [&other.client, &idle_crew.client] {
        for file in [uploaded.id, quote.id] {
            let response = download(outsider, file).await;
            assert_eq!(error_of(&response).code, ErrorCode::NotFound);
        }
    }
    let anonymous = download(&daemon.anonymous(), quote.id).await;
    assert_eq!(error_of(&anonymous).code, ErrorCode::Unauthorized);
}

async fn crew_channel_files_are_for_the_assigned_crew(backend: Backend) {
    let setup = start(backend).await;
    let daemon = &setup.daemon;
    let (agent, owner) = (
        daemon.agent("Bob Agent").await,
        daemon.customer("Ann Owner").await,
    );
    let (crew, idle_crew) = (daemon.crew("Dan Crew").await, daemon.crew("Eve Idle").await);
    let project = create_project(&agent.client, owner.id(), vec![crew.id()]).await;
    let plan = upload(
        &agent.client,
        "plan.pdf",
        "application/pdf",
        &fixture("quote.pdf"),
    )
    .await;
    agent
        .client
        .send_message(project.conversation_id, &carrying("Site plan", plan.id))
        .await
        .expect("send the plan");
    assert_eq!(download(&crew.client, plan.id).await.status, 200);
    for outsider in [&idle_crew.client, &owner.client] {
        assert_eq!(download(outsider, plan.id).await.status, 404);
    }
}

async fn a_file_on_a_staff_note_stays_with_staff(backend: Backend) {
    let setup = start(backend).await;
    let daemon = &setup.daemon;
    let (agent, owner) = (
        daemon.agent("Bob Agent").await,
        daemon.customer("Ann Owner").await,
    );
    let conversation = open_conversation(&agent.client, owner.id()).await;
    let debts = upload(
        &agent.client,
        "debts.csv",
        "text/csv",
        &fixture("hours.csv"),
    )
    .await;
    let note = NewMessage {
        private: Some(true),
        ..carrying("Unpaid", debts.id)
    };
    agent
        .client
        .send_message(conversation.id, &note)
        .await
        .expect("note");
    assert_eq!(download(&owner.client, debts.id).await.status, 404);
    assert_eq!(download(&daemon.admin, debts.id).await.status, 200);
}

async fn a_message_cannot_carry_a_file_its_sender_may_not_read(backend: Backend) {
    let setup = start(backend).await;
    let daemon = &setup.daemon;
    let (owner, other) = (
        daemon.customer("Ann Owner").await,
        daemon.customer("Olga Other").await,
    );
    let private = upload(
        &owner.client,
        "boiler.jpg",
        "image/jpeg",
        &fixture("photo.jpg"),
    )
    .await;
    let conversation = open_conversation(&other.client, other.id()).await;
    let path = format!("/api/v1/conversations/{}/messages", conversation.id);
    let send = |file: Id| {
        let body = serde_json::json!({"body": "Look", "attachments": [file]});
        common::post(&other.client, &path, body)
    };
    let refused = error_of(&send(private.id).await);
    let missing_id = Id::generate(1_700_000_000_000);
    let missing = error_of(&send(missing_id).await);
    assert_eq!(refused.code, ErrorCode::Unprocessable);
    assert_eq!(refused.field.as_deref(), Some("attachments"));
    assert_eq!(
        refused.message.replace(&private.id.to_string(), "ID"),
        missing.message.replace(&missing_id.to_string(), "ID"),
        "a file the sender may not read looks like a missing one"
    );
    let own = upload(&other.client, "mine.txt", "text/plain", b"my own file").await;
    assert_eq!(send(own.id).await.status, 201);
}

async fn messages_describe_their_attachments(backend: Backend) {
    let setup = start(backend).await;
    let daemon = &setup.daemon;
    let (crew, owner) = (
        daemon.crew("Dan Crew").await,
        daemon.customer("Ann Owner").await,
    );
    let project = create_project(&daemon.admin, owner.id(), vec![crew.id()]).await;
    let photo = upload(
        &crew.client,
        "wall.jpg",
        "image/jpeg",
        &fixture("photo.jpg"),
    )
    .await;
    let sent = crew
        .client
        .send_message(project.conversation_id, &carrying("Wall done", photo.id))
        .await
        .expect("send a photo");
    assert_eq!(sent.attachments, std::slice::from_ref(&photo));
    let read: Message = daemon.admin.get_message(sent.id).await.unwrap();
    assert_eq!(read.attachments, std::slice::from_ref(&photo));
    let listed = daemon
        .admin
        .list_messages(project.conversation_id, None, None)
        .await
        .unwrap();
    assert_eq!(listed.items.last().unwrap().attachments, [photo]);
}

async fn an_upload_with_an_idempotency_key_is_stored_once(backend: Backend) {
    let setup = start(backend).await;
    let admin = &setup.daemon.admin;
    const HEADERS: &[(&str, &str)] = &[
        ("content-type", "text/plain"),
        ("idempotency-key", "upload-1"),
    ];
    let send = |bytes: &[u8]| {
        admin.send_raw(
            http::Method::POST,
            "/api/v1/files?name=a.txt",
            Some(bytes.to_vec()),
            HEADERS,
        )
    };
    let first = send(b"first").await.unwrap();
    let again = send(b"first").await.unwrap();
    assert_eq!((first.status, again.status), (201, 201));
    assert_eq!(first.body, again.body, "the first answer, again");
    let other = send(b"other").await.unwrap();
    assert_eq!(error_of(&other).code, ErrorCode::Conflict);
}

async fn readiness_includes_the_file_storage(backend: Backend) {
    let setup = start(backend).await;
    assert_eq!(get(&setup.daemon.anonymous(), "/readyz").await.status, 200);
}

/// The client is still sending when the daemon refuses, so it must read
/// the 413 rather than a reset connection (the daemon drains the body).
#[tokio::test]
async fn a_client_sending_past_the_default_limit_reads_its_413() {
    let setup = start(Backend::Local).await;
    let admin = &setup.daemon.admin;
    let over = vec![b'a'; 26 * 1024 * 1024];
    let raw = upload_raw(admin, "big.txt", "text/plain", &over).await;
    let parts: &[(&str, &str, &str, &[u8])] = &[("file", "big.txt", "text/plain", &over)];
    let multipart = upload_parts(admin, "/api/v1/files", parts).await;
    for response in [raw, multipart] {
        assert_eq!(error_of(&response).code, ErrorCode::PayloadTooLarge);
    }
    assert!(setup.temp_files().is_empty());
}

#[tokio::test]
async fn readiness_fails_while_object_storage_is_unreachable() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let dir = tempfile::tempdir().unwrap();
    let daemon = TestDaemon::start_with(dir, |settings| {
        settings.files.storage = StorageConfig::S3(S3Config {
            bucket: "nowhere".into(),
            region: "us-east-1".into(),
            endpoint: Some(endpoint),
            access_key_id: "testing".into(),
            secret_access_key: "testing".into(),
            allow_http: true,
            prefix: "blobs".into(),
        });
    })
    .await;
    let ready = get(&daemon.anonymous(), "/readyz").await;
    assert_eq!(ready.status, 503);
}

/// A message with `body` carrying `file`.
fn carrying(body: &str, file: Id) -> NewMessage {
    NewMessage {
        body: Some(body.into()),
        attachments: Some(vec![file]),
        ..Default::default()
    }
}

/// An image whose work alone needs more memory than the image budget is
/// refused with 422 from its header, before anything is decoded.
#[tokio::test]
async fn an_image_over_the_image_memory_budget_is_422_quickly() {
    let setup = start_adjusted(Backend::Local, |settings| {
        settings.files.image_memory_bytes = 64 * 1024 * 1024;
    })
    .await;
    let started = Instant::now();
    // 16000×16000 at one bit a pixel: a few bytes here, 256 MB decoded.
    let bilevel = bomb_png_1bit(16_000, 16_000);
    let refused = upload_raw(&setup.daemon.admin, "scan.png", "image/png", &bilevel).await;
    let error = error_of(&refused);
    assert_eq!(
        (refused.status, error.code),
        (422, ErrorCode::Unprocessable)
    );
    assert!(error.message.contains("MiB"), "{}", error.message);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    assert!(setup.stored_blobs().is_empty(), "nothing was stored");
    assert!(setup.temp_files().is_empty(), "no temp file is left");
}

/// A PNG cut short is the client's fault (422), not the daemon's (500); a
/// JPEG cut short still decodes (the missing rows come out gray) and gets
/// its thumbnail.
#[tokio::test]
async fn a_truncated_png_is_422_and_a_truncated_jpeg_gets_a_thumbnail() {
    let setup = start(Backend::Local).await;
    let admin = &setup.daemon.admin;
    let mut png = std::io::Cursor::new(Vec::new());
    DynamicImage::ImageRgb8(photo_like(400, 300, 8))
        .write_to(&mut png, image::ImageFormat::Png)
        .unwrap();
    let png = png.into_inner();
    let cut_png = upload_raw(admin, "cut.png", "image/png", &png[..png.len() / 2]).await;
    assert_eq!(
        (cut_png.status, error_of(&cut_png).code),
        (422, ErrorCode::Unprocessable)
    );
    // Stored while it was being decoded, then deleted again with the 422.
    assert!(setup.stored_blobs().is_empty(), "nothing was kept");
    let photo = jpeg(&photo_like(800, 600, 8), 90, None);
    let cut = &photo[..photo.len() * 3 / 5];
    let meta = upload(admin, "cut.jpg", "image/jpeg", cut).await;
    assert_eq!((meta.width, meta.height), (Some(800), Some(600)));
    assert!(meta.thumbnail);
    let thumbnail = get(admin, &format!("/api/v1/files/{}/thumbnail", meta.id)).await;
    assert_eq!(thumbnail.status, 200);
    assert_eq!(decode(&thumbnail.body).to_rgb8().dimensions(), (320, 240));
    assert!(setup.temp_files().is_empty(), "no temp file is left");
}

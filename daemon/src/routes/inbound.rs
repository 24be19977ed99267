//! The inbound webhooks: a customer's SMS (a Twilio-style form) and email
//! (JSON from a mail gateway). No bearer token: each is authenticated by its
//! signature, checked before anything else is made of the body, and refused
//! with 403 when it does not match (or when no key is configured).
//!
//! A new message answers 201 with the stored message; a retry of one already
//! stored (the same `MessageSid` or `Message-ID`) answers 200 with it and
//! stores nothing.

use base64::Engine;
use bytes::Bytes;
use commcenter::wire::{Channel, ErrorCode, InboundAttachment, InboundEmail};
use commcenter_files::Declared;
use commcenter_store::InboundMessage;
use http::HeaderMap;

use super::Ctx;
use crate::error::ApiError;
use crate::files::Prepared;
use crate::http::{json_response, parse_json, read_body, Request, Response};
use crate::outbox::signatures;
use crate::settings::Settings;

/// # `POST /api/v1/inbound/sms`
pub async fn sms(ctx: Ctx, req: Request) -> Result<Response, ApiError> {
    let settings = ctx.state.settings.clone();
    let url = inbound_sms_url(&settings, req.headers());
    let signature = header_text(req.headers(), "x-twilio-signature");
    let bytes = read_body(req, settings.outbox.inbound_limit_bytes).await?;
    let params = parse_form(&bytes)?;
    let Some(token) = settings.outbox.sms_auth_token.as_deref() else {
        return Err(forbidden(
            "inbound SMS is not configured (no --sms-auth-token)",
        ));
    };
    if !signatures::twilio_valid(token, &url, &params, &signature) {
        return Err(forbidden("X-Twilio-Signature does not match this request"));
    }
    let (mut inbound, media) = sms_message(&params)?;
    let prepared = fetch_media(&ctx, &media, &mut inbound.body).await;
    inbound.files = prepared.iter().map(|p| p.file.clone()).collect();
    receive(&ctx, inbound, prepared).await
}

/// Each media link's file through the upload pipeline. One that cannot be
/// fetched or stored is recorded in the body as a `[media] URL` line
/// instead (and logged): the text is never lost for its picture.
async fn fetch_media(ctx: &Ctx, media: &[MediaLink], body: &mut String) -> Vec<Prepared> {
    let limit = ctx.state.files.limits().max_file_size;
    let mut prepared = Vec::with_capacity(media.len());
    for (i, (url, declared_type)) in media.iter().enumerate() {
        let fetched = ctx.state.outbox.transports().fetch_media(url, limit).await;
        let stored = match fetched {
            Ok((bytes, served_type)) => {
                let attachment = MediaBytes {
                    name: format!("media-{i}"),
                    content_type: declared_type.clone().or(served_type),
                    bytes,
                };
                store_bytes(ctx, attachment).await.map_err(|e| e.message)
            }
            Err(e) => Err(e),
        };
        match stored {
            Ok(p) => prepared.push(p),
            Err(error) => {
                tracing::warn!(%url, %error, "inbound SMS media not stored; its link is kept in the body");
                if !body.is_empty() {
                    body.push('\n');
                }
                body.push_str(&format!("[media] {url}"));
            }
        }
    }
    prepared
}

/// # `POST /api/v1/inbound/email`
pub async fn email(ctx: Ctx, req: Request) -> Result<Response, ApiError> {
    let settings = ctx.state.settings.clone();
    let signature = header_text(req.headers(), "x-commcenter-signature");
    let bytes = read_body(req, settings.outbox.inbound_limit_bytes).await?;
    let Some(secret) = settings.outbox.inbound_email_secret.as_deref() else {
        return Err(forbidden(
            "inbound email is not configured (no --inbound-email-secret)",
        ));
    };
    if !signatures::body_signature_valid(secret, &bytes, &signature) {
        return Err(forbidden("X-Commcenter-Signature does not match the body"));
    }
    let email: InboundEmail = parse_json(&bytes)?;
    let prepared = store_attachments(&ctx, &email.attachments).await?;
    let inbound = InboundMessage {
        channel: Channel::Email,
        from: bare_address(&email.from).to_owned(),
        provider_id: email.message_id,
        subject: email.subject,
        body: email.text.unwrap_or_default(),
        files: prepared.iter().map(|p| p.file.clone()).collect(),
        in_reply_to: email.in_reply_to,
    };
    receive(&ctx, inbound, prepared).await
}

/// Stores the message; the attachments' blobs are kept only if their files
/// were recorded with it.
async fn receive(
    ctx: &Ctx,
    inbound: InboundMessage,
    prepared: Vec<Prepared>,
) -> Result<Response, ApiError> {
    let stored = ctx
        .state
        .store
        .write(move |tx| tx.receive_inbound(inbound))
        .await;
    let files = &ctx.state.files;
    match stored {
        Ok((message, true)) => {
            drop(prepared);
            Ok(json_response(201, &message))
        }
        Ok((message, false)) => {
            files.discard(&ctx.state.store, prepared).await;
            Ok(json_response(200, &message))
        }
        Err(e) => {
            files.discard(&ctx.state.store, prepared).await;
            Err(e.into())
        }
    }
}

/// The form's `From`, `Body` and `MessageSid`, and its media links
/// (`MediaUrl0`…, with `MediaContentType0`…) in order.
fn sms_message(params: &[(String, String)]) -> Result<(InboundMessage, Vec<MediaLink>), ApiError> {
    let field = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let required = |name: &'static str| {
        field(name).ok_or_else(|| ApiError::bad_request(name, format!("the form has no {name}")))
    };
    let mut numbered: Vec<(usize, String)> = params
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix("MediaUrl")?.parse().ok()?, v.clone())))
        .collect();
    numbered.sort();
    let media = numbered
        .into_iter()
        .map(|(n, url)| (url, field(&format!("MediaContentType{n}"))))
        .collect();
    let inbound = InboundMessage {
        channel: Channel::Sms,
        from: required("From")?,
        provider_id: required("MessageSid")?,
        subject: None,
        body: field("Body").unwrap_or_default(),
        files: Vec::new(),
        in_reply_to: None,
    };
    Ok((inbound, media))
}

/// Each attachment through the upload pipeline (type from the bytes, size
/// limit, thumbnails, blobs stored under leases).
async fn store_attachments(
    ctx: &Ctx,
    attachments: &[InboundAttachment],
) -> Result<Vec<Prepared>, ApiError> {
    let files = &ctx.state.files;
    let mut prepared = Vec::with_capacity(attachments.len());
    for (i, attachment) in attachments.iter().enumerate() {
        let stored = store_attachment(ctx, i, attachment).await;
        match stored {
            Ok(p) => prepared.push(p),
            Err(e) => {
                files.discard(&ctx.state.store, prepared).await;
                return Err(e);
            }
        }
    }
    Ok(prepared)
}

async fn store_attachment(
    ctx: &Ctx,
    i: usize,
    attachment: &InboundAttachment,
) -> Result<Prepared, ApiError> {
    let files = &ctx.state.files;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(attachment.content_base64.trim())
        .map_err(|e| {
            let field = format!("attachments[{i}].content_base64");
            ApiError::bad_request(&field, format!("not base64: {e}"))
        })?;
    let limit = files.limits().max_file_size;
    if bytes.len() as u64 > limit {
        return Err(ApiError::new(
            ErrorCode::PayloadTooLarge,
            format!(
                "attachment `{}` is larger than {limit} bytes",
                attachment.name
            ),
        )
        .with_field(format!("attachments[{i}]")));
    }
    let media = MediaBytes {
        name: attachment.name.clone(),
        content_type: Some(attachment.content_type.clone()),
        bytes,
    };
    store_bytes(ctx, media).await
}

/// An inbound SMS's `MediaUrl{n}` and its `MediaContentType{n}`.
type MediaLink = (String, Option<String>);

/// A file that came with an inbound message.
struct MediaBytes {
    name: String,
    content_type: Option<String>,
    bytes: Vec<u8>,
}

/// Bytes through the upload pipeline, as an upload of them would go.
async fn store_bytes(ctx: &Ctx, media: MediaBytes) -> Result<Prepared, ApiError> {
    let files = &ctx.state.files;
    // A generic type says nothing; the bytes decide.
    let declared_type = media
        .content_type
        .filter(|t| !t.eq_ignore_ascii_case("application/octet-stream"));
    let declared = Declared {
        name: Some(media.name),
        content_type: declared_type,
        length: Some(media.bytes.len() as u64),
    };
    let bytes = Bytes::from(media.bytes);
    let body =
        futures_util::stream::once(async move { Ok::<Bytes, std::convert::Infallible>(bytes) });
    let ingested =
        commcenter_files::ingest(body, declared, files.limits(), files.tmp_dir()).await?;
    Ok(files.prepare(&ctx.state.store, ingested).await?)
}

/// The URL Twilio signed: `{public-url}/api/v1/inbound/sms`, or without a
/// public URL `http://{Host}/api/v1/inbound/sms`.
fn inbound_sms_url(settings: &Settings, headers: &HeaderMap) -> String {
    let base = settings
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", header_text(headers, "host")));
    format!("{base}/api/v1/inbound/sms")
}

fn parse_form(bytes: &[u8]) -> Result<Vec<(String, String)>, ApiError> {
    std::str::from_utf8(bytes)
        .map_err(|_| ApiError::bad_request("body", "the form is not UTF-8"))?;
    Ok(form_urlencoded::parse(bytes).into_owned().collect())
}

/// `Ann Lee <ann@example.com>` → `ann@example.com`; a bare address as it is.
fn bare_address(from: &str) -> &str {
    match (from.rfind('<'), from.rfind('>')) {
        (Some(open), Some(close)) if open < close => from[open + 1..close].trim(),
        _ => from.trim(),
    }
}

fn header_text(headers: &HeaderMap, name: &str) -> String {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned()
}

fn forbidden(message: &str) -> ApiError {
    ApiError::new(ErrorCode::Forbidden, message)
}

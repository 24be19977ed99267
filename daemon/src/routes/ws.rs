//! The WebSocket endpoint and its tickets.

use commcenter::access::Caller;
use commcenter::wire::{ErrorCode, NewWsTicket};
use commcenter::Timestamp;

use super::{bearer_secret, create, Ctx, Replayable};
use crate::error::ApiError;
use crate::http::{Request, Response};
use crate::lease::ConnectionLease;
use crate::realtime::{handshake, Session};

/// # `GET /api/v1/ws`
///
/// Checks the handshake, the `Origin` and the caller (bearer token, or a
/// ticket, redeemed last so that a refused handshake does not spend it),
/// then answers 101 and hands the socket to the hub.
pub async fn connect(ctx: Ctx, mut req: Request) -> Result<Response, ApiError> {
    let hub = ctx.state.realtime.clone();
    let upgrade = handshake::check(
        &req,
        &hub.settings().allowed_origins,
        ctx.state.settings.public_url.as_deref(),
    )?;
    let (caller, token_hash) = authenticate(&ctx, &req, upgrade.ticket.clone()).await?;
    let lease = req.extensions_mut().remove::<ConnectionLease>();
    let on_upgrade = hyper::upgrade::on(&mut req);
    let response = handshake::switching_protocols(&upgrade);
    let session = Session {
        caller,
        token_hash,
        resume: upgrade.resume,
    };
    hub.accept(on_upgrade, session, lease);
    Ok(response)
}

/// The caller and the hash of their token: from `Authorization` when it is
/// sent, otherwise from `?ticket=`. A failed one counts against the client's
/// address (`auth_throttle`). A ticket is redeemed in a store write, so an
/// address over its count is refused before redeeming; a bearer token costs
/// a lookup and is always checked (a valid one is served).
async fn authenticate(
    ctx: &Ctx,
    req: &Request,
    ticket: Option<String>,
) -> Result<(Caller, [u8; 32]), ApiError> {
    let store = &ctx.state.store;
    if let Some(secret) = bearer_secret(req) {
        let hash = commcenter::token::hash_secret(secret);
        let caller = store.auth().authenticate_hash(&hash, Timestamp::now());
        return caller
            .map(|c| (c, hash))
            .ok_or_else(|| ctx.credential_failed(ApiError::unauthorized()));
    }
    let Some(ticket) = ticket else {
        return Err(ApiError::new(
            ErrorCode::Unauthorized,
            "a bearer token or a ?ticket= from POST /api/v1/ws/ticket is required",
        ));
    };
    ctx.refuse_if_throttled()?;
    store
        .write(move |tx| tx.redeem_ws_ticket(&ticket))
        .await?
        .ok_or_else(|| {
            ctx.credential_failed(
                ApiError::new(
                    ErrorCode::Unauthorized,
                    "the ticket is unknown, used or expired",
                )
                .with_field("ticket"),
            )
        })
}

/// # `POST /api/v1/ws/ticket`
///
/// A single-use ticket for the caller's token, for browsers, which cannot
/// set headers on a WebSocket. Only its hash is stored, so a repeated
/// `Idempotency-Key` is refused (409) rather than answered again.
pub async fn issue_ticket(ctx: Ctx, req: Request) -> Result<Response, ApiError> {
    let ttl = ctx.state.realtime.settings().ticket_ttl;
    let ttl_ms = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX);
    create(
        &ctx,
        req,
        Replayable::NoSecret,
        move |tx, caller, _: NewWsTicket| tx.issue_ws_ticket(caller, ttl_ms),
    )
    .await
}

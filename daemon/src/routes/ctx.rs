//! What every handler is given besides the request: the state, the caller,
//! the client's address and the path parameters.
//!
//! A credential that does not authenticate is counted against the client's
//! address (`auth_throttle`): the router does so for a bearer token, routes
//! with credentials of their own call [`Ctx::credential_failed`] (and
//! [`Ctx::refuse_if_throttled`] before a costly check).

use commcenter::access::Caller;
use std::time::Instant;

use commcenter::Timestamp;
use http::header::AUTHORIZATION;

use crate::app::AppState;
use crate::auth_throttle::ClientKey;
use crate::error::ApiError;
use crate::http::{PeerAddr, Request};

/// A request's context: the state, the caller (for authenticated routes) and
/// the path parameters.
pub struct Ctx {
    pub state: AppState,
    caller: Option<Caller>,
    /// A bearer token was sent and is not live (unknown, revoked, expired).
    bearer_failed: bool,
    /// Who sent the request, for the failed-authentication throttle; none
    /// for requests that did not come over a socket.
    client: Option<ClientKey>,
    params: Vec<String>,
}

impl Ctx {
    /// The context of `req`, whose path captured `params`; its caller is the
    /// one behind `Authorization: Bearer <token>` if the token is live.
    pub(crate) fn new(state: AppState, req: &Request, params: Vec<String>) -> Ctx {
        let bearer = bearer_secret(req);
        let caller =
            bearer.and_then(|secret| state.store.auth().authenticate(secret, Timestamp::now()));
        let client = req.extensions().get::<PeerAddr>();
        Ctx {
            state,
            caller,
            bearer_failed: bearer.is_some() && caller.is_none(),
            client: client.map(|peer| ClientKey::of(peer.0.ip())),
            params,
        }
    }

    /// Whether the request sent a bearer token that is not live.
    pub fn bearer_failed(&self) -> bool {
        self.bearer_failed
    }

    /// 429 with `Retry-After` while this client's address is over its count
    /// of failed authentications; for routes that check a credential of
    /// their own, before a check that costs something (a store write).
    pub fn refuse_if_throttled(&self) -> Result<(), ApiError> {
        let throttle = &self.state.auth_throttle;
        match self
            .client
            .and_then(|c| throttle.throttled(c, Instant::now()))
        {
            Some(wait) => Err(throttle.refusal(wait)),
            None => Ok(()),
        }
    }

    /// Counts a failed credential against this client's address and answers
    /// what to send: `error` (the route's own 401), or 429 with
    /// `Retry-After` once the address is over its count.
    pub fn credential_failed(&self, error: ApiError) -> ApiError {
        let throttle = &self.state.auth_throttle;
        match self.client.and_then(|c| throttle.failed(c, Instant::now())) {
            Some(wait) => throttle.refusal(wait),
            None => error,
        }
    }

    /// Whether the request carries a live token.
    pub fn is_authenticated(&self) -> bool {
        self.caller.is_some()
    }

    /// The authenticated caller; every `/api/v1` route but the open ones has one.
    pub fn caller(&self) -> Result<Caller, ApiError> {
        self.caller.ok_or_else(ApiError::unauthorized)
    }

    /// The first path parameter, as an id.
    pub fn id(&self) -> Result<commcenter::Id, ApiError> {
        let raw = self.params.first().map(String::as_str).unwrap_or("");
        crate::http::parse_id("id", raw)
    }

    /// The first path parameter as it came (for segments that are not ids).
    pub fn segment(&self) -> &str {
        self.params.first().map(String::as_str).unwrap_or("")
    }

    /// The largest JSON request body, in bytes.
    pub fn json_limit(&self) -> usize {
        self.state.settings.json_limit_bytes
    }
}

/// The secret of `Authorization: Bearer <token>`, if the header is there.
pub fn bearer_secret(req: &Request) -> Option<&str> {
    let header = req.headers().get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, secret) = header.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(secret.trim())
}

//! What every handler is given besides the request: the state, the caller
//! and the path parameters.

use commcenter::access::Caller;
use commcenter::Timestamp;
use http::header::AUTHORIZATION;

use crate::app::AppState;
use crate::error::ApiError;
use crate::http::Request;

/// A request's context: the state, the caller (for authenticated routes) and
/// the path parameters.
pub struct Ctx {
    pub state: AppState,
    caller: Option<Caller>,
    params: Vec<String>,
}

impl Ctx {
    /// The context of `req`, whose path captured `params`; its caller is the
    /// one behind `Authorization: Bearer <token>` if the token is live.
    pub(crate) fn new(state: AppState, req: &Request, params: Vec<String>) -> Ctx {
        let caller = bearer_secret(req)
            .and_then(|secret| state.store.auth().authenticate(secret, Timestamp::now()));
        Ctx {
            state,
            caller,
            params,
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

//! The WebSocket handshake on bare hyper: the checks an upgrade request
//! must pass before anything is spent on it (a ticket is redeemed only after
//! all of them), and the `101 Switching Protocols` answer.

use bytes::Bytes;
use commcenter::wire::ErrorCode;
use http::header::{
    CONNECTION, HOST, ORIGIN, SEC_WEBSOCKET_ACCEPT, SEC_WEBSOCKET_KEY, SEC_WEBSOCKET_VERSION,
    UPGRADE,
};
use http::{HeaderMap, HeaderValue, StatusCode};
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;

use super::Resume;
use crate::error::ApiError;
use crate::http::{full, Query, Request, Response};

/// A valid upgrade request, before authentication.
pub(crate) struct UpgradeRequest {
    /// The `Sec-WebSocket-Accept` value answering the client's key.
    accept: String,
    pub resume: Option<Resume>,
    /// `?ticket=`, for browsers.
    pub ticket: Option<String>,
}

/// Checks the upgrade headers, the `Origin` and the query. `public_url`
/// (`--public-url`), when set, is the daemon's own origin; otherwise the
/// request's `Host` is.
pub(crate) fn check(
    req: &Request,
    allowed_origins: &[String],
    public_url: Option<&str>,
) -> Result<UpgradeRequest, ApiError> {
    let headers = req.headers();
    let key = websocket_key(headers)?;
    check_origin(req, allowed_origins, public_url)?;
    let query = Query::parse(req);
    let resume = match query.get("since") {
        None => None,
        Some(since) => Some(Resume {
            since: since.parse().map_err(|_| {
                ApiError::bad_request(
                    "since",
                    format!("since must be an event seq (a whole number), not `{since}`"),
                )
            })?,
            epoch: query.get("epoch").map(str::to_owned),
        }),
    };
    Ok(UpgradeRequest {
        accept: derive_accept_key(key.as_bytes()),
        resume,
        ticket: query.get("ticket").map(str::to_owned),
    })
}

/// The client's `Sec-WebSocket-Key`, once the request is a WebSocket
/// upgrade of version 13.
fn websocket_key(headers: &HeaderMap) -> Result<&str, ApiError> {
    let not_upgrade = || {
        ApiError::bad_request(
            "Upgrade",
            "this endpoint is a WebSocket: send `Upgrade: websocket` and `Connection: Upgrade`",
        )
    };
    if !has_token(headers, UPGRADE, "websocket") || !has_token(headers, CONNECTION, "upgrade") {
        return Err(not_upgrade());
    }
    if headers
        .get(SEC_WEBSOCKET_VERSION)
        .and_then(|v| v.to_str().ok())
        != Some("13")
    {
        return Err(ApiError::bad_request(
            "Sec-WebSocket-Version",
            "only WebSocket version 13 is spoken",
        ));
    }
    headers
        .get(SEC_WEBSOCKET_KEY)
        .and_then(|v| v.to_str().ok())
        .filter(|k| !k.trim().is_empty())
        .map(str::trim)
        .ok_or_else(|| ApiError::bad_request("Sec-WebSocket-Key", "Sec-WebSocket-Key is missing"))
}

/// Whether a comma-separated header holds `token`, ignoring case.
fn has_token(headers: &HeaderMap, name: http::header::HeaderName, token: &str) -> bool {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case(token))
}

/// A browser says where the page came from in `Origin`; only the daemon's
/// own origin and the configured ones may open a WebSocket, so that another
/// site cannot ride on a user's ticket. Clients other than browsers send no
/// `Origin` and are not checked.
///
/// Without `--public-url` the own origin is taken from `Host`, which the
/// client chose: a page on `evil.example` reaching the daemon under that
/// name (DNS rebinding) passes. With it, `Host` is not trusted at all.
fn check_origin(
    req: &Request,
    allowed: &[String],
    public_url: Option<&str>,
) -> Result<(), ApiError> {
    let Some(origin) = req.headers().get(ORIGIN) else {
        return Ok(());
    };
    let origin = origin
        .to_str()
        .unwrap_or("")
        .trim()
        .trim_end_matches('/')
        .to_ascii_lowercase();
    let host = req
        .headers()
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| req.uri().authority().map(|a| a.as_str()));
    let own = match public_url {
        Some(url) => same_public_origin(&origin, url),
        None => host.is_some_and(|h| same_origin(&origin, h)),
    };
    if own || allowed.contains(&origin) {
        return Ok(());
    }
    Err(ApiError::new(
        ErrorCode::Forbidden,
        format!("origin `{origin}` may not open a websocket here; add it to --ws-allowed-origins"),
    )
    .with_field("Origin"))
}

/// Whether `origin` (`scheme://host[:port]`) names the `host` the request
/// was sent to; a default port may be left out on either side.
fn same_origin(origin: &str, host: &str) -> bool {
    let Some((scheme, authority)) = origin.split_once("://") else {
        return false;
    };
    let default_port = match scheme {
        "http" => ":80",
        "https" => ":443",
        _ => return false,
    };
    let host = host.trim().to_ascii_lowercase();
    let bare = |a: &str| a.strip_suffix(default_port).unwrap_or(a).to_owned();
    bare(authority) == bare(&host)
}

/// Whether `origin` is the origin of `public_url` (both `scheme://authority`,
/// compared with their schemes, a default port optional).
fn same_public_origin(origin: &str, public_url: &str) -> bool {
    let scheme = |u: &str| u.split_once("://").map(|(s, _)| s.to_owned());
    match public_url.split_once("://") {
        Some((_, authority)) => {
            scheme(origin) == scheme(public_url) && same_origin(origin, authority)
        }
        None => false,
    }
}

/// The `101` that completes the handshake. No extension (and so no
/// compression) and no subprotocol are agreed to.
pub(crate) fn switching_protocols(upgrade: &UpgradeRequest) -> Response {
    let mut response = http::Response::new(full(Bytes::new()));
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let headers = response.headers_mut();
    headers.insert(UPGRADE, HeaderValue::from_static("websocket"));
    headers.insert(CONNECTION, HeaderValue::from_static("Upgrade"));
    if let Ok(accept) = HeaderValue::from_str(&upgrade.accept) {
        headers.insert(SEC_WEBSOCKET_ACCEPT, accept);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_origin_ignores_case_and_default_ports() {
        assert!(same_origin("http://127.0.0.1:8080", "127.0.0.1:8080"));
        assert!(same_origin("https://cc.example.com", "CC.example.com:443"));
        assert!(same_origin("http://cc.example.com:80", "cc.example.com"));
        assert!(!same_origin("http://evil.example", "cc.example.com"));
        assert!(!same_origin("http://127.0.0.1:9999", "127.0.0.1:8080"));
        assert!(!same_origin("null", "127.0.0.1:8080"));
    }
}

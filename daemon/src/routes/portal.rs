//! Sign-in links of the web portals: staff make one for a customer or crew
//! member; the page redeems its code for a token (see `store::portal`).

use commcenter::wire::{
    ErrorCode, NewPortalLink, PortalLink, PortalRedeem, Role, MAX_PORTAL_LINK_DAYS,
};
use http::header::HOST;

use super::{create, Ctx, Replayable};
use crate::error::ApiError;
use crate::http::{json_response, parse_json, read_body, Request, Response};

const DAY_MS: i64 = 86_400_000;

/// # `POST /api/v1/users/{id}/portal-link`
///
/// The code is shown in this answer only, so a repeated `Idempotency-Key`
/// is refused (409) rather than answered again.
pub async fn issue_link(ctx: Ctx, req: Request) -> Result<Response, ApiError> {
    let id = ctx.id()?;
    let base = public_base(&ctx, &req)?;
    let default_days = ctx.state.settings.portal.link_days;
    create(
        &ctx,
        req,
        Replayable::NoSecret,
        move |tx, caller, new: NewPortalLink| {
            let days = match new.expires_in_days {
                Some(d) if !(1..=MAX_PORTAL_LINK_DAYS).contains(&d) => {
                    return Err(commcenter_store::StoreError::invalid(
                        "expires_in_days",
                        format!("expires_in_days must be from 1 to {MAX_PORTAL_LINK_DAYS}"),
                    ))
                }
                Some(d) => d,
                None => default_days,
            };
            let code = tx.issue_portal_code(caller, id, i64::from(days) * DAY_MS)?;
            let page = if code.user.role == Role::Crew {
                "crew"
            } else {
                "portal"
            };
            Ok(PortalLink {
                url: format!("{base}/{page}#code={}", code.secret),
                expires_at: code.expires_at,
            })
        },
    )
    .await
}

/// # `POST /api/v1/portal/redeem`
///
/// No bearer: the code authenticates. Unknown, used and expired codes get
/// the same 401. Not idempotent by key (there is no caller to key it by):
/// a code works once, and a repeat is that 401.
pub async fn redeem(ctx: Ctx, req: Request) -> Result<Response, ApiError> {
    let bytes = read_body(req, ctx.json_limit()).await?;
    let PortalRedeem { code } = parse_json(&bytes)?;
    let token_ms = i64::from(ctx.state.settings.portal.token_days) * DAY_MS;
    let session = ctx
        .state
        .store
        .write(move |tx| tx.redeem_portal_code(&code, token_ms))
        .await?;
    match session {
        Some(session) => Ok(json_response(201, &session)),
        None => Err(ApiError::new(
            ErrorCode::Unauthorized,
            "this sign-in link is unknown, used or expired: ask for a new link",
        )
        .with_field("code")),
    }
}

/// The base of links: `--public-url`, else `http://` and the request's `Host`.
fn public_base(ctx: &Ctx, req: &Request) -> Result<String, ApiError> {
    if let Some(url) = &ctx.state.settings.public_url {
        return Ok(url.clone());
    }
    let host = req
        .headers()
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| is_host(h))
        .ok_or_else(|| {
            ApiError::bad_request(
                "Host",
                "no usable Host header to make the link from; set the daemon's --public-url",
            )
        })?;
    Ok(format!("http://{}", host.to_ascii_lowercase()))
}

/// `host[:port]` or `[v6]:port`: nothing a link could be bent with.
fn is_host(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 255
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::is_host;

    #[test]
    fn only_plain_hosts_make_links() {
        for good in ["chat.example.com", "127.0.0.1:8080", "[::1]:8080"] {
            assert!(is_host(good), "{good}");
        }
        for bad in ["", "evil.com/x", "a b", "x@y", "h#frag", "h?q"] {
            assert!(!is_host(bad), "{bad}");
        }
    }
}

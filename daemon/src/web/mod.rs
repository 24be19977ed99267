//! The customer's and the crew member's web pages (`/portal`, `/crew`) and
//! their scripts and style sheet, embedded in the binary at compile time so
//! that the daemon stays one file.
//!
//! Invariants:
//! - an asset's URL names the first 16 hex digits of its content's SHA-256
//!   (`/assets/app.3f2a….js`), so it may be cached for a year: a change of
//!   the file is a change of its URL. The pages refer to assets by those names
//!   (their `{{asset:NAME}}` placeholders are filled once, at first use);
//! - every answer here, error or not, carries the pages' security headers
//!   (the CSP allows no inline script and no other origin);
//! - the pages speak only the public API; nothing here reads the store.

use std::sync::OnceLock;

use bytes::Bytes;
use http::header::{
    HeaderValue, CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH, REFERRER_POLICY,
    X_CONTENT_TYPE_OPTIONS,
};
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::http::{full, Request, Response};

/// The pages' Content-Security-Policy, as issue 13 gives it.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/// The source files: name, content type, bytes.
const SOURCES: &[(&str, &str, &str)] = &[
    (
        "app.css",
        "text/css; charset=utf-8",
        include_str!("../../web/app.css"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_str!("../../web/app.js"),
    ),
    (
        "portal.js",
        "text/javascript; charset=utf-8",
        include_str!("../../web/portal.js"),
    ),
    (
        "crew.js",
        "text/javascript; charset=utf-8",
        include_str!("../../web/crew.js"),
    ),
];

const PORTAL_HTML: &str = include_str!("../../web/portal.html");
const CREW_HTML: &str = include_str!("../../web/crew.html");

/// One servable file.
pub struct Asset {
    /// The name in URLs: `app.<hash>.js` for assets, the page's path for pages.
    pub name: String,
    pub content_type: &'static str,
    pub bytes: Bytes,
    /// `"<sha256 hex>"`, quoted as a strong ETag.
    pub etag: String,
}

impl Asset {
    fn new(name: String, content_type: &'static str, bytes: Bytes) -> Asset {
        let etag = format!("\"{}\"", hex::encode(Sha256::digest(&bytes)));
        Asset {
            name,
            content_type,
            bytes,
            etag,
        }
    }
}

/// The assets and the two pages, built once.
pub struct Site {
    pub assets: Vec<Asset>,
    pub portal: Asset,
    pub crew: Asset,
}

/// The site, with its fingerprinted names.
pub fn site() -> &'static Site {
    static SITE: OnceLock<Site> = OnceLock::new();
    SITE.get_or_init(build)
}

fn build() -> Site {
    let assets: Vec<Asset> = SOURCES
        .iter()
        .map(|(name, content_type, text)| {
            let digest = hex::encode(Sha256::digest(text.as_bytes()));
            let (stem, ext) = name.rsplit_once('.').unwrap_or((name, ""));
            let fingerprinted = format!("{stem}.{}.{ext}", &digest[..16]);
            Asset::new(
                fingerprinted,
                content_type,
                Bytes::from_static(text.as_bytes()),
            )
        })
        .collect();
    let page = |path: &str, html: &str| {
        let mut text = html.to_owned();
        for (source, asset) in SOURCES.iter().zip(&assets) {
            text = text.replace(
                &format!("{{{{asset:{}}}}}", source.0),
                &format!("/assets/{}", asset.name),
            );
        }
        Asset::new(
            path.to_owned(),
            "text/html; charset=utf-8",
            Bytes::from(text),
        )
    };
    Site {
        portal: page("/portal", PORTAL_HTML),
        crew: page("/crew", CREW_HTML),
        assets,
    }
}

/// The fingerprinted name of the source file `source` (`app.css` →
/// `app.<hash>.css`), for tests and the benchmark.
pub fn asset_name(source: &str) -> Option<&'static str> {
    let index = SOURCES.iter().position(|(name, _, _)| *name == source)?;
    Some(site().assets[index].name.as_str())
}

/// Total weight of a page with everything it loads, uncompressed, in bytes.
pub fn page_weight(page: &Asset) -> usize {
    let text = String::from_utf8_lossy(&page.bytes);
    site()
        .assets
        .iter()
        .filter(|asset| text.contains(&format!("/assets/{}", asset.name)))
        .map(|asset| asset.bytes.len())
        .sum::<usize>()
        + page.bytes.len()
}

/// # `GET /portal`
pub async fn portal(req: Request) -> Result<Response, ApiError> {
    Ok(serve(&site().portal, &req, Caching::Revalidate))
}

/// # `GET /crew`
pub async fn crew(req: Request) -> Result<Response, ApiError> {
    Ok(serve(&site().crew, &req, Caching::Revalidate))
}

/// # `GET /assets/{name}`
pub async fn asset(name: &str, req: Request) -> Result<Response, ApiError> {
    match site().assets.iter().find(|asset| asset.name == name) {
        Some(asset) => Ok(serve(asset, &req, Caching::Immutable)),
        None => Ok(secure(
            ApiError::not_found(format!("asset {name} not found")).into_response(),
        )),
    }
}

/// Pages are checked each time (their names never change); fingerprinted
/// assets are kept for a year.
#[derive(Clone, Copy)]
enum Caching {
    Revalidate,
    Immutable,
}

fn serve(asset: &Asset, req: &Request, caching: Caching) -> Response {
    let fresh = req
        .headers()
        .get(IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| {
            tags.split(',')
                .any(|t| t.trim() == asset.etag || t.trim() == "*")
        });
    let mut response = if fresh {
        let mut response = http::Response::new(full(Bytes::new()));
        *response.status_mut() = http::StatusCode::NOT_MODIFIED;
        response
    } else {
        let mut response = http::Response::new(full(asset.bytes.clone()));
        response
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
        response
    };
    let headers = response.headers_mut();
    if let Ok(etag) = HeaderValue::from_str(&asset.etag) {
        headers.insert(ETAG, etag);
    }
    headers.insert(
        CACHE_CONTROL,
        HeaderValue::from_static(match caching {
            Caching::Revalidate => "no-cache",
            Caching::Immutable => "public, max-age=31536000, immutable",
        }),
    );
    secure(response)
}

/// Adds the pages' security headers to any answer of theirs.
pub fn secure(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert("content-security-policy", HeaderValue::from_static(CSP));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_name_their_assets_by_content_hash() {
        let site = site();
        let portal = String::from_utf8_lossy(&site.portal.bytes);
        assert!(!portal.contains("{{asset:"), "an unfilled placeholder");
        for name in ["app.css", "app.js", "portal.js"] {
            let fingerprinted = asset_name(name).unwrap();
            assert!(
                portal.contains(&format!("/assets/{fingerprinted}")),
                "{name}"
            );
        }
        assert!(
            !portal.contains("crew."),
            "the portal loads the crew script"
        );
    }

    #[test]
    fn each_page_weighs_at_most_80_kb() {
        for page in [&site().portal, &site().crew] {
            let weight = page_weight(page);
            assert!(weight <= 80 * 1024, "{} weighs {weight} bytes", page.name);
        }
    }

    #[test]
    fn pages_carry_no_inline_script_or_style() {
        for page in [&site().portal, &site().crew] {
            let html = String::from_utf8_lossy(&page.bytes);
            assert!(!html.contains("<script>"), "{}", page.name);
            assert!(!html.contains("<style"), "{}", page.name);
            assert!(!html.contains(" style="), "{}", page.name);
            let handler = html
                .split_whitespace()
                .any(|word| word.starts_with("on") && word.contains('='));
            assert!(!handler, "an inline handler in {}", page.name);
        }
    }
}

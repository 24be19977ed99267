//! Request and response helpers shared by every handler.

use std::collections::HashMap;

use bytes::Bytes;
use commcenter::wire::ErrorCode;
use commcenter::Id;
use http::header::{HeaderValue, CONTENT_TYPE};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full, Limited};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::ApiError;

/// Every response body: whole JSON now, streamed files later.
pub type Body = UnsyncBoxBody<Bytes, std::io::Error>;
pub type Response = http::Response<Body>;
/// A request whose body is under the per-client deadlines (see `limits`).
pub type Request = http::Request<crate::limits::TimedBody>;

pub fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into())
        .map_err(|never| match never {})
        .boxed_unsync()
}

/// A JSON answer with `status`.
pub fn json_response<T: Serialize + ?Sized>(status: u16, value: &T) -> Response {
    match serde_json::to_vec(value) {
        Ok(bytes) => json_bytes(status, bytes),
        Err(e) => {
            tracing::error!(error = %e, "response did not serialize");
            json_bytes(
                500,
                br#"{"error":{"code":"internal","message":"internal error","field":null}}"#
                    .to_vec(),
            )
        }
    }
}

/// A JSON answer from already serialized bytes.
pub fn json_bytes(status: u16, bytes: impl Into<Bytes>) -> Response {
    let mut response = http::Response::new(full(bytes));
    *response.status_mut() =
        http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

pub fn no_content() -> Response {
    let mut response = http::Response::new(full(Bytes::new()));
    *response.status_mut() = http::StatusCode::NO_CONTENT;
    response
}

/// Reads a JSON request body of at most `limit` bytes. An empty body reads as `{}`.
pub async fn read_body(req: Request, limit: usize) -> Result<Bytes, ApiError> {
    // curl and many scripts send JSON without (or with a form) content type,
    // so only a multipart body, which is certainly not JSON, is refused.
    if let Some(ct) = req.headers().get(CONTENT_TYPE) {
        let ct = ct.to_str().unwrap_or("").to_ascii_lowercase();
        if ct.starts_with("multipart/") {
            return Err(ApiError::new(
                ErrorCode::UnsupportedMediaType,
                format!("this endpoint takes a JSON body, not `{ct}`"),
            )
            .with_field("Content-Type"));
        }
    }
    match Limited::new(req.into_body(), limit).collect().await {
        Ok(collected) => {
            let bytes = collected.to_bytes();
            Ok(if bytes.iter().all(u8::is_ascii_whitespace) {
                Bytes::from_static(b"{}")
            } else {
                bytes
            })
        }
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(ApiError::new(
            ErrorCode::PayloadTooLarge,
            format!("request body is larger than {limit} bytes"),
        )),
        Err(e) => Err(ApiError::bad_request(
            "body",
            format!("could not read the request body: {e}"),
        )),
    }
}

/// Parses a JSON body into `T`, naming the offending field on failure.
/// Anything but whitespace after the value is refused: a body is one value.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = deserialize_named(&mut deserializer)?;
    deserializer
        .end()
        .map_err(|_| ApiError::bad_request("body", "malformed JSON: data after the JSON value"))?;
    Ok(value)
}

fn deserialize_named<'de, T: DeserializeOwned>(
    deserializer: &mut serde_json::Deserializer<serde_json::de::SliceRead<'de>>,
) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(deserializer).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            return ApiError::bad_request("body", format!("malformed JSON: {inner}"))
                .with_field_opt(None);
        }
        let message = inner.to_string();
        let field = named_field(&message)
            .map(|name| join_path(&path, &name))
            .or_else(|| (path != "." && !path.is_empty()).then_some(path));
        let message = strip_position(&message);
        ApiError {
            code: ErrorCode::BadRequest,
            message,
            field,
            retry_after: None,
        }
    })
}

impl ApiError {
    fn with_field_opt(mut self, field: Option<String>) -> Self {
        self.field = field;
        self
    }
}

/// The field serde names in "unknown field `x`" or "missing field `x`".
fn named_field(message: &str) -> Option<String> {
    let rest = message
        .strip_prefix("unknown field `")
        .or_else(|| message.strip_prefix("missing field `"))?;
    rest.split('`').next().map(str::to_owned)
}

fn join_path(path: &str, name: &str) -> String {
    // For unknown fields serde_path_to_error's path already ends at the field.
    if path.is_empty() || path == "." {
        name.to_owned()
    } else if path.ends_with(name) {
        path.to_owned()
    } else {
        format!("{path}.{name}")
    }
}

/// Drops serde_json's " at line 1 column 17" suffix.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

/// The query string as a map; a repeated parameter keeps its last value.
pub struct Query(HashMap<String, String>);

impl Query {
    pub fn parse(req: &Request) -> Query {
        let pairs = form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes()).into_owned();
        Query(pairs.collect())
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// `?limit=`: default 50, 1 to 500.
    pub fn limit(&self) -> Result<usize, ApiError> {
        match self.get("limit") {
            None => Ok(50),
            Some(v) => match v.parse::<usize>() {
                Ok(n @ 1..=500) => Ok(n),
                _ => Err(ApiError::bad_request(
                    "limit",
                    format!("limit must be a number from 1 to 500, not `{v}`"),
                )),
            },
        }
    }

    pub fn id(&self, name: &str) -> Result<Option<Id>, ApiError> {
        self.get(name).map(|v| parse_id(name, v)).transpose()
    }

    /// An enum parameter, parsed by its serde name.
    pub fn enumerated<T: DeserializeOwned>(&self, name: &str) -> Result<Option<T>, ApiError> {
        self.get(name)
            .map(|v| {
                serde_json::from_value(serde_json::Value::String(v.to_owned())).map_err(|_| {
                    ApiError::bad_request(name, format!("`{v}` is not a valid {name}"))
                })
            })
            .transpose()
    }
}

impl Query {
    /// An RFC 3339 time parameter (`since`, `until`).
    pub fn timestamp(&self, name: &str) -> Result<Option<commcenter::Timestamp>, ApiError> {
        self.get(name)
            .map(|v| {
                commcenter::Timestamp::parse(v).ok_or_else(|| {
                    ApiError::bad_request(
                        name,
                        format!("`{v}` is not an RFC 3339 time such as 2026-11-26T05:15:20Z"),
                    )
                })
            })
            .transpose()
    }

    /// A `true`/`false` parameter.
    pub fn boolean(&self, name: &str) -> Result<Option<bool>, ApiError> {
        self.get(name)
            .map(|v| match v {
                "true" => Ok(true),
                "false" => Ok(false),
                _ => Err(ApiError::bad_request(
                    name,
                    format!("{name} must be true or false, not `{v}`"),
                )),
            })
            .transpose()
    }
}

/// An id from a path or query parameter; a malformed one is a 400.
pub fn parse_id(name: &str, text: &str) -> Result<Id, ApiError> {
    text.parse()
        .map_err(|_| ApiError::bad_request(name, format!("`{text}` is not a valid id")))
}

/// The address a request came from (the TCP peer), put in the request's
/// extensions by the server.
#[derive(Debug, Clone, Copy)]
pub struct PeerAddr(pub std::net::SocketAddr);

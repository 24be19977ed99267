//! The one place that turns failures into HTTP answers.

use commcenter::wire::{ErrorBody, ErrorCode, ErrorDetail};
use commcenter_files::FileError;
use commcenter_store::StoreError;

use crate::http::{json_response, Response};

/// A failed request: an API error code, a message for the client, and the
/// offending field where there is one.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    pub field: Option<String>,
    /// Seconds for `Retry-After` (429 answers that know when to come back).
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
            field: None,
            retry_after: None,
        }
    }

    pub fn with_retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    pub fn bad_request(field: &str, message: impl Into<String>) -> Self {
        ApiError::new(ErrorCode::BadRequest, message).with_field(field)
    }

    pub fn unauthorized() -> Self {
        ApiError::new(
            ErrorCode::Unauthorized,
            "a valid bearer token is required (Authorization: Bearer <token>)",
        )
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        ApiError::new(ErrorCode::NotFound, message)
    }

    pub fn internal() -> Self {
        ApiError::new(ErrorCode::Internal, "internal error; it has been logged")
    }

    pub fn into_response(self) -> Response {
        let status = self.code.status();
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code,
                message: self.message,
                field: self.field,
            },
        };
        let mut response = json_response(status, &body);
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(http::header::RETRY_AFTER, seconds.into());
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        let code = e.code();
        if code == ErrorCode::Internal {
            tracing::error!(error = %e, "store failure");
            return ApiError::internal();
        }
        let field = e.field().map(str::to_owned);
        ApiError {
            code,
            message: e.to_string(),
            field,
            retry_after: None,
        }
    }
}

impl From<FileError> for ApiError {
    fn from(e: FileError) -> Self {
        let code = e.code();
        if code == ErrorCode::Internal {
            tracing::error!(error = %e, "file failure");
        }
        ApiError::new(code, e.public_message())
    }
}

use commcenter::access::{Denied, Forbidden};
use commcenter::wire::ErrorCode;

/// What a store operation can fail with. Domain failures (not found,
/// forbidden, invalid, conflict) carry the message a client will see.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    #[error("{what} {id} not found")]
    NotFound { what: &'static str, id: String },
    #[error("{message}")]
    Forbidden {
        message: String,
        field: Option<&'static str>,
    },
    #[error("{message}")]
    BadRequest {
        message: String,
        field: Option<&'static str>,
    },
    #[error("{message}")]
    Invalid {
        message: String,
        field: Option<&'static str>,
    },
    #[error("{message}")]
    Conflict {
        message: String,
        field: Option<&'static str>,
    },
    #[error("storage error: {0}")]
    Storage(redb::Error),
    #[error("corrupt record: {0}")]
    Corrupt(String),
    #[error(
        "the store was written by a newer commcenter (schema version {found}; this build reads up to {supported}); upgrade commcenterd or use another data dir"
    )]
    NewerSchema { found: u64, supported: u64 },
    #[error("the store is closed")]
    Closed,
    /// The store cannot be written (or, while it is being reopened, read):
    /// a full disk or another I/O failure. Clients see 503 and may retry.
    #[error("the store is unavailable: {0}; try again later")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl StoreError {
    pub fn not_found(what: &'static str, id: impl ToString) -> Self {
        StoreError::NotFound {
            what,
            id: id.to_string(),
        }
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        StoreError::Forbidden {
            message: message.into(),
            field: None,
        }
    }

    pub fn forbidden_field(field: &'static str, message: impl Into<String>) -> Self {
        StoreError::Forbidden {
            message: message.into(),
            field: Some(field),
        }
    }

    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        StoreError::Invalid {
            message: message.into(),
            field: Some(field),
        }
    }

    pub fn conflict(field: Option<&'static str>, message: impl Into<String>) -> Self {
        StoreError::Conflict {
            message: message.into(),
            field,
        }
    }

    /// A refusal from [`commcenter::access`] about `what` `id`: 403 as it says,
    /// or, when it must hide, exactly the 404 of a `what` that does not exist.
    pub fn denied(what: &'static str, id: impl ToString) -> impl FnOnce(Denied) -> Self {
        move |denied| match denied {
            Denied::Forbidden(refusal) => refusal.into(),
            Denied::Hidden => StoreError::not_found(what, id),
        }
    }

    /// The API error code for this failure.
    pub fn code(&self) -> ErrorCode {
        match self {
            StoreError::NotFound { .. } => ErrorCode::NotFound,
            StoreError::Forbidden { .. } => ErrorCode::Forbidden,
            StoreError::BadRequest { .. } => ErrorCode::BadRequest,
            StoreError::Invalid { .. } => ErrorCode::Unprocessable,
            StoreError::Conflict { .. } => ErrorCode::Conflict,
            StoreError::Closed | StoreError::Unavailable(_) => ErrorCode::Unavailable,
            _ => ErrorCode::Internal,
        }
    }

    /// The field the failure is about, where there is one.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            StoreError::Forbidden { field, .. }
            | StoreError::BadRequest { field, .. }
            | StoreError::Invalid { field, .. }
            | StoreError::Conflict { field, .. } => *field,
            _ => None,
        }
    }
}

impl StoreError {
    /// Whether this is a failure of the storage itself (I/O, a full disk),
    /// after which redb wants the database closed and reopened.
    pub fn is_storage_failure(&self) -> bool {
        matches!(self, StoreError::Unavailable(_))
    }
}

impl From<redb::Error> for StoreError {
    /// I/O failures become [`StoreError::Unavailable`]: they say nothing
    /// about the request and pass when the disk does.
    fn from(e: redb::Error) -> Self {
        match e {
            redb::Error::Io(io) => StoreError::Unavailable(io.to_string()),
            redb::Error::PreviousIo | redb::Error::DatabaseClosed => {
                StoreError::Unavailable("the store is recovering from an I/O error".into())
            }
            other => StoreError::Storage(other),
        }
    }
}

impl From<Forbidden> for StoreError {
    fn from(refusal: Forbidden) -> Self {
        StoreError::Forbidden {
            message: refusal.reason,
            field: refusal.field,
        }
    }
}

macro_rules! from_redb {
    ($($error:ty),*) => {$(
        impl From<$error> for StoreError {
            fn from(e: $error) -> Self {
                redb::Error::from(e).into()
            }
        }
    )*};
}

from_redb!(
    redb::TableError,
    redb::StorageError,
    redb::TransactionError,
    redb::CommitError,
    redb::DatabaseError
);

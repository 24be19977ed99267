//! How the wire's scalar types look in a JSON Schema, for the OpenAPI
//! document that the daemon derives from these types.
//!
//! [`Id`] and [`Timestamp`] serialize as strings of a fixed form; their
//! schemas say which, so that a tool generating requests from the document
//! makes values the daemon parses. Both are inlined where used rather than
//! named components: `Option<Id>` then reads `{"type": ["string", "null"]}`.

use std::borrow::Cow;

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};

use crate::{Id, Timestamp};

/// The ids the daemon issues and parses: 26 characters of Crockford base32
/// (a ULID), either case. The first character is at most `7` because 26 × 5
/// bits exceed the 128 bits of a ULID (the `ulid` parser drops the excess
/// bits of a larger one rather than refusing it). Clients treat ids as
/// opaque; the pattern is there so that tools generate ids that parse.
pub const ID_PATTERN: &str = "^[0-7][0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{25}$";

impl JsonSchema for Id {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "Id".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": ID_PATTERN,
            "description": "opaque, time-ordered id"
        })
    }
}

impl JsonSchema for Timestamp {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "Timestamp".into()
    }

    /// Any RFC 3339 time is accepted; answers are UTC with milliseconds.
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "string", "format": "date-time" })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The characters of the pattern's classes, written out.
    const FIRST: &str = "01234567";
    const REST: &str = "0123456789ABCDEFGHJKMNPQRSTVWXYZabcdefghjkmnpqrstvwxyz";

    #[test]
    fn every_character_the_id_pattern_allows_parses() {
        for first in FIRST.chars() {
            for rest in REST.chars() {
                let id = format!("{first}{}", rest.to_string().repeat(25));
                assert!(id.parse::<Id>().is_ok(), "{id} matches the pattern");
            }
        }
    }
}

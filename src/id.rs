//! Opaque, URL-safe, time-ordered identifiers (ULIDs).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A ULID: 48 bits of milliseconds then 80 random bits, so ids sort by creation
/// time. On the wire it is the 26-character Crockford base32 form; in the store
/// it is the `u128`, which redb orders by value as a key (it stores it
/// little-endian and compares the decoded numbers), so that order holds there.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Id(u128);

/// The text given where an id was expected is not one.
#[derive(Debug, Clone, thiserror::Error)]
#[error("`{0}` is not a valid id")]
pub struct IdParseError(pub String);

impl Id {
    /// The id as stored.
    pub const fn to_u128(self) -> u128 {
        self.0
    }

    /// An id read back from the store.
    pub const fn from_u128(raw: u128) -> Self {
        Id(raw)
    }

    /// A fresh id for `at_ms` (milliseconds since the Unix epoch).
    pub fn generate(at_ms: i64) -> Self {
        let ms = u64::try_from(at_ms).unwrap_or(0);
        let ulid = ulid::Ulid::from_parts(ms, rand::random::<u128>());
        Id(ulid.0)
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&ulid::Ulid(self.0), f)
    }
}

impl fmt::Debug for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Id({self})")
    }
}

impl FromStr for Id {
    type Err = IdParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // 26 Crockford base-32 digits hold 130 bits: a first digit over 7
        // would overflow 128 and alias a smaller id, so it is refused.
        if s.len() != 26 || !s.starts_with(|c: char| ('0'..='7').contains(&c)) {
            return Err(IdParseError(s.to_owned()));
        }
        ulid::Ulid::from_string(s)
            .map(|u| Id(u.0))
            .map_err(|_| IdParseError(s.to_owned()))
    }
}

impl Serialize for Id {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_whose_first_digit_overflows_128_bits_is_refused() {
        assert!("80000000000000000000000000".parse::<Id>().is_err());
        assert!("ZZZZZZZZZZZZZZZZZZZZZZZZZZ".parse::<Id>().is_err());
        assert!("7ZZZZZZZZZZZZZZZZZZZZZZZZZ".parse::<Id>().is_ok());
    }

    #[test]
    fn ids_round_trip_through_text() {
        let id = Id::generate(1_700_000_000_000);
        let text = id.to_string();
        assert_eq!(text.len(), 26);
        assert_eq!(text.parse::<Id>().unwrap(), id);
    }

    #[test]
    fn later_ids_sort_after_earlier_ones() {
        assert!(Id::generate(1_000) < Id::generate(2_000));
    }

    #[test]
    fn garbage_is_not_an_id() {
        assert!("not-an-id".parse::<Id>().is_err());
        assert!("../../etc/passwd".parse::<Id>().is_err());
    }
}

//! The content address of a blob.

use std::fmt;

use sha2::{Digest, Sha256};

/// The SHA-256 of a blob's bytes as 64 lower-case hex digits; its name in every store.
///
/// Invariant: always exactly 64 characters of `[0-9a-f]`, so it is safe as a path
/// component and as an object key, and doubles as the HTTP `ETag`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlobKey(String);

impl BlobKey {
    /// Accepts exactly 64 lower-case hex digits (as stored by the daemon).
    pub fn parse(hex: &str) -> Option<Self> {
        let valid = hex.len() == 64 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        valid.then(|| Self(hex.to_owned()))
    }

    /// The key of `bytes` (hashes them; for small buffers such as thumbnails).
    pub fn of_bytes(bytes: &[u8]) -> Self {
        Self::from_digest(Sha256::digest(bytes).into())
    }

    pub(crate) fn from_digest(digest: [u8; 32]) -> Self {
        Self(hex::encode(digest))
    }

    /// The 64 hex digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The two directory levels a blob is sharded into (`ab`, `cd` for `abcd…`), which
    /// keep any one directory at ≤ 256 entries up to millions of blobs.
    pub(crate) fn shards(&self) -> (&str, &str) {
        (&self.0[0..2], &self.0[2..4])
    }
}

impl fmt::Display for BlobKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for BlobKey {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_accepts_only_lower_case_sha256_hex() {
        let empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        assert_eq!(BlobKey::of_bytes(b"").as_str(), empty);
        assert!(BlobKey::parse(empty).is_some());
        assert!(BlobKey::parse(&empty.to_uppercase()).is_none());
        assert!(BlobKey::parse("../etc/passwd").is_none());
        assert!(BlobKey::parse(&empty[1..]).is_none());
    }
}

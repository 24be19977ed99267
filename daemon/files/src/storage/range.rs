//! Byte ranges of a blob, as HTTP `Range` requests them.

use crate::FileError;

/// Bytes `first..=last` of a blob (inclusive, like `Content-Range: bytes first-last/size`).
///
/// Invariant: `first <= last`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    first: u64,
    last: u64,
}

impl ByteRange {
    /// `None` if `first > last`.
    pub fn new(first: u64, last: u64) -> Option<Self> {
        (first <= last).then_some(Self { first, last })
    }

    /// Offset of the first byte.
    pub fn first(&self) -> u64 {
        self.first
    }

    /// Offset of the last byte (inclusive).
    pub fn last(&self) -> u64 {
        self.last
    }

    /// Number of bytes in the range (never 0).
    pub fn len(&self) -> u64 {
        self.last - self.first + 1
    }

    /// Always false: a range holds at least one byte.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// This range cut to a blob of `size` bytes: a `last` past the end is clamped (as
    /// RFC 9110 says); a `first` past the end is `RangeNotSatisfiable`.
    pub fn within(self, size: u64) -> Result<Self, FileError> {
        if self.first >= size {
            return Err(FileError::RangeNotSatisfiable { size });
        }
        Ok(Self {
            first: self.first,
            last: self.last.min(size - 1),
        })
    }

    /// Reads a `Range` header value for a blob of `size` bytes.
    ///
    /// `Ok(None)` means "serve the whole blob": the header is malformed, not in bytes,
    /// or asks for several ranges (RFC 9110 lets a server ignore those).
    /// `RangeNotSatisfiable` when the single range lies outside the blob (HTTP 416).
    pub fn from_header(value: &str, size: u64) -> Result<Option<Self>, FileError> {
        let Some(spec) = strip_prefix_ignore_case(value.trim(), "bytes=") else {
            return Ok(None);
        };
        if spec.contains(',') {
            return Ok(None);
        }
        let Some((first, last)) = spec.trim().split_once('-') else {
            return Ok(None);
        };
        match (first.trim(), last.trim()) {
            ("", suffix) => Self::suffix(suffix, size),
            (first, "") => Self::from_offset(first, size),
            (first, last) => Self::bounded(first, last, size),
        }
    }

    /// `bytes=-n`: the last `n` bytes.
    fn suffix(suffix: &str, size: u64) -> Result<Option<Self>, FileError> {
        let Ok(count) = suffix.parse::<u64>() else {
            return Ok(None);
        };
        if count == 0 || size == 0 {
            return Err(FileError::RangeNotSatisfiable { size });
        }
        Ok(Some(Self {
            first: size.saturating_sub(count),
            last: size - 1,
        }))
    }

    /// `bytes=a-`: from offset `a` to the end.
    fn from_offset(first: &str, size: u64) -> Result<Option<Self>, FileError> {
        let Ok(first) = first.parse::<u64>() else {
            return Ok(None);
        };
        Self {
            first,
            last: u64::MAX,
        }
        .within(size)
        .map(Some)
    }

    /// `bytes=a-b`.
    fn bounded(first: &str, last: &str, size: u64) -> Result<Option<Self>, FileError> {
        let (Ok(first), Ok(last)) = (first.parse::<u64>(), last.parse::<u64>()) else {
            return Ok(None);
        };
        match Self::new(first, last) {
            Some(range) => range.within(size).map(Some),
            None => Ok(None),
        }
    }
}

fn strip_prefix_ignore_case<'v>(value: &'v str, prefix: &str) -> Option<&'v str> {
    let head = value.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &value[prefix.len()..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(value: &str, size: u64) -> Result<Option<(u64, u64)>, u64> {
        match ByteRange::from_header(value, size) {
            Ok(range) => Ok(range.map(|r| (r.first(), r.last()))),
            Err(FileError::RangeNotSatisfiable { size }) => Err(size),
            Err(other) => panic!("unexpected {other}"),
        }
    }

    #[test]
    fn bounded_offset_and_suffix_ranges_are_read() {
        assert_eq!(parse("bytes=0-99", 1000), Ok(Some((0, 99))));
        assert_eq!(parse("bytes=900-", 1000), Ok(Some((900, 999))));
        assert_eq!(parse("bytes=-100", 1000), Ok(Some((900, 999))));
        assert_eq!(parse("bytes=-5000", 1000), Ok(Some((0, 999))));
    }

    #[test]
    fn last_past_the_end_is_clamped() {
        assert_eq!(parse("bytes=10-5000", 1000), Ok(Some((10, 999))));
    }

    #[test]
    fn start_past_the_end_is_not_satisfiable() {
        assert_eq!(parse("bytes=1000-", 1000), Err(1000));
        assert_eq!(parse("bytes=-0", 1000), Err(1000));
        assert_eq!(parse("bytes=0-0", 0), Err(0));
    }

    #[test]
    fn malformed_or_multiple_ranges_mean_whole_blob() {
        for value in [
            "items=0-1",
            "bytes=5-1",
            "bytes=a-b",
            "bytes=0-1,5-6",
            "bytes=7",
        ] {
            assert_eq!(parse(value, 1000), Ok(None), "{value}");
        }
    }
}

//! Deciding a file's type from its bytes, and refusing declared types or names that
//! say otherwise.
//!
//! Order of trust: the bytes decide the kind; the declared `Content-Type` and the file
//! name may only *refine* it (plain text declared as CSV is CSV; an MPEG-4 file of a
//! generic brand named `.m4a` is M4A) and otherwise must agree with it.

use crate::kind::FileKind;
use crate::FileError;

/// How many leading bytes the sniffer looks at. OOXML detection searches a few KiB into
/// the ZIP; everything else needs far less.
pub(crate) const SNIFF_LEN: usize = 64 * 1024;

/// Extensions of active content (markup and scripts). A file named like this is refused
/// whatever its bytes, so that no HTML or SVG ever gets in as "plain text".
const ACTIVE_EXTENSIONS: &[&str] = &[
    "html", "htm", "xhtml", "shtml", "mht", "mhtml", "svg", "svgz", "js", "mjs", "xml", "xsl",
    "xslt", "hta",
];

/// What the leading bytes say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Magic {
    /// An allowed kind.
    Allowed(FileKind),
    /// A recognised binary type that is not allowed (its media type, for the message).
    Refused(&'static str),
    /// Markup or script (HTML, XML, SVG, shell): text, but never allowed as text.
    Active(&'static str),
    /// No known signature.
    Unknown,
}

/// Decides the kind of a file from its first bytes (`head`, up to [`SNIFF_LEN`]),
/// whether the *whole* file is UTF-8 without NUL (`whole_is_text`), and what the client
/// declared. Errors are always `UnsupportedType`.
pub(crate) fn classify(
    head: &[u8],
    whole_is_text: bool,
    declared_type: Option<&str>,
    name: Option<&str>,
) -> Result<FileKind, FileError> {
    let declared_type = declared_type.and_then(essence);
    let extension = name.and_then(extension);
    let detected = detect(head, whole_is_text)?;
    let kind = refine(detected, declared_type.as_deref(), extension.as_deref());
    check_declared_type(kind, declared_type.as_deref())?;
    check_extension(kind, extension.as_deref())?;
    Ok(kind)
}

/// The kind from the bytes alone (before refinement by the declared type or name).
fn detect(head: &[u8], whole_is_text: bool) -> Result<FileKind, FileError> {
    match magic(head) {
        Magic::Allowed(kind) => Ok(kind),
        // Weak binary signatures (BMP is just "BM") match ordinary text; a file that is
        // valid UTF-8 without NUL throughout is text, whatever its first two bytes.
        Magic::Refused(_) | Magic::Unknown if whole_is_text => Ok(FileKind::Text),
        Magic::Refused(mime) | Magic::Active(mime) => Err(FileError::UnsupportedType(format!(
            "files of type {mime} are not allowed"
        ))),
        Magic::Unknown => Err(FileError::UnsupportedType(
            "file type not recognised or not allowed".to_owned(),
        )),
    }
}

fn magic(head: &[u8]) -> Magic {
    if let Some(found) = iso_bmff(head).or_else(|| ooxml(head)) {
        return found;
    }
    if looks_like_svg(head) {
        return Magic::Active("image/svg+xml");
    }
    match infer::get(head) {
        Some(found) => from_infer(found.mime_type()),
        None => Magic::Unknown,
    }
}

/// Maps `infer`'s verdict onto the allow-list.
fn from_infer(mime: &'static str) -> Magic {
    let kind = match mime {
        "audio/m4a" => FileKind::M4a,
        "audio/opus" => FileKind::Ogg,
        "audio/x-wav" => FileKind::Wav,
        "image/heif" => FileKind::Heic,
        // Canonical names only: infer says "application/zip" for a plain ZIP, which
        // must not pass as DOCX through the alias list. infer never says "text/plain";
        // text is decided by the whole-file check.
        other => match FileKind::ALL.into_iter().find(|kind| kind.mime() == other) {
            Some(kind) => kind,
            None if other.starts_with("text/") => return Magic::Active(other),
            None => return Magic::Refused(other),
        },
    };
    Magic::Allowed(kind)
}

/// Classifies ISO base media files (`ftyp` box first) by brand, which `infer` does only
/// loosely: HEIC vs AVIF, M4A vs MP4 vs MOV vs 3GPP. `None` when there is no `ftyp`.
fn iso_bmff(head: &[u8]) -> Option<Magic> {
    if head.len() < 16 || &head[4..8] != b"ftyp" {
        return None;
    }
    let box_len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
    let major: [u8; 4] = head[8..12].try_into().ok()?;
    let compatible: Vec<[u8; 4]> = head[16..box_len.clamp(16, head.len())]
        .chunks_exact(4)
        .filter_map(|brand| brand.try_into().ok())
        .collect();
    Some(by_brand(&major, &compatible))
}

fn by_brand(major: &[u8; 4], compatible: &[[u8; 4]]) -> Magic {
    const HEIC: &[&[u8; 4]] = &[
        b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs",
    ];
    const MP4: &[&[u8; 4]] = &[
        b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"iso7", b"iso8", b"iso9", b"mp41",
        b"mp42", b"mp71", b"avc1", b"dash", b"mmp4", b"MSNV", b"M4V ", b"M4VH", b"M4VP", b"f4v ",
    ];
    let any_of = |set: &[&[u8; 4]], brand: &[u8; 4]| set.contains(&brand);
    match major {
        b"avif" | b"avis" => Magic::Refused("image/avif"),
        b"mif1" | b"msf1" if compatible.iter().any(|b| b == b"avif" || b == b"avis") => {
            Magic::Refused("image/avif")
        }
        b"mif1" | b"msf1" if compatible.iter().any(|b| any_of(HEIC, b)) => {
            Magic::Allowed(FileKind::Heic)
        }
        b"mif1" | b"msf1" => Magic::Refused("image/heif"),
        b"M4A " | b"M4B " | b"M4P " => Magic::Allowed(FileKind::M4a),
        b"qt  " => Magic::Allowed(FileKind::Mov),
        brand if any_of(HEIC, brand) => Magic::Allowed(FileKind::Heic),
        brand if any_of(MP4, brand) => Magic::Allowed(FileKind::Mp4),
        [b'3', b'g', ..] => Magic::Refused("video/3gpp"),
        _ => Magic::Refused("video/iso.segment"),
    }
}

/// Office Open XML by the names of the ZIP entries in `head`: a `[Content_Types].xml`
/// plus `word/…` (DOCX) or `xl/…` (XLSX) parts. `infer` guesses from the third or fourth
/// entry only and calls small valid documents plain ZIPs. `None` when not OOXML.
fn ooxml(head: &[u8]) -> Option<Magic> {
    const LOCAL_HEADER: &[u8] = b"PK\x03\x04";
    if !head.starts_with(LOCAL_HEADER) {
        return None;
    }
    let names: Vec<&[u8]> = head
        .windows(LOCAL_HEADER.len())
        .enumerate()
        .filter(|(_, window)| *window == LOCAL_HEADER)
        .filter_map(|(at, _)| zip_entry_name(head, at))
        .collect();
    if !names.contains(&&b"[Content_Types].xml"[..]) {
        return None;
    }
    let has_part = |dir: &[u8]| names.iter().any(|name| name.starts_with(dir));
    if has_part(b"word/") {
        Some(Magic::Allowed(FileKind::Docx))
    } else if has_part(b"xl/") {
        Some(Magic::Allowed(FileKind::Xlsx))
    } else {
        None
    }
}

/// The file name of the ZIP local file header at `at` (name length at +26, name at +30).
fn zip_entry_name(head: &[u8], at: usize) -> Option<&[u8]> {
    let len = u16::from_le_bytes([*head.get(at + 26)?, *head.get(at + 27)?]) as usize;
    head.get(at + 30..at + 30 + len)
}

/// SVG without an XML prolog, which `infer` does not catch.
fn looks_like_svg(head: &[u8]) -> bool {
    let start = head
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(head.len());
    head[start..]
        .get(..4)
        .is_some_and(|tag| tag.eq_ignore_ascii_case(b"<svg"))
}

/// Lets the declared type or the name narrow the detected kind where the bytes cannot
/// tell: CSV is text, and M4A is often written with a generic MPEG-4 brand.
fn refine(detected: FileKind, declared_type: Option<&str>, extension: Option<&str>) -> FileKind {
    let claims = |kind: FileKind| {
        declared_type.is_some_and(|mime| kind.answers_to_mime(mime))
            || extension.is_some_and(|ext| kind.extensions().contains(&ext))
    };
    match detected {
        FileKind::Text if claims(FileKind::Csv) => FileKind::Csv,
        FileKind::Mp4 if claims(FileKind::M4a) => FileKind::M4a,
        other => other,
    }
}

/// A declared type must name the kind, or be absent or `application/octet-stream`
/// ("I don't know").
fn check_declared_type(kind: FileKind, declared_type: Option<&str>) -> Result<(), FileError> {
    match declared_type {
        None | Some("application/octet-stream") => Ok(()),
        Some(mime) if kind.answers_to_mime(mime) || related(kind, FileKind::from_mime(mime)) => {
            Ok(())
        }
        Some(mime) => Err(FileError::UnsupportedType(format!(
            "declared type {mime} does not match the content ({kind})"
        ))),
    }
}

/// A known extension must name the kind; active-content extensions are always refused;
/// unknown extensions say nothing.
fn check_extension(kind: FileKind, extension: Option<&str>) -> Result<(), FileError> {
    let Some(ext) = extension else {
        return Ok(());
    };
    if ACTIVE_EXTENSIONS.contains(&ext) {
        return Err(FileError::UnsupportedType(format!(
            "files named .{ext} are not allowed"
        )));
    }
    match FileKind::from_extension(ext) {
        Some(named) if named != kind && !related(kind, Some(named)) => {
            Err(FileError::UnsupportedType(format!(
                "file name .{ext} does not match the content ({kind})"
            )))
        }
        _ => Ok(()),
    }
}

/// Kinds that share a container and differ only in use: text and CSV; MP4 and M4A.
fn related(kind: FileKind, other: Option<FileKind>) -> bool {
    use FileKind::{Csv, M4a, Mp4, Text};
    matches!(
        (kind, other),
        (Text | Csv, Some(Text | Csv)) | (Mp4 | M4a, Some(Mp4 | M4a))
    )
}

/// `Image/JPEG; charset=x` → `image/jpeg`; `None` for an empty value.
fn essence(content_type: &str) -> Option<String> {
    let essence = content_type.split(';').next().unwrap_or("").trim();
    (!essence.is_empty()).then(|| essence.to_ascii_lowercase())
}

/// The lower-case extension of the last path component, if it has one.
fn extension(name: &str) -> Option<String> {
    let last = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let (stem, ext) = last.rsplit_once('.')?;
    (!stem.is_empty() && !ext.is_empty()).then(|| ext.trim().to_ascii_lowercase())
}

/// Tracks, chunk by chunk, whether a byte stream is UTF-8 without NUL bytes.
///
/// Invariant: `pending` holds the first bytes of a multi-byte sequence that straddles
/// the previous chunk boundary (at most 3 bytes), `pending_len` of them.
#[derive(Debug)]
pub(crate) struct TextCheck {
    is_text: bool,
    pending: [u8; 4],
    pending_len: usize,
}

impl TextCheck {
    pub(crate) fn new() -> Self {
        Self {
            is_text: true,
            pending: [0; 4],
            pending_len: 0,
        }
    }

    /// Feeds the next chunk. Costs nothing once the stream is known not to be text.
    pub(crate) fn feed(&mut self, chunk: &[u8]) {
        if !self.is_text {
            return;
        }
        if chunk.contains(&0) {
            self.is_text = false;
            return;
        }
        let rest = self.complete_pending(chunk);
        self.check_run(rest);
    }

    /// Whether everything fed was UTF-8 without NUL, with no sequence left unfinished.
    pub(crate) fn finish(&self) -> bool {
        self.is_text && self.pending_len == 0
    }

    /// Completes a sequence carried over from the previous chunk; returns the rest.
    fn complete_pending<'c>(&mut self, chunk: &'c [u8]) -> &'c [u8] {
        if self.pending_len == 0 {
            return chunk;
        }
        let width = sequence_width(self.pending[0]);
        let take = (width - self.pending_len).min(chunk.len());
        self.pending[self.pending_len..self.pending_len + take].copy_from_slice(&chunk[..take]);
        self.pending_len += take;
        if self.pending_len == width {
            self.is_text = std::str::from_utf8(&self.pending[..width]).is_ok();
            self.pending_len = 0;
        }
        &chunk[take..]
    }

    fn check_run(&mut self, run: &[u8]) {
        if !self.is_text {
            return;
        }
        match std::str::from_utf8(run) {
            Ok(_) => {}
            // A valid prefix of a sequence cut by the chunk boundary.
            Err(err) if err.error_len().is_none() => {
                let tail = &run[err.valid_up_to()..];
                self.pending[..tail.len()].copy_from_slice(tail);
                self.pending_len = tail.len();
            }
            Err(_) => self.is_text = false,
        }
    }
}

/// Length of the UTF-8 sequence that `lead` starts (only called on valid lead bytes).
fn sequence_width(lead: u8) -> usize {
    match lead {
        0xF0..=0xF7 => 4,
        0xE0..=0xEF => 3,
        _ => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use commcenter::wire::ErrorCode;

    fn text_of(chunks: &[&[u8]]) -> bool {
        let mut check = TextCheck::new();
        chunks.iter().for_each(|chunk| check.feed(chunk));
        check.finish()
    }

    #[test]
    fn utf8_split_across_chunks_is_text() {
        let euro = "€".as_bytes();
        assert!(text_of(&[
            b"price 5",
            &euro[..1],
            &euro[1..2],
            &euro[2..],
            b" ok"
        ]));
    }

    #[test]
    fn truncated_utf8_at_end_is_not_text() {
        assert!(!text_of(&[b"abc", &"€".as_bytes()[..2]]));
    }

    #[test]
    fn nul_byte_is_not_text() {
        assert!(!text_of(&[b"abc\0def"]));
    }

    #[test]
    fn text_starting_like_bmp_is_text() {
        assert_eq!(
            classify(b"BMW service notes", true, None, Some("notes.txt")).unwrap(),
            FileKind::Text
        );
    }

    #[test]
    fn html_is_refused_even_named_txt() {
        let err = classify(b"<!DOCTYPE html><p>hi", true, None, Some("a.txt")).unwrap_err();
        assert_eq!(err.code(), ErrorCode::UnsupportedMediaType);
    }

    #[test]
    fn svg_without_prolog_is_refused() {
        assert!(classify(b"  <svg xmlns='x'/>", true, None, None).is_err());
    }

    #[test]
    fn text_declared_csv_is_csv() {
        assert_eq!(
            classify(b"a,b\n1,2\n", true, Some("text/csv; charset=utf-8"), None).unwrap(),
            FileKind::Csv
        );
    }

    #[test]
    fn text_named_csv_is_csv() {
        assert_eq!(
            classify(b"a,b\n", true, None, Some("Q3 report.CSV")).unwrap(),
            FileKind::Csv
        );
    }

    #[test]
    fn generic_mp4_named_m4a_is_m4a() {
        let head = b"\0\0\0\x18ftypisom\0\0\x02\0isomiso2";
        assert_eq!(
            classify(head, false, None, Some("memo.m4a")).unwrap(),
            FileKind::M4a
        );
    }

    #[test]
    fn avif_is_refused() {
        let head = b"\0\0\0\x1cftypavif\0\0\0\0avifmif1miaf";
        assert!(classify(head, false, None, None).is_err());
    }

    #[test]
    fn octet_stream_means_unknown() {
        assert_eq!(
            classify(b"hello", true, Some("application/octet-stream"), None).unwrap(),
            FileKind::Text
        );
    }

    #[test]
    fn extension_is_read_from_the_last_component_only() {
        assert_eq!(extension("dir.jpg/notes").as_deref(), None);
        assert_eq!(extension(".bashrc").as_deref(), None);
        assert_eq!(extension("a.tar.GZ").as_deref(), Some("gz"));
    }
}

//! The allow-list of file types (API.md "Files") and what each is called on the wire.

use std::fmt;

/// One allowed file type, as decided from the bytes.
///
/// This list *is* the allow-list: a file whose bytes are none of these is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FileKind {
    Jpeg,
    Png,
    Gif,
    Webp,
    Heic,
    Pdf,
    /// UTF-8 without NUL bytes, checked over the whole file.
    Text,
    /// Text (as above) declared or named as CSV; the bytes are not parsed.
    Csv,
    Docx,
    Xlsx,
    Mp3,
    M4a,
    Ogg,
    Wav,
    Mp4,
    Mov,
    Webm,
}

impl FileKind {
    /// Every allowed kind, in API.md's order.
    pub const ALL: [FileKind; 17] = [
        Self::Jpeg,
        Self::Png,
        Self::Gif,
        Self::Webp,
        Self::Heic,
        Self::Pdf,
        Self::Text,
        Self::Csv,
        Self::Docx,
        Self::Xlsx,
        Self::Mp3,
        Self::M4a,
        Self::Ogg,
        Self::Wav,
        Self::Mp4,
        Self::Mov,
        Self::Webm,
    ];

    /// The canonical media type stored and served for this kind. Text kinds are
    /// verified UTF-8, so serving them with `; charset=utf-8` is correct.
    pub fn mime(self) -> &'static str {
        self.table().0
    }

    /// Other media types clients commonly declare for this kind; declaring one of
    /// these (or the canonical one) does not contradict the bytes.
    fn mime_aliases(self) -> &'static [&'static str] {
        self.table().1
    }

    /// File-name extensions (lower case, no dot) that name this kind.
    pub fn extensions(self) -> &'static [&'static str] {
        self.table().2
    }

    /// Images get width, height and a thumbnail; see [`FileKind::is_decodable_image`].
    pub fn is_image(self) -> bool {
        matches!(
            self,
            Self::Jpeg | Self::Png | Self::Gif | Self::Webp | Self::Heic
        )
    }

    /// Images this crate can decode (HEIC is allowed but not decoded: no pure-Rust
    /// decoder is good enough, so HEIC files get no thumbnail and no dimensions).
    pub fn is_decodable_image(self) -> bool {
        self.is_image() && self != Self::Heic
    }

    /// Whether `mime` (lower case, without parameters) names this kind.
    pub(crate) fn answers_to_mime(self, mime: &str) -> bool {
        self.mime() == mime || self.mime_aliases().contains(&mime)
    }

    /// The kind a lower-case extension names, if any.
    pub(crate) fn from_extension(ext: &str) -> Option<FileKind> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.extensions().contains(&ext))
    }

    /// The kind whose canonical or alias media type is `mime`, if any.
    pub(crate) fn from_mime(mime: &str) -> Option<FileKind> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.answers_to_mime(mime))
    }

    /// (canonical media type, aliases, extensions)
    fn table(
        self,
    ) -> (
        &'static str,
        &'static [&'static str],
        &'static [&'static str],
    ) {
        match self {
            Self::Jpeg => (
                "image/jpeg",
                &["image/jpg", "image/pjpeg"],
                &["jpg", "jpeg", "jpe", "jfif"],
            ),
            Self::Png => ("image/png", &["image/x-png"], &["png"]),
            Self::Gif => ("image/gif", &[], &["gif"]),
            Self::Webp => ("image/webp", &[], &["webp"]),
            Self::Heic => (
                "image/heic",
                &["image/heif", "image/heic-sequence"],
                &["heic", "heif"],
            ),
            Self::Pdf => ("application/pdf", &["application/x-pdf"], &["pdf"]),
            Self::Text => (
                "text/plain",
                &["text/markdown", "text/x-markdown", "text/x-log"],
                &["txt", "text", "log", "md"],
            ),
            Self::Csv => ("text/csv", &["application/csv", "text/x-csv"], &["csv"]),
            Self::Docx => (
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                &["application/zip"],
                &["docx"],
            ),
            Self::Xlsx => (
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                &["application/zip"],
                &["xlsx"],
            ),
            Self::Mp3 => (
                "audio/mpeg",
                &["audio/mp3", "audio/x-mpeg", "audio/x-mp3"],
                &["mp3"],
            ),
            Self::M4a => (
                "audio/mp4",
                &["audio/m4a", "audio/x-m4a", "audio/aac"],
                &["m4a"],
            ),
            Self::Ogg => (
                "audio/ogg",
                &["audio/opus", "application/ogg", "audio/vorbis"],
                &["ogg", "oga", "opus"],
            ),
            Self::Wav => (
                "audio/wav",
                &["audio/x-wav", "audio/wave", "audio/vnd.wave"],
                &["wav"],
            ),
            Self::Mp4 => ("video/mp4", &["application/mp4"], &["mp4", "m4v"]),
            Self::Mov => ("video/quicktime", &[], &["mov", "qt"]),
            Self::Webm => ("video/webm", &["audio/webm"], &["webm"]),
        }
    }
}

impl fmt::Display for FileKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.mime())
    }
}

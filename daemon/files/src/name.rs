//! File names are for display only: they are never used as paths.

/// Longest display name kept, in characters.
pub const MAX_NAME_CHARS: usize = 200;

/// Longest extension kept when a long name is shortened, in characters.
const MAX_EXTENSION_CHARS: usize = 16;

/// Name used when nothing displayable is left.
const FALLBACK_NAME: &str = "file";

/// Makes a client-supplied file name safe to show: keeps only the last path component
/// (`/` or `\` separated), drops control and bidirectional-override characters, trims
/// whitespace, and shortens it to [`MAX_NAME_CHARS`] characters keeping the extension.
/// The result is never empty, never `.` or `..`.
pub fn sanitize_name(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or(raw);
    let cleaned: String = last.chars().filter(|c| is_displayable(*c)).collect();
    let trimmed = cleaned.trim();
    if trimmed.is_empty() || trimmed == "." || trimmed == ".." {
        return FALLBACK_NAME.to_owned();
    }
    shorten(trimmed)
}

/// Control characters and the Unicode bidi controls that let `photo\u{202E}gpj.exe`
/// display as `photoexe.jpg`.
fn is_displayable(c: char) -> bool {
    let bidi =
        matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
    !c.is_control() && !bidi
}

/// Cuts the stem so that stem + extension fit in [`MAX_NAME_CHARS`].
fn shorten(name: &str) -> String {
    if name.chars().count() <= MAX_NAME_CHARS {
        return name.to_owned();
    }
    let extension = name
        .rsplit_once('.')
        .map(|(_, ext)| ext)
        .filter(|ext| !ext.is_empty() && ext.chars().count() <= MAX_EXTENSION_CHARS);
    match extension {
        Some(ext) => {
            let stem_chars = MAX_NAME_CHARS - ext.chars().count() - 1;
            let stem: String = name.chars().take(stem_chars).collect();
            format!("{}.{ext}", stem.trim_end())
        }
        None => name.chars().take(MAX_NAME_CHARS).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_components_are_dropped() {
        assert_eq!(sanitize_name("../../etc/passwd"), "passwd");
        assert_eq!(sanitize_name(r"C:\Users\ann\boiler.jpg"), "boiler.jpg");
    }

    #[test]
    fn control_and_bidi_characters_are_dropped() {
        assert_eq!(sanitize_name("photo\u{202E}gpj.exe\n"), "photogpj.exe");
    }

    #[test]
    fn empty_and_dot_names_fall_back() {
        for raw in ["", "   ", "a/", "..", "\u{7}"] {
            assert_eq!(sanitize_name(raw), FALLBACK_NAME, "{raw:?}");
        }
    }

    #[test]
    fn long_names_keep_their_extension() {
        let name = sanitize_name(&format!("{}.pdf", "é".repeat(500)));
        assert_eq!(name.chars().count(), MAX_NAME_CHARS);
        assert!(name.ends_with("é.pdf"));
    }
}

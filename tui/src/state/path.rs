//! Tab completion of local paths for the attach and save prompts: the
//! longest common prefix of the entries that start with what was typed, a
//! `/` after a lone directory. Reads one directory of the local disk (fast,
//! no network), so it runs inside `update`.

use std::path::{Path, PathBuf};

/// `input` completed as far as the entries of its directory agree, and the
/// candidates when they do not (names only, at most a screenful).
pub fn complete(input: &str) -> (String, Vec<String>) {
    let expanded = expand_home(input);
    let (dir, prefix) = match expanded.rfind('/') {
        Some(i) => (&expanded[..=i], &expanded[i + 1..]),
        None => ("", expanded.as_str()),
    };
    let listed = if dir.is_empty() {
        Path::new(".")
    } else {
        Path::new(dir)
    };
    let Ok(entries) = std::fs::read_dir(listed) else {
        return (input.to_owned(), Vec::new());
    };
    let mut names: Vec<(String, bool)> = entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let is_dir = e.file_type().is_ok_and(|t| t.is_dir())
                || e.path().metadata().is_ok_and(|m| m.is_dir());
            Some((name, is_dir))
        })
        .filter(|(name, _)| {
            name.starts_with(prefix) && (prefix.starts_with('.') || !name.starts_with('.'))
        })
        .collect();
    names.sort();
    let completed = match names.as_slice() {
        [] => return (input.to_owned(), Vec::new()),
        [(name, true)] => format!("{dir}{name}/"),
        [(name, false)] => format!("{dir}{name}"),
        many => format!(
            "{dir}{}",
            common_prefix(many.iter().map(|(n, _)| n.as_str()))
        ),
    };
    let candidates = if names.len() > 1 {
        names
            .into_iter()
            .take(40)
            .map(|(n, d)| if d { n + "/" } else { n })
            .collect()
    } else {
        Vec::new()
    };
    (completed, candidates)
}

fn common_prefix<'a>(mut names: impl Iterator<Item = &'a str>) -> String {
    let Some(first) = names.next() else {
        return String::new();
    };
    let mut len = first.len();
    for name in names {
        len = first
            .char_indices()
            .zip(name.chars())
            .take_while(|((_, a), b)| a == b)
            .last()
            .map_or(0, |((i, a), _)| i + a.len_utf8())
            .min(len);
    }
    first[..len].to_owned()
}

/// `~/x` → `$HOME/x`.
pub fn expand_home(input: &str) -> String {
    match (input.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => format!("{}/{rest}", home.to_string_lossy()),
        _ => input.to_owned(),
    }
}

/// Where a downloaded file is offered to be saved: `~/Downloads/NAME`
/// when that folder exists, else the working directory.
pub fn default_save_path(name: &str) -> String {
    let downloads = std::env::var_os("HOME").map(|h| PathBuf::from(h).join("Downloads"));
    match downloads {
        Some(dir) if dir.is_dir() => format!("~/Downloads/{name}"),
        _ => format!("./{name}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completes_a_unique_file_and_a_directory_with_a_slash() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("invoice.pdf"), b"x").unwrap();
        std::fs::create_dir(dir.path().join("photos")).unwrap();
        let base = dir.path().to_string_lossy().into_owned();
        assert_eq!(
            complete(&format!("{base}/inv")).0,
            format!("{base}/invoice.pdf")
        );
        assert_eq!(complete(&format!("{base}/ph")).0, format!("{base}/photos/"));
    }

    #[test]
    fn several_matches_complete_to_their_common_prefix_and_are_listed() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("quote-1.pdf"), b"x").unwrap();
        std::fs::write(dir.path().join("quote-2.pdf"), b"x").unwrap();
        let base = dir.path().to_string_lossy().into_owned();
        let (completed, candidates) = complete(&format!("{base}/q"));
        assert_eq!(completed, format!("{base}/quote-"));
        assert_eq!(candidates, ["quote-1.pdf", "quote-2.pdf"]);
    }

    #[test]
    fn nothing_to_complete_leaves_the_input() {
        assert_eq!(complete("/no/such/dir/x").0, "/no/such/dir/x");
    }
}

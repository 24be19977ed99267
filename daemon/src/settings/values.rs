//! Value parsers of settings whose text is not the value in force (seconds
//! into a `Duration`, a URL into its origin). Flags, environment variables,
//! defaults and config-file values all go through them.

use std::time::Duration;

/// Whole seconds, e.g. `10`.
pub fn seconds(text: &str) -> Result<Duration, String> {
    whole_number(text).map(Duration::from_secs)
}

/// Whole days, e.g. `7`.
pub fn days(text: &str) -> Result<Duration, String> {
    whole_number(text).map(|days| Duration::from_secs(days.saturating_mul(86_400)))
}

/// A count that must be at least 1 (workers, connections).
pub fn at_least_one(text: &str) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(0) => Err("must be at least 1".into()),
        Ok(n) => Ok(n),
        Err(e) => Err(e.to_string()),
    }
}

/// A percentage from 0 to 100, e.g. `5` or `2.5`.
pub fn percent(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(p) if (0.0..=100.0).contains(&p) => Ok(p),
        Ok(_) => Err("must be from 0 to 100".into()),
        Err(e) => Err(e.to_string()),
    }
}

fn whole_number(text: &str) -> Result<u64, String> {
    text.trim().parse::<u64>().map_err(|e| e.to_string())
}

/// A browser origin as browsers send it: lowercase, without a trailing `/`.
pub fn origin(text: &str) -> Result<String, String> {
    let origin = text.trim().trim_end_matches('/').to_ascii_lowercase();
    if origin.is_empty() {
        return Err("an origin cannot be empty".into());
    }
    Ok(origin)
}

/// A public base URL, `scheme://host[:port]` with scheme http or https and
/// no path, query or fragment, in the form a browser sends as `Origin`:
/// lowercase, without the scheme's default port, without a trailing `/`.
pub fn public_url(text: &str) -> Result<String, String> {
    let text = text.trim();
    if text.contains(['#', '?']) {
        return Err("a public URL has no query or fragment".into());
    }
    let uri: http::Uri = text.parse().map_err(|e| format!("not a URL: {e}"))?;
    let scheme = match uri.scheme_str().map(str::to_ascii_lowercase).as_deref() {
        Some("http") => "http",
        Some("https") => "https",
        _ => return Err("a public URL starts with http:// or https://".into()),
    };
    let authority = uri.authority().ok_or("a public URL names a host")?;
    if authority.as_str().contains('@') {
        return Err("a public URL has no user name or password".into());
    }
    if !matches!(uri.path(), "" | "/") {
        return Err("a public URL has no path: scheme://host[:port]".into());
    }
    let host = authority.host().to_ascii_lowercase();
    let default_port = if scheme == "https" { 443 } else { 80 };
    Ok(match authority.port_u16() {
        Some(port) if port != default_port => format!("{scheme}://{host}:{port}"),
        _ => format!("{scheme}://{host}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_public_url_is_held_in_origin_form() {
        for (given, held) in [
            ("https://Chat.Example.com", "https://chat.example.com"),
            ("https://chat.example.com/", "https://chat.example.com"),
            ("https://chat.example.com:443", "https://chat.example.com"),
            ("http://chat.example.com:80/", "http://chat.example.com"),
            ("HTTP://10.0.0.5:8080", "http://10.0.0.5:8080"),
            ("https://[::1]:8443", "https://[::1]:8443"),
        ] {
            assert_eq!(public_url(given).as_deref(), Ok(held), "{given}");
        }
    }

    #[test]
    fn a_public_url_with_more_than_scheme_host_and_port_is_refused() {
        for given in [
            "chat.example.com",
            "ftp://chat.example.com",
            "https://chat.example.com/app",
            "https://chat.example.com/?a=1",
            "https://chat.example.com#x",
            "https://user:pw@chat.example.com",
            "/relative",
            "",
        ] {
            assert!(public_url(given).is_err(), "{given} accepted");
        }
    }

    #[test]
    fn a_percentage_is_from_0_to_100() {
        assert_eq!(percent("2.5"), Ok(2.5));
        assert!(percent("101").is_err());
        assert!(percent("-1").is_err());
    }

    #[test]
    fn zero_is_not_a_count_of_workers() {
        assert!(at_least_one("0").is_err());
        assert_eq!(at_least_one("4"), Ok(4));
    }
}

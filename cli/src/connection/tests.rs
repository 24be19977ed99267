use super::*;

fn saved(url: &str, token: &str) -> Option<Saved> {
    Some(Saved {
        url: url.to_owned(),
        token: token.to_owned(),
    })
}

fn some(s: &str) -> Option<String> {
    Some(s.to_owned())
}

#[test]
fn flags_beat_everything() {
    let c = resolve(Inputs {
        flag_url: some("http://flag"),
        flag_token: some("t_flag"),
        env_url: some("http://env"),
        env_token: some("t_env"),
        saved: saved("http://cfg", "t_cfg"),
        admin_token: some("t_admin"),
    });
    assert_eq!(
        (c.url.as_str(), c.token.as_deref()),
        ("http://flag", Some("t_flag"))
    );
    assert_eq!(c.source, Source::Flag);
}

#[test]
fn the_environment_beats_the_config_file() {
    let c = resolve(Inputs {
        env_url: some("http://env"),
        env_token: some("t_env"),
        saved: saved("http://cfg", "t_cfg"),
        ..Inputs::default()
    });
    assert_eq!(
        (c.url.as_str(), c.token.as_deref()),
        ("http://env", Some("t_env"))
    );
    assert_eq!(c.source, Source::Env);
}

#[test]
fn the_config_file_beats_the_admin_token() {
    let c = resolve(Inputs {
        saved: saved(DEFAULT_URL, "t_cfg"),
        admin_token: some("t_admin"),
        ..Inputs::default()
    });
    assert_eq!(c.token.as_deref(), Some("t_cfg"));
    assert_eq!(c.source, Source::Config);
}

#[test]
fn a_saved_token_is_not_sent_to_another_url() {
    let c = resolve(Inputs {
        flag_url: some("http://elsewhere"),
        saved: saved("http://cfg", "t_cfg"),
        ..Inputs::default()
    });
    assert_eq!(c.token, None);
    assert_eq!(c.source, Source::None);
}

#[test]
fn the_admin_token_is_used_only_for_a_daemon_on_this_machine() {
    let local = resolve(Inputs {
        admin_token: some("t_admin"),
        ..Inputs::default()
    });
    assert_eq!(
        (local.url.as_str(), local.source),
        (DEFAULT_URL, Source::AdminToken)
    );
    let remote = resolve(Inputs {
        env_url: some("http://remote"),
        admin_token: some("t_admin"),
        ..Inputs::default()
    });
    assert_eq!(remote.token, None);
    let other_port = resolve(Inputs {
        env_url: some("http://localhost:9999"),
        admin_token: some("t_admin"),
        ..Inputs::default()
    });
    assert_eq!(other_port.source, Source::AdminToken);
}

#[cfg(unix)]
#[test]
fn saved_files_are_readable_by_their_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("sub/config.json");
    let value = Saved {
        url: "http://x".into(),
        token: "t".into(),
    };
    save(&path, &value).expect("save");
    let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    assert_eq!(load(&path).expect("load"), Some(value));
}

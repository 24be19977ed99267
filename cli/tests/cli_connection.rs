//! The real `commcenter` binary against a real daemon (port 0, temp data
//! dir, demo data): login/status/logout, the precedence of connection
//! settings, admin.token discovery, and users/tokens/projects with `--json`.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use commcenter::wire::{IssuedToken, Project, TokenInfo, User};

mod common;

use common::{bare as cli, daemon, ok, run, succeeded, Daemon, PRIYA};

const DANA_ADMIN: &str = "cct_demo_dana";

fn login(config: &Path, url: &str, token: &str) -> Output {
    let mut child = cli(config)
        .args(["--url", url, "login"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    writeln!(stdin, "{token}").expect("write token");
    drop(stdin);
    child.wait_with_output().expect("login ends")
}

fn status_json(command: &mut Command) -> serde_json::Value {
    serde_json::from_str(&ok(command.args(["--json", "status"]))).expect("status JSON")
}

#[test]
fn login_saves_a_checked_token_readable_by_its_owner_only() {
    let d = daemon();
    let config = tempfile::tempdir().expect("config dir");
    succeeded(login(config.path(), &d.url, PRIYA));
    let file = config.path().join("config.json");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file)
            .expect("saved")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let me: User =
        serde_json::from_str(&ok(cli(config.path()).args(["--json", "me"]))).expect("a user");
    assert_eq!(me.name, "Priya Shah");
}

#[test]
fn login_refuses_a_bad_token_and_saves_nothing() {
    let d = daemon();
    let config = tempfile::tempdir().expect("config dir");
    let output = login(config.path(), &d.url, "cct_not_a_token");
    assert_eq!(output.status.code(), Some(3));
    assert!(!config.path().join("config.json").exists());
}

#[test]
fn status_names_the_config_file_and_logout_forgets_it() {
    let d = daemon();
    let config = tempfile::tempdir().expect("config dir");
    succeeded(login(config.path(), &d.url, PRIYA));
    let status = status_json(&mut cli(config.path()));
    assert_eq!(status["url"], d.url.as_str());
    assert_eq!(status["token_source"], "the login config file");
    assert_eq!(status["user"]["name"], "Priya Shah");
    assert_eq!(status["ready"], true);
    ok(cli(config.path()).arg("logout"));
    assert!(!config.path().join("config.json").exists());
    let after = status_json(cli(config.path()).args(["--url", &d.url]));
    assert_eq!(after["token_source"], "none");
}

#[test]
fn the_environment_beats_the_config_file_and_flags_beat_both() {
    let d = daemon();
    let config = tempfile::tempdir().expect("config dir");
    succeeded(login(config.path(), &d.url, PRIYA));
    let env = status_json(cli(config.path()).env("COMMCENTER_TOKEN", "cct_demo_tom"));
    assert_eq!(env["token_source"], "COMMCENTER_TOKEN");
    assert_eq!(env["user"]["name"], "Tom Baker");
    let flag = status_json(
        cli(config.path())
            .env("COMMCENTER_TOKEN", "cct_demo_tom")
            .args(["--token", PRIYA]),
    );
    assert_eq!(flag["token_source"], "--token");
    assert_eq!(flag["user"]["name"], "Priya Shah");
}

#[test]
fn with_nothing_set_the_admin_token_in_the_data_dir_is_used() {
    let d = daemon();
    let config = tempfile::tempdir().expect("config dir");
    let status = status_json(
        cli(config.path())
            .env("COMMCENTER_DATA_DIR", d.data.path())
            .env("COMMCENTER_URL", &d.url),
    );
    assert_eq!(
        status["token_source"],
        "admin.token in the daemon's data dir"
    );
    assert_eq!(status["user"]["role"], "admin");
}

#[test]
fn status_exits_3_when_the_daemon_cannot_be_reached() {
    let config = tempfile::tempdir().expect("config dir");
    let output = run(cli(config.path()).args(["--url", "http://127.0.0.1:9", "status"]));
    assert_eq!(output.status.code(), Some(3));
}

#[test]
fn users_list_json_is_the_apis_users_one_per_line() {
    let d = daemon();
    let config = tempfile::tempdir().expect("config dir");
    let text = ok(cli(config.path()).args([
        "--url", &d.url, "--token", PRIYA, "--json", "users", "list", "--role", "crew",
    ]));
    let users: Vec<User> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("a user per line"))
        .collect();
    assert!(!users.is_empty());
    assert!(users.iter().all(|u| u.role.as_str() == "crew"));
}

#[test]
fn users_create_then_edit_then_show() {
    let d = daemon();
    let config = tempfile::tempdir().expect("config dir");
    let base = ["--url", d.url.as_str(), "--token", DANA_ADMIN, "--json"];
    let created: User = serde_json::from_str(&ok(cli(config.path()).args(base).args([
        "users",
        "create",
        "--name",
        "Ada Client",
        "--role",
        "customer",
    ])))
    .expect("created user");
    let id = created.id.to_string();
    ok(cli(config.path())
        .args(base)
        .args(["users", "edit", &id, "--email", "ada@example.com"]));
    let shown: User = serde_json::from_str(&ok(cli(config.path())
        .args(base)
        .args(["users", "show", &id])))
    .expect("shown user");
    assert_eq!(shown.email.as_deref(), Some("ada@example.com"));
}

#[test]
fn users_show_of_an_unknown_id_exits_1() {
    let d = daemon();
    let config = tempfile::tempdir().expect("config dir");
    let unknown = commcenter::Id::generate(1).to_string();
    let output = run(
        cli(config.path()).args(["--url", &d.url, "--token", PRIYA, "users", "show", &unknown])
    );
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn the_people_table_has_aligned_columns_under_a_header() {
    let d = daemon();
    let config = tempfile::tempdir().expect("config dir");
    let text = ok(cli(config.path()).args(["--url", &d.url, "--token", PRIYA, "users", "list"]));
    assert!(!text.contains('\x1b'), "no colour when stdout is a pipe");
    let mut lines = text.lines();
    let header = lines.next().expect("header");
    assert!(header.starts_with("ID"), "{header}");
    let name_at = header.find("NAME").expect("NAME column");
    for line in lines {
        assert_eq!(line.chars().nth(name_at - 1), Some(' '), "{line}");
        assert_ne!(line.chars().nth(name_at), Some(' '), "{line}");
    }
}

#[test]
fn a_token_issued_on_the_command_line_works_and_can_be_revoked() {
    let d = daemon();
    let config = tempfile::tempdir().expect("config dir");
    let admin = std::fs::read_to_string(d.data.path().join("admin.token")).expect("admin token");
    let base = ["--url", d.url.as_str(), "--token", admin.trim(), "--json"];
    let priya: User = serde_json::from_str(&ok(
        cli(config.path()).args(["--url", &d.url, "--token", PRIYA, "--json", "me"])
    ))
    .expect("me");
    let uid = priya.id.to_string();
    let issued: IssuedToken = serde_json::from_str(&ok(cli(config.path())
        .args(base)
        .args(["tokens", "issue", &uid, "--label", "cron"])))
    .expect("issued");
    let listed: Vec<TokenInfo> = ok(cli(config.path()).args(base).args(["tokens", "list", &uid]))
        .lines()
        .map(|l| serde_json::from_str(l).expect("token info"))
        .collect();
    assert!(listed.iter().any(|t| t.id == issued.id));
    ok(cli(config.path())
        .args(base)
        .args(["tokens", "revoke", &issued.id.to_string()]));
    let refused = run(cli(config.path()).args(["--url", &d.url, "--token", &issued.token, "me"]));
    assert_eq!(refused.status.code(), Some(3));
}

#[test]
fn projects_create_and_edit_the_crew() {
    let d = daemon();
    let config = tempfile::tempdir().expect("config dir");
    let base = ["--url", d.url.as_str(), "--token", PRIYA, "--json"];
    let users = |role: &str| -> Vec<User> {
        ok(cli(config.path())
            .args(base)
            .args(["users", "list", "--role", role]))
        .lines()
        .map(|l| serde_json::from_str(l).expect("user"))
        .collect()
    };
    let customer = users("customer")[0].id.to_string();
    let crew = users("crew")[0].id;
    let created: Project = serde_json::from_str(&ok(cli(config.path()).args(base).args([
        "projects",
        "create",
        "--name",
        "Loft",
        "--customer",
        &customer,
    ])))
    .expect("project");
    assert!(created.crew_ids.is_empty());
    let edited: Project = serde_json::from_str(&ok(cli(config.path()).args(base).args([
        "projects",
        "edit",
        &created.id.to_string(),
        "--crew",
        &crew.to_string(),
    ])))
    .expect("project");
    assert_eq!(edited.crew_ids, vec![crew]);
    let listed: Vec<Project> = ok(cli(config.path()).args(base).args(["projects", "list"]))
        .lines()
        .map(|l| serde_json::from_str(l).expect("project"))
        .collect();
    assert!(listed.iter().any(|p| p.id == created.id));
}

#[test]
fn users_list_all_follows_the_cursors_past_one_page() {
    let d = daemon();
    let config = tempfile::tempdir().expect("config dir");
    let base = [
        "--url",
        d.url.as_str(),
        "--token",
        PRIYA,
        "--json",
        "users",
        "list",
    ];
    let count = |extra: &[&str]| {
        ok(cli(config.path()).args(base).args(extra))
            .lines()
            .map(|l| serde_json::from_str::<User>(l).expect("user"))
            .collect::<Vec<_>>()
            .len()
    };
    let everyone = count(&["--limit", "500"]);
    assert!(everyone > 2, "the demo has more than two users");
    assert_eq!(count(&["--limit", "2"]), 2);
    assert_eq!(count(&["--limit", "2", "--all"]), everyone);
}

#[test]
fn an_empty_crew_on_the_command_line_empties_the_crew() {
    let d = daemon();
    let config = tempfile::tempdir().expect("config dir");
    let base = ["--url", d.url.as_str(), "--token", PRIYA, "--json"];
    let first: Project = serde_json::from_str(
        ok(cli(config.path()).args(base).args(["projects", "list"]))
            .lines()
            .next()
            .expect("a demo project"),
    )
    .expect("project");
    let id = first.id.to_string();
    let edited: Project = serde_json::from_str(&ok(cli(config.path())
        .args(base)
        .args(["projects", "edit", "--crew", "", &id])))
    .expect("project");
    assert!(edited.crew_ids.is_empty());
}

/// The users of one role in the demo data, through the CLI.
fn demo_users(d: &Daemon, config: &Path, role: &str) -> Vec<User> {
    let text = ok(cli(config).args([
        "--url", &d.url, "--token", PRIYA, "--json", "users", "list", "--role", role,
    ]));
    text.lines()
        .map(|l| serde_json::from_str(l).expect("a user per line"))
        .collect()
}

#[test]
fn portal_link_prints_a_link_that_signs_the_customer_in_once() {
    let d = daemon();
    let config = tempfile::tempdir().expect("config dir");
    let customer = demo_users(&d, config.path(), "customer").remove(0);
    let text = ok(cli(config.path()).args([
        "--url",
        &d.url,
        "--token",
        PRIYA,
        "--json",
        "portal-link",
        &customer.id.to_string(),
        "--days",
        "2",
    ]));
    let link: serde_json::Value = serde_json::from_str(&text).expect("json");
    let url = link["url"].as_str().expect("url");
    assert!(
        url.starts_with(&format!("{}/portal#code=ccp_", d.url)),
        "{url}"
    );
    assert!(link.get("sent_message_id").is_none());
    let code = url.split_once("#code=").unwrap().1;
    let client = commcenter::client::Client::new(&d.url, None);
    let session = d
        .runtime
        .block_on(client.redeem_portal(code))
        .expect("redeems");
    assert_eq!(session.user.id, customer.id);
    assert!(
        d.runtime.block_on(client.redeem_portal(code)).is_err(),
        "works once"
    );

    // The human form prints the link on its own line, for copying.
    let human = ok(cli(config.path()).args([
        "--url",
        &d.url,
        "--token",
        PRIYA,
        "portal-link",
        &customer.id.to_string(),
    ]));
    assert!(
        human
            .lines()
            .any(|l| l.starts_with(&d.url) && l.contains("#code=")),
        "{human}"
    );
}

#[test]
fn portal_link_send_puts_the_link_in_the_customers_conversation() {
    let d = daemon();
    let config = tempfile::tempdir().expect("config dir");
    let customer = demo_users(&d, config.path(), "customer")
        .into_iter()
        .find(|u| u.phone.is_some())
        .expect("a demo customer with a phone");
    let text = ok(cli(config.path()).args([
        "--url",
        &d.url,
        "--token",
        PRIYA,
        "--json",
        "portal-link",
        &customer.id.to_string(),
        "--send",
        "sms",
    ]));
    let answer: serde_json::Value = serde_json::from_str(&text).expect("json");
    let message_id: commcenter::Id = answer["sent_message_id"].as_str().unwrap().parse().unwrap();
    let agent = commcenter::client::Client::new(&d.url, Some(PRIYA.to_owned()));
    let message = d
        .runtime
        .block_on(agent.get_message(message_id))
        .expect("the sent message");
    assert_eq!(message.channel.as_str(), "sms");
    assert!(message.body.contains(answer["url"].as_str().unwrap()));

    // Crew get no --send (they have no customer conversation): exit 1, said why.
    let crew = demo_users(&d, config.path(), "crew").remove(0);
    let refused = run(cli(config.path()).args([
        "--url",
        &d.url,
        "--token",
        PRIYA,
        "portal-link",
        &crew.id.to_string(),
        "--send",
        "email",
    ]));
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("customers only"));
}

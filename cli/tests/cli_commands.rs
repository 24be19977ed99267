//! The real `commcenter` binary against a real daemon (demo data): files,
//! send, conversations, paging, watch, completions and the man page, and
//! the documented exit codes.

mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::Duration;

use commcenter::wire::{
    Conversation, ConversationFilter, ConversationStatus, Event, EventData, FileMeta, Message,
    NewMessage, Role,
};
use commcenter::Id;
use common::*;

/// Conversation `v2` of the demo: Helen Carter's open, unassigned one.
fn helens_open_conversation(d: &Daemon) -> Conversation {
    let helen = d.block_on(d.client(HELEN_CUSTOMER).me()).expect("me");
    let filter = ConversationFilter {
        customer_id: Some(helen.id),
        status: Some(ConversationStatus::Open),
        kind: Some(commcenter::wire::ConversationKind::Customer),
        ..Default::default()
    };
    let page = d.block_on(d.client(PRIYA).list_conversations(&filter));
    page.expect("conversations").items.remove(0)
}

/// A text file of `size` bytes that no two chunks of repeat.
fn text_file(dir: &std::path::Path, size: usize) -> std::path::PathBuf {
    let mut text = String::with_capacity(size + 32);
    let mut n = 0u64;
    while text.len() < size {
        text.push_str(&format!("line {n} of the site log, {}\n", n * 7919 % 1000));
        n += 1;
    }
    text.truncate(size);
    let path = dir.join("site-log.txt");
    std::fs::write(&path, text).expect("write");
    path
}

#[test]
fn upload_then_download_is_byte_exact_to_a_file_and_to_stdout() {
    let d = daemon();
    let dir = tempfile::tempdir().expect("dir");
    let original = text_file(dir.path(), 700_000);
    let photo = fixture("photo.jpg");
    let stored: Vec<FileMeta> = json_lines(
        d.cli(PRIYA)
            .args(["files", "upload"])
            .arg(&original)
            .arg(&photo),
    );
    assert_eq!(stored.len(), 2);
    for (meta, path) in stored.iter().zip([&original, &photo]) {
        let bytes = std::fs::read(path).expect("original");
        let copy = dir.path().join(format!("copy-{}", meta.name));
        ok(d.cli(PRIYA)
            .args(["files", "download", &meta.id.to_string(), "-o"])
            .arg(&copy));
        assert_eq!(std::fs::read(&copy).expect("copy"), bytes, "{}", meta.name);
        let piped = run(d
            .cli(PRIYA)
            .args(["files", "download", &meta.id.to_string()]));
        assert!(piped.status.success());
        assert_eq!(piped.stdout, bytes, "{} on stdout", meta.name);
    }
}

#[test]
fn files_meta_json_is_the_apis() {
    let d = daemon();
    let stored: Vec<FileMeta> = json_lines(
        d.cli(PRIYA)
            .args(["files", "upload"])
            .arg(fixture("photo.png")),
    );
    let id = stored[0].id;
    let shown: FileMeta = json(d.cli(PRIYA).args(["files", "meta", &id.to_string()]));
    let api = d.block_on(d.client(PRIYA).file_meta(id)).expect("meta");
    assert_eq!(shown, api);
    assert_eq!(shown.width, Some(160));
}

#[test]
fn a_thumbnail_is_an_image_and_a_text_file_has_none() {
    let d = daemon();
    let dir = tempfile::tempdir().expect("dir");
    let stored: Vec<FileMeta> = json_lines(
        d.cli(PRIYA)
            .args(["files", "upload"])
            .arg(fixture("photo.png"))
            .arg(fixture("notes.txt")),
    );
    let thumb = dir.path().join("thumb");
    ok(d.cli(PRIYA)
        .args(["files", "thumbnail", &stored[0].id.to_string(), "-o"])
        .arg(&thumb));
    let bytes = std::fs::read(&thumb).expect("thumbnail");
    assert!(
        bytes.starts_with(b"\x89PNG") || bytes.starts_with(b"\xff\xd8"),
        "an image"
    );
    let none = run(d
        .cli(PRIYA)
        .args(["files", "thumbnail", &stored[1].id.to_string()]));
    assert_eq!(none.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&none.stderr).contains("no thumbnail"));
}

#[test]
fn a_refused_upload_does_not_stop_the_others_and_exits_1() {
    let d = daemon();
    let dir = tempfile::tempdir().expect("dir");
    let binary = dir.path().join("tool.bin");
    std::fs::write(&binary, [0u8, 1, 2, 3, 0xff, 0xfe, 0, 0]).expect("write");
    let output = run(d
        .cli(PRIYA)
        .args(["--json", "files", "upload"])
        .arg(&binary)
        .arg(fixture("notes.txt")));
    assert_eq!(output.status.code(), Some(1));
    let stored: Vec<FileMeta> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("file meta"))
        .collect();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].name, "notes.txt");
    assert!(String::from_utf8_lossy(&output.stderr).contains("tool.bin"));
}

#[test]
fn an_existing_file_is_not_overwritten_without_force() {
    let d = daemon();
    let dir = tempfile::tempdir().expect("dir");
    let stored: Vec<FileMeta> = json_lines(
        d.cli(PRIYA)
            .args(["files", "upload"])
            .arg(fixture("notes.txt")),
    );
    let target = dir.path().join("notes.txt");
    std::fs::write(&target, "mine").expect("write");
    let id = stored[0].id.to_string();
    let refused = run(d
        .cli(PRIYA)
        .args(["files", "download", &id, "-o"])
        .arg(&target));
    assert_eq!(refused.status.code(), Some(2));
    assert_eq!(std::fs::read_to_string(&target).expect("kept"), "mine");
    ok(d.cli(PRIYA)
        .args(["files", "download", &id, "--force", "-o"])
        .arg(&target));
    assert_eq!(
        std::fs::read(&target).expect("replaced"),
        std::fs::read(fixture("notes.txt")).expect("fixture")
    );
}

#[test]
fn send_uploads_attachments_first_and_carries_the_location() {
    let d = daemon();
    let conversation = helens_open_conversation(&d);
    let sent: Message = json(
        d.cli(PRIYA)
            .args([
                "send",
                &conversation.id.to_string(),
                "Photos from the visit",
            ])
            .args(["--location", "51.5072,-0.1276", "--attach"])
            .arg(fixture("photo.jpg"))
            .arg(fixture("notes.txt")),
    );
    assert_eq!(sent.attachments.len(), 2);
    assert_eq!(sent.attachments[0].name, "photo.jpg");
    let location = sent.location.expect("location");
    assert_eq!((location.lat, location.lon), (51.5072, -0.1276));
    let api = d
        .block_on(d.client(PRIYA).get_message(sent.id))
        .expect("message");
    assert_eq!(api, sent);
}

#[test]
fn send_to_a_customer_writes_in_their_open_conversation() {
    let d = daemon();
    let conversation = helens_open_conversation(&d);
    let helen = conversation.customer_id.to_string();
    let sent: Message = json(
        d.cli(PRIYA)
            .args(["send", "--customer", &helen, "See you at 9"]),
    );
    assert_eq!(sent.conversation_id, conversation.id);
    assert_eq!(sent.body, "See you at 9");
}

#[test]
fn send_to_a_customer_without_an_open_conversation_opens_one() {
    let d = daemon();
    let customer = d
        .block_on(
            d.client("cct_demo_dana")
                .create_user(&commcenter::wire::NewUser {
                    name: "Ada Client".to_owned(),
                    role: Role::Customer,
                    email: None,
                    phone: None,
                }),
        )
        .expect("customer");
    let sent: Message = json(d.cli(PRIYA).args([
        "send",
        "--customer",
        &customer.id.to_string(),
        "--subject",
        "Welcome",
        "Hello Ada",
    ]));
    let opened = d
        .block_on(d.client(PRIYA).get_conversation(sent.conversation_id))
        .expect("conversation");
    assert_eq!(opened.customer_id, customer.id);
    assert_eq!(opened.subject.as_deref(), Some("Welcome"));
}

#[test]
fn send_renders_a_template_with_variables() {
    let d = daemon();
    let conversation = helens_open_conversation(&d);
    let template: commcenter::wire::Template = json(d.cli(PRIYA).args([
        "templates",
        "create",
        "--name",
        "Late",
        "--body",
        "Hi {{customer.first_name}}, {{var.minutes}} min late",
    ]));
    let sent: Message = json(d.cli(PRIYA).args([
        "send",
        &conversation.id.to_string(),
        "--template",
        &template.id.to_string(),
        "--var",
        "minutes=15",
    ]));
    assert_eq!(sent.body, "Hi Helen, 15 min late");
    assert_eq!(sent.template_id, Some(template.id));
}

#[test]
fn send_with_the_same_idempotency_key_sends_once() {
    let d = daemon();
    let conversation = helens_open_conversation(&d).id.to_string();
    let send = || -> Message {
        json(d.cli(PRIYA).args([
            "send",
            &conversation,
            "Once only",
            "--private",
            "--idempotency-key",
            "cron-2026-12-03",
        ]))
    };
    let first = send();
    let again = send();
    assert_eq!(first.id, again.id);
    assert!(first.private);
}

#[test]
fn crew_send_to_their_project_with_a_location() {
    let d = daemon();
    let projects = d
        .block_on(d.client(MAREK_CREW).list_projects())
        .expect("projects");
    let project = &projects.items[0];
    let sent: Message = json(d.cli(MAREK_CREW).args([
        "send",
        "--project",
        &project.id.to_string(),
        "On site",
        "--location",
        "-33.86,151.21",
    ]));
    assert_eq!(sent.conversation_id, project.conversation_id);
    assert_eq!(sent.location.map(|l| l.lat), Some(-33.86));
}

#[test]
fn conversations_show_json_is_the_conversation_and_its_messages() {
    let d = daemon();
    let conversation = helens_open_conversation(&d);
    let shown: serde_json::Value =
        json(
            d.cli(PRIYA)
                .args(["conversations", "show", &conversation.id.to_string()]),
        );
    let api_conversation = d
        .block_on(d.client(PRIYA).get_conversation(conversation.id))
        .expect("conversation");
    let api_messages = d
        .block_on(
            d.client(PRIYA)
                .list_messages(conversation.id, Some(50), None),
        )
        .expect("messages")
        .items;
    assert_eq!(
        serde_json::from_value::<Conversation>(shown["conversation"].clone()).expect("conv"),
        api_conversation
    );
    assert_eq!(
        serde_json::from_value::<Vec<Message>>(shown["messages"].clone()).expect("messages"),
        api_messages
    );
}

#[test]
fn conversations_show_for_people_names_the_customer_and_says_how_long_ago() {
    let d = daemon();
    let conversation = helens_open_conversation(&d);
    let text = ok(d
        .cli(PRIYA)
        .args(["conversations", "show", &conversation.id.to_string()]));
    assert!(text.contains("customer: Helen Carter"), "{text}");
    let when = text
        .lines()
        .find(|l| l.starts_with("  active:"))
        .expect("active");
    assert!(
        ["just now", " ago", "yesterday"]
            .iter()
            .any(|w| when.contains(w)),
        "{when}"
    );
    assert!(text.contains("WHEN"), "the messages' table follows: {text}");
    assert!(!text.contains('\x1b'), "no colour on a pipe");
}

#[test]
fn conversations_list_for_people_has_names_unread_and_relative_times() {
    let d = daemon();
    let text = ok(d
        .cli(PRIYA)
        .args(["conversations", "list", "--status", "open"]));
    let header = text.lines().next().expect("header");
    for column in ["CUSTOMER", "ASSIGNEE", "UNREAD", "ACTIVE", "SUBJECT"] {
        assert!(header.contains(column), "{header}");
    }
    assert!(text.contains("Helen Carter"), "{text}");
    assert!(text.contains("Priya Shah"), "{text}");
    assert!(
        text.contains(" ago") || text.contains("yesterday"),
        "{text}"
    );
}

#[test]
fn close_reopen_archive_assign_tag_and_read() {
    let d = daemon();
    let id = helens_open_conversation(&d).id.to_string();
    let step =
        |args: &[&str]| -> Conversation { json(d.cli(PRIYA).args(["conversations"]).args(args)) };
    assert_eq!(step(&["close", &id]).status, ConversationStatus::Closed);
    assert_eq!(step(&["reopen", &id]).status, ConversationStatus::Open);
    assert_eq!(step(&["archive", &id]).status, ConversationStatus::Archived);
    let priya = d.block_on(d.client(PRIYA).me()).expect("me");
    assert_eq!(step(&["assign", &id, "me"]).assignee_id, Some(priya.id));
    assert_eq!(step(&["assign", &id, "none"]).assignee_id, None);
    let before = d
        .block_on(d.client(PRIYA).get_conversation(id.parse().expect("id")))
        .expect("conversation")
        .tags;
    let tagged = step(&["tag", &id, "boiler", "urgent"]).tags;
    assert_eq!(tagged[..before.len()], before[..], "kept");
    assert_eq!(tagged[before.len()..], ["boiler", "urgent"]);
    let untagged = step(&["tag", &id, "--remove", "urgent"]).tags;
    assert!(untagged.contains(&"boiler".to_owned()) && !untagged.contains(&"urgent".to_owned()));
    assert_eq!(step(&["read", &id]).unread_count, 0);
}

#[test]
fn conversations_list_filters_by_assignee_and_kind() {
    let d = daemon();
    let mine: Vec<Conversation> = json_lines(d.cli(TOM).args([
        "conversations",
        "list",
        "--assignee",
        "me",
        "--status",
        "open",
    ]));
    let tom = d.block_on(d.client(TOM).me()).expect("me");
    assert!(!mine.is_empty());
    assert!(mine
        .iter()
        .all(|c| c.assignee_id == Some(tom.id) && c.status == ConversationStatus::Open));
    let crew: Vec<Conversation> =
        json_lines(
            d.cli(PRIYA)
                .args(["conversations", "list", "--kind", "project"]),
        );
    assert!(!crew.is_empty());
    assert!(crew
        .iter()
        .all(|c| c.kind == commcenter::wire::ConversationKind::Project));
}

#[test]
fn all_follows_the_cursors_past_one_page() {
    let d = daemon();
    let list = |extra: &[&str]| -> Vec<Conversation> {
        json_lines(d.cli(PRIYA).args(["conversations", "list"]).args(extra))
    };
    let everything = list(&["--limit", "500"]);
    assert!(everything.len() > 3);
    assert_eq!(list(&["--limit", "3"]).len(), 3);
    let paged = list(&["--limit", "3", "--all"]);
    let ids = |cs: &[Conversation]| cs.iter().map(|c| c.id).collect::<Vec<Id>>();
    assert_eq!(ids(&paged), ids(&everything));
}

#[test]
fn not_found_exits_1_with_the_daemons_message() {
    let d = daemon();
    let unknown = Id::generate(1).to_string();
    let output = run(d.cli(PRIYA).args(["conversations", "show", &unknown]));
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.starts_with("commcenter: "), "{stderr}");
    assert!(stderr.contains("not found"), "{stderr}");
}

#[test]
fn forbidden_exits_1() {
    let d = daemon();
    let id = helens_open_conversation(&d).id.to_string();
    let output = run(d.cli(HELEN_CUSTOMER).args(["conversations", "close", &id]));
    assert_eq!(output.status.code(), Some(1));
    assert!(!output.stderr.is_empty());
}

#[test]
fn bad_usage_exits_2() {
    let d = daemon();
    let id = helens_open_conversation(&d).id.to_string();
    let bad_location = run(d
        .cli(PRIYA)
        .args(["send", &id, "hi", "--location", "north"]));
    assert_eq!(bad_location.status.code(), Some(2));
    let nowhere = run(d.cli(PRIYA).args(["send"]));
    assert_eq!(nowhere.status.code(), Some(2));
    let unknown = run(d.cli(PRIYA).args(["conversations", "frobnicate"]));
    assert_eq!(unknown.status.code(), Some(2));
}

#[test]
fn an_unreachable_daemon_or_a_refused_token_exits_3() {
    let config = tempfile::tempdir().expect("config");
    let output = run(bare(config.path()).args([
        "--url",
        "http://127.0.0.1:9",
        "--token",
        PRIYA,
        "conversations",
        "list",
    ]));
    assert_eq!(output.status.code(), Some(3));
    let d = daemon();
    let refused =
        run(d
            .cli("cct_not_a_token")
            .args(["files", "meta", &Id::generate(1).to_string()]));
    assert_eq!(refused.status.code(), Some(3));
    let watch = run(d.cli("cct_not_a_token").args(["watch"]));
    assert_eq!(watch.status.code(), Some(3));
}

/// Starts `commcenter watch` with `extra` arguments; answers the child and
/// the `connected …` line it wrote on stderr.
fn start_watch(d: &Daemon, extra: &[&str]) -> (std::process::Child, String) {
    let mut child = d
        .cli(PRIYA)
        .args(["--json", "watch"])
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stderr = BufReader::new(child.stderr.take().expect("stderr"));
    let mut line = String::new();
    stderr.read_line(&mut line).expect("a line on stderr");
    assert!(line.starts_with("connected"), "{line}");
    (child, line)
}

/// The child's stdout as events, once it has ended (with a time limit).
fn events_of(mut child: std::process::Child) -> Vec<Event> {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while child.try_wait().expect("wait").is_none() {
        assert!(std::time::Instant::now() < deadline, "watch did not stop");
        std::thread::sleep(Duration::from_millis(50));
    }
    let output = child.wait_with_output().expect("output");
    assert!(output.status.success());
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("an event frame"))
        .collect()
}

fn say(d: &Daemon, token: &str, conversation: Id, body: &str) -> Message {
    let new = NewMessage {
        body: Some(body.to_owned()),
        ..Default::default()
    };
    d.block_on(d.client(token).send_message(conversation, &new))
        .expect("sent")
}

#[test]
fn watch_prints_a_message_sent_by_another_client() {
    let d = daemon();
    let conversation = helens_open_conversation(&d).id;
    let (child, _) = start_watch(&d, &["--count", "1", "--type", "message.created"]);
    let sent = say(&d, HELEN_CUSTOMER, conversation, "Is anyone coming today?");
    let events = events_of(child);
    assert_eq!(events.len(), 1);
    match &events[0].data {
        EventData::MessageCreated { message } => assert_eq!(message.id, sent.id),
        other => panic!("not message.created: {other:?}"),
    }
}

#[test]
fn watch_with_a_ticket_resumes_from_since_and_epoch() {
    let d = daemon();
    let conversation = helens_open_conversation(&d).id;
    let (first, connected) = start_watch(
        &d,
        &["--count", "1", "--ticket", "--type", "message.created"],
    );
    let seen = say(&d, HELEN_CUSTOMER, conversation, "first");
    let seen_seq = events_of(first)[0].seq;
    // connected, live (seq S, epoch E)
    let epoch = connected
        .trim()
        .rsplit("epoch ")
        .next()
        .expect("epoch")
        .trim_end_matches(')')
        .to_owned();
    let missed = say(
        &d,
        HELEN_CUSTOMER,
        conversation,
        "sent while nobody watched",
    );
    let (second, _) = start_watch(
        &d,
        &[
            "--count",
            "1",
            "--type",
            "message.created",
            "--since",
            &seen_seq.to_string(),
            "--epoch",
            &epoch,
        ],
    );
    let replayed = events_of(second);
    match &replayed[0].data {
        EventData::MessageCreated { message } => {
            assert_eq!(message.id, missed.id);
            assert_ne!(message.id, seen.id);
        }
        other => panic!("not message.created: {other:?}"),
    }
}

#[test]
fn completions_and_the_man_page_cover_every_subcommand() {
    let config = tempfile::tempdir().expect("config");
    for shell in ["bash", "zsh", "fish"] {
        let script = ok(bare(config.path()).args(["completions", shell]));
        for name in ["conversations", "files", "send", "watch"] {
            assert!(script.contains(name), "{shell} lacks {name}");
        }
    }
    let page = ok(bare(config.path()).arg("man"));
    assert!(
        page.starts_with(".ie") || page.contains(".TH commcenter"),
        "roff"
    );
    assert!(page.contains("watch"));
    let usage = run(bare(config.path()).args(["completions", "tcsh"]));
    assert_eq!(usage.status.code(), Some(2));
}

#[test]
fn help_documents_the_exit_codes() {
    let config = tempfile::tempdir().expect("config");
    let help = ok(bare(config.path()).arg("--help"));
    assert!(help.contains("Exit codes: 0 ok; 1"), "{help}");
}

/// A daemon that can be stopped and started again on the same address and
/// data dir, so that a client's connection drops.
struct Restartable {
    url: String,
    addr: std::net::SocketAddr,
    data: tempfile::TempDir,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    served: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl Restartable {
    async fn start(data: tempfile::TempDir, addr: std::net::SocketAddr) -> Restartable {
        let mut settings = commcenterd::Settings::for_data_dir(data.path());
        settings.demo = true;
        let opened = commcenterd::AppState::open(settings).await.expect("opens");
        let listener = tokio::net::TcpListener::bind(addr).await.expect("bind");
        let addr = listener.local_addr().expect("address");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let served = tokio::spawn(commcenterd::serve(listener, opened.state, async move {
            let _ = stopped.await;
        }));
        Restartable {
            url: format!("http://{addr}"),
            addr,
            data,
            stop: Some(stop),
            served: Some(served),
        }
    }

    async fn restart(mut self) -> Restartable {
        let _ = self.stop.take().expect("running").send(());
        let served = self.served.take().expect("running");
        served.await.expect("joined").expect("stopped cleanly");
        Restartable::start(self.data, self.addr).await
    }
}

#[test]
fn watch_resumes_after_the_daemon_restarts_without_a_gap_or_a_repeat() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let data = tempfile::tempdir().expect("data");
    let first = runtime.block_on(Restartable::start(data, "127.0.0.1:0".parse().unwrap()));
    let config = tempfile::tempdir().expect("config");
    let mut child = bare(config.path())
        .args(["--url", &first.url, "--token", PRIYA, "--json", "watch"])
        .args(["--type", "message.created", "--count", "2"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let stderr = BufReader::new(child.stderr.take().expect("stderr"));
    let (lines_tx, lines) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in stderr.lines().map_while(Result::ok) {
            let _ = lines_tx.send(line);
        }
    });
    let next_line = || {
        lines
            .recv_timeout(Duration::from_secs(20))
            .expect("stderr line")
    };
    assert!(next_line().starts_with("connected, live"));
    let client = commcenter::client::Client::new(&first.url, Some(HELEN_CUSTOMER.to_owned()));
    let helen = runtime.block_on(client.me()).expect("me");
    let filter = ConversationFilter {
        customer_id: Some(helen.id),
        kind: Some(commcenter::wire::ConversationKind::Customer),
        status: Some(ConversationStatus::Open),
        ..Default::default()
    };
    let staff = client.with_token(Some(PRIYA.to_owned()));
    let conversation = runtime
        .block_on(staff.list_conversations(&filter))
        .expect("list")
        .items[0]
        .id;
    let say = |body: &str| {
        let new = NewMessage {
            body: Some(body.to_owned()),
            ..Default::default()
        };
        runtime
            .block_on(client.send_message(conversation, &new))
            .expect("sent")
    };
    let before = say("before the restart");
    let second = runtime.block_on(first.restart());
    assert!(next_line().starts_with("disconnected"));
    let after = say("after the restart");
    while !next_line().starts_with("connected, resuming") {}
    let events = events_of(child);
    let ids: Vec<Id> = events
        .iter()
        .map(|e| match &e.data {
            EventData::MessageCreated { message } => message.id,
            other => panic!("not message.created: {other:?}"),
        })
        .collect();
    assert_eq!(ids, [before.id, after.id]);
    drop(second);
}

#[test]
fn users_export_and_erase_answer_a_customers_requests() {
    let d = daemon();
    let dana = "cct_demo_dana";
    let helen = d.block_on(d.client(HELEN_CUSTOMER).me()).expect("me");
    let id = helen.id.to_string();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("helen.json");
    ok(d.cli(dana)
        .args(["users", "export", &id, "-o", path.to_str().unwrap()]));
    let export: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).expect("a JSON document");
    assert_eq!(export["user"]["id"], id.as_str());
    assert!(!export["messages"].as_array().unwrap().is_empty());

    // Agents may not; without --yes it is a usage error and nothing happens.
    let agent = run(d.cli(PRIYA).args(["users", "erase", &id, "--yes"]));
    assert_eq!(agent.status.code(), Some(1));
    let unconfirmed = run(d.cli(dana).args(["users", "erase", &id]));
    assert_eq!(unconfirmed.status.code(), Some(2));
    assert_eq!(
        d.block_on(d.client(PRIYA).get_user(helen.id)).unwrap().name,
        helen.name
    );

    let summary: serde_json::Value =
        json(d.cli(dana).args(["--json", "users", "erase", &id, "--yes"]));
    assert!(summary["erased_messages"].as_u64().unwrap() > 0);
    let erased = d.block_on(d.client(PRIYA).get_user(helen.id)).unwrap();
    assert_eq!(erased.name, "Erased customer");
    assert_eq!(erased.phone, None);
}

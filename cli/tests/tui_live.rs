//! The console's worker against a real daemon: live events arrive, and
//! after the daemon goes away and comes back the WebSocket resumes from
//! where it was (`since`/`epoch`) instead of starting afresh.

use std::time::Duration;

use commcenter::client::Client;
use commcenter::wire::{ConversationFilter, EventData, NewMessage, TypingState};
use commcenter_tui::action::{Action, Command, ConnState, Live};
use commcenter_tui::worker;
use commcenterd::{AppState, Settings};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

const PATIENCE: Duration = Duration::from_secs(20);

struct Daemon {
    stop: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
}

async fn start(dir: &std::path::Path, addr: &str) -> (Daemon, String) {
    let mut settings = Settings::for_data_dir(dir);
    settings.demo = true;
    let opened = AppState::open(settings).await.expect("daemon opens");
    let listener = tokio::net::TcpListener::bind(addr).await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(commcenterd::serve(listener, opened.state, async move {
        let _ = stopped.await;
    }));
    (Daemon { stop, task }, url)
}

impl Daemon {
    async fn stop(self) {
        let _ = self.stop.send(());
        self.task.await.expect("daemon task").expect("clean exit");
    }
}

/// A console's worker for `client`: where to send commands, and what it
/// reports.
fn console(client: Client) -> (UnboundedSender<Command>, UnboundedReceiver<Action>) {
    let (tx, actions) = tokio::sync::mpsc::unbounded_channel();
    (worker::spawn(client, tx), actions)
}

/// The next action `wanted` accepts, skipping others; fails after PATIENCE.
async fn next(
    actions: &mut UnboundedReceiver<Action>,
    wanted: impl Fn(&Action) -> bool,
) -> Vec<Action> {
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let action = tokio::time::timeout_at(deadline, actions.recv())
            .await
            .unwrap_or_else(|_| panic!("timed out; saw {seen:#?}"))
            .expect("worker alive");
        let done = wanted(&action);
        seen.push(action);
        if done {
            return seen;
        }
    }
}

fn is_message(action: &Action, body: &str) -> bool {
    matches!(action, Action::Live(Live::Event(EventData::MessageCreated { message })) if message.body == body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_websocket_resumes_after_the_daemon_comes_back() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (daemon, url) = start(dir.path(), "127.0.0.1:0").await;
    let addr = url.trim_start_matches("http://").to_owned();
    let priya = Client::new(&url, Some("cct_demo_priya".to_owned()));
    let tom = Client::new(&url, Some("cct_demo_tom".to_owned()));
    let conversation = priya
        .list_conversations(&ConversationFilter::default())
        .await
        .expect("list")
        .items[0]
        .id;
    let (_commands, mut actions) = console(priya.clone());
    // A fresh connection says so, then asks for a reload.
    next(&mut actions, |a| *a == Action::Live(Live::Resync)).await;

    let say = |body: &str| NewMessage {
        body: Some(body.to_owned()),
        ..NewMessage::default()
    };
    tom.send_message(conversation, &say("before the drop"))
        .await
        .expect("send");
    next(&mut actions, |a| is_message(a, "before the drop")).await;

    daemon.stop().await;
    next(&mut actions, |a| {
        *a == Action::Connection(ConnState::Reconnecting)
    })
    .await;
    let (daemon, _) = start(dir.path(), &addr).await;
    tom.send_message(conversation, &say("after the drop"))
        .await
        .expect("send");
    let seen = next(&mut actions, |a| is_message(a, "after the drop")).await;
    assert!(
        !seen.contains(&Action::Live(Live::Resync)),
        "a resumed connection does not reload: {seen:#?}"
    );
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_request_comes_back_as_an_error_not_a_hang() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (daemon, url) = start(dir.path(), "127.0.0.1:0").await;
    let priya = Client::new(&url, Some("cct_demo_priya".to_owned()));
    let (commands, mut actions) = console(priya);
    let unknown = commcenter::Id::generate(0);
    commands
        .send(Command::FetchConversation(unknown))
        .expect("worker");
    next(
        &mut actions,
        |a| matches!(a, Action::Failed(e) if e.contains("not found")),
    )
    .await;
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typing_in_one_console_shows_in_another() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (daemon, url) = start(dir.path(), "127.0.0.1:0").await;
    let priya = Client::new(&url, Some("cct_demo_priya".to_owned()));
    let tom = Client::new(&url, Some("cct_demo_tom".to_owned()));
    let me = priya.me().await.expect("me").id;
    let conversation = priya
        .list_conversations(&ConversationFilter::default())
        .await
        .expect("list")
        .items[0]
        .id;
    let (priya_console, mut priya_actions) = console(priya);
    let (_tom_console, mut tom_actions) = console(tom);
    next(&mut priya_actions, |a| *a == Action::Live(Live::Resync)).await;
    next(&mut tom_actions, |a| *a == Action::Live(Live::Resync)).await;

    priya_console
        .send(Command::Typing {
            conversation_id: conversation,
            state: TypingState::Start,
        })
        .expect("worker");
    let typing = Action::Live(Live::Typing {
        conversation_id: conversation,
        user_id: me,
        state: TypingState::Start,
    });
    next(&mut tom_actions, |a| *a == typing).await;
    daemon.stop().await;
}

/// The answer the worker sends for one command (other actions skipped).
async fn answer(
    commands: &tokio::sync::mpsc::UnboundedSender<Command>,
    actions: &mut UnboundedReceiver<Action>,
    command: Command,
) -> commcenter_tui::action::Loaded {
    commands.send(command).expect("worker");
    let seen = next(actions, |a| {
        matches!(a, Action::Loaded(_) | Action::Failed(_))
    })
    .await;
    match seen.into_iter().last() {
        Some(Action::Loaded(loaded)) => loaded,
        other => panic!("the worker failed: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_customers_projects_and_analytics_screens_load_from_the_demo_daemon() {
    use commcenter_tui::action::Loaded;
    let dir = tempfile::tempdir().expect("temp dir");
    let (daemon, daemon_url) = start(dir.path(), "127.0.0.1:0").await;
    let priya = Client::new(&daemon_url, Some("cct_demo_priya".to_owned()));
    let (commands, mut actions) = console(priya);

    let find = Command::FindCustomers {
        generation: 1,
        query: "whitfield".to_owned(),
    };
    let Loaded::Customers { users, .. } = answer(&commands, &mut actions, find).await else {
        panic!("customers");
    };
    assert_eq!(
        users.iter().map(|u| u.name.as_str()).collect::<Vec<_>>(),
        ["James Whitfield"]
    );
    let link = Command::PortalLink {
        user_id: users[0].id,
        send: None,
    };
    let Loaded::PortalLink { url, .. } = answer(&commands, &mut actions, link).await else {
        panic!("portal link");
    };
    assert!(url.contains("/portal#code="), "{url}");
    // Sent by email: it lands in James's open conversation, link and all.
    let link = Command::PortalLink {
        user_id: users[0].id,
        send: Some(commcenter::wire::Channel::Email),
    };
    let Loaded::PortalLink {
        url: sent_url,
        sent,
        ..
    } = answer(&commands, &mut actions, link).await
    else {
        panic!("portal link");
    };
    assert_eq!(sent, Some(commcenter::wire::Channel::Email));
    let staff = Client::new(&daemon_url, Some("cct_demo_priya".to_owned()));
    let opened = commcenter::outreach::open_conversation(&staff, users[0].id, None, None)
        .await
        .expect("James's open conversation");
    assert!(
        !opened.created,
        "the link went into an existing conversation"
    );
    let newest = staff
        .list_messages(opened.conversation_id, Some(1), None)
        .await
        .expect("messages");
    let message = &newest.items[0];
    assert!(message.body.contains(&sent_url), "{message:?}");
    assert_eq!(message.channel, commcenter::wire::Channel::Email);

    let Loaded::Projects(projects) = answer(&commands, &mut actions, Command::LoadProjects).await
    else {
        panic!("projects");
    };
    let kitchen = projects
        .iter()
        .find(|p| p.name.starts_with("Kitchen refit"))
        .expect("the demo's kitchen project");
    let crew = Command::LoadCrewMessages {
        project_id: kitchen.id,
        conversation_id: kitchen.conversation_id,
    };
    let Loaded::CrewMessages { messages, .. } = answer(&commands, &mut actions, crew).await else {
        panic!("crew messages");
    };
    assert!(
        messages
            .iter()
            .any(|m| m.location.is_some() && kitchen.crew_ids.contains(&m.sender_id)),
        "a crew member of the demo's kitchen refit shared a location"
    );

    let since = commcenter::Timestamp::now().plus_millis(-29 * 86_400_000);
    let load = Command::LoadAnalytics {
        days: 30,
        since: since.to_string()[..10].to_owned(),
    };
    let Loaded::Analytics { overview, top, .. } = answer(&commands, &mut actions, load).await
    else {
        panic!("analytics");
    };
    assert!(overview.total_messages > 0);
    assert!(!top.is_empty());
    assert!(top
        .windows(2)
        .all(|w| w[0].engagement_score >= w[1].engagement_score));
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_template_renders_and_a_file_goes_up_and_comes_back_byte_for_byte() {
    use commcenter_tui::action::Loaded;
    let dir = tempfile::tempdir().expect("temp dir");
    let (daemon, url) = start(dir.path(), "127.0.0.1:0").await;
    let priya = Client::new(&url, Some("cct_demo_priya".to_owned()));
    let conversation = priya
        .list_conversations(&ConversationFilter::default())
        .await
        .expect("list")
        .items[0]
        .id;
    let (commands, mut actions) = console(priya.clone());

    let Loaded::Templates(templates) =
        answer(&commands, &mut actions, Command::LoadTemplates).await
    else {
        panic!("templates");
    };
    let arrival = templates
        .into_iter()
        .find(|t| t.variables.iter().any(|v| v == "var.arrival_window"))
        .expect("the demo's arrival template");
    let render = Command::RenderTemplate {
        template: Box::new(arrival),
        conversation_id: conversation,
        variables: [("arrival_window".to_owned(), "9 and 11am".to_owned())].into(),
    };
    let Loaded::Rendered { rendered, .. } = answer(&commands, &mut actions, render).await else {
        panic!("rendered");
    };
    assert!(rendered.body.contains("9 and 11am"), "{}", rendered.body);

    let local = dir.path().join("notes.txt");
    std::fs::write(&local, b"gauge at 0.5 bar\n").expect("write");
    let upload = Command::Upload {
        conversation_id: conversation,
        path: local.display().to_string(),
    };
    let Loaded::Uploaded { file, .. } = answer(&commands, &mut actions, upload).await else {
        panic!("uploaded");
    };
    assert_eq!(file.name, "notes.txt");
    let saved = dir.path().join("saved.txt");
    let save = Command::SaveFile {
        file: file.clone(),
        path: saved.display().to_string(),
    };
    answer(&commands, &mut actions, save).await;
    assert_eq!(std::fs::read(&saved).expect("saved"), b"gauge at 0.5 bar\n");
    // Saving again never overwrites.
    commands
        .send(Command::SaveFile {
            file,
            path: saved.display().to_string(),
        })
        .expect("worker");
    next(
        &mut actions,
        |a| matches!(a, Action::Failed(e) if e.contains("exists")),
    )
    .await;
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_coming_online_shows_in_the_console() {
    use commcenter_tui::action::Loaded;
    let dir = tempfile::tempdir().expect("temp dir");
    let (daemon, url) = start(dir.path(), "127.0.0.1:0").await;
    let priya = Client::new(&url, Some("cct_demo_priya".to_owned()));
    let helen = Client::new(&url, Some("cct_demo_c1".to_owned()));
    let helen_id = helen.me().await.expect("me").id;
    let (commands, mut actions) = console(priya);
    next(&mut actions, |a| *a == Action::Live(Live::Resync)).await;
    let Loaded::Presence(before) = answer(&commands, &mut actions, Command::LoadPresence).await
    else {
        panic!("presence");
    };
    let was = before.iter().find(|p| p.user_id == helen_id);
    assert_eq!(was.map(|p| p.online), Some(false), "{before:?}");

    // Helen (a customer) opens her portal: any WebSocket of hers will do.
    let (_portal, _helen_actions) = console(helen);
    next(
        &mut actions,
        |a| matches!(a, Action::Live(Live::Presence(p)) if p.user_id == helen_id && p.online),
    )
    .await;
    let Loaded::Presence(after) = answer(&commands, &mut actions, Command::LoadPresence).await
    else {
        panic!("presence");
    };
    let now = after.iter().find(|p| p.user_id == helen_id);
    assert_eq!(now.map(|p| p.online), Some(true), "{after:?}");
    daemon.stop().await;
}

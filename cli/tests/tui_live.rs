//! The console's worker against a real daemon: live events arrive, and
//! after the daemon goes away and comes back the WebSocket resumes from
//! where it was (`since`/`epoch`) instead of starting afresh.

use std::time::Duration;

use commcenter::client::Client;
use commcenter::wire::{ConversationFilter, EventData, NewMessage, TypingState};
use commcenter_tui::action::{Action, Command, ConnState, Live};
use commcenter_tui::worker;
use commcenterd::{AppState, Settings};
use tokio::sync::mpsc::UnboundedReceiver;
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
    let (tx, mut actions) = tokio::sync::mpsc::unbounded_channel();
    let _commands = worker::spawn(priya.clone(), tx);
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
    let (tx, mut actions) = tokio::sync::mpsc::unbounded_channel();
    let commands = worker::spawn(priya, tx);
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
    let (priya_tx, mut priya_actions) = tokio::sync::mpsc::unbounded_channel();
    let (tom_tx, mut tom_actions) = tokio::sync::mpsc::unbounded_channel();
    let priya_console = worker::spawn(priya, priya_tx);
    let _tom_console = worker::spawn(tom, tom_tx);
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

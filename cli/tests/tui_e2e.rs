//! End to end: the real `commcenter tui` in a tmux pane against a real
//! daemon with the demo data. Opens the console, picks a conversation,
//! sends a reply and sees it appear, then sees a message another client
//! sends arrive live. Needs `tmux` (scripts/test-peers.sh installs it).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use commcenter::client::Client;
use commcenter::wire::{ConversationFilter, ConversationStatus, NewMessage};
use commcenterd::{AppState, Settings};
use tokio::sync::oneshot;

/// How long the console may take to show what the test waits for.
const PATIENCE: Duration = Duration::from_secs(20);

/// A tmux server of the test's own (its own socket), killed on drop.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn start(command: &str, width: u16, height: u16) -> Tmux {
        // One server per test: tests of this file run in parallel.
        static STARTED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = STARTED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let socket = format!("commcenter-e2e-{}-{n}", std::process::id());
        let tmux = Tmux { socket };
        let status = tmux
            .command()
            .args(["new-session", "-d", "-s", "console"])
            .args(["-x", &width.to_string(), "-y", &height.to_string()])
            .arg(command)
            .status()
            .expect("tmux runs (install it with scripts/test-peers.sh)");
        assert!(status.success(), "tmux new-session failed");
        tmux
    }

    fn command(&self) -> Command {
        let mut command = Command::new("tmux");
        command.args(["-L", &self.socket]);
        command
    }

    fn keys(&self, keys: &[&str]) {
        let status = self
            .command()
            .args(["send-keys", "-t", "console"])
            .args(keys)
            .status()
            .expect("tmux send-keys");
        assert!(status.success());
    }

    fn text(&self, text: &str) {
        let status = self
            .command()
            .args(["send-keys", "-t", "console", "-l", text])
            .status()
            .expect("tmux send-keys");
        assert!(status.success());
    }

    fn capture(&self) -> String {
        let out = self
            .command()
            .args(["capture-pane", "-p", "-t", "console"])
            .output()
            .expect("tmux capture-pane");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Waits until the pane shows `needle`; fails with the pane's content.
    async fn wait_for(&self, needle: &str) -> String {
        self.wait_until(needle, |screen| screen.contains(needle))
            .await
    }

    /// Waits until `done` holds for the pane's content.
    async fn wait_until(&self, what: &str, done: impl Fn(&str) -> bool) -> String {
        let started = Instant::now();
        loop {
            let screen = self.capture();
            if done(&screen) {
                return screen;
            }
            if started.elapsed() > PATIENCE {
                panic!("the console never showed {what}; it shows:\n{screen}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn session_alive(&self) -> bool {
        self.command()
            .args(["has-session", "-t", "console"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        // The server is usually gone already (the console quit); say nothing.
        let _ = self
            .command()
            .arg("kill-server")
            .stderr(Stdio::null())
            .status();
    }
}

/// A daemon with the demo data on a port-0 listener; stops when dropped.
struct DemoDaemon {
    url: String,
    _dir: tempfile::TempDir,
    _stop: oneshot::Sender<()>,
}

async fn demo_daemon() -> DemoDaemon {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut settings = Settings::for_data_dir(dir.path());
    settings.demo = true;
    let opened = AppState::open(settings).await.expect("daemon opens");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(commcenterd::serve(listener, opened.state, async move {
        let _ = stopped.await;
    }));
    DemoDaemon {
        url,
        _dir: dir,
        _stop: stop,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_replies_and_shows_a_message_from_another_client_live() {
    let daemon = demo_daemon().await;
    let priya = Client::new(&daemon.url, Some("cct_demo_priya".to_owned()));
    let tom = Client::new(&daemon.url, Some("cct_demo_tom".to_owned()));
    let open = ConversationFilter {
        status: Some(ConversationStatus::Open),
        ..ConversationFilter::default()
    };
    let first = priya.list_conversations(&open).await.expect("list").items[0].clone();
    let customer = priya.get_user(first.customer_id).await.expect("customer");

    let binary = env!("CARGO_BIN_EXE_commcenter");
    let command = format!(
        "{binary} tui --no-bell --url {} --token cct_demo_priya",
        daemon.url
    );
    let tmux = Tmux::start(&command, 100, 30);
    tmux.wait_for("● connected").await;
    tmux.wait_for(&customer.name).await;

    // The newest open conversation is selected first; open it.
    tmux.keys(&["Enter"]);
    let header = tmux.wait_for("Conversation ").await;
    assert!(header.contains(&customer.name), "{header}");

    tmux.keys(&["r"]);
    tmux.wait_for("Reply via").await;
    tmux.text("Reply from the console e2e");
    tmux.keys(&["Enter"]);
    // Sent: the editor has closed and the reply is in the thread.
    tmux.wait_until("the sent reply", |screen| {
        screen.contains("Reply from the console e2e") && !screen.contains("Reply via")
    })
    .await;
    let sent = priya
        .list_messages(first.id, Some(5), None)
        .await
        .expect("messages");
    assert!(sent
        .items
        .iter()
        .any(|m| m.body == "Reply from the console e2e" && m.sender_id != customer.id));

    let live = NewMessage {
        body: Some("Tom here, arriving live".to_owned()),
        ..NewMessage::default()
    };
    tom.send_message(first.id, &live).await.expect("tom sends");
    tmux.wait_for("Tom here, arriving live").await;

    // q leaves the conversation, a second q quits and the pane's command ends.
    tmux.keys(&["q"]);
    tmux.wait_for("Conversations").await;
    tmux.keys(&["q"]);
    let started = Instant::now();
    while tmux.session_alive() {
        assert!(started.elapsed() < PATIENCE, "the console did not quit");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_shows_customers_projects_and_analytics_at_80x24() {
    let daemon = demo_daemon().await;
    let binary = env!("CARGO_BIN_EXE_commcenter");
    let command = format!(
        "{binary} tui --no-bell --url {} --token cct_demo_priya",
        daemon.url
    );
    let tmux = Tmux::start(&command, 80, 24);
    tmux.wait_for("● connected").await;

    tmux.keys(&["2"]);
    tmux.wait_for("Helen Carter").await;
    tmux.keys(&["f"]);
    tmux.text("whitf");
    tmux.wait_until("only the matching customer", |s| {
        s.contains("James Whitfield") && !s.contains("Helen Carter")
    })
    .await;
    tmux.keys(&["Enter", "Enter"]);
    tmux.wait_for("engagement").await;
    // Wait for Esc to land: Esc and a key right after it read as Alt-key.
    tmux.keys(&["Escape"]);
    tmux.wait_until("the customer list again", |s| !s.contains("engagement"))
        .await;

    tmux.keys(&["3"]);
    tmux.wait_for("Kitchen refit").await;
    // A crew member's last position, from the demo's located messages.
    tmux.wait_for("⌖").await;

    tmux.keys(&["4"]);
    let screen = tmux.wait_for("Daily messages").await;
    assert!(screen.contains("Top customers"), "{screen}");
    // The footer is whole at 80 columns: it ends with the help key.
    let footer = screen.lines().nth(22).unwrap_or_default();
    assert!(footer.contains("? help"), "{footer}");

    tmux.keys(&["q"]);
    let started = Instant::now();
    while tmux.session_alive() {
        assert!(started.elapsed() < PATIENCE, "the console did not quit");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

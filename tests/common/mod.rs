//! The test harness: a real daemon on a port-0 listener with a temp data dir,
//! talked to over real HTTP.
#![allow(dead_code)]

use commcenter::client::Client;
use commcenter::wire::{NewToken, NewUser, Role, User};
use commcenterd::{AppState, Settings};
use tempfile::TempDir;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The bootstrap admin's token in every test daemon.
pub const ADMIN_TOKEN: &str = "cct_test_admin_token";

/// A running daemon. Stop it with [`TestDaemon::stop`] to keep its data dir
/// for a restart; dropping it aborts it.
pub struct TestDaemon {
    pub base_url: String,
    pub admin: Client,
    pub dir: Option<TempDir>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl TestDaemon {
    /// A daemon on a fresh, empty data dir.
    pub async fn start() -> TestDaemon {
        Self::start_in(tempfile::tempdir().expect("temp dir")).await
    }

    /// A daemon on `dir` (empty, or kept from a stopped daemon).
    pub async fn start_in(dir: TempDir) -> TestDaemon {
        Self::start_with(dir, |_| {}).await
    }

    /// A daemon on `dir` with settings adjusted by `adjust`.
    pub async fn start_with(dir: TempDir, adjust: impl FnOnce(&mut Settings)) -> TestDaemon {
        let mut settings = Settings::for_data_dir(dir.path());
        settings.admin_token = Some(ADMIN_TOKEN.to_owned());
        adjust(&mut settings);
        let opened = AppState::open(settings)
            .await
            .expect("daemon opens its data dir");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind port 0");
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let task = tokio::spawn(commcenterd::serve(listener, opened.state, async move {
            let _ = stop_rx.await;
        }));
        let admin = Client::new(&base_url, Some(ADMIN_TOKEN.to_owned()));
        TestDaemon {
            base_url,
            admin,
            dir: Some(dir),
            stop: Some(stop_tx),
            task: Some(task),
        }
    }

    /// Shuts the daemon down gracefully and hands back its data dir.
    pub async fn stop(mut self) -> TempDir {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await
                .expect("daemon task")
                .expect("daemon exits cleanly");
        }
        self.dir.take().expect("data dir")
    }

    /// A client with `token`.
    pub fn client(&self, token: &str) -> Client {
        Client::new(&self.base_url, Some(token.to_owned()))
    }

    /// A client without a token.
    pub fn anonymous(&self) -> Client {
        Client::new(&self.base_url, None)
    }

    /// Creates a user with `role` and a token for them.
    pub async fn user(&self, role: Role, name: &str) -> (User, Client) {
        let user = self
            .admin
            .create_user(&NewUser {
                name: name.to_owned(),
                role,
                email: Some(format!(
                    "{}@example.com",
                    name.to_lowercase().replace(' ', ".")
                )),
                phone: Some("+44 7700 900000".to_owned()),
            })
            .await
            .expect("create user");
        let token = self
            .admin
            .issue_token(user.id, &NewToken::default())
            .await
            .expect("issue token");
        (user, self.client(&token.token))
    }
}

impl Drop for TestDaemon {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

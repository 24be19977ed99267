//! The test harness: a real daemon on a port-0 listener with a temp data dir,
//! talked to over real HTTP, and the fixtures most tests share.
#![allow(dead_code)]

pub mod ws;

use std::path::Path;

use commcenter::access::Caller;
use commcenter::client::{Client, RawResponse};
use commcenter::wire::{
    Conversation, ErrorDetail, IssuedToken, Message, NewConversation, NewMessage, NewProject,
    NewToken, NewUser, Project, Role, User,
};
use commcenter::Id;
use commcenter_store::{Store, StoreOptions, StoredEvent};
use commcenterd::{AppState, Settings};
use http::Method;
use serde_json::Value;
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

/// A user and a client holding one of their tokens.
#[derive(Clone)]
pub struct Actor {
    pub user: User,
    pub client: Client,
}

impl Actor {
    pub fn id(&self) -> Id {
        self.user.id
    }

    /// The user as the store's access rules see them.
    pub fn caller(&self) -> Caller {
        Caller {
            user_id: self.user.id,
            role: self.user.role,
            token_id: Id::generate(0),
        }
    }
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
        Self::launch(dir, adjust, "127.0.0.1:0").await
    }

    /// Stops the daemon and starts another on the same data dir and the same
    /// address, so that every client made for the first one talks to the
    /// second.
    pub async fn restart(self) -> TestDaemon {
        let addr = self.addr();
        let dir = self.stop().await;
        Self::start_at(dir, &addr).await
    }

    /// A daemon on `dir` listening on `addr` (a stopped daemon's [`Self::addr`]).
    pub async fn start_at(dir: TempDir, addr: &str) -> TestDaemon {
        Self::launch(dir, |_| {}, addr).await
    }

    /// The address the daemon listens on.
    pub fn addr(&self) -> String {
        self.base_url.trim_start_matches("http://").to_owned()
    }

    async fn launch(dir: TempDir, adjust: impl FnOnce(&mut Settings), addr: &str) -> TestDaemon {
        let mut settings = Settings::for_data_dir(dir.path());
        settings.admin_token = Some(ADMIN_TOKEN.to_owned());
        adjust(&mut settings);
        let opened = AppState::open(settings)
            .await
            .expect("daemon opens its data dir");
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .expect("bind the listener");
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

    /// Creates a user with `role`, an email and a phone, and a token for them.
    pub async fn user(&self, role: Role, name: &str) -> (User, Client) {
        let actor = self
            .actor(NewUser {
                name: name.to_owned(),
                role,
                email: Some(format!(
                    "{}@example.com",
                    name.to_lowercase().replace(' ', ".")
                )),
                phone: Some("+44 7700 900000".to_owned()),
            })
            .await;
        (actor.user, actor.client)
    }

    /// Creates the user `new` describes and a token for them.
    pub async fn actor(&self, new: NewUser) -> Actor {
        let user = self.admin.create_user(&new).await.expect("create user");
        let token = self.token_for(user.id).await;
        Actor {
            user,
            client: self.client(&token.token),
        }
    }

    pub async fn customer(&self, name: &str) -> Actor {
        self.role_actor(Role::Customer, name).await
    }

    pub async fn agent(&self, name: &str) -> Actor {
        self.role_actor(Role::Agent, name).await
    }

    pub async fn crew(&self, name: &str) -> Actor {
        self.role_actor(Role::Crew, name).await
    }

    async fn role_actor(&self, role: Role, name: &str) -> Actor {
        let (user, client) = self.user(role, name).await;
        Actor { user, client }
    }

    /// A fresh token for `user_id`, issued by the admin.
    pub async fn token_for(&self, user_id: Id) -> IssuedToken {
        self.admin
            .issue_token(user_id, &NewToken::default())
            .await
            .expect("issue token")
    }
}

impl Drop for TestDaemon {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// An `in_app` message with `body`.
pub fn text(body: &str) -> NewMessage {
    NewMessage {
        body: Some(body.to_owned()),
        ..Default::default()
    }
}

/// Opens a customer conversation for `customer_id` as `by`.
pub async fn open_conversation(by: &Client, customer_id: Id) -> Conversation {
    by.create_conversation(&NewConversation {
        customer_id,
        subject: Some("Boiler service".into()),
    })
    .await
    .expect("create conversation")
}

/// Sends an `in_app` message with `body` as `by`.
pub async fn send_text(by: &Client, conversation_id: Id, body: &str) -> Message {
    by.send_message(conversation_id, &text(body))
        .await
        .expect("send message")
}

/// Creates a project for `customer_id` with `crew_ids` assigned.
pub async fn create_project(by: &Client, customer_id: Id, crew_ids: Vec<Id>) -> Project {
    by.create_project(&NewProject {
        name: "Loft conversion".into(),
        customer_id,
        address: Some("1 High Street".into()),
        crew_ids: Some(crew_ids),
    })
    .await
    .expect("create project")
}

/// Sends a request with an optional JSON body and extra headers.
pub async fn request(
    by: &Client,
    method: Method,
    path: &str,
    body: Option<&Value>,
    headers: &[(&str, &str)],
) -> RawResponse {
    let bytes = body.map(|b| serde_json::to_vec(b).expect("json"));
    by.send_raw(method, path, bytes, headers)
        .await
        .expect("the daemon answers")
}

/// `POST path` with a JSON body.
pub async fn post(by: &Client, path: &str, body: Value) -> RawResponse {
    request(by, Method::POST, path, Some(&body), &[]).await
}

/// `GET path`.
pub async fn get(by: &Client, path: &str) -> RawResponse {
    request(by, Method::GET, path, None, &[]).await
}

/// The error of an error answer, after checking that the body is exactly
/// the envelope `{"error": {"code", "message", "field"}}` and that the code
/// matches the status.
pub fn error_of(response: &RawResponse) -> ErrorDetail {
    let value: Value = serde_json::from_slice(&response.body).unwrap_or_else(|e| {
        panic!(
            "error body is not JSON ({e}): {}",
            String::from_utf8_lossy(&response.body)
        )
    });
    let outer: Vec<&String> = value.as_object().expect("an object").keys().collect();
    assert_eq!(outer, ["error"], "envelope: {value}");
    let mut inner: Vec<&String> = value["error"]
        .as_object()
        .expect("error object")
        .keys()
        .collect();
    inner.sort();
    assert_eq!(inner, ["code", "field", "message"], "envelope: {value}");
    let detail: ErrorDetail = serde_json::from_value(value["error"].clone()).expect("error detail");
    assert_eq!(
        detail.code.status(),
        response.status,
        "code matches status: {value}"
    );
    assert!(!detail.message.is_empty(), "an error has a message");
    detail
}

/// The store file of a data dir.
pub fn store_path(dir: &Path) -> std::path::PathBuf {
    dir.join(commcenterd::app::STORE_FILE)
}

/// Opens the store of a stopped daemon's data dir.
pub fn open_store(dir: &Path) -> Store {
    Store::open(&store_path(dir), &StoreOptions::default()).expect("store opens")
}

/// A staff caller, who may see every event.
pub fn staff_caller() -> Caller {
    Caller {
        user_id: Id::generate(0),
        role: Role::Admin,
        token_id: Id::generate(0),
    }
}

/// Every stored event after `since`, in log order.
pub async fn events_after(store: &Store, since: u64) -> Vec<StoredEvent> {
    events_seen_by(store, staff_caller(), since).await
}

/// The stored events after `since` that `caller` may see, in log order.
pub async fn events_seen_by(store: &Store, caller: Caller, since: u64) -> Vec<StoredEvent> {
    store
        .read(move |v| v.events_after(&caller, since, usize::MAX))
        .await
        .expect("read the event log")
        .0
}

/// An event's frame as JSON: `{"type", "seq", "data"}`.
pub fn frame(event: &StoredEvent) -> Value {
    serde_json::from_str(&event.frame).expect("frame is JSON")
}

/// A daemon with an agent and a customer who share a conversation.
pub struct Chat {
    pub daemon: TestDaemon,
    pub agent: Actor,
    pub ann: Actor,
    pub conversation: Id,
}

impl Chat {
    pub async fn start() -> Chat {
        let daemon = TestDaemon::start().await;
        let agent = daemon.agent("Bob Agent").await;
        let ann = daemon.customer("Ann Customer").await;
        let conversation = open_conversation(&agent.client, ann.id()).await.id;
        Chat {
            daemon,
            agent,
            ann,
            conversation,
        }
    }
}

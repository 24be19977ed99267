//! The authorization matrix: every route of the daemon, called by every kind
//! of caller, answers with the status the API contract gives: 401 without a
//! live token, 403 for a known caller without the right, 404 for what the
//! caller may not see at all (so that existence does not leak).

mod common;

use std::collections::BTreeSet;

use commcenter::wire::{Message, NewMessage, NewUser, Project, Role};
use commcenter::Id;
use commcenterd::ROUTES;
use common::{create_project, error_of, open_conversation, send_text, Actor, TestDaemon};
use futures_util::{stream, StreamExt};
use http::Method;

/// The columns of the matrix, in order.
const CALLERS: [&str; 8] = [
    "admin",
    "agent",
    "crew assigned",
    "crew not assigned",
    "customer owner",
    "other customer",
    "no token",
    "revoked token",
];

/// What a route's `{id}` stands for in a row.
#[derive(Debug, Clone, Copy)]
enum Target {
    /// The route has no `{id}`.
    Nothing,
    /// The owner customer, as a user.
    Owner,
    /// The assigned crew member, as a user.
    Crew,
    /// Another agent (a staff user who is not the agent column).
    Colleague,
    /// A fresh token of the owner customer, issued for this call.
    OwnerToken,
    /// A fresh token of the assigned crew member.
    CrewToken,
    /// A fresh token of the other agent.
    ColleagueToken,
    Project,
    /// The owner's customer conversation.
    Conversation,
    /// The project's crew channel (a `project` conversation).
    CrewChannel,
    /// An `in_app` message of the other agent in the owner's conversation.
    AgentMessage,
    /// A message of the owner in their conversation.
    CustomerMessage,
    /// A private note of the other agent in the owner's conversation.
    Note,
    /// A message of the assigned crew member in the crew channel.
    CrewMessage,
    /// A photo the owner uploaded and attached to nothing.
    OwnerPhoto,
    /// A file the other agent uploaded and attached to `AgentMessage`.
    AgentFile,
    /// A file the other agent uploaded and attached to `Note` only.
    NoteFile,
    /// A file the crew member uploaded and attached to `CrewMessage`.
    CrewFile,
    /// A fresh template, created by the admin for this call.
    Template,
}

/// One row: a route with a target and a JSON body (`{customer}` stands for
/// the owner's id), and the expected status for each of [`CALLERS`].
struct Row {
    method: Method,
    template: &'static str,
    target: Target,
    body: &'static str,
    expect: [u16; 8],
    headers: &'static [(&'static str, &'static str)],
}

const fn row(
    method: Method,
    template: &'static str,
    target: Target,
    body: &'static str,
    expect: [u16; 8],
) -> Row {
    Row {
        method,
        template,
        target,
        body,
        expect,
        headers: &[],
    }
}

/// A row for a `GET` sent as a WebSocket handshake (RFC 6455's sample key).
const fn handshake(template: &'static str, expect: [u16; 8]) -> Row {
    Row {
        method: Method::GET,
        template,
        target: Target::Nothing,
        body: "",
        expect,
        headers: &[
            ("connection", "Upgrade"),
            ("upgrade", "websocket"),
            ("sec-websocket-version", "13"),
            ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="),
        ],
    }
}

/// A row for a `POST` of a non-JSON body with its `Content-Type`.
const fn upload(
    template: &'static str,
    body: &'static str,
    content_type: &'static [(&'static str, &'static str)],
    expect: [u16; 8],
) -> Row {
    Row {
        method: Method::POST,
        template,
        target: Target::Nothing,
        body,
        expect,
        headers: content_type,
    }
}

/// A batch of one text file, with the boundary `BATCH_TYPE` names.
const BATCH_BODY: &str =
    "--b0undary\r\nContent-Disposition: form-data; name=\"files\"; filename=\"meter.txt\"\r\n\
    Content-Type: text/plain\r\n\r\nMeter reading 4711\r\n--b0undary--\r\n";
const BATCH_TYPE: &[(&str, &str)] = &[("content-type", "multipart/form-data; boundary=b0undary")];
const TEXT_TYPE: &[(&str, &str)] = &[("content-type", "text/plain")];

use Target::*;
const GET: Method = Method::GET;
const POST: Method = Method::POST;
const PATCH: Method = Method::PATCH;
const DELETE: Method = Method::DELETE;
const PUT: Method = Method::PUT;

#[rustfmt::skip]
const MATRIX: &[Row] = &[
    //  method, template, target, body,
    //  [admin, agent, crew, idle crew, owner, other customer, no token, revoked]
    row(GET, "/healthz", Nothing, "", [200, 200, 200, 200, 200, 200, 200, 200]),
    row(GET, "/readyz", Nothing, "", [200, 200, 200, 200, 200, 200, 200, 200]),
    row(GET, "/api/v1/openapi.json", Nothing, "", [200, 200, 200, 200, 200, 200, 200, 200]),
    row(GET, "/api/v1/me", Nothing, "", [200, 200, 200, 200, 200, 200, 401, 401]),
    row(POST, "/api/v1/users", Nothing, r#"{"name":"New Customer","role":"customer"}"#,
        [201, 403, 403, 403, 403, 403, 401, 401]),
    row(GET, "/api/v1/users", Nothing, "", [200, 200, 403, 403, 403, 403, 401, 401]),
    row(GET, "/api/v1/users/{id}", Owner, "", [200, 200, 403, 403, 403, 403, 401, 401]),
    row(PATCH, "/api/v1/users/{id}", Owner, r#"{"name":"Ann Owner"}"#,
        [200, 403, 403, 403, 403, 403, 401, 401]),
    row(POST, "/api/v1/users/{id}/tokens", Owner, "{}", [201, 201, 403, 403, 403, 403, 401, 401]),
    row(POST, "/api/v1/users/{id}/tokens", Crew, "{}", [201, 201, 403, 403, 403, 403, 401, 401]),
    row(POST, "/api/v1/users/{id}/tokens", Colleague, "{}", [201, 403, 403, 403, 403, 403, 401, 401]),
    row(GET, "/api/v1/users/{id}/tokens", Owner, "", [200, 200, 403, 403, 403, 403, 401, 401]),
    row(GET, "/api/v1/users/{id}/tokens", Colleague, "", [200, 403, 403, 403, 403, 403, 401, 401]),
    row(DELETE, "/api/v1/tokens/{id}", OwnerToken, "", [204, 204, 404, 404, 204, 404, 401, 401]),
    row(DELETE, "/api/v1/tokens/{id}", CrewToken, "", [204, 204, 204, 404, 404, 404, 401, 401]),
    row(DELETE, "/api/v1/tokens/{id}", ColleagueToken, "", [204, 403, 404, 404, 404, 404, 401, 401]),
    row(POST, "/api/v1/projects", Nothing, r#"{"name":"Extension","customer_id":"{customer}"}"#,
        [201, 201, 403, 403, 403, 403, 401, 401]),
    row(GET, "/api/v1/projects", Nothing, "", [200, 200, 200, 200, 200, 200, 401, 401]),
    row(GET, "/api/v1/projects/{id}", Project, "", [200, 200, 200, 404, 200, 404, 401, 401]),
    row(PATCH, "/api/v1/projects/{id}", Project, r#"{"address":"2 High Street"}"#,
        [200, 200, 403, 404, 403, 404, 401, 401]),
    row(GET, "/api/v1/projects/{id}/messages", Project, "", [200, 200, 200, 404, 404, 404, 401, 401]),
    row(POST, "/api/v1/projects/{id}/messages", Project, r#"{"body":"On site"}"#,
        [201, 201, 201, 404, 404, 404, 401, 401]),
    row(POST, "/api/v1/projects/{id}/messages", Project, r#"{"body":"Called","channel":"phone"}"#,
        [201, 201, 201, 404, 404, 404, 401, 401]),
    row(POST, "/api/v1/conversations", Nothing, r#"{"customer_id":"{customer}"}"#,
        [201, 201, 403, 403, 201, 403, 401, 401]),
    row(GET, "/api/v1/conversations", Nothing, "", [200, 200, 200, 200, 200, 200, 401, 401]),
    row(GET, "/api/v1/conversations/{id}", Conversation, "", [200, 200, 404, 404, 200, 404, 401, 401]),
    row(GET, "/api/v1/conversations/{id}", CrewChannel, "", [200, 200, 200, 404, 404, 404, 401, 401]),
    row(PATCH, "/api/v1/conversations/{id}", Conversation, r#"{"tags":["boiler"]}"#,
        [200, 200, 404, 404, 403, 404, 401, 401]),
    row(PATCH, "/api/v1/conversations/{id}", CrewChannel, r#"{"status":"open"}"#,
        [200, 200, 403, 404, 404, 404, 401, 401]),
    row(POST, "/api/v1/conversations/{id}/read", Conversation, "{}",
        [200, 200, 404, 404, 200, 404, 401, 401]),
    row(POST, "/api/v1/conversations/{id}/read", CrewChannel, "{}",
        [200, 200, 200, 404, 404, 404, 401, 401]),
    row(GET, "/api/v1/conversations/{id}/messages", Conversation, "",
        [200, 200, 404, 404, 200, 404, 401, 401]),
    row(GET, "/api/v1/conversations/{id}/messages", CrewChannel, "",
        [200, 200, 200, 404, 404, 404, 401, 401]),
    row(POST, "/api/v1/conversations/{id}/messages", Conversation, r#"{"body":"Hello"}"#,
        [201, 201, 404, 404, 201, 404, 401, 401]),
    row(POST, "/api/v1/conversations/{id}/messages", Conversation,
        r#"{"body":"Called about the boiler","channel":"phone"}"#,
        [201, 201, 404, 404, 403, 404, 401, 401]),
    row(POST, "/api/v1/conversations/{id}/messages", Conversation, r#"{"body":"Reminder","channel":"sms"}"#,
        [201, 201, 404, 404, 403, 404, 401, 401]),
    row(POST, "/api/v1/conversations/{id}/messages", Conversation, r#"{"body":"Note","private":true}"#,
        [201, 201, 404, 404, 403, 404, 401, 401]),
    row(POST, "/api/v1/conversations/{id}/messages", CrewChannel,
        r#"{"body":"On my way","location":{"lat":51.5,"lon":-0.12}}"#,
        [201, 201, 201, 404, 404, 404, 401, 401]),
    row(POST, "/api/v1/conversations/{id}/messages", CrewChannel, r#"{"body":"Note","private":true}"#,
        [201, 201, 403, 404, 404, 404, 401, 401]),
    row(GET, "/api/v1/messages/{id}", AgentMessage, "", [200, 200, 404, 404, 200, 404, 401, 401]),
    row(GET, "/api/v1/messages/{id}", Note, "", [200, 200, 404, 404, 404, 404, 401, 401]),
    row(GET, "/api/v1/messages/{id}", CrewMessage, "", [200, 200, 200, 404, 404, 404, 401, 401]),
    row(POST, "/api/v1/messages/{id}/delivered", AgentMessage, "{}",
        [200, 200, 404, 404, 200, 404, 401, 401]),
    row(POST, "/api/v1/messages/{id}/delivered", CustomerMessage, "{}",
        [200, 200, 404, 404, 403, 404, 401, 401]),
    row(POST, "/api/v1/messages/{id}/read", AgentMessage, "{}", [200, 200, 404, 404, 200, 404, 401, 401]),
    row(POST, "/api/v1/messages/{id}/read", CrewMessage, "{}", [200, 200, 403, 404, 404, 404, 401, 401]),
    row(POST, "/api/v1/messages/{id}/read", Note, "{}", [200, 200, 404, 404, 404, 404, 401, 401]),
    row(GET, "/api/v1/messages/{id}/receipts", AgentMessage, "", [200, 200, 404, 404, 200, 404, 401, 401]),
    row(GET, "/api/v1/messages/{id}/receipts", Note, "", [200, 200, 404, 404, 404, 404, 401, 401]),
    handshake("/api/v1/ws", [101, 101, 101, 101, 101, 101, 401, 401]),
    row(POST, "/api/v1/ws/ticket", Nothing, "{}", [201, 201, 201, 201, 201, 201, 401, 401]),
    row(GET, "/api/v1/presence", Nothing, "", [200, 200, 403, 403, 403, 403, 401, 401]),
    upload("/api/v1/files", "Meter reading 4711", TEXT_TYPE, [201, 201, 201, 201, 201, 201, 401, 401]),
    upload("/api/v1/files/batch", BATCH_BODY, BATCH_TYPE, [200, 200, 200, 200, 200, 200, 401, 401]),
    row(GET, "/api/v1/files/{id}", OwnerPhoto, "", [200, 200, 404, 404, 200, 404, 401, 401]),
    row(GET, "/api/v1/files/{id}", AgentFile, "", [200, 200, 404, 404, 200, 404, 401, 401]),
    row(GET, "/api/v1/files/{id}", NoteFile, "", [200, 200, 404, 404, 404, 404, 401, 401]),
    row(GET, "/api/v1/files/{id}", CrewFile, "", [200, 200, 200, 404, 404, 404, 401, 401]),
    row(GET, "/api/v1/files/{id}/meta", AgentFile, "", [200, 200, 404, 404, 200, 404, 401, 401]),
    row(GET, "/api/v1/files/{id}/meta", CrewFile, "", [200, 200, 200, 404, 404, 404, 401, 401]),
    row(GET, "/api/v1/files/{id}/thumbnail", OwnerPhoto, "", [200, 200, 404, 404, 200, 404, 401, 401]),
    row(GET, "/api/v1/files/{id}/thumbnail", AgentFile, "", [404, 404, 404, 404, 404, 404, 401, 401]),
    row(GET, "/api/v1/search/messages", Nothing, "", [200, 200, 200, 200, 200, 200, 401, 401]),
    row(GET, "/api/v1/templates", Nothing, "", [200, 200, 403, 403, 403, 403, 401, 401]),
    row(POST, "/api/v1/templates", Nothing, r#"{"name":"Visit {unique}","body":"Hi {{customer.name}}"}"#,
        [201, 201, 403, 403, 403, 403, 401, 401]),
    row(GET, "/api/v1/templates/{id}", Template, "", [200, 200, 403, 403, 403, 403, 401, 401]),
    row(PUT, "/api/v1/templates/{id}", Template, r#"{"name":"Visit {unique}","body":"Hello"}"#,
        [200, 200, 403, 403, 403, 403, 401, 401]),
    row(DELETE, "/api/v1/templates/{id}", Template, "", [204, 204, 403, 403, 403, 403, 401, 401]),
    row(POST, "/api/v1/templates/{id}/render", Template, r#"{"customer_id":"{customer}"}"#,
        [200, 200, 403, 403, 403, 403, 401, 401]),
    row(GET, "/api/v1/analytics/overview", Nothing, "", [200, 200, 403, 403, 403, 403, 401, 401]),
    row(GET, "/api/v1/analytics/customers/{id}", Owner, "", [200, 200, 403, 403, 403, 403, 401, 401]),
    row(GET, "/api/v1/analytics/agents", Nothing, "", [200, 200, 403, 403, 403, 403, 401, 401]),
    // The outbox: staff retry (409: an in-app message is not failed); the
    // webhooks and media links take no token, only their signatures (none
    // configured or given here).
    row(POST, "/api/v1/messages/{id}/retry", AgentMessage, "{}", [409, 409, 404, 404, 403, 404, 401, 401]),
    row(POST, "/api/v1/messages/{id}/retry", Note, "{}", [409, 409, 404, 404, 404, 404, 401, 401]),
    row(POST, "/api/v1/inbound/sms", Nothing, "From=%2B15550001111&Body=hi&MessageSid=SM1",
        [403, 403, 403, 403, 403, 403, 403, 403]),
    row(POST, "/api/v1/inbound/email", Nothing, r#"{"from":"a@example.com","to":"b@example.com","message_id":"<m@x>"}"#,
        [403, 403, 403, 403, 403, 403, 403, 403]),
    row(GET, "/media/{id}", OwnerPhoto, "", [404, 404, 404, 404, 404, 404, 404, 404]),
    // Portal sign-in links: staff make them for customers and crew (a staff
    // user is 422); the code, not a token, authenticates the redeem.
    row(POST, "/api/v1/users/{id}/portal-link", Owner, "{}", [201, 201, 403, 403, 403, 403, 401, 401]),
    row(POST, "/api/v1/users/{id}/portal-link", Crew, r#"{"expires_in_days":1}"#,
        [201, 201, 403, 403, 403, 403, 401, 401]),
    row(POST, "/api/v1/users/{id}/portal-link", Colleague, "{}", [422, 422, 403, 403, 403, 403, 401, 401]),
    row(POST, "/api/v1/portal/redeem", Nothing, r#"{"code":"ccp_unknown"}"#,
        [401, 401, 401, 401, 401, 401, 401, 401]),
];

fn route_key(method: &Method, template: &str) -> (String, String) {
    (method.to_string(), template.to_owned())
}

#[test]
fn every_route_has_rows_in_the_authorization_matrix() {
    let served: BTreeSet<_> = ROUTES.iter().map(|(m, t, _)| route_key(m, t)).collect();
    let covered: BTreeSet<_> = MATRIX
        .iter()
        .map(|r| route_key(&r.method, r.template))
        .collect();
    let missing: Vec<_> = served.difference(&covered).collect();
    let unknown: Vec<_> = covered.difference(&served).collect();
    assert!(
        missing.is_empty(),
        "routes without rows in the matrix: {missing:?}"
    );
    assert!(
        unknown.is_empty(),
        "rows for routes the daemon does not serve: {unknown:?}"
    );
}

/// A number no other call of this test run gets (for names that must be unique).
fn unique() -> usize {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// Everyone and everything the matrix refers to.
struct World {
    daemon: TestDaemon,
    callers: Vec<commcenter::client::Client>,
    crew: Actor,
    owner: Actor,
    colleague: Actor,
    project: Project,
    conversation: Id,
    agent_message: Message,
    customer_message: Message,
    note: Message,
    crew_message: Message,
    files: Files,
}

/// The files of the file targets.
struct Files {
    owner_photo: Id,
    agent_file: Id,
    note_file: Id,
    crew_file: Id,
}

/// Uploads a small text file as `by`.
async fn upload_text(by: &Actor, name: &str) -> Id {
    let bytes = format!("{name} of {}", by.user.name).into_bytes();
    by.client
        .upload_file(name, "text/plain", bytes)
        .await
        .expect("upload")
        .id
}

/// A message with `body` carrying `file`.
fn with_file(body: &str, file: Id) -> NewMessage {
    NewMessage {
        body: Some(body.into()),
        attachments: Some(vec![file]),
        ..Default::default()
    }
}

impl World {
    async fn build() -> World {
        let daemon = TestDaemon::start().await;
        let agent = daemon.agent("Bob Agent").await;
        let colleague = daemon.agent("Cat Colleague").await;
        let crew = daemon.crew("Dan Crew").await;
        let idle_crew = daemon.crew("Eve Idle").await;
        let owner = daemon.customer("Ann Owner").await;
        let other = daemon.customer("Olga Other").await;
        let revoked = daemon
            .actor(NewUser {
                name: "Rex Revoked".into(),
                role: Role::Admin,
                email: None,
                phone: None,
            })
            .await;
        revoked
            .client
            .me()
            .await
            .expect("the token works before it is revoked");
        let tokens = daemon.admin.list_tokens(revoked.id()).await.unwrap();
        daemon.admin.revoke_token(tokens.items[0].id).await.unwrap();

        let project = create_project(&daemon.admin, owner.id(), vec![crew.id()]).await;
        let conversation = open_conversation(&agent.client, owner.id()).await.id;
        let photo = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/files/photo.jpg"
        ));
        let owner_photo = owner
            .client
            .upload_file(
                "boiler.jpg",
                "image/jpeg",
                photo.expect("fixture photo.jpg"),
            )
            .await
            .expect("upload the owner's photo")
            .id;
        let agent_file = upload_text(&colleague, "quote.txt").await;
        let note_file = upload_text(&colleague, "debts.txt").await;
        let crew_file = upload_text(&crew, "site.txt").await;
        let agent_message = colleague
            .client
            .send_message(conversation, &with_file("We'll come at 9", agent_file))
            .await
            .expect("send with a file");
        let customer_message = send_text(&owner.client, conversation, "Thanks").await;
        let note = colleague
            .client
            .send_message(
                conversation,
                &NewMessage {
                    body: Some("Owes us for the last visit".into()),
                    private: Some(true),
                    attachments: Some(vec![note_file]),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let crew_message = crew
            .client
            .send_message(project.conversation_id, &with_file("Arrived", crew_file))
            .await
            .expect("send with a file");
        let callers = vec![
            daemon.admin.clone(),
            agent.client.clone(),
            crew.client.clone(),
            idle_crew.client.clone(),
            owner.client.clone(),
            other.client.clone(),
            daemon.anonymous(),
            revoked.client.clone(),
        ];
        World {
            daemon,
            callers,
            crew,
            owner,
            colleague,
            project,
            conversation,
            agent_message,
            customer_message,
            note,
            crew_message,
            files: Files {
                owner_photo,
                agent_file,
                note_file,
                crew_file,
            },
        }
    }

    /// The id a target stands for; token targets get a fresh token per call.
    async fn resolve(&self, target: Target) -> Option<Id> {
        Some(match target {
            Nothing => return None,
            Owner => self.owner.id(),
            Crew => self.crew.id(),
            Colleague => self.colleague.id(),
            OwnerToken => self.daemon.token_for(self.owner.id()).await.id,
            CrewToken => self.daemon.token_for(self.crew.id()).await.id,
            ColleagueToken => self.daemon.token_for(self.colleague.id()).await.id,
            Project => self.project.id,
            Conversation => self.conversation,
            CrewChannel => self.project.conversation_id,
            AgentMessage => self.agent_message.id,
            CustomerMessage => self.customer_message.id,
            Note => self.note.id,
            CrewMessage => self.crew_message.id,
            OwnerPhoto => self.files.owner_photo,
            AgentFile => self.files.agent_file,
            NoteFile => self.files.note_file,
            CrewFile => self.files.crew_file,
            Template => {
                let new = commcenter::wire::NewTemplate {
                    name: format!("Template {}", unique()),
                    body: "Hi {{customer.first_name}}".into(),
                    ..Default::default()
                };
                self.daemon.admin.create_template(&new).await.unwrap().id
            }
        })
    }

    /// Calls one row as one caller; returns a line describing a mismatch.
    async fn check(&self, row: &Row, column: usize) -> Option<String> {
        let id = self.resolve(row.target).await;
        assert_eq!(
            id.is_some(),
            row.template.contains("{id}"),
            "row {} {} has the wrong kind of target",
            row.method,
            row.template
        );
        let path = match id {
            Some(id) => row.template.replace("{id}", &id.to_string()),
            None => row.template.to_owned(),
        };
        let body = (!row.body.is_empty()).then(|| {
            row.body
                .replace("{customer}", &self.owner.id().to_string())
                .replace("{unique}", &unique().to_string())
                .into_bytes()
        });
        let response = self.callers[column]
            .send_raw(row.method.clone(), &path, body, row.headers)
            .await
            .expect("the daemon answers");
        if response.status >= 400 {
            error_of(&response);
        }
        (response.status != row.expect[column]).then(|| {
            format!(
                "{} {} ({:?}) as {}: expected {}, got {} {}",
                row.method,
                row.template,
                row.target,
                CALLERS[column],
                row.expect[column],
                response.status,
                String::from_utf8_lossy(&response.body)
            )
        })
    }
}

#[tokio::test]
async fn every_route_answers_every_caller_as_the_matrix_says() {
    let world = World::build().await;
    let calls = MATRIX
        .iter()
        .flat_map(|row| (0..CALLERS.len()).map(move |column| (row, column)));
    let mismatches: Vec<String> = stream::iter(calls)
        .map(|(row, column)| world.check(row, column))
        .buffer_unordered(16)
        .filter_map(|m| async move { m })
        .collect()
        .await;
    assert!(
        mismatches.is_empty(),
        "{} of {} calls answered otherwise:\n{}",
        mismatches.len(),
        MATRIX.len() * CALLERS.len(),
        mismatches.join("\n")
    );
}

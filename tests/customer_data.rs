//! Customer data: `GET /users/{id}/export` holds every record about a user
//! and nothing of anyone else's; `DELETE /users/{id}?erase=true` erases a
//! customer's personal data everywhere it is kept (profile, tokens, bodies,
//! files and their blobs, the search index, the event log) while the
//! messages' records and the analytics stay — real daemon, real HTTP and
//! WebSocket, and a restart.

mod common;

use std::path::Path;
use std::time::Duration;

use commcenter::wire::{
    AnalyticsRange, FileMeta, Message, NewMessage, NewUser, Role, SearchQuery, UserExport,
};
use commcenter::Id;
use common::ws::WsClient;
use common::{error_of, open_conversation, send_text, Actor, TestDaemon};
use http::Method;
use serde_json::Value;

/// Words only the erased customer's conversation holds.
const SECRET_WORDS: [&str; 3] = ["xylophone", "zanzibar", "plankton"];

/// A customer with a conversation holding messages both ways, a file, a
/// receipt and a token; and another customer with their own conversation.
struct Scene {
    daemon: TestDaemon,
    agent: Actor,
    ann: Actor,
    olga: Actor,
    conversation: Id,
    from_agent: Message,
    from_ann: Message,
    file: FileMeta,
    olga_message: Message,
}

impl Scene {
    async fn build() -> Scene {
        let daemon = TestDaemon::start().await;
        let agent = daemon.agent("Bob Agent").await;
        let ann = daemon
            .actor(NewUser {
                name: "Ann Erasable".into(),
                role: Role::Customer,
                email: Some("ann@example.com".into()),
                phone: Some("+44 7700 900123".into()),
            })
            .await;
        let olga = daemon.customer("Olga Other").await;
        let conversation = open_conversation(&agent.client, ann.id()).await.id;
        let from_agent = send_text(
            &agent.client,
            conversation,
            "Your zanzibar roof quote is ready",
        )
        .await;
        let file = ann
            .client
            .upload_file(
                "plankton-plan.txt",
                "text/plain",
                b"the plan for xylophone street 7".to_vec(),
            )
            .await
            .expect("upload");
        let from_ann = ann
            .client
            .send_message(
                conversation,
                &NewMessage {
                    body: Some("Here is my plan, xylophone street 7".into()),
                    attachments: Some(vec![file.id]),
                    ..Default::default()
                },
            )
            .await
            .expect("send with a file");
        ann.client.mark_read(from_agent.id).await.expect("read");
        let olga_conversation = open_conversation(&agent.client, olga.id()).await.id;
        let olga_message =
            send_text(&olga.client, olga_conversation, "A quokka ate my hedge").await;
        Scene {
            daemon,
            agent,
            ann,
            olga,
            conversation,
            from_agent,
            from_ann,
            file,
            olga_message,
        }
    }

    async fn erase_ann(&self) -> commcenter::wire::ErasureSummary {
        self.daemon
            .admin
            .erase_customer(self.ann.id())
            .await
            .expect("erase")
    }

    async fn admin_finds(&self, word: &str) -> usize {
        let query = SearchQuery {
            q: Some(word.into()),
            ..Default::default()
        };
        let page = self.daemon.admin.search_messages(&query, None, None).await;
        page.expect("search").items.len()
    }

    /// Every frame an admin's WebSocket replays from the start of the log.
    async fn replay(&self) -> Vec<Value> {
        let first = WsClient::open(&self.daemon.admin).await;
        let epoch = first.hello["epoch"].as_str().unwrap().to_owned();
        first.close().await;
        let query = format!("?since=0&epoch={epoch}");
        let mut ws = WsClient::open_with(&self.daemon.admin, &query).await;
        ws.frames_for(Duration::from_millis(700)).await
    }
}

/// The paths of the files under `dir` named `name`.
fn files_named(dir: &Path, name: &str) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(files_named(&path, name));
        } else if path.file_name().is_some_and(|n| n == name) {
            found.push(path);
        }
    }
    found
}

#[tokio::test]
async fn the_export_holds_every_record_about_the_customer() {
    let s = Scene::build().await;
    let export: UserExport = s.daemon.admin.export_user(s.ann.id()).await.unwrap();
    assert_eq!(export.user.id, s.ann.id());
    assert_eq!(export.user.email.as_deref(), Some("ann@example.com"));
    assert!(!export.tokens.is_empty(), "the customer's token is listed");
    assert!(export.conversations.iter().any(|c| c.id == s.conversation));
    let bodies: Vec<(Id, &str)> = export
        .messages
        .iter()
        .map(|m| (m.id, m.body.as_str()))
        .collect();
    assert!(bodies.contains(&(s.from_agent.id, s.from_agent.body.as_str())));
    assert!(bodies.contains(&(s.from_ann.id, s.from_ann.body.as_str())));
    let file = export.files.iter().find(|f| f.file.id == s.file.id);
    let file = file.expect("the customer's file is described");
    assert_eq!(file.url, format!("/api/v1/files/{}", s.file.id));
    let read = export
        .receipts
        .iter()
        .find(|r| r.message_id == s.from_agent.id && r.user_id == s.ann.id());
    assert!(
        read.is_some_and(|r| r.read_at.is_some()),
        "{:?}",
        export.receipts
    );
}

#[tokio::test]
async fn the_export_holds_nothing_of_another_customer() {
    let s = Scene::build().await;
    let export = s.daemon.admin.export_user(s.ann.id()).await.unwrap();
    let text = serde_json::to_string(&export).unwrap();
    assert!(!text.contains(&s.olga.id().to_string()));
    assert!(!text.contains(&s.olga_message.id.to_string()));
    assert!(!text.contains("quokka"));
}

#[tokio::test]
async fn the_export_is_a_download_named_for_the_user() {
    let s = Scene::build().await;
    let path = format!("/api/v1/users/{}/export", s.ann.id());
    let response = s
        .daemon
        .admin
        .send_raw(Method::GET, &path, None, &[])
        .await
        .unwrap();
    assert_eq!(response.status, 200);
    let disposition = response.headers.get("content-disposition").unwrap();
    assert_eq!(
        disposition.to_str().unwrap(),
        format!(
            "attachment; filename=\"commcenter-export-{}.json\"",
            s.ann.id()
        )
    );
}

#[tokio::test]
async fn deleting_a_user_without_erase_true_is_refused() {
    let s = Scene::build().await;
    for query in ["", "?erase=false"] {
        let path = format!("/api/v1/users/{}{query}", s.ann.id());
        let response = s
            .daemon
            .admin
            .send_raw(Method::DELETE, &path, None, &[])
            .await
            .unwrap();
        assert_eq!(response.status, 400, "{query}");
        assert_eq!(error_of(&response).field.as_deref(), Some("erase"));
    }
    let me = s.ann.client.me().await.expect("nothing was erased");
    assert_eq!(me.name, "Ann Erasable");
}

#[tokio::test]
async fn staff_and_crew_users_are_not_erased() {
    let s = Scene::build().await;
    let crew = s.daemon.crew("Dan Crew").await;
    for user in [s.agent.id(), crew.id()] {
        let path = format!("/api/v1/users/{user}?erase=true");
        let response = s
            .daemon
            .admin
            .send_raw(Method::DELETE, &path, None, &[])
            .await
            .unwrap();
        assert_eq!(response.status, 422);
    }
}

#[tokio::test]
async fn only_an_admin_exports_or_erases() {
    let s = Scene::build().await;
    for client in [&s.agent.client, &s.ann.client] {
        let erase = format!("/api/v1/users/{}?erase=true", s.ann.id());
        let export = format!("/api/v1/users/{}/export", s.ann.id());
        for (method, path) in [(Method::DELETE, erase), (Method::GET, export)] {
            let response = client.send_raw(method, &path, None, &[]).await.unwrap();
            assert_eq!(response.status, 403, "{path}");
        }
    }
}

#[tokio::test]
async fn erasure_replaces_the_profile_and_refuses_the_customers_token() {
    let s = Scene::build().await;
    let summary = s.erase_ann().await;
    assert_eq!(summary.user_id, s.ann.id());
    assert!(summary.revoked_tokens >= 1);
    let user = s.daemon.admin.get_user(s.ann.id()).await.unwrap();
    assert_eq!(user.name, "Erased customer");
    assert_eq!((user.email, user.phone), (None, None));
    let refused = s.ann.client.send_raw(Method::GET, "/api/v1/me", None, &[]);
    assert_eq!(refused.await.unwrap().status, 401);
}

#[tokio::test]
async fn erasure_empties_the_messages_but_keeps_them_and_the_analytics() {
    let s = Scene::build().await;
    let range = AnalyticsRange::default();
    let before = s.daemon.admin.analytics_customer(s.ann.id(), &range, false);
    let before = before.await.unwrap();
    let summary = s.erase_ann().await;
    assert_eq!(summary.erased_messages, 2);
    assert_eq!(summary.erased_conversations, 1);
    for id in [s.from_agent.id, s.from_ann.id] {
        let message = s
            .daemon
            .admin
            .get_message(id)
            .await
            .expect("the record stays");
        assert_eq!(message.body, "");
        assert!(message.attachments.is_empty());
        assert_eq!(message.conversation_id, s.conversation);
    }
    let after = s.daemon.admin.analytics_customer(s.ann.id(), &range, false);
    let after = after.await.unwrap();
    assert_eq!(after.figures.total_messages, before.figures.total_messages);
    assert_eq!(after.figures.by_direction, before.figures.by_direction);
    assert_eq!(after.figures.by_channel, before.figures.by_channel);
    assert_eq!(
        after.figures.attachment_rate,
        before.figures.attachment_rate
    );
    assert_eq!(after.first_contact_at, before.first_contact_at);
    let olga = s.daemon.admin.get_message(s.olga_message.id).await.unwrap();
    assert_eq!(
        olga.body, s.olga_message.body,
        "another customer is untouched"
    );
}

#[tokio::test]
async fn erased_words_are_no_longer_found() {
    let s = Scene::build().await;
    assert_eq!(s.admin_finds("xylophone").await, 1, "found before");
    s.erase_ann().await;
    for word in SECRET_WORDS {
        assert_eq!(s.admin_finds(word).await, 0, "{word}");
    }
    assert_eq!(
        s.admin_finds("quokka").await,
        1,
        "another customer's words stay"
    );
}

#[tokio::test]
async fn an_erased_file_is_gone_with_its_blob() {
    let s = Scene::build().await;
    let data_dir = s.daemon.dir.as_ref().unwrap().path().to_owned();
    assert_eq!(files_named(&data_dir, &s.file.sha256).len(), 1);
    let summary = s.erase_ann().await;
    assert_eq!(summary.erased_files, 1);
    let path = format!("/api/v1/files/{}", s.file.id);
    let response = s.daemon.admin.send_raw(Method::GET, &path, None, &[]);
    assert_eq!(response.await.unwrap().status, 404);
    assert!(
        files_named(&data_dir, &s.file.sha256).is_empty(),
        "blob deleted"
    );
}

#[tokio::test]
async fn the_event_log_replays_no_erased_text() {
    let s = Scene::build().await;
    let summary = s.erase_ann().await;
    assert!(summary.rewritten_events >= 2, "{summary:?}");
    let frames = s.replay().await;
    let created: Vec<&Value> = frames
        .iter()
        .filter(|f| f["type"] == "message.created")
        .collect();
    assert!(created.len() >= 3, "the log replays: {frames:?}");
    let text = serde_json::to_string(&frames).unwrap();
    for word in SECRET_WORDS
        .into_iter()
        .chain(["ann@example.com", "Ann Erasable"])
    {
        assert!(!text.contains(word), "{word} replayed");
    }
    assert!(text.contains("quokka"), "another customer's events stay");
}

#[tokio::test]
async fn an_erasure_survives_a_restart() {
    let s = Scene::build().await;
    s.erase_ann().await;
    let daemon = s.daemon.restart().await;
    let s = Scene { daemon, ..s };
    let user = s.daemon.admin.get_user(s.ann.id()).await.unwrap();
    assert_eq!(user.name, "Erased customer");
    let message = s.daemon.admin.get_message(s.from_ann.id).await.unwrap();
    assert_eq!(message.body, "");
    assert_eq!(s.admin_finds("xylophone").await, 0);
    let refused = s.ann.client.send_raw(Method::GET, "/api/v1/me", None, &[]);
    assert_eq!(refused.await.unwrap().status, 401);
    let text = serde_json::to_string(&s.replay().await).unwrap();
    assert!(!text.contains("xylophone"));
}

#[tokio::test]
async fn a_file_a_message_elsewhere_still_carries_is_kept() {
    let s = Scene::build().await;
    let brochure = s
        .agent
        .client
        .upload_file("brochure.txt", "text/plain", b"our prices".to_vec())
        .await
        .unwrap();
    let olga_conversation = s.olga_message.conversation_id;
    for conversation in [s.conversation, olga_conversation] {
        let new = NewMessage {
            body: Some("See the brochure".into()),
            attachments: Some(vec![brochure.id]),
            ..Default::default()
        };
        s.agent
            .client
            .send_message(conversation, &new)
            .await
            .unwrap();
    }
    let summary = s.erase_ann().await;
    assert_eq!(summary.erased_files, 1, "only Ann's own file");
    let path = format!("/api/v1/files/{}", brochure.id);
    let response = s.daemon.admin.send_raw(Method::GET, &path, None, &[]);
    assert_eq!(response.await.unwrap().status, 200);
    let data_dir = s.daemon.dir.as_ref().unwrap().path();
    assert_eq!(files_named(data_dir, &brochure.sha256).len(), 1);
}

//! The main path of every endpoint, part one: health, the API description,
//! users, tokens and projects. Conversations are in `api_conversations.rs`,
//! messages and receipts in `api_messages.rs`.

mod common;

use commcenter::wire::{
    ConversationKind, NewToken, NewUser, Page, Project, ProjectPatch, ProjectStatus, Role,
    TokenInfo, User, UserPatch,
};
use common::{create_project, get, text, TestDaemon};
use http::Method;
use serde_json::Value;

#[tokio::test]
async fn healthz_answers_ok_without_a_token() {
    let daemon = TestDaemon::start().await;
    let health = daemon.anonymous().healthz().await.unwrap();
    assert_eq!(health.status, "ok");
}

#[tokio::test]
async fn readyz_answers_200_without_a_token_while_serving() {
    let daemon = TestDaemon::start().await;
    let response = get(&daemon.anonymous(), "/readyz").await;
    assert_eq!(response.status, 200);
}

#[tokio::test]
async fn the_openapi_document_is_served_without_a_token() {
    let daemon = TestDaemon::start().await;
    let response = get(&daemon.anonymous(), "/api/v1/openapi.json").await;
    assert_eq!(response.status, 200);
    let content_type = response.headers.get("content-type").unwrap();
    assert!(content_type
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    let document: Value = response.json().unwrap();
    let version = document["openapi"].as_str().unwrap_or_default();
    assert!(version.starts_with("3.1"), "openapi is `{version}`");
}

#[tokio::test]
async fn the_openapi_document_describes_every_route() {
    let daemon = TestDaemon::start().await;
    let document: Value = get(&daemon.anonymous(), "/api/v1/openapi.json")
        .await
        .json()
        .unwrap();
    let missing: Vec<String> = commcenterd::ROUTES
        .iter()
        .filter(|(method, template, _)| {
            document["paths"][template][method.as_str().to_lowercase()].is_null()
        })
        .map(|(method, template, _)| format!("{method} {template}"))
        .collect();
    assert!(missing.is_empty(), "not in openapi.json: {missing:?}");
}

#[tokio::test]
async fn an_admin_creates_a_user() {
    let daemon = TestDaemon::start().await;
    let new = NewUser {
        name: "Ann Customer".into(),
        role: Role::Customer,
        email: Some("ann@example.com".into()),
        phone: None,
    };
    let response = common::post(
        &daemon.admin,
        "/api/v1/users",
        serde_json::to_value(&new).unwrap(),
    )
    .await;
    assert_eq!(response.status, 201);
    let user: User = response.json().unwrap();
    assert_eq!(
        (user.name.as_str(), user.role),
        ("Ann Customer", Role::Customer)
    );
    assert_eq!(user.email.as_deref(), Some("ann@example.com"));
    assert_eq!((&user.phone, user.last_seen_at), (&None, None));
    assert_eq!(daemon.admin.get_user(user.id).await.unwrap(), user);
}

#[tokio::test]
async fn staff_list_users_by_role() {
    let daemon = TestDaemon::start().await;
    let crew = daemon.crew("Dan Crew").await;
    daemon.customer("Ann Customer").await;
    let agent = daemon.agent("Bob Agent").await;
    let listed = agent
        .client
        .list_users(Some(Role::Crew), None)
        .await
        .unwrap();
    assert_eq!(listed.items, [crew.user]);
}

#[tokio::test]
async fn staff_find_users_by_name_email_or_phone_ignoring_case() {
    let daemon = TestDaemon::start().await;
    let ann = daemon.customer("Ann Smith").await;
    daemon.customer("Bob Jones").await;
    for q in ["SMITH", "ann.smith@example", "7700"] {
        let found = daemon.admin.list_users(None, Some(q)).await.unwrap();
        assert!(found.items.contains(&ann.user), "`{q}` finds Ann");
    }
    let found = daemon.admin.list_users(None, Some("smith")).await.unwrap();
    assert_eq!(found.items, [ann.user]);
}

#[tokio::test]
async fn users_page_oldest_first_with_limit_and_cursor() {
    let daemon = TestDaemon::start().await;
    for n in 0..3 {
        daemon.customer(&format!("Customer {n}")).await;
    }
    let everyone = daemon.admin.list_users(None, None).await.unwrap().items;
    assert_eq!(everyone.len(), 4, "the admin and three customers");
    let first: Page<User> = get(&daemon.admin, "/api/v1/users?limit=3")
        .await
        .json()
        .unwrap();
    assert_eq!(first.items, everyone[..3]);
    let cursor = first.next_cursor.expect("more users");
    let rest: Page<User> = get(
        &daemon.admin,
        &format!("/api/v1/users?limit=3&cursor={cursor}"),
    )
    .await
    .json()
    .unwrap();
    assert_eq!(
        (rest.items.as_slice(), rest.next_cursor),
        (&everyone[3..], None)
    );
}

#[tokio::test]
async fn an_admin_changes_a_user_and_null_clears_a_phone() {
    let daemon = TestDaemon::start().await;
    let ann = daemon.customer("Ann Customer").await;
    let patch = UserPatch {
        name: Some("Ann Baker".into()),
        phone: Some(None),
        ..Default::default()
    };
    let changed = daemon.admin.patch_user(ann.id(), &patch).await.unwrap();
    assert_eq!(changed.name, "Ann Baker");
    assert_eq!(changed.phone, None);
    assert_eq!(changed.email, ann.user.email, "absent fields stay");
}

#[tokio::test]
async fn me_is_the_caller() {
    let daemon = TestDaemon::start().await;
    let crew = daemon.crew("Dan Crew").await;
    assert_eq!(crew.client.me().await.unwrap(), crew.user);
    assert_eq!(daemon.admin.me().await.unwrap().role, Role::Admin);
}

#[tokio::test]
async fn an_issued_token_authenticates_as_its_user() {
    let daemon = TestDaemon::start().await;
    let ann = daemon.customer("Ann Customer").await;
    let new = NewToken {
        label: Some("phone app".into()),
        expires_in_days: None,
    };
    let issued = daemon.admin.issue_token(ann.id(), &new).await.unwrap();
    assert!(issued.token.starts_with("cct_"));
    assert_eq!(
        (issued.label.as_deref(), issued.expires_at),
        (Some("phone app"), None)
    );
    assert_eq!(daemon.client(&issued.token).me().await.unwrap(), ann.user);
}

#[tokio::test]
async fn a_token_with_expires_in_days_expires_that_many_days_after_issue() {
    let daemon = TestDaemon::start().await;
    let ann = daemon.customer("Ann Customer").await;
    let new = NewToken {
        label: None,
        expires_in_days: Some(30),
    };
    let issued = daemon.admin.issue_token(ann.id(), &new).await.unwrap();
    let expires_at = issued.expires_at.expect("an expiry");
    let thirty_days = 30 * 86_400_000;
    assert_eq!(
        expires_at.millis() - issued.created_at.millis(),
        thirty_days
    );
}

#[tokio::test]
async fn listed_tokens_never_show_their_secret() {
    let daemon = TestDaemon::start().await;
    let ann = daemon.customer("Ann Customer").await;
    let issued = daemon.token_for(ann.id()).await;
    let response = get(&daemon.admin, &format!("/api/v1/users/{}/tokens", ann.id())).await;
    assert_eq!(response.status, 200);
    let body = String::from_utf8_lossy(&response.body);
    assert!(!body.contains(&issued.token), "the secret is not listed");
    let page: Page<TokenInfo> = response.json().unwrap();
    assert_eq!(page.items.len(), 2, "the harness's token and this one");
    assert!(page
        .items
        .iter()
        .any(|t| t.id == issued.id && t.user_id == ann.id()));
}

#[tokio::test]
async fn a_revoked_token_is_refused_at_once() {
    let daemon = TestDaemon::start().await;
    let ann = daemon.customer("Ann Customer").await;
    let issued = daemon.token_for(ann.id()).await;
    let path = format!("/api/v1/tokens/{}", issued.id);
    let revoked = common::request(&daemon.admin, Method::DELETE, &path, None, &[]).await;
    assert_eq!(revoked.status, 204);
    assert!(revoked.body.is_empty());
    let refused = daemon.client(&issued.token).me().await.unwrap_err();
    assert_eq!(refused.status(), Some(401));
    let listed = daemon.admin.list_tokens(ann.id()).await.unwrap();
    let token = listed.items.iter().find(|t| t.id == issued.id).unwrap();
    assert!(token.revoked_at.is_some());
}

#[tokio::test]
async fn a_customer_may_revoke_the_token_they_are_using() {
    let daemon = TestDaemon::start().await;
    let ann = daemon.customer("Ann Customer").await;
    let tokens = daemon.admin.list_tokens(ann.id()).await.unwrap();
    ann.client.revoke_token(tokens.items[0].id).await.unwrap();
    assert_eq!(ann.client.me().await.unwrap_err().status(), Some(401));
}

#[tokio::test]
async fn creating_a_project_creates_its_crew_channel() {
    let daemon = TestDaemon::start().await;
    let (ann, dan) = (
        daemon.customer("Ann Customer").await,
        daemon.crew("Dan Crew").await,
    );
    let project = create_project(&daemon.admin, ann.id(), vec![dan.id()]).await;
    assert_eq!(
        (project.customer_id, project.status),
        (ann.id(), ProjectStatus::Active)
    );
    assert_eq!(project.crew_ids, [dan.id()]);
    assert_eq!(project.address.as_deref(), Some("1 High Street"));
    let channel = daemon
        .admin
        .get_conversation(project.conversation_id)
        .await
        .unwrap();
    assert_eq!(channel.kind, ConversationKind::Project);
    assert_eq!(
        (channel.project_id, channel.customer_id),
        (Some(project.id), ann.id())
    );
    assert_eq!(daemon.admin.get_project(project.id).await.unwrap(), project);
}

#[tokio::test]
async fn projects_list_newest_first_and_page_with_a_cursor() {
    let daemon = TestDaemon::start().await;
    let ann = daemon.customer("Ann Customer").await;
    let mut created = Vec::new();
    for _ in 0..3 {
        created.push(create_project(&daemon.admin, ann.id(), vec![]).await);
        // Ids order by millisecond; within one they are random.
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    created.reverse();
    assert_eq!(daemon.admin.list_projects().await.unwrap().items, created);
    let first: Page<Project> = get(&ann.client, "/api/v1/projects?limit=2")
        .await
        .json()
        .unwrap();
    assert_eq!(first.items, created[..2]);
    let cursor = first.next_cursor.expect("one more project");
    let path = format!("/api/v1/projects?limit=2&cursor={cursor}");
    let rest: Page<Project> = get(&ann.client, &path).await.json().unwrap();
    assert_eq!(
        (rest.items.as_slice(), rest.next_cursor),
        (&created[2..], None)
    );
}

#[tokio::test]
async fn staff_change_a_projects_name_address_status_and_crew() {
    let daemon = TestDaemon::start().await;
    let (ann, dan) = (
        daemon.customer("Ann Customer").await,
        daemon.crew("Dan Crew").await,
    );
    let eve = daemon.crew("Eve Crew").await;
    let project = create_project(&daemon.admin, ann.id(), vec![dan.id()]).await;
    let patch = ProjectPatch {
        name: Some("Loft and roof".into()),
        address: Some(None),
        crew_ids: Some(vec![eve.id()]),
        status: Some(ProjectStatus::Done),
    };
    let changed = daemon
        .admin
        .patch_project(project.id, &patch)
        .await
        .unwrap();
    assert_eq!(
        (changed.name.as_str(), changed.address),
        ("Loft and roof", None)
    );
    assert_eq!(
        (changed.crew_ids, changed.status),
        (vec![eve.id()], ProjectStatus::Done)
    );
    assert!(
        eve.client.project_messages(project.id).await.is_ok(),
        "new crew see it"
    );
}

#[tokio::test]
async fn project_messages_are_its_crew_channels_messages() {
    let daemon = TestDaemon::start().await;
    let (ann, dan) = (
        daemon.customer("Ann Customer").await,
        daemon.crew("Dan Crew").await,
    );
    let project = create_project(&daemon.admin, ann.id(), vec![dan.id()]).await;
    let sent = dan
        .client
        .send_project_message(project.id, &text("Arrived"))
        .await
        .unwrap();
    assert_eq!(sent.conversation_id, project.conversation_id);
    assert_eq!(sent.project_id, Some(project.id));
    let via_project = daemon.admin.project_messages(project.id).await.unwrap();
    let via_channel = daemon
        .admin
        .list_messages(project.conversation_id, None, None)
        .await;
    assert_eq!(via_project.items, [sent]);
    assert_eq!(via_project, via_channel.unwrap());
}

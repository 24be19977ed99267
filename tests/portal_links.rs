//! Portal sign-in links: made by staff for customers and crew, redeemed once
//! by the page for a token of that user; codes kept only as hashes.

mod common;

use commcenter::wire::{NewPortalLink, PortalSession, Role};
use common::{error_of, open_store, post, staff_caller, TestDaemon};
use serde_json::json;

/// The code in a link's fragment.
fn code_of(url: &str) -> &str {
    url.split_once("#code=").expect("a #code= fragment").1
}

#[tokio::test]
async fn a_customer_link_is_redeemed_once_for_a_portal_token() {
    let d = TestDaemon::start().await;
    let ann = d.customer("Ann Example").await;
    let link = d
        .admin
        .portal_link(ann.id(), &NewPortalLink::default())
        .await
        .unwrap();
    assert!(
        link.url
            .starts_with(&format!("{}/portal#code=ccp_", d.base_url)),
        "{}",
        link.url
    );
    let days = (link.expires_at.millis() - commcenter::Timestamp::now().millis()) / 86_400_000;
    assert!((6..=7).contains(&days), "7 days by default, got {days}");

    let anonymous = d.anonymous();
    let session: PortalSession = anonymous.redeem_portal(code_of(&link.url)).await.unwrap();
    assert_eq!(session.user.id, ann.id());
    let token_days =
        (session.expires_at.unwrap().millis() - commcenter::Timestamp::now().millis()) / 86_400_000;
    assert!((29..=30).contains(&token_days), "30 days by default");
    let me = d.client(&session.token).me().await.unwrap();
    assert_eq!(me.id, ann.id());
    let tokens = d.admin.list_tokens(ann.id()).await.unwrap();
    assert!(tokens
        .items
        .iter()
        .any(|t| t.label.as_deref() == Some("portal")));

    // The same link again: 401, the same answer as an unknown code.
    let again = post(
        &anonymous,
        "/api/v1/portal/redeem",
        json!({"code": code_of(&link.url)}),
    )
    .await;
    assert_eq!(again.status, 401);
    let error = error_of(&again);
    assert_eq!(error.field.as_deref(), Some("code"));
    assert!(error.message.contains("new link"), "{}", error.message);
    let unknown = post(
        &anonymous,
        "/api/v1/portal/redeem",
        json!({"code": "ccp_0"}),
    )
    .await;
    assert_eq!(unknown.status, 401);
    assert_eq!(error_of(&unknown).message, error.message);
}

#[tokio::test]
async fn crew_links_open_the_crew_page_and_staff_get_none() {
    let d = TestDaemon::start().await;
    let bo = d.crew("Bo Builder").await;
    let agent = d.agent("Alice Agent").await;
    let link = agent
        .client
        .portal_link(
            bo.id(),
            &NewPortalLink {
                expires_in_days: Some(1),
            },
        )
        .await
        .unwrap();
    assert!(link.url.contains("/crew#code=ccp_"), "{}", link.url);
    let session = d
        .anonymous()
        .redeem_portal(code_of(&link.url))
        .await
        .unwrap();
    assert_eq!(session.user.role, Role::Crew);

    let staff = post(
        &d.admin,
        &format!("/api/v1/users/{}/portal-link", agent.id()),
        json!({}),
    )
    .await;
    assert_eq!(staff.status, 422);
    let customer = d.customer("Cy").await;
    let by_customer = post(
        &customer.client,
        &format!("/api/v1/users/{}/portal-link", bo.id()),
        json!({}),
    )
    .await;
    assert_eq!(by_customer.status, 403);
    for days in [0, 31] {
        let refused = post(
            &d.admin,
            &format!("/api/v1/users/{}/portal-link", customer.id()),
            json!({"expires_in_days": days}),
        )
        .await;
        assert_eq!(refused.status, 422, "{days} days");
        assert_eq!(error_of(&refused).field.as_deref(), Some("expires_in_days"));
    }
    let unknown = post(
        &d.admin,
        "/api/v1/users/01JAAAAAAAAAAAAAAAAAAAAAAA/portal-link",
        json!({}),
    )
    .await;
    assert_eq!(unknown.status, 404);
}

#[tokio::test]
async fn the_public_url_setting_makes_the_links() {
    let dir = tempfile::tempdir().unwrap();
    let d = TestDaemon::start_with(dir, |s| {
        s.public_url = Some("https://chat.example.com".into());
        s.portal.link_days = 3;
    })
    .await;
    let ann = d.customer("Ann").await;
    let link = d
        .admin
        .portal_link(ann.id(), &NewPortalLink::default())
        .await
        .unwrap();
    assert!(
        link.url
            .starts_with("https://chat.example.com/portal#code=ccp_"),
        "{}",
        link.url
    );
    // Made a moment ago, in the same millisecond at the quickest: 3 days
    // from then, never more (integer days from now would be 2 or 3).
    let left = link.expires_at.millis() - commcenter::Timestamp::now().millis();
    let three_days = 3 * 86_400_000;
    assert!(
        left <= three_days && left > three_days - 60_000,
        "{left} ms left, not 3 days"
    );
}

#[tokio::test]
async fn an_expired_link_is_refused_and_codes_are_stored_hashed() {
    let d = TestDaemon::start().await;
    let ann = d.customer("Ann").await;
    let live = d
        .admin
        .portal_link(ann.id(), &NewPortalLink::default())
        .await
        .unwrap();
    let addr = d.addr();
    let dir = d.stop().await;

    // The secret is nowhere in the store file, only its hash.
    let bytes = std::fs::read(common::store_path(dir.path())).unwrap();
    let secret = code_of(&live.url).as_bytes();
    assert!(!bytes.windows(secret.len()).any(|w| w == secret));

    // A code that expired a moment ago, written as the daemon writes them.
    let store = open_store(dir.path());
    let expired = store
        .write(move |tx| tx.issue_portal_code(&staff_caller(), ann.id(), -1))
        .await
        .unwrap();
    store.close().await;
    drop(store);
    let d = TestDaemon::start_at(dir, &addr).await;
    let refused = post(
        &d.anonymous(),
        "/api/v1/portal/redeem",
        json!({"code": expired.secret}),
    )
    .await;
    assert_eq!(refused.status, 401);
    d.anonymous()
        .redeem_portal(code_of(&live.url))
        .await
        .unwrap();
}

#[tokio::test]
async fn racing_pages_redeem_a_code_exactly_once() {
    let d = TestDaemon::start().await;
    let ann = d.customer("Ann").await;
    let link = d
        .admin
        .portal_link(ann.id(), &NewPortalLink::default())
        .await
        .unwrap();
    let code = code_of(&link.url).to_owned();
    let tries = (0..16).map(|_| {
        let client = d.anonymous();
        let code = code.clone();
        tokio::spawn(async move {
            post(&client, "/api/v1/portal/redeem", json!({"code": code}))
                .await
                .status
        })
    });
    let mut statuses = Vec::new();
    for t in tries {
        statuses.push(t.await.unwrap());
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 401).count(),
        15,
        "{statuses:?}"
    );
}

#[tokio::test]
async fn a_repeated_idempotency_key_gets_no_second_code() {
    let d = TestDaemon::start().await;
    let ann = d.customer("Ann").await;
    let path = format!("/api/v1/users/{}/portal-link", ann.id());
    let headers = [("Idempotency-Key", "link-1")];
    let body = json!({});
    let first = common::request(&d.admin, http::Method::POST, &path, Some(&body), &headers).await;
    assert_eq!(first.status, 201);
    let second = common::request(&d.admin, http::Method::POST, &path, Some(&body), &headers).await;
    assert_eq!(second.status, 409);
}

#[tokio::test]
async fn guessing_codes_is_throttled_like_guessing_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let d = TestDaemon::start_with(dir, |s| s.limits.auth_failures = 3).await;
    let ann = d.customer("Ann").await;
    let link = d
        .admin
        .portal_link(ann.id(), &NewPortalLink::default())
        .await
        .unwrap();
    let guesser = d.anonymous();
    for _ in 0..3 {
        let wrong = post(
            &guesser,
            "/api/v1/portal/redeem",
            json!({"code": "ccp_guess"}),
        )
        .await;
        assert_eq!(wrong.status, 401);
    }
    let refused = post(
        &guesser,
        "/api/v1/portal/redeem",
        json!({"code": code_of(&link.url)}),
    )
    .await;
    assert_eq!(
        refused.status, 429,
        "over the count, even a right code waits"
    );
    assert!(refused.headers.get("retry-after").is_some());
    assert_eq!(
        error_of(&refused).code,
        commcenter::wire::ErrorCode::RateLimited
    );
}

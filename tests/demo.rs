//! `--demo` loads fixtures/demo.json as it is written.

mod common;

use std::collections::BTreeMap;

use commcenter::wire::ConversationStatus;
use common::TestDaemon;

#[tokio::test]
async fn demo_conversations_keep_the_status_the_fixture_gives_them() {
    let daemon = TestDaemon::start_with(tempfile::tempdir().unwrap(), |s| s.demo = true).await;
    let fixture: serde_json::Value =
        serde_json::from_str(include_str!("../fixtures/demo.json")).unwrap();
    let mut expected = BTreeMap::new();
    for c in fixture["conversations"].as_array().unwrap() {
        *expected
            .entry(c["status"].as_str().unwrap().to_owned())
            .or_insert(0) += 1;
    }
    let mut found = BTreeMap::new();
    for status in [
        ConversationStatus::Open,
        ConversationStatus::Closed,
        ConversationStatus::Archived,
    ] {
        let path = format!(
            "/api/v1/conversations?kind=customer&status={}&limit=500",
            serde_json::to_value(status).unwrap().as_str().unwrap()
        );
        let page: serde_json::Value = common::get(&daemon.admin, &path).await.json().unwrap();
        let count = page["items"].as_array().unwrap().len();
        if count > 0 {
            found.insert(
                serde_json::to_value(status)
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .to_owned(),
                count,
            );
        }
    }
    assert_eq!(found, expected);
    assert!(expected.len() > 1, "the fixture shows more than one status");
}

//! Analytics against the real daemon: every figure on the hand-computed case
//! of `fixtures/analytics_case.json` (messages written at fixed times
//! straight into the store while the daemon is stopped, through the same
//! writes the API uses), time-zone days, range edges, explained turns,
//! the rebuild of a store written before analytics, and who may ask.

mod common;

use std::collections::HashMap;

use commcenter::wire::{
    AnalyticsRange, ConversationPatch, ConversationStatus, NewMessage, ReceiptState,
};
use commcenter::{Id, Timestamp};
use common::*;
use serde_json::Value;

const FIXTURE: &str = include_str!("../fixtures/analytics_case.json");

/// The daemon with the case written into it, and who and what is in it.
struct Case {
    daemon: TestDaemon,
    people: HashMap<String, Actor>,
    conversations: HashMap<String, Id>,
    messages: HashMap<String, Id>,
    expected: Value,
}

impl Case {
    async fn build() -> Case {
        let fixture: Value = serde_json::from_str(FIXTURE).expect("fixture is JSON");
        let daemon = TestDaemon::start().await;
        let mut people = HashMap::new();
        for (key, name) in [("ann", "Ann"), ("bob", "Bob")] {
            people.insert(key.to_owned(), daemon.customer(name).await);
        }
        for (key, name) in [("priya", "Priya"), ("tom", "Tom")] {
            people.insert(key.to_owned(), daemon.agent(name).await);
        }
        people.insert("cole".into(), daemon.crew("Cole").await);
        let priya = people["priya"].client.clone();
        let mut conversations = HashMap::new();
        for key in ["ann", "bob"] {
            let conversation = open_conversation(&priya, people[key].id()).await;
            conversations.insert(key.to_owned(), conversation.id);
        }
        let project = create_project(&priya, people["ann"].id(), vec![people["cole"].id()]).await;
        conversations.insert("project".into(), project.conversation_id);
        let files = upload_attachments(&people).await;

        let addr = daemon.addr();
        let dir = daemon.stop().await;
        let store = open_store(dir.path());
        let mut messages = HashMap::new();
        for m in fixture["messages"].as_array().unwrap() {
            let key = m["key"].as_str().unwrap().to_owned();
            let sender = &people[m["from"].as_str().unwrap()];
            let conversation = conversations[m["conversation"].as_str().unwrap()];
            let attachments = m["attachment"]
                .as_bool()
                .unwrap_or(false)
                .then(|| vec![files[m["from"].as_str().unwrap()]]);
            let new = NewMessage {
                channel: Some(serde_json::from_value(m["channel"].clone()).unwrap()),
                body: Some(m["body"].as_str().unwrap().to_owned()),
                attachments,
                private: m["private"].as_bool(),
                ..Default::default()
            };
            let (caller, at) = (sender.caller(), time(&m["at"]));
            let sent = store
                .write(move |tx| {
                    tx.set_clock(at);
                    tx.send_message(&caller, conversation, new)
                })
                .await
                .unwrap_or_else(|e| panic!("message {key}: {e}"));
            messages.insert(key, sent.id);
        }
        for r in fixture["reads"].as_array().unwrap() {
            let caller = people[r["by"].as_str().unwrap()].caller();
            let (message, at) = (messages[r["message"].as_str().unwrap()], time(&r["at"]));
            store
                .write(move |tx| {
                    tx.set_clock(at);
                    tx.acknowledge(&caller, message, ReceiptState::Read)
                })
                .await
                .expect("read");
        }
        store.close().await;
        drop(store);
        let daemon = TestDaemon::start_at(dir, &addr).await;
        Case {
            daemon,
            people,
            conversations,
            messages,
            expected: fixture["expected"].clone(),
        }
    }

    /// `GET /analytics/<path>?<the expected block's query>` as JSON.
    async fn ask(&self, path: &str, block: &str) -> Value {
        let query = self.expected[block]["query"].as_str().unwrap();
        self.get_json(&format!("/api/v1/analytics/{path}?{query}"))
            .await
    }

    async fn get_json(&self, path: &str) -> Value {
        let response = get(&self.daemon.admin, path).await;
        assert_eq!(
            response.status,
            200,
            "{path}: {}",
            String::from_utf8_lossy(&response.body)
        );
        serde_json::from_slice(&response.body).unwrap()
    }

    fn message_key(&self, id: &Value) -> Value {
        if id.is_null() {
            return Value::Null;
        }
        let found = self
            .messages
            .iter()
            .find(|(_, m)| m.to_string() == id.as_str().unwrap());
        Value::from(found.map(|(k, _)| k.as_str()).unwrap_or("?"))
    }
}

/// A file each attachment sender uploads (attached by the store's own
/// checks, so it must be theirs).
async fn upload_attachments(people: &HashMap<String, Actor>) -> HashMap<String, Id> {
    let mut files = HashMap::new();
    for who in ["ann", "tom"] {
        let file = people[who]
            .client
            .upload_file("notes.txt", "text/plain", b"hello".to_vec())
            .await
            .expect("upload");
        files.insert(who.to_owned(), file.id);
    }
    files
}

fn time(value: &Value) -> Timestamp {
    Timestamp::parse(value.as_str().unwrap()).unwrap()
}

/// Checks every field of `expected` in `actual` (numbers to 1e-9
/// relatively), except the fixture's own notes and the turns.
fn assert_figures(actual: &Value, expected: &Value, at: &str) {
    match expected {
        Value::Object(fields) => {
            for (name, want) in fields {
                if matches!(name.as_str(), "query" | "why" | "engagement_why" | "turns") {
                    continue;
                }
                assert_figures(&actual[name], want, &format!("{at}.{name}"));
            }
        }
        Value::Number(want) => {
            let (want, got) = (want.as_f64().unwrap(), actual.as_f64());
            let got = got.unwrap_or_else(|| panic!("{at}: {actual} is not a number"));
            assert!(
                (want - got).abs() <= 1e-9 * want.abs().max(1.0),
                "{at}: {got}, expected {want}"
            );
        }
        _ => assert_eq!(actual, expected, "{at}"),
    }
}

#[tokio::test]
async fn overview_matches_every_hand_computed_figure() {
    let case = Case::build().await;
    let overview = case.ask("overview", "overview_utc").await;
    assert_figures(&overview, &case.expected["overview_utc"], "overview");
}

#[tokio::test]
async fn private_notes_and_the_crew_channel_count_nowhere() {
    let case = Case::build().await;
    let overview = case.ask("overview", "overview_utc").await;
    // 13 messages were written: the note p1 and the crew channel's c1 and c2 are left out.
    assert_eq!(overview["total_messages"], 10);
    let agents = case.ask("agents", "agents").await;
    let priya = agent(&agents, case.people["priya"].id());
    assert_eq!(priya["replies"], 3, "r1, e1 and r2; not p1 nor c2");
}

#[tokio::test]
async fn daily_series_follow_new_york_calendar_days() {
    let case = Case::build().await;
    let overview = case.ask("overview", "daily_new_york").await;
    assert_figures(&overview, &case.expected["daily_new_york"], "new_york");
    assert_eq!(overview["tz"], "America/New_York");
}

#[tokio::test]
async fn daily_series_split_hours_at_kolkatas_half_past_midnight() {
    let case = Case::build().await;
    let overview = case.ask("overview", "daily_kolkata").await;
    assert_figures(&overview, &case.expected["daily_kolkata"], "kolkata");
}

#[tokio::test]
async fn since_is_inclusive_and_until_exclusive() {
    let case = Case::build().await;
    let overview = case.ask("overview", "edges").await;
    assert_figures(&overview, &case.expected["edges"], "edges");
    let later = case.ask("overview", "edges_one_ms_later").await;
    assert_figures(&later, &case.expected["edges_one_ms_later"], "later");
}

#[tokio::test]
async fn customer_figures_match_by_hand() {
    let case = Case::build().await;
    let ann = case.people["ann"].id();
    let figures = case.ask(&format!("customers/{ann}"), "ann").await;
    assert_figures(&figures, &case.expected["ann"], "ann");
    assert_eq!(figures["customer_id"], ann.to_string());
}

#[tokio::test]
async fn explained_turns_are_the_rows_behind_the_response_time() {
    let case = Case::build().await;
    for who in ["ann", "bob"] {
        let id = case.people[who].id();
        let figures = case.ask(&format!("customers/{id}"), who).await;
        let turns: Vec<Value> = figures["turns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                serde_json::json!([
                    case.message_key(&t["inbound_id"]),
                    case.message_key(&t["reply_id"]),
                    t["seconds"]
                ])
            })
            .collect();
        assert_eq!(
            Value::from(turns.clone()),
            case.expected[who]["turns"],
            "{who}"
        );
        let answered = turns.iter().filter(|t| !t[1].is_null()).count();
        assert_eq!(figures["response_time"]["count"], answered, "{who}");
        assert_eq!(
            figures["response_time"]["unanswered"],
            turns.len() - answered,
            "{who}"
        );
    }
}

#[tokio::test]
async fn turns_are_listed_only_when_explain_is_asked_for() {
    let case = Case::build().await;
    let ann = case.people["ann"].id();
    let figures = case
        .get_json(&format!("/api/v1/analytics/customers/{ann}"))
        .await;
    assert!(figures.get("turns").is_none(), "{figures}");
}

#[tokio::test]
async fn an_unanswered_turn_counts_as_unanswered_until_its_reply() {
    let case = Case::build().await;
    let bob = case.people["bob"].id();
    let figures = case.ask(&format!("customers/{bob}"), "bob").await;
    assert_figures(&figures, &case.expected["bob"], "bob");
}

#[tokio::test]
async fn agents_get_the_turns_their_replies_ended() {
    let case = Case::build().await;
    let agents = case.ask("agents", "agents").await;
    for who in ["priya", "tom"] {
        let figures = agent(&agents, case.people[who].id());
        assert_figures(figures, &case.expected["agents"][who], who);
    }
}

fn agent(agents: &Value, id: Id) -> &Value {
    agents["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["user_id"] == id.to_string())
        .unwrap_or_else(|| panic!("{id} is not in {agents}"))
}

#[tokio::test]
async fn conversation_counts_and_assignments_follow_status_changes() {
    let case = Case::build().await;
    let tom = case.people["tom"].id();
    let patch = |status, assignee| ConversationPatch {
        status,
        assignee_id: assignee,
        tags: None,
    };
    let admin = &case.daemon.admin;
    admin
        .patch_conversation(case.conversations["ann"], &patch(None, Some(Some(tom))))
        .await
        .unwrap();
    admin
        .patch_conversation(
            case.conversations["bob"],
            &patch(Some(ConversationStatus::Closed), Some(Some(tom))),
        )
        .await
        .unwrap();
    let overview = admin
        .analytics_overview(&AnalyticsRange::default())
        .await
        .unwrap();
    // The project's crew channel is not a customer conversation.
    assert_eq!(
        (overview.conversations.open, overview.conversations.closed),
        (1, 1)
    );
    let agents = admin
        .analytics_agents(&AnalyticsRange::default())
        .await
        .unwrap();
    let tom_figures = agents.items.iter().find(|a| a.user_id == tom).unwrap();
    assert_eq!(
        tom_figures.assigned_open, 1,
        "Bob's closed one does not count"
    );
}

#[tokio::test]
async fn without_since_and_until_the_figures_cover_all_time() {
    let case = Case::build().await;
    let before = Timestamp::now();
    let overview = case
        .daemon
        .admin
        .analytics_overview(&AnalyticsRange::default())
        .await
        .unwrap();
    assert_eq!(overview.total_messages, 10);
    assert_eq!(
        overview.since,
        Some(time(&Value::from("2026-03-01T23:50:00Z")))
    );
    assert!(overview.until.unwrap() >= before);
    assert_eq!(overview.daily.first().unwrap().date, "2026-03-01");
}

#[tokio::test]
async fn live_messages_and_receipts_count_at_once() {
    let daemon = TestDaemon::start().await;
    let (agent, customer) = (daemon.agent("Priya").await, daemon.customer("Ann").await);
    let conversation = open_conversation(&agent.client, customer.id()).await;
    send_text(&customer.client, conversation.id, "Hello?").await;
    send_text(&agent.client, conversation.id, "Hello!").await;
    let range = AnalyticsRange::default();
    let before = daemon.admin.analytics_overview(&range).await.unwrap();
    assert_eq!(before.read_rate, Some(0.0));
    assert_eq!(before.response_time.count, 1);
    customer
        .client
        .read_conversation(conversation.id, None)
        .await
        .unwrap();
    let after = daemon.admin.analytics_overview(&range).await.unwrap();
    assert_eq!(after.read_rate, Some(1.0));
    assert_eq!(after.by_direction.inbound, 1);
}

#[tokio::test]
async fn a_store_written_before_analytics_is_counted_after_a_rebuild() {
    let case = Case::build().await;
    let before = case.ask("overview", "overview_utc").await;
    let ann = case.people["ann"].id();
    let ann_before = case.ask(&format!("customers/{ann}"), "ann").await;
    let addr = case.daemon.addr();
    let dir = case.daemon.stop().await;
    commcenter_store::Store::forget_analytics(&store_path(dir.path())).unwrap();
    let daemon = TestDaemon::start_at(dir, &addr).await;
    let query = case.expected["overview_utc"]["query"].as_str().unwrap();
    let after = get(
        &daemon.admin,
        &format!("/api/v1/analytics/overview?{query}"),
    )
    .await;
    let after: Value = serde_json::from_slice(&after.body).unwrap();
    assert_eq!(after, before);
    let ann_after = get(
        &daemon.admin,
        &format!("/api/v1/analytics/customers/{ann}?{query}&explain=true"),
    )
    .await;
    assert_eq!(
        serde_json::from_slice::<Value>(&ann_after.body).unwrap(),
        ann_before
    );
}

#[tokio::test]
async fn bad_parameters_are_400_naming_the_parameter() {
    let daemon = TestDaemon::start().await;
    let customer = daemon.customer("Ann").await;
    for (query, field) in [
        ("tz=Mars/Olympus_Mons", "tz"),
        ("since=yesterday", "since"),
        ("until=2026-02-30", "until"),
        ("since=2026-03-02&until=2026-03-01", "since"),
    ] {
        for path in [
            "/api/v1/analytics/overview".to_owned(),
            "/api/v1/analytics/agents".to_owned(),
            format!("/api/v1/analytics/customers/{}", customer.id()),
        ] {
            let response = get(&daemon.admin, &format!("{path}?{query}")).await;
            assert_eq!(response.status, 400, "{path}?{query}");
            assert_eq!(error_of(&response).field.as_deref(), Some(field), "{query}");
        }
    }
    let path = format!("/api/v1/analytics/customers/{}?explain=yes", customer.id());
    let response = get(&daemon.admin, &path).await;
    assert_eq!(error_of(&response).field.as_deref(), Some("explain"));
}

#[tokio::test]
async fn customers_and_crew_may_not_see_analytics() {
    let daemon = TestDaemon::start().await;
    let (customer, crew) = (daemon.customer("Ann").await, daemon.crew("Cole").await);
    for who in [&customer, &crew] {
        for path in [
            "/api/v1/analytics/overview".to_owned(),
            "/api/v1/analytics/agents".to_owned(),
            format!("/api/v1/analytics/customers/{}", customer.id()),
        ] {
            let response = get(&who.client, &path).await;
            assert_eq!(response.status, 403, "{:?} {path}", who.user.role);
        }
    }
}

#[tokio::test]
async fn a_user_who_is_not_a_customer_has_no_customer_figures() {
    let daemon = TestDaemon::start().await;
    let agent = daemon.agent("Priya").await;
    let path = format!("/api/v1/analytics/customers/{}", agent.id());
    let response = get(&daemon.admin, &path).await;
    assert_eq!(response.status, 404);
}

#[tokio::test]
async fn the_typed_client_reads_every_endpoint() {
    let case = Case::build().await;
    let range = AnalyticsRange {
        since: Some("2026-03-01".into()),
        until: Some("2026-03-03".into()),
        tz: Some("Asia/Kolkata".into()),
    };
    let admin = &case.daemon.admin;
    let overview = admin.analytics_overview(&range).await.unwrap();
    assert_eq!(overview.by_channel.phone, 1);
    let ann = admin
        .analytics_customer(case.people["ann"].id(), &range, true)
        .await
        .unwrap();
    assert_eq!(ann.turns.map(|t| t.len()), Some(2));
    let agents = admin.analytics_agents(&range).await.unwrap();
    assert!(agents
        .items
        .iter()
        .any(|a| a.name == "Tom" && a.replies == 2));
}

#[tokio::test]
async fn the_demo_data_shows_every_kind_of_figure() {
    let daemon = TestDaemon::start_with(tempfile::tempdir().unwrap(), |s| s.demo = true).await;
    let range = AnalyticsRange::default();
    let overview = daemon.admin.analytics_overview(&range).await.unwrap();
    assert!(overview.total_messages > 100, "{overview:?}");
    assert!(overview.active_customers > 5, "{overview:?}");
    let read_rate = overview.read_rate.expect("outbound in-app messages");
    assert!(read_rate > 0.0 && read_rate < 1.0, "{read_rate}");
    assert!(overview.response_time.count > 10, "{overview:?}");
    assert!(overview.response_time.median_s.unwrap() > 0.0);
    assert!(overview.daily.len() >= 28, "four weeks of days");
    let agents = daemon.admin.analytics_agents(&range).await.unwrap();
    assert!(
        agents.items.iter().filter(|a| a.replies > 0).count() >= 2,
        "{agents:?}"
    );
}

#[tokio::test]
async fn a_range_longer_than_a_century_is_refused() {
    let daemon = TestDaemon::start().await;
    let path = "/api/v1/analytics/overview?since=1800-01-01&until=2026-01-01";
    let response = get(&daemon.admin, path).await;
    assert_eq!(error_of(&response).field.as_deref(), Some("since"));
}

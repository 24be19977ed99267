//! `GET /api/v1/ws`: delivery, receipts, typing, presence, isolation,
//! resume, the handshake's refusals, back-pressure and shutdown — real
//! daemon, real WebSocket clients.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use commcenter::client::Client;
use commcenter::wire::{Conversation, NewMessage, ProjectPatch};
use common::ws::{close_code_of, created_ids, of_kind, refused, try_connect, WsClient};
use common::{create_project, open_conversation, send_text, Actor, TestDaemon};
use futures_util::SinkExt;
use serde_json::{json, Value};

/// A daemon, an agent, a customer and the customer's conversation.
struct Scene {
    daemon: TestDaemon,
    agent: Actor,
    customer: Actor,
    conversation: Conversation,
}

async fn scene() -> Scene {
    scene_on(TestDaemon::start().await).await
}

async fn scene_on(daemon: TestDaemon) -> Scene {
    let agent = daemon.agent("Alice Agent").await;
    let customer = daemon.customer("Carl Customer").await;
    let conversation = open_conversation(&agent.client, customer.id()).await;
    Scene {
        daemon,
        agent,
        customer,
        conversation,
    }
}

async fn daemon_with(adjust: impl FnOnce(&mut commcenterd::Settings)) -> TestDaemon {
    TestDaemon::start_with(tempfile::tempdir().unwrap(), adjust).await
}

fn bearer(client: &Client) -> String {
    format!("Bearer {}", client.token().unwrap())
}

fn note(body: &str) -> NewMessage {
    NewMessage {
        body: Some(body.to_owned()),
        private: Some(true),
        ..Default::default()
    }
}

/// Whether `frame` is the `message.created` of the message with `body`.
fn is_created_with_body(frame: &Value, body: &str) -> bool {
    frame["type"] == "message.created" && frame["data"]["message"]["body"] == body
}

fn seq_of(frame: &Value) -> u64 {
    frame["seq"].as_u64().expect("stored events carry a seq")
}

#[tokio::test]
async fn the_first_frame_is_hello_with_user_seq_epoch_and_heartbeat() {
    let s = scene().await;
    let ws = WsClient::open(&s.customer.client).await;
    assert_eq!(ws.hello["user_id"], s.customer.id().to_string());
    assert!(
        ws.hello["seq"].as_u64().unwrap() > 0,
        "events exist already"
    );
    assert!(!ws.hello["epoch"].as_str().unwrap().is_empty());
    assert_eq!(ws.hello["heartbeat_s"], 25);
}

#[tokio::test]
async fn a_message_sent_over_http_arrives_on_both_sides_websockets() {
    let s = scene().await;
    let mut agent_ws = WsClient::open(&s.agent.client).await;
    let mut customer_ws = WsClient::open(&s.customer.client).await;
    let sent = send_text(&s.agent.client, s.conversation.id, "We'll be there at 9").await;

    let frame = customer_ws.next_of("message.created").await;
    assert!(seq_of(&frame) > customer_ws.hello_seq());
    let message = &frame["data"]["message"];
    assert_eq!(message["id"], sent.id.to_string());
    assert_eq!(message["conversation_id"], s.conversation.id.to_string());
    assert_eq!(message["sender_id"], s.agent.id().to_string());
    assert_eq!(message["body"], "We'll be there at 9");
    assert_eq!(message["direction"], "outbound");
    assert_eq!(message["status"], "sent");
    let frame = agent_ws.next_of("message.created").await;
    assert_eq!(frame["data"]["message"]["id"], sent.id.to_string());
}

#[tokio::test]
async fn a_read_frame_reaches_the_sender_as_a_receipt_and_is_stored() {
    let s = scene().await;
    let mut agent_ws = WsClient::open(&s.agent.client).await;
    let mut customer_ws = WsClient::open(&s.customer.client).await;
    let sent = send_text(&s.agent.client, s.conversation.id, "Invoice attached").await;
    customer_ws.next_of("message.created").await;

    customer_ws
        .send_json(json!({"type": "read", "message_id": sent.id}))
        .await;
    let receipt = agent_ws.next_of("receipt").await;
    assert_eq!(receipt["data"]["message_id"], sent.id.to_string());
    assert_eq!(receipt["data"]["user_id"], s.customer.id().to_string());
    assert_eq!(receipt["data"]["state"], "read");
    let updated = agent_ws.next_of("message.updated").await;
    assert_eq!(updated["data"]["message"]["status"], "read");

    let receipts = s.agent.client.receipts(sent.id).await.unwrap();
    assert_eq!(receipts.status, commcenter::wire::MessageStatus::Read);
    let customer = receipts
        .recipients
        .iter()
        .find(|r| r.user_id == s.customer.id())
        .expect("the customer's receipt");
    assert!(customer.read_at.is_some() && customer.delivered_at.is_some());
}

#[tokio::test]
async fn a_delivered_frame_from_staff_reaches_the_customer_as_a_receipt() {
    let s = scene().await;
    let mut agent_ws = WsClient::open(&s.agent.client).await;
    let mut customer_ws = WsClient::open(&s.customer.client).await;
    let sent = send_text(&s.customer.client, s.conversation.id, "Is 9 ok?").await;
    agent_ws.next_of("message.created").await;

    agent_ws
        .send_json(json!({"type": "delivered", "message_id": sent.id}))
        .await;
    let receipt = customer_ws.next_of("receipt").await;
    assert_eq!(receipt["data"]["message_id"], sent.id.to_string());
    assert_eq!(receipt["data"]["user_id"], s.agent.id().to_string());
    assert_eq!(receipt["data"]["state"], "delivered");
    let receipts = s.customer.client.receipts(sent.id).await.unwrap();
    assert_eq!(receipts.status, commcenter::wire::MessageStatus::Delivered);
}

#[tokio::test]
async fn typing_reaches_the_other_side_both_ways_and_not_the_typist() {
    let s = scene().await;
    let mut agent_ws = WsClient::open(&s.agent.client).await;
    let mut customer_ws = WsClient::open(&s.customer.client).await;
    let conversation_id = s.conversation.id.to_string();

    customer_ws
        .send_json(json!({"type": "typing", "conversation_id": conversation_id, "state": "start"}))
        .await;
    let typing = agent_ws.next_of("typing").await;
    assert_eq!(
        typing["data"],
        json!({"conversation_id": conversation_id, "user_id": s.customer.id().to_string(), "state": "start"})
    );
    assert!(typing.get("seq").is_none(), "typing is not stored");
    assert_no_typing_before_pong(&mut customer_ws).await;

    agent_ws
        .send_json(json!({"type": "typing", "conversation_id": conversation_id, "state": "stop"}))
        .await;
    let typing = customer_ws.next_of("typing").await;
    assert_eq!(typing["data"]["user_id"], s.agent.id().to_string());
    assert_eq!(typing["data"]["state"], "stop");
    assert_no_typing_before_pong(&mut agent_ws).await;
}

/// Pings and checks that no typing frame came back before the pong.
async fn assert_no_typing_before_pong(ws: &mut WsClient) {
    ws.send_json(json!({"type": "ping"})).await;
    let frames = ws.frames_until(|f| f["type"] == "pong").await;
    assert_eq!(of_kind(&frames, "typing").count(), 0, "{frames:?}");
}

#[tokio::test]
async fn a_user_is_online_until_their_last_connection_closes() {
    let s = scene().await;
    let customer_id = s.customer.id().to_string();
    let mut watcher = WsClient::open(&s.agent.client).await;
    let first = WsClient::open(&s.customer.client).await;
    let second = WsClient::open(&s.customer.client).await;
    first.close().await;
    let listed = s.agent.client.presence().await.unwrap();
    let entry = listed
        .iter()
        .find(|p| p.user_id == s.customer.id())
        .unwrap();
    assert!(entry.online, "one connection is still open");

    second.close().await;
    let frames = watcher
        .frames_until(|f| {
            f["type"] == "presence"
                && f["data"]["user_id"] == customer_id
                && f["data"]["online"] == false
        })
        .await;
    let transitions: Vec<&Value> = of_kind(&frames, "presence")
        .filter(|f| f["data"]["user_id"] == customer_id)
        .collect();
    assert_eq!(
        transitions.len(),
        2,
        "online once, offline once: {transitions:?}"
    );
    assert_eq!(transitions[0]["data"]["online"], true);
    let went_offline = transitions[1]["data"]["last_seen_at"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(transitions.iter().all(|f| f.get("seq").is_none()));

    let listed = s.agent.client.presence().await.unwrap();
    let entry = listed
        .iter()
        .find(|p| p.user_id == s.customer.id())
        .unwrap();
    assert!(!entry.online);
    let stored = wait_for_last_seen(&s.agent.client, s.customer.id(), &went_offline).await;
    assert_eq!(stored, went_offline);
}

/// The user's stored `last_seen_at`, once it reached `expected` (it is
/// written just after the presence event goes out).
async fn wait_for_last_seen(client: &Client, user: commcenter::Id, expected: &str) -> String {
    for _ in 0..100 {
        let seen = client.get_user(user).await.unwrap().last_seen_at;
        if let Some(seen) = seen.map(|t| t.to_string()) {
            if seen.as_str() >= expected {
                return seen;
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("last_seen_at never reached {expected}");
}

#[tokio::test]
async fn presence_is_for_staff_only() {
    let s = scene().await;
    let refused = s.customer.client.presence().await.unwrap_err();
    assert_eq!(refused.status(), Some(403));
}

#[tokio::test]
async fn others_receive_nothing_of_a_customers_conversations_and_notes() {
    let s = scene().await;
    let (agent, a) = (&s.agent.client, &s.customer);
    let b = s.daemon.customer("Bea Other").await;
    let crew = s.daemon.crew("Cy Crew").await;
    let idle_crew = s.daemon.crew("Ivy Unassigned").await;
    let project_a = create_project(agent, a.id(), vec![crew.id()]).await;
    let conversation_b = open_conversation(agent, b.id()).await;
    let project_b = create_project(agent, b.id(), vec![idle_crew.id()]).await;
    let mut a_ws = WsClient::open(&a.client).await;
    let mut b_ws = WsClient::open(&b.client).await;
    let mut crew_ws = WsClient::open(&crew.client).await;
    let mut idle_ws = WsClient::open(&idle_crew.client).await;

    send_text(agent, s.conversation.id, "for A").await;
    send_text(&a.client, s.conversation.id, "from A").await;
    agent
        .send_message(s.conversation.id, &note("A is late payer"))
        .await
        .unwrap();
    agent
        .send_message(project_a.conversation_id, &note("crew note"))
        .await
        .unwrap();
    send_text(&crew.client, project_a.conversation_id, "on site").await;
    a_ws.send_json(
        json!({"type": "typing", "conversation_id": s.conversation.id, "state": "start"}),
    )
    .await;
    for (conversation, marker) in [
        (s.conversation.id, "end A"),
        (project_a.conversation_id, "end crew"),
        (conversation_b.id, "end B"),
        (project_b.conversation_id, "end idle crew"),
    ] {
        send_text(agent, conversation, marker).await;
    }

    let b_frames = b_ws
        .frames_until(|f| is_created_with_body(f, "end B"))
        .await;
    assert_eq!(b_frames.len(), 1, "B sees only its own: {b_frames:?}");
    let idle = idle_ws
        .frames_until(|f| is_created_with_body(f, "end idle crew"))
        .await;
    assert_eq!(idle.len(), 1, "unassigned crew see nothing: {idle:?}");
    let a_frames = a_ws
        .frames_until(|f| is_created_with_body(f, "end A"))
        .await;
    assert_no_private_note(&a_frames);
    assert_eq!(created_ids(&a_frames).len(), 3, "{a_frames:?}");
    let crew_frames = crew_ws
        .frames_until(|f| is_created_with_body(f, "end crew"))
        .await;
    assert_no_private_note(&crew_frames);
    assert!(crew_frames
        .iter()
        .all(|f| f["data"]["message"]["conversation_id"] != s.conversation.id.to_string()));
}

fn assert_no_private_note(frames: &[Value]) {
    for frame in frames {
        let text = frame.to_string();
        assert!(
            !text.contains("note") && !text.contains("late payer"),
            "{frame}"
        );
        assert_ne!(frame["data"]["message"]["private"], true, "{frame}");
    }
}

#[tokio::test]
async fn staff_receive_private_notes() {
    let s = scene().await;
    let colleague = s.daemon.agent("Ada Colleague").await;
    let mut colleague_ws = WsClient::open(&colleague.client).await;
    s.agent
        .client
        .send_message(s.conversation.id, &note("call before 9"))
        .await
        .unwrap();
    let frame = colleague_ws.next_of("message.created").await;
    assert_eq!(frame["data"]["message"]["private"], true);
}

#[tokio::test]
async fn crew_follow_their_assignment_as_it_changes() {
    let s = scene().await;
    let crew = s.daemon.crew("Cy Crew").await;
    let project = create_project(&s.agent.client, s.customer.id(), vec![]).await;
    let mut crew_ws = WsClient::open(&crew.client).await;
    let assign = |crew_ids| ProjectPatch {
        crew_ids: Some(crew_ids),
        ..Default::default()
    };

    send_text(&s.agent.client, project.conversation_id, "before").await;
    s.agent
        .client
        .patch_project(project.id, &assign(vec![crew.id()]))
        .await
        .unwrap();
    send_text(&s.agent.client, project.conversation_id, "assigned").await;
    s.agent
        .client
        .patch_project(project.id, &assign(vec![]))
        .await
        .unwrap();
    send_text(&s.agent.client, project.conversation_id, "removed").await;
    let marker = create_project(&s.agent.client, s.customer.id(), vec![crew.id()]).await;

    let frames = crew_ws
        .frames_until(|f| {
            f["type"] == "project.updated" && f["data"]["project"]["id"] == marker.id.to_string()
        })
        .await;
    let bodies: Vec<&str> = of_kind(&frames, "message.created")
        .map(|f| f["data"]["message"]["body"].as_str().unwrap())
        .collect();
    assert_eq!(bodies, ["assigned"], "{frames:?}");
    assert_eq!(
        of_kind(&frames, "project.updated").count(),
        2,
        "assigned, then the marker"
    );
}

#[tokio::test]
async fn a_resume_replays_exactly_the_missed_events_then_goes_live() {
    let s = scene().await;
    let ws = WsClient::open(&s.customer.client).await;
    let (since, epoch) = (
        ws.hello_seq(),
        ws.hello["epoch"].as_str().unwrap().to_owned(),
    );
    ws.close().await;
    let mut sent = Vec::new();
    for i in 0..50 {
        let message = send_text(&s.agent.client, s.conversation.id, &format!("missed {i}")).await;
        sent.push(message.id.to_string());
    }

    let query = format!("?since={since}&epoch={epoch}");
    let mut ws = WsClient::open_with(&s.customer.client, &query).await;
    let mut replayed = Vec::new();
    for _ in 0..50 {
        replayed.push(ws.frame().await);
    }
    assert_eq!(created_ids(&replayed), sent, "exactly the 50, in order");
    assert_strictly_increasing(&replayed);
    assert!(ws.frames_for(Duration::from_millis(300)).await.is_empty());
    let live = send_text(&s.agent.client, s.conversation.id, "live").await;
    let frame = ws.frame().await;
    assert_eq!(frame["data"]["message"]["id"], live.id.to_string());
    assert!(seq_of(&frame) > seq_of(replayed.last().unwrap()));
}

fn assert_strictly_increasing(frames: &[Value]) {
    let seqs: Vec<u64> = frames.iter().map(seq_of).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
}

#[tokio::test]
async fn sends_during_reconnects_leave_no_gap_and_no_duplicate() {
    let s = scene().await;
    let mut ws = WsClient::open(&s.customer.client).await;
    let epoch = ws.hello["epoch"].as_str().unwrap().to_owned();
    let agent = s.agent.client.clone();
    let conversation_id = s.conversation.id;
    let sender = tokio::spawn(async move {
        let mut ids = Vec::new();
        for i in 0..150 {
            ids.push(
                send_text(&agent, conversation_id, &format!("m{i}"))
                    .await
                    .id
                    .to_string(),
            );
        }
        ids
    });
    let mut received: Vec<Value> = Vec::new();
    for _ in 0..4 {
        for _ in 0..20 {
            received.push(ws.next_of("message.created").await);
        }
        // Drop without a close: the client vanishes mid-stream.
        let since = seq_of(received.last().unwrap());
        drop(ws);
        let query = format!("?since={since}&epoch={epoch}");
        ws = WsClient::open_with(&s.customer.client, &query).await;
    }
    let sent = sender.await.unwrap();
    while received.len() < sent.len() {
        received.push(ws.next_of("message.created").await);
    }
    assert_eq!(created_ids(&received), sent);
    assert_strictly_increasing(&received);
    assert!(of_kind(
        &ws.frames_for(Duration::from_millis(300)).await,
        "message.created"
    )
    .next()
    .is_none());
}

#[tokio::test]
async fn a_wrong_epoch_gets_resync_required_then_live_events() {
    let s = scene().await;
    let mut ws = WsClient::open_with(&s.customer.client, "?since=1&epoch=not-this-store").await;
    assert_eq!(ws.frame().await, json!({"type": "resync_required"}));
    let sent = send_text(&s.agent.client, s.conversation.id, "after resync").await;
    let frame = ws.next_of("message.created").await;
    assert_eq!(frame["data"]["message"]["id"], sent.id.to_string());
}

#[tokio::test]
async fn a_seq_from_the_future_gets_resync_required() {
    let s = scene().await;
    let ws = WsClient::open(&s.customer.client).await;
    let query = format!(
        "?since={}&epoch={}",
        ws.hello_seq() + 1000,
        ws.hello["epoch"].as_str().unwrap()
    );
    let mut ws = WsClient::open_with(&s.customer.client, &query).await;
    assert_eq!(ws.frame().await["type"], "resync_required");
}

#[tokio::test]
async fn a_resume_from_before_the_pruned_log_gets_resync_required() {
    let daemon = daemon_with(|s| {
        s.realtime.event_retention = Duration::from_millis(200);
        s.realtime.prune_interval = Duration::from_millis(50);
    })
    .await;
    let s = scene_on(daemon).await;
    send_text(&s.agent.client, s.conversation.id, "soon forgotten").await;
    let epoch = WsClient::open(&s.customer.client).await.hello["epoch"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut resynced = false;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let mut ws =
            WsClient::open_with(&s.customer.client, &format!("?since=0&epoch={epoch}")).await;
        if let Some(frame) = ws.frame_within(Duration::from_millis(200)).await {
            resynced = frame["type"] == "resync_required";
            if resynced {
                break;
            }
        }
    }
    assert!(resynced, "since=0 is older than the pruned log");
    let now = WsClient::open(&s.customer.client).await.hello_seq();
    let mut ws =
        WsClient::open_with(&s.customer.client, &format!("?since={now}&epoch={epoch}")).await;
    assert!(
        ws.frames_for(Duration::from_millis(300)).await.is_empty(),
        "a recent seq resumes"
    );
}

#[tokio::test]
async fn bad_frames_get_error_frames_and_the_connection_lives() {
    let s = scene().await;
    let mut ws = WsClient::open(&s.customer.client).await;
    let unknown_message = commcenter::Id::generate(1).to_string();
    let others =
        open_conversation(&s.agent.client, s.daemon.customer("Bea Other").await.id()).await;
    let cases = [
        ("not json".to_owned(), "bad_request"),
        (json!({"type": "dance"}).to_string(), "bad_request"),
        (json!({"type": "read"}).to_string(), "bad_request"),
        (
            json!({"type": "ping", "extra": 1}).to_string(),
            "bad_request",
        ),
        (
            json!({"type": "typing", "conversation_id": s.conversation.id, "state": "maybe"})
                .to_string(),
            "bad_request",
        ),
        (
            json!({"type": "read", "message_id": unknown_message}).to_string(),
            "not_found",
        ),
        (
            json!({"type": "typing", "conversation_id": others.id, "state": "start"}).to_string(),
            "not_found",
        ),
    ];
    for (text, code) in cases {
        ws.send_text(&text).await;
        let error = ws.frame().await;
        assert_eq!(error["type"], "error", "{text}: {error}");
        assert_eq!(error["data"]["code"], code, "{text}: {error}");
        assert!(!error["data"]["message"].as_str().unwrap().is_empty());
    }
    ws.socket
        .send(tokio_tungstenite::tungstenite::Message::Binary(
            vec![1, 2, 3].into(),
        ))
        .await
        .unwrap();
    assert_eq!(ws.frame().await["data"]["code"], "bad_request");
    ws.send_json(json!({"type": "ping"})).await;
    assert_eq!(ws.frame().await, json!({"type": "pong"}));
}

#[tokio::test]
async fn frames_over_64_kib_close_the_connection_with_1009() {
    let s = scene().await;
    let mut ws = WsClient::open(&s.customer.client).await;
    ws.send_text(&"x".repeat(60 * 1024)).await;
    assert_eq!(
        ws.frame().await["data"]["code"],
        "bad_request",
        "under the limit: an error frame"
    );
    ws.send_text(&"x".repeat(65 * 1024)).await;
    assert_eq!(ws.close_code(Duration::from_secs(10)).await, Some(1009));
}

#[tokio::test]
async fn a_browser_from_another_origin_is_refused_with_403() {
    let s = scene().await;
    let auth = bearer(&s.customer.client);
    let (status, body) = refused(
        &s.daemon.base_url,
        "",
        &[("authorization", &auth), ("origin", "http://evil.example")],
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(body["error"]["code"], "forbidden");
    let own = format!("http://{}", s.daemon.addr());
    let socket = try_connect(
        &s.daemon.base_url,
        "",
        &[("authorization", &auth), ("origin", &own)],
    )
    .await;
    WsClient::greeted(socket.expect("the daemon's own origin is allowed")).await;
}

#[tokio::test]
async fn an_origin_on_the_allow_list_may_connect() {
    let daemon =
        daemon_with(|s| s.realtime.allowed_origins = vec!["https://portal.example.com".into()])
            .await;
    let s = scene_on(daemon).await;
    let auth = bearer(&s.customer.client);
    let headers = [
        ("authorization", auth.as_str()),
        ("origin", "https://portal.example.com"),
    ];
    let socket = try_connect(&s.daemon.base_url, "", &headers).await;
    WsClient::greeted(socket.expect("an allowed origin")).await;
}

#[tokio::test]
async fn with_a_public_url_only_its_origin_is_the_daemons_own() {
    let daemon = daemon_with(|s| s.public_url = Some("https://chat.example.com".into())).await;
    let s = scene_on(daemon).await;
    let auth = bearer(&s.customer.client);
    // A page on evil.example that reaches the daemon under that name (DNS
    // rebinding) sends a matching Host; without --public-url that passed.
    let (status, _) = refused(
        &s.daemon.base_url,
        "",
        &[
            ("authorization", &auth),
            ("origin", "http://evil.example"),
            ("host", "evil.example"),
        ],
    )
    .await;
    assert_eq!(status, 403);
    let headers = [
        ("authorization", auth.as_str()),
        ("origin", "https://chat.example.com"),
    ];
    let socket = try_connect(&s.daemon.base_url, "", &headers).await;
    WsClient::greeted(socket.expect("the public origin is the daemon's own")).await;
}

#[tokio::test]
async fn a_websocket_without_credentials_is_refused_with_401() {
    let s = scene().await;
    let (status, body) = refused(&s.daemon.base_url, "", &[]).await;
    assert_eq!(status, 401);
    assert_eq!(body["error"]["code"], "unauthorized");
    let (status, _) = refused(&s.daemon.base_url, "", &[("authorization", "Bearer nope")]).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn a_ticket_opens_one_websocket_only() {
    let s = scene().await;
    let ticket = s.customer.client.ws_ticket().await.unwrap();
    assert!(ticket.expires_at > commcenter::Timestamp::now());
    let query = format!("?ticket={}", ticket.ticket);
    let own = format!("http://{}", s.daemon.addr());
    let socket = try_connect(&s.daemon.base_url, &query, &[("origin", &own)]).await;
    let ws = WsClient::greeted(socket.expect("the ticket opens a websocket")).await;
    assert_eq!(ws.hello["user_id"], s.customer.id().to_string());

    let (status, body) = refused(&s.daemon.base_url, &query, &[]).await;
    assert_eq!(status, 401, "a ticket is single use");
    assert_eq!(body["error"]["field"], "ticket");
}

#[tokio::test]
async fn an_expired_ticket_is_refused() {
    let daemon = daemon_with(|s| s.realtime.ticket_ttl = Duration::from_millis(100)).await;
    let s = scene_on(daemon).await;
    let ticket = s.customer.client.ws_ticket().await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (status, _) = refused(
        &s.daemon.base_url,
        &format!("?ticket={}", ticket.ticket),
        &[],
    )
    .await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn a_refused_handshake_does_not_spend_the_ticket() {
    let s = scene().await;
    let ticket = s.customer.client.ws_ticket().await.unwrap();
    let query = format!("?ticket={}", ticket.ticket);
    let (status, _) = refused(
        &s.daemon.base_url,
        &query,
        &[("origin", "http://evil.example")],
    )
    .await;
    assert_eq!(status, 403);
    let socket = try_connect(&s.daemon.base_url, &query, &[]).await;
    WsClient::greeted(socket.expect("the ticket still works")).await;
}

#[tokio::test]
async fn a_client_that_does_not_read_is_closed_with_1013_and_others_keep_up() {
    let daemon = daemon_with(|s| s.realtime.outbox_frames = 16).await;
    let s = scene_on(daemon).await;
    let mut slow = WsClient::open(&s.customer.client).await;
    let mut fast = WsClient::open(&s.agent.client).await;
    const MESSAGES: usize = 300;
    let reader = tokio::spawn(async move {
        let mut seen = 0;
        while seen < MESSAGES {
            fast.next_of("message.created").await;
            seen += 1;
        }
        tokio::time::Instant::now()
    });
    let body = "a".repeat(30_000);
    for _ in 0..MESSAGES {
        send_text(&s.agent.client, s.conversation.id, &body).await;
    }
    let last_sent = tokio::time::Instant::now();
    let fast_done = tokio::time::timeout(Duration::from_secs(10), reader)
        .await
        .expect("the fast client keeps up")
        .unwrap();
    assert!(fast_done.saturating_duration_since(last_sent) < Duration::from_secs(2));
    let code = close_code_of(&mut slow.socket, Duration::from_secs(20)).await;
    assert_eq!(code, Some(1013));
}

#[tokio::test]
async fn a_silent_connection_is_closed_and_a_live_one_kept() {
    let daemon = daemon_with(|s| {
        s.realtime.heartbeat = Duration::from_millis(100);
        s.realtime.idle_timeout = Duration::from_millis(500);
    })
    .await;
    let s = scene_on(daemon).await;
    let mut silent = WsClient::open(&s.customer.client).await;
    let mut lively = WsClient::open(&s.agent.client).await;
    // Reading answers the server's pings (tungstenite pongs automatically).
    assert!(lively
        .frames_for(Duration::from_millis(1500))
        .await
        .is_empty());
    lively.send_json(json!({"type": "ping"})).await;
    assert_eq!(lively.frame().await["type"], "pong");
    assert_eq!(silent.close_code(Duration::from_secs(5)).await, Some(1001));
}

#[tokio::test]
async fn revoking_the_token_closes_its_websocket_at_once() {
    // The default heartbeat (25 s) is far longer than the wait below: the
    // close must come from the revocation itself, not the next ping.
    let s = scene().await;
    let token = s.daemon.token_for(s.customer.id()).await;
    let mut ws = WsClient::open(&s.daemon.client(&token.token)).await;
    let mut other = WsClient::open(&s.customer.client).await;
    s.daemon.admin.revoke_token(token.id).await.unwrap();
    assert_eq!(ws.close_code(Duration::from_secs(2)).await, Some(1008));
    other.send_json(json!({"type": "ping"})).await;
    assert_eq!(
        other.frame().await["type"],
        "pong",
        "other tokens' sockets stay open"
    );
}

#[tokio::test]
async fn shutdown_closes_websockets_with_1001() {
    let s = scene().await;
    let mut ws = WsClient::open(&s.customer.client).await;
    let stopping = tokio::spawn(s.daemon.stop());
    assert_eq!(ws.close_code(Duration::from_secs(5)).await, Some(1001));
    tokio::time::timeout(Duration::from_secs(10), stopping)
        .await
        .expect("the daemon stops")
        .unwrap();
}

#[tokio::test]
async fn a_restarted_daemon_resumes_from_the_same_log() {
    let s = scene().await;
    let ws = WsClient::open(&s.customer.client).await;
    let (since, epoch) = (
        ws.hello_seq(),
        ws.hello["epoch"].as_str().unwrap().to_owned(),
    );
    ws.close().await;
    let sent = send_text(&s.agent.client, s.conversation.id, "before restart").await;
    let daemon = s.daemon.restart().await;
    let mut ws =
        WsClient::open_with(&s.customer.client, &format!("?since={since}&epoch={epoch}")).await;
    let frame = ws.next_of("message.created").await;
    assert_eq!(frame["data"]["message"]["id"], sent.id.to_string());
    let ids: HashSet<String> = created_ids(&ws.frames_for(Duration::from_millis(200)).await)
        .into_iter()
        .collect();
    assert!(ids.is_empty(), "nothing twice: {ids:?}");
    drop(daemon);
}

#[tokio::test]
async fn customers_see_whether_staff_are_online_and_nothing_of_other_customers() {
    let s = scene().await;
    let agent_id = s.agent.id().to_string();
    let agent_ws = WsClient::open(&s.agent.client).await;
    let mut customer_ws = WsClient::open(&s.customer.client).await;
    let joined = customer_ws.frames_until(|f| f["type"] == "presence").await;
    let online = joined.last().unwrap();
    assert_eq!(
        (&online["data"]["user_id"], &online["data"]["online"]),
        (&json!(agent_id), &json!(true))
    );

    let other = s.daemon.customer("Bea Other").await;
    let other_ws = WsClient::open(&other.client).await;
    other_ws.close().await;
    agent_ws.close().await;
    let frames = customer_ws
        .frames_until(|f| f["type"] == "presence" && f["data"]["online"] == false)
        .await;
    let presence: Vec<&Value> = of_kind(&frames, "presence").collect();
    assert_eq!(
        presence.len(),
        1,
        "only the agent's going offline: {presence:?}"
    );
    assert_eq!(presence[0]["data"]["user_id"], json!(agent_id));
}

//! The customer and crew web pages in a real browser: headless Chromium
//! driven over WebDriver (`browser_support`) against the real daemon. Skipped,
//! with the reason printed, when Chromium is not installed (CI installs it).

mod browser_support;
mod common;

use std::time::Duration;

use browser_support::{available, Browser};
use commcenter::wire::{Message, NewMessage};
use commcenter::Id;
use common::ws::WsClient;
use common::{
    create_project, open_conversation, open_store, post, send_text, staff_caller, Actor, TestDaemon,
};
use http::Method;
use serde_json::{json, Value};

/// A phone's screen, in CSS pixels.
const PHONE: (u32, u32) = (390, 844);

/// Signs `user` in on `page` (`portal` or `crew`) as a redeemed link would
/// have: their token and user kept in the browser, then the page loaded.
async fn signed_in(daemon: &TestDaemon, page: &str, user: &Actor) -> Browser {
    let browser = Browser::start(PHONE.0, PHONE.1).await;
    let url = format!("{}/{page}", daemon.base_url);
    browser.goto(&url).await;
    let session = json!({"token": user.client.token().unwrap(), "user": user.user});
    browser
        .js(
            "localStorage.setItem(arguments[0], arguments[1])",
            json!([format!("cc.session.{page}"), session.to_string()]),
        )
        .await;
    browser.goto(&url).await;
    browser
}

/// A sign-in link for `user`, made by `staff` through the API.
async fn portal_link(staff: &Actor, user: Id) -> String {
    let answer = post(
        &staff.client,
        &format!("/api/v1/users/{user}/portal-link"),
        json!({}),
    )
    .await;
    assert_eq!(
        answer.status,
        201,
        "{}",
        String::from_utf8_lossy(&answer.body)
    );
    let link: Value = answer.json().unwrap();
    link["url"].as_str().unwrap().to_owned()
}

/// Opens the first conversation or project in the list (which the page may
/// redraw at any moment while it loads, so found and clicked in one step).
async fn open_first(browser: &Browser) {
    browser
        .wait_for(
            "the first conversation or project open",
            "const b = document.querySelector('#conversations button'); if (b) b.click(); \
             return b && !document.getElementById('thread-view').hidden",
            json!([]),
        )
        .await;
}

async fn write_and_send(browser: &Browser, text: &str) {
    browser.type_into("#body", text).await;
    browser.click("#composer button[type=submit]").await;
}

/// Waits until `check` holds for the conversation's messages (as `by` sees them).
async fn wait_for_messages(
    by: &Actor,
    conversation: Id,
    what: &str,
    check: impl Fn(&[Message]) -> bool,
) -> Vec<Message> {
    for _ in 0..150 {
        let page = by
            .client
            .list_messages(conversation, None, None)
            .await
            .unwrap();
        if check(&page.items) {
            return page.items;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}");
}

fn expired_view_shown() -> &'static str {
    "const v = document.getElementById('expired'); \
     return !v.hidden && v.textContent.includes('ask us for a new link') && document.getElementById('app').hidden"
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customer_opens_a_link_sends_a_photo_and_sees_the_reply_live() {
    if !available() {
        return;
    }
    let daemon = TestDaemon::start().await;
    let agent = daemon.agent("Alex Agent").await;
    let customer = daemon.customer("Carol Customer").await;
    let conversation = open_conversation(&agent.client, customer.id()).await;
    send_text(&agent.client, conversation.id, "Welcome to your messages").await;
    let link = portal_link(&agent, customer.id()).await;
    assert!(link.contains("/portal#code="), "{link}");

    let browser = Browser::start(PHONE.0, PHONE.1).await;
    browser.goto(&link).await;
    open_first(&browser).await;
    browser.wait_for_message("Welcome to your messages").await;
    let address = browser.js("return location.href", json!([])).await;
    assert!(!address.as_str().unwrap().contains("code"), "{address}");

    let photo = std::fs::canonicalize("fixtures/files/photo.jpg").unwrap();
    browser.type_into("#photos", photo.to_str().unwrap()).await;
    write_and_send(&browser, "Here is the boiler").await;
    let seen = wait_for_messages(&agent, conversation.id, "the customer's photo", |items| {
        items.iter().any(|m| m.body == "Here is the boiler")
    })
    .await;
    let sent = seen.iter().find(|m| m.sender_id == customer.id()).unwrap();
    assert_eq!(sent.attachments.len(), 1);
    assert_eq!(sent.attachments[0].name, "photo.jpg");
    browser
        .wait_for(
            "the photo's thumbnail",
            "const img = document.querySelector('#messages img.thumb'); return img && img.complete && img.naturalWidth > 0",
            json!([]),
        )
        .await;

    let reply = send_text(&agent.client, conversation.id, "Thanks, on our way").await;
    browser.wait_for_message("Thanks, on our way").await;
    for _ in 0..100 {
        let receipts = agent.client.receipts(reply.id).await.unwrap();
        if receipts
            .recipients
            .iter()
            .any(|r| r.user_id == customer.id() && r.read_at.is_some())
        {
            browser.quit().await;
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the agent never saw the customer's read receipt");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_used_unknown_or_expired_link_says_to_ask_for_a_new_one() {
    if !available() {
        return;
    }
    let daemon = TestDaemon::start().await;
    let agent = daemon.agent("Alex Agent").await;
    let customer = daemon.customer("Carol Customer").await;
    let link = portal_link(&agent, customer.id()).await;

    let first = Browser::start(PHONE.0, PHONE.1).await;
    first.goto(&link).await;
    first
        .wait_for(
            "the signed-in page",
            "return !document.getElementById('app').hidden",
            json!([]),
        )
        .await;
    first.quit().await;

    let second = Browser::start(PHONE.0, PHONE.1).await;
    second.goto(&link).await;
    second
        .wait_for("the used link's page", expired_view_shown(), json!([]))
        .await;
    let unknown = format!("{}/portal#code=not-a-code-we-gave", daemon.base_url);
    second.goto("about:blank").await;
    second.goto(&unknown).await;
    second
        .wait_for("the unknown link's page", expired_view_shown(), json!([]))
        .await;

    // A code that expired a moment ago, written as the daemon writes them.
    let addr = daemon.addr();
    let dir = daemon.stop().await;
    let store = open_store(dir.path());
    let customer_id = customer.id();
    let expired = store
        .write(move |tx| tx.issue_portal_code(&staff_caller(), customer_id, -1))
        .await
        .unwrap();
    store.close().await;
    drop(store);
    let daemon = TestDaemon::start_at(dir, &addr).await;
    second.goto("about:blank").await;
    second
        .goto(&format!(
            "{}/portal#code={}",
            daemon.base_url, expired.secret
        ))
        .await;
    second
        .wait_for("the expired link's page", expired_view_shown(), json!([]))
        .await;

    // A new link opened in the same tab (only the fragment changes) signs in.
    let agent = Actor {
        client: daemon.client(agent.client.token().unwrap()),
        ..agent
    };
    second.goto(&portal_link(&agent, customer.id()).await).await;
    second
        .wait_for(
            "the signed-in page",
            "return !document.getElementById('app').hidden",
            json!([]),
        )
        .await;
    second.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_token_in_the_browser_says_to_ask_for_a_new_link() {
    if !available() {
        return;
    }
    let daemon = TestDaemon::start().await;
    let agent = daemon.agent("Alex Agent").await;
    let customer = daemon.customer("Carol Customer").await;
    open_conversation(&agent.client, customer.id()).await;
    let browser = signed_in(&daemon, "portal", &customer).await;
    open_first(&browser).await;
    let tokens = agent.client.list_tokens(customer.id()).await.unwrap();
    for token in tokens.items {
        agent.client.revoke_token(token.id).await.unwrap();
    }
    browser.goto(&format!("{}/portal", daemon.base_url)).await;
    browser
        .wait_for("the expired page", expired_view_shown(), json!([]))
        .await;
    browser.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn markup_in_bodies_and_file_names_renders_as_text() {
    if !available() {
        return;
    }
    let daemon = TestDaemon::start().await;
    let agent = daemon.agent("Alex Agent").await;
    let customer = daemon.customer("Carol Customer").await;
    let conversation = open_conversation(&agent.client, customer.id()).await;
    let attack = "<img src=x onerror=alert(1)><script>alert(2)</script>";
    let file_name = "<img src=x onerror=alert(1)>.txt";
    let query = format!("/api/v1/files?name={}", percent(file_name));
    let upload = agent
        .client
        .send_raw(
            Method::POST,
            &query,
            Some(b"meter 4711".to_vec()),
            &[("content-type", "text/plain")],
        )
        .await
        .unwrap();
    assert_eq!(upload.status, 201);
    let file: Value = upload.json().unwrap();
    let message = NewMessage {
        body: Some(attack.to_owned()),
        attachments: Some(vec![file["id"].as_str().unwrap().parse().unwrap()]),
        ..Default::default()
    };
    agent
        .client
        .send_message(conversation.id, &message)
        .await
        .unwrap();

    let browser = signed_in(&daemon, "portal", &customer).await;
    open_first(&browser).await;
    browser.wait_for_message(attack).await;
    browser.wait_for_message(file_name).await;
    let injected = browser
        .js("return document.querySelectorAll('#messages img:not(.thumb), #messages script').length", json!([]))
        .await;
    assert_eq!(injected, json!(0));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!browser.dialog_open().await, "a dialog opened");
    browser.quit().await;

    for path in [
        "/portal",
        "/crew",
        &format!(
            "/assets/{}",
            commcenterd::web::asset_name("app.js").unwrap()
        ),
        "/assets/nothing.js",
    ] {
        let answer = daemon
            .anonymous()
            .send_raw(Method::GET, path, None, &[])
            .await
            .unwrap();
        assert_eq!(
            answer.headers["content-security-policy"],
            commcenterd::web::CSP,
            "{path}"
        );
        assert_eq!(answer.headers["referrer-policy"], "no-referrer", "{path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_customer_sees_staff_online_typing_and_unread_counts() {
    if !available() {
        return;
    }
    let daemon = TestDaemon::start().await;
    let agent = daemon.agent("Alex Agent").await;
    let customer = daemon.customer("Carol Customer").await;
    let first = open_conversation(&agent.client, customer.id()).await;
    let browser = signed_in(&daemon, "portal", &customer).await;
    open_first(&browser).await;
    let says = |text: &'static str| {
        format!("return document.getElementById('presence').textContent.includes('{text}')")
    };
    browser
        .wait_for("offline", &says("offline"), json!([]))
        .await;

    let mut agent_ws = WsClient::open(&agent.client).await;
    browser
        .wait_for("online", &says("is online"), json!([]))
        .await;
    agent_ws
        .send_json(json!({"type": "typing", "conversation_id": first.id, "state": "start"}))
        .await;
    browser
        .wait_for(
            "the typing line",
            "return document.getElementById('typing').textContent.includes('typing')",
            json!([]),
        )
        .await;
    agent_ws
        .send_json(json!({"type": "typing", "conversation_id": first.id, "state": "stop"}))
        .await;
    browser
        .wait_for(
            "no typing line",
            "return document.getElementById('typing').textContent === ''",
            json!([]),
        )
        .await;

    // A message in a conversation that is not open counts as unread there.
    let second = open_conversation(&agent.client, customer.id()).await;
    send_text(&agent.client, second.id, "About your invoice").await;
    browser
        .wait_for(
            "an unread badge",
            "return [...document.querySelectorAll('#conversations .badge')].map(b => b.textContent).join() === '1'",
            json!([]),
        )
        .await;
    agent_ws.close().await;
    browser
        .wait_for("offline again", &says("offline"), json!([]))
        .await;
    browser.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scrolling_up_loads_the_whole_history_once_and_receipts_show_on_own_messages() {
    if !available() {
        return;
    }
    let daemon = TestDaemon::start().await;
    let agent = daemon.agent("Alex Agent").await;
    let customer = daemon.customer("Carol Customer").await;
    let conversation = open_conversation(&agent.client, customer.id()).await;
    for i in 0..75 {
        send_text(
            &agent.client,
            conversation.id,
            &format!("Update number {i:02}"),
        )
        .await;
    }
    let own = send_text(
        &customer.client,
        conversation.id,
        "Thanks for all the updates",
    )
    .await;
    let browser = signed_in(&daemon, "portal", &customer).await;
    open_first(&browser).await;
    browser.wait_for_message("Thanks for all the updates").await;
    browser
        .wait_for(
            "the whole history",
            "document.getElementById('thread').scrollTop = 0; \
             return document.getElementById('older').textContent.includes('Beginning')",
            json!([]),
        )
        .await;
    let texts = browser.message_texts().await;
    assert_eq!(texts.len(), 76, "{texts:?}");
    assert!(texts[0].contains("Update number 00") && texts[74].contains("Update number 74"));

    agent.client.mark_read(own.id).await.unwrap();
    browser
        .wait_for(
            "the read receipt",
            "return document.querySelector('#messages li.mine .receipt-read')",
            json!([]),
        )
        .await;
    browser.quit().await;
}

/// The most message rows the thread keeps drawn (`WINDOW_MAX` in app.js).
const WINDOW_MAX: u64 = 150;

/// Scrolls the thread to its top (`to_top`) or bottom on every poll until
/// the first (last) drawn row contains `text`.
async fn scroll_until(browser: &Browser, to_top: bool, text: &str) {
    browser
        .wait_for(
            &format!("{text:?} at the thread's end"),
            "const t = document.getElementById('thread'); t.scrollTop = arguments[0] ? 0 : t.scrollHeight; \
             const rows = document.querySelectorAll('#messages li'); \
             const end = arguments[0] ? rows[0] : rows[rows.length - 1]; \
             return end && end.textContent.includes(arguments[1])",
            json!([to_top, text]),
        )
        .await;
}

async fn drawn_rows(browser: &Browser) -> u64 {
    let value = browser
        .js(
            "return document.querySelectorAll('#messages li').length",
            json!([]),
        )
        .await;
    value.as_u64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_thread_keeps_a_bounded_window_of_rows_and_scrolls_to_both_ends() {
    if !available() {
        return;
    }
    let daemon = TestDaemon::start().await;
    let agent = daemon.agent("Alex Agent").await;
    let customer = daemon.customer("Carol Customer").await;
    let conversation = open_conversation(&agent.client, customer.id()).await;
    let own = send_text(&customer.client, conversation.id, "My first question").await;
    for i in 1..600 {
        let body = format!("Update number {i:03}");
        send_text(&agent.client, conversation.id, &body).await;
    }
    let browser = signed_in(&daemon, "portal", &customer).await;
    open_first(&browser).await;
    browser.wait_for_message("Update number 599").await;
    // The largest number of rows drawn at once, from here on.
    browser
        .js(
            "window.ccMostRows = 0; new MutationObserver(() => { window.ccMostRows = Math.max(window.ccMostRows, \
             document.querySelectorAll('#messages li').length); }).observe(document.getElementById('messages'), {childList: true})",
            json!([]),
        )
        .await;

    scroll_until(&browser, true, "My first question").await;
    let beginning = browser
        .js(
            "return document.getElementById('older').textContent",
            json!([]),
        )
        .await;
    assert_eq!(beginning, "Beginning of the conversation");
    scroll_until(&browser, false, "Update number 599").await;
    let rows = drawn_rows(&browser).await;
    assert!(rows <= WINDOW_MAX, "{rows} rows drawn at the bottom");
    assert!(
        !browser.message_texts().await[0].contains("My first question"),
        "the oldest row is still drawn"
    );

    // Reading a little way up: a live message is drawn below, and the row at
    // the top of the view stays where it is on the screen.
    let place = "const top = document.getElementById('thread').getBoundingClientRect().top; \
                 const row = [...document.querySelectorAll('#messages li')].find(li => li.getBoundingClientRect().bottom > top); \
                 return [row.textContent, Math.round(row.getBoundingClientRect().top)]";
    let before = browser
        .js(
            &format!(
                "const t = document.getElementById('thread'); t.scrollTop = t.scrollHeight - 3 * t.clientHeight; {place}"
            ),
            json!([]),
        )
        .await;
    send_text(&agent.client, conversation.id, "A live one while you read").await;
    browser.wait_for_message("A live one while you read").await;
    let after = browser.js(place, json!([])).await;
    assert_eq!(after[0], before[0]);
    // Within the pixel that scrollTop rounds to.
    let moved = after[1].as_i64().unwrap() - before[1].as_i64().unwrap();
    assert!(moved.abs() <= 1, "the view moved by {moved} px");
    let announced = browser
        .js(
            "return document.getElementById('announce').textContent",
            json!([]),
        )
        .await;
    assert!(
        announced
            .as_str()
            .unwrap()
            .contains("A live one while you read"),
        "{announced}"
    );

    // A receipt for a message not drawn: shown once scrolled to it. The
    // message after it comes over the same socket, so the receipt is in.
    agent.client.mark_read(own.id).await.unwrap();
    send_text(&agent.client, conversation.id, "Seen your question").await;
    browser.wait_for_message("Seen your question").await;
    assert!(!browser
        .message_texts()
        .await
        .iter()
        .any(|t| t.contains("My first question")));
    scroll_until(&browser, true, "My first question").await;
    let receipt = browser
        .js(
            "return document.querySelector('#messages li').querySelector('.receipt').textContent",
            json!([]),
        )
        .await;
    assert_eq!(receipt, "Read");
    scroll_until(&browser, false, "Seen your question").await;
    let most = browser.js("return window.ccMostRows", json!([])).await;
    assert!(
        most.as_u64().unwrap() <= WINDOW_MAX,
        "{most} rows were drawn at once"
    );
    browser.quit().await;
}

fn percent(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// A crew member with a project, signed in on the crew page with it open.
async fn crew_on_site(daemon: &TestDaemon) -> (Actor, Id, Browser) {
    let agent = daemon.agent("Alex Agent").await;
    let customer = daemon.customer("Carol Customer").await;
    let crew = daemon.crew("Sam Crew").await;
    let project = create_project(&agent.client, customer.id(), vec![crew.id()]).await;
    let browser = signed_in(daemon, "crew", &crew).await;
    browser
        .wait_for(
            "the project with its customer's first name",
            "return document.querySelector('#conversations')?.textContent.includes('Carol')",
            json!([]),
        )
        .await;
    open_first(&browser).await;
    (crew, project.conversation_id, browser)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crew_posts_carry_the_phones_location_and_go_without_when_refused() {
    if !available() {
        return;
    }
    let daemon = TestDaemon::start().await;
    let (crew, channel, browser) = crew_on_site(&daemon).await;
    let origin = daemon.base_url.clone();
    browser
        .cdp(
            "Browser.grantPermissions",
            json!({"origin": origin, "permissions": ["geolocation"]}),
        )
        .await;
    browser
        .cdp(
            "Emulation.setGeolocationOverride",
            json!({"latitude": 51.5007, "longitude": -0.1246, "accuracy": 12}),
        )
        .await;
    write_and_send(&browser, "Arrived on site").await;
    let items = wait_for_messages(&crew, channel, "the located post", |items| {
        items.iter().any(|m| m.body == "Arrived on site")
    })
    .await;
    let location = items[0].location.expect("the post carries the location");
    assert!((location.lat - 51.5007).abs() < 1e-6 && (location.lon + 0.1246).abs() < 1e-6);
    assert_eq!(location.accuracy_m, Some(12.0));

    browser
        .cdp(
            "Browser.setPermission",
            json!({"origin": origin, "permission": {"name": "geolocation"}, "setting": "denied"}),
        )
        .await;
    write_and_send(&browser, "Leaving now").await;
    let items = wait_for_messages(&crew, channel, "the post without location", |items| {
        items.iter().any(|m| m.body == "Leaving now")
    })
    .await;
    assert!(items
        .iter()
        .find(|m| m.body == "Leaving now")
        .unwrap()
        .location
        .is_none());
    browser
        .wait_for(
            "the page saying so",
            "return document.getElementById('where').textContent.includes('without location')",
            json!([]),
        )
        .await;
    browser.quit().await;
}

/// Emulates the phone losing (`false`) or finding its connection.
async fn set_online(browser: &Browser, online: bool) {
    let conditions =
        json!({"offline": !online, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1});
    browser
        .cdp("Network.emulateNetworkConditions", conditions)
        .await;
}

/// The crew page reloaded while the API still cannot be reached, checked to
/// have sent no post with `body` yet, then the API reachable again and the
/// project opened.
async fn reload_then_reconnect(
    daemon: &TestDaemon,
    browser: &Browser,
    (crew, channel): (&Actor, Id),
    body: &str,
) {
    browser
        .cdp("Network.setBlockedURLs", json!({"urls": ["*/api/v1/*"]}))
        .await;
    set_online(browser, true).await;
    browser.goto(&format!("{}/crew", daemon.base_url)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(messages_with_body(crew, channel, body).await.is_empty());
    browser
        .cdp("Network.setBlockedURLs", json!({"urls": []}))
        .await;
    open_first(browser).await;
}

/// Gives every way the page retries (the online event, the timer,
/// reconnects) its turn, then waits for no waiting row.
async fn every_retry_had_its_turn(browser: &Browser) {
    tokio::time::sleep(Duration::from_secs(3)).await;
    browser
        .js("dispatchEvent(new Event('online'))", json!([]))
        .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    browser
        .wait_for(
            "no waiting post",
            "return !document.querySelector('#messages li.waiting')",
            json!([]),
        )
        .await;
}

async fn messages_with_body(by: &Actor, conversation: Id, body: &str) -> Vec<Message> {
    let page = by
        .client
        .list_messages(conversation, None, None)
        .await
        .unwrap();
    page.items.into_iter().filter(|m| m.body == body).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_post_written_offline_is_sent_once_after_a_reload() {
    if !available() {
        return;
    }
    let daemon = TestDaemon::start().await;
    let (crew, channel, browser) = crew_on_site(&daemon).await;
    browser.click("#share-location").await;
    browser.cdp("Network.enable", json!({})).await;
    set_online(&browser, false).await;
    write_and_send(&browser, "No signal in the cellar").await;
    browser
        .wait_for(
            "the waiting post",
            "return document.querySelector('#messages li.waiting')",
            json!([]),
        )
        .await;

    let body = "No signal in the cellar";
    reload_then_reconnect(&daemon, &browser, (&crew, channel), body).await;
    wait_for_messages(&crew, channel, "the queued post", |items| {
        items.iter().any(|m| m.body == body)
    })
    .await;
    every_retry_had_its_turn(&browser).await;
    assert_eq!(messages_with_body(&crew, channel, body).await.len(), 1);
    browser.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_photo_taken_offline_waits_with_its_post_and_is_sent_once_after_a_reload() {
    if !available() {
        return;
    }
    let daemon = TestDaemon::start().await;
    let (crew, channel, browser) = crew_on_site(&daemon).await;
    browser.click("#share-location").await;
    browser.cdp("Network.enable", json!({})).await;
    set_online(&browser, false).await;
    let photo = std::fs::canonicalize("fixtures/files/photo.jpg").unwrap();
    browser.type_into("#photos", photo.to_str().unwrap()).await;
    let body = "Crack in the wall by the stairs";
    write_and_send(&browser, body).await;
    browser
        .wait_for(
            "the waiting post with its photo",
            "const w = document.querySelector('#messages li.waiting'); return w && w.textContent.includes('1 file')",
            json!([]),
        )
        .await;

    reload_then_reconnect(&daemon, &browser, (&crew, channel), body).await;
    let sent = wait_for_messages(&crew, channel, "the queued post", |items| {
        items.iter().any(|m| m.body == body)
    })
    .await;
    let post = sent.iter().find(|m| m.body == body).unwrap();
    assert_eq!(post.attachments.len(), 1);
    assert_eq!(post.attachments[0].name, "photo.jpg");
    every_retry_had_its_turn(&browser).await;
    assert_eq!(messages_with_body(&crew, channel, body).await.len(), 1);
    browser
        .wait_for(
            "the photo's thumbnail",
            "const img = document.querySelector('#messages img.thumb'); return img && img.complete && img.naturalWidth > 0",
            json!([]),
        )
        .await;
    browser.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_daemon_restart_the_page_shows_what_was_sent_meanwhile_once() {
    if !available() {
        return;
    }
    let daemon = TestDaemon::start().await;
    let agent = daemon.agent("Alex Agent").await;
    let customer = daemon.customer("Carol Customer").await;
    let conversation = open_conversation(&agent.client, customer.id()).await;
    send_text(&agent.client, conversation.id, "Before the restart").await;
    let browser = signed_in(&daemon, "portal", &customer).await;
    open_first(&browser).await;
    browser.wait_for_message("Before the restart").await;

    let daemon = daemon.restart().await;
    send_text(&agent.client, conversation.id, "While you were away").await;
    browser.wait_for_message("While you were away").await;
    send_text(&agent.client, conversation.id, "And once you were back").await;
    browser.wait_for_message("And once you were back").await;
    let texts = browser.message_texts().await;
    for body in [
        "Before the restart",
        "While you were away",
        "And once you were back",
    ] {
        assert_eq!(
            texts.iter().filter(|t| t.contains(body)).count(),
            1,
            "{body}: {texts:?}"
        );
    }
    browser.quit().await;
    drop(daemon);
}

/// Not a check: pictures of the pages to look at (`--ignored`), written to
/// `target/portal-screenshots/`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn screenshots() {
    if !available() {
        return;
    }
    let daemon = TestDaemon::start().await;
    let agent = daemon.agent("Alex Agent").await;
    let customer = daemon.customer("Carol Customer").await;
    let crew = daemon.crew("Sam Crew").await;
    let conversation = open_conversation(&agent.client, customer.id()).await;
    send_text(
        &agent.client,
        conversation.id,
        "Hello Carol, your boiler service is booked for Tuesday at 9:00.",
    )
    .await;
    send_text(
        &customer.client,
        conversation.id,
        "Great, thank you! Can the engineer also look at the radiator in the hall?",
    )
    .await;
    send_text(
        &agent.client,
        conversation.id,
        "Of course, I've added it to the job.",
    )
    .await;
    let project = create_project(&agent.client, customer.id(), vec![crew.id()]).await;
    send_text(
        &agent.client,
        project.conversation_id,
        "Scaffolding arrives at 8",
    )
    .await;
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/portal-screenshots");
    std::fs::create_dir_all(&out).unwrap();
    for (page, user) in [("portal", &customer), ("crew", &crew)] {
        let browser = signed_in(&daemon, page, user).await;
        for (label, width, height, mobile) in
            [("phone", 390, 844, true), ("desktop", 1280, 800, false)]
        {
            browser
                .cdp("Emulation.setDeviceMetricsOverride", json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile}))
                .await;
            browser.goto(&format!("{}/{page}", daemon.base_url)).await;
            browser
                .wait_for(
                    "the list",
                    "return document.querySelector('#conversations button')",
                    json!([]),
                )
                .await;
            tokio::time::sleep(Duration::from_millis(300)).await;
            std::fs::write(
                out.join(format!("{page}-{label}-list.png")),
                browser.screenshot().await,
            )
            .unwrap();
            if mobile {
                open_first(&browser).await;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
            std::fs::write(
                out.join(format!("{page}-{label}-thread.png")),
                browser.screenshot().await,
            )
            .unwrap();
        }
        browser
            .cdp(
                "Emulation.setEmulatedMedia",
                json!({"features": [{"name": "prefers-color-scheme", "value": "dark"}]}),
            )
            .await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        std::fs::write(
            out.join(format!("{page}-desktop-dark.png")),
            browser.screenshot().await,
        )
        .unwrap();
        browser.quit().await;
    }
}

//! The customer page (`/portal`) in headless Chromium against a real
//! `commcenterd` (the release build, or the one `BENCH_DAEMON` names, so
//! that an older build's pages can be measured the same way).
//!
//! 1. Page weight: `/portal` and `/crew` with every asset they load, as
//!    served (uncompressed).
//! 2. Time to first thread: with the demo data, the customer of the busiest
//!    conversation opens a fresh sign-in link at 1280×800 (where the newest
//!    conversation opens by itself), browser cache cleared each time; the
//!    figure is the page's own `cc-thread-drawn` mark, from navigation start.
//! 3. A long thread (`WEB_BENCH_MESSAGES`, default 1,000): the page's JS heap
//!    (after a forced GC) and element count once it is open, at the top and
//!    back at the bottom.
//! 4. Scrolling that thread from the bottom to its first message, the
//!    thread's `scrollTop` lowered by `SCROLL_STEP_PX` in each
//!    `requestAnimationFrame`: first from the freshly opened thread (older
//!    pages fetched on the way), then again with every message fetched. The
//!    time between frames (p50, p95, max) and the frames over 20 ms (a frame
//!    missed at 60 Hz: 16.7 ms and jitter), 33.4 ms and 50 ms.
//!
//! Run: `cargo bench -p commcenterd --bench web_pages`. Needs `chromium` and
//! `chromedriver` (scripts/test-peers.sh installs them). Everything is on
//! 127.0.0.1; every wait is bounded.

#[path = "../../tests/browser_support/mod.rs"]
mod browser_support;
mod support;

use std::time::{Duration, Instant};

use browser_support::{available, Browser};
use commcenter::client::Client;
use commcenter::wire::{NewConversation, NewMessage};
use futures_util::{stream, StreamExt};
use http::Method;
use serde_json::{json, Value};
use support::{machine, Daemon};

const LOADS: usize = 11;
const SCROLL_STEP_PX: u32 = 150;
/// Sends in flight at once while the long thread is written.
const SENDS_IN_FLIGHT: usize = 8;
/// A frame took longer than one at 60 Hz (16.7 ms) when its time is over
/// this: the animation-frame times of an idle page vary by ±0.3 ms.
const JITTER_MS: f64 = 20.0;
/// The long thread's first and last messages (the others are written
/// concurrently, in no particular order).
const OLDEST: &str = "The oldest message of the long thread";
const NEWEST: &str = "The newest message of the long thread";

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    if !available() {
        return;
    }
    let messages: usize = std::env::var("WEB_BENCH_MESSAGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000);
    println!("machine: {}, load {}", machine(), load_average());
    println!("daemon: {}", support::daemon_binary());
    let daemon = Daemon::start(&["--demo"], &[]);
    let admin = daemon.admin();
    for page in ["/portal", "/crew"] {
        println!(
            "{page} weighs {} bytes (HTML, CSS, JS uncompressed)",
            page_weight(&admin, page).await
        );
    }

    let conversations = admin
        .list_conversations(&Default::default())
        .await
        .expect("conversations");
    let busiest = conversations
        .items
        .iter()
        .max_by_key(|c| c.message_count)
        .expect("the demo's conversations");
    let customer = busiest.customer_id;
    let browser = Browser::start(1280, 800).await;
    browser
        .cdp(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": 1280, "height": 800, "deviceScaleFactor": 1, "mobile": false}),
        )
        .await;
    browser.cdp("Network.enable", json!({})).await;
    let mut times = Vec::new();
    for _ in 0..LOADS {
        let link = portal_link(&admin, customer).await;
        browser.cdp("Network.clearBrowserCache", json!({})).await;
        browser.goto("about:blank").await;
        browser.goto(&link).await;
        let at = browser
            .wait_for(
                "the first thread",
                "const m = performance.getEntriesByName('cc-thread-drawn')[0]; return m && m.startTime",
                json!([]),
            )
            .await;
        times.push(at.as_f64().unwrap());
    }
    times.sort_by(f64::total_cmp);
    println!(
        "time to first thread (busiest demo conversation, {} messages), {LOADS} fresh links: \
         median {:.0} ms, max {:.0} ms",
        busiest.message_count,
        times[LOADS / 2],
        times[LOADS - 1]
    );

    let long = admin
        .create_conversation(&NewConversation {
            customer_id: customer,
            subject: Some("A long thread".into()),
        })
        .await
        .expect("conversation");
    let written = Instant::now();
    let oldest = NewMessage {
        body: Some(OLDEST.into()),
        ..Default::default()
    };
    admin.send_message(long.id, &oldest).await.expect("send");
    stream::iter(0..messages)
        .map(|i| {
            let admin = &admin;
            let body = format!(
                "Message {i} of a long thread, with some words to make it look like a real one."
            );
            async move {
                let message = NewMessage {
                    body: Some(body),
                    ..Default::default()
                };
                admin.send_message(long.id, &message).await.expect("send");
            }
        })
        .buffer_unordered(SENDS_IN_FLIGHT)
        .collect::<Vec<()>>()
        .await;
    let newest = NewMessage {
        body: Some(NEWEST.into()),
        ..Default::default()
    };
    admin.send_message(long.id, &newest).await.expect("send");
    println!(
        "wrote {messages} messages in {:.1} s",
        written.elapsed().as_secs_f64()
    );

    browser.goto(&format!("{}/portal", daemon.base_url)).await;
    browser
        .wait_for(
            "the long thread open",
            "const b = [...document.querySelectorAll('#conversations button')].find(b => b.textContent.includes('A long thread')); \
             if (b && b.getAttribute('aria-current') !== 'true') b.click(); \
             return document.querySelectorAll('#messages li').length > 0 && b && b.getAttribute('aria-current') === 'true'",
            json!([]),
        )
        .await;
    println!("opened: {}", page_memory(&browser).await);
    let frames = scroll_up_in_frames(&browser).await;
    println!(
        "first scroll up ({SCROLL_STEP_PX} px a frame, older pages fetched on the way): {}",
        frame_figures(frames)
    );
    scroll_to_end(&browser, true).await;
    println!("at the top: {}", page_memory(&browser).await);
    scroll_to_end(&browser, false).await;
    println!("back at the bottom: {}", page_memory(&browser).await);
    let frames = scroll_up_in_frames(&browser).await;
    println!(
        "second scroll up (every message fetched): {}",
        frame_figures(frames)
    );
    println!("at the top again: {}", page_memory(&browser).await);
    browser.quit().await;
}

/// The page's HTML and every `/assets/` file it names, in bytes as served.
async fn page_weight(client: &Client, page: &str) -> usize {
    let html = client
        .send_raw(Method::GET, page, None, &[])
        .await
        .expect("page");
    let text = String::from_utf8(html.body.to_vec()).expect("HTML");
    let mut total = html.body.len();
    for piece in text.split("\"/assets/").skip(1) {
        let name = &piece[..piece.find('"').expect("closing quote")];
        let asset = client
            .send_raw(Method::GET, &format!("/assets/{name}"), None, &[])
            .await
            .expect("asset");
        assert_eq!(asset.status, 200, "/assets/{name}");
        total += asset.body.len();
    }
    total
}

async fn portal_link(admin: &Client, user: commcenter::Id) -> String {
    let answer = admin
        .send_raw(
            Method::POST,
            &format!("/api/v1/users/{user}/portal-link"),
            Some(b"{}".to_vec()),
            &[("content-type", "application/json")],
        )
        .await
        .expect("portal link");
    assert_eq!(answer.status, 201);
    let link: Value = serde_json::from_slice(&answer.body).expect("JSON");
    link["url"].as_str().expect("url").to_owned()
}

/// "N message rows, M elements, JS heap X MiB" after a forced GC.
async fn page_memory(browser: &Browser) -> String {
    browser.cdp("HeapProfiler.collectGarbage", json!({})).await;
    let heap = browser.cdp("Runtime.getHeapUsage", json!({})).await;
    let counts = browser
        .js(
            "return [document.querySelectorAll('#messages li').length, document.getElementsByTagName('*').length]",
            json!([]),
        )
        .await;
    format!(
        "{} message rows drawn, {} elements, JS heap {:.1} MiB used",
        counts[0],
        counts[1],
        heap["usedSize"].as_f64().unwrap() / 1048576.0
    )
}

/// Scrolls to the thread's top (every older page fetched, the oldest
/// message drawn) or to its bottom (the newest message drawn), until the
/// thread has stopped growing: its height the same for half a second.
async fn scroll_to_end(browser: &Browser, top: bool) {
    let deadline = Instant::now() + Duration::from_secs(120);
    let (mut height, mut same) = (Value::Null, 0);
    while same < 5 {
        let answer = browser
            .js(
                "const t = document.getElementById('thread'); t.scrollTop = arguments[0] ? 0 : t.scrollHeight; \
                 const rows = document.querySelectorAll('#messages li'); \
                 const end = rows[arguments[0] ? 0 : rows.length - 1].textContent.includes(arguments[0] ? arguments[1] : arguments[2]); \
                 return end && t.scrollHeight",
                json!([top, OLDEST, NEWEST]),
            )
            .await;
        same = if answer != json!(false) && answer == height {
            same + 1
        } else {
            0
        };
        height = answer;
        assert!(Instant::now() < deadline, "never reached the thread's end");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Frame times (ms) while the page scrolls its thread from the bottom to the
/// first message, one step in each animation frame.
async fn scroll_up_in_frames(browser: &Browser) -> Vec<f64> {
    browser
        .js(
            "const t = document.getElementById('thread'); const [step, oldest] = arguments; const frames = []; let last = null; window.ccFrames = null; \
             function tick(now) { \
               if (last !== null) frames.push(now - last); \
               last = now; \
               if ((t.scrollTop === 0 && document.querySelector('#messages li').textContent.includes(oldest)) || frames.length > 20000) { window.ccFrames = frames; return; } \
               t.scrollTop = Math.max(0, t.scrollTop - step); \
               requestAnimationFrame(tick); \
             } \
             requestAnimationFrame(tick);",
            json!([SCROLL_STEP_PX, OLDEST]),
        )
        .await;
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let frames = browser.js("return window.ccFrames", json!([])).await;
        if let Value::Array(frames) = frames {
            return frames.iter().filter_map(Value::as_f64).collect();
        }
        assert!(Instant::now() < deadline, "the scroll did not finish");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

fn frame_figures(mut frames: Vec<f64>) -> String {
    frames.sort_by(f64::total_cmp);
    let at = |q: f64| frames[((frames.len() - 1) as f64 * q).round() as usize];
    let over = |ms: f64| frames.iter().filter(|&&f| f > ms).count();
    format!(
        "{} frames, p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms; {} over 20 ms, {} over 33.4 ms, {} over 50 ms",
        frames.len(),
        at(0.5),
        at(0.95),
        at(1.0),
        over(JITTER_MS),
        over(33.4),
        over(50.0)
    )
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

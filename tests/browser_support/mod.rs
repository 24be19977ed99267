//! A small WebDriver client for the browser tests: Debian's `chromedriver`
//! driving headless `chromium`, spoken to over plain HTTP with the API's own
//! client, plus the Chrome DevTools commands chromedriver passes on
//! (`goog/cdp/execute`: geolocation, network conditions, screen size).
//!
//! Each [`Browser`] owns its chromedriver process group; dropping it kills
//! the group (chromedriver and the Chromium it started). Browsers run one at
//! a time ([`Browser::start`] holds a lock until drop): the machines that run
//! the suite have few cores, and a Chromium each would starve the daemons.
#![allow(dead_code)]

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use commcenter::client::Client;
use http::Method;
use serde_json::{json, Value};
use tokio::sync::{Mutex, MutexGuard};

/// The W3C key of an element reference.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

static ONE_AT_A_TIME: Mutex<()> = Mutex::const_new(());

pub struct Browser {
    driver: Client,
    session: String,
    process: Child,
    _profile: tempfile::TempDir,
    _turn: MutexGuard<'static, ()>,
}

/// Whether Chromium and its driver are installed; if not, says why the test
/// is skipped (`.ci/run` installs them, so on CI their absence is a failure).
pub fn available() -> bool {
    let missing: Vec<&str> = ["chromium", "chromedriver"]
        .into_iter()
        .filter(|program| which(program).is_none())
        .collect();
    if missing.is_empty() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{missing:?} not installed (scripts/test-peers.sh installs them)"
    );
    eprintln!(
        "skipped: {missing:?} not installed (Debian: apt-get install chromium chromium-driver)"
    );
    false
}

fn which(program: &str) -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

impl Browser {
    /// Headless Chromium with a window of `width` × `height` CSS pixels.
    pub async fn start(width: u32, height: u32) -> Browser {
        let turn = ONE_AT_A_TIME.lock().await;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut command = Command::new("chromedriver");
        command
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let process = command.spawn().expect("chromedriver starts");
        let driver = Client::new(&format!("http://127.0.0.1:{port}"), None);
        let deadline = Instant::now() + Duration::from_secs(10);
        while driver
            .send_raw(Method::GET, "/status", None, &[])
            .await
            .is_err()
        {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let profile = tempfile::tempdir().unwrap();
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": which("chromium").unwrap(),
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                    format!("--window-size={width},{height}"),
                    format!("--user-data-dir={}", profile.path().display()),
                ]
            }
        }}});
        let mut browser = Browser {
            driver,
            session: String::new(),
            process,
            _profile: profile,
            _turn: turn,
        };
        let answer = browser
            .command(Method::POST, "/session", capabilities)
            .await;
        browser.session = answer["sessionId"].as_str().expect("a session").to_owned();
        browser
    }

    async fn command(&self, method: Method, path: &str, body: Value) -> Value {
        let body = (method != Method::GET && method != Method::DELETE)
            .then(|| serde_json::to_vec(&body).unwrap());
        let answer = self
            .driver
            .send_raw(method.clone(), path, body, &[])
            .await
            .unwrap_or_else(|e| panic!("chromedriver {method} {path}: {e}"));
        let value: Value = serde_json::from_slice(&answer.body).unwrap_or(Value::Null);
        assert!(
            answer.status < 300,
            "chromedriver {method} {path}: {} {value}",
            answer.status
        );
        value["value"].clone()
    }

    async fn session(&self, method: Method, path: &str, body: Value) -> Value {
        let path = format!("/session/{}{path}", self.session);
        self.command(method, &path, body).await
    }

    pub async fn goto(&self, url: &str) {
        self.session(Method::POST, "/url", json!({ "url": url }))
            .await;
    }

    /// Runs `script` (a function body: `return …`) in the page.
    pub async fn js(&self, script: &str, args: Value) -> Value {
        self.session(
            Method::POST,
            "/execute/sync",
            json!({"script": script, "args": args}),
        )
        .await
    }

    /// Polls `script` until it answers something truthy; answers that.
    pub async fn wait_for(&self, what: &str, script: &str, args: Value) -> Value {
        self.wait_for_within(Duration::from_secs(15), what, script, args)
            .await
    }

    /// [`Browser::wait_for`] with a time limit of `limit`.
    pub async fn wait_for_within(
        &self,
        limit: Duration,
        what: &str,
        script: &str,
        args: Value,
    ) -> Value {
        let deadline = Instant::now() + limit;
        loop {
            let value = self.js(script, args.clone()).await;
            let truthy = !matches!(&value, Value::Null | Value::Bool(false))
                && value != json!(0)
                && value != json!("");
            if truthy {
                return value;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The text of every message row shown, in order.
    pub async fn message_texts(&self) -> Vec<String> {
        let value = self
            .js(
                "return [...document.querySelectorAll('#messages li')].map(li => li.textContent)",
                json!([]),
            )
            .await;
        serde_json::from_value(value).unwrap()
    }

    /// Waits until a message row contains `text`.
    pub async fn wait_for_message(&self, text: &str) {
        self.wait_for(
            &format!("a message with {text:?}"),
            "return [...document.querySelectorAll('#messages li')].some(li => li.textContent.includes(arguments[0]))",
            json!([text]),
        )
        .await;
    }

    async fn element(&self, css: &str) -> String {
        let found = self
            .session(
                Method::POST,
                "/element",
                json!({"using": "css selector", "value": css}),
            )
            .await;
        match found[ELEMENT].as_str() {
            Some(id) => id.to_owned(),
            None => panic!("no element {css}: {found}"),
        }
    }

    /// Types `text` into the element (for a file input: a file's path).
    pub async fn type_into(&self, css: &str, text: &str) {
        let id = self.element(css).await;
        let path = format!("/element/{id}/value");
        self.session(Method::POST, &path, json!({ "text": text }))
            .await;
    }

    pub async fn click(&self, css: &str) {
        let id = self.element(css).await;
        let path = format!("/element/{id}/click");
        self.session(Method::POST, &path, json!({})).await;
    }

    /// A Chrome DevTools Protocol command.
    pub async fn cdp(&self, cmd: &str, params: Value) -> Value {
        self.session(
            Method::POST,
            "/goog/cdp/execute",
            json!({"cmd": cmd, "params": params}),
        )
        .await
    }

    /// Whether a JavaScript dialog (alert, confirm) is open.
    pub async fn dialog_open(&self) -> bool {
        let path = format!("/session/{}/alert/text", self.session);
        let answer = self
            .driver
            .send_raw(Method::GET, &path, None, &[])
            .await
            .unwrap();
        answer.status == 200
    }

    /// A PNG of the viewport.
    pub async fn screenshot(&self) -> Vec<u8> {
        use base64::Engine;
        let value = self.session(Method::GET, "/screenshot", json!(null)).await;
        base64::engine::general_purpose::STANDARD
            .decode(value.as_str().unwrap())
            .unwrap()
    }

    /// Ends the session (Chromium exits) and the driver.
    pub async fn quit(mut self) {
        let path = format!("/session/{}", self.session);
        let _ = self.driver.send_raw(Method::DELETE, &path, None, &[]).await;
        self.kill();
    }

    fn kill(&mut self) {
        // The group holds chromedriver and the Chromium it started.
        let group = format!("-{}", self.process.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.process.wait();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if self.process.try_wait().ok().flatten().is_none() {
            self.kill();
        }
    }
}

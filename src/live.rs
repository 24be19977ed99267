//! The live event feed (`GET /api/v1/ws`) as a sequence of what happened,
//! for clients that follow events (`commcenter watch`): it connects (with
//! the bearer header or a single-use ticket), pings, takes silence for a
//! dead connection, reconnects with backoff, and resumes with
//! `since`/`epoch` so that no stored event is lost or repeated over a drop.
//!
//! Invariants:
//! - `resume` is the `seq` of the last stored event handed out and the
//!   epoch of the store that numbered it; an event at or below it is never
//!   handed out again (the daemon promises this; the feed holds to it too).
//! - A fresh start (the first connection without a starting point, or a
//!   `resync_required`) yields [`FeedItem::Reload`]: events before that
//!   `hello` will never come, so the holder reloads its state over HTTP.

use std::collections::VecDeque;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use http::header::{HeaderValue, AUTHORIZATION};
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{Error as WsError, Message as WsMessage};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::client::Client;
use crate::wire::{ClientFrame, Event, LiveFrame};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// The daemon pings every 25 s and drops a connection silent for 60 s; we
/// do the same from our side.
const SILENCE: Duration = Duration::from_secs(60);
const PING_EVERY: Duration = Duration::from_secs(25);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How the WebSocket handshake is authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Auth {
    /// `Authorization: Bearer <token>` on the handshake.
    #[default]
    Header,
    /// A fresh `POST /api/v1/ws/ticket` before every connection, sent as
    /// `?ticket=` (what a browser does).
    Ticket,
}

/// Where to resume: the last stored event seen and its store's epoch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    pub seq: u64,
    pub epoch: String,
}

/// One thing the feed has to say.
#[derive(Debug, Clone, PartialEq)]
pub enum FeedItem {
    /// A connection is up (its `hello`); `resumed` when the events missed
    /// since the last one follow.
    Connected { resumed: bool, at: Position },
    /// Events before this point will not come: reload state over HTTP.
    Reload,
    /// A stored event, in `seq` order, each once.
    Event(Event),
    /// A frame that is not stored: typing, presence.
    Frame(LiveFrame),
    /// The connection failed or dropped; the next call waits `retry_in` and
    /// connects again. `status` is the HTTP status of a refused handshake
    /// (401 for a bad token).
    Disconnected {
        error: String,
        status: Option<u16>,
        retry_in: Duration,
    },
}

/// The feed of one client; [`Feed::next`] drives it.
pub struct Feed {
    client: Client,
    auth: Auth,
    resume: Option<Position>,
    socket: Option<Connection>,
    failures: u32,
    ready: VecDeque<FeedItem>,
}

struct Connection {
    socket: Socket,
    /// This connection's `hello`, once it came.
    hello: Option<Position>,
    last_heard: Instant,
    next_ping: Instant,
}

impl Feed {
    /// A feed that starts live: the first `hello` yields `Reload`.
    pub fn new(client: Client, auth: Auth) -> Feed {
        Feed {
            client,
            auth,
            resume: None,
            socket: None,
            failures: 0,
            ready: VecDeque::new(),
        }
    }

    /// A feed that starts with the events after `from` (replayed, then live).
    pub fn resuming(client: Client, auth: Auth, from: Position) -> Feed {
        Feed {
            resume: Some(from),
            ..Feed::new(client, auth)
        }
    }

    /// The last stored event handed out, to resume from in a later feed.
    pub fn position(&self) -> Option<&Position> {
        self.resume.as_ref()
    }

    /// The next item; connects, reconnects and pings as needed. Not
    /// cancel-safe while connecting: call it from one task and await it.
    pub async fn next(&mut self) -> FeedItem {
        loop {
            if let Some(item) = self.ready.pop_front() {
                return item;
            }
            if self.socket.is_none() {
                if self.failures > 0 {
                    tokio::time::sleep(backoff(self.failures - 1)).await;
                }
                if let Err(item) = self.connect().await {
                    return item;
                }
            }
            self.read().await;
        }
    }

    /// Sends a frame (typing, delivered, read) on the current connection;
    /// an error when there is none or it broke (it reconnects on `next`).
    pub async fn send(&mut self, frame: &ClientFrame) -> Result<(), String> {
        let text = serde_json::to_string(frame).map_err(|e| e.to_string())?;
        let Some(connection) = &mut self.socket else {
            return Err("not connected".to_owned());
        };
        let sent = connection.socket.send(WsMessage::text(text)).await;
        sent.map_err(|e| {
            let error = e.to_string();
            let item = self.dropped(error.clone());
            self.ready.push_back(item);
            error
        })
    }

    async fn connect(&mut self) -> Result<(), FeedItem> {
        let opened = match self.handshake().await {
            Ok(socket) => socket,
            Err((error, status)) => {
                self.failures += 1;
                return Err(FeedItem::Disconnected {
                    error,
                    status,
                    retry_in: backoff(self.failures - 1),
                });
            }
        };
        let now = Instant::now();
        self.socket = Some(Connection {
            socket: opened,
            hello: None,
            last_heard: now,
            next_ping: now + PING_EVERY,
        });
        Ok(())
    }

    async fn handshake(&self) -> Result<Socket, (String, Option<u16>)> {
        let mut query = Vec::new();
        if self.auth == Auth::Ticket {
            let ticket = self.client.ws_ticket().await.map_err(|e| {
                let status = e.status();
                (e.to_string(), status)
            })?;
            query.push(format!("ticket={}", encode(&ticket.ticket)));
        }
        if let Some(at) = &self.resume {
            query.push(format!("since={}&epoch={}", at.seq, encode(&at.epoch)));
        }
        let mut request = ws_url(self.client.base_url(), &query)
            .into_client_request()
            .map_err(|e| (e.to_string(), None))?;
        if let (Auth::Header, Some(token)) = (self.auth, self.client.token()) {
            let value = HeaderValue::from_str(&format!("Bearer {token}"))
                .map_err(|e| (e.to_string(), None))?;
            request.headers_mut().insert(AUTHORIZATION, value);
        }
        let connecting = tokio_tungstenite::connect_async(request);
        match tokio::time::timeout(CONNECT_TIMEOUT, connecting).await {
            Ok(Ok((socket, _))) => Ok(socket),
            Ok(Err(WsError::Http(response))) => {
                let status = response.status().as_u16();
                Err((
                    format!("the daemon refused the connection ({status})"),
                    Some(status),
                ))
            }
            Ok(Err(e)) => Err((format!("cannot reach the daemon: {e}"), None)),
            Err(_) => Err(("connecting timed out".to_owned(), None)),
        }
    }

    /// Reads one frame, or sends a ping when one is due, or notices that
    /// the connection has been silent too long.
    async fn read(&mut self) {
        let Some(connection) = &mut self.socket else {
            return;
        };
        let tick = connection.next_ping.min(connection.last_heard + SILENCE);
        let frame = tokio::select! {
            frame = connection.socket.next() => Some(frame),
            _ = tokio::time::sleep_until(tick) => None,
        };
        let Some(frame) = frame else {
            return self.on_tick().await;
        };
        connection.last_heard = Instant::now();
        match frame {
            Some(Ok(WsMessage::Text(text))) => self.on_text(&text),
            Some(Ok(WsMessage::Close(_))) | None => {
                let item = self.dropped("the daemon closed the connection".to_owned());
                self.ready.push_back(item);
            }
            Some(Ok(_)) => {}
            Some(Err(e)) => {
                let item = self.dropped(e.to_string());
                self.ready.push_back(item);
            }
        }
    }

    /// A ping is due, or the connection has been silent too long.
    async fn on_tick(&mut self) {
        let Some(connection) = &mut self.socket else {
            return;
        };
        let now = Instant::now();
        if now >= connection.last_heard + SILENCE {
            let item = self.dropped("no word from the daemon for 60 s".to_owned());
            self.ready.push_back(item);
            return;
        }
        connection.next_ping = now + PING_EVERY;
        let ping = WsMessage::text(r#"{"type":"ping"}"#);
        if let Err(e) = connection.socket.send(ping).await {
            let item = self.dropped(e.to_string());
            self.ready.push_back(item);
        }
    }

    /// Forgets the connection; the item to report it.
    fn dropped(&mut self, error: String) -> FeedItem {
        self.socket = None;
        self.failures = 1;
        FeedItem::Disconnected {
            error,
            status: None,
            retry_in: backoff(0),
        }
    }

    fn on_text(&mut self, text: &str) {
        let Ok(value) = serde_json::from_str::<serde_json::Value>(text) else {
            return;
        };
        // Stored events carry a top-level `seq`; other frames do not.
        if value.get("seq").is_some() {
            if let Ok(event) = serde_json::from_value::<Event>(value) {
                self.on_event(event);
            }
            return;
        }
        if let Ok(frame) = serde_json::from_value::<LiveFrame>(value) {
            self.on_frame(frame);
        }
    }

    fn on_event(&mut self, event: Event) {
        if let Some(at) = &mut self.resume {
            if event.seq <= at.seq {
                return;
            }
            at.seq = event.seq;
        }
        self.ready.push_back(FeedItem::Event(event));
    }

    fn on_frame(&mut self, frame: LiveFrame) {
        match frame {
            LiveFrame::Hello { seq, epoch, .. } => {
                self.failures = 0;
                let at = Position { seq, epoch };
                if let Some(connection) = &mut self.socket {
                    connection.hello = Some(at.clone());
                }
                // Resuming, the replay after `hello` starts at our `since`:
                // keep it. Fresh, start at the hello's seq and reload.
                let resumed = self.resume.is_some();
                if !resumed {
                    self.resume = Some(at.clone());
                }
                self.ready.push_back(FeedItem::Connected { resumed, at });
                if !resumed {
                    self.ready.push_back(FeedItem::Reload);
                }
            }
            // The connection stays open, live from its `hello`.
            LiveFrame::ResyncRequired => {
                self.resume = self.socket.as_ref().and_then(|c| c.hello.clone());
                self.ready.push_back(FeedItem::Reload);
            }
            LiveFrame::Pong => {}
            other => self.ready.push_back(FeedItem::Frame(other)),
        }
    }
}

/// 0.25 s after the first failure, doubling to at most 8 s.
pub fn backoff(failures: u32) -> Duration {
    Duration::from_millis(250u64 << failures.min(5))
}

/// `http://host:port` → `ws://host:port/api/v1/ws?query`.
fn ws_url(base: &str, query: &[String]) -> String {
    let base = base
        .trim_end_matches('/')
        .replacen("http://", "ws://", 1)
        .replacen("https://", "wss://", 1);
    if query.is_empty() {
        format!("{base}/api/v1/ws")
    } else {
        format!("{base}/api/v1/ws?{}", query.join("&"))
    }
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed() -> Feed {
        Feed::new(Client::new("http://127.0.0.1:9", None), Auth::Header)
    }

    const HELLO: &str = r#"{"type":"hello","data":{"user_id":"01M8VTBDDGJXVGA22PEHVT0F04","seq":9,"epoch":"e2","heartbeat_s":25}}"#;

    #[test]
    fn a_fresh_hello_sets_where_to_resume_and_asks_for_a_reload() {
        let mut f = feed();
        f.on_text(HELLO);
        assert_eq!(f.position().map(|p| p.seq), Some(9));
        assert!(matches!(
            f.ready.pop_front(),
            Some(FeedItem::Connected { resumed: false, .. })
        ));
        assert_eq!(f.ready.pop_front(), Some(FeedItem::Reload));
    }

    #[test]
    fn a_resumed_hello_keeps_the_seq_it_resumed_from() {
        let at = Position {
            seq: 5,
            epoch: "e2".to_owned(),
        };
        let mut f = Feed::resuming(Client::new("http://127.0.0.1:9", None), Auth::Header, at);
        f.on_text(HELLO);
        assert_eq!(f.position().map(|p| p.seq), Some(5));
        assert!(matches!(
            f.ready.pop_front(),
            Some(FeedItem::Connected { resumed: true, .. })
        ));
        assert!(f.ready.is_empty(), "no reload when resuming");
    }

    #[test]
    fn an_event_at_or_below_the_position_is_not_handed_out_again() {
        let mut f = feed();
        f.on_text(HELLO);
        f.ready.clear();
        let receipt = |seq: u64| {
            format!(
                r#"{{"type":"receipt","seq":{seq},"data":{{"message_id":"01M8VTBDDGJXVGA22PEHVT0F04","user_id":"01M8VTBDDGJXVGA22PEHVT0F04","state":"read","at":"2026-11-26T05:15:20.123Z"}}}}"#
            )
        };
        f.on_text(&receipt(9));
        f.on_text(&receipt(10));
        f.on_text(&receipt(10));
        assert_eq!(f.ready.len(), 1);
        assert_eq!(f.position().map(|p| p.seq), Some(10));
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        assert_eq!(backoff(0), Duration::from_millis(250));
        assert_eq!(backoff(2), Duration::from_secs(1));
        assert_eq!(backoff(40), Duration::from_secs(8));
    }

    #[test]
    fn the_socket_url_carries_the_ticket_and_the_resume_point() {
        let query = vec!["ticket=t1".to_owned(), "since=4&epoch=e".to_owned()];
        assert_eq!(
            ws_url("http://127.0.0.1:8080/", &query),
            "ws://127.0.0.1:8080/api/v1/ws?ticket=t1&since=4&epoch=e"
        );
    }
}

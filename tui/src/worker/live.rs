//! The WebSocket (`GET /api/v1/ws`): connects, reconnects with backoff, and
//! resumes with `since`/`epoch` so that no event is missed or repeated
//! across a drop. A fresh connection (first, or after `resync_required`)
//! asks the console to reload, since events before its `hello` are not
//! replayed.

use std::time::Duration;

use commcenter::client::Client;
use commcenter::wire::{ClientFrame, Event, LiveFrame};
use futures_util::{SinkExt, StreamExt};
use http::header::{HeaderValue, AUTHORIZATION};
use tokio::net::TcpStream;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message as Frame;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::action::{Action, ConnState, Live};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// The daemon pings every 25 s and drops a connection silent for 60 s; a
/// connection that says nothing for this long is taken for dead.
const SILENCE: Duration = Duration::from_secs(60);
const PING_EVERY: Duration = Duration::from_secs(25);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Failed attempts in a row after which the footer says offline.
const OFFLINE_AFTER: u32 = 3;

/// Where to resume: the last stored event seen and the store's epoch.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Resume {
    seq: u64,
    epoch: String,
}

/// Why a session ended.
enum Ended {
    Dropped,
    Resync,
    ConsoleGone,
}

pub(super) async fn run(
    client: Client,
    actions: UnboundedSender<Action>,
    mut outbound: UnboundedReceiver<ClientFrame>,
) {
    let mut resume: Option<Resume> = None;
    let mut failures: u32 = 0;
    loop {
        match connect(&client, resume.as_ref()).await {
            Ok(socket) => {
                failures = 0;
                // Typing from before the drop is stale.
                while outbound.try_recv().is_ok() {}
                match session(socket, &mut resume, &actions, &mut outbound).await {
                    Ended::ConsoleGone => return,
                    Ended::Resync => resume = None,
                    Ended::Dropped => {}
                }
            }
            Err(e) => {
                failures += 1;
                if failures == 1 {
                    let _ = actions.send(Action::Failed(format!("live updates: {e}")));
                }
            }
        }
        let state = if failures >= OFFLINE_AFTER {
            ConnState::Offline
        } else {
            ConnState::Reconnecting
        };
        if actions.send(Action::Connection(state)).is_err() {
            return;
        }
        tokio::time::sleep(backoff(failures)).await;
    }
}

/// 0.25 s, then doubling to at most 8 s.
fn backoff(failures: u32) -> Duration {
    Duration::from_millis(250u64 << failures.min(5))
}

async fn connect(client: &Client, resume: Option<&Resume>) -> Result<Socket, String> {
    let base = client
        .base_url()
        .trim_end_matches('/')
        .replacen("http://", "ws://", 1)
        .replacen("https://", "wss://", 1);
    let query = resume.map_or(String::new(), |r| {
        format!("?since={}&epoch={}", r.seq, encode(&r.epoch))
    });
    let mut request = format!("{base}/api/v1/ws{query}")
        .into_client_request()
        .map_err(|e| e.to_string())?;
    if let Some(token) = client.token() {
        let value = HeaderValue::from_str(&format!("Bearer {token}")).map_err(|e| e.to_string())?;
        request.headers_mut().insert(AUTHORIZATION, value);
    }
    match tokio::time::timeout(CONNECT_TIMEOUT, tokio_tungstenite::connect_async(request)).await {
        Ok(Ok((socket, _))) => Ok(socket),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("connecting timed out".to_owned()),
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

async fn session(
    socket: Socket,
    resume: &mut Option<Resume>,
    actions: &UnboundedSender<Action>,
    outbound: &mut UnboundedReceiver<ClientFrame>,
) -> Ended {
    let (mut sink, mut stream) = socket.split();
    let mut ping = tokio::time::interval(PING_EVERY);
    ping.tick().await;
    loop {
        tokio::select! {
            next = tokio::time::timeout(SILENCE, stream.next()) => {
                let frame = match next {
                    // Silence, a close or a broken socket: reconnect.
                    Err(_) | Ok(None) | Ok(Some(Err(_))) => return Ended::Dropped,
                    Ok(Some(Ok(frame))) => frame,
                };
                match frame {
                    Frame::Text(text) => {
                        if let Some(ended) = on_text(&text, resume, actions) {
                            return ended;
                        }
                    }
                    Frame::Close(_) => return Ended::Dropped,
                    _ => {}
                }
            }
            Some(frame) = outbound.recv() => {
                let text = serde_json::to_string(&frame).unwrap_or_default();
                if sink.send(Frame::text(text)).await.is_err() {
                    return Ended::Dropped;
                }
            }
            _ = ping.tick() => {
                if sink.send(Frame::text(r#"{"type":"ping"}"#)).await.is_err() {
                    return Ended::Dropped;
                }
            }
        }
    }
}

/// Handles one text frame; `Some` ends the session.
fn on_text(
    text: &str,
    resume: &mut Option<Resume>,
    actions: &UnboundedSender<Action>,
) -> Option<Ended> {
    let Ok(value) = serde_json::from_str::<serde_json::Value>(text) else {
        return None;
    };
    // Stored events carry a top-level `seq`; other frames do not.
    if value.get("seq").is_some() {
        let Ok(event) = serde_json::from_value::<Event>(value) else {
            return None;
        };
        if let Some(r) = resume {
            r.seq = r.seq.max(event.seq);
        }
        return send(actions, Action::Live(Live::Event(event.data)));
    }
    let live = match serde_json::from_value::<LiveFrame>(value) {
        Ok(frame) => frame,
        Err(_) => return None,
    };
    match live {
        LiveFrame::Hello { seq, epoch, .. } => {
            if let Some(gone) = send(actions, Action::Connection(ConnState::Connected)) {
                return Some(gone);
            }
            // Resuming, the replay after `hello` starts at our `since`;
            // keep it. Fresh, start at the hello's seq and reload.
            if resume.is_none() {
                *resume = Some(Resume { seq, epoch });
                return send(actions, Action::Live(Live::Resync));
            }
            None
        }
        LiveFrame::ResyncRequired => Some(Ended::Resync),
        LiveFrame::Typing {
            conversation_id,
            user_id,
            state,
        } => send(
            actions,
            Action::Live(Live::Typing {
                conversation_id,
                user_id,
                state,
            }),
        ),
        LiveFrame::Presence(presence) => send(actions, Action::Live(Live::Presence(presence))),
        LiveFrame::Pong | LiveFrame::Error { .. } => None,
    }
}

/// Sends `action`; `Some(ConsoleGone)` when the console has quit.
fn send(actions: &UnboundedSender<Action>, action: Action) -> Option<Ended> {
    actions.send(action).err().map(|_| Ended::ConsoleGone)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resume() -> Option<Resume> {
        Some(Resume {
            seq: 5,
            epoch: "e1".to_owned(),
        })
    }

    #[test]
    fn a_presence_frame_becomes_a_live_action() {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let mut at = resume();
        let frame = r#"{"type":"presence","data":{"user_id":"01M8VTBDDGJXVGA22PEHVT0F04","online":true,"last_seen_at":"2026-11-26T14:30:00.000Z"}}"#;
        assert!(on_text(frame, &mut at, &tx).is_none());
        match rx.try_recv().unwrap() {
            Action::Live(Live::Presence(p)) => {
                assert!(p.online);
                assert_eq!(p.user_id.to_string(), "01M8VTBDDGJXVGA22PEHVT0F04");
            }
            other => panic!("expected presence, got {other:?}"),
        }
    }

    #[test]
    fn a_fresh_hello_sets_where_to_resume_and_asks_for_a_reload() {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let mut at = None;
        let hello = r#"{"type":"hello","data":{"user_id":"01M8VTBDDGJXVGA22PEHVT0F04","seq":9,"epoch":"e2","heartbeat_s":25}}"#;
        assert!(on_text(hello, &mut at, &tx).is_none());
        assert_eq!(at.map(|r| r.seq), Some(9));
        assert_eq!(
            rx.try_recv().unwrap(),
            Action::Connection(ConnState::Connected)
        );
        assert_eq!(rx.try_recv().unwrap(), Action::Live(Live::Resync));
    }

    #[test]
    fn a_resumed_hello_keeps_the_seq_it_resumed_from() {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let mut at = resume();
        let hello = r#"{"type":"hello","data":{"user_id":"01M8VTBDDGJXVGA22PEHVT0F04","seq":9,"epoch":"e1","heartbeat_s":25}}"#;
        on_text(hello, &mut at, &tx);
        assert_eq!(at.map(|r| r.seq), Some(5));
        assert_eq!(
            rx.try_recv().unwrap(),
            Action::Connection(ConnState::Connected)
        );
        assert!(rx.try_recv().is_err(), "no reload when resuming");
    }

    #[test]
    fn resync_required_ends_the_session_for_a_fresh_start() {
        let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
        let mut at = resume();
        let ended = on_text(r#"{"type":"resync_required"}"#, &mut at, &tx);
        assert!(matches!(ended, Some(Ended::Resync)));
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        assert_eq!(backoff(0), Duration::from_millis(250));
        assert_eq!(backoff(2), Duration::from_secs(1));
        assert_eq!(backoff(40), Duration::from_secs(8));
    }
}

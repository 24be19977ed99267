//! One WebSocket connection, in one task: `hello`, the replay of missed
//! events, then live frames from the outbox and client frames from the
//! socket until it closes.
//!
//! The resume seam: replay reads the log *before* the connection joins the
//! fan-out, then joins it, then reads the log once more from where it got
//! to. Whatever the fan-out then queues at or below the last replayed `seq`
//! is skipped, so every event arrives once and in order. Joining after the
//! long first replay keeps the outbox from filling during it.

mod attendance;
mod inbound;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use commcenter::access::Caller;
use commcenter::wire::LiveFrame;
use commcenter::Timestamp;
use commcenter_store::StoreError;
use futures_util::{SinkExt, StreamExt};
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use tokio::io::AsyncReadExt;
use tokio::sync::{mpsc, watch, Notify};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::WebSocketStream;

use super::index::{Member, OutFrame};
use super::{stopping, Hub};
use attendance::Attendance;
use inbound::Budget;

type Socket = WebSocketStream<TokioIo<Upgraded>>;
type Outbox = mpsc::Sender<Arc<OutFrame>>;

/// Events read from the log per replay read.
const REPLAY_CHUNK: usize = 500;
/// Most outbox frames written with one flush.
const WRITE_BATCH: usize = 64;
/// How long a closing connection waits for its close frame to go out and
/// for the client's answer. Long enough for a client that was too slow to
/// read what is still buffered and see why it was closed.
const CLOSE_LINGER: Duration = Duration::from_secs(5);

/// Who connected, with what, asking for what.
pub(crate) struct Session {
    pub caller: Caller,
    /// The SHA-256 of the token the connection was opened with, checked at
    /// every ping, so that revoking the token closes the connection.
    pub token_hash: [u8; 32],
    pub resume: Option<Resume>,
}

/// `?since=SEQ&epoch=E`.
pub(crate) struct Resume {
    pub since: u64,
    pub epoch: Option<String>,
}

/// How a connection ends.
enum Ending {
    /// Send a close frame with this code and reason, and wait for the answer.
    Close(Cause, CloseCode, &'static str),
    /// A client frame was over the limit: close with 1009. The socket is in
    /// the middle of that frame, so what follows is discarded unread.
    TooLarge,
    /// The client closed (its close frame is answered) or the socket failed.
    Gone,
}

/// Why the server closed a connection: the `cause` label of
/// `commcenter_websocket_closes_total`.
#[derive(Debug, Clone, Copy)]
enum Cause {
    /// Evicted: its outbox filled, or writes stalled (1013).
    TooSlow,
    /// Evicted: its user opened more than `--ws-per-user` (1008).
    Replaced,
    Shutdown,
    /// Nothing heard for the idle timeout.
    Idle,
    TokenRevoked,
    BadFrame,
    Internal,
}

impl Ending {
    /// The `cause` and `code` labels of this ending in `/metrics`.
    fn labels(&self) -> (&'static str, u16) {
        match self {
            Ending::Close(cause, code, _) => {
                let cause = match cause {
                    Cause::TooSlow => "too_slow",
                    Cause::Replaced => "replaced",
                    Cause::Shutdown => "shutdown",
                    Cause::Idle => "idle",
                    Cause::TokenRevoked => "token_revoked",
                    Cause::BadFrame => "bad_frame",
                    Cause::Internal => "internal",
                };
                (cause, u16::from(*code))
            }
            Ending::TooLarge => ("too_large", u16::from(CloseCode::Size)),
            // No close frame of ours: the client closed, or the network failed.
            Ending::Gone => ("client", 0),
        }
    }
}

fn too_slow() -> Ending {
    Ending::Close(
        Cause::TooSlow,
        CloseCode::Again,
        "too slow to keep up; resume with since",
    )
}

fn replaced() -> Ending {
    Ending::Close(
        Cause::Replaced,
        CloseCode::Policy,
        "replaced by a newer connection of the same user (too many open)",
    )
}

fn shutting_down() -> Ending {
    Ending::Close(
        Cause::Shutdown,
        CloseCode::Away,
        "the server is shutting down",
    )
}

/// How a replay went.
enum Replayed {
    /// Every visible event through this `seq` was sent.
    Through(u64),
    /// The log no longer holds what follows `since`.
    Gap,
}

/// Runs a connection from the upgrade to the end.
pub(super) async fn serve(hub: Hub, socket: Socket, session: Session) {
    // Counted open until this task ends, also by a panic.
    let _open = hub.metrics().opened();
    let mut presence = Attendance::begin(hub.clone(), session.caller).await;
    let mut conn = Connection::new(hub.clone(), socket, &session);
    let ending = match conn.open(session.resume).await {
        Ok(()) => conn.live().await,
        Err(ending) => ending,
    };
    if let Some(member) = conn.member.take() {
        hub.index().unregister(member);
    }
    let (cause, code) = ending.labels();
    hub.metrics().closed(cause, code);
    conn.close(ending).await;
    presence.end().await;
}

struct Connection {
    hub: Hub,
    socket: Socket,
    caller: Caller,
    token_hash: [u8; 32],
    outbox: mpsc::Receiver<Arc<OutFrame>>,
    /// The outbox's sending half until the connection joins the fan-out;
    /// after that the index holds the only one.
    joining: Option<Outbox>,
    evicted: Arc<Notify>,
    /// Set before `evicted` is told when the hub closes this connection
    /// because its user opened too many.
    replaced: Arc<AtomicBool>,
    stop: watch::Receiver<bool>,
    /// Changes when any token is revoked: the connection re-checks its own.
    revocations: watch::Receiver<u64>,
    /// The connection's id in the index, once it joined the fan-out.
    member: Option<u64>,
    /// Replay sent every event through this `seq`; the outbox's copies of
    /// them are skipped.
    replayed_through: u64,
    last_heard: Instant,
    last_ping: Instant,
    typing: Budget,
}

impl Connection {
    fn new(hub: Hub, socket: Socket, session: &Session) -> Connection {
        let (outbox, inbox) = mpsc::channel(hub.settings().outbox_frames.max(1));
        let stop = hub.stop_signal();
        let revocations = hub.store().auth().revocations();
        let now = Instant::now();
        Connection {
            hub,
            socket,
            caller: session.caller,
            token_hash: session.token_hash,
            outbox: inbox,
            joining: Some(outbox),
            evicted: Arc::new(Notify::new()),
            replaced: Default::default(),
            revocations,
            stop,
            member: None,
            replayed_through: 0,
            last_heard: now,
            last_ping: now,
            typing: Budget::new(),
        }
    }

    /// Why the hub evicted this connection.
    fn eviction(&self) -> Ending {
        if self.replaced.load(Ordering::Acquire) {
            replaced()
        } else {
            too_slow()
        }
    }

    /// Joins the fan-out; answers the position the connection is live from.
    fn join(&mut self) -> u64 {
        let Some(outbox) = self.joining.take() else {
            return self.hub.index().position();
        };
        let member = Member {
            caller: self.caller,
            outbox,
            evicted: self.evicted.clone(),
            replaced: self.replaced.clone(),
        };
        let per_user = self.hub.settings().sockets_per_user;
        let (id, position) = self.hub.index().register(member, per_user);
        self.member = Some(id);
        position
    }

    /// `hello`, then the replay or `resync_required` that was asked for.
    async fn open(&mut self, resume: Option<Resume>) -> Result<(), Ending> {
        let Some(resume) = resume else {
            let position = self.join();
            return self.send(&self.hello(position)).await;
        };
        if !self.resumable(&resume) {
            let position = self.join();
            self.send(&self.hello(position)).await?;
            return self.send(&LiveFrame::ResyncRequired).await;
        }
        self.send(&self.hello(self.hub.store().last_seq())).await?;
        let Replayed::Through(seq) = self.replay(resume.since).await? else {
            self.join();
            return self.send(&LiveFrame::ResyncRequired).await;
        };
        self.join();
        // Events fanned out between the last read and joining are in neither.
        match self.replay(seq).await? {
            Replayed::Through(seq) => self.replayed_through = seq,
            Replayed::Gap => self.send(&LiveFrame::ResyncRequired).await?,
        }
        Ok(())
    }

    /// Whether `since` is a point in this store's history (the log may
    /// still turn out to be pruned past it; `replay` finds that out).
    fn resumable(&self, resume: &Resume) -> bool {
        let store = self.hub.store();
        resume.epoch.as_deref() == Some(store.epoch()) && resume.since <= store.last_seq()
    }

    fn hello(&self, seq: u64) -> LiveFrame {
        LiveFrame::Hello {
            user_id: self.caller.user_id,
            seq,
            epoch: self.hub.store().epoch().to_owned(),
            heartbeat_s: self.hub.settings().heartbeat.as_secs(),
        }
    }

    /// Sends every stored event after `after` that the caller may see, in
    /// order, reading the log a chunk at a time.
    async fn replay(&mut self, mut after: u64) -> Result<Replayed, Ending> {
        loop {
            let caller = self.caller;
            let read = self
                .hub
                .store()
                .read(move |v| {
                    // Checked in the same snapshot as the read, so that a
                    // concurrent prune cannot open a silent gap.
                    if after < v.events_pruned_through()? {
                        return Ok(None);
                    }
                    v.events_after(&caller, after, REPLAY_CHUNK).map(Some)
                })
                .await;
            let (events, last) = match read {
                Ok(Some(found)) => found,
                Ok(None) => return Ok(Replayed::Gap),
                Err(e) => return Err(internal(e)),
            };
            let done = events.len() < REPLAY_CHUNK;
            let messages = events
                .into_iter()
                .map(|e| Message::Text(e.frame.into()))
                .collect();
            self.write(messages).await?;
            after = last;
            if done {
                return Ok(Replayed::Through(after));
            }
        }
    }

    /// Live: outbox frames out, client frames in, pings, until the end.
    async fn live(&mut self) -> Ending {
        let mut wake = self.next_wake();
        let timer = tokio::time::sleep_until(wake);
        tokio::pin!(timer);
        loop {
            let step = tokio::select! {
                _ = stopping(&mut self.stop) => Err(shutting_down()),
                _ = self.evicted.notified() => Err(self.eviction()),
                frame = self.outbox.recv() => self.forward(frame).await,
                message = self.socket.next() => self.receive(message).await,
                _ = &mut timer => self.heartbeat().await,
                Ok(()) = self.revocations.changed() => self.check_token(),
            };
            if let Err(ending) = step {
                return ending;
            }
            if self.next_wake() != wake {
                wake = self.next_wake();
                timer.as_mut().reset(wake);
            }
        }
    }

    /// Writes `first` and whatever else is queued (up to a batch) with one
    /// flush, skipping events that replay already sent.
    async fn forward(&mut self, first: Option<Arc<OutFrame>>) -> Result<(), Ending> {
        // Only the index holds the sender: `None` means it let go of us, for
        // being too slow or for being replaced (whichever `eviction` says;
        // the closed outbox may be seen before the notification).
        let mut next = Some(first.ok_or_else(|| self.eviction())?);
        let mut messages = Vec::new();
        while let Some(frame) = next {
            if frame.seq.is_none_or(|seq| seq > self.replayed_through) {
                messages.push(Message::Text(frame.text.clone()));
            }
            next = if messages.len() < WRITE_BATCH {
                self.outbox.try_recv().ok()
            } else {
                None
            };
        }
        self.write(messages).await
    }

    /// Writes and flushes `messages`, unless the connection must close
    /// first: the server stops, the hub evicts it, or the client has not
    /// taken anything for as long as the idle timeout.
    async fn write(&mut self, messages: Vec<Message>) -> Result<(), Ending> {
        if messages.is_empty() {
            return Ok(());
        }
        let stalled = self.hub.settings().idle_timeout;
        let socket = &mut self.socket;
        let sending = async move {
            for message in messages {
                socket.feed(message).await?;
            }
            socket.flush().await
        };
        tokio::select! {
            sent = sending => sent.map_err(ending_for),
            _ = stopping(&mut self.stop) => Err(shutting_down()),
            _ = self.evicted.notified() => Err(self.eviction()),
            _ = tokio::time::sleep(stalled) => Err(too_slow()),
        }
    }

    async fn send(&mut self, frame: &LiveFrame) -> Result<(), Ending> {
        let frame = OutFrame::live(frame);
        self.write(vec![Message::Text(frame.text.clone())]).await
    }

    /// When the timer next matters: the next ping, or the idle deadline.
    fn next_wake(&self) -> Instant {
        let settings = self.hub.settings();
        (self.last_ping + settings.heartbeat).min(self.last_heard + settings.idle_timeout)
    }

    /// Closes a silent connection or one whose token was revoked; pings
    /// when a ping is due.
    async fn heartbeat(&mut self) -> Result<(), Ending> {
        let now = Instant::now();
        let settings = self.hub.settings();
        if now >= self.last_heard + settings.idle_timeout {
            return Err(Ending::Close(
                Cause::Idle,
                CloseCode::Away,
                "nothing heard from the client; idle timeout",
            ));
        }
        if now < self.last_ping + settings.heartbeat {
            return Ok(());
        }
        self.check_token()?;
        self.last_ping = now;
        self.write(vec![Message::Ping(Default::default())]).await
    }

    /// Ends the connection when its token is no longer live: revoked (checked
    /// as soon as any revocation is applied) or expired (checked at pings).
    fn check_token(&self) -> Result<(), Ending> {
        let auth = self.hub.store().auth();
        match auth.authenticate_hash(&self.token_hash, Timestamp::now()) {
            Some(_) => Ok(()),
            None => Err(Ending::Close(
                Cause::TokenRevoked,
                CloseCode::Policy,
                "the token was revoked or has expired",
            )),
        }
    }

    /// Sends the close frame (unless the client is gone) and waits, at
    /// most `CLOSE_LINGER`, for the client's side of the close.
    async fn close(mut self, ending: Ending) {
        self.outbox.close();
        let closing = async {
            match ending {
                Ending::Close(_, code, reason) => {
                    let frame = CloseFrame {
                        code,
                        reason: reason.into(),
                    };
                    if self.socket.close(Some(frame)).await.is_ok() {
                        // The client's close frame; ours is not lost to a reset.
                        while let Some(Ok(_)) = self.socket.next().await {}
                    }
                }
                Ending::TooLarge => {
                    let frame = CloseFrame {
                        code: CloseCode::Size,
                        reason: "frames are limited to 64 KiB".into(),
                    };
                    if self.socket.close(Some(frame)).await.is_ok() {
                        discard_input(self.socket.get_mut()).await;
                    }
                }
                Ending::Gone => {
                    let _ = self.socket.flush().await;
                }
            }
        };
        let _ = tokio::time::timeout(CLOSE_LINGER, closing).await;
    }
}

/// Reads and drops raw bytes until the client closes the socket. Closing a
/// socket with unread input resets it, and the reset could overtake the
/// close frame; the buffer is on the heap, only for connections doing this.
async fn discard_input(io: &mut TokioIo<Upgraded>) {
    let mut sink = vec![0u8; 4096];
    while matches!(io.read(&mut sink).await, Ok(n) if n > 0) {}
}

/// How a socket error ends the connection.
fn ending_for(e: WsError) -> Ending {
    use tokio_tungstenite::tungstenite::error::ProtocolError;
    match e {
        WsError::Capacity(_) => Ending::TooLarge,
        WsError::Utf8(_) => Ending::Close(
            Cause::BadFrame,
            CloseCode::Invalid,
            "text frames must be UTF-8",
        ),
        WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake) => Ending::Gone,
        WsError::Protocol(_) => Ending::Close(
            Cause::BadFrame,
            CloseCode::Protocol,
            "websocket protocol error",
        ),
        _ => Ending::Gone,
    }
}

fn internal(e: StoreError) -> Ending {
    tracing::error!(error = %e, "store failure on a websocket");
    Ending::Close(
        Cause::Internal,
        CloseCode::Error,
        "internal error; resume with since",
    )
}

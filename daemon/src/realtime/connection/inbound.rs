//! What a client sends: its frames, answered with `error` frames when they
//! are wrong; the connection lives on.

use commcenter::wire::{ClientFrame, ErrorCode, LiveFrame, ReceiptState, TypingState};
use commcenter::Id;
use commcenter_store::StoreError;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use super::{ending_for, Connection, Ending};

/// Typing frames: a burst of this many, then this many a second.
const TYPING_BURST: f32 = 10.0;
const TYPING_PER_SECOND: f32 = 5.0;

impl Connection {
    /// Handles what the socket gave: a frame, its end, or an error.
    pub(super) async fn receive(
        &mut self,
        message: Option<Result<Message, WsError>>,
    ) -> Result<(), Ending> {
        let message = message.ok_or(Ending::Gone)?.map_err(ending_for)?;
        self.last_heard = Instant::now();
        match message {
            Message::Text(text) => self.on_client_frame(&text).await,
            Message::Binary(_) => {
                self.reply_error(ErrorCode::BadRequest, "frames are JSON text")
                    .await
            }
            // tungstenite has queued the answer; it goes out as we close.
            Message::Close(_) => Err(Ending::Gone),
            // Pings are answered by tungstenite; hearing anything is enough.
            Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => Ok(()),
        }
    }

    async fn on_client_frame(&mut self, text: &str) -> Result<(), Ending> {
        let frame = match serde_json::from_str::<ClientFrame>(text) {
            Ok(frame) => frame,
            Err(e) => {
                let message = format!("not a client frame: {}", without_position(&e.to_string()));
                return self.reply_error(ErrorCode::BadRequest, &message).await;
            }
        };
        match frame {
            ClientFrame::Ping {} => self.send(&LiveFrame::Pong).await,
            ClientFrame::Typing {
                conversation_id,
                state,
            } => self.typing(conversation_id, state).await,
            ClientFrame::Delivered { message_id } => {
                self.acknowledge(message_id, ReceiptState::Delivered).await
            }
            ClientFrame::Read { message_id } => {
                self.acknowledge(message_id, ReceiptState::Read).await
            }
        }
    }

    /// Forwards a typing indicator to the conversation's other participants;
    /// the sender must take part in it.
    async fn typing(&mut self, conversation_id: Id, state: TypingState) -> Result<(), Ending> {
        if !self.typing.take() {
            let message = "too many typing frames; at most 5 a second";
            return self.reply_error(ErrorCode::RateLimited, message).await;
        }
        let caller = self.caller;
        let audience = self
            .hub
            .store()
            .read(move |v| v.conversation_audience(&caller, conversation_id))
            .await;
        match audience {
            Ok(audience) => {
                let frame = LiveFrame::Typing {
                    conversation_id,
                    user_id: caller.user_id,
                    state,
                };
                self.hub.deliver(&audience, &frame, caller.user_id);
                Ok(())
            }
            Err(e) => self.reply_store_error(e).await,
        }
    }

    /// A `delivered` or `read` frame: the same as the HTTP endpoints; the
    /// `receipt` events come back through the log like any other.
    async fn acknowledge(&mut self, message_id: Id, state: ReceiptState) -> Result<(), Ending> {
        let caller = self.caller;
        let written = self
            .hub
            .store()
            .write(move |tx| tx.acknowledge(&caller, message_id, state))
            .await;
        match written {
            Ok(_) => Ok(()),
            Err(e) => self.reply_store_error(e).await,
        }
    }

    async fn reply_store_error(&mut self, e: StoreError) -> Result<(), Ending> {
        let code = e.code();
        if code == ErrorCode::Internal {
            tracing::error!(error = %e, "store failure on a websocket frame");
            return self
                .reply_error(code, "internal error; it has been logged")
                .await;
        }
        self.reply_error(code, &e.to_string()).await
    }

    /// An `error` frame; the connection stays open.
    async fn reply_error(&mut self, code: ErrorCode, message: &str) -> Result<(), Ending> {
        let code = match serde_json::to_value(code) {
            Ok(serde_json::Value::String(name)) => name,
            _ => "internal".to_owned(),
        };
        let frame = LiveFrame::Error {
            code,
            message: message.to_owned(),
        };
        self.send(&frame).await
    }
}

/// serde_json's message without its " at line 1 column 9".
fn without_position(message: &str) -> &str {
    message
        .rfind(" at line ")
        .map_or(message, |i| &message[..i])
}

/// A token bucket for typing frames.
pub(super) struct Budget {
    tokens: f32,
    at: Instant,
}

impl Budget {
    pub(super) fn new() -> Budget {
        Budget {
            tokens: TYPING_BURST,
            at: Instant::now(),
        }
    }

    /// Takes one token if there is one.
    fn take(&mut self) -> bool {
        let now = Instant::now();
        let earned = now.duration_since(self.at).as_secs_f32() * TYPING_PER_SECOND;
        self.tokens = (self.tokens + earned).min(TYPING_BURST);
        self.at = now;
        if self.tokens < 1.0 {
            return false;
        }
        self.tokens -= 1.0;
        true
    }
}

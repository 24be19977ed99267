//! A WebSocket client for tests of `GET /api/v1/ws`: real sockets against
//! a test daemon, JSON frames, and timeouts on every wait.

use std::time::Duration;

use commcenter::client::Client;
use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How long any single wait for a frame may take before the test fails.
pub const FRAME_TIMEOUT: Duration = Duration::from_secs(10);

/// Opens `/api/v1/ws{query}` on the daemon at `base_url` with extra headers;
/// an HTTP refusal comes back as `WsError::Http`.
pub async fn try_connect(
    base_url: &str,
    query: &str,
    headers: &[(&str, &str)],
) -> Result<Socket, WsError> {
    let url = format!(
        "{}/api/v1/ws{query}",
        base_url.replacen("http://", "ws://", 1)
    );
    let mut request = url.into_client_request()?;
    for (name, value) in headers {
        request.headers_mut().insert(
            http::HeaderName::from_bytes(name.as_bytes()).expect("header name"),
            http::HeaderValue::from_str(value).expect("header value"),
        );
    }
    Ok(tokio_tungstenite::connect_async(request).await?.0)
}

/// The status and JSON body of a refused handshake.
pub async fn refused(base_url: &str, query: &str, headers: &[(&str, &str)]) -> (u16, Value) {
    match try_connect(base_url, query, headers).await {
        Ok(_) => panic!("the handshake was accepted"),
        Err(WsError::Http(response)) => {
            let body = response.body().clone().unwrap_or_default();
            let json = serde_json::from_slice(&body).unwrap_or(Value::Null);
            (response.status().as_u16(), json)
        }
        Err(e) => panic!("the handshake failed without an answer: {e}"),
    }
}

/// A connected WebSocket and the `data` of its `hello`.
pub struct WsClient {
    pub socket: Socket,
    pub hello: Value,
}

impl WsClient {
    /// Connects with `client`'s token and reads the `hello`.
    pub async fn open(client: &Client) -> WsClient {
        Self::open_with(client, "").await
    }

    /// Connects with `client`'s token and `query` (`?since=…`), and reads the `hello`.
    pub async fn open_with(client: &Client, query: &str) -> WsClient {
        let bearer = format!("Bearer {}", client.token().expect("a token"));
        let socket = try_connect(client.base_url(), query, &[("authorization", &bearer)])
            .await
            .expect("websocket opens");
        Self::greeted(socket).await
    }

    /// Wraps an open socket, reading its `hello`.
    pub async fn greeted(socket: Socket) -> WsClient {
        let mut ws = WsClient {
            socket,
            hello: Value::Null,
        };
        let hello = ws.frame().await;
        assert_eq!(hello["type"], "hello", "the first frame is hello: {hello}");
        ws.hello = hello["data"].clone();
        ws
    }

    /// The `seq` of the hello.
    pub fn hello_seq(&self) -> u64 {
        self.hello["seq"].as_u64().expect("hello.seq")
    }

    /// The next JSON text frame; fails the test after [`FRAME_TIMEOUT`].
    pub async fn frame(&mut self) -> Value {
        match self.frame_within(FRAME_TIMEOUT).await {
            Some(frame) => frame,
            None => panic!("no frame within {FRAME_TIMEOUT:?}"),
        }
    }

    /// The next JSON text frame, if one comes within `wait`.
    pub async fn frame_within(&mut self, wait: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let next = tokio::time::timeout_at(deadline, self.socket.next())
                .await
                .ok()?;
            match next {
                Some(Ok(Message::Text(text))) => {
                    return Some(serde_json::from_str(&text).expect("frames are JSON"))
                }
                Some(Ok(Message::Close(frame))) => panic!("closed by the server: {frame:?}"),
                Some(Ok(_)) => continue,
                Some(Err(e)) => panic!("websocket failed: {e}"),
                None => panic!("websocket ended"),
            }
        }
    }

    /// The next frame of type `kind`, skipping others.
    pub async fn next_of(&mut self, kind: &str) -> Value {
        loop {
            let frame = self.frame().await;
            if frame["type"] == kind {
                return frame;
            }
        }
    }

    /// Every frame that arrives within `wait`.
    pub async fn frames_for(&mut self, wait: Duration) -> Vec<Value> {
        let deadline = tokio::time::Instant::now() + wait;
        let mut frames = Vec::new();
        while let Some(frame) = self
            .frame_within(deadline.saturating_duration_since(tokio::time::Instant::now()))
            .await
        {
            frames.push(frame);
        }
        frames
    }

    /// Frames until (and including) the first for which `last` holds.
    pub async fn frames_until(&mut self, last: impl Fn(&Value) -> bool) -> Vec<Value> {
        let mut frames = Vec::new();
        loop {
            let frame = self.frame().await;
            let done = last(&frame);
            frames.push(frame);
            if done {
                return frames;
            }
        }
    }

    pub async fn send_json(&mut self, frame: Value) {
        self.send_text(&frame.to_string()).await;
    }

    pub async fn send_text(&mut self, text: &str) {
        self.socket
            .send(Message::Text(text.into()))
            .await
            .expect("send a frame");
    }

    /// Closes from the client side and waits for the server's answer.
    pub async fn close(mut self) {
        let _ = self.socket.close(None).await;
        let _ = tokio::time::timeout(FRAME_TIMEOUT, async {
            while let Some(Ok(_)) = self.socket.next().await {}
        })
        .await;
    }

    /// Reads (and drops) frames until the server closes; answers the close code.
    pub async fn close_code(&mut self, wait: Duration) -> Option<u16> {
        close_code_of(&mut self.socket, wait).await
    }
}

/// Reads `socket` until the server's close frame; its code, or `None` if
/// the socket ended without one or `wait` passed.
pub async fn close_code_of(socket: &mut Socket, wait: Duration) -> Option<u16> {
    tokio::time::timeout(wait, async {
        while let Some(message) = socket.next().await {
            match message {
                Ok(Message::Close(Some(CloseFrame { code, .. }))) => return Some(u16::from(code)),
                Ok(Message::Close(None)) | Err(_) => return None,
                Ok(_) => continue,
            }
        }
        None
    })
    .await
    .ok()
    .flatten()
}

/// Frames of `kind` among `frames`.
pub fn of_kind<'a>(frames: &'a [Value], kind: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
    frames.iter().filter(move |f| f["type"] == kind)
}

/// The message ids of the `message.created` frames among `frames`, in order.
pub fn created_ids(frames: &[Value]) -> Vec<String> {
    of_kind(frames, "message.created")
        .map(|f| f["data"]["message"]["id"].as_str().expect("id").to_owned())
        .collect()
}

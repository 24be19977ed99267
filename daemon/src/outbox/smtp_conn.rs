//! Our own SMTP connections for `smtp://` (plain or STARTTLS): lettre's
//! protocol code over sockets we open with `TCP_NODELAY`.
//!
//! Why not lettre's pooled transport: it writes a message's body and its
//! closing `\r\n.\r\n` as two writes; with Nagle's algorithm on, the second
//! waits for the server to acknowledge the first, and servers delay that ACK
//! (40 ms on Linux) while they wait for the end of the data. One email per
//! connection then takes over 40 ms however fast the server is (18 emails/s
//! on one connection, measured). lettre offers no way to set the socket
//! option on its own sockets, but takes ours (`connect_with_transport`).
//! `smtps://` (TLS from the first byte) still uses lettre's transport.
//!
//! At most `MAX_CONNECTIONS` are open at once (servers limit connections
//! per client; more deliveries wait for one), and idle ones are kept for
//! reuse. A reused
//! connection that turns out to be closed by the server is dropped and the
//! email is sent once on a fresh one.

use std::time::Duration;

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use tokio::sync::{Mutex, Semaphore};

use super::smtp::classify;
use super::transport::SendError;

/// Connections open at once, busy or idle.
const MAX_CONNECTIONS: usize = 8;

/// What `smtp://…?tls=` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartTls {
    /// When the server offers it (the default).
    Opportunistic,
    /// Always; a server without it is an error.
    Required,
    /// Never (`tls=none`).
    Never,
}

pub struct SmtpConnections {
    host: String,
    port: u16,
    starttls: StartTls,
    credentials: Option<Credentials>,
    connect_timeout: Duration,
    idle: Mutex<Vec<AsyncSmtpConnection>>,
    /// A permit per connection in use.
    in_use: Semaphore,
}

impl SmtpConnections {
    pub fn new(
        host: String,
        port: u16,
        starttls: StartTls,
        credentials: Option<Credentials>,
        connect_timeout: Duration,
    ) -> Self {
        SmtpConnections {
            host,
            port,
            starttls,
            credentials,
            connect_timeout,
            idle: Mutex::new(Vec::new()),
            in_use: Semaphore::new(MAX_CONNECTIONS),
        }
    }

    /// Sends `email` (its formatted bytes) to the envelope's recipients.
    pub async fn send(&self, envelope: &Envelope, email: &[u8]) -> Result<(), SendError> {
        let _permit = self.in_use.acquire().await.expect("never closed");
        let reused = self.idle.lock().await.pop();
        if let Some(mut conn) = reused {
            match conn.send(envelope, email).await {
                Ok(_) => return self.keep(conn).await,
                // The server answered: the connection is fine, the email is not.
                Err(e) if e.is_response() => {
                    self.keep_if_sound(conn).await;
                    return Err(classify(e));
                }
                // Closed while idle (a server timeout): try a fresh connection.
                Err(_) => conn.abort().await,
            }
        }
        let mut conn = self.connect().await?;
        let sent = conn.send(envelope, email).await;
        match sent {
            Ok(_) => self.keep(conn).await,
            Err(e) => {
                self.keep_if_sound(conn).await;
                Err(classify(e))
            }
        }
    }

    async fn keep(&self, conn: AsyncSmtpConnection) -> Result<(), SendError> {
        self.keep_if_sound(conn).await;
        Ok(())
    }

    async fn keep_if_sound(&self, mut conn: AsyncSmtpConnection) {
        let mut idle = self.idle.lock().await;
        if conn.has_broken() || idle.len() >= MAX_CONNECTIONS {
            drop(idle);
            conn.abort().await;
        } else {
            idle.push(conn);
        }
    }

    /// A new connection: TCP with `TCP_NODELAY`, EHLO, STARTTLS as asked,
    /// AUTH when credentials are set.
    async fn connect(&self) -> Result<AsyncSmtpConnection, SendError> {
        let server = format!("{}:{}", self.host, self.port);
        let connecting = tokio::net::TcpStream::connect((self.host.as_str(), self.port));
        let tcp = tokio::time::timeout(self.connect_timeout, connecting)
            .await
            .map_err(|_| SendError::transient(format!("smtp: connecting to {server} timed out")))?
            .map_err(|e| SendError::transient(format!("smtp: connecting to {server}: {e}")))?;
        tcp.set_nodelay(true)
            .map_err(|e| SendError::transient(format!("smtp: TCP_NODELAY: {e}")))?;
        let hello = ClientId::default();
        let mut conn = AsyncSmtpConnection::connect_with_transport(Box::new(tcp), &hello)
            .await
            .map_err(classify)?;
        let offered = conn.can_starttls();
        let wanted = match self.starttls {
            StartTls::Required => true,
            StartTls::Opportunistic => offered,
            StartTls::Never => false,
        };
        if wanted {
            let tls = TlsParameters::new(self.host.clone()).map_err(classify)?;
            conn.starttls(tls, &hello).await.map_err(classify)?;
        }
        if let Some(credentials) = &self.credentials {
            conn.auth(&[Mechanism::Plain, Mechanism::Login], credentials)
                .await
                .map_err(classify)?;
        }
        Ok(conn)
    }
}

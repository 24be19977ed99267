//! The outbox's delivery worker: takes queued `sms` and `email` messages in
//! order, hands each to its transport, and records `sent` or a retry or
//! `failed` (each a `message.updated` event, written by the store).
//!
//! The queue is the store's `outbox` table, so it survives restarts: what
//! was queued or in flight when the daemon stopped is delivered after it
//! starts again. The worker is one task that scans the queue when woken (a
//! message queued, a delivery finished) or when the next backoff is due, and
//! runs up to `outbox_concurrency` deliveries at once; the `delivering` set
//! keeps a message from being taken twice while its attempt runs. Blocking
//! work (store transactions, the log file) runs on blocking threads.

mod log;
mod media;
mod policy;
pub mod signatures;
mod sms;
mod smtp;
mod smtp_conn;
mod transport;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use commcenter::wire::Channel;
use commcenter::{Id, Timestamp};
use commcenter_store::{DeliveryOutcome, OutboxJob, Store};
use tokio::sync::{watch, Notify, Semaphore};

pub use log::{LogTransport, OUTBOX_LOG_FILE};
pub use media::{MediaLinks, MEDIA_KEY_FILE};
pub use sms::SmsTransport;
pub use smtp::SmtpTransport;
pub use transport::{Outgoing, SendError};

use crate::files::Files;
use crate::settings::Settings;

/// How many queued messages one scan reads.
const SCAN_BATCH: usize = 1024;
/// The longest the worker sleeps without a wake-up (a safety net: every
/// queueing wakes it through the event stream).
const IDLE_RESCAN: Duration = Duration::from_secs(5);

/// The longest an inbound SMS's media fetch may take without a provider
/// configured (with one, its client's timeout applies).
const MEDIA_FETCH_TIMEOUT: Duration = Duration::from_secs(30);

/// Where emails go.
#[derive(Clone)]
pub enum EmailTransport {
    Log(LogTransport),
    Smtp(SmtpTransport),
}

/// Where texts go.
#[derive(Clone)]
pub enum SmsRoute {
    Log(LogTransport),
    Http(SmsTransport),
}

/// The transports in force; cheap to clone.
#[derive(Clone)]
pub struct Transports {
    pub email: EmailTransport,
    pub sms: SmsRoute,
    /// Signs the links SMS attachments go out as.
    pub media: MediaLinks,
}

impl Transports {
    /// From the settings: SMTP and the SMS provider where configured, the
    /// `log` transport otherwise.
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Transports> {
        let o = &settings.outbox;
        let log = LogTransport::new(settings.data_dir.join(OUTBOX_LOG_FILE));
        let email = match &o.smtp_url {
            Some(url) => {
                EmailTransport::Smtp(SmtpTransport::new(url, &o.email_from, o.outbox_timeout)?)
            }
            None => EmailTransport::Log(log.clone()),
        };
        let sms = match &o.sms_url {
            Some(url) => SmsRoute::Http(SmsTransport::new(
                url,
                o.sms_account_sid.as_deref(),
                o.sms_auth_token.as_deref(),
                o.sms_from.as_deref(),
                o.outbox_timeout,
            )?),
            None => SmsRoute::Log(log),
        };
        let base_url = settings
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", settings.listen));
        let media = MediaLinks::open(&settings.data_dir, base_url, o.media_link_valid_for)?;
        Ok(Transports { email, sms, media })
    }

    /// Fetches an inbound SMS's media: with the provider's credentials when
    /// one is configured.
    pub async fn fetch_media(
        &self,
        url: &str,
        limit: u64,
    ) -> Result<(Vec<u8>, Option<String>), String> {
        match &self.sms {
            SmsRoute::Http(http) => http.fetch_media(url, limit).await,
            SmsRoute::Log(_) => {
                let client = reqwest::Client::builder()
                    .timeout(MEDIA_FETCH_TIMEOUT)
                    .build()
                    .map_err(|e| e.to_string())?;
                sms::fetch_limited(client.get(url), limit).await
            }
        }
    }

    /// For the start line: which transport each channel uses.
    pub fn describe(&self) -> String {
        let email = match &self.email {
            EmailTransport::Log(l) => format!("log ({})", l.path().display()),
            EmailTransport::Smtp(_) => "smtp".to_owned(),
        };
        let sms = match &self.sms {
            SmsRoute::Log(l) => format!("log ({})", l.path().display()),
            SmsRoute::Http(_) => "http provider".to_owned(),
        };
        format!("email via {email}, sms via {sms}")
    }

    async fn send(&self, channel: Channel, message: &Outgoing) -> Result<String, SendError> {
        match (channel, &self.email, &self.sms) {
            (Channel::Email, EmailTransport::Smtp(smtp), _) => smtp.send(message).await,
            (Channel::Email, EmailTransport::Log(log), _) => log.send(channel, message).await,
            (Channel::Sms, _, SmsRoute::Http(http)) => {
                let now = Timestamp::now();
                let links: Vec<String> = message
                    .attachments
                    .iter()
                    .map(|a| self.media.url(a.file_id, now))
                    .collect();
                http.send(message, &links).await
            }
            (Channel::Sms, _, SmsRoute::Log(log)) => log.send(channel, message).await,
            (other, _, _) => Err(SendError::permanent(format!(
                "the outbox does not send {} messages",
                other.as_str()
            ))),
        }
    }
}

/// The delivery worker; cheap to clone.
#[derive(Clone)]
pub struct Outbox {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    files: Files,
    transports: Transports,
    settings: Arc<Settings>,
    permits: Arc<Semaphore>,
    delivering: Mutex<Delivering>,
    wake: Notify,
}

impl Outbox {
    pub fn new(
        store: Store,
        files: Files,
        transports: Transports,
        settings: Arc<Settings>,
    ) -> Self {
        let permits = Arc::new(Semaphore::new(settings.outbox.outbox_concurrency));
        Outbox {
            inner: Arc::new(Inner {
                store,
                files,
                transports,
                settings,
                permits,
                delivering: Mutex::new(Delivering::default()),
                wake: Notify::new(),
            }),
        }
    }

    pub fn transports(&self) -> &Transports {
        &self.inner.transports
    }

    /// Starts the worker; it stops when `stop` turns true, leaving attempts
    /// in progress to finish or be retried after the next start.
    pub fn start(&self, stop: watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
        let waker = self.clone();
        let events = self.inner.store.subscribe();
        tokio::spawn(waker.wake_on_queued(events, stop.clone()));
        tokio::spawn(self.clone().run(stop))
    }

    /// Wakes the worker whenever a committed event shows a queued message.
    async fn wake_on_queued(
        self,
        mut events: tokio::sync::broadcast::Receiver<Arc<commcenter_store::StoredEvent>>,
        mut stop: watch::Receiver<bool>,
    ) {
        loop {
            let event = tokio::select! {
                _ = stop.wait_for(|s| *s) => return,
                event = events.recv() => event,
            };
            match event {
                Ok(event) if !shows_queued_message(&event) => continue,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                // A queued message, or events missed (lagged): scan.
                _ => self.inner.wake.notify_one(),
            }
        }
    }

    async fn run(self, mut stop: watch::Receiver<bool>) {
        loop {
            let next_due = match self.dispatch_due(&mut stop).await {
                Ok(next) => next,
                Err(error) => {
                    tracing::warn!(%error, "outbox scan failed");
                    Some(Timestamp::from_millis(Timestamp::now().millis() + 1000))
                }
            };
            if *stop.borrow() {
                break;
            }
            let sleep = next_due.map_or(IDLE_RESCAN, |at| {
                Duration::from_millis((at.millis() - Timestamp::now().millis()).max(0) as u64)
                    .min(IDLE_RESCAN)
            });
            tokio::select! {
                _ = stop.wait_for(|s| *s) => break,
                _ = self.inner.wake.notified() => {}
                _ = tokio::time::sleep(sleep) => {}
            }
        }
        self.drain().await;
    }

    /// Waits (up to the shutdown timeout) for the attempts in progress, so
    /// that their outcomes are recorded before the store closes; one cut
    /// short stays queued and is delivered again after the next start.
    async fn drain(&self) {
        let all = u32::try_from(self.inner.settings.outbox.outbox_concurrency).unwrap_or(u32::MAX);
        let wait = self.inner.settings.shutdown_timeout;
        if tokio::time::timeout(wait, self.inner.permits.acquire_many(all))
            .await
            .is_err()
        {
            tracing::warn!("shutdown deadline passed with outbox deliveries in progress");
        }
    }

    /// Starts an attempt for every due message not already being attempted,
    /// oldest first, until `stop`; answers when the earliest one waiting is due.
    async fn dispatch_due(
        &self,
        stop: &mut watch::Receiver<bool>,
    ) -> Result<Option<Timestamp>, commcenter_store::StoreError> {
        // Before the read: an attempt that finishes after this point may be
        // stale in what the read returns (see `Delivering`).
        self.lock_delivering().finished.clear();
        let jobs = self.inner.store.read(|v| v.outbox(SCAN_BATCH)).await?;
        let mut next_due: Option<Timestamp> = None;
        for job in jobs {
            if job.not_before > Timestamp::now() {
                next_due = Some(next_due.map_or(job.not_before, |n| n.min(job.not_before)));
                continue;
            }
            if self.lock_delivering().busy_or_stale(job.message_id) {
                continue;
            }
            let permit = tokio::select! {
                _ = stop.wait_for(|s| *s) => return Ok(None),
                permit = self.inner.permits.clone().acquire_owned() => {
                    permit.expect("the semaphore is never closed")
                }
            };
            self.lock_delivering().running.insert(job.message_id);
            let outbox = self.clone();
            tokio::spawn(async move {
                outbox.attempt(job).await;
                drop(permit);
            });
        }
        Ok(next_due)
    }

    /// One delivery attempt and its record.
    async fn attempt(&self, job: OutboxJob) {
        let id = job.message_id;
        let outcome = self.deliver(&job).await;
        self.record(id, outcome).await;
        self.lock_delivering().finish(id);
        self.inner.wake.notify_one();
    }

    /// Records an attempt's outcome, trying again while the store cannot
    /// write (a full disk): the message stays marked as being delivered
    /// meanwhile, so it is not sent again because its record is late. Only
    /// when the store closes (shutdown) is the outcome given up; the message
    /// is then still queued and goes out again after the next start.
    async fn record(&self, id: Id, outcome: DeliveryOutcome) {
        let mut pause = Duration::from_millis(100);
        loop {
            let attempt = outcome.clone();
            let written = self
                .inner
                .store
                .write(move |tx| tx.record_delivery(id, attempt))
                .await;
            match written {
                Ok(_) => return,
                Err(commcenter_store::StoreError::Closed) => {
                    tracing::warn!(message_id = %id, "store closed before a delivery was recorded; it will be sent again");
                    return;
                }
                Err(error) if error.is_storage_failure() => {
                    tracing::warn!(message_id = %id, %error, "cannot record a delivery attempt yet");
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_secs(5));
                }
                // Not the disk: trying again would fail the same way.
                Err(error) => {
                    tracing::error!(message_id = %id, %error, "cannot record a delivery attempt");
                    return;
                }
            }
        }
    }

    async fn deliver(&self, job: &OutboxJob) -> DeliveryOutcome {
        let settings = &self.inner.settings.outbox;
        let sent = async {
            // Email carries the bytes; SMS sends links to them.
            let with_bytes = job.channel == Channel::Email;
            let outgoing = Outgoing::load(job, &self.inner.files, with_bytes).await?;
            tokio::time::timeout(
                settings.outbox_timeout,
                self.inner.transports.send(job.channel, &outgoing),
            )
            .await
            .unwrap_or_else(|_| Err(SendError::transient("the delivery timed out")))
        }
        .await;
        match sent {
            Ok(provider_id) => DeliveryOutcome::Sent { provider_id },
            Err(error) => {
                tracing::info!(message_id = %job.message_id, %error, "delivery attempt failed");
                policy::after_failure(
                    settings,
                    error,
                    job.tries + 1,
                    job.queued_at,
                    Timestamp::now(),
                )
            }
        }
    }

    fn lock_delivering(&self) -> std::sync::MutexGuard<'_, Delivering> {
        self.inner
            .delivering
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }
}

/// The attempts the worker has under way. A scan reads the queue on a
/// blocking thread while attempts finish, so what it read about a message
/// whose attempt finished meanwhile may be stale (still queued though just
/// sent): such a message is skipped until the next scan, which reads what
/// the attempt recorded. Without this, a message could be sent twice.
#[derive(Default)]
struct Delivering {
    /// Messages whose attempt is running.
    running: HashSet<Id>,
    /// Messages whose attempt finished since the current scan began.
    finished: HashSet<Id>,
}

impl Delivering {
    fn busy_or_stale(&self, id: Id) -> bool {
        self.running.contains(&id) || self.finished.contains(&id)
    }

    fn finish(&mut self, id: Id) {
        self.running.remove(&id);
        self.finished.insert(id);
    }
}

/// Whether an event may show a message waiting in the outbox (new or
/// retried). Inside the frame's JSON, text from users has its quotes
/// escaped, so `"status":"queued"` appears unescaped only as a message's
/// status; a false positive would cost one scan, nothing more.
fn shows_queued_message(event: &commcenter_store::StoredEvent) -> bool {
    event.frame.contains(r#""status":"queued""#)
}

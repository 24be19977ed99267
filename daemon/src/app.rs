//! The daemon's shared state, handed to every handler.

use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use commcenter_store::{Store, StoreOptions};

use crate::files::Files;
use crate::metrics::Metrics;
use crate::outbox::{Outbox, Transports};
use crate::realtime::Hub;
use crate::settings::Settings;

/// What every handler needs; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub settings: Arc<Settings>,
    /// The WebSocket hub: connections, presence, fan-out of events.
    pub realtime: Hub,
    /// File storage, image workers and the upload pipeline.
    pub files: Files,
    /// The delivery worker of `sms` and `email` messages and its transports.
    pub outbox: Outbox,
    /// Requests being served, per user (see `limits`).
    pub in_flight: crate::limits::InFlight,
    /// Failed authentications per client address (`auth_throttle`).
    pub auth_throttle: crate::auth_throttle::AuthThrottle,
    /// What `/metrics` exports.
    pub metrics: Arc<Metrics>,
    /// False while starting and once draining for shutdown (`/readyz` 503).
    ready: Arc<AtomicBool>,
    /// The backup running, if one is (one at a time).
    pub backups: crate::backup::Backups,
}

/// The outcome of opening the data dir.
pub struct Opened {
    pub state: AppState,
    /// A freshly generated admin secret, to be printed once.
    pub new_admin_secret: Option<String>,
}

/// The store's file inside the data dir.
pub const STORE_FILE: &str = "commcenter.redb";
/// Where a generated admin token is written (mode 0600).
pub const ADMIN_TOKEN_FILE: &str = "admin.token";

impl AppState {
    /// Opens the data dir: the store, the bootstrap admin, the demo data, the
    /// file storage (sweeping blobs no file uses).
    pub async fn open(settings: Settings) -> anyhow::Result<Opened> {
        create_private(&settings.data_dir)
            .map_err(|e| anyhow::anyhow!("data dir {}: {e}", settings.data_dir.display()))?;
        let store = open_store(&settings.data_dir.join(STORE_FILE)).await?;
        let new_admin_secret = bootstrap_admin(&store, &settings).await?;
        if settings.demo {
            crate::demo::load_if_empty(&store).await?;
        }
        let realtime = Hub::new(store.clone(), settings.realtime.clone());
        let files = Files::open(&settings.files).await?;
        // Before the listener exists, so no upload is in flight: see
        // `Files::sweep_unused_blobs`.
        files.sweep_unused_blobs(&store).await;
        let transports = Transports::from_settings(&settings)?;
        let settings = Arc::new(settings);
        let outbox = Outbox::new(store.clone(), files.clone(), transports, settings.clone());
        let auth_throttle = crate::auth_throttle::AuthThrottle::new(&settings.limits);
        let metrics = Arc::new(Metrics::new(&crate::metrics::Parts {
            store: &store,
            realtime: realtime.metrics(),
            file_errors: files.storage_errors(),
            auth_throttle: &auth_throttle,
        }));
        let state = AppState {
            auth_throttle,
            metrics,
            outbox,
            realtime,
            files,
            store,
            in_flight: Default::default(),
            settings,
            ready: Arc::new(AtomicBool::new(false)),
            backups: Default::default(),
        };
        Ok(Opened {
            state,
            new_admin_secret,
        })
    }

    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Acquire)
    }

    pub fn set_ready(&self, ready: bool) {
        self.ready.store(ready, Ordering::Release);
    }
}

/// Creates the data dir (mode 0700) and an empty store file (0600) where
/// they are missing: both hold every customer's data. Existing ones are
/// left as they are (`commcenterd doctor` reports their modes).
fn create_private(data_dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(data_dir)?;
    // redb initialises an empty file as a new store.
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(data_dir.join(STORE_FILE))
    {
        Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => Err(e),
        _ => Ok(()),
    }
}

async fn open_store(path: &Path) -> anyhow::Result<Store> {
    let path = path.to_owned();
    let display = path.display().to_string();
    tokio::task::spawn_blocking(move || Store::open(&path, &StoreOptions::default()))
        .await?
        .map_err(|e| anyhow::anyhow!("store {display}: {e}"))
}

/// On an empty store, creates the admin. Its secret is
/// `COMMCENTER_ADMIN_TOKEN` or a fresh one written to `admin.token`; the
/// fresh one is returned so that it can be printed once.
async fn bootstrap_admin(store: &Store, settings: &Settings) -> anyhow::Result<Option<String>> {
    let (secret, generated) = match &settings.admin_token {
        Some(t) => (t.clone(), false),
        None => (commcenter::token::generate_secret(), true),
    };
    let for_store = secret.clone();
    let created = store
        .write(move |tx| tx.bootstrap_admin(&for_store))
        .await?;
    if created.is_none() || !generated {
        return Ok(None);
    }
    write_secret_file(&settings.data_dir.join(ADMIN_TOKEN_FILE), &secret)?;
    Ok(Some(secret))
}

fn write_secret_file(path: &Path, secret: &str) -> anyhow::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    writeln!(file, "{secret}")?;
    file.sync_all()?;
    Ok(())
}

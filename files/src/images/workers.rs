//! Running image work off the async runtime, a bounded number at a time.

use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::Semaphore;

use super::{Dimensions, ImagePolicy, ProcessedImage, Thumbnail};
use crate::{FileError, FileKind};

/// Runs image work on blocking threads, at most `max_concurrent` jobs at once (the
/// others wait their turn asynchronously). Cheap to clone; clones share the cap.
///
/// A job keeps its permit until it finishes even if the caller stops waiting, so the
/// cap bounds CPU and memory actually in use, not just callers.
#[derive(Debug, Clone)]
pub struct ImageWorkers {
    permits: Arc<Semaphore>,
    policy: Arc<ImagePolicy>,
}

impl ImageWorkers {
    /// `max_concurrent` is clamped to at least 1; the number of cores is a good value.
    pub fn new(policy: ImagePolicy, max_concurrent: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(max_concurrent.max(1))),
            policy: Arc::new(policy),
        }
    }

    /// The policy every job runs under.
    pub fn policy(&self) -> &ImagePolicy {
        &self.policy
    }

    /// [`super::process`] on a blocking thread.
    pub async fn process(
        &self,
        source: PathBuf,
        kind: FileKind,
        size: u64,
        tmp_dir: PathBuf,
    ) -> Result<Option<ProcessedImage>, FileError> {
        self.run(move |policy| super::process(&source, kind, size, policy, &tmp_dir))
            .await
    }

    /// [`super::thumbnail`] on a blocking thread.
    pub async fn thumbnail(
        &self,
        source: PathBuf,
        kind: FileKind,
    ) -> Result<(Dimensions, Thumbnail), FileError> {
        self.run(move |policy| super::thumbnail(&source, kind, policy))
            .await
    }

    /// Waits for a permit, then runs `job` on a blocking thread holding it.
    pub async fn run<T, F>(&self, job: F) -> Result<T, FileError>
    where
        T: Send + 'static,
        F: FnOnce(&ImagePolicy) -> Result<T, FileError> + Send + 'static,
    {
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .expect("the semaphore is never closed");
        let policy = self.policy.clone();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            job(&policy)
        })
        .await?
    }
}

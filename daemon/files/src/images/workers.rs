//! Running image work off the async runtime, a bounded number at a time, within one
//! memory budget.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::sync::Semaphore;

use super::plan::Plan;
use super::{Dimensions, ImagePolicy, MemoryBudget, ProcessedImage, Thumbnail};
use crate::{FileError, FileKind};

/// Runs image work on blocking threads, at most `max_concurrent` jobs at once, and
/// with at most `policy.memory_budget` bytes reserved by running jobs (the others wait
/// their turn asynchronously). Cheap to clone; clones share the cap and the budget.
///
/// A job keeps its permit and its reservation until it finishes even if the caller
/// stops waiting, so both bound CPU and memory actually in use, not just callers.
#[derive(Debug, Clone)]
pub struct ImageWorkers {
    permits: Arc<Semaphore>,
    budget: MemoryBudget,
    policy: Arc<ImagePolicy>,
}

impl ImageWorkers {
    /// `max_concurrent` is clamped to at least 1; the number of cores is a good value.
    pub fn new(policy: ImagePolicy, max_concurrent: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(max_concurrent.max(1))),
            budget: MemoryBudget::new(policy.memory_budget),
            policy: Arc::new(policy),
        }
    }

    /// The policy every job runs under.
    pub fn policy(&self) -> &ImagePolicy {
        &self.policy
    }

    /// The memory budget the jobs share.
    pub fn budget(&self) -> &MemoryBudget {
        &self.budget
    }

    /// [`super::process`] on a blocking thread, under the budget.
    pub async fn process(
        &self,
        source: PathBuf,
        kind: FileKind,
        size: u64,
        tmp_dir: PathBuf,
    ) -> Result<Option<ProcessedImage>, FileError> {
        if !kind.is_decodable_image() {
            return Ok(None);
        }
        let plan = self.plan(&source, kind, size).await?;
        let memory = plan.memory(&self.policy);
        self.run(memory, move |policy| {
            super::process_planned(&source, &plan, policy, &tmp_dir)
        })
        .await
        .map(Some)
    }

    /// [`super::thumbnail`] on a blocking thread, under the budget.
    pub async fn thumbnail(
        &self,
        source: PathBuf,
        kind: FileKind,
    ) -> Result<(Dimensions, Thumbnail), FileError> {
        let plan = self.plan(&source, kind, 0).await?;
        let memory = plan.memory(&self.policy);
        self.run(memory, move |policy| {
            let bytes = std::fs::read(&source)?;
            super::thumbnail::from_bytes(&bytes, &plan, policy)
        })
        .await
    }

    /// Reads the image's header on a blocking thread (a few KiB of I/O; no permit or
    /// reservation needed).
    async fn plan(&self, source: &Path, kind: FileKind, size: u64) -> Result<Plan, FileError> {
        let (source, policy) = (source.to_owned(), self.policy.clone());
        tokio::task::spawn_blocking(move || Plan::read(&source, kind, size, &policy)).await?
    }

    /// Reserves `memory` bytes from the budget (waiting while it is taken; refused at
    /// once if it is more than the whole budget), then waits for a permit, then runs
    /// `job` on a blocking thread holding both.
    pub async fn run<T, F>(&self, memory: u64, job: F) -> Result<T, FileError>
    where
        T: Send + 'static,
        F: FnOnce(&ImagePolicy) -> Result<T, FileError> + Send + 'static,
    {
        let reservation = self.budget.reserve(memory).await?;
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .expect("the semaphore is never closed");
        let policy = self.policy.clone();
        tokio::task::spawn_blocking(move || {
            let _held = (permit, reservation);
            job(&policy)
        })
        .await?
    }
}

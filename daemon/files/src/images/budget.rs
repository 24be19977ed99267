//! One memory budget for all image work of the process.
//!
//! Before an image is decoded, the memory its work will need (estimated from its
//! header, see `plan`) is reserved here; the reservation is held until the work is
//! done. What would take the reservations past the budget waits, asynchronously and
//! first come first served, until others release theirs. One image that needs more
//! than the whole budget could never run and is refused at once (`Unprocessable`).
//!
//! So the pixels of all images in work at once stay within the budget, however many
//! uploads arrive together.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::FileError;

/// The semaphore counts KiB, so that a `u32` reservation can cover 4 TiB.
const UNIT: u64 = 1024;

/// A budget of bytes shared by clones.
#[derive(Debug, Clone)]
pub struct MemoryBudget {
    units: Arc<Semaphore>,
    total_units: u32,
}

/// Bytes reserved from a [`MemoryBudget`]; released on drop.
#[derive(Debug)]
pub struct Reservation {
    _units: OwnedSemaphorePermit,
    bytes: u64,
}

impl Reservation {
    /// The bytes reserved (rounded up to whole KiB).
    pub fn bytes(&self) -> u64 {
        self.bytes
    }
}

impl MemoryBudget {
    /// A budget of `bytes` (rounded up to a whole KiB, at least 1 KiB, at most 4 TiB).
    pub fn new(bytes: u64) -> Self {
        let total_units = units_of(bytes).max(1);
        Self {
            units: Arc::new(Semaphore::new(total_units as usize)),
            total_units,
        }
    }

    /// The whole budget, in bytes.
    pub fn total(&self) -> u64 {
        u64::from(self.total_units) * UNIT
    }

    /// Bytes not reserved right now.
    pub fn available(&self) -> u64 {
        self.units.available_permits() as u64 * UNIT
    }

    /// Reserves `bytes`, waiting until that much is free. `Unprocessable` at once if
    /// `bytes` is more than the whole budget.
    pub async fn reserve(&self, bytes: u64) -> Result<Reservation, FileError> {
        let units = self.units_within_budget(bytes)?;
        let permit = self
            .units
            .clone()
            .acquire_many_owned(units)
            .await
            .expect("the semaphore is never closed");
        Ok(Reservation {
            _units: permit,
            bytes: u64::from(units) * UNIT,
        })
    }

    fn units_within_budget(&self, bytes: u64) -> Result<u32, FileError> {
        let units = units_of(bytes);
        if units > self.total_units {
            return Err(FileError::Unprocessable(format!(
                "the image needs about {} MiB of memory to process; at most {} MiB is allowed",
                bytes.div_ceil(1024 * 1024),
                self.total() / (1024 * 1024)
            )));
        }
        Ok(units)
    }
}

/// `bytes` in whole KiB, saturating at `u32::MAX` units.
fn units_of(bytes: u64) -> u32 {
    u32::try_from(bytes.div_ceil(UNIT)).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    const MIB: u64 = 1024 * 1024;

    #[tokio::test]
    async fn reservations_wait_until_memory_is_released() {
        let budget = MemoryBudget::new(100 * MIB);
        let first = budget.reserve(60 * MIB).await.unwrap();
        assert_eq!(budget.available(), 40 * MIB);
        let waiting = tokio::spawn({
            let budget = budget.clone();
            async move { budget.reserve(60 * MIB).await.map(|r| r.bytes()) }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!waiting.is_finished(), "60 + 60 MiB is over the budget");
        drop(first);
        let bytes = tokio::time::timeout(Duration::from_secs(5), waiting)
            .await
            .expect("runs once the first is released")
            .unwrap()
            .unwrap();
        assert_eq!(bytes, 60 * MIB);
        assert_eq!(budget.available(), 100 * MIB);
    }

    #[tokio::test]
    async fn more_than_the_whole_budget_is_refused_at_once() {
        let budget = MemoryBudget::new(100 * MIB);
        let err = budget.reserve(100 * MIB + 1).await.unwrap_err();
        assert!(matches!(err, FileError::Unprocessable(_)), "{err:?}");
        assert!(err.to_string().contains("at most 100 MiB"), "{err}");
        assert!(
            budget.reserve(100 * MIB).await.is_ok(),
            "exactly the budget fits"
        );
    }
}

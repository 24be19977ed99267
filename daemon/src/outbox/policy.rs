//! The retry policy: which errors are retried and when.

use std::time::Duration;

use commcenter::Timestamp;
use commcenter_store::DeliveryOutcome;

use super::transport::SendError;
use crate::settings::OutboxSettings;

/// What to record after an attempt that failed with `error`, the attempt
/// being number `tries` (1-based) since the message was queued at `queued_at`.
pub fn after_failure(
    settings: &OutboxSettings,
    error: SendError,
    tries: u32,
    queued_at: Timestamp,
    now: Timestamp,
) -> DeliveryOutcome {
    if !error.transient {
        return DeliveryOutcome::Failed {
            error: error.message,
        };
    }
    let age = Duration::from_millis(now.millis().saturating_sub(queued_at.millis()) as u64);
    if tries >= settings.outbox_max_attempts || age >= settings.outbox_max_age {
        return DeliveryOutcome::Failed {
            error: format!("gave up after {tries} attempts: {}", error.message),
        };
    }
    let wait =
        backoff(settings, tries, rand::random::<f64>()).max(error.retry_after.unwrap_or_default());
    DeliveryOutcome::Retry {
        error: error.message,
        not_before: Timestamp::from_millis(now.millis() + wait.as_millis() as i64),
    }
}

/// Exponential backoff with full jitter: uniform in [0, ceiling), the
/// ceiling `backoff_base × 2^(tries-1)` capped at `backoff_max`; `unit` is a
/// uniform sample in [0, 1). Full jitter spreads the retries of many
/// messages that failed together (a provider outage) instead of sending
/// them back in one burst.
pub fn backoff(settings: &OutboxSettings, tries: u32, unit: f64) -> Duration {
    let doublings = tries.saturating_sub(1).min(30);
    let ceiling = settings
        .backoff_base
        .saturating_mul(1u32 << doublings)
        .min(settings.backoff_max);
    ceiling.mul_f64(unit.clamp(0.0, 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Settings;

    fn settings() -> OutboxSettings {
        Settings::for_data_dir(std::path::Path::new("/d")).outbox
    }

    #[test]
    fn the_backoff_ceiling_doubles_up_to_the_maximum() {
        let s = settings();
        assert_eq!(backoff(&s, 1, 1.0), s.backoff_base);
        assert_eq!(backoff(&s, 3, 1.0), s.backoff_base * 4);
        assert_eq!(backoff(&s, 40, 1.0), s.backoff_max);
        assert_eq!(backoff(&s, 3, 0.0), Duration::ZERO);
    }

    #[test]
    fn a_permanent_error_fails_at_once() {
        let now = Timestamp::now();
        let outcome = after_failure(&settings(), SendError::permanent("550 no"), 1, now, now);
        assert_eq!(
            outcome,
            DeliveryOutcome::Failed {
                error: "550 no".into()
            }
        );
    }

    #[test]
    fn a_transient_error_is_retried_no_sooner_than_retry_after() {
        let now = Timestamp::now();
        let mut error = SendError::transient("429");
        error.retry_after = Some(Duration::from_secs(3600));
        let DeliveryOutcome::Retry { not_before, .. } =
            after_failure(&settings(), error, 1, now, now)
        else {
            panic!("not retried");
        };
        assert!(not_before.millis() >= now.millis() + 3_600_000);
    }

    #[test]
    fn a_transient_error_fails_once_the_attempts_are_spent() {
        let s = settings();
        let now = Timestamp::now();
        let outcome = after_failure(
            &s,
            SendError::transient("421"),
            s.outbox_max_attempts,
            now,
            now,
        );
        assert!(matches!(outcome, DeliveryOutcome::Failed { error } if error.contains("421")));
    }
}

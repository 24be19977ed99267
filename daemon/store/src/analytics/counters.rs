//! The values of the per-hour rows: message counters and response-time
//! histograms, as compact little-endian bytes (they are rewritten on every
//! message, so they stay small and cheap to decode).

use std::collections::BTreeMap;

use commcenter::wire::{Channel, Direction};

use super::HOUR_MS;
use crate::StoreError;

/// What one counted message contributes, packed in a byte: bit 0 outbound,
/// bits 1–2 the channel, bit 3 has an attachment, bit 4 reached `read`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Facts(pub u8);

impl Facts {
    const OUTBOUND: u8 = 1;
    const ATTACHMENT: u8 = 1 << 3;
    const READ: u8 = 1 << 4;

    pub fn new(direction: Direction, channel: Channel, attachment: bool, read: bool) -> Facts {
        let mut bits = (channel_index(channel) as u8) << 1;
        if direction == Direction::Outbound {
            bits |= Self::OUTBOUND;
        }
        if attachment {
            bits |= Self::ATTACHMENT;
        }
        if read {
            bits |= Self::READ;
        }
        Facts(bits)
    }

    pub fn outbound(self) -> bool {
        self.0 & Self::OUTBOUND != 0
    }

    fn channel(self) -> usize {
        usize::from((self.0 >> 1) & 0b11)
    }

    fn attachment(self) -> bool {
        self.0 & Self::ATTACHMENT != 0
    }

    fn read(self) -> bool {
        self.0 & Self::READ != 0
    }

    pub fn with_read(self) -> Facts {
        Facts(self.0 | Self::READ)
    }

    /// An outbound `in_app` message: the denominator of the read rate.
    pub fn outbound_in_app(self) -> bool {
        self.outbound() && self.channel() == 0
    }
}

/// The index of a channel in the counters (stored: never reorder).
fn channel_index(channel: Channel) -> usize {
    match channel {
        Channel::InApp => 0,
        Channel::Sms => 1,
        Channel::Email => 2,
        Channel::Phone => 3,
    }
}

/// Counters of one scope and hour. Quarter-hour direction counts let a
/// daily series split an hour at a zone's :15, :30 or :45 midnight.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct HourCounters {
    /// `[direction][channel]`, direction 0 inbound, 1 outbound.
    pub messages: [[u32; 4]; 2],
    pub with_attachment: u32,
    pub outbound_in_app: u32,
    pub outbound_in_app_read: u32,
    /// `[direction][quarter of the hour]`.
    pub quarters: [[u32; 4]; 2],
}

const FIELDS: usize = 8 + 3 + 8;

impl HourCounters {
    /// Adds (`sign` 1) or takes away (`sign` -1) a message created at `ms`.
    pub fn add(&mut self, ms: i64, facts: Facts, sign: i32) {
        let direction = usize::from(facts.outbound());
        let bump = |n: &mut u32| *n = n.saturating_add_signed(sign);
        bump(&mut self.messages[direction][facts.channel()]);
        bump(&mut self.quarters[direction][quarter_of(ms)]);
        if facts.attachment() {
            bump(&mut self.with_attachment);
        }
        if facts.outbound_in_app() {
            bump(&mut self.outbound_in_app);
            if facts.read() {
                bump(&mut self.outbound_in_app_read);
            }
        }
    }

    pub fn merge(&mut self, other: &HourCounters) {
        for d in 0..2 {
            for i in 0..4 {
                self.messages[d][i] += other.messages[d][i];
                self.quarters[d][i] += other.quarters[d][i];
            }
        }
        self.with_attachment += other.with_attachment;
        self.outbound_in_app += other.outbound_in_app;
        self.outbound_in_app_read += other.outbound_in_app_read;
    }

    pub fn direction_total(&self, direction: usize) -> u64 {
        self.messages[direction].iter().map(|&n| u64::from(n)).sum()
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(FIELDS * 4);
        let flat = self.messages.iter().flatten();
        let singles = [
            self.with_attachment,
            self.outbound_in_app,
            self.outbound_in_app_read,
        ];
        for n in flat.chain(&singles).chain(self.quarters.iter().flatten()) {
            out.extend_from_slice(&n.to_le_bytes());
        }
        out
    }

    pub fn decode(bytes: &[u8]) -> Result<HourCounters, StoreError> {
        if bytes.len() != FIELDS * 4 {
            return Err(StoreError::Corrupt("analytics hour counters".into()));
        }
        let mut n = bytes
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]));
        let mut c = HourCounters::default();
        for slot in c.messages.iter_mut().flatten() {
            *slot = n.next().unwrap_or(0);
        }
        c.with_attachment = n.next().unwrap_or(0);
        c.outbound_in_app = n.next().unwrap_or(0);
        c.outbound_in_app_read = n.next().unwrap_or(0);
        for slot in c.quarters.iter_mut().flatten() {
            *slot = n.next().unwrap_or(0);
        }
        Ok(c)
    }
}

/// The quarter (0–3) of its UTC hour that `ms` falls in.
pub(crate) fn quarter_of(ms: i64) -> usize {
    (ms.rem_euclid(HOUR_MS) / (HOUR_MS / 4)) as usize
}

/// Response times of the turns that started in one scope and hour: exact
/// count, sum and unanswered count, and a log-scale histogram whose buckets
/// are 1% wide, so a median or p90 read from it is within 0.5% of the
/// exact one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct TurnHistogram {
    pub answered: u64,
    pub unanswered: u64,
    pub sum_ms: u64,
    /// Bucket → turns.
    pub buckets: BTreeMap<u16, u64>,
}

/// The growth factor of one histogram bucket.
const BUCKET_BASE: f64 = 1.01;
/// The last bucket: 1.01^4460 ms is beyond any `u64` of milliseconds.
const LAST_BUCKET: u16 = 4_460;

fn bucket_of(ms: u64) -> u16 {
    if ms == 0 {
        return 0;
    }
    let index = 1.0 + (ms as f64).ln() / BUCKET_BASE.ln();
    index.floor().min(f64::from(LAST_BUCKET)) as u16
}

/// The middle of a bucket (geometric), in milliseconds.
fn bucket_value_ms(bucket: u16) -> f64 {
    if bucket == 0 {
        return 0.0;
    }
    BUCKET_BASE.powf(f64::from(bucket) - 0.5)
}

impl TurnHistogram {
    pub fn add_answered(&mut self, ms: u64) {
        self.answered += 1;
        self.sum_ms += ms;
        *self.buckets.entry(bucket_of(ms)).or_default() += 1;
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(24 + self.buckets.len() * 10);
        out.extend_from_slice(&self.answered.to_le_bytes());
        out.extend_from_slice(&self.unanswered.to_le_bytes());
        out.extend_from_slice(&self.sum_ms.to_le_bytes());
        for (&bucket, &n) in &self.buckets {
            out.extend_from_slice(&bucket.to_le_bytes());
            out.extend_from_slice(&n.to_le_bytes());
        }
        out
    }

    pub fn decode(bytes: &[u8]) -> Result<TurnHistogram, StoreError> {
        let corrupt = || StoreError::Corrupt("analytics turn histogram".into());
        if bytes.len() < 24 || (bytes.len() - 24) % 10 != 0 {
            return Err(corrupt());
        }
        let u64_at = |i: usize| u64::from_le_bytes(bytes[i..i + 8].try_into().unwrap_or([0; 8]));
        let mut h = TurnHistogram {
            answered: u64_at(0),
            unanswered: u64_at(8),
            sum_ms: u64_at(16),
            buckets: BTreeMap::new(),
        };
        for pair in bytes[24..].chunks_exact(10) {
            let bucket = u16::from_le_bytes([pair[0], pair[1]]);
            let n = u64::from_le_bytes(pair[2..10].try_into().map_err(|_| corrupt())?);
            h.buckets.insert(bucket, n);
        }
        Ok(h)
    }
}

/// The sum of many hours' histograms, for a query: buckets in a dense
/// array, so that adding a row is a pass over its bytes (no map per row).
#[derive(Debug, Clone)]
pub(crate) struct TurnTotals {
    pub answered: u64,
    pub unanswered: u64,
    pub sum_ms: u64,
    buckets: Vec<u64>,
}

impl Default for TurnTotals {
    fn default() -> Self {
        TurnTotals {
            answered: 0,
            unanswered: 0,
            sum_ms: 0,
            buckets: vec![0; usize::from(LAST_BUCKET) + 1],
        }
    }
}

impl TurnTotals {
    pub fn add_answered(&mut self, ms: u64) {
        self.answered += 1;
        self.sum_ms += ms;
        self.buckets[usize::from(bucket_of(ms))] += 1;
    }

    /// Adds a stored `TurnHistogram` row without decoding it into a map.
    pub fn add_row(&mut self, bytes: &[u8]) -> Result<(), StoreError> {
        if bytes.len() < 24 || (bytes.len() - 24) % 10 != 0 {
            return Err(StoreError::Corrupt("analytics turn histogram".into()));
        }
        let u64_at = |i: usize| {
            let mut b = [0; 8];
            b.copy_from_slice(&bytes[i..i + 8]);
            u64::from_le_bytes(b)
        };
        self.answered += u64_at(0);
        self.unanswered += u64_at(8);
        self.sum_ms += u64_at(16);
        for at in (24..bytes.len()).step_by(10) {
            let bucket = u16::from_le_bytes([bytes[at], bytes[at + 1]]).min(LAST_BUCKET);
            self.buckets[usize::from(bucket)] += u64_at(at + 2);
        }
        Ok(())
    }

    pub fn mean_s(&self) -> Option<f64> {
        (self.answered > 0).then(|| self.sum_ms as f64 / self.answered as f64 / 1000.0)
    }

    /// The `p` quantile in seconds, interpolated between ranks as
    /// [`quantile_s`] does, with each sample at its bucket's middle.
    pub fn quantile_s(&self, p: f64) -> Option<f64> {
        if self.answered == 0 {
            return None;
        }
        let position = p * (self.answered - 1) as f64;
        let low = self.value_at_rank(position.floor() as u64);
        let high = self.value_at_rank(position.ceil() as u64);
        Some((low + (high - low) * position.fract()) / 1000.0)
    }

    fn value_at_rank(&self, rank: u64) -> f64 {
        let mut seen = 0;
        for (bucket, &n) in self.buckets.iter().enumerate() {
            seen += n;
            if rank < seen {
                return bucket_value_ms(bucket as u16);
            }
        }
        0.0
    }
}

/// The `p` quantile of sorted samples, interpolating linearly between the
/// two nearest ranks (the usual "type 7" definition: the median of an even
/// number of samples is the mean of the middle two).
pub(crate) fn quantile_s(sorted_ms: &[u64], p: f64) -> Option<f64> {
    let last = sorted_ms.len().checked_sub(1)?;
    let position = p * last as f64;
    let low = sorted_ms[position.floor() as usize] as f64;
    let high = sorted_ms[position.ceil() as usize] as f64;
    Some((low + (high - low) * position.fract()) / 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hour_counters_survive_encoding() {
        let mut c = HourCounters::default();
        c.add(
            HOUR_MS + 50 * 60_000,
            Facts::new(Direction::Outbound, Channel::InApp, true, true),
            1,
        );
        c.add(
            7,
            Facts::new(Direction::Inbound, Channel::Phone, false, false),
            1,
        );
        assert_eq!(HourCounters::decode(&c.encode()).unwrap(), c);
        assert_eq!(c.quarters[1][3], 1);
        assert_eq!(c.outbound_in_app_read, 1);
    }

    #[test]
    fn exact_quantiles_interpolate_between_ranks() {
        assert_eq!(
            quantile_s(&[10_000, 20_000, 30_000, 40_000], 0.5),
            Some(25.0)
        );
        assert_eq!(quantile_s(&[10_000, 20_000, 30_000], 0.9), Some(28.0));
        assert_eq!(quantile_s(&[], 0.5), None);
    }

    #[test]
    fn histogram_quantiles_are_within_half_a_percent() {
        let samples: Vec<u64> = (1..=5000).map(|i| i * 997).collect();
        let mut h = TurnHistogram::default();
        samples.iter().for_each(|&s| h.add_answered(s));
        let mut totals = TurnTotals::default();
        totals
            .add_row(&TurnHistogram::decode(&h.encode()).unwrap().encode())
            .unwrap();
        for p in [0.5, 0.9] {
            let exact = quantile_s(&samples, p).unwrap();
            let approx = totals.quantile_s(p).unwrap();
            assert!(
                (approx - exact).abs() / exact < 0.005,
                "{p}: {approx} vs {exact}"
            );
        }
        let mean = samples.iter().sum::<u64>() as f64 / 5000.0 / 1000.0;
        assert_eq!(totals.mean_s(), Some(mean));
    }
}

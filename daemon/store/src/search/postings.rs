//! Posting lists: for each token, the documents (messages) that hold it, in
//! blocks of up to [`BLOCK_POSTINGS`] kept in the `search_posting` table
//! under `(token, first doc of the block)`.
//!
//! A doc number is the message's creation time in milliseconds shifted left
//! by [`DOC_SHIFT`] bits plus a slot within that millisecond, so that doc
//! order is time order (newest first is a walk backwards) and a date range
//! is a doc range. Within a block, entries are sorted by doc and stored as
//! varint deltas followed by two bytes:
//!
//! - `flags`: channel (2 bits), outbound, private, has attachments, and the
//!   term frequency minus one (2 bits, capped at 4);
//! - `norm`: the document's length in tokens, quantised ([`norm_byte`]).

use commcenter::wire::{Channel, Direction};

/// Bits of a doc number below the millisecond: 4,096 messages per ms.
pub const DOC_SHIFT: u32 = 12;
/// The most entries in one block; a full block is split in two.
pub const BLOCK_POSTINGS: usize = 128;

/// One document in one token's list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Posting {
    pub doc: u64,
    pub flags: u8,
    pub norm: u8,
}

const CHANNEL_MASK: u8 = 0b0000_0011;
const OUTBOUND: u8 = 0b0000_0100;
const PRIVATE: u8 = 0b0000_1000;
const ATTACHMENTS: u8 = 0b0001_0000;
const TF_SHIFT: u32 = 6;

/// What a posting says about its document, besides its number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DocTraits {
    pub channel: Channel,
    pub direction: Direction,
    pub private: bool,
    pub has_attachments: bool,
    /// Tokens in the document.
    pub length: usize,
}

impl Posting {
    pub fn new(doc: u64, traits: &DocTraits, term_frequency: usize) -> Posting {
        let channel = match traits.channel {
            Channel::InApp => 0,
            Channel::Sms => 1,
            Channel::Email => 2,
            Channel::Phone => 3,
        };
        let tf = (term_frequency.clamp(1, 4) - 1) as u8;
        let flags = channel
            | flag(traits.direction == Direction::Outbound, OUTBOUND)
            | flag(traits.private, PRIVATE)
            | flag(traits.has_attachments, ATTACHMENTS)
            | tf << TF_SHIFT;
        Posting {
            doc,
            flags,
            norm: norm_byte(traits.length),
        }
    }

    /// Flags (without the term frequency) and norm in one `u16`, as the
    /// per-conversation doc list keeps them.
    pub fn packed_traits(&self) -> u16 {
        u16::from(self.flags & !(0b11 << TF_SHIFT)) | u16::from(self.norm) << 8
    }

    /// A posting from [`Posting::packed_traits`].
    pub fn from_packed(doc: u64, packed: u16) -> Posting {
        Posting {
            doc,
            flags: packed as u8,
            norm: (packed >> 8) as u8,
        }
    }

    pub fn channel(&self) -> Channel {
        match self.flags & CHANNEL_MASK {
            0 => Channel::InApp,
            1 => Channel::Sms,
            2 => Channel::Email,
            _ => Channel::Phone,
        }
    }

    pub fn direction(&self) -> Direction {
        if self.flags & OUTBOUND != 0 {
            Direction::Outbound
        } else {
            Direction::Inbound
        }
    }

    pub fn private(&self) -> bool {
        self.flags & PRIVATE != 0
    }

    pub fn has_attachments(&self) -> bool {
        self.flags & ATTACHMENTS != 0
    }

    /// How often the token occurs in the document, 1 to 4.
    pub fn term_frequency(&self) -> u32 {
        u32::from(self.flags >> TF_SHIFT) + 1
    }

    /// The document's length in tokens, as quantised.
    pub fn length(&self) -> u32 {
        norm_length(self.norm)
    }
}

fn flag(set: bool, bit: u8) -> u8 {
    if set {
        bit
    } else {
        0
    }
}

/// Lengths up to 32 exactly, then in steps of about 6 %: BM25 needs the
/// length only roughly (as Lucene's one-byte norms do).
pub fn norm_byte(length: usize) -> u8 {
    if length <= 32 {
        return length as u8;
    }
    let steps = ((length as f64 / 32.0).ln() / 1.06f64.ln()).round() as usize;
    (32 + steps).min(255) as u8
}

pub fn norm_length(norm: u8) -> u32 {
    if norm <= 32 {
        return u32::from(norm);
    }
    (32.0 * 1.06f64.powi(i32::from(norm) - 32)).round() as u32
}

/// The doc number of a message created at `created_ms`, in slot `slot`.
pub fn doc_number(created_ms: i64, slot: u64) -> u64 {
    ((created_ms.max(0) as u64) << DOC_SHIFT) + slot
}

/// Encodes postings sorted by doc, each doc relative to `first`.
pub fn encode_block(first: u64, postings: &[Posting]) -> Vec<u8> {
    let mut out = Vec::with_capacity(postings.len() * 5);
    let mut previous = first;
    for p in postings {
        write_varint(&mut out, p.doc - previous);
        previous = p.doc;
        out.push(p.flags);
        out.push(p.norm);
    }
    out
}

/// Decodes a block written by [`encode_block`]; `None` if it is damaged.
pub fn decode_block(first: u64, bytes: &[u8], out: &mut Vec<Posting>) -> Option<()> {
    out.clear();
    let mut at = 0;
    let mut doc = first;
    while at < bytes.len() {
        doc = doc.checked_add(read_varint(bytes, &mut at)?)?;
        let rest = bytes.get(at..at + 2)?;
        out.push(Posting {
            doc,
            flags: rest[0],
            norm: rest[1],
        });
        at += 2;
    }
    Some(())
}

fn write_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn read_varint(bytes: &[u8], at: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let b = *bytes.get(*at)?;
        *at += 1;
        v |= u64::from(b & 0x7f) << shift;
        if b < 0x80 {
            return Some(v);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn traits(channel: Channel, length: usize) -> DocTraits {
        DocTraits {
            channel,
            direction: Direction::Outbound,
            private: true,
            has_attachments: false,
            length,
        }
    }

    #[test]
    fn a_block_round_trips() {
        let postings: Vec<Posting> = [(5, 3), (900, 1), (1 << 50, 9)]
            .iter()
            .map(|&(doc, tf)| Posting::new(doc, &traits(Channel::Email, 40), tf))
            .collect();
        let bytes = encode_block(5, &postings);
        let mut decoded = Vec::new();
        decode_block(5, &bytes, &mut decoded).unwrap();
        assert_eq!(decoded, postings);
        let p = decoded[0];
        assert_eq!(p.channel(), Channel::Email);
        assert_eq!(p.direction(), Direction::Outbound);
        assert!(p.private() && !p.has_attachments());
        assert_eq!(p.term_frequency(), 3);
        assert_eq!(decoded[2].term_frequency(), 4);
    }

    #[test]
    fn a_truncated_block_is_refused() {
        let p = Posting::new(1 << 40, &traits(Channel::Sms, 3), 1);
        let bytes = encode_block(0, &[p]);
        let mut out = Vec::new();
        assert!(decode_block(0, &bytes[..bytes.len() - 1], &mut out).is_none());
    }

    #[test]
    fn norms_are_exact_when_short_and_close_when_long() {
        for length in [0, 1, 17, 32] {
            assert_eq!(norm_length(norm_byte(length)), length as u32);
        }
        for length in [33, 100, 1000, 6000] {
            let back = norm_length(norm_byte(length)) as f64;
            assert!(
                (back / length as f64 - 1.0).abs() < 0.04,
                "{length} → {back}"
            );
        }
    }
}

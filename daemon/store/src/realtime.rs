//! What the WebSocket hub needs from the store: single-use tickets, users'
//! last-seen times, crew assignments, the unfiltered event log and its
//! pruning.

use redb::ReadableTable;
use serde::Deserialize;

use super::events::StoredEvent;
use super::records::{decode, TokenRecord};
use super::{meta_u64, StoreError, Tx, View};
use commcenter::access::{self, Audience, Caller};
use commcenter::wire::{User, WsTicket};
use commcenter::{Id, Timestamp};

/// Every ticket secret starts with this, so that it is not taken for a token.
const TICKET_PREFIX: &str = "ccw_";
/// The meta key of the highest `seq` removed from the log (0: none yet).
const PRUNED_THROUGH: &str = "events_pruned_through";

/// Just the time of a stored event, read without decoding its frame.
#[derive(Deserialize)]
struct EventTime {
    at: Timestamp,
}

impl View {
    /// Up to `limit` events after `after`, whoever they are for: how the hub
    /// catches up after it fell behind the live broadcast.
    pub fn events_range(&self, after: u64, limit: usize) -> Result<Vec<StoredEvent>, StoreError> {
        let mut out = Vec::new();
        for row in self.event.range(after.saturating_add(1)..)? {
            out.push(decode(row?.1.value())?);
            if out.len() >= limit {
                break;
            }
        }
        Ok(out)
    }

    /// The highest `seq` pruned from the log; a resume from before it has a gap.
    pub fn events_pruned_through(&self) -> Result<u64, StoreError> {
        Ok(meta_u64(&self.meta, PRUNED_THROUGH)?.unwrap_or(0))
    }

    /// The last committed `seq` and every (project, crew member) assignment,
    /// from one snapshot, so that events after that `seq` keep it current.
    pub fn crew_assignments(&self) -> Result<(u64, Vec<(Id, Id)>), StoreError> {
        let last_seq = meta_u64(&self.meta, "last_seq")?.unwrap_or(0);
        let mut pairs = Vec::new();
        for row in self.crew_project.iter()? {
            let (crew, project) = row?.0.value();
            pairs.push((Id::from_u128(project), Id::from_u128(crew)));
        }
        Ok((last_seq, pairs))
    }

    /// Who takes part in a conversation `caller` takes part in (`NotFound`
    /// otherwise): the audience of its typing indicators.
    pub fn conversation_audience(&self, caller: &Caller, id: Id) -> Result<Audience, StoreError> {
        Ok(self.visible_conversation(caller, id)?.audience())
    }

    /// Every user's id and stored `last_seen_at`, oldest user first (staff).
    pub fn users_last_seen(
        &self,
        caller: &Caller,
    ) -> Result<Vec<(Id, Option<Timestamp>)>, StoreError> {
        access::may_look_up_users(caller)?;
        let mut out = Vec::new();
        for row in self.user.iter()? {
            let user: User = decode(row?.1.value())?;
            out.push((user.id, user.last_seen_at));
        }
        Ok(out)
    }
}

impl Tx<'_> {
    /// `POST /ws/ticket`: a ticket for the caller's own token, valid for
    /// `ttl_ms`. Only its SHA-256 is kept.
    pub fn issue_ws_ticket(
        &mut self,
        caller: &Caller,
        ttl_ms: i64,
    ) -> Result<WsTicket, StoreError> {
        let secret = format!("{TICKET_PREFIX}{}", hex::encode(rand::random::<[u8; 32]>()));
        let hash = commcenter::token::hash_secret(&secret);
        let expires_at = self.now.plus_millis(ttl_ms);
        self.insert(
            |t| &mut t.ws_ticket,
            hash.as_slice(),
            (caller.token_id.to_u128(), expires_at.millis()),
        )?;
        Ok(WsTicket {
            ticket: secret,
            expires_at,
        })
    }

    /// Redeems a ticket: removes it (single use) and answers the caller and
    /// the hash of the token it was issued for, when the ticket is unexpired
    /// and that token is still live. `None` for anything else.
    pub fn redeem_ws_ticket(
        &mut self,
        secret: &str,
    ) -> Result<Option<(Caller, [u8; 32])>, StoreError> {
        let hash = commcenter::token::hash_secret(secret);
        let Some((token_id, expires_ms)) = self
            .remove(|t| &mut t.ws_ticket, hash.as_slice())?
            .map(|v| v.value())
        else {
            return Ok(None);
        };
        if expires_ms <= self.now.millis() {
            return Ok(None);
        }
        self.live_token_caller(Id::from_u128(token_id))
    }

    /// The caller behind a token that is neither revoked nor expired, and its hash.
    fn live_token_caller(&self, token_id: Id) -> Result<Option<(Caller, [u8; 32])>, StoreError> {
        let Some(token) = self.token.get(token_id.to_u128())? else {
            return Ok(None);
        };
        let token: TokenRecord = decode(token.value())?;
        let expired = token.expires_at.is_some_and(|t| t <= self.now);
        if token.revoked_at.is_some() || expired {
            return Ok(None);
        }
        let Some(user) = self.find_user(token.user_id)? else {
            return Ok(None);
        };
        let caller = Caller {
            user_id: user.id,
            role: user.role,
            token_id,
        };
        Ok(Some((caller, token.hash_bytes()?)))
    }

    /// Moves a user's `last_seen_at` forward to `at` (never back, so that
    /// writes racing each other leave the latest).
    pub fn touch_last_seen(&mut self, user_id: Id, at: Timestamp) -> Result<(), StoreError> {
        let Some(mut user) = self.find_user(user_id)? else {
            return Ok(());
        };
        if user.last_seen_at.is_some_and(|seen| seen >= at) {
            return Ok(());
        }
        user.last_seen_at = Some(at);
        self.put_user(&user)
    }

    /// Removes up to `max_rows` of the oldest events stamped before `cutoff`
    /// and answers how many went. The log stays a contiguous suffix: pruning
    /// stops at the first event still within retention.
    pub fn prune_events(
        &mut self,
        cutoff: Timestamp,
        max_rows: usize,
    ) -> Result<usize, StoreError> {
        let mut doomed = Vec::new();
        for row in self.event.iter()? {
            let (seq, value) = row?;
            let event: EventTime = decode(value.value())?;
            if event.at >= cutoff || doomed.len() >= max_rows {
                break;
            }
            doomed.push(seq.value());
        }
        let Some(&last) = doomed.last() else {
            return Ok(0);
        };
        for seq in &doomed {
            self.remove(|t| &mut t.event, seq)?;
        }
        let last = last.to_be_bytes();
        self.insert(|t| &mut t.meta, PRUNED_THROUGH, last.as_slice())?;
        Ok(doomed.len())
    }

    /// Removes tickets that expired unredeemed; answers how many.
    pub fn prune_ws_tickets(&mut self) -> Result<usize, StoreError> {
        let now = self.now.millis();
        let mut expired = Vec::new();
        for row in self.ws_ticket.iter()? {
            let (hash, value) = row?;
            let (_, expires_ms) = value.value();
            if expires_ms <= now {
                expired.push(hash.value().to_vec());
            }
        }
        for hash in &expired {
            self.remove(|t| &mut t.ws_ticket, hash.as_slice())?;
        }
        Ok(expired.len())
    }
}

//! The in-memory token cache that authenticates every request without a
//! store read.
//!
//! It maps the SHA-256 of each live token to its caller. It is loaded from the
//! token table at open and changed only by the writer, after the commit that
//! changed the token table and before that write is answered, so a revocation
//! is in force by the time its 204 is sent.

use std::collections::HashMap;
use std::sync::RwLock;

use redb::{Database, ReadableDatabase, ReadableTable};
use subtle::ConstantTimeEq;

use super::records::{decode, TokenRecord};
use super::tables::{TOKEN, USER};
use super::StoreError;
use commcenter::access::Caller;
use commcenter::wire::{Role, User};
use commcenter::{Id, Timestamp};

#[derive(Debug, Clone)]
struct Entry {
    hash: [u8; 32],
    token_id: Id,
    user_id: Id,
    role: Role,
    expires_at: Option<Timestamp>,
}

pub(crate) enum AuthChange {
    Issued {
        hash: [u8; 32],
        token_id: Id,
        user_id: Id,
        role: Role,
        expires_at: Option<Timestamp>,
    },
    Revoked {
        hash: [u8; 32],
    },
}

/// Token hash → caller, for every token that is not revoked.
pub struct AuthCache {
    tokens: RwLock<HashMap<[u8; 32], Entry>>,
    /// Counts revocations, so that long-lived connections (WebSockets) can
    /// wait for one and re-check their token at once.
    revocations: tokio::sync::watch::Sender<u64>,
}

impl AuthCache {
    pub(super) fn load(db: &Database) -> Result<AuthCache, StoreError> {
        Ok(AuthCache {
            tokens: RwLock::new(Self::read_tokens(db)?),
            revocations: tokio::sync::watch::Sender::new(0),
        })
    }

    /// Replaces the cache with the token table of `db` (after a reopen: the
    /// commit that failed may or may not have reached the disk).
    pub(super) fn reload(&self, db: &Database) -> Result<(), StoreError> {
        let tokens = Self::read_tokens(db)?;
        *self.tokens.write().unwrap_or_else(|p| p.into_inner()) = tokens;
        self.revocations.send_modify(|n| *n += 1);
        Ok(())
    }

    fn read_tokens(db: &Database) -> Result<HashMap<[u8; 32], Entry>, StoreError> {
        let txn = db.begin_read()?;
        let tokens = txn.open_table(TOKEN)?;
        let users = txn.open_table(USER)?;
        let mut map = HashMap::new();
        for row in tokens.iter()? {
            let (_, value) = row?;
            let token: TokenRecord = decode(value.value())?;
            if token.revoked_at.is_some() {
                continue;
            }
            let Some(user) = users.get(token.user_id.to_u128())? else {
                continue;
            };
            let user: User = decode(user.value())?;
            let hash = token.hash_bytes()?;
            map.insert(
                hash,
                Entry {
                    hash,
                    token_id: token.id,
                    user_id: token.user_id,
                    role: user.role,
                    expires_at: token.expires_at,
                },
            );
        }
        Ok(map)
    }

    /// The caller a secret belongs to, if it is live and unexpired.
    pub fn authenticate(&self, secret: &str, now: Timestamp) -> Option<Caller> {
        self.authenticate_hash(&commcenter::token::hash_secret(secret), now)
    }

    /// The caller a token hash belongs to, if the token is live and
    /// unexpired: how a long-lived WebSocket re-checks the token it was
    /// opened with without keeping the secret.
    pub fn authenticate_hash(&self, hash: &[u8; 32], now: Timestamp) -> Option<Caller> {
        let tokens = self.tokens.read().unwrap_or_else(|p| p.into_inner());
        let entry = tokens.get(hash)?;
        // The map is keyed by the hash, which an attacker cannot steer; the
        // constant-time comparison keeps the final check free of timing too.
        if !bool::from(entry.hash.ct_eq(hash)) {
            return None;
        }
        if entry.expires_at.is_some_and(|t| t <= now) {
            return None;
        }
        Some(Caller {
            user_id: entry.user_id,
            role: entry.role,
            token_id: entry.token_id,
        })
    }

    /// Changes whenever a token is revoked; the value is a count.
    pub fn revocations(&self) -> tokio::sync::watch::Receiver<u64> {
        self.revocations.subscribe()
    }

    pub(super) fn apply(&self, changes: Vec<AuthChange>) {
        if changes.is_empty() {
            return;
        }
        let revoked = changes
            .iter()
            .filter(|c| matches!(c, AuthChange::Revoked { .. }))
            .count();
        let mut tokens = self.tokens.write().unwrap_or_else(|p| p.into_inner());
        for change in changes {
            match change {
                AuthChange::Issued {
                    hash,
                    token_id,
                    user_id,
                    role,
                    expires_at,
                } => {
                    tokens.insert(
                        hash,
                        Entry {
                            hash,
                            token_id,
                            user_id,
                            role,
                            expires_at,
                        },
                    );
                }
                AuthChange::Revoked { hash } => {
                    tokens.remove(&hash);
                }
            }
        }
        drop(tokens);
        if revoked > 0 {
            self.revocations
                .send_modify(|count| *count += revoked as u64);
        }
    }
}

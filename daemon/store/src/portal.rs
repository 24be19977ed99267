//! Sign-in codes of the web portals (`POST /users/{id}/portal-link`,
//! `POST /portal/redeem`).
//!
//! A code is a secret in a link's fragment, kept only as its SHA-256 with
//! its user and expiry, like a WebSocket ticket. Redeeming removes it and
//! issues a token of its user in the same transaction, so a code works
//! once however many pages race with it. A used, expired or unknown code is
//! one answer (`None`): the page cannot tell which, and neither can a guesser.

use redb::ReadableTable;

use super::{StoreError, Tx};
use commcenter::access::{self, Caller};
use commcenter::wire::{PortalSession, Role, User};
use commcenter::{Id, Timestamp};

/// Every code starts with this, so that it is not taken for a token.
const CODE_PREFIX: &str = "ccp_";
/// The label of the tokens a code gives.
pub const PORTAL_TOKEN_LABEL: &str = "portal";

/// A code just issued: its secret (shown once, in the link) and its user.
#[derive(Debug, Clone)]
pub struct PortalCode {
    pub secret: String,
    pub expires_at: Timestamp,
    pub user: User,
}

impl Tx<'_> {
    /// `POST /users/{id}/portal-link`: a code for a customer or crew user,
    /// valid for `ttl_ms`. Staff only; a staff target is invalid (422).
    pub fn issue_portal_code(
        &mut self,
        caller: &Caller,
        user_id: Id,
        ttl_ms: i64,
    ) -> Result<PortalCode, StoreError> {
        access::may_send_portal_link(caller)?;
        let user = self.user(user_id)?;
        if user.role.is_staff() {
            return Err(StoreError::invalid(
                "id",
                "portal links are for customer and crew users; staff use the console or a token",
            ));
        }
        let secret = format!("{CODE_PREFIX}{}", hex::encode(rand::random::<[u8; 32]>()));
        let hash = commcenter::token::hash_secret(&secret);
        let expires_at = self.now.plus_millis(ttl_ms);
        self.insert(
            |t| &mut t.portal_code,
            hash.as_slice(),
            (user.id.to_u128(), expires_at.millis()),
        )?;
        Ok(PortalCode {
            secret,
            expires_at,
            user,
        })
    }

    /// `POST /portal/redeem`: removes the code and, when it was unexpired
    /// and its user still a customer or crew member, issues a token of that
    /// user valid for `token_ttl_ms`. `None` for anything else.
    pub fn redeem_portal_code(
        &mut self,
        secret: &str,
        token_ttl_ms: i64,
    ) -> Result<Option<PortalSession>, StoreError> {
        let hash = commcenter::token::hash_secret(secret);
        let Some((user_id, expires_ms)) = self
            .remove(|t| &mut t.portal_code, hash.as_slice())?
            .map(|v| v.value())
        else {
            return Ok(None);
        };
        if expires_ms <= self.now.millis() {
            return Ok(None);
        }
        let Some(user) = self.find_user(Id::from_u128(user_id))? else {
            return Ok(None);
        };
        if !matches!(user.role, Role::Customer | Role::Crew) {
            return Ok(None);
        }
        let token = commcenter::token::generate_secret();
        let expires_at = Some(self.now.plus_millis(token_ttl_ms));
        self.insert_token(
            &user,
            &token,
            Some(PORTAL_TOKEN_LABEL.to_owned()),
            expires_at,
        )?;
        Ok(Some(PortalSession {
            token,
            user,
            expires_at,
        }))
    }

    /// Removes codes that expired unredeemed; answers how many.
    pub fn prune_portal_codes(&mut self) -> Result<usize, StoreError> {
        let now = self.now.millis();
        let mut expired = Vec::new();
        for row in self.portal_code.iter()? {
            let (hash, value) = row?;
            if value.value().1 <= now {
                expired.push(hash.value().to_vec());
            }
        }
        for hash in &expired {
            self.remove(|t| &mut t.portal_code, hash.as_slice())?;
        }
        Ok(expired.len())
    }
}

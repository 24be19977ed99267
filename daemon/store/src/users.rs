//! Users and their API tokens.

use redb::ReadableTable;

use super::auth::AuthChange;
use super::records::{cursor, decode, encode, TokenRecord};
use super::tx::{Mode, Tables};
use super::{StoreError, Tx, View};
use commcenter::access::{self, Caller};
use commcenter::wire::{IssuedToken, NewToken, NewUser, Page, Role, TokenInfo, User, UserPatch};
use commcenter::{Id, Timestamp};

/// Longest token life that may be asked for, in days.
use commcenter::wire::MAX_TOKEN_DAYS;

impl<M: Mode> Tables<M> {
    /// The user, or `NotFound`.
    pub fn user(&self, id: Id) -> Result<User, StoreError> {
        self.find_user(id)?
            .ok_or_else(|| StoreError::not_found("user", id))
    }

    pub fn find_user(&self, id: Id) -> Result<Option<User>, StoreError> {
        match self.user.get(id.to_u128())? {
            Some(v) => Ok(Some(decode(v.value())?)),
            None => Ok(None),
        }
    }

    /// Whether any user exists (the bootstrap runs only on an empty store).
    pub fn has_users(&self) -> Result<bool, StoreError> {
        Ok(self.user.first()?.is_some())
    }

    fn token_record(&self, id: Id) -> Result<Option<TokenRecord>, StoreError> {
        match self.token.get(id.to_u128())? {
            Some(v) => Ok(Some(decode(v.value())?)),
            None => Ok(None),
        }
    }
}

impl View {
    /// `GET /users?role=&q=` (staff), oldest first. `q` matches name, email or
    /// phone, ignoring case.
    pub fn list_users(
        &self,
        caller: &Caller,
        role: Option<Role>,
        q: Option<&str>,
        limit: usize,
        after: Option<&str>,
    ) -> Result<Page<User>, StoreError> {
        access::may_look_up_users(caller)?;
        let start = match after {
            Some(c) => cursor::decode_id(c)?.to_u128().saturating_add(1),
            None => 0,
        };
        let needle = q.map(str::to_lowercase);
        let mut items = Vec::new();
        let mut next_cursor = None;
        for row in self.user.range(start..)? {
            let (_, value) = row?;
            let user: User = decode(value.value())?;
            if role.is_some_and(|r| r != user.role) || !matches_query(&user, needle.as_deref()) {
                continue;
            }
            if items.len() == limit {
                next_cursor = items.last().map(|u: &User| u.id.to_string());
                break;
            }
            items.push(user);
        }
        Ok(Page { items, next_cursor })
    }

    /// `GET /users/{id}` (staff).
    pub fn get_user(&self, caller: &Caller, id: Id) -> Result<User, StoreError> {
        access::may_look_up_users(caller)?;
        self.user(id)
    }

    /// `GET /users/{id}/tokens`: admins, and agents for customer and crew users.
    pub fn list_tokens(&self, caller: &Caller, user_id: Id) -> Result<Vec<TokenInfo>, StoreError> {
        let user = self.user_for_token_admin(caller, user_id)?;
        let mut out = Vec::new();
        let key = user.id.to_u128();
        for row in self.user_token.range((key, 0)..=(key, u128::MAX))? {
            let (k, _) = row?;
            if let Some(token) = self.token_record(Id::from_u128(k.value().1))? {
                out.push(token_info(&token));
            }
        }
        Ok(out)
    }
}

impl<M: Mode> Tables<M> {
    /// The user whose tokens `caller` wants to manage, if `caller` may.
    /// Whoever may not look users up is refused before the user is, so that
    /// the answer does not tell whether the user exists.
    fn user_for_token_admin(&self, caller: &Caller, user_id: Id) -> Result<User, StoreError> {
        access::may_look_up_users(caller)?;
        let user = self.user(user_id)?;
        access::may_manage_tokens_of(caller, user.role)?;
        Ok(user)
    }
}

impl Tx<'_> {
    /// `POST /users` (admin).
    pub fn create_user(&mut self, caller: &Caller, new: NewUser) -> Result<User, StoreError> {
        access::may_create_user(caller)?;
        self.insert_user(new)
    }

    pub(super) fn insert_user(&mut self, new: NewUser) -> Result<User, StoreError> {
        let user = User {
            id: self.new_id(),
            name: valid_name("name", &new.name)?,
            role: new.role,
            email: new.email.as_deref().map(valid_email).transpose()?,
            phone: new.phone.as_deref().map(valid_phone).transpose()?,
            created_at: self.now,
            last_seen_at: None,
        };
        self.put_user(&user)?;
        self.analytics_user(&user)?;
        Ok(user)
    }

    pub(super) fn put_user(&mut self, user: &User) -> Result<(), StoreError> {
        let bytes = encode(user)?;
        self.insert(|t| &mut t.user, user.id.to_u128(), bytes.as_slice())
    }

    /// `PATCH /users/{id}` (admin).
    pub fn patch_user(
        &mut self,
        caller: &Caller,
        id: Id,
        patch: UserPatch,
    ) -> Result<User, StoreError> {
        access::may_change_user(caller)?;
        let mut user = self.user(id)?;
        if let Some(name) = &patch.name {
            user.name = valid_name("name", name)?;
        }
        if let Some(email) = &patch.email {
            user.email = email.as_deref().map(valid_email).transpose()?;
        }
        if let Some(phone) = &patch.phone {
            user.phone = phone.as_deref().map(valid_phone).transpose()?;
        }
        self.put_user(&user)?;
        Ok(user)
    }

    /// Creates the first admin with a token for `secret`, if the store has
    /// no users yet. Returns the admin when it was created.
    pub fn bootstrap_admin(&mut self, secret: &str) -> Result<Option<User>, StoreError> {
        if self.has_users()? {
            return Ok(None);
        }
        let admin = self.insert_user(NewUser {
            name: "Administrator".into(),
            role: Role::Admin,
            email: None,
            phone: None,
        })?;
        self.insert_token(&admin, secret, Some("bootstrap".into()), None)?;
        Ok(Some(admin))
    }

    /// Creates a user with a known secret (the demo data set uses this).
    pub fn create_user_with_token(
        &mut self,
        new: NewUser,
        secret: &str,
    ) -> Result<User, StoreError> {
        let user = self.insert_user(new)?;
        self.insert_token(&user, secret, Some("demo".into()), None)?;
        Ok(user)
    }

    /// `POST /users/{id}/tokens`: admins, and agents for customer and crew users.
    pub fn issue_token(
        &mut self,
        caller: &Caller,
        user_id: Id,
        new: NewToken,
    ) -> Result<IssuedToken, StoreError> {
        let user = self.user_for_token_admin(caller, user_id)?;
        let label = new
            .label
            .as_deref()
            .map(|l| valid_name("label", l))
            .transpose()?;
        let expires_at = match new.expires_in_days {
            Some(0) => {
                return Err(StoreError::invalid(
                    "expires_in_days",
                    "expires_in_days must be at least 1",
                ))
            }
            Some(d) if d > MAX_TOKEN_DAYS => {
                return Err(StoreError::invalid(
                    "expires_in_days",
                    format!("expires_in_days must be at most {MAX_TOKEN_DAYS}"),
                ))
            }
            Some(d) => Some(self.now.plus_millis(i64::from(d) * 86_400_000)),
            None => None,
        };
        let secret = commcenter::token::generate_secret();
        let record = self.insert_token(&user, &secret, label, expires_at)?;
        Ok(IssuedToken {
            id: record.id,
            token: secret,
            label: record.label,
            created_at: record.created_at,
            expires_at: record.expires_at,
        })
    }

    pub(super) fn insert_token(
        &mut self,
        user: &User,
        secret: &str,
        label: Option<String>,
        expires_at: Option<Timestamp>,
    ) -> Result<TokenRecord, StoreError> {
        let hash = commcenter::token::hash_secret(secret);
        let record = TokenRecord {
            id: self.new_id(),
            user_id: user.id,
            hash: hex::encode(hash),
            label,
            created_at: self.now,
            expires_at,
            revoked_at: None,
        };
        let bytes = encode(&record)?;
        let (token, owner) = (record.id.to_u128(), user.id.to_u128());
        self.insert(|t| &mut t.token, token, bytes.as_slice())?;
        self.insert(|t| &mut t.token_hash_token, hash.as_slice(), token)?;
        self.insert(|t| &mut t.user_token, (owner, token), ())?;
        self.auth_changes.push(AuthChange::Issued {
            hash,
            token_id: record.id,
            user_id: user.id,
            role: user.role,
            expires_at,
        });
        Ok(record)
    }

    /// `DELETE /tokens/{id}`: the token's own user, admins, and agents for the
    /// tokens of customer and crew users. Revoking twice is not an error.
    pub fn revoke_token(&mut self, caller: &Caller, token_id: Id) -> Result<(), StoreError> {
        let mut record = self
            .token_record(token_id)?
            .ok_or_else(|| StoreError::not_found("token", token_id))?;
        let owner = self.user(record.user_id)?;
        access::may_revoke_token(caller, owner.id, owner.role)
            .map_err(StoreError::denied("token", token_id))?;
        if record.revoked_at.is_some() {
            return Ok(());
        }
        record.revoked_at = Some(self.now);
        let hash = record.hash_bytes()?;
        let bytes = encode(&record)?;
        self.insert(|t| &mut t.token, record.id.to_u128(), bytes.as_slice())?;
        self.remove(|t| &mut t.token_hash_token, hash.as_slice())?;
        self.auth_changes.push(AuthChange::Revoked { hash });
        Ok(())
    }
}

fn token_info(t: &TokenRecord) -> TokenInfo {
    TokenInfo {
        id: t.id,
        user_id: t.user_id,
        label: t.label.clone(),
        created_at: t.created_at,
        expires_at: t.expires_at,
        revoked_at: t.revoked_at,
    }
}

fn matches_query(user: &User, needle: Option<&str>) -> bool {
    let Some(needle) = needle else { return true };
    [Some(&user.name), user.email.as_ref(), user.phone.as_ref()]
        .into_iter()
        .flatten()
        .any(|field| field.to_lowercase().contains(needle))
}

/// A display name or label: trimmed, 1 to 200 characters, no control characters.
pub(super) fn valid_name(field: &'static str, text: &str) -> Result<String, StoreError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(StoreError::invalid(
            field,
            format!("{field} must not be empty"),
        ));
    }
    if text.chars().count() > 200 {
        return Err(StoreError::invalid(
            field,
            format!("{field} must be at most 200 characters"),
        ));
    }
    if text.chars().any(char::is_control) {
        return Err(StoreError::invalid(
            field,
            format!("{field} must not contain control characters"),
        ));
    }
    Ok(text.to_owned())
}

fn valid_email(text: &str) -> Result<String, StoreError> {
    let text = text.trim();
    let ok = text.len() <= 254
        && !text.chars().any(|c| c.is_whitespace() || c.is_control())
        && text.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.contains('@')
        });
    if ok {
        Ok(text.to_owned())
    } else {
        Err(StoreError::invalid(
            "email",
            format!("`{text}` is not an email address"),
        ))
    }
}

/// A phone number: digits with optional `+`, spaces, dots, dashes and
/// parentheses; 7 to 15 digits (E.164 allows 15).
fn valid_phone(text: &str) -> Result<String, StoreError> {
    let text = text.trim();
    let digits = text.chars().filter(char::is_ascii_digit).count();
    let allowed = text
        .chars()
        .enumerate()
        .all(|(i, c)| c.is_ascii_digit() || " .-()".contains(c) || (c == '+' && i == 0));
    if allowed && (7..=15).contains(&digits) {
        Ok(text.to_owned())
    } else {
        Err(StoreError::invalid(
            "phone",
            format!("`{text}` is not a phone number"),
        ))
    }
}

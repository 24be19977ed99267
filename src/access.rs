//! Who may see and do what: the roles table of the API contract as functions.
//!
//! Every "may this caller see or do this" decision of the API is made here,
//! and nowhere else. Each function is pure: it takes the caller and the facts
//! it needs about the resource (a conversation's audience, whether a crew
//! member is assigned, who uploaded a file, who sent a message) and decides.
//! The store gathers those facts inside its transaction and asks, so a check
//! and the data it guards come from the same snapshot; the WebSocket hub asks
//! [`Audience::includes`] with its own copy of the crew assignments.
//!
//! Two kinds of answers:
//! - seeing (`Audience::includes`, `may_see_*`, `may_read_*`) is a `bool`;
//!   what a caller may not see is answered 404, exactly like what does not
//!   exist, so that existence does not leak;
//! - doing (`may_*` with a `Result`) is refused with [`Forbidden`] (403 with
//!   the reason), or with [`Denied::Hidden`] where even a 403 would tell the
//!   caller that the thing exists.
//!
//! Whether a request is well formed (lengths, ranges, "an SMS needs a phone
//! number") is not decided here: that is validation, answered 422 by the store.

use crate::wire::{Channel, Role};
use crate::Id;

/// The authenticated user behind a request or a WebSocket connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    pub user_id: Id,
    pub role: Role,
    /// The token the caller presented.
    pub token_id: Id,
}

impl Caller {
    /// Admins and agents.
    pub fn is_staff(&self) -> bool {
        self.role.is_staff()
    }

    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}

/// A refusal: the caller may not do this, and may be told why (403).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct Forbidden {
    pub reason: String,
    /// The request field the refusal is about, when there is one.
    pub field: Option<&'static str>,
}

impl Forbidden {
    fn new(reason: impl Into<String>) -> Self {
        Forbidden {
            reason: reason.into(),
            field: None,
        }
    }

    fn on(field: &'static str, reason: impl Into<String>) -> Self {
        Forbidden {
            reason: reason.into(),
            field: Some(field),
        }
    }
}

/// A refusal that may have to hide what it refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    /// 403: the caller may know the thing exists.
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    /// 404: answer exactly as if the thing did not exist.
    #[error("not found")]
    Hidden,
}

/// Who an event or a conversation is for. Stored with every event so that
/// live fan-out and replay apply the same rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "to", rename_all = "snake_case")]
pub enum Audience {
    /// Admins and agents only.
    Staff,
    /// Staff and the customer (a `customer` conversation).
    Customer { customer_id: Id },
    /// Staff and the crew assigned to the project (a `project` conversation).
    Crew { project_id: Id },
    /// Staff, the crew assigned to the project and its customer (the project itself).
    Project { project_id: Id, customer_id: Id },
}

impl Audience {
    /// Whether `caller` is in this audience. `crew_assigned(project)` answers
    /// whether the caller is assigned to that project (only asked for crew).
    pub fn includes(&self, caller: &Caller, crew_assigned: impl FnOnce(Id) -> bool) -> bool {
        let never_fails = |project| Ok::<_, std::convert::Infallible>(crew_assigned(project));
        match self.includes_with(caller, never_fails) {
            Ok(included) => included,
            Err(never) => match never {},
        }
    }

    /// [`Audience::includes`] with a lookup of the crew assignment that may
    /// fail (a store read); its error is passed on.
    pub fn includes_with<E>(
        &self,
        caller: &Caller,
        crew_assigned: impl FnOnce(Id) -> Result<bool, E>,
    ) -> Result<bool, E> {
        if in_every_audience(caller) {
            return Ok(true);
        }
        match (*self, caller.role) {
            (Audience::Customer { customer_id }, Role::Customer)
            | (Audience::Project { customer_id, .. }, Role::Customer) => {
                Ok(customer_id == caller.user_id)
            }
            (Audience::Crew { project_id }, Role::Crew)
            | (Audience::Project { project_id, .. }, Role::Crew) => crew_assigned(project_id),
            _ => Ok(false),
        }
    }

    /// The audience of a message (and of its events) in a conversation with
    /// this audience: a staff-only note narrows it to staff. The same rule as
    /// [`may_see_message`].
    pub fn private_if(self, private: bool) -> Audience {
        if private {
            Audience::Staff
        } else {
            self
        }
    }
}

// ---- Seeing ---------------------------------------------------------------

/// Staff are in every audience: they see every conversation, project,
/// message, note, file and event. Stores may use it to skip per-item checks.
pub fn in_every_audience(caller: &Caller) -> bool {
    caller.is_staff()
}

/// Whether the caller sees staff-only notes, and so the counts, previews and
/// unread numbers that include them. Staff only.
pub fn may_see_private_notes(caller: &Caller) -> bool {
    caller.is_staff()
}

/// A message is seen by whoever sees its conversation, except that a
/// staff-only note is seen by staff only.
pub fn may_see_message(caller: &Caller, private: bool, sees_conversation: bool) -> bool {
    sees_conversation && (!private || may_see_private_notes(caller))
}

/// A file is read by staff, its uploader, and whoever may see a message
/// that carries it. `carried_by_visible_message` answers the last (a search
/// through the messages carrying it); it is asked only when needed, and its
/// error is passed on.
pub fn may_read_file<E>(
    caller: &Caller,
    uploaded_by: Id,
    carried_by_visible_message: impl FnOnce() -> Result<bool, E>,
) -> Result<bool, E> {
    if in_every_audience(caller) || uploaded_by == caller.user_id {
        return Ok(true);
    }
    carried_by_visible_message()
}

// ---- Users and tokens -----------------------------------------------------

/// Listing users, reading one, and their presence: staff.
pub fn may_look_up_users(caller: &Caller) -> Result<(), Forbidden> {
    require_staff(caller)
}

/// `POST /users`: admins.
pub fn may_create_user(caller: &Caller) -> Result<(), Forbidden> {
    if caller.is_admin() {
        Ok(())
    } else {
        Err(Forbidden::new("only an admin creates users"))
    }
}

/// `PATCH /users/{id}`: admins.
pub fn may_change_user(caller: &Caller) -> Result<(), Forbidden> {
    if caller.is_admin() {
        Ok(())
    } else {
        Err(Forbidden::new("only an admin changes users"))
    }
}

/// Listing and issuing the tokens of a user whose role is `owner_role`:
/// admins for anyone, agents for customers and crew.
pub fn may_manage_tokens_of(caller: &Caller, owner_role: Role) -> Result<(), Forbidden> {
    require_staff(caller)?;
    if caller.is_admin() || !owner_role.is_staff() {
        Ok(())
    } else {
        Err(Forbidden::new(
            "only an admin manages the tokens of staff users",
        ))
    }
}

/// Revoking a token of `owner` (whose role is `owner_role`): its own user,
/// and whoever may manage the owner's tokens. Another customer or crew
/// member is told the token does not exist.
pub fn may_revoke_token(caller: &Caller, owner: Id, owner_role: Role) -> Result<(), Denied> {
    if owner == caller.user_id {
        return Ok(());
    }
    if !caller.is_staff() {
        return Err(Denied::Hidden);
    }
    Ok(may_manage_tokens_of(caller, owner_role)?)
}

/// `POST /users/{id}/portal-link`: staff, for customer and crew users (a
/// link for a staff user is refused as invalid, not forbidden: see the store).
pub fn may_send_portal_link(caller: &Caller) -> Result<(), Forbidden> {
    require_staff(caller)
}

// ---- Projects and conversations -------------------------------------------

/// `POST /projects`: staff.
pub fn may_create_project(caller: &Caller) -> Result<(), Forbidden> {
    require_staff(caller)
}

/// `PATCH /projects/{id}` (status, crew, name, address): staff.
pub fn may_change_project(caller: &Caller) -> Result<(), Forbidden> {
    require_staff(caller)
}

/// `POST /conversations` for `customer_id`: staff for any customer, a
/// customer for themself, crew never.
pub fn may_open_conversation(caller: &Caller, customer_id: Id) -> Result<(), Forbidden> {
    match caller.role {
        Role::Admin | Role::Agent => Ok(()),
        Role::Customer if customer_id == caller.user_id => Ok(()),
        Role::Customer => Err(Forbidden::on(
            "customer_id",
            "a customer may open conversations only for themself",
        )),
        Role::Crew => Err(Forbidden::new("crew members do not open conversations")),
    }
}

/// `PATCH /conversations/{id}` (status, assignee, tags): staff.
pub fn may_change_conversation(caller: &Caller) -> Result<(), Forbidden> {
    require_staff(caller)
}

/// What a user named in a request is named as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    /// The customer of a conversation or project.
    Customer,
    /// A crew member of a project.
    Crew,
    /// The assignee of a conversation.
    Assignee,
}

impl Slot {
    /// Who fills the slot, for the message that refuses a misfit.
    pub fn wanted(self) -> &'static str {
        match self {
            Slot::Customer => "a customer",
            Slot::Crew => "a crew member",
            Slot::Assignee => "a staff user",
        }
    }
}

/// Whether a user with `role` may fill `slot`: a conversation's or project's
/// customer is a customer, a project's crew are crew, an assignee is staff.
/// (A misfit is a 422 on the field that named the user.)
pub fn fits(slot: Slot, role: Role) -> bool {
    match slot {
        Slot::Customer => role == Role::Customer,
        Slot::Crew => role == Role::Crew,
        Slot::Assignee => role.is_staff(),
    }
}

// ---- Messages and receipts ------------------------------------------------

/// Sending on `channel`, as a note when `private`, in a conversation the
/// caller sees: customers write `in_app` only, crew `in_app` or `phone`
/// logs, staff anything; only staff write notes.
pub fn may_send(caller: &Caller, channel: Channel, private: bool) -> Result<(), Forbidden> {
    if private && !may_see_private_notes(caller) {
        return Err(Forbidden::on("private", "only staff write private notes"));
    }
    let allowed = match caller.role {
        Role::Admin | Role::Agent => true,
        Role::Crew => matches!(channel, Channel::InApp | Channel::Phone),
        Role::Customer => channel == Channel::InApp,
    };
    if allowed {
        Ok(())
    } else {
        Err(Forbidden::on(
            "channel",
            format!(
                "a {} may not send {} messages",
                caller.role.as_str(),
                channel.as_str()
            ),
        ))
    }
}

/// Acknowledging (delivered, read) a message sent by `sender`, which the
/// caller sees: anyone but its sender.
pub fn may_acknowledge(caller: &Caller, sender: Id) -> Result<(), Forbidden> {
    if sender == caller.user_id {
        Err(Forbidden::new(
            "the sender does not acknowledge their own message",
        ))
    } else {
        Ok(())
    }
}

/// Whether reading past a message records the caller's read receipt for it:
/// when they see it and may acknowledge it.
pub fn receipts_on_read(caller: &Caller, sender: Id, private: bool) -> bool {
    may_see_message(caller, private, true) && may_acknowledge(caller, sender).is_ok()
}

// ---- Templates ------------------------------------------------------------

/// Listing, reading, creating, changing, deleting and rendering templates:
/// staff. (Customers and crew are refused with 403: templates are the
/// firm's own wording, and that they exist is no secret.)
pub fn may_use_templates(caller: &Caller) -> Result<(), Forbidden> {
    require_staff(caller)
}

/// Sending a message from a template (`template_id`): staff, as for every
/// other use of templates; the refusal names `template_id`.
pub fn may_send_from_template(caller: &Caller) -> Result<(), Forbidden> {
    may_use_templates(caller)
        .map_err(|_| Forbidden::on("template_id", "only staff send from templates"))
}

// ---- Analytics --------------------------------------------------------------

/// `GET /analytics/*`: staff. The figures cover every customer (and the
/// staff's own response times), so no customer or crew member may see them.
pub fn may_see_analytics(caller: &Caller) -> Result<(), Forbidden> {
    require_staff(caller)
}

// ---- Outbox -----------------------------------------------------------------

/// `POST /messages/{id}/retry` (queue a failed `sms` or `email` again): staff.
pub fn may_retry_delivery(caller: &Caller) -> Result<(), Forbidden> {
    require_staff(caller)
}

fn require_staff(caller: &Caller) -> Result<(), Forbidden> {
    if caller.is_staff() {
        Ok(())
    } else {
        Err(Forbidden::new("only staff may do this"))
    }
}

#[cfg(test)]
mod tests;

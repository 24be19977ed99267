//! Conversations: creation, lists, status and assignment, read markers.

use redb::ReadableTable;

use super::records::{cursor, decode, encode, filter_matches, ConversationRecord, Ordinals, Tally};
use super::tx::{Mode, Tables};
use super::users::valid_name;
use super::{StoreError, Tx, View};
use commcenter::access::{self, Audience, Caller, Slot};
use commcenter::wire::{
    Conversation, ConversationFilter, ConversationKind, ConversationPatch, ConversationStatus,
    EventData, NewConversation, Page, Role,
};
use commcenter::Id;

/// Most tags on a conversation, and longest tag.
const MAX_TAGS: usize = 32;
const MAX_TAG_CHARS: usize = 64;

impl<M: Mode> Tables<M> {
    pub(super) fn find_conversation(
        &self,
        id: Id,
    ) -> Result<Option<ConversationRecord>, StoreError> {
        match self.conversation.get(id.to_u128())? {
            Some(v) => Ok(Some(decode(v.value())?)),
            None => Ok(None),
        }
    }

    /// The conversation if `caller` takes part in it; otherwise `NotFound`.
    pub(super) fn visible_conversation(
        &self,
        caller: &Caller,
        id: Id,
    ) -> Result<ConversationRecord, StoreError> {
        let conversation = self
            .find_conversation(id)?
            .ok_or_else(|| StoreError::not_found("conversation", id))?;
        if self.audience_includes(&conversation.audience(), caller)? {
            Ok(conversation)
        } else {
            Err(StoreError::not_found("conversation", id))
        }
    }

    /// How far `user` has read in a conversation.
    pub(super) fn read_marker(&self, conversation: Id, user: Id) -> Result<Ordinals, StoreError> {
        Ok(self
            .conversation_read_marker
            .get((conversation.to_u128(), user.to_u128()))?
            .map(|v| {
                let (all, public) = v.value();
                Ordinals { all, public }
            })
            .unwrap_or_default())
    }

    /// The conversation as `caller` sees it, with their unread count.
    pub(super) fn conversation_for(
        &self,
        caller: &Caller,
        c: &ConversationRecord,
    ) -> Result<Conversation, StoreError> {
        let marker = self.read_marker(c.id, caller.user_id)?;
        let unread = if access::may_see_private_notes(caller) {
            c.all.count.saturating_sub(marker.all)
        } else {
            c.public.count.saturating_sub(marker.public)
        };
        Ok(c.to_wire(caller, unread))
    }
}

impl<M: Mode> Tables<M> {
    /// Whether any conversation exists.
    pub fn has_conversations(&self) -> Result<bool, StoreError> {
        Ok(self.conversation.first()?.is_some())
    }
}

impl View {
    /// `GET /conversations/{id}`.
    pub fn get_conversation(&self, caller: &Caller, id: Id) -> Result<Conversation, StoreError> {
        let c = self.visible_conversation(caller, id)?;
        self.conversation_for(caller, &c)
    }

    /// `GET /conversations`: what `caller` takes part in, filtered, most
    /// recent activity (that the caller can see) first.
    pub fn list_conversations(
        &self,
        caller: &Caller,
        filter: &ConversationFilter,
        limit: usize,
        after: Option<&str>,
    ) -> Result<Page<Conversation>, StoreError> {
        let after = after.map(cursor::decode_pair).transpose()?;
        let unfiltered = filter.customer_id.is_none() && filter.project_id.is_none();
        if access::in_every_audience(caller) && unfiltered {
            return self.list_by_activity_index(caller, filter, limit, after);
        }
        let mut candidates = Vec::new();
        for id in self.candidate_conversations(caller, filter)? {
            let Some(c) = self.find_conversation(id)? else {
                continue;
            };
            if self.audience_includes(&c.audience(), caller)?
                && filter_matches(filter, &c, c.tally_for(caller))
            {
                let activity = c.tally_for(caller).last_at.unwrap_or(c.created_at).millis();
                candidates.push((activity, c));
            }
        }
        candidates.sort_by_key(|(activity, c)| std::cmp::Reverse((*activity, c.id)));
        let mut items = Vec::new();
        let mut next_cursor = None;
        for (activity, c) in candidates {
            if after.is_some_and(|(ms, id)| (activity, c.id) >= (ms, id)) {
                continue;
            }
            if items.len() == limit {
                next_cursor = items
                    .last()
                    .map(|(ms, c): &(i64, Conversation)| cursor::encode_pair(*ms, c.id));
                break;
            }
            items.push((activity, self.conversation_for(caller, &c)?));
        }
        Ok(Page {
            items: items.into_iter().map(|(_, c)| c).collect(),
            next_cursor,
        })
    }

    /// Staff without a customer or project filter: walk the activity index.
    fn list_by_activity_index(
        &self,
        caller: &Caller,
        filter: &ConversationFilter,
        limit: usize,
        after: Option<(i64, Id)>,
    ) -> Result<Page<Conversation>, StoreError> {
        let upper = after.map_or((i64::MAX, u128::MAX), |(ms, id)| (ms, id.to_u128()));
        let mut items: Vec<(i64, Conversation)> = Vec::new();
        let mut next_cursor = None;
        for row in self.activity_conversation.range(..upper)?.rev() {
            let (ms, id) = row?.0.value();
            let Some(c) = self.find_conversation(Id::from_u128(id))? else {
                continue;
            };
            if !filter_matches(filter, &c, &c.all) {
                continue;
            }
            if items.len() == limit {
                next_cursor = items.last().map(|(ms, c)| cursor::encode_pair(*ms, c.id));
                break;
            }
            items.push((ms, self.conversation_for(caller, &c)?));
        }
        Ok(Page {
            items: items.into_iter().map(|(_, c)| c).collect(),
            next_cursor,
        })
    }

    /// Conversation ids worth looking at for a caller and filter, from the
    /// narrowest index that applies.
    fn candidate_conversations(
        &self,
        caller: &Caller,
        filter: &ConversationFilter,
    ) -> Result<Vec<Id>, StoreError> {
        if let Some(project_id) = filter.project_id {
            return Ok(self
                .find_project(project_id)?
                .map(|p| p.conversation_id)
                .into_iter()
                .collect());
        }
        let mut ids = Vec::new();
        match caller.role {
            Role::Crew => {
                let me = caller.user_id.to_u128();
                for row in self.crew_project.range((me, 0)..=(me, u128::MAX))? {
                    let project = Id::from_u128(row?.0.value().1);
                    if let Some(p) = self.find_project(project)? {
                        ids.push(p.conversation_id);
                    }
                }
            }
            _ => {
                let customer = match caller.role {
                    Role::Customer => caller.user_id,
                    _ => filter.customer_id.unwrap_or(caller.user_id),
                }
                .to_u128();
                for row in self
                    .customer_conversation
                    .range((customer, 0)..=(customer, u128::MAX))?
                {
                    ids.push(Id::from_u128(row?.0.value().1));
                }
            }
        }
        Ok(ids)
    }
}

impl Tx<'_> {
    /// `POST /conversations`: staff for any customer, a customer for themself.
    pub fn create_conversation(
        &mut self,
        caller: &Caller,
        new: NewConversation,
    ) -> Result<Conversation, StoreError> {
        access::may_open_conversation(caller, new.customer_id)?;
        self.require_fit(new.customer_id, Slot::Customer, "customer_id")?;
        let subject = new
            .subject
            .as_deref()
            .map(|s| valid_name("subject", s))
            .transpose()?;
        let record =
            self.insert_conversation(ConversationKind::Customer, new.customer_id, None, subject)?;
        self.conversation_for(caller, &record)
    }

    /// Writes a new conversation with its indexes and event.
    pub(super) fn insert_conversation(
        &mut self,
        kind: ConversationKind,
        customer_id: Id,
        project_id: Option<Id>,
        subject: Option<String>,
    ) -> Result<ConversationRecord, StoreError> {
        let record = ConversationRecord {
            id: self.new_id(),
            kind,
            customer_id,
            project_id,
            subject,
            status: ConversationStatus::Open,
            assignee_id: None,
            tags: Vec::new(),
            created_at: self.now,
            updated_at: self.now,
            all: Tally::default(),
            public: Tally::default(),
        };
        let id = record.id.to_u128();
        self.insert(
            |t| &mut t.customer_conversation,
            (customer_id.to_u128(), id),
            (),
        )?;
        self.insert(
            |t| &mut t.activity_conversation,
            (record.activity(), id),
            (),
        )?;
        self.put_conversation(&record)?;
        self.emit_conversation(&record)?;
        Ok(record)
    }

    pub(super) fn put_conversation(
        &mut self,
        record: &ConversationRecord,
    ) -> Result<(), StoreError> {
        let old = self.find_conversation(record.id)?;
        self.analytics_conversation(old.as_ref(), record)?;
        let bytes = encode(record)?;
        self.insert(
            |t| &mut t.conversation,
            record.id.to_u128(),
            bytes.as_slice(),
        )
    }

    /// Moves a conversation in the activity index after its activity changed.
    pub(super) fn reindex_activity(
        &mut self,
        old_activity: i64,
        record: &ConversationRecord,
    ) -> Result<(), StoreError> {
        let id = record.id.to_u128();
        self.remove(|t| &mut t.activity_conversation, (old_activity, id))?;
        self.insert(
            |t| &mut t.activity_conversation,
            (record.activity(), id),
            (),
        )
    }

    /// A `conversation.updated` event. Its conversation is the one customers
    /// and crew see (no staff-only notes in counts or preview) with an
    /// `unread_count` of 0, because one frame goes to every participant.
    pub(super) fn emit_conversation(
        &mut self,
        record: &ConversationRecord,
    ) -> Result<(), StoreError> {
        let mut shown = record.clone();
        shown.all = record.public.clone();
        let viewer = Caller {
            user_id: record.customer_id,
            role: Role::Customer,
            token_id: record.id,
        };
        let conversation = Box::new(shown.to_wire(&viewer, 0));
        self.emit(
            record.audience(),
            EventData::ConversationUpdated { conversation },
        )?;
        Ok(())
    }

    /// `PATCH /conversations/{id}` (staff).
    pub fn patch_conversation(
        &mut self,
        caller: &Caller,
        id: Id,
        patch: ConversationPatch,
    ) -> Result<Conversation, StoreError> {
        let mut record = self.visible_conversation(caller, id)?;
        access::may_change_conversation(caller)?;
        if let Some(Some(assignee)) = patch.assignee_id {
            self.require_fit(assignee, Slot::Assignee, "assignee_id")?;
        }
        let tags = patch.tags.map(valid_tags).transpose()?;
        if let Some(status) = patch.status {
            record.status = status;
        }
        if let Some(assignee) = patch.assignee_id {
            record.assignee_id = assignee;
        }
        if let Some(tags) = tags {
            record.tags = tags;
        }
        record.updated_at = self.now;
        self.put_conversation(&record)?;
        self.emit_conversation(&record)?;
        self.conversation_for(caller, &record)
    }

    /// `POST /conversations/{id}/read`: marks every message up to `up_to`
    /// (default: the newest) as read by the caller.
    pub fn read_conversation(
        &mut self,
        caller: &Caller,
        id: Id,
        up_to: Option<Id>,
    ) -> Result<Conversation, StoreError> {
        let record = self.visible_conversation(caller, id)?;
        let target = match up_to {
            None => Ordinals {
                all: record.all.count,
                public: record.public.count,
            },
            Some(message_id) => {
                let message = self
                    .find_message(message_id)?
                    .filter(|m| {
                        m.conversation_id == id && access::may_see_message(caller, m.private, true)
                    })
                    .ok_or_else(|| {
                        StoreError::invalid(
                            "up_to",
                            format!("message {message_id} is not in conversation {id}"),
                        )
                    })?;
                message.ord
            }
        };
        self.mark_read(caller, &record, target)?;
        self.conversation_for(caller, &record)
    }
}

/// Tags: trimmed, non-empty, unique, at most `MAX_TAGS` of at most
/// `MAX_TAG_CHARS` characters each.
fn valid_tags(tags: Vec<String>) -> Result<Vec<String>, StoreError> {
    if tags.len() > MAX_TAGS {
        return Err(StoreError::invalid(
            "tags",
            format!("at most {MAX_TAGS} tags"),
        ));
    }
    let mut out: Vec<String> = Vec::with_capacity(tags.len());
    for tag in tags {
        let tag = tag.trim().to_owned();
        if tag.is_empty()
            || tag.chars().count() > MAX_TAG_CHARS
            || tag.chars().any(char::is_control)
        {
            return Err(StoreError::invalid(
                "tags",
                format!("each tag must be 1 to {MAX_TAG_CHARS} printable characters"),
            ));
        }
        if !out.contains(&tag) {
            out.push(tag);
        }
    }
    Ok(out)
}

impl ConversationRecord {
    /// The audience of a message in this conversation.
    pub(super) fn message_audience(&self, private: bool) -> Audience {
        self.audience().private_if(private)
    }
}

//! What a match must satisfy besides its words: the filters and the
//! caller's rights, checked first on the posting, then on the record.

use std::collections::HashSet;

use super::parse::ParsedQuery;
use super::postings::{owner_hash, Posting};
use super::query::attachment_names;
use super::{snippet, DocRecord};
use crate::records::{decode, ConversationRecord, MessageRecord};
use crate::{StoreError, View};
use commcenter::access::{self, Caller};
use commcenter::wire::{ConversationKind, Role, SearchQuery};
use commcenter::Id;

/// What a match must satisfy besides its words.
pub(super) struct Rules<'q> {
    caller: Caller,
    query: &'q SearchQuery,
    /// Owner hashes a match may have (the caller's own or a filter's);
    /// `None`: any.
    owners: Option<HashSet<u16>>,
    /// Only project (crew) conversations, or only customer ones.
    project_conversation: Option<bool>,
    /// The matches need their record read (ids, rights, status, phrases).
    pub(super) confirm: bool,
    phrases: Vec<Vec<String>>,
    crew_projects: HashSet<Id>,
    /// A filter names something that does not exist: nothing matches.
    pub(super) impossible: bool,
    /// The only conversations a match can be in, when the caller or a
    /// filter confines the search to a few.
    pub(super) scope: Option<Vec<ConversationRecord>>,
}

impl<'q> Rules<'q> {
    pub(super) fn new(
        view: &View,
        caller: &Caller,
        query: &'q SearchQuery,
        parsed: &ParsedQuery,
    ) -> Result<Self, StoreError> {
        let mut rules = Rules {
            caller: *caller,
            query,
            owners: None,
            project_conversation: None,
            confirm: !parsed.phrases.is_empty() || query.status.is_some(),
            phrases: parsed.phrases.clone(),
            crew_projects: HashSet::new(),
            impossible: false,
            scope: None,
        };
        rules.narrow_to_caller(view)?;
        rules.narrow_to_filters(view)?;
        rules.scope = scope(view, caller, query)?;
        if rules.scope.as_ref().is_some_and(Vec::is_empty) {
            rules.impossible = true;
        }
        Ok(rules)
    }

    /// A customer or crew member's own documents, as hashes to skip the
    /// rest cheaply; the record confirms each match with `access`.
    fn narrow_to_caller(&mut self, view: &View) -> Result<(), StoreError> {
        if access::in_every_audience(&self.caller) {
            return Ok(());
        }
        self.confirm = true;
        match self.caller.role {
            Role::Customer => self.restrict([owner_hash(self.caller.user_id)]),
            Role::Crew => {
                let me = self.caller.user_id.to_u128();
                let mut customers = Vec::new();
                for row in view.crew_project.range((me, 0)..=(me, u128::MAX))? {
                    let project = Id::from_u128(row?.0.value().1);
                    if let Some(p) = view.find_project(project)? {
                        customers.push(owner_hash(p.customer_id));
                    }
                    self.crew_projects.insert(project);
                }
                self.restrict(customers);
            }
            _ => self.impossible = true,
        }
        Ok(())
    }

    fn narrow_to_filters(&mut self, view: &View) -> Result<(), StoreError> {
        let q = self.query;
        if let Some(customer) = q.customer_id {
            self.confirm = true;
            self.restrict([owner_hash(customer)]);
        }
        if let Some(project) = q.project_id {
            self.confirm = true;
            match view.find_project(project)? {
                Some(p) => self.restrict([owner_hash(p.customer_id)]),
                None => self.impossible = true,
            }
        }
        if let Some(conversation) = q.conversation_id {
            self.confirm = true;
            match view.find_conversation(conversation)? {
                Some(c) => {
                    self.restrict([owner_hash(c.customer_id)]);
                    self.only_project_conversations(c.kind == ConversationKind::Project);
                }
                None => self.impossible = true,
            }
        }
        Ok(())
    }

    fn restrict(&mut self, hashes: impl IntoIterator<Item = u16>) {
        let hashes: HashSet<u16> = hashes.into_iter().collect();
        self.owners = Some(match self.owners.take() {
            Some(had) => had.intersection(&hashes).copied().collect(),
            None => hashes,
        });
    }

    fn only_project_conversations(&mut self, project: bool) {
        if self.project_conversation.is_some_and(|p| p != project) {
            self.impossible = true;
        }
        self.project_conversation = Some(project);
    }

    /// What the posting alone can refuse.
    pub(super) fn posting_passes(&self, p: &Posting) -> bool {
        let q = self.query;
        q.channel.is_none_or(|c| p.channel() == c)
            && q.direction.is_none_or(|d| p.direction() == d)
            && q.has_attachments.is_none_or(|a| p.has_attachments() == a)
            && (!p.private() || access::may_see_private_notes(&self.caller))
            && self
                .project_conversation
                .is_none_or(|pc| p.project_conversation() == pc)
            && self.owners.as_ref().is_none_or(|o| o.contains(&p.owner))
    }

    /// The rest, on the document's record (and message, when needed).
    pub(super) fn record_passes(&self, view: &View, r: &DocRecord) -> Result<bool, StoreError> {
        let q = self.query;
        let ids_match = q.customer_id.is_none_or(|c| r.customer == c)
            && q.project_id.is_none_or(|p| r.project == Some(p))
            && q.conversation_id.is_none_or(|c| r.conversation == c);
        let crew = &self.crew_projects;
        if !ids_match || !r.audience().includes(&self.caller, |p| crew.contains(&p)) {
            return Ok(false);
        }
        if q.status.is_none() && self.phrases.is_empty() {
            return Ok(true);
        }
        let Some(message) = find_message(view, r.message)? else {
            return Ok(false);
        };
        if q.status.is_some_and(|s| message.status != s) {
            return Ok(false);
        }
        let names = attachment_names(view, &message)?;
        Ok(self
            .phrases
            .iter()
            .all(|phrase| snippet::has_phrase(&message, &names, phrase)))
    }
}

/// The conversations the caller (a customer or crew member) or a
/// `conversation_id`/`customer_id` filter confines the search to, if any:
/// a superset of where a match may be, which the join walks instead of the
/// whole index when it is the smaller source.
fn scope(
    view: &View,
    caller: &Caller,
    query: &SearchQuery,
) -> Result<Option<Vec<ConversationRecord>>, StoreError> {
    let mut sets: Vec<Vec<ConversationRecord>> = Vec::new();
    match caller.role {
        Role::Customer => {
            let mine = customer_conversations(view, caller.user_id)?;
            sets.push(
                mine.into_iter()
                    .filter(|c| c.kind == ConversationKind::Customer)
                    .collect(),
            );
        }
        Role::Crew => {
            let me = caller.user_id.to_u128();
            let mut channels = Vec::new();
            for row in view.crew_project.range((me, 0)..=(me, u128::MAX))? {
                let project = Id::from_u128(row?.0.value().1);
                if let Some(p) = view.find_project(project)? {
                    channels.extend(view.find_conversation(p.conversation_id)?);
                }
            }
            sets.push(channels);
        }
        _ => {}
    }
    if let Some(id) = query.conversation_id {
        sets.push(view.find_conversation(id)?.into_iter().collect());
    }
    if let Some(customer) = query.customer_id {
        sets.push(customer_conversations(view, customer)?);
    }
    let mut sets = sets.into_iter();
    let Some(first) = sets.next() else {
        return Ok(None);
    };
    Ok(Some(sets.fold(first, |kept, set| {
        kept.into_iter()
            .filter(|c| set.iter().any(|s| s.id == c.id))
            .collect()
    })))
}

fn customer_conversations(
    view: &View,
    customer: Id,
) -> Result<Vec<ConversationRecord>, StoreError> {
    let c = customer.to_u128();
    let mut found = Vec::new();
    for row in view.customer_conversation.range((c, 0)..=(c, u128::MAX))? {
        let id = Id::from_u128(row?.0.value().1);
        found.extend(view.find_conversation(id)?);
    }
    Ok(found)
}

pub(super) fn find_message(view: &View, id: Id) -> Result<Option<MessageRecord>, StoreError> {
    match view.message.get(id.to_u128())? {
        Some(v) => Ok(Some(decode(v.value())?)),
        None => Ok(None),
    }
}

//! What a match must satisfy besides its words: the filters and the
//! caller's rights, checked first on the posting, then on the record.

use std::collections::{HashMap, HashSet};

use super::parse::ParsedQuery;
use super::postings::Posting;
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
    /// The matches need their record read (scope, status, phrases).
    pub(super) confirm: bool,
    phrases: Vec<Vec<String>>,
    crew_projects: HashSet<Id>,
    /// A filter names something that does not exist: nothing matches.
    pub(super) impossible: bool,
    /// The only conversations a match can be in, when the caller (a
    /// customer or crew member: always) or a filter confines the search.
    pub(super) scope: Option<HashMap<Id, ConversationRecord>>,
}

impl<'q> Rules<'q> {
    pub(super) fn new(
        view: &View,
        caller: &Caller,
        query: &'q SearchQuery,
        parsed: &ParsedQuery,
    ) -> Result<Self, StoreError> {
        let scope = scope(view, caller, query)?;
        let crew_projects = match caller.role {
            Role::Crew => crew_projects(view, caller.user_id)?,
            _ => HashSet::new(),
        };
        Ok(Rules {
            caller: *caller,
            query,
            confirm: scope.is_some() || !parsed.phrases.is_empty() || query.status.is_some(),
            phrases: parsed.phrases.clone(),
            crew_projects,
            impossible: scope.as_ref().is_some_and(HashMap::is_empty),
            scope,
        })
    }

    /// What the posting alone can refuse.
    pub(super) fn posting_passes(&self, p: &Posting) -> bool {
        let q = self.query;
        q.channel.is_none_or(|c| p.channel() == c)
            && q.direction.is_none_or(|d| p.direction() == d)
            && q.has_attachments.is_none_or(|a| p.has_attachments() == a)
            && (!p.private() || access::may_see_private_notes(&self.caller))
    }

    /// The rest, on the document's record (and message, when needed): its
    /// conversation is in scope and [`access`] lets the caller see it there.
    pub(super) fn record_passes(&self, view: &View, r: &DocRecord) -> Result<bool, StoreError> {
        if let Some(scope) = &self.scope {
            let Some(conversation) = scope.get(&r.conversation) else {
                return Ok(false);
            };
            let audience = conversation.audience().private_if(r.traits.private());
            let crew = &self.crew_projects;
            if !audience.includes(&self.caller, |p| crew.contains(&p)) {
                return Ok(false);
            }
        } else if !access::in_every_audience(&self.caller) {
            return Ok(false);
        }
        let q = self.query;
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

fn crew_projects(view: &View, crew: Id) -> Result<HashSet<Id>, StoreError> {
    let me = crew.to_u128();
    let mut projects = HashSet::new();
    for row in view.crew_project.range((me, 0)..=(me, u128::MAX))? {
        projects.insert(Id::from_u128(row?.0.value().1));
    }
    Ok(projects)
}

/// The conversations the caller (a customer or crew member) or a
/// `conversation_id`, `customer_id` or `project_id` filter confines the
/// search to, if any: where every match must be, which the join walks
/// instead of the whole index when it is the smaller source. Staff with no
/// such filter: `None` (everywhere).
fn scope(
    view: &View,
    caller: &Caller,
    query: &SearchQuery,
) -> Result<Option<HashMap<Id, ConversationRecord>>, StoreError> {
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
            let mut channels = Vec::new();
            for project in crew_projects(view, caller.user_id)? {
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
    if let Some(project) = query.project_id {
        let about = match view.find_project(project)? {
            Some(p) => customer_conversations(view, p.customer_id)?
                .into_iter()
                .filter(|c| c.project_id == Some(project))
                .collect(),
            None => Vec::new(),
        };
        sets.push(about);
    }
    let mut sets = sets.into_iter();
    let Some(first) = sets.next() else {
        return Ok(None);
    };
    let kept = sets.fold(first, |kept, set| {
        kept.into_iter()
            .filter(|c| set.iter().any(|s| s.id == c.id))
            .collect()
    });
    Ok(Some(kept.into_iter().map(|c| (c.id, c)).collect()))
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

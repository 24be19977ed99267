//! The demo data set (`commcenterd --demo`): `fixtures/demo.json`, compiled
//! in, loaded into an empty store in one transaction.
//!
//! Message times in the file are relative (`minutes_ago`), so the data always
//! covers the last 30 days. Its tokens are public: demo use only.

use std::collections::HashMap;

use anyhow::Context;
use commcenter::access::Caller;
use commcenter::wire::{
    Channel, ConversationPatch, ConversationStatus, Location, NewConversation, NewProject, NewUser,
    ProjectPatch, ProjectStatus, Role,
};
use commcenter::{Id, Timestamp};
use commcenter_store::{ImportedMessage, Store, StoreError, Tx};
use serde::Deserialize;

mod templates;

const DEMO_JSON: &str = include_str!("../../fixtures/demo.json");

#[derive(Deserialize)]
struct Demo {
    users: Vec<DemoUser>,
    projects: Vec<DemoProject>,
    conversations: Vec<DemoConversation>,
    messages: Vec<DemoMessage>,
}

#[derive(Deserialize)]
struct DemoUser {
    key: String,
    name: String,
    role: Role,
    email: Option<String>,
    phone: Option<String>,
    token: String,
}

#[derive(Deserialize)]
struct DemoProject {
    key: String,
    name: String,
    customer: String,
    address: Option<String>,
    crew: Vec<String>,
    status: Option<ProjectStatus>,
}

#[derive(Deserialize)]
struct DemoConversation {
    key: String,
    customer: String,
    subject: String,
    status: ConversationStatus,
    assignee: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
}

#[derive(Deserialize)]
struct DemoMessage {
    conversation: Option<String>,
    project: Option<String>,
    sender: String,
    channel: Channel,
    body: String,
    subject: Option<String>,
    #[serde(default)]
    private: bool,
    location: Option<Location>,
    minutes_ago: i64,
    /// Read by the other side.
    #[serde(default)]
    read: bool,
}

/// Loads the demo data unless the store already has conversations.
pub async fn load_if_empty(store: &Store) -> anyhow::Result<()> {
    let demo: Demo = serde_json::from_str(DEMO_JSON).context("fixtures/demo.json")?;
    let loaded = store
        .write(move |tx| {
            if tx.has_conversations()? {
                return Ok(false);
            }
            Loader::default().load(tx, demo)?;
            Ok(true)
        })
        .await?;
    if loaded {
        tracing::info!("demo data loaded");
    }
    Ok(())
}

/// Keys of the file → what they became in the store.
#[derive(Default)]
struct Loader {
    users: HashMap<String, Caller>,
    conversations: HashMap<String, (Id, Caller)>,
    /// Statuses set once the messages are in: an imported inbound message
    /// reopens a conversation, as a live one would.
    statuses: Vec<(Id, ConversationStatus)>,
}

impl Loader {
    fn load(mut self, tx: &mut Tx<'_>, demo: Demo) -> Result<(), StoreError> {
        let now = tx.now();
        tx.set_clock(now.plus_millis(-31 * 86_400_000));
        for user in demo.users {
            self.user(tx, user)?;
        }
        let admin = self.caller("dana")?;
        let templates = templates::create_all(tx, &admin)?;
        for project in demo.projects {
            self.project(tx, &admin, project)?;
        }
        for conversation in demo.conversations {
            self.conversation(tx, &admin, conversation)?;
        }
        for message in demo.messages {
            self.message(tx, now, message)?;
        }
        tx.set_clock(now);
        let priya = self.caller("priya")?;
        for (name, key, variables) in templates::SENT {
            let conversation = self.conversation_id(key)?;
            templates::send(tx, &templates, &priya, conversation, (name, variables))?;
        }
        for (conversation_id, status) in std::mem::take(&mut self.statuses) {
            let patch = ConversationPatch {
                status: Some(status),
                ..Default::default()
            };
            tx.patch_conversation(&admin, conversation_id, patch)?;
        }
        Ok(())
    }

    fn caller(&self, key: &str) -> Result<Caller, StoreError> {
        self.users
            .get(key)
            .copied()
            .ok_or_else(|| StoreError::Internal(format!("demo.json: no user `{key}`")))
    }

    fn conversation_id(&self, key: &str) -> Result<Id, StoreError> {
        self.conversations
            .get(key)
            .map(|(id, _)| *id)
            .ok_or_else(|| StoreError::Internal(format!("demo.json: no conversation `{key}`")))
    }

    fn user(&mut self, tx: &mut Tx<'_>, user: DemoUser) -> Result<(), StoreError> {
        let new = NewUser {
            name: user.name,
            role: user.role,
            email: user.email,
            phone: user.phone,
        };
        let created = tx.create_user_with_token(new, &user.token)?;
        let caller = Caller {
            user_id: created.id,
            role: created.role,
            token_id: created.id,
        };
        self.users.insert(user.key, caller);
        Ok(())
    }

    fn project(
        &mut self,
        tx: &mut Tx<'_>,
        admin: &Caller,
        p: DemoProject,
    ) -> Result<(), StoreError> {
        let crew_ids = p
            .crew
            .iter()
            .map(|k| self.caller(k).map(|c| c.user_id))
            .collect::<Result<_, _>>()?;
        let new = NewProject {
            name: p.name,
            customer_id: self.caller(&p.customer)?.user_id,
            address: p.address,
            crew_ids: Some(crew_ids),
        };
        let project = tx.create_project(admin, new)?;
        if let Some(status) = p.status {
            let patch = ProjectPatch {
                status: Some(status),
                ..Default::default()
            };
            tx.patch_project(admin, project.id, patch)?;
        }
        let first_crew = self.caller(p.crew.first().map_or("", String::as_str))?;
        self.conversations
            .insert(p.key, (project.conversation_id, first_crew));
        Ok(())
    }

    fn conversation(
        &mut self,
        tx: &mut Tx<'_>,
        admin: &Caller,
        c: DemoConversation,
    ) -> Result<(), StoreError> {
        let customer = self.caller(&c.customer)?;
        let new = NewConversation {
            customer_id: customer.user_id,
            subject: Some(c.subject),
        };
        let conversation = tx.create_conversation(admin, new)?;
        let assignee = c.assignee.as_deref().map(|k| self.caller(k)).transpose()?;
        let patch = ConversationPatch {
            status: None,
            assignee_id: assignee.map(|a| Some(a.user_id)),
            tags: Some(c.tags),
        };
        tx.patch_conversation(admin, conversation.id, patch)?;
        if c.status != ConversationStatus::Open {
            self.statuses.push((conversation.id, c.status));
        }
        self.conversations
            .insert(c.key, (conversation.id, customer));
        Ok(())
    }

    fn message(
        &mut self,
        tx: &mut Tx<'_>,
        now: Timestamp,
        m: DemoMessage,
    ) -> Result<(), StoreError> {
        let key = m.conversation.or(m.project).unwrap_or_default();
        let (conversation_id, other_side) = *self
            .conversations
            .get(&key)
            .ok_or_else(|| StoreError::Internal(format!("demo.json: no conversation `{key}`")))?;
        let sender = self.caller(&m.sender)?;
        let imported = ImportedMessage {
            sender_id: sender.user_id,
            channel: m.channel,
            subject: m.subject,
            body: m.body,
            private: m.private,
            location: m.location,
            at: now.plus_millis(-m.minutes_ago * 60_000),
        };
        let message = tx.import_message(conversation_id, imported)?;
        if m.read {
            // Staff messages are read by the customer (or crew); the others by staff.
            let reader = if sender.is_staff() && !m.private {
                other_side
            } else {
                self.caller("priya")?
            };
            if reader.user_id != sender.user_id {
                tx.set_clock(message.created_at.plus_millis(7 * 60_000));
                tx.read_conversation(&reader, conversation_id, Some(message.id))?;
            }
        }
        Ok(())
    }
}

//! Rebuilding the analytics tables from the messages, once, for a store
//! written before they existed (or by another version of them).

use redb::{Database, ReadableTable, TableHandle, WriteTransaction};

use super::ANALYTICS_VERSION;
use crate::records::{decode, ConversationRecord};
use crate::tables::*;
use crate::{meta_u64, StoreError, Tx};
use commcenter::Id;

const VERSION_KEY: &str = "analytics_version";

/// Rebuilds the analytics tables unless meta says they are of this version.
/// Runs before the writer starts, in one transaction: either the whole
/// rebuild and its marker are committed, or neither.
pub(crate) fn rebuild_if_stale(db: &Database) -> Result<(), StoreError> {
    let txn = db.begin_write()?;
    let current = meta_u64(&txn.open_table(META)?, VERSION_KEY)?;
    if current == Some(ANALYTICS_VERSION) {
        return Ok(());
    }
    clear_tables(&txn)?;
    {
        let mut tx = Tx::open(&txn, 0)?;
        let counted = tx.replay_messages()?;
        tracing::info!(
            messages = counted,
            "analytics rebuilt from the stored messages"
        );
        tx.insert(
            |t| &mut t.meta,
            VERSION_KEY,
            ANALYTICS_VERSION.to_be_bytes().as_slice(),
        )?;
    }
    txn.commit()?;
    Ok(())
}

fn clear_tables(txn: &WriteTransaction) -> Result<(), StoreError> {
    let names = [
        ANALYTICS_HOUR.name(),
        ANALYTICS_MESSAGE.name(),
        ANALYTICS_ACTIVE.name(),
        ANALYTICS_CUSTOMER.name(),
        ANALYTICS_STAFF.name(),
        ANALYTICS_TURN.name(),
        ANALYTICS_TURN_HOUR.name(),
        ANALYTICS_OPEN_TURN.name(),
        ANALYTICS_STATUS.name(),
        ANALYTICS_ASSIGNED_OPEN.name(),
        ANALYTICS_CONTACT.name(),
    ];
    let existing: Vec<String> = txn
        .list_tables()?
        .map(|t| t.name().to_owned())
        .filter(|name| names.contains(&name.as_str()))
        .collect();
    for name in existing {
        txn.delete_table(redb::TableDefinition::<(), ()>::new(&name))?;
    }
    txn.open_table(META)?
        .remove(super::active::NEXT_CUSTOMER_KEY)?;
    Ok(())
}

impl Tx<'_> {
    /// Counts every conversation and, in each conversation's order, every
    /// message (and whether it was read), as their writes would have.
    fn replay_messages(&mut self) -> Result<u64, StoreError> {
        let mut users = Vec::new();
        for row in self.user.iter()? {
            users.push(decode::<commcenter::wire::User>(row?.1.value())?);
        }
        for user in &users {
            self.analytics_user(user)?;
        }
        let mut conversations = Vec::new();
        for row in self.conversation.iter()? {
            conversations.push(decode::<ConversationRecord>(row?.1.value())?);
        }
        let mut counted = 0;
        for conversation in conversations {
            self.analytics_conversation(None, &conversation)?;
            for id in self.message_ids(conversation.id)? {
                let Some(message) = self.find_message(Id::from_u128(id))? else {
                    continue;
                };
                self.analytics_message(&conversation, &message)?;
                counted += 1;
            }
        }
        Ok(counted)
    }

    fn message_ids(&self, conversation: Id) -> Result<Vec<u128>, StoreError> {
        let c = conversation.to_u128();
        let mut ids = Vec::new();
        for row in self.conversation_message.range((c, 0)..=(c, u64::MAX))? {
            ids.push(row?.1.value());
        }
        Ok(ids)
    }
}

impl crate::Store {
    /// Test support: removes the analytics tables and their version marker
    /// from the store file at `path` (which no daemon may have open), as a
    /// store written before analytics existed would be.
    #[doc(hidden)]
    pub fn forget_analytics(path: &std::path::Path) -> Result<(), StoreError> {
        let db = Database::open(path)?;
        let txn = db.begin_write()?;
        clear_tables(&txn)?;
        txn.open_table(META)?.remove(VERSION_KEY)?;
        txn.commit()?;
        Ok(())
    }
}

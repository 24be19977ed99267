//! Writing the index, in the transaction that writes the message.
//!
//! A message gets a doc number and a row in `search_doc` at once; its
//! postings wait in [`Pending`] until the transaction finishes, so that a
//! batch of a thousand messages rewrites each token's last block once, not
//! a thousand times. Pending postings belong to the transaction: if it rolls
//! back, they go with it.

use std::collections::BTreeMap;

use redb::ReadableTable;

use super::postings::{self, decode_block, encode_block, DocTraits, Posting, BLOCK_POSTINGS};
use super::tokenize::tokenize;
use super::{DocRecord, SEARCH_DOCS, SEARCH_TOKENS};
use crate::records::MessageRecord;
use crate::tx::Tx;
use crate::{meta_u64, StoreError};

/// How many doc rows from a message's millisecond on are searched for its
/// doc: a millisecond holds up to 4,096, and its overflow goes to the next.
const DOC_SCAN: usize = 16_384;

/// Postings of this transaction, by token, not yet in their blocks.
#[derive(Default)]
pub struct Pending {
    postings: BTreeMap<String, Vec<Posting>>,
    docs: u64,
    tokens: u64,
}

impl Tx<'_> {
    /// Indexes a new message: its subject, body and attachment names.
    pub(crate) fn index_message(&mut self, message: &MessageRecord) -> Result<(), StoreError> {
        let (counts, length) = self.token_counts(message)?;
        let traits = DocTraits {
            channel: message.channel,
            direction: message.direction,
            private: message.private,
            has_attachments: !message.attachment_ids.is_empty(),
            length,
        };
        let doc = self.new_doc(message, &traits)?;
        for (token, tf) in counts {
            let posting = Posting::new(doc, &traits, tf);
            self.search.postings.entry(token).or_default().push(posting);
        }
        self.search.docs += 1;
        self.search.tokens += length as u64;
        Ok(())
    }

    /// The tokens of a message's subject, body and attachment names, with
    /// how often each occurs, and how many there are in all.
    fn token_counts(
        &self,
        message: &MessageRecord,
    ) -> Result<(BTreeMap<String, usize>, usize), StoreError> {
        let mut names = Vec::new();
        for id in &message.attachment_ids {
            if let Some(file) = self.find_file(*id)? {
                names.push(file.file.name);
            }
        }
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        let mut length = 0;
        for text in [message.subject.as_deref().unwrap_or("")]
            .into_iter()
            .chain(std::iter::once(message.body.as_str()))
            .chain(names.iter().map(String::as_str))
        {
            tokenize(text, |token, _| {
                length += 1;
                *counts.entry(token.to_owned()).or_default() += 1;
            });
        }
        Ok((counts, length))
    }

    /// Takes a message out of the index: its postings (and their document
    /// frequencies), its doc record, its row among its conversation's docs
    /// and its share of the totals. `message` must hold the text that was
    /// indexed, and its attachments' files must still exist (their names
    /// were indexed). A message the index does not hold is left alone.
    pub(crate) fn unindex_message(&mut self, message: &MessageRecord) -> Result<(), StoreError> {
        // Postings of this transaction's messages go to their blocks first,
        // so that the message's own are found there.
        self.flush_search()?;
        let Some(doc) = self.doc_of(message)? else {
            return Ok(());
        };
        let (counts, length) = self.token_counts(message)?;
        for token in counts.keys() {
            self.remove_posting(token, doc)?;
        }
        self.remove(|t| &mut t.search_doc, doc)?;
        let key = (message.conversation_id.to_u128(), doc);
        self.remove(|t| &mut t.search_conversation_doc, key)?;
        self.sub_from_meta(SEARCH_DOCS, 1)?;
        self.sub_from_meta(SEARCH_TOKENS, length as u64)
    }

    /// The message's doc number: docs are numbered from the message's
    /// millisecond on, so it is among the first rows from there.
    fn doc_of(&self, message: &MessageRecord) -> Result<Option<u64>, StoreError> {
        let start = postings::doc_number(message.created_at.millis(), 0);
        for row in self.search_doc.range(start..)?.take(DOC_SCAN) {
            let (doc, bytes) = row?;
            let record = DocRecord::decode(doc.value(), bytes.value())?;
            if record.message == message.id {
                return Ok(Some(doc.value()));
            }
        }
        Ok(None)
    }

    /// Removes `doc` from `token`'s list and lowers its document frequency;
    /// a token no document holds any more is forgotten (no completion offers it).
    fn remove_posting(&mut self, token: &str, doc: u64) -> Result<(), StoreError> {
        let holder = self
            .search_posting
            .range((token, 0)..=(token, doc))?
            .next_back()
            .transpose()?
            .map(|(k, v)| (k.value().1, v.value().to_vec()));
        let Some((first, bytes)) = holder else {
            return Ok(());
        };
        let mut block = decode(first, &bytes)?;
        let Ok(at) = block.binary_search_by_key(&doc, |p| p.doc) else {
            return Ok(());
        };
        block.remove(at);
        self.remove(|t| &mut t.search_posting, (token, first))?;
        self.write_blocks(token, &block)?;
        let df = self.search_term.get(token)?.map_or(0, |v| v.value());
        if df <= 1 {
            self.remove(|t| &mut t.search_term, token)?;
        } else {
            self.insert(|t| &mut t.search_term, token, df - 1)?;
        }
        Ok(())
    }

    fn sub_from_meta(&mut self, key: &str, sub: u64) -> Result<(), StoreError> {
        let total = meta_u64(&self.meta, key)?.unwrap_or(0).saturating_sub(sub);
        self.insert(|t| &mut t.meta, key, total.to_be_bytes().as_slice())
    }

    /// Takes the first free doc number in the message's millisecond (the
    /// next millisecond's if all 4,096 are taken) and writes its record.
    fn new_doc(&mut self, message: &MessageRecord, traits: &DocTraits) -> Result<u64, StoreError> {
        let mut doc = postings::doc_number(message.created_at.millis(), 0);
        while self.search_doc.get(doc)?.is_some() {
            doc += 1;
        }
        let posting = Posting::new(doc, traits, 1);
        let record = DocRecord::of(message, posting);
        self.insert(|t| &mut t.search_doc, doc, record.encode().as_slice())?;
        let key = (message.conversation_id.to_u128(), doc);
        self.insert(
            |t| &mut t.search_conversation_doc,
            key,
            posting.packed_traits(),
        )?;
        Ok(doc)
    }

    /// Writes the pending postings into their blocks and the totals into
    /// meta; called once per transaction, before commit.
    pub(crate) fn flush_search(&mut self) -> Result<(), StoreError> {
        let pending = std::mem::take(&mut self.search);
        if pending.docs == 0 {
            return Ok(());
        }
        for (token, mut postings) in pending.postings {
            postings.sort_unstable_by_key(|p| p.doc);
            self.add_postings(&token, &postings)?;
        }
        self.add_to_meta(SEARCH_DOCS, pending.docs)?;
        self.add_to_meta(SEARCH_TOKENS, pending.tokens)
    }

    fn add_to_meta(&mut self, key: &str, add: u64) -> Result<(), StoreError> {
        let total = meta_u64(&self.meta, key)?.unwrap_or(0) + add;
        self.insert(|t| &mut t.meta, key, total.to_be_bytes().as_slice())
    }

    /// Adds `new` (sorted by doc, as doc numbers are handed out in order
    /// within a transaction) to `token`'s list and its document frequency.
    fn add_postings(&mut self, token: &str, new: &[Posting]) -> Result<(), StoreError> {
        let df = self.search_term.get(token)?.map_or(0, |v| v.value());
        self.insert(|t| &mut t.search_term, token, df + new.len() as u64)?;
        let last = self
            .search_posting
            .range((token, 0)..=(token, u64::MAX))?
            .next_back()
            .transpose()?
            .map(|(k, v)| (k.value().1, v.value().to_vec()));
        let Some((first, bytes)) = last else {
            return self.write_blocks(token, new);
        };
        let mut block = decode(first, &bytes)?;
        if block.last().is_none_or(|p| p.doc < new[0].doc) {
            // The usual case: newer than everything in the list.
            block.extend_from_slice(new);
            return self.write_blocks(token, &block);
        }
        for posting in new {
            self.insert_posting(token, *posting)?;
        }
        Ok(())
    }

    /// Writes `postings` (sorted) as blocks of at most [`BLOCK_POSTINGS`],
    /// each under its first doc.
    fn write_blocks(&mut self, token: &str, postings: &[Posting]) -> Result<(), StoreError> {
        for chunk in postings.chunks(BLOCK_POSTINGS) {
            let first = chunk[0].doc;
            let bytes = encode_block(first, chunk);
            self.insert(|t| &mut t.search_posting, (token, first), bytes.as_slice())?;
        }
        Ok(())
    }

    /// Puts one posting older than the list's newest in its place (a message
    /// imported with a past time).
    fn insert_posting(&mut self, token: &str, posting: Posting) -> Result<(), StoreError> {
        // The block that starts at or before the doc, else the first block.
        let table = &self.search_posting;
        let holder = match table.range((token, 0)..=(token, posting.doc))?.next_back() {
            Some(row) => Some(row?),
            None => table
                .range((token, 0)..=(token, u64::MAX))?
                .next()
                .transpose()?,
        }
        .map(|(k, v)| (k.value().1, v.value().to_vec()));
        let mut block = match holder {
            Some((first, bytes)) => {
                self.remove(|t| &mut t.search_posting, (token, first))?;
                decode(first, &bytes)?
            }
            None => Vec::new(),
        };
        if let Err(at) = block.binary_search_by_key(&posting.doc, |p| p.doc) {
            block.insert(at, posting);
        }
        self.write_blocks(token, &block)
    }
}

pub(super) fn decode(first: u64, bytes: &[u8]) -> Result<Vec<Posting>, StoreError> {
    let mut block = Vec::new();
    decode_block(first, bytes, &mut block)
        .ok_or_else(|| StoreError::Corrupt("a search posting block is damaged".into()))?;
    Ok(block)
}

#[cfg(test)]
mod tests {
    use super::decode;
    use crate::{meta_u64, Store, StoreOptions, View};
    use commcenter::access::Caller;
    use commcenter::wire::{NewConversation, NewMessage, NewUser, Role};

    fn user(role: Role, name: &str) -> NewUser {
        NewUser {
            name: name.into(),
            role,
            email: None,
            phone: None,
        }
    }

    /// Every doc of `token`'s postings, in list order.
    fn posted(view: &View, token: &str) -> Vec<u64> {
        let mut docs = Vec::new();
        for row in view
            .search_posting
            .range((token, 0)..=(token, u64::MAX))
            .unwrap()
        {
            let (key, bytes) = row.unwrap();
            docs.extend(
                decode(key.value().1, bytes.value())
                    .unwrap()
                    .iter()
                    .map(|p| p.doc),
            );
        }
        docs
    }

    /// An erased message's postings leave every list it was in (the shared
    /// words' lists spanning several blocks), the document frequencies
    /// count what is left, and the message stays a document with no words.
    #[tokio::test]
    async fn unindexing_a_message_leaves_lists_and_counts_exact() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.redb"), &StoreOptions::default()).unwrap();
        let (admin, olga) = store
            .write(|tx| {
                let admin = tx.bootstrap_admin("cct_admin")?.unwrap();
                let admin = Caller {
                    user_id: admin.id,
                    role: Role::Admin,
                    token_id: admin.id,
                };
                let mut conversations = Vec::new();
                for name in ["Ann", "Olga"] {
                    let customer = tx.create_user(&admin, user(Role::Customer, name))?;
                    let new = NewConversation {
                        customer_id: customer.id,
                        subject: None,
                    };
                    conversations.push((customer.id, tx.create_conversation(&admin, new)?.id));
                }
                // 300 shared words, Olga's in the middle of the list's blocks.
                for n in 0..300 {
                    let (_, conversation) = conversations[usize::from(n == 150)];
                    let body = if n == 150 {
                        "roof secretword roof"
                    } else {
                        "roof tile"
                    };
                    let new = NewMessage {
                        body: Some(body.into()),
                        ..Default::default()
                    };
                    tx.send_message(&admin, conversation, new)?;
                }
                Ok((admin, conversations[1].0))
            })
            .await
            .unwrap();
        let docs_before = store
            .read(|v| meta_u64(&v.meta, super::SEARCH_DOCS))
            .await
            .unwrap();
        store
            .write(move |tx| tx.erase_customer(&admin, olga, true))
            .await
            .unwrap();
        store
            .read(move |v| {
                let roof = posted(v, "roof");
                assert_eq!(roof.len(), 299);
                assert!(roof.windows(2).all(|w| w[0] < w[1]), "still sorted");
                assert_eq!(v.search_term.get("roof")?.unwrap().value(), 299);
                assert!(posted(v, "secretword").is_empty());
                assert!(v.search_term.get("secretword")?.is_none());
                assert_eq!(meta_u64(&v.meta, super::SEARCH_DOCS)?, docs_before);
                Ok(())
            })
            .await
            .unwrap();
    }
}

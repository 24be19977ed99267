//! Customer data: a user's records as one document ([`export`]) and the
//! erasure of a customer's personal data ([`erase`]), the answers to a
//! request for access and a request for deletion.
//!
//! "Their conversations" are the conversations whose customer they are
//! (`customer_conversation`), which for a customer includes the crew
//! channels of their projects, and for crew the crew channels of the
//! projects they are assigned to. The export reads all of them; the erasure
//! erases the conversations the customer takes part in (kind `customer`)
//! and keeps the crew channels, which are the firm's work records.

mod erase;
mod export;

pub use erase::{Erasure, ERASED_NAME};

use redb::ReadableTable;

use super::tx::{Mode, Tables};
use super::StoreError;
use commcenter::wire::{Project, Role, User};
use commcenter::Id;

impl<M: Mode> Tables<M> {
    /// The ids of the conversations whose customer is `customer`, in id order.
    fn conversations_of_customer(&self, customer: Id) -> Result<Vec<Id>, StoreError> {
        let key = customer.to_u128();
        let mut ids = Vec::new();
        for row in self
            .customer_conversation
            .range((key, 0)..=(key, u128::MAX))?
        {
            ids.push(Id::from_u128(row?.0.value().1));
        }
        Ok(ids)
    }

    /// A customer's own projects, or the projects a crew member is assigned to.
    fn projects_of(&self, user: &User) -> Result<Vec<Project>, StoreError> {
        let index = match user.role {
            Role::Customer => &self.customer_project,
            Role::Crew => &self.crew_project,
            Role::Admin | Role::Agent => return Ok(Vec::new()),
        };
        let key = user.id.to_u128();
        let mut projects = Vec::new();
        for row in index.range((key, 0)..=(key, u128::MAX))? {
            let project = Id::from_u128(row?.0.value().1);
            if let Some(project) = self.find_project(project)? {
                projects.push(project);
            }
        }
        Ok(projects)
    }

    /// The message ids of a conversation, in order.
    fn message_ids_of(&self, conversation: Id) -> Result<Vec<Id>, StoreError> {
        let key = conversation.to_u128();
        let mut ids = Vec::new();
        for row in self
            .conversation_message
            .range((key, 0)..=(key, u64::MAX))?
        {
            ids.push(Id::from_u128(row?.1.value()));
        }
        Ok(ids)
    }
}

//! Who may see what: the roles table of the API contract as functions.
//!
//! The store calls these inside its transactions, so a check and the data it
//! guards are read from the same snapshot.

use crate::wire::Role;
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
        if caller.is_staff() {
            return true;
        }
        match (*self, caller.role) {
            (Audience::Customer { customer_id }, Role::Customer) => customer_id == caller.user_id,
            (Audience::Project { customer_id, .. }, Role::Customer) => {
                customer_id == caller.user_id
            }
            (Audience::Crew { project_id }, Role::Crew)
            | (Audience::Project { project_id, .. }, Role::Crew) => crew_assigned(project_id),
            _ => false,
        }
    }

    /// Narrows the audience to staff when the subject is a staff-only note.
    pub fn private_if(self, private: bool) -> Audience {
        if private {
            Audience::Staff
        } else {
            self
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(role: Role) -> Caller {
        Caller {
            user_id: Id::generate(1),
            role,
            token_id: Id::generate(1),
        }
    }

    #[test]
    fn staff_are_in_every_audience() {
        let agent = caller(Role::Agent);
        assert!(Audience::Staff.includes(&agent, |_| false));
        let customer_id = Id::generate(2);
        assert!(Audience::Customer { customer_id }.includes(&agent, |_| false));
    }

    #[test]
    fn a_customer_is_only_in_their_own_audience() {
        let customer = caller(Role::Customer);
        let own = Audience::Customer {
            customer_id: customer.user_id,
        };
        let other = Audience::Customer {
            customer_id: Id::generate(3),
        };
        assert!(own.includes(&customer, |_| true));
        assert!(!other.includes(&customer, |_| true));
        assert!(!Audience::Staff.includes(&customer, |_| true));
    }

    #[test]
    fn crew_see_only_assigned_projects() {
        let crew = caller(Role::Crew);
        let project_id = Id::generate(4);
        let audience = Audience::Crew { project_id };
        assert!(audience.includes(&crew, |p| p == project_id));
        assert!(!audience.includes(&crew, |_| false));
    }
}

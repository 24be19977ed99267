//! The customers screen: a list found by name, phone or email (the
//! daemon's `?q=`), and one customer's page with their conversations,
//! figures and a portal link.

use std::cell::Cell;

use commcenter::wire::{Conversation, CustomerAnalytics, User};
use commcenter::{Id, Timestamp};

use super::{Editor, Screen};

#[derive(Debug, Clone, Default)]
pub struct Customers {
    /// The find box; it has the keyboard while `finding`.
    pub query: Editor,
    pub finding: bool,
    /// Bumped on every change of the query; answers carry the one they answer.
    pub generation: u64,
    pub items: Vec<User>,
    pub loaded: bool,
    pub loading: bool,
    pub selected: usize,
    pub offset: Cell<usize>,
    pub detail: Option<CustomerPage>,
}

/// One customer's page.
#[derive(Debug, Clone)]
pub struct CustomerPage {
    pub customer: User,
    pub conversations: Vec<Conversation>,
    pub conversations_loaded: bool,
    pub figures: Option<CustomerAnalytics>,
    /// The selected conversation.
    pub selected: usize,
    pub portal_link: Option<(String, Timestamp)>,
    /// Where `Esc` returns to (the list, or analytics' top customers).
    pub back_to: Screen,
}

impl Customers {
    pub fn move_by(&mut self, delta: isize) {
        let last = self.items.len().saturating_sub(1);
        self.selected = self.selected.saturating_add_signed(delta).min(last);
    }

    pub fn selected_customer(&self) -> Option<&User> {
        self.items.get(self.selected)
    }
}

impl CustomerPage {
    pub fn new(customer: User, back_to: Screen) -> CustomerPage {
        CustomerPage {
            customer,
            conversations: Vec::new(),
            conversations_loaded: false,
            figures: None,
            selected: 0,
            portal_link: None,
            back_to,
        }
    }

    pub fn id(&self) -> Id {
        self.customer.id
    }

    pub fn move_by(&mut self, delta: isize) {
        let last = self.conversations.len().saturating_sub(1);
        self.selected = self.selected.saturating_add_signed(delta).min(last);
    }
}

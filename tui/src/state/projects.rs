//! The projects screen: every project with its customer, crew and crew
//! channel; for the selected one, where each crew member last said they
//! were (their newest message that carries a location).

use std::cell::Cell;
use std::collections::HashMap;

use commcenter::wire::{Location, Message, Project};
use commcenter::{Id, Timestamp};

#[derive(Debug, Clone, Default)]
pub struct Projects {
    pub items: Vec<Project>,
    pub loaded: bool,
    pub loading: bool,
    pub selected: usize,
    pub offset: Cell<usize>,
    /// Per project: each crew member's latest known position, once asked for.
    pub crew_spots: HashMap<Id, HashMap<Id, CrewSpot>>,
    /// Projects whose crew positions were asked for.
    pub spots_requested: std::collections::BTreeSet<Id>,
}

/// Where a crew member was, from their newest located message.
#[derive(Debug, Clone, PartialEq)]
pub struct CrewSpot {
    pub location: Location,
    /// When the message was sent.
    pub at: Timestamp,
}

impl Projects {
    pub fn move_by(&mut self, delta: isize) {
        let last = self.items.len().saturating_sub(1);
        self.selected = self.selected.saturating_add_signed(delta).min(last);
    }

    pub fn selected_project(&self) -> Option<&Project> {
        self.items.get(self.selected)
    }

    /// Takes in a located message from a project's channel, if it is newer
    /// than what is known of its sender.
    pub fn note_location(&mut self, m: &Message) {
        let (Some(project_id), Some(location)) = (m.project_id, &m.location) else {
            return;
        };
        let spots = self.crew_spots.entry(project_id).or_default();
        let newer = spots.get(&m.sender_id).is_none_or(|s| s.at <= m.created_at);
        if newer {
            spots.insert(
                m.sender_id,
                CrewSpot {
                    location: *location,
                    at: m.created_at,
                },
            );
        }
    }
}

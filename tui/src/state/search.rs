//! Search as you type: each edit asks again with a higher generation, and
//! answers for an older generation are dropped.

use std::cell::Cell;

use commcenter::wire::SearchHit;

use super::Editor;

#[derive(Debug, Clone, Default)]
pub struct SearchState {
    pub editor: Editor,
    /// Bumped on every edit; results carry the generation they answer.
    pub generation: u64,
    /// The generation `hits` answer.
    pub shown: u64,
    pub hits: Vec<SearchHit>,
    pub selected: usize,
    pub offset: Cell<usize>,
}

impl SearchState {
    pub fn waiting(&self) -> bool {
        self.shown != self.generation && !self.editor.is_blank()
    }

    pub fn move_by(&mut self, delta: isize) {
        let last = self.hits.len().saturating_sub(1);
        self.selected = self.selected.saturating_add_signed(delta).min(last);
    }
}

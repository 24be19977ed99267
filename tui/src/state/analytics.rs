//! The analytics screen: the overview of a range of days and the customers
//! ranked by engagement; Enter opens a customer's page with their figures.

use commcenter::wire::{AnalyticsOverview, CustomerAnalytics};

/// Ranges `d` cycles through, in days.
pub const RANGES: [u32; 3] = [30, 7, 90];

#[derive(Debug, Clone, Default)]
pub struct Analytics {
    pub overview: Option<AnalyticsOverview>,
    /// Customers with their figures, most engaged first.
    pub top: Vec<CustomerAnalytics>,
    pub loading: bool,
    pub selected: usize,
    /// Index into `RANGES`.
    pub range: usize,
}

impl Analytics {
    pub fn days(&self) -> u32 {
        RANGES[self.range % RANGES.len()]
    }

    pub fn move_by(&mut self, delta: isize) {
        let last = self.top.len().saturating_sub(1);
        self.selected = self.selected.saturating_add_signed(delta).min(last);
    }
}

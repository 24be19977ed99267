//! Keys and answers for the analytics screen.

use chrono::{DateTime, Utc};
use commcenter::wire::{AnalyticsOverview, CustomerAnalytics, Role, User};

use super::customers::open_page;
use super::want_user;
use crate::action::{Action, Command, Effect};
use crate::state::{App, Screen, RANGES};

pub(super) fn on(app: &mut App, action: Action, fx: &mut Vec<Effect>) {
    let analytics = &mut app.analytics;
    match action {
        Action::Down => analytics.move_by(1),
        Action::Up => analytics.move_by(-1),
        Action::Top => analytics.selected = 0,
        Action::Bottom => analytics.selected = analytics.top.len().saturating_sub(1),
        Action::CycleRange => {
            analytics.range = (analytics.range + 1) % RANGES.len();
            load(app, fx);
        }
        Action::Open => {
            let Some(id) = analytics.top.get(analytics.selected).map(|f| f.customer_id) else {
                return;
            };
            let customer = app.users.get(&id).cloned().unwrap_or_else(|| User {
                id,
                name: "…".to_owned(),
                role: Role::Customer,
                email: None,
                phone: None,
                created_at: app.now,
                last_seen_at: None,
            });
            want_user(app, id, fx);
            open_page(app, customer, Screen::Analytics, fx);
        }
        _ => {}
    }
}

/// Asks for the figures of the chosen number of days, today included (UTC).
pub(super) fn load(app: &mut App, fx: &mut Vec<Effect>) {
    let days = app.analytics.days();
    let start = app.now.millis() - (i64::from(days) - 1) * 86_400_000;
    let since = DateTime::<Utc>::from_timestamp_millis(start)
        .unwrap_or_default()
        .format("%Y-%m-%d")
        .to_string();
    app.analytics.loading = true;
    fx.push(Effect::Request(Command::LoadAnalytics { days, since }));
}

pub(super) fn loaded(
    app: &mut App,
    days: u32,
    overview: AnalyticsOverview,
    top: Vec<CustomerAnalytics>,
    fx: &mut Vec<Effect>,
) {
    if days != app.analytics.days() {
        return;
    }
    for f in &top {
        want_user(app, f.customer_id, fx);
    }
    let analytics = &mut app.analytics;
    analytics.overview = Some(overview);
    analytics.top = top;
    analytics.loading = false;
    analytics.selected = analytics
        .selected
        .min(analytics.top.len().saturating_sub(1));
}

//! The projects screen: the list, and below it the selected project's
//! address, customer, crew channel and each crew member's last position.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Row, Table};
use ratatui::Frame;

use super::text::truncate;
use crate::state::App;
use crate::theme::Theme;

pub(super) fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let projects = &app.projects;
    if projects.items.is_empty() {
        let text = if projects.loading || !projects.loaded {
            "  Loading projects…"
        } else {
            "  No projects yet (commcenter projects create makes one)."
        };
        frame.render_widget(Paragraph::new(text).style(theme.dim()), area);
        return;
    }
    let list_rows = u16::try_from(projects.items.len() + 1)
        .unwrap_or(u16::MAX)
        .min(area.height / 2)
        .max(2);
    let [list, detail] =
        Layout::vertical([Constraint::Length(list_rows), Constraint::Min(1)]).areas(area);
    draw_list(frame, list, app, theme);
    draw_detail(frame, detail, app, theme);
}

fn draw_list(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let projects = &app.projects;
    let rows = usize::from(area.height.saturating_sub(1)).max(1);
    let offset = super::scroll(
        &projects.offset,
        projects.selected,
        rows,
        projects.items.len(),
    );
    let body: Vec<Row> = projects.items[offset..(offset + rows).min(projects.items.len())]
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let status = match p.status {
                commcenter::wire::ProjectStatus::Active => "active",
                commcenter::wire::ProjectStatus::Done => "done",
            };
            let row = Row::new(vec![
                format!("  {}", truncate(&p.name, 30)),
                truncate(&app.user_name(p.customer_id), 18),
                p.crew_ids.len().to_string(),
                status.to_owned(),
            ]);
            if offset + i == projects.selected {
                row.style(theme.selected())
            } else {
                row
            }
        })
        .collect();
    let widths = [
        Constraint::Fill(1),
        Constraint::Length(18),
        Constraint::Length(4),
        Constraint::Length(6),
    ];
    let header = Row::new(["  project", "customer", "crew", "status"]).style(theme.dim());
    frame.render_widget(Table::new(body, widths).header(header), area);
}

fn draw_detail(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let projects = &app.projects;
    let Some(p) = projects.selected_project() else {
        return;
    };
    let mut lines = vec![
        Line::raw(""),
        Line::from(vec![
            Span::styled(format!(" {}", p.name), theme.title()),
            Span::styled(
                format!("  {}", p.address.as_deref().unwrap_or("no address")),
                theme.dim(),
            ),
        ]),
        Line::from(Span::styled(
            " Crew channel: Enter opens it. Last known positions:",
            theme.dim(),
        )),
    ];
    let spots = projects.crew_spots.get(&p.id);
    if p.crew_ids.is_empty() {
        lines.push(Line::from(Span::styled("   no crew assigned", theme.dim())));
    }
    let width = usize::from(area.width);
    for crew in &p.crew_ids {
        let name = truncate(&app.user_name(*crew), 18);
        let place = match (spots, spots.and_then(|s| s.get(crew))) {
            (None, _) => "…".to_owned(),
            (Some(_), None) => "no location shared yet".to_owned(),
            (Some(_), Some(spot)) => {
                let l = &spot.location;
                let accuracy = l
                    .accuracy_m
                    .map(|a| format!(" ±{a:.0} m"))
                    .unwrap_or_default();
                format!(
                    "⌖ {:.5}, {:.5}{accuracy} · {}",
                    l.lat,
                    l.lon,
                    app.clock().long(spot.at)
                )
            }
        };
        let text = truncate(&format!("   {name:<18} {place}"), width);
        lines.push(Line::raw(text));
    }
    frame.render_widget(Paragraph::new(lines), area);
}

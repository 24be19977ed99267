//! The one theme. Colours are the 16 ANSI ones only, so the console looks
//! the same on any terminal; with `NO_COLOR` set every style falls back to
//! bold, dim, reverse and underline, which still tell the parts apart.

use commcenter::wire::{ConversationStatus, MessageStatus, Role};
use ratatui::style::{Color, Modifier, Style};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    color: bool,
}

impl Theme {
    /// Colour unless `NO_COLOR` is set to a non-empty value (no-color.org).
    pub fn from_env() -> Theme {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Theme { color: !no_color }
    }

    pub fn colored() -> Theme {
        Theme { color: true }
    }

    pub fn monochrome() -> Theme {
        Theme { color: false }
    }

    fn fg(&self, color: Color, fallback: Modifier) -> Style {
        if self.color {
            Style::new().fg(color)
        } else {
            Style::new().add_modifier(fallback)
        }
    }

    pub fn title(&self) -> Style {
        self.fg(Color::Cyan, Modifier::BOLD)
            .add_modifier(Modifier::BOLD)
    }

    pub fn dim(&self) -> Style {
        if self.color {
            Style::new().fg(Color::DarkGray)
        } else {
            Style::new().add_modifier(Modifier::DIM)
        }
    }

    pub fn selected(&self) -> Style {
        if self.color {
            Style::new().bg(Color::Blue).fg(Color::White)
        } else {
            Style::new().add_modifier(Modifier::REVERSED)
        }
    }

    pub fn key(&self) -> Style {
        self.fg(Color::Yellow, Modifier::BOLD)
            .add_modifier(Modifier::BOLD)
    }

    pub fn error(&self) -> Style {
        self.fg(Color::Red, Modifier::BOLD)
            .add_modifier(Modifier::BOLD)
    }

    pub fn badge(&self) -> Style {
        if self.color {
            Style::new()
                .bg(Color::Red)
                .fg(Color::White)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD)
        }
    }

    pub fn note(&self) -> Style {
        self.fg(Color::Yellow, Modifier::ITALIC)
    }

    pub fn border(&self) -> Style {
        self.dim()
    }

    pub fn focused_border(&self) -> Style {
        self.fg(Color::Cyan, Modifier::BOLD)
    }

    pub fn role(&self, role: Option<Role>) -> Style {
        let color = match role {
            Some(Role::Admin | Role::Agent) => Color::Blue,
            Some(Role::Crew) => Color::Magenta,
            Some(Role::Customer) => Color::Green,
            None => Color::Gray,
        };
        self.fg(color, Modifier::BOLD).add_modifier(Modifier::BOLD)
    }

    pub fn status(&self, status: ConversationStatus) -> Style {
        match status {
            ConversationStatus::Open => self.fg(Color::Green, Modifier::BOLD),
            ConversationStatus::Closed => self.dim(),
            ConversationStatus::Archived => self.dim().add_modifier(Modifier::ITALIC),
        }
    }

    /// Receipts: read is the only coloured one, as in chat apps.
    pub fn receipt(&self, status: MessageStatus) -> Style {
        match status {
            MessageStatus::Read => self
                .fg(Color::Cyan, Modifier::BOLD)
                .add_modifier(Modifier::BOLD),
            MessageStatus::Failed => self.error(),
            _ => self.dim(),
        }
    }

    /// A user who is connected now.
    pub fn online(&self) -> Style {
        self.fg(Color::Green, Modifier::BOLD)
    }

    pub fn connection(&self, connected: bool) -> Style {
        if connected {
            self.fg(Color::Green, Modifier::empty())
        } else {
            self.fg(Color::Yellow, Modifier::BOLD)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_colour_no_style_sets_a_colour() {
        let theme = Theme::monochrome();
        let styles = [
            theme.title(),
            theme.dim(),
            theme.selected(),
            theme.key(),
            theme.error(),
            theme.badge(),
            theme.note(),
            theme.role(Some(Role::Customer)),
            theme.status(ConversationStatus::Open),
            theme.receipt(MessageStatus::Read),
            theme.connection(false),
        ];
        for style in styles {
            assert_eq!((style.fg, style.bg), (None, None), "{style:?}");
        }
    }

    #[test]
    fn without_colour_the_selection_is_reversed() {
        let selected = Theme::monochrome().selected();
        assert!(selected.add_modifier.contains(Modifier::REVERSED));
    }

    #[test]
    fn read_receipts_differ_from_delivered_ones_without_colour() {
        let theme = Theme::monochrome();
        assert_ne!(
            theme.receipt(MessageStatus::Read),
            theme.receipt(MessageStatus::Delivered)
        );
    }
}

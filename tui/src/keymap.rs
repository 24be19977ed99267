//! The one key table. Dispatch, the `?` help overlay and the footer's command
//! bar all read it, so what a key does and what the screen says it does
//! cannot disagree.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use crate::action::Action;
use crate::state::Screen;

/// The part of the console that has the keyboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    /// Keys that work wherever no text field has the keyboard.
    Global,
    Conversations,
    Thread,
    Composer,
    Search,
    Help,
    Picker,
    Prompt,
    Customers,
    /// The customers screen's find box.
    Find,
    /// One customer's page.
    Customer,
    Projects,
    Analytics,
    /// A rendered template.
    Preview,
}

impl Focus {
    /// True where typed characters are text rather than commands.
    pub fn takes_text(self) -> bool {
        matches!(
            self,
            Focus::Composer | Focus::Search | Focus::Prompt | Focus::Find
        )
    }

    pub fn title(self) -> &'static str {
        match self {
            Focus::Global => "Everywhere",
            Focus::Conversations => "Conversations",
            Focus::Thread => "Conversation",
            Focus::Composer => "Editor",
            Focus::Search => "Search",
            Focus::Help => "Help",
            Focus::Picker => "Picker",
            Focus::Prompt => "Prompt",
            Focus::Customers => "Customers",
            Focus::Find => "Find customers",
            Focus::Customer => "Customer",
            Focus::Projects => "Projects",
            Focus::Analytics => "Analytics",
            Focus::Preview => "Template preview",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

const fn key(c: char) -> Key {
    Key {
        code: KeyCode::Char(c),
        mods: KeyModifiers::NONE,
    }
}

const fn code(code: KeyCode) -> Key {
    Key {
        code,
        mods: KeyModifiers::NONE,
    }
}

const fn ctrl(c: char) -> Key {
    Key {
        code: KeyCode::Char(c),
        mods: KeyModifiers::CONTROL,
    }
}

const fn alt(code: KeyCode) -> Key {
    Key {
        code,
        mods: KeyModifiers::ALT,
    }
}

impl Key {
    /// How the key is written in help and the footer.
    pub fn label(self) -> String {
        let base = match self.code {
            KeyCode::Char(' ') => "Space".to_owned(),
            KeyCode::Char(c) => c.to_string(),
            KeyCode::Enter => "Enter".to_owned(),
            KeyCode::Esc => "Esc".to_owned(),
            KeyCode::Tab => "Tab".to_owned(),
            KeyCode::Up => "↑".to_owned(),
            KeyCode::Down => "↓".to_owned(),
            KeyCode::PageUp => "PgUp".to_owned(),
            KeyCode::PageDown => "PgDn".to_owned(),
            KeyCode::Home => "Home".to_owned(),
            KeyCode::End => "End".to_owned(),
            other => format!("{other:?}"),
        };
        if self.mods.contains(KeyModifiers::CONTROL) {
            format!("C-{base}")
        } else if self.mods.contains(KeyModifiers::ALT) {
            format!("A-{base}")
        } else {
            base
        }
    }

    fn matches(self, event: &KeyEvent) -> bool {
        // Shifted letters arrive as their capital with SHIFT set; the
        // capital alone names them.
        let mods = event.modifiers - KeyModifiers::SHIFT;
        self.code == event.code && self.mods == mods
    }
}

pub struct Binding {
    pub focus: Focus,
    pub keys: &'static [Key],
    pub action: Action,
    pub help: &'static str,
    /// Shown in the footer's command bar (the most used few).
    pub footer: bool,
}

const fn bind(
    focus: Focus,
    keys: &'static [Key],
    action: Action,
    help: &'static str,
    footer: bool,
) -> Binding {
    Binding {
        focus,
        keys,
        action,
        help,
        footer,
    }
}

use Focus as F;

/// Every binding. Order is the order of help and footer.
pub static BINDINGS: &[Binding] = &[
    bind(
        F::Global,
        &[key('q')],
        Action::Quit,
        "quit (top screen)",
        true,
    ),
    bind(
        F::Global,
        &[code(KeyCode::Esc)],
        Action::Back,
        "back",
        false,
    ),
    bind(F::Global, &[key('?')], Action::Help, "help", true),
    bind(F::Global, &[key('/')], Action::Search, "search", true),
    bind(
        F::Global,
        &[key('j'), code(KeyCode::Down)],
        Action::Down,
        "down",
        false,
    ),
    bind(
        F::Global,
        &[key('k'), code(KeyCode::Up)],
        Action::Up,
        "up",
        false,
    ),
    bind(
        F::Global,
        &[ctrl('d'), code(KeyCode::PageDown)],
        Action::PageDown,
        "page down",
        false,
    ),
    bind(
        F::Global,
        &[ctrl('u'), code(KeyCode::PageUp)],
        Action::PageUp,
        "page up",
        false,
    ),
    bind(
        F::Global,
        &[key('g'), code(KeyCode::Home)],
        Action::Top,
        "top",
        false,
    ),
    bind(
        F::Global,
        &[key('G'), code(KeyCode::End)],
        Action::Bottom,
        "bottom",
        false,
    ),
    bind(
        F::Global,
        &[key('b')],
        Action::ToggleBell,
        "bell on/off",
        false,
    ),
    bind(F::Global, &[ctrl('r')], Action::Refresh, "reload", false),
    bind(
        F::Global,
        &[key('1')],
        Action::GoTo(Screen::Conversations),
        "conversations",
        false,
    ),
    bind(
        F::Global,
        &[key('2')],
        Action::GoTo(Screen::Customers),
        "customers",
        false,
    ),
    bind(
        F::Global,
        &[key('3')],
        Action::GoTo(Screen::Projects),
        "projects",
        false,
    ),
    bind(
        F::Global,
        &[key('4')],
        Action::GoTo(Screen::Analytics),
        "analytics",
        false,
    ),
    bind(
        F::Conversations,
        &[code(KeyCode::Enter), key('l')],
        Action::Open,
        "open",
        true,
    ),
    bind(
        F::Conversations,
        &[key('s')],
        Action::CycleStatusFilter,
        "filter status",
        true,
    ),
    bind(
        F::Conversations,
        &[key('c')],
        Action::CycleChannelFilter,
        "filter channel",
        true,
    ),
    bind(
        F::Conversations,
        &[key('m')],
        Action::ToggleMine,
        "assigned to me",
        true,
    ),
    bind(
        F::Conversations,
        &[key('u')],
        Action::ToggleUnread,
        "unread only",
        true,
    ),
    bind(F::Thread, &[key('r')], Action::Reply, "reply", true),
    bind(F::Thread, &[key('n')], Action::Note, "note", true),
    bind(
        F::Thread,
        &[key('C')],
        Action::CloseConversation,
        "close",
        true,
    ),
    bind(
        F::Thread,
        &[key('O')],
        Action::ReopenConversation,
        "reopen",
        true,
    ),
    bind(
        F::Thread,
        &[key('A')],
        Action::ArchiveConversation,
        "archive",
        false,
    ),
    bind(
        F::Thread,
        &[key('R')],
        Action::RetryMessage,
        "retry failed message",
        false,
    ),
    bind(F::Thread, &[key('i')], Action::Assign, "assign", true),
    bind(F::Thread, &[key('T')], Action::Tag, "tags", false),
    bind(F::Thread, &[key('t')], Action::Template, "template", true),
    bind(F::Thread, &[key('a')], Action::Attach, "attach file", true),
    bind(
        F::Thread,
        &[key('o')],
        Action::OpenFile,
        "open attachment",
        false,
    ),
    bind(
        F::Thread,
        &[key('s')],
        Action::SaveFile,
        "save attachment",
        false,
    ),
    bind(
        F::Composer,
        &[code(KeyCode::Enter)],
        Action::Send,
        "send",
        true,
    ),
    bind(
        F::Composer,
        &[alt(KeyCode::Enter), ctrl('j')],
        Action::Newline,
        "new line",
        true,
    ),
    bind(
        F::Composer,
        &[ctrl('o')],
        Action::Attach,
        "attach file",
        false,
    ),
    bind(
        F::Composer,
        &[code(KeyCode::Tab)],
        Action::NextChannel,
        "channel",
        true,
    ),
    bind(
        F::Composer,
        &[code(KeyCode::Esc)],
        Action::Back,
        "cancel",
        true,
    ),
    bind(
        F::Search,
        &[code(KeyCode::Enter)],
        Action::Open,
        "open at message",
        true,
    ),
    bind(
        F::Search,
        &[code(KeyCode::Down), ctrl('n')],
        Action::Down,
        "next result",
        true,
    ),
    bind(
        F::Search,
        &[code(KeyCode::Up), ctrl('p')],
        Action::Up,
        "previous result",
        true,
    ),
    bind(F::Search, &[code(KeyCode::Esc)], Action::Back, "back", true),
    bind(
        F::Help,
        &[code(KeyCode::Esc), key('?'), key('q')],
        Action::Back,
        "close help",
        true,
    ),
    bind(
        F::Picker,
        &[code(KeyCode::Enter)],
        Action::Open,
        "choose",
        true,
    ),
    bind(
        F::Picker,
        &[key('j'), code(KeyCode::Down)],
        Action::Down,
        "down",
        true,
    ),
    bind(
        F::Picker,
        &[key('k'), code(KeyCode::Up)],
        Action::Up,
        "up",
        true,
    ),
    bind(
        F::Picker,
        &[code(KeyCode::Esc), key('q')],
        Action::Back,
        "cancel",
        true,
    ),
    bind(
        F::Prompt,
        &[code(KeyCode::Enter)],
        Action::Send,
        "accept",
        true,
    ),
    bind(
        F::Prompt,
        &[code(KeyCode::Tab)],
        Action::Complete,
        "complete / next field",
        true,
    ),
    bind(
        F::Prompt,
        &[code(KeyCode::Esc)],
        Action::Back,
        "cancel",
        true,
    ),
    bind(
        F::Customers,
        &[code(KeyCode::Enter), key('l')],
        Action::Open,
        "open",
        true,
    ),
    bind(F::Customers, &[key('f')], Action::Find, "find", true),
    bind(
        F::Customers,
        &[key('n')],
        Action::NewCustomer,
        "new customer",
        true,
    ),
    bind(
        F::Find,
        &[code(KeyCode::Enter), code(KeyCode::Down)],
        Action::Open,
        "to the list",
        true,
    ),
    bind(F::Find, &[code(KeyCode::Esc)], Action::Back, "clear", true),
    bind(
        F::Customer,
        &[code(KeyCode::Enter), key('l')],
        Action::Open,
        "open conversation",
        true,
    ),
    bind(
        F::Customer,
        &[key('p')],
        Action::PortalLink,
        "portal link",
        true,
    ),
    bind(
        F::Projects,
        &[code(KeyCode::Enter), key('l')],
        Action::Open,
        "open crew channel",
        true,
    ),
    bind(
        F::Analytics,
        &[code(KeyCode::Enter), key('l')],
        Action::Open,
        "customer's figures",
        true,
    ),
    bind(
        F::Analytics,
        &[key('d')],
        Action::CycleRange,
        "days: 30, 7, 90",
        true,
    ),
    bind(
        F::Preview,
        &[code(KeyCode::Enter)],
        Action::Open,
        "edit and send",
        true,
    ),
    bind(
        F::Preview,
        &[code(KeyCode::Esc), key('q')],
        Action::Back,
        "cancel",
        true,
    ),
];

/// The bindings in force where `focus` has the keyboard: its own first,
/// then the global ones unless a text field or a modal popup has it.
pub fn active(focus: Focus) -> impl Iterator<Item = &'static Binding> {
    let global = !focus.takes_text() && !matches!(focus, F::Help | F::Picker | F::Preview);
    BINDINGS
        .iter()
        .filter(move |b| b.focus == focus || (global && b.focus == F::Global))
}

/// The action `event` names where `focus` has the keyboard. Unnamed keys in
/// a text field come back as [`Action::Key`] for the editor.
pub fn dispatch(focus: Focus, event: &KeyEvent) -> Option<Action> {
    if event.kind == KeyEventKind::Release {
        return None;
    }
    let named = active(focus)
        .find(|b| b.keys.iter().any(|k| k.matches(event)))
        .map(|b| b.action.clone());
    match named {
        Some(action) => Some(action),
        None if focus.takes_text() => Some(Action::Key(*event)),
        None => None,
    }
}

/// The keys of a binding, as help shows them: `j ↓`.
pub fn keys_label(binding: &Binding) -> String {
    binding
        .keys
        .iter()
        .map(|k| k.label())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, mods)
    }

    #[test]
    fn no_key_is_bound_twice_in_one_focus() {
        let all = [
            F::Conversations,
            F::Thread,
            F::Composer,
            F::Search,
            F::Help,
            F::Picker,
            F::Prompt,
            F::Customers,
            F::Find,
            F::Customer,
            F::Projects,
            F::Analytics,
            F::Preview,
        ];
        for focus in all {
            let keys: Vec<Key> = active(focus).flat_map(|b| b.keys.iter().copied()).collect();
            for (i, k) in keys.iter().enumerate() {
                let own = active(focus).find(|b| b.keys.contains(k)).unwrap();
                let twice = keys[i + 1..].contains(k) && own.focus == F::Global;
                assert!(!twice, "{focus:?}: {} is bound twice", k.label());
            }
        }
    }

    #[test]
    fn typed_letters_in_a_text_field_are_text() {
        let j = press(KeyCode::Char('j'), KeyModifiers::NONE);
        assert_eq!(dispatch(F::Composer, &j), Some(Action::Key(j)));
        assert_eq!(dispatch(F::Conversations, &j), Some(Action::Down));
    }

    #[test]
    fn shifted_capitals_match_their_binding() {
        let g = press(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(dispatch(F::Thread, &g), Some(Action::Bottom));
    }

    #[test]
    fn alt_enter_is_a_newline_and_enter_sends() {
        let alt_enter = press(KeyCode::Enter, KeyModifiers::ALT);
        let enter = press(KeyCode::Enter, KeyModifiers::NONE);
        assert_eq!(dispatch(F::Composer, &alt_enter), Some(Action::Newline));
        assert_eq!(dispatch(F::Composer, &enter), Some(Action::Send));
    }
}

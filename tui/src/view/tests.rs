//! Snapshot tests of every screen, drawn on ratatui's `TestBackend` from the
//! fixture data, at 80×24 (the smallest size supported) and larger. Times
//! are masked so the snapshots do not depend on the clock's format.

use commcenter::wire::SearchHit;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

use crate::action::{Action, ConnState};
use crate::fixture;
use crate::state::{App, Popup};
use crate::theme::Theme;
use crate::update::update;

fn screen(app: &App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test terminal");
    terminal
        .draw(|frame| super::draw(frame, app, &Theme::colored()))
        .expect("draw");
    terminal.backend().to_string()
}

fn assert_screen(name: &str, app: &App, width: u16, height: u16) {
    let text = screen(app, width, height);
    insta::with_settings!({filters => vec![
        (r"\b\d{2}:\d{2}\b", "hh:mm"),
        (r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{2}\b", "Mmm dd"),
    ]}, {
        insta::assert_snapshot!(name, text);
    });
}

fn press(app: &mut App, code: KeyCode) {
    update(app, Action::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

#[test]
fn conversations_at_80x24() {
    assert_screen("conversations_80x24", &fixture::app(), 80, 24);
}

#[test]
fn conversations_at_120x30() {
    assert_screen("conversations_120x30", &fixture::app(), 120, 30);
}

#[test]
fn conversations_with_a_notification_and_filters() {
    let mut app = fixture::app();
    app.notifications.insert(fixture::INVOICE);
    app.list.filter.mine = true;
    assert_screen("conversations_filtered", &app, 80, 24);
}

#[test]
fn conversations_while_loading() {
    let mut app = App::new(fixture::NOW, true);
    app.list.loading = true;
    assert_screen("conversations_loading", &app, 80, 24);
}

#[test]
fn conversations_while_the_daemon_is_unreachable() {
    let mut app = App::new(fixture::NOW, true);
    app.connection = ConnState::Offline;
    app.last_error = Some("cannot reach the daemon: client error (Connect)".to_owned());
    assert_screen("conversations_offline", &app, 80, 24);
}

#[test]
fn footer_shows_reconnecting_and_the_last_error() {
    let mut app = fixture::app();
    app.connection = ConnState::Reconnecting;
    app.last_error = Some("cannot reach the daemon: connection refused".to_owned());
    app.bell = false;
    assert_screen("footer_reconnecting", &app, 80, 24);
}

#[test]
fn thread_at_80x24() {
    assert_screen("thread_80x24", &fixture::app_in_thread(), 80, 24);
}

#[test]
fn thread_at_120x40() {
    assert_screen("thread_120x40", &fixture::app_in_thread(), 120, 40);
}

#[test]
fn thread_scrolled_to_the_oldest_message() {
    let mut app = fixture::app_in_thread();
    press(&mut app, KeyCode::Char('g'));
    assert_screen("thread_top", &app, 80, 24);
}

#[test]
fn thread_with_the_reply_editor_and_typing() {
    let mut app = fixture::app_in_thread();
    press(&mut app, KeyCode::Char('r'));
    for c in "Thanks Aisha, ".chars() {
        press(&mut app, KeyCode::Char(c));
    }
    update(
        &mut app,
        Action::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::ALT)),
    );
    for c in "see you at 3".chars() {
        press(&mut app, KeyCode::Char(c));
    }
    if let Some(thread) = &mut app.thread {
        thread
            .typing
            .insert(fixture::AISHA, fixture::NOW.plus_millis(5_000));
    }
    assert_screen("thread_reply", &app, 80, 24);
}

#[test]
fn thread_with_a_private_note_editor() {
    let mut app = fixture::app_in_thread();
    press(&mut app, KeyCode::Char('n'));
    assert_screen("thread_note", &app, 80, 24);
}

#[test]
fn search_with_results() {
    let mut app = fixture::app();
    press(&mut app, KeyCode::Char('/'));
    for c in "gauge".chars() {
        press(&mut app, KeyCode::Char(c));
    }
    app.search.hits = fixture::boiler_messages()
        .into_iter()
        .filter(|m| m.body.contains("gauge"))
        .map(|message| SearchHit {
            snippet: message.body.clone(),
            message,
        })
        .collect();
    app.search.shown = app.search.generation;
    assert_screen("search_results", &app, 80, 24);
}

#[test]
fn search_before_typing() {
    let mut app = fixture::app();
    press(&mut app, KeyCode::Char('/'));
    assert_screen("search_empty", &app, 80, 24);
}

#[test]
fn help_over_the_conversation_list() {
    let mut app = fixture::app();
    app.popup = Some(Popup::Help);
    assert_screen("help_conversations", &app, 80, 24);
}

#[test]
fn help_over_a_conversation() {
    let mut app = fixture::app_in_thread();
    app.popup = Some(Popup::Help);
    assert_screen("help_thread", &app, 80, 24);
}

#[test]
fn assign_picker() {
    let mut app = fixture::app_in_thread();
    update(
        &mut app,
        Action::Key(KeyEvent::new(KeyCode::Char('i'), KeyModifiers::NONE)),
    );
    assert_screen("assign_picker", &app, 80, 24);
}

#[test]
fn a_5000_message_thread_draws_only_what_fits() {
    let mut app = fixture::app_in_thread();
    if let Some(thread) = &mut app.thread {
        thread.set_newest(fixture::long_thread(5_000), None);
    }
    let text = screen(&app, 80, 24);
    assert!(
        text.contains("▶"),
        "the newest message is selected and shown"
    );
    let top = app.thread.as_ref().unwrap().top.get();
    assert!(top > 4_990, "the window starts near the end, at {top}");
}

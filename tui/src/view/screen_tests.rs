//! Snapshots of the customers, projects and analytics screens, the template
//! picker, forms and attachments, on `TestBackend` at 80×24 from the
//! fixture data, times masked.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

use commcenter::wire::RenderedTemplate;

use crate::action::{Action, Loaded};
use crate::fixture::{self, AISHA};
use crate::state::App;
use crate::theme::Theme;
use crate::update::update;

fn screen(app: &App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test terminal");
    terminal
        .draw(|frame| super::draw(frame, app, &Theme::colored()))
        .expect("draw");
    terminal.backend().to_string()
}

fn assert_screen(name: &str, app: &App) {
    let text = screen(app, 80, 24);
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

fn typed(app: &mut App, text: &str) {
    for c in text.chars() {
        press(app, KeyCode::Char(c));
    }
}

#[test]
fn customers_list() {
    let mut app = fixture::app_with_everything();
    press(&mut app, KeyCode::Char('2'));
    assert_screen("customers_list", &app);
}

#[test]
fn customers_find_box() {
    let mut app = fixture::app_with_everything();
    press(&mut app, KeyCode::Char('2'));
    press(&mut app, KeyCode::Char('f'));
    typed(&mut app, "ai");
    app.customers.items.truncate(1);
    app.customers.loading = false;
    assert_screen("customers_find", &app);
}

#[test]
fn customer_page() {
    let mut app = fixture::app_with_everything();
    press(&mut app, KeyCode::Char('2'));
    press(&mut app, KeyCode::Enter);
    let conversations = fixture::conversations()
        .into_iter()
        .filter(|c| c.customer_id == AISHA)
        .collect();
    update(
        &mut app,
        Action::Loaded(Loaded::CustomerConversations {
            customer_id: AISHA,
            items: conversations,
        }),
    );
    update(
        &mut app,
        Action::Loaded(Loaded::CustomerFigures(Box::new(
            fixture::customer_figures(AISHA, 3.4),
        ))),
    );
    update(
        &mut app,
        Action::Loaded(Loaded::PortalLink {
            user_id: AISHA,
            url: "http://127.0.0.1:8080/portal#code=4fK2pQ".to_owned(),
            expires_at: fixture::NOW.plus_millis(7 * 86_400_000),
            sent: None,
        }),
    );
    assert_screen("customer_page", &app);
}

#[test]
fn new_customer_form() {
    let mut app = fixture::app_with_everything();
    press(&mut app, KeyCode::Char('2'));
    press(&mut app, KeyCode::Char('n'));
    typed(&mut app, "Dora Lee");
    press(&mut app, KeyCode::Tab);
    typed(&mut app, "+44 7700 900999");
    assert_screen("customer_new", &app);
}

#[test]
fn projects_with_crew_positions() {
    let mut app = fixture::app_with_everything();
    app.screen = crate::state::Screen::Projects;
    app.tab = crate::state::Screen::Projects;
    assert_screen("projects", &app);
}

#[test]
fn analytics_overview() {
    let mut app = fixture::app_with_everything();
    app.screen = crate::state::Screen::Analytics;
    app.tab = crate::state::Screen::Analytics;
    assert_screen("analytics", &app);
}

#[test]
fn analytics_while_loading() {
    let mut app = fixture::app();
    press(&mut app, KeyCode::Char('4'));
    assert_screen("analytics_loading", &app);
}

#[test]
fn portal_link_picker() {
    let mut app = fixture::app_with_everything();
    press(&mut app, KeyCode::Char('2'));
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char('p'));
    assert_screen("portal_link_picker", &app);
}

#[test]
fn template_picker() {
    let mut app = fixture::app_in_thread();
    press(&mut app, KeyCode::Char('t'));
    update(
        &mut app,
        Action::Loaded(Loaded::Templates(fixture::templates())),
    );
    assert_screen("template_picker", &app);
}

#[test]
fn template_variables_form() {
    let mut app = fixture::app_in_thread();
    press(&mut app, KeyCode::Char('t'));
    update(
        &mut app,
        Action::Loaded(Loaded::Templates(fixture::templates())),
    );
    press(&mut app, KeyCode::Enter);
    typed(&mut app, "9 and 11am");
    assert_screen("template_variables", &app);
}

#[test]
fn template_preview() {
    let mut app = fixture::app_in_thread();
    update(
        &mut app,
        Action::Loaded(Loaded::Rendered {
            template: Box::new(fixture::templates().remove(0)),
            rendered: RenderedTemplate {
                subject: None,
                body: "Hi Aisha, our crew arrives tomorrow between 9 and 11am.".to_owned(),
            },
        }),
    );
    assert_screen("template_preview", &app);
}

#[test]
fn reply_with_an_attachment() {
    let mut app = fixture::app_in_thread();
    press(&mut app, KeyCode::Char('a'));
    typed(&mut app, "/tmp/quote.pdf");
    press(&mut app, KeyCode::Enter);
    update(
        &mut app,
        Action::Loaded(Loaded::Uploaded {
            conversation_id: fixture::BOILER,
            file: Box::new(fixture::quote_pdf()),
        }),
    );
    typed(&mut app, "Here is the quote.");
    assert_screen("thread_reply_attachment", &app);
}

#[test]
fn attach_prompt() {
    let mut app = fixture::app_in_thread();
    press(&mut app, KeyCode::Char('a'));
    typed(&mut app, "~/Documents/quo");
    assert_screen("thread_attach_prompt", &app);
}

#[test]
fn thread_with_the_failed_message_selected() {
    let mut app = fixture::app_in_thread();
    app.thread.as_mut().unwrap().selected = 1;
    assert_screen("thread_failed_selected", &app);
}

#[test]
fn every_screen_fits_a_resize_to_80x24_and_back() {
    let mut app = fixture::app_with_everything();
    for key in ['1', '2', '3', '4'] {
        press(&mut app, KeyCode::Char(key));
        for (w, h) in [(200, 60), (80, 24), (40, 12), (120, 40)] {
            let text = screen(&app, w, h);
            assert!(!text.is_empty());
        }
    }
}

#[test]
fn footers_end_with_help_when_the_commands_do_not_fit() {
    for app in [fixture::app(), fixture::app_in_thread()] {
        let text = screen(&app, 80, 24);
        let footer = text.lines().nth(22).unwrap();
        assert!(footer.contains("? help"), "{footer}");
        assert!(!footer.contains("/ se\""), "cut mid-word: {footer}");
    }
}

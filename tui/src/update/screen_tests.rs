//! The keys of the customers, projects and analytics screens, the template
//! picker and attachments, driven through `update`.

use commcenter::wire::{Channel, NewUser, RenderedTemplate, Role};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::update;
use crate::action::{Action, Command, Effect, Loaded};
use crate::fixture::{
    self, AISHA, ARRIVAL, BEN, BOILER, CREW, KITCHEN_PROJECT, LOFT_PROJECT, MAREK, NOW,
};
use crate::state::{App, FormPurpose, Popup, Screen};

fn press(app: &mut App, code: KeyCode) -> Vec<Effect> {
    update(app, Action::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn typed(app: &mut App, text: &str) -> Vec<Effect> {
    text.chars()
        .flat_map(|c| press(app, KeyCode::Char(c)))
        .collect()
}

fn requests(effects: Vec<Effect>) -> Vec<Command> {
    effects
        .into_iter()
        .filter_map(|e| match e {
            Effect::Request(c) => Some(c),
            Effect::Bell => None,
        })
        .collect()
}

// Moving between screens.

#[test]
fn number_keys_show_each_screen_and_load_it_once() {
    let mut app = fixture::app();
    let asked = requests(press(&mut app, KeyCode::Char('2')));
    assert_eq!(app.screen, Screen::Customers);
    assert!(matches!(asked[..], [Command::FindCustomers { .. }]));
    let asked = requests(press(&mut app, KeyCode::Char('3')));
    assert_eq!(app.screen, Screen::Projects);
    assert_eq!(asked, [Command::LoadProjects]);
    let asked = requests(press(&mut app, KeyCode::Char('4')));
    assert_eq!(app.screen, Screen::Analytics);
    assert!(matches!(
        asked[..],
        [Command::LoadAnalytics { days: 30, .. }]
    ));
    press(&mut app, KeyCode::Char('1'));
    assert_eq!(app.screen, Screen::Conversations);
    // Customers were asked for already: not again.
    assert!(requests(press(&mut app, KeyCode::Char('2')))
        .iter()
        .all(|c| !matches!(c, Command::FindCustomers { .. })));
}

#[test]
fn q_quits_from_every_top_screen_but_not_from_a_customers_page() {
    for key in ['2', '3', '4'] {
        let mut app = fixture::app_with_everything();
        press(&mut app, KeyCode::Char(key));
        press(&mut app, KeyCode::Char('q'));
        assert!(app.quit, "q quits from screen {key}");
    }
    let mut app = fixture::app_with_everything();
    press(&mut app, KeyCode::Char('2'));
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char('q'));
    assert!(!app.quit);
    assert!(app.customers.detail.is_none(), "q went back to the list");
}

// Customers.

#[test]
fn f_focuses_the_find_box_and_typing_asks_the_daemon() {
    let mut app = fixture::app_with_everything();
    press(&mut app, KeyCode::Char('2'));
    press(&mut app, KeyCode::Char('f'));
    let asked = requests(typed(&mut app, "ben"));
    assert_eq!(app.customers.query.text(), "ben");
    assert!(matches!(
        asked.last(),
        Some(Command::FindCustomers { query, .. }) if query == "ben"
    ));
    // An older answer is dropped; the newest is shown.
    let generation = app.customers.generation;
    update(
        &mut app,
        Action::Loaded(Loaded::Customers {
            generation: generation - 1,
            users: fixture::customers(),
        }),
    );
    update(
        &mut app,
        Action::Loaded(Loaded::Customers {
            generation,
            users: vec![fixture::customers().remove(1)],
        }),
    );
    assert_eq!(app.customers.items.len(), 1);
    press(&mut app, KeyCode::Enter);
    assert!(!app.customers.finding, "Enter goes back to the list");
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.customers.detail.as_ref().map(|d| d.id()), Some(BEN));
}

#[test]
fn enter_opens_a_customers_page_with_their_conversations_and_figures() {
    let mut app = fixture::app_with_everything();
    press(&mut app, KeyCode::Char('2'));
    let asked = requests(press(&mut app, KeyCode::Enter));
    assert_eq!(
        asked,
        [
            Command::LoadCustomerConversations(AISHA),
            Command::LoadCustomerFigures(AISHA)
        ]
    );
    let boiler = fixture::conversations().remove(0);
    update(
        &mut app,
        Action::Loaded(Loaded::CustomerConversations {
            customer_id: AISHA,
            items: vec![boiler.clone()],
        }),
    );
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.screen, Screen::Thread);
    assert_eq!(app.thread.as_ref().map(|t| t.id()), Some(BOILER));
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.screen, Screen::Customers, "Esc returns to the page");
    assert!(app.customers.detail.is_some());
    press(&mut app, KeyCode::Esc);
    assert!(app.customers.detail.is_none(), "then to the list");
}

#[test]
fn n_asks_for_a_new_customer_and_enter_creates_them() {
    let mut app = fixture::app_with_everything();
    press(&mut app, KeyCode::Char('2'));
    press(&mut app, KeyCode::Char('n'));
    assert!(matches!(&app.popup, Some(Popup::Form(f)) if f.purpose == FormPurpose::NewCustomer));
    typed(&mut app, "Dora Lee");
    press(&mut app, KeyCode::Tab);
    press(&mut app, KeyCode::Tab);
    typed(&mut app, "dora@mail.example");
    let asked = requests(press(&mut app, KeyCode::Enter));
    assert_eq!(
        asked,
        [Command::CreateCustomer(NewUser {
            name: "Dora Lee".to_owned(),
            role: Role::Customer,
            email: Some("dora@mail.example".to_owned()),
            phone: None,
        })]
    );
    assert!(app.popup.is_none());
}

#[test]
fn a_customer_without_a_name_is_not_sent() {
    let mut app = fixture::app_with_everything();
    press(&mut app, KeyCode::Char('2'));
    press(&mut app, KeyCode::Char('n'));
    assert!(requests(press(&mut app, KeyCode::Enter)).is_empty());
    assert!(app.popup.is_some(), "the form stays to be filled in");
    assert!(app.last_error.is_some());
}

#[test]
fn p_on_a_customers_page_asks_for_a_portal_link_and_shows_it() {
    let mut app = fixture::app_with_everything();
    press(&mut app, KeyCode::Char('2'));
    press(&mut app, KeyCode::Enter);
    assert!(requests(press(&mut app, KeyCode::Char('p'))).is_empty());
    assert!(matches!(app.popup, Some(Popup::PortalLink { .. })));
    let asked = requests(press(&mut app, KeyCode::Enter));
    assert_eq!(
        asked,
        [Command::PortalLink {
            user_id: AISHA,
            send: None
        }]
    );
    assert!(app.popup.is_none());
    let url = "http://127.0.0.1:8080/portal#code=abc".to_owned();
    update(
        &mut app,
        Action::Loaded(Loaded::PortalLink {
            user_id: AISHA,
            url: url.clone(),
            expires_at: NOW,
            sent: None,
        }),
    );
    let page = app.customers.detail.as_ref().unwrap();
    assert_eq!(page.portal_link.as_ref().map(|l| &l.0), Some(&url));
    assert!(app.notice.as_deref().unwrap().contains(&url));
}

#[test]
fn the_portal_link_picker_offers_the_channels_a_customer_can_be_sent_it_on() {
    let mut app = fixture::app_with_everything();
    press(&mut app, KeyCode::Char('2'));
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char('p'));
    let Some(Popup::PortalLink { picker, channels }) = &app.popup else {
        panic!("the picker");
    };
    // Aisha has a phone and an email address.
    assert_eq!(channels, &[None, Some(Channel::Sms), Some(Channel::Email)]);
    assert!(picker.entries[1].0.contains("+44 7700 900300"));
    press(&mut app, KeyCode::Char('j'));
    let asked = requests(press(&mut app, KeyCode::Enter));
    assert_eq!(
        asked,
        [Command::PortalLink {
            user_id: AISHA,
            send: Some(Channel::Sms)
        }]
    );
    update(
        &mut app,
        Action::Loaded(Loaded::PortalLink {
            user_id: AISHA,
            url: "http://127.0.0.1:8080/portal#code=abc".to_owned(),
            expires_at: NOW,
            sent: Some(Channel::Sms),
        }),
    );
    assert_eq!(
        app.notice.as_deref(),
        Some("portal link sent to Aisha Khan by SMS")
    );
}

// Projects.

#[test]
fn moving_in_projects_asks_once_for_each_projects_crew_positions() {
    let mut app = fixture::app();
    press(&mut app, KeyCode::Char('3'));
    let asked = requests(update(
        &mut app,
        Action::Loaded(Loaded::Projects(fixture::projects())),
    ));
    assert!(asked.contains(&Command::LoadCrewMessages {
        project_id: KITCHEN_PROJECT,
        conversation_id: CREW
    }));
    let asked = requests(press(&mut app, KeyCode::Char('j')));
    assert!(matches!(
        asked[..],
        [Command::LoadCrewMessages { project_id, .. }] if project_id == LOFT_PROJECT
    ));
    press(&mut app, KeyCode::Char('k'));
    assert!(requests(press(&mut app, KeyCode::Char('j'))).is_empty());
}

#[test]
fn a_crew_members_newest_located_message_is_their_position() {
    let mut app = fixture::app();
    let mut older = fixture::crew_messages().remove(0);
    older.created_at = NOW.plus_millis(-3_600_000);
    older.id = commcenter::Id::from_u128(7);
    if let Some(l) = &mut older.location {
        l.lat = 10.0;
    }
    update(
        &mut app,
        Action::Loaded(Loaded::CrewMessages {
            project_id: KITCHEN_PROJECT,
            messages: [fixture::crew_messages(), vec![older]].concat(),
        }),
    );
    let spot = &app.projects.crew_spots[&KITCHEN_PROJECT][&MAREK];
    assert!((spot.location.lat - 51.5012).abs() < 1e-9);
}

#[test]
fn enter_in_projects_opens_the_crew_channel() {
    let mut app = fixture::app_with_everything();
    press(&mut app, KeyCode::Char('3'));
    update(
        &mut app,
        Action::Loaded(Loaded::Projects(fixture::projects())),
    );
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.screen, Screen::Thread);
    assert_eq!(app.thread.as_ref().map(|t| t.id()), Some(CREW));
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.screen, Screen::Projects);
}

// Analytics.

#[test]
fn d_cycles_the_range_and_old_answers_are_dropped() {
    let mut app = fixture::app_with_everything();
    press(&mut app, KeyCode::Char('4'));
    let asked = requests(press(&mut app, KeyCode::Char('d')));
    assert!(matches!(
        asked[..],
        [Command::LoadAnalytics { days: 7, .. }]
    ));
    update(
        &mut app,
        Action::Loaded(Loaded::Analytics {
            days: 30,
            overview: Box::new(fixture::overview()),
            top: Vec::new(),
        }),
    );
    assert_eq!(
        app.analytics.top.len(),
        3,
        "the 30-day answer came too late"
    );
}

#[test]
fn enter_on_a_top_customer_opens_their_page_and_esc_comes_back() {
    let mut app = fixture::app_with_everything();
    press(&mut app, KeyCode::Char('4'));
    press(&mut app, KeyCode::Char('j'));
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.screen, Screen::Customers);
    assert_eq!(app.customers.detail.as_ref().map(|d| d.id()), Some(BEN));
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.screen, Screen::Analytics);
}

// The template picker.

fn template_picker(app: &mut App) {
    let asked = requests(press(app, KeyCode::Char('t')));
    assert_eq!(asked, [Command::LoadTemplates]);
    update(app, Action::Loaded(Loaded::Templates(fixture::templates())));
}

#[test]
fn t_offers_the_templates_and_asks_for_their_variables() {
    let mut app = fixture::app_in_thread();
    template_picker(&mut app);
    assert!(matches!(&app.popup, Some(Popup::Templates(p)) if p.entries.len() == 2));
    press(&mut app, KeyCode::Enter);
    let Some(Popup::Form(form)) = &app.popup else {
        panic!("a form for the variables, not {:?}", app.popup);
    };
    assert_eq!(form.fields[0].label, "arrival_window");
    typed(&mut app, "9 and 11am");
    let asked = requests(press(&mut app, KeyCode::Enter));
    let [Command::RenderTemplate {
        template,
        conversation_id,
        variables,
    }] = &asked[..]
    else {
        panic!("a render request, not {asked:?}");
    };
    assert_eq!(template.id, ARRIVAL);
    assert_eq!(*conversation_id, BOILER);
    assert_eq!(variables["arrival_window"], "9 and 11am");
}

#[test]
fn a_previewed_template_fills_the_reply_on_its_channel() {
    let mut app = fixture::app_in_thread();
    template_picker(&mut app);
    press(&mut app, KeyCode::Enter);
    typed(&mut app, "9-11");
    press(&mut app, KeyCode::Enter);
    let template = fixture::templates().remove(0);
    update(
        &mut app,
        Action::Loaded(Loaded::Rendered {
            template: Box::new(template),
            rendered: RenderedTemplate {
                subject: None,
                body: "Hi Aisha, our crew arrives tomorrow between 9-11.".to_owned(),
            },
        }),
    );
    assert!(matches!(app.popup, Some(Popup::Preview(_))));
    press(&mut app, KeyCode::Enter);
    let composer = app.thread.as_ref().unwrap().composer.clone().unwrap();
    assert_eq!(composer.channel, Channel::Sms);
    assert_eq!(composer.template, Some((ARRIVAL, Some(Channel::Sms))));
    press(&mut app, KeyCode::Tab);
    let composer = app.thread.as_ref().unwrap().composer.clone().unwrap();
    assert_eq!(
        composer.channel,
        Channel::Sms,
        "the template's channel stays"
    );
    let asked = requests(press(&mut app, KeyCode::Enter));
    let [Command::Send { message, .. }] = &asked[..] else {
        panic!("a send, not {asked:?}");
    };
    assert_eq!(message.template_id, Some(ARRIVAL));
    assert_eq!(
        message.body.as_deref(),
        Some("Hi Aisha, our crew arrives tomorrow between 9-11.")
    );
}

// Attachments.

#[test]
fn s_on_a_message_with_a_file_asks_where_to_save_it() {
    let mut app = fixture::app_in_thread();
    // The photo message is the fourth (index 3).
    app.thread.as_mut().unwrap().selected = 3;
    press(&mut app, KeyCode::Char('s'));
    let Some(Popup::Form(form)) = &app.popup else {
        panic!("a save prompt, not {:?}", app.popup);
    };
    assert!(form.value(0).ends_with("gauge.jpg"));
    update(
        &mut app,
        Action::Key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL)),
    );
    typed(&mut app, "/tmp/g.jpg");
    let asked = requests(press(&mut app, KeyCode::Enter));
    assert!(matches!(
        &asked[..],
        [Command::SaveFile { file, path }] if file.name == "gauge.jpg" && path == "/tmp/g.jpg"
    ));
}

#[test]
fn o_opens_the_only_file_and_asks_which_of_several() {
    let mut app = fixture::app_in_thread();
    app.thread.as_mut().unwrap().selected = 3;
    let asked = requests(press(&mut app, KeyCode::Char('o')));
    assert!(matches!(&asked[..], [Command::OpenFile(f)] if f.name == "gauge.jpg"));
    app.thread.as_mut().unwrap().messages[3]
        .attachments
        .push(fixture::quote_pdf());
    assert!(requests(press(&mut app, KeyCode::Char('o'))).is_empty());
    assert!(
        matches!(&app.popup, Some(Popup::Files { picker, save: false }) if picker.entries.len() == 2)
    );
    press(&mut app, KeyCode::Char('j'));
    let asked = requests(press(&mut app, KeyCode::Enter));
    assert!(matches!(&asked[..], [Command::OpenFile(f)] if f.name == "quote.pdf"));
}

#[test]
fn a_message_without_files_says_so() {
    let mut app = fixture::app_in_thread();
    assert!(requests(press(&mut app, KeyCode::Char('o'))).is_empty());
    assert!(app.notice.as_deref().unwrap().contains("no attachment"));
}

#[test]
fn a_attaches_a_file_and_the_reply_waits_for_the_upload() {
    let mut app = fixture::app_in_thread();
    press(&mut app, KeyCode::Char('a'));
    typed(&mut app, "/tmp/quote.pdf");
    let asked = requests(press(&mut app, KeyCode::Enter));
    assert_eq!(
        asked,
        [Command::Upload {
            conversation_id: BOILER,
            path: "/tmp/quote.pdf".to_owned()
        }]
    );
    // Enter while the upload runs sends nothing.
    assert!(requests(press(&mut app, KeyCode::Enter)).is_empty());
    update(
        &mut app,
        Action::Loaded(Loaded::Uploaded {
            conversation_id: BOILER,
            file: Box::new(fixture::quote_pdf()),
        }),
    );
    let asked = requests(press(&mut app, KeyCode::Enter));
    let [Command::Send { message, .. }] = &asked[..] else {
        panic!("a send, not {asked:?}");
    };
    assert_eq!(message.attachments, Some(vec![fixture::quote_pdf().id]));
    assert_eq!(message.body, None, "a file alone is a message");
}

#[test]
fn tab_in_the_attach_prompt_completes_the_path() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("invoice-2231.pdf"), b"%PDF").unwrap();
    let mut app = fixture::app_in_thread();
    press(&mut app, KeyCode::Char('a'));
    let base = dir.path().to_string_lossy().into_owned();
    typed(&mut app, &format!("{base}/inv"));
    press(&mut app, KeyCode::Tab);
    let Some(Popup::Form(form)) = &app.popup else {
        panic!("the attach prompt");
    };
    assert_eq!(form.value(0), format!("{base}/invoice-2231.pdf"));
}

#[test]
fn a_failed_upload_does_not_hold_the_reply_forever() {
    let mut app = fixture::app_in_thread();
    press(&mut app, KeyCode::Char('a'));
    typed(&mut app, "/no/such/file");
    press(&mut app, KeyCode::Enter);
    update(
        &mut app,
        Action::Failed("/no/such/file: not found".to_owned()),
    );
    typed(&mut app, "see attached");
    let asked = requests(press(&mut app, KeyCode::Enter));
    assert!(asked.iter().any(|c| matches!(c, Command::Send { .. })));
}

#[test]
fn a_located_crew_message_arriving_live_moves_the_crew_member() {
    let mut app = fixture::app_with_everything();
    let mut m = fixture::crew_messages().remove(0);
    m.id = commcenter::Id::from_u128(8_000);
    m.created_at = NOW.plus_millis(60_000);
    if let Some(l) = &mut m.location {
        l.lat = 53.8;
    }
    update(
        &mut app,
        Action::Live(crate::action::Live::Event(
            commcenter::wire::EventData::MessageCreated {
                message: Box::new(m),
            },
        )),
    );
    let spot = &app.projects.crew_spots[&KITCHEN_PROJECT][&MAREK];
    assert!((spot.location.lat - 53.8).abs() < 1e-9);
}

#[test]
fn ctrl_o_in_the_reply_editor_attaches_without_losing_the_text() {
    let mut app = fixture::app_in_thread();
    press(&mut app, KeyCode::Char('r'));
    typed(&mut app, "Quote attached");
    update(
        &mut app,
        Action::Key(KeyEvent::new(KeyCode::Char('o'), KeyModifiers::CONTROL)),
    );
    assert!(matches!(&app.popup, Some(Popup::Form(f)) if f.purpose == FormPurpose::AttachPath));
    typed(&mut app, "/tmp/quote.pdf");
    press(&mut app, KeyCode::Enter);
    let composer = app.thread.as_ref().unwrap().composer.clone().unwrap();
    assert_eq!(composer.editor.text(), "Quote attached");
    assert_eq!(composer.uploading, 1);
}

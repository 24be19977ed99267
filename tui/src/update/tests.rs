//! The keys of each screen, and live events, driven through `update`.

use commcenter::wire::{
    Channel, ConversationPatch, ConversationStatus, Direction, EventData, Message, MessageStatus,
    Page, Presence, ReceiptState, SearchHit, TypingState,
};
use commcenter::Id;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::update;
use crate::action::{Action, Command, Effect, Live, Loaded};
use crate::fixture::{self, AISHA, BEN, BOILER, CREW, INVOICE, NOW, PRIYA};
use crate::state::{App, Popup, Screen};

fn press(app: &mut App, code: KeyCode) -> Vec<Effect> {
    update(app, Action::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn typed(app: &mut App, text: &str) {
    for c in text.chars() {
        press(app, KeyCode::Char(c));
    }
}

fn requests(effects: &[Effect]) -> Vec<&Command> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Request(c) => Some(c),
            Effect::Bell => None,
        })
        .collect()
}

fn selected(app: &App) -> Id {
    app.list.selected_conversation().expect("a selection").id
}

fn inbound(conversation_id: Id, id: u128) -> Message {
    let mut m = fixture::boiler_messages().remove(5);
    m.id = Id::from_u128(id);
    m.conversation_id = conversation_id;
    m.sender_id = if conversation_id == INVOICE {
        BEN
    } else {
        AISHA
    };
    m.created_at = NOW.plus_millis(1_000);
    m.body = "Are you still coming?".to_owned();
    m
}

fn created(m: Message) -> Action {
    Action::Live(Live::Event(EventData::MessageCreated {
        message: Box::new(m),
    }))
}

// The conversation list.

#[test]
fn j_and_k_move_the_selection() {
    let mut app = fixture::app();
    assert_eq!(selected(&app), BOILER);
    press(&mut app, KeyCode::Char('j'));
    assert_eq!(selected(&app), CREW);
    press(&mut app, KeyCode::Up);
    assert_eq!(selected(&app), BOILER);
}

#[test]
fn g_and_capital_g_go_to_the_first_and_last_conversation() {
    let mut app = fixture::app();
    update(
        &mut app,
        Action::Key(KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT)),
    );
    assert_eq!(selected(&app), Id::from_u128(104));
    press(&mut app, KeyCode::Char('g'));
    assert_eq!(selected(&app), BOILER);
}

#[test]
fn enter_opens_the_selected_conversation_and_loads_it() {
    let mut app = fixture::app();
    let fx = press(&mut app, KeyCode::Enter);
    assert_eq!(app.screen, Screen::Thread);
    let load = Command::LoadThread {
        conversation_id: BOILER,
        focus: None,
    };
    assert!(requests(&fx).contains(&&load));
}

#[test]
fn s_cycles_the_status_filter_and_asks_the_daemon_again() {
    let mut app = fixture::app();
    let fx = press(&mut app, KeyCode::Char('s'));
    assert_eq!(app.list.filter.status, crate::state::StatusFilter::Open);
    match requests(&fx)[..] {
        [Command::LoadConversations(filter)] => {
            assert_eq!(filter.status, Some(ConversationStatus::Open));
        }
        ref other => panic!("expected one list request, got {other:?}"),
    }
}

#[test]
fn m_asks_for_the_conversations_assigned_to_me() {
    let mut app = fixture::app();
    let fx = press(&mut app, KeyCode::Char('m'));
    match requests(&fx)[..] {
        [Command::LoadConversations(filter)] => assert_eq!(filter.assignee_id, Some(PRIYA)),
        ref other => panic!("expected one list request, got {other:?}"),
    }
}

#[test]
fn u_shows_only_unread_conversations_without_a_request() {
    let mut app = fixture::app();
    let fx = press(&mut app, KeyCode::Char('u'));
    assert!(fx.is_empty());
    let shown: Vec<Id> = app.list.visible().iter().map(|c| c.id).collect();
    assert_eq!(shown, [BOILER]);
}

#[test]
fn nearing_the_end_of_the_list_asks_for_the_next_page_once() {
    let mut app = fixture::app();
    app.list.more = Some("page-2".to_owned());
    let fx = press(&mut app, KeyCode::Char('j'));
    match requests(&fx)[..] {
        [Command::LoadMoreConversations { cursor, .. }] => assert_eq!(cursor, "page-2"),
        ref other => panic!("expected one request for more, got {other:?}"),
    }
    assert!(requests(&press(&mut app, KeyCode::Char('j'))).is_empty());
}

#[test]
fn the_next_page_is_added_below_keeping_the_selection() {
    let mut app = fixture::app();
    app.list.more = Some("page-2".to_owned());
    press(&mut app, KeyCode::Char('j'));
    let mut older = fixture::conversations().remove(3);
    older.id = Id::from_u128(555);
    older.last_message_at = Some(NOW.plus_millis(-90 * 24 * 3_600_000));
    older.updated_at = older.last_message_at.unwrap();
    let page = Page {
        items: vec![older],
        next_cursor: None,
    };
    update(&mut app, Action::Loaded(Loaded::MoreConversations(page)));
    assert_eq!(app.list.visible().last().unwrap().id, Id::from_u128(555));
    assert_eq!(selected(&app), CREW);
    assert_eq!(app.list.more, None);
}

#[test]
fn q_quits_from_the_conversation_list() {
    let mut app = fixture::app();
    press(&mut app, KeyCode::Char('q'));
    assert!(app.quit);
}

#[test]
fn question_mark_opens_help_and_esc_closes_it() {
    let mut app = fixture::app();
    press(&mut app, KeyCode::Char('?'));
    assert_eq!(app.popup, Some(Popup::Help));
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.popup, None);
    assert!(!app.quit);
}

#[test]
fn a_new_message_moves_its_conversation_to_the_top_keeping_the_selection() {
    let mut app = fixture::app();
    update(&mut app, created(inbound(INVOICE, 7000)));
    assert_eq!(app.list.visible()[0].id, INVOICE);
    assert_eq!(
        selected(&app),
        BOILER,
        "the selection follows its conversation"
    );
    let invoice = &app.list.visible()[0];
    assert_eq!(invoice.unread_count, 1);
    assert_eq!(
        invoice.last_message_preview.as_deref(),
        Some("Are you still coming?")
    );
}

#[test]
fn a_status_change_does_not_move_a_conversation() {
    let mut app = fixture::app();
    let mut invoice = app.list.get_mut(INVOICE).unwrap().clone();
    invoice.updated_at = NOW;
    update(&mut app, Action::Loaded(Loaded::Conversation(invoice)));
    assert_eq!(app.list.visible()[2].id, INVOICE);
}

#[test]
fn an_inbound_message_off_screen_raises_a_notification_and_a_bell() {
    let mut app = fixture::app();
    let fx = update(&mut app, created(inbound(INVOICE, 7000)));
    assert!(app.notifications.contains(&INVOICE));
    assert!(fx.contains(&Effect::Bell));
}

#[test]
fn b_turns_the_bell_off() {
    let mut app = fixture::app();
    press(&mut app, KeyCode::Char('b'));
    let fx = update(&mut app, created(inbound(INVOICE, 7000)));
    assert!(!fx.contains(&Effect::Bell));
    assert!(app.notifications.contains(&INVOICE), "the badge stays");
}

#[test]
fn a_message_in_an_unknown_conversation_fetches_it() {
    let mut app = fixture::app();
    let stranger = Id::from_u128(4242);
    let fx = update(&mut app, created(inbound(stranger, 7000)));
    assert!(requests(&fx).contains(&&Command::FetchConversation(stranger)));
}

// An open conversation.

#[test]
fn q_in_a_conversation_goes_back_rather_than_quitting() {
    let mut app = fixture::app_in_thread();
    press(&mut app, KeyCode::Char('q'));
    assert!(!app.quit);
    assert_eq!(app.screen, Screen::Conversations);
}

#[test]
fn opening_a_conversation_clears_its_notification() {
    let mut app = fixture::app();
    update(&mut app, created(inbound(BOILER, 7000)));
    assert!(app.notifications.contains(&BOILER));
    press(&mut app, KeyCode::Enter);
    assert!(!app.notifications.contains(&BOILER));
}

#[test]
fn loading_the_newest_page_marks_the_conversation_read() {
    let mut app = fixture::app();
    press(&mut app, KeyCode::Enter);
    let page = Page {
        items: fixture::boiler_messages(),
        next_cursor: None,
    };
    let newest = page.items.last().unwrap().id;
    let fx = update(
        &mut app,
        Action::Loaded(Loaded::Messages {
            conversation_id: BOILER,
            page,
            older: false,
            focus: None,
        }),
    );
    let read = Command::MarkRead {
        conversation_id: BOILER,
        up_to: newest,
    };
    assert!(requests(&fx).contains(&&read));
    assert_eq!(app.list.get_mut(BOILER).unwrap().unread_count, 0);
}

#[test]
fn r_opens_the_reply_editor_on_the_channel_the_customer_last_used() {
    let mut app = fixture::app_in_thread();
    press(&mut app, KeyCode::Char('r'));
    let composer = app.thread.as_ref().unwrap().composer.as_ref().unwrap();
    assert_eq!(composer.channel, Channel::InApp);
    assert!(!composer.private);
}

#[test]
fn enter_in_the_editor_sends_the_reply() {
    let mut app = fixture::app_in_thread();
    press(&mut app, KeyCode::Char('r'));
    typed(&mut app, "On my way");
    let fx = press(&mut app, KeyCode::Enter);
    let sends: Vec<_> = requests(&fx)
        .into_iter()
        .filter(|c| matches!(c, Command::Send { .. }))
        .collect();
    match sends[..] {
        [Command::Send {
            conversation_id,
            message,
        }] => {
            assert_eq!(*conversation_id, BOILER);
            assert_eq!(message.body.as_deref(), Some("On my way"));
            assert_eq!(message.private, None);
        }
        ref other => panic!("expected one send, got {other:?}"),
    }
}

#[test]
fn alt_enter_starts_a_new_line_instead_of_sending() {
    let mut app = fixture::app_in_thread();
    press(&mut app, KeyCode::Char('r'));
    typed(&mut app, "one");
    let fx = update(
        &mut app,
        Action::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::ALT)),
    );
    typed(&mut app, "two");
    assert!(fx.is_empty());
    let composer = app.thread.as_ref().unwrap().composer.as_ref().unwrap();
    assert_eq!(composer.editor.text(), "one\ntwo");
}

#[test]
fn letters_typed_in_the_editor_are_text_not_commands() {
    let mut app = fixture::app_in_thread();
    press(&mut app, KeyCode::Char('r'));
    typed(&mut app, "q?/");
    assert!(!app.quit);
    assert_eq!(app.popup, None);
    let composer = app.thread.as_ref().unwrap().composer.as_ref().unwrap();
    assert_eq!(composer.editor.text(), "q?/");
}

#[test]
fn an_empty_reply_is_not_sent() {
    let mut app = fixture::app_in_thread();
    press(&mut app, KeyCode::Char('r'));
    typed(&mut app, "  ");
    assert!(press(&mut app, KeyCode::Enter).is_empty());
}

fn typing_frames(effects: &[Effect]) -> Vec<TypingState> {
    requests(effects)
        .into_iter()
        .filter_map(|c| match c {
            Command::Typing { state, .. } => Some(*state),
            _ => None,
        })
        .collect()
}

#[test]
fn typing_a_reply_says_so_once_every_few_seconds_and_stops_on_send() {
    let mut app = fixture::app_in_thread();
    press(&mut app, KeyCode::Char('r'));
    let first = press(&mut app, KeyCode::Char('O'));
    assert_eq!(typing_frames(&first), [TypingState::Start]);
    assert!(typing_frames(&press(&mut app, KeyCode::Char('k'))).is_empty());
    update(&mut app, Action::Tick(NOW.plus_millis(3_500)));
    assert_eq!(
        typing_frames(&press(&mut app, KeyCode::Char('!'))),
        [TypingState::Start]
    );
    assert_eq!(
        typing_frames(&press(&mut app, KeyCode::Enter)),
        [TypingState::Stop]
    );
}

#[test]
fn writing_a_private_note_does_not_say_typing() {
    let mut app = fixture::app_in_thread();
    press(&mut app, KeyCode::Char('n'));
    assert!(typing_frames(&press(&mut app, KeyCode::Char('x'))).is_empty());
}

#[test]
fn n_writes_a_private_note() {
    let mut app = fixture::app_in_thread();
    press(&mut app, KeyCode::Char('n'));
    typed(&mut app, "check the valve");
    let fx = press(&mut app, KeyCode::Enter);
    match requests(&fx)[..] {
        [Command::Send { message, .. }] => assert_eq!(message.private, Some(true)),
        ref other => panic!("expected one send, got {other:?}"),
    }
}

#[test]
fn tab_picks_the_next_channel() {
    let mut app = fixture::app_in_thread();
    press(&mut app, KeyCode::Char('r'));
    press(&mut app, KeyCode::Tab);
    let composer = app.thread.as_ref().unwrap().composer.as_ref().unwrap();
    assert_eq!(composer.channel, Channel::Sms);
}

#[test]
fn esc_in_the_editor_closes_it_and_keeps_the_conversation() {
    let mut app = fixture::app_in_thread();
    press(&mut app, KeyCode::Char('r'));
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.screen, Screen::Thread);
    assert!(app.thread.as_ref().unwrap().composer.is_none());
}

#[test]
fn a_sent_reply_shows_once_even_when_its_event_came_first() {
    let mut app = fixture::app_in_thread();
    let before = app.thread.as_ref().unwrap().messages.len();
    let mut reply = inbound(BOILER, 7001);
    reply.sender_id = PRIYA;
    reply.direction = Direction::Outbound;
    update(&mut app, created(reply.clone()));
    update(&mut app, Action::Loaded(Loaded::Sent(reply)));
    assert_eq!(app.thread.as_ref().unwrap().messages.len(), before + 1);
}

#[test]
fn a_message_arriving_in_the_open_conversation_is_marked_read() {
    let mut app = fixture::app_in_thread();
    let m = inbound(BOILER, 7002);
    let fx = update(&mut app, created(m.clone()));
    let read = Command::MarkRead {
        conversation_id: BOILER,
        up_to: m.id,
    };
    assert!(requests(&fx).contains(&&read));
    assert!(!fx.contains(&Effect::Bell), "no bell for what is on screen");
    assert_eq!(
        app.thread.as_ref().unwrap().messages.last().unwrap().id,
        m.id
    );
}

#[test]
fn capital_c_closes_the_conversation() {
    let mut app = fixture::app_in_thread();
    let fx = update(
        &mut app,
        Action::Key(KeyEvent::new(KeyCode::Char('C'), KeyModifiers::SHIFT)),
    );
    let close = Command::Patch {
        conversation_id: BOILER,
        patch: ConversationPatch {
            status: Some(ConversationStatus::Closed),
            ..ConversationPatch::default()
        },
    };
    assert_eq!(requests(&fx), [&close]);
}

#[test]
fn i_assigns_through_the_picker() {
    let mut app = fixture::app_in_thread();
    press(&mut app, KeyCode::Char('i'));
    assert!(matches!(app.popup, Some(Popup::Assign(_))));
    // Entries: Nobody, Priya Shah (current), Tom Baker.
    press(&mut app, KeyCode::Char('j'));
    let fx = press(&mut app, KeyCode::Enter);
    match requests(&fx)[..] {
        [Command::Patch { patch, .. }] => {
            assert_eq!(patch.assignee_id, Some(Some(fixture::TOM)));
        }
        ref other => panic!("expected one patch, got {other:?}"),
    }
    assert_eq!(app.popup, None);
}

#[test]
fn capital_t_edits_the_tags() {
    let mut app = fixture::app_in_thread();
    update(
        &mut app,
        Action::Key(KeyEvent::new(KeyCode::Char('T'), KeyModifiers::SHIFT)),
    );
    typed(&mut app, ", gas");
    let fx = press(&mut app, KeyCode::Enter);
    match requests(&fx)[..] {
        [Command::Patch { patch, .. }] => {
            let tags = patch.tags.clone().unwrap();
            assert_eq!(tags, ["heating", "urgent", "gas"]);
        }
        ref other => panic!("expected one patch, got {other:?}"),
    }
}

#[test]
fn k_at_the_oldest_loaded_message_asks_for_the_page_before() {
    let mut app = fixture::app_in_thread();
    press(&mut app, KeyCode::Char('g'));
    let fx = press(&mut app, KeyCode::Char('k'));
    let fx: Vec<_> = fx.into_iter().collect();
    let older = Command::LoadOlder {
        conversation_id: BOILER,
        cursor: "older".to_owned(),
        focus: None,
    };
    let asked = requests(&fx).contains(&&older) || app.thread.as_ref().unwrap().loading_older;
    assert!(asked);
}

#[test]
fn an_older_page_keeps_the_selected_message() {
    let mut app = fixture::app_in_thread();
    press(&mut app, KeyCode::Char('g'));
    let first = app.thread.as_ref().unwrap().messages[0].id;
    let mut old = inbound(BOILER, 1);
    old.created_at = NOW.plus_millis(-100 * 60 * 60_000);
    update(
        &mut app,
        Action::Loaded(Loaded::Messages {
            conversation_id: BOILER,
            page: Page {
                items: vec![old],
                next_cursor: None,
            },
            older: true,
            focus: None,
        }),
    );
    let thread = app.thread.as_ref().unwrap();
    assert_eq!(thread.messages[thread.selected].id, first);
}

#[test]
fn receipts_move_ticks_forward_never_back() {
    let mut app = fixture::app_in_thread();
    let read = app.thread.as_ref().unwrap().messages[0].id;
    let receipt = |state| {
        Action::Live(Live::Event(EventData::Receipt {
            message_id: read,
            user_id: AISHA,
            state,
            at: NOW,
        }))
    };
    update(&mut app, receipt(ReceiptState::Delivered));
    assert_eq!(
        app.thread.as_ref().unwrap().messages[0].status,
        MessageStatus::Read
    );
}

#[test]
fn typing_shows_until_stopped() {
    let mut app = fixture::app_in_thread();
    let typing = |state| {
        Action::Live(Live::Typing {
            conversation_id: BOILER,
            user_id: AISHA,
            state,
        })
    };
    update(&mut app, typing(TypingState::Start));
    assert!(app.thread.as_ref().unwrap().typing.contains_key(&AISHA));
    update(&mut app, typing(TypingState::Stop));
    assert!(app.thread.as_ref().unwrap().typing.is_empty());
}

#[test]
fn typing_expires_without_a_refresh() {
    let mut app = fixture::app_in_thread();
    update(
        &mut app,
        Action::Live(Live::Typing {
            conversation_id: BOILER,
            user_id: AISHA,
            state: TypingState::Start,
        }),
    );
    update(&mut app, Action::Tick(NOW.plus_millis(10_000)));
    assert!(app.thread.as_ref().unwrap().typing.is_empty());
}

// Presence.

#[test]
fn the_console_asks_who_is_online_as_it_starts_and_after_a_resync() {
    let app = fixture::app();
    assert!(requests(&super::start(&app)).contains(&&Command::LoadPresence));
    let mut app = fixture::app_in_thread();
    let fx = update(&mut app, Action::Live(Live::Resync));
    assert!(requests(&fx).contains(&&Command::LoadPresence));
}

#[test]
fn presence_frames_keep_who_is_online() {
    let mut app = fixture::app();
    update(
        &mut app,
        Action::Loaded(Loaded::Presence(vec![Presence {
            user_id: BEN,
            online: false,
            last_seen_at: None,
        }])),
    );
    // A fresh answer replaces what was known: Aisha is no longer listed.
    assert_eq!(app.online(AISHA), None);
    assert_eq!(app.online(BEN), Some(false));
    let fx = update(
        &mut app,
        Action::Live(Live::Presence(Presence {
            user_id: BEN,
            online: true,
            last_seen_at: Some(NOW),
        })),
    );
    assert_eq!(app.online(BEN), Some(true));
    assert!(fx.is_empty(), "nothing to ask for: {fx:?}");
}

// Search.

fn hit(conversation_id: Id, message_id: u128) -> SearchHit {
    let message = inbound(conversation_id, message_id);
    SearchHit {
        snippet: message.body.clone(),
        message,
    }
}

#[test]
fn slash_opens_search_and_typing_asks_with_a_new_generation() {
    let mut app = fixture::app();
    press(&mut app, KeyCode::Char('/'));
    assert_eq!(app.screen, Screen::Search);
    press(&mut app, KeyCode::Char('b'));
    let fx = press(&mut app, KeyCode::Char('o'));
    let ask = Command::Search {
        generation: 2,
        query: "bo".to_owned(),
    };
    assert_eq!(requests(&fx), [&ask]);
}

#[test]
fn results_for_an_older_query_are_dropped() {
    let mut app = fixture::app();
    press(&mut app, KeyCode::Char('/'));
    typed(&mut app, "bo");
    let stale = Loaded::SearchResults {
        generation: 1,
        hits: vec![hit(BOILER, 7003)],
    };
    update(&mut app, Action::Loaded(stale));
    assert!(app.search.hits.is_empty());
    assert!(app.search.waiting());
}

#[test]
fn enter_on_a_hit_opens_its_conversation_at_that_message() {
    let mut app = fixture::app();
    press(&mut app, KeyCode::Char('/'));
    typed(&mut app, "coming");
    let hits = vec![hit(INVOICE, 7004)];
    let generation = app.search.generation;
    update(
        &mut app,
        Action::Loaded(Loaded::SearchResults { generation, hits }),
    );
    let fx = press(&mut app, KeyCode::Enter);
    assert_eq!(app.screen, Screen::Thread);
    let load = Command::LoadThread {
        conversation_id: INVOICE,
        focus: Some(Id::from_u128(7004)),
    };
    assert!(requests(&fx).contains(&&load));
}

#[test]
fn esc_leaves_search_for_the_screen_it_came_from() {
    let mut app = fixture::app_in_thread();
    press(&mut app, KeyCode::Char('/'));
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.screen, Screen::Thread);
}

// The connection.

#[test]
fn reconnecting_clears_the_error_from_while_it_was_down() {
    let mut app = fixture::app();
    update(
        &mut app,
        Action::Connection(crate::action::ConnState::Reconnecting),
    );
    update(
        &mut app,
        Action::Failed("live updates: connection refused".to_owned()),
    );
    update(
        &mut app,
        Action::Connection(crate::action::ConnState::Connected),
    );
    assert_eq!(app.last_error, None);
}

#[test]
fn a_failed_send_keeps_the_draft() {
    let mut app = fixture::app_in_thread();
    press(&mut app, KeyCode::Char('r'));
    typed(&mut app, "draft");
    press(&mut app, KeyCode::Enter);
    update(&mut app, Action::Failed("customer has no phone".to_owned()));
    let composer = app.thread.as_ref().unwrap().composer.as_ref().unwrap();
    assert_eq!(composer.editor.text(), "draft");
    assert!(!composer.sending);
    assert_eq!(app.last_error.as_deref(), Some("customer has no phone"));
}

#[test]
fn r_retries_the_selected_message_only_when_it_failed() {
    let mut app = fixture::app_in_thread();
    let thread = app.thread.as_mut().unwrap();
    let selected = thread.selected;
    let id = thread.messages[selected].id;
    thread.messages[selected].status = commcenter::wire::MessageStatus::Sent;
    assert!(
        press(&mut app, KeyCode::Char('R')).is_empty(),
        "a sent message is not retried"
    );
    app.thread.as_mut().unwrap().messages[selected].status =
        commcenter::wire::MessageStatus::Failed;
    let fx = press(&mut app, KeyCode::Char('R'));
    assert_eq!(fx, [Effect::Request(Command::Retry(id))]);
    let mut queued = app.thread.as_ref().unwrap().messages[selected].clone();
    queued.status = commcenter::wire::MessageStatus::Queued;
    update(&mut app, Action::Loaded(Loaded::Retried(queued)));
    let shown = &app.thread.as_ref().unwrap().messages[selected];
    assert_eq!(shown.status, commcenter::wire::MessageStatus::Queued);
}

//! Keys and answers for the customers screen: find, create, a customer's
//! page with their conversations and figures, a portal link.

use commcenter::wire::{Channel, Conversation, CustomerAnalytics, NewUser, Role, User};
use commcenter::{Id, Timestamp};
use crossterm::event::KeyEvent;

use super::{open_thread, want_user};
use crate::action::{Action, Command, Effect};
use crate::state::{App, CustomerPage, Form, FormPurpose, Picker, Popup, Screen};

pub(super) fn on(app: &mut App, action: Action, fx: &mut Vec<Effect>) {
    if app.customers.detail.is_some() {
        return page(app, action, fx);
    }
    if app.customers.finding {
        match action {
            Action::Open => app.customers.finding = false,
            Action::Back => {
                app.customers.finding = false;
                clear_query(app, fx);
            }
            _ => {}
        }
        return;
    }
    let step = isize::try_from(app.page_rows.max(1)).unwrap_or(1);
    let list = &mut app.customers;
    match action {
        Action::Down => list.move_by(1),
        Action::Up => list.move_by(-1),
        Action::PageDown => list.move_by(step),
        Action::PageUp => list.move_by(-step),
        Action::Top => list.selected = 0,
        Action::Bottom => list.selected = list.items.len().saturating_sub(1),
        Action::Find => list.finding = true,
        Action::Back => clear_query(app, fx),
        Action::NewCustomer => {
            let form = Form::new(
                "New customer (Tab next field, Enter creates)",
                &["Name", "Phone", "Email"],
                FormPurpose::NewCustomer,
            );
            app.popup = Some(Popup::Form(form));
        }
        Action::Open => {
            if let Some(customer) = list.selected_customer().cloned() {
                open_page(app, customer, Screen::Customers, fx);
            }
        }
        _ => {}
    }
}

fn clear_query(app: &mut App, fx: &mut Vec<Effect>) {
    if !app.customers.query.is_blank() {
        app.customers.query.clear();
        find(app, fx);
    }
}

/// Applies a key to the find box and asks again.
pub(super) fn edit(app: &mut App, key: KeyEvent, fx: &mut Vec<Effect>) {
    let before = app.customers.query.text().to_owned();
    app.customers.query.handle(&key);
    if app.customers.query.text() != before {
        find(app, fx);
    }
}

/// Asks for the customers matching the find box.
pub(super) fn find(app: &mut App, fx: &mut Vec<Effect>) {
    let customers = &mut app.customers;
    customers.generation += 1;
    customers.loading = true;
    fx.push(Effect::Request(Command::FindCustomers {
        generation: customers.generation,
        query: customers.query.text().trim().to_owned(),
    }));
}

pub(super) fn reload(app: &mut App, fx: &mut Vec<Effect>) {
    match &app.customers.detail {
        Some(page) => load_page(page.id(), fx),
        None => find(app, fx),
    }
}

pub(super) fn loaded(app: &mut App, generation: u64, users: Vec<User>) {
    if generation != app.customers.generation {
        return;
    }
    for user in &users {
        app.users.insert(user.id, user.clone());
    }
    let customers = &mut app.customers;
    customers.items = users;
    customers.loaded = true;
    customers.loading = false;
    customers.selected = customers
        .selected
        .min(customers.items.len().saturating_sub(1));
}

/// Opens a customer's page; `back_to` is where `Esc` returns.
pub(super) fn open_page(app: &mut App, customer: User, back_to: Screen, fx: &mut Vec<Effect>) {
    load_page(customer.id, fx);
    app.customers.detail = Some(CustomerPage::new(customer, back_to));
    app.customers.finding = false;
    app.screen = Screen::Customers;
}

fn load_page(customer_id: Id, fx: &mut Vec<Effect>) {
    fx.push(Effect::Request(Command::LoadCustomerConversations(
        customer_id,
    )));
    fx.push(Effect::Request(Command::LoadCustomerFigures(customer_id)));
}

fn page(app: &mut App, action: Action, fx: &mut Vec<Effect>) {
    let Some(page) = &mut app.customers.detail else {
        return;
    };
    match action {
        Action::Down => page.move_by(1),
        Action::Up => page.move_by(-1),
        Action::Top => page.selected = 0,
        Action::Bottom => page.selected = page.conversations.len().saturating_sub(1),
        Action::PortalLink => {
            let customer = app.users.get(&page.id()).unwrap_or(&page.customer);
            app.popup = Some(portal_link_picker(customer));
        }
        Action::Open => {
            if let Some(c) = page.conversations.get(page.selected).cloned() {
                open_thread(app, c, None, fx);
            }
        }
        Action::Back => {
            let back_to = page.back_to;
            app.customers.detail = None;
            app.screen = back_to;
        }
        _ => {}
    }
}

/// Enter in the new-customer form.
pub(super) fn create(app: &mut App, form: &Form, fx: &mut Vec<Effect>) -> bool {
    let name = form.value(0);
    if name.is_empty() {
        app.last_error = Some("a customer needs a name".to_owned());
        return false;
    }
    let optional = |i: usize| Some(form.value(i).to_owned()).filter(|v| !v.is_empty());
    fx.push(Effect::Request(Command::CreateCustomer(NewUser {
        name: name.to_owned(),
        role: Role::Customer,
        phone: optional(1),
        email: optional(2),
    })));
    true
}

pub(super) fn created(app: &mut App, user: User, fx: &mut Vec<Effect>) {
    app.users.insert(user.id, user.clone());
    app.customers.items.insert(0, user.clone());
    app.customers.selected = 0;
    app.notice = Some(format!("created customer {}", user.name));
    open_page(app, user, Screen::Customers, fx);
}

pub(super) fn conversations_loaded(
    app: &mut App,
    customer_id: Id,
    items: Vec<Conversation>,
    fx: &mut Vec<Effect>,
) {
    for c in &items {
        if let Some(assignee) = c.assignee_id {
            want_user(app, assignee, fx);
        }
    }
    if let Some(page) = &mut app.customers.detail {
        if page.id() == customer_id {
            page.conversations = items;
            page.conversations_loaded = true;
            page.selected = page
                .selected
                .min(page.conversations.len().saturating_sub(1));
        }
    }
}

pub(super) fn figures_loaded(app: &mut App, figures: CustomerAnalytics) {
    if let Some(page) = &mut app.customers.detail {
        if page.id() == figures.customer_id {
            page.figures = Some(figures);
        }
    }
}

/// Ways to give `customer` their link: shown here, or sent on a channel
/// they have an address for.
fn portal_link_picker(customer: &User) -> Popup {
    let mut entries = vec![("Show the link here".to_owned(), None)];
    let mut channels = vec![None];
    if let Some(phone) = &customer.phone {
        entries.push((format!("Send it by SMS to {phone}"), None));
        channels.push(Some(Channel::Sms));
    }
    if let Some(email) = &customer.email {
        entries.push((format!("Send it by email to {email}"), None));
        channels.push(Some(Channel::Email));
    }
    Popup::PortalLink {
        picker: Picker {
            title: format!("Portal link for {}", customer.name),
            entries,
            selected: 0,
        },
        channels,
    }
}

/// Enter in the portal link picker.
pub(super) fn make_portal_link(app: &mut App, send: Option<Channel>, fx: &mut Vec<Effect>) {
    app.popup = None;
    let Some(page) = &app.customers.detail else {
        return;
    };
    fx.push(Effect::Request(Command::PortalLink {
        user_id: page.id(),
        send,
    }));
    app.notice = Some(match send {
        Some(_) => "making and sending a portal link…".to_owned(),
        None => "making a portal link…".to_owned(),
    });
}

pub(super) fn portal_link(
    app: &mut App,
    user_id: Id,
    url: String,
    expires_at: Timestamp,
    sent: Option<Channel>,
) {
    let name = app.user_name(user_id);
    app.notice = Some(match sent {
        Some(channel) => format!(
            "portal link sent to {name} by {}",
            crate::view::channel_name(channel)
        ),
        None => format!("portal link for {name}: {url}"),
    });
    if let Some(page) = &mut app.customers.detail {
        if page.id() == user_id {
            page.portal_link = Some((url, expires_at));
        }
    }
}

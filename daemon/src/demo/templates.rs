//! The demo's message templates, and one message sent from a template.

use std::collections::BTreeMap;

use commcenter::access::Caller;
use commcenter::wire::{Channel, NewMessage, NewTemplate};
use commcenter::Id;
use commcenter_store::{StoreError, Tx};

/// (name, channel, subject, body): the firm's standard messages.
const TEMPLATES: [(&str, Option<Channel>, Option<&str>, &str); 5] = [
    (
        "Crew arrives tomorrow",
        Some(Channel::Sms),
        None,
        "Hi {{customer.first_name}}, this is {{agent.name}} from BrightFix. Our crew will \
         arrive tomorrow between {{var.arrival_window}}. Reply to this message if that no \
         longer suits.",
    ),
    (
        "Invoice sent",
        Some(Channel::Email),
        Some("Invoice {{var.invoice_number}} from BrightFix"),
        "Dear {{customer.name}},\n\nPlease find attached invoice {{var.invoice_number}} for \
         {{var.job}}. The amount due is {{var.amount}}, payable within 14 days.\n\n\
         Kind regards,\n{{agent.name}}\nBrightFix Building Services",
    ),
    (
        "Quote follow-up",
        None,
        None,
        "Hi {{customer.first_name}}, just checking whether you have had a chance to look at \
         the quote we sent on {{var.quote_date}}. Happy to answer any questions. \
         {{agent.name}}",
    ),
    (
        "Visit booked",
        Some(Channel::InApp),
        None,
        "Hi {{customer.first_name}}, your visit is booked for {{var.date}}. We will text \
         {{customer.phone}} when the engineer is on the way.",
    ),
    // For the crew channel of a project, where `project.*` have values.
    (
        "Site briefing",
        Some(Channel::InApp),
        None,
        "Team: {{project.name}} at {{project.address}} starts {{var.start}}. Customer: \
         {{customer.name}}, {{customer.phone}}. Questions to {{agent.name}}.",
    ),
];

/// Creates the templates as `admin`; answers them by name.
pub(super) fn create_all(
    tx: &mut Tx<'_>,
    admin: &Caller,
) -> Result<BTreeMap<&'static str, Id>, StoreError> {
    let mut ids = BTreeMap::new();
    for (name, channel, subject, body) in TEMPLATES {
        let new = NewTemplate {
            name: name.into(),
            channel,
            subject: subject.map(str::to_owned),
            body: body.into(),
        };
        ids.insert(name, tx.create_template(admin, new)?.id);
    }
    Ok(ids)
}

/// `var.NAME` values: (NAME, value).
type Variables = &'static [(&'static str, &'static str)];

/// Messages staff sent from templates: (template, conversation or project
/// key, variables).
pub(super) const SENT: [(&str, &str, Variables); 2] = [
    ("Quote follow-up", "v12", &[("quote_date", "Monday")]),
    ("Site briefing", "p1", &[("start", "Monday at 8am")]),
];

/// `agent` sends from the template `name` in `conversation`, as a staff
/// member would from the console: rendered by the store, like any send.
pub(super) fn send(
    tx: &mut Tx<'_>,
    templates: &BTreeMap<&'static str, Id>,
    agent: &Caller,
    conversation: Id,
    (name, variables): (&str, Variables),
) -> Result<(), StoreError> {
    let template = templates
        .get(name)
        .copied()
        .ok_or_else(|| StoreError::Internal(format!("demo: no template `{name}`")))?;
    let variables = variables
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let new = NewMessage {
        template_id: Some(template),
        variables: Some(variables),
        ..NewMessage::default()
    };
    tx.send_message(agent, conversation, new)?;
    Ok(())
}

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
         arrive at {{project.address}} tomorrow between {{var.arrival_window}}. Reply to this \
         message if that no longer suits.",
    ),
    (
        "Invoice sent",
        Some(Channel::Email),
        Some("Invoice {{var.invoice_number}} for {{project.name}}"),
        "Dear {{customer.name}},\n\nPlease find attached invoice {{var.invoice_number}} for \
         {{project.name}}. The amount due is {{var.amount}}, payable within 14 days.\n\n\
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
    (
        "Job complete",
        None,
        None,
        "Hi {{customer.first_name}}, the work on {{project.name}} is finished. Thank you for \
         choosing BrightFix! {{agent.name}}",
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

/// `agent` follows up a quote in `conversation` from the "Quote follow-up"
/// template, as a staff member would from the console.
pub(super) fn send_quote_follow_up(
    tx: &mut Tx<'_>,
    templates: &BTreeMap<&'static str, Id>,
    agent: &Caller,
    conversation: Id,
) -> Result<(), StoreError> {
    let template = templates
        .get("Quote follow-up")
        .copied()
        .ok_or_else(|| StoreError::Internal("demo: no quote follow-up template".into()))?;
    let new = NewMessage {
        template_id: Some(template),
        variables: Some(BTreeMap::from([(
            "quote_date".to_owned(),
            "Monday".to_owned(),
        )])),
        ..NewMessage::default()
    };
    tx.send_message(agent, conversation, new)?;
    Ok(())
}

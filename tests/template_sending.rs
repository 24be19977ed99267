//! Rendering templates and sending messages from them, against the real
//! daemon: every placeholder, every missing value listed, values kept
//! literal, channel binding, body and subject given beside a template.

mod common;
mod templates_support;

use commcenter::wire::{
    Channel, Message, MessageStatus, NewMessage, NewTemplate, NewUser, RenderTemplate, Role,
    SearchQuery,
};
use commcenter::Id;
use common::open_conversation;
use templates_support::*;

// ---- Rendering ---------------------------------------------------------------

#[tokio::test]
async fn every_placeholder_renders_from_conversation_project_agent_and_variables() {
    let w = world().await;
    let body = "{{customer.name}}|{{customer.first_name}}|{{customer.email}}|\
                {{customer.phone}}|{{project.name}}|{{project.address}}|{{agent.name}}|{{var.day}}";
    let t = create(
        &w.agent.client,
        NewTemplate {
            subject: Some("{{project.name}} on {{var.day}}".into()),
            ..template("All", body)
        },
    )
    .await;
    let request = RenderTemplate {
        conversation_id: Some(w.project_conversation),
        variables: vars(&[("day", "Monday")]),
        ..RenderTemplate::default()
    };
    let rendered = w
        .agent
        .client
        .render_template(t.id, &request)
        .await
        .unwrap();
    assert_eq!(
        rendered.body,
        "Helen  Carter|Helen|helen@mail.example|+44 7700 900300|Loft conversion|\
         12 Elm Road, Leeds|Priya Shah|Monday"
    );
    assert_eq!(
        rendered.subject.as_deref(),
        Some("Loft conversion on Monday")
    );
}

#[tokio::test]
async fn rendering_for_a_customer_alone_has_no_project() {
    let w = world().await;
    let t = create(
        &w.agent.client,
        template("P", "{{customer.first_name}} {{project.name}}"),
    )
    .await;
    let request = RenderTemplate {
        customer_id: Some(w.customer.id()),
        ..RenderTemplate::default()
    };
    let rendered = w.agent.client.render_template(t.id, &request).await;
    assert_invalid(rendered, "variables", &["project.name"]);
    let only_customer = create(&w.agent.client, template("C", "Hi {{customer.first_name}}")).await;
    let rendered = w
        .agent
        .client
        .render_template(only_customer.id, &request)
        .await
        .unwrap();
    assert_eq!(rendered.body, "Hi Helen");
    assert_eq!(rendered.subject, None);
}

#[tokio::test]
async fn every_missing_value_is_listed_in_one_refusal() {
    let w = world().await;
    let bare = w
        .daemon
        .actor(NewUser {
            name: "Nomail Person".into(),
            role: Role::Customer,
            email: None,
            phone: None,
        })
        .await;
    let conversation = open_conversation(&w.daemon.admin, bare.id()).await.id;
    let t = create(
        &w.agent.client,
        NewTemplate {
            subject: Some("{{var.ref}}".into()),
            ..template(
                "Missing",
                "{{customer.email}} {{customer.phone}} {{project.name}} {{project.address}} \
                 {{var.date}} {{var.empty}} {{var.date}} {{customer.name}}",
            )
        },
    )
    .await;
    let request = RenderTemplate {
        conversation_id: Some(conversation),
        variables: vars(&[("empty", ""), ("unused", "x")]),
        ..RenderTemplate::default()
    };
    let rendered = w.agent.client.render_template(t.id, &request).await;
    let names = [
        "var.ref",
        "customer.email",
        "customer.phone",
        "project.name",
        "project.address",
        "var.date",
        "var.empty",
    ];
    let (status, error) = refusal(rendered);
    assert_eq!((status, error.field.as_deref()), (422, Some("variables")));
    for name in names {
        assert!(
            error.message.contains(name),
            "`{name}` in {}",
            error.message
        );
    }
    assert!(
        !error.message.contains("customer.name"),
        "{}",
        error.message
    );
}

#[tokio::test]
async fn values_containing_braces_stay_literal() {
    let w = world().await;
    let t = create(&w.agent.client, template("Echo", "Note: {{var.note}}")).await;
    let request = RenderTemplate {
        customer_id: Some(w.customer.id()),
        variables: vars(&[("note", "{{agent.name}} and {{var.note}} {{")]),
        ..RenderTemplate::default()
    };
    let rendered = w
        .agent
        .client
        .render_template(t.id, &request)
        .await
        .unwrap();
    assert_eq!(rendered.body, "Note: {{agent.name}} and {{var.note}} {{");
}

#[tokio::test]
async fn render_refuses_a_customer_other_than_the_conversations() {
    let w = world().await;
    let other = w.daemon.customer("Other Customer").await;
    let t = create(&w.agent.client, template("T", "Hi")).await;
    let request = RenderTemplate {
        conversation_id: Some(w.conversation),
        customer_id: Some(other.id()),
        ..RenderTemplate::default()
    };
    let rendered = w.agent.client.render_template(t.id, &request).await;
    assert_invalid(rendered, "customer_id", &[]);
    let missing = RenderTemplate {
        conversation_id: Some(Id::generate(1)),
        ..RenderTemplate::default()
    };
    let rendered = w.agent.client.render_template(t.id, &missing).await;
    assert_invalid(rendered, "conversation_id", &[]);
}

// ---- Sending -----------------------------------------------------------------

#[tokio::test]
async fn sending_with_a_template_renders_body_and_subject_and_records_it() {
    let w = world().await;
    let t = create(
        &w.agent.client,
        NewTemplate {
            subject: Some("Visit {{var.day}}".into()),
            ..template(
                "Crew arrives",
                "Hi {{customer.first_name}}, see you {{var.day}}. {{agent.name}}",
            )
        },
    )
    .await;
    let sent = w
        .agent
        .client
        .send_message(w.conversation, &from_template(t.id, &[("day", "Monday")]))
        .await
        .unwrap();
    assert_eq!(sent.body, "Hi Helen, see you Monday. Priya Shah");
    assert_eq!(sent.subject.as_deref(), Some("Visit Monday"));
    assert_eq!(sent.template_id, Some(t.id));
    let seen_by_customer: Message = w.customer.client.get_message(sent.id).await.unwrap();
    assert_eq!(seen_by_customer, sent);
}

#[tokio::test]
async fn a_subject_given_with_a_template_replaces_the_templates() {
    let w = world().await;
    let t = create(
        &w.agent.client,
        NewTemplate {
            subject: Some("{{var.unset}}".into()),
            ..template("S", "Body")
        },
    )
    .await;
    let new = NewMessage {
        subject: Some("Mine".into()),
        ..from_template(t.id, &[])
    };
    let sent = w
        .agent
        .client
        .send_message(w.conversation, &new)
        .await
        .unwrap();
    assert_eq!(
        (sent.subject.as_deref(), sent.body.as_str()),
        (Some("Mine"), "Body")
    );
}

#[tokio::test]
async fn a_send_with_missing_values_lists_them_all_and_writes_nothing() {
    let w = world().await;
    let t = create(
        &w.agent.client,
        template("M", "{{project.name}} {{var.day}} {{var.time}}"),
    )
    .await;
    let sent = w
        .agent
        .client
        .send_message(w.conversation, &from_template(t.id, &[("time", "9am")]))
        .await;
    assert_invalid(sent, "variables", &["project.name", "var.day"]);
    let messages = w
        .agent
        .client
        .list_messages(w.conversation, None, None)
        .await
        .unwrap();
    assert!(messages.items.is_empty());
}

#[tokio::test]
async fn a_template_bound_to_a_channel_is_sent_on_that_channel_only() {
    let w = world().await;
    let t = create(
        &w.agent.client,
        NewTemplate {
            channel: Some(Channel::Sms),
            ..template("Text", "Hi {{customer.first_name}}")
        },
    )
    .await;
    let in_app = w
        .agent
        .client
        .send_message(w.conversation, &from_template(t.id, &[]))
        .await;
    assert_invalid(in_app, "channel", &["sms"]);
    let email = NewMessage {
        channel: Some(Channel::Email),
        ..from_template(t.id, &[])
    };
    assert_invalid(
        w.agent.client.send_message(w.conversation, &email).await,
        "channel",
        &[],
    );
    let sms = NewMessage {
        channel: Some(Channel::Sms),
        ..from_template(t.id, &[])
    };
    let sent = w
        .agent
        .client
        .send_message(w.conversation, &sms)
        .await
        .unwrap();
    assert_eq!(
        (sent.channel, sent.status),
        (Channel::Sms, MessageStatus::Queued)
    );
    assert_eq!(sent.body, "Hi Helen");
}

#[tokio::test]
async fn a_body_given_with_a_template_is_sent_as_written_and_records_the_template() {
    let w = world().await;
    let t = create(&w.agent.client, template("B", "{{var.never_given}}")).await;
    let new = NewMessage {
        body: Some("Edited by hand {{not.parsed}}".into()),
        ..from_template(t.id, &[])
    };
    let sent = w
        .agent
        .client
        .send_message(w.conversation, &new)
        .await
        .unwrap();
    assert_eq!(sent.body, "Edited by hand {{not.parsed}}");
    assert_eq!(sent.template_id, Some(t.id));
}

#[tokio::test]
async fn a_blank_body_beside_a_template_counts_as_none() {
    let w = world().await;
    let t = create(
        &w.agent.client,
        template("Blank", "Hi {{customer.first_name}}"),
    )
    .await;
    let new = NewMessage {
        body: Some(" ".into()),
        ..from_template(t.id, &[])
    };
    let sent = w
        .agent
        .client
        .send_message(w.conversation, &new)
        .await
        .unwrap();
    assert_eq!(sent.body, "Hi Helen");
}

#[tokio::test]
async fn variables_without_a_template_are_refused() {
    let w = world().await;
    let new = NewMessage {
        variables: vars(&[("day", "Monday")]),
        ..common::text("Hi")
    };
    let sent = w.agent.client.send_message(w.conversation, &new).await;
    assert_invalid(sent, "variables", &[]);
}

#[tokio::test]
async fn a_body_without_placeholders_sent_plainly_is_never_parsed() {
    let w = world().await;
    let sent = common::send_text(&w.agent.client, w.conversation, "{{customer.name}}").await;
    assert_eq!(sent.body, "{{customer.name}}");
    assert_eq!(sent.template_id, None);
}

#[tokio::test]
async fn project_messages_are_sent_from_templates_with_the_project_filled_in() {
    let w = world().await;
    let t = create(
        &w.agent.client,
        template("Site", "{{project.name}} at {{project.address}}"),
    )
    .await;
    let sent = w
        .agent
        .client
        .send_project_message(w.project, &from_template(t.id, &[]))
        .await
        .unwrap();
    assert_eq!(sent.body, "Loft conversion at 12 Elm Road, Leeds");
    assert_eq!(sent.conversation_id, w.project_conversation);
    assert_eq!(sent.template_id, Some(t.id));
}

#[tokio::test]
async fn a_message_sent_from_a_template_is_found_by_its_rendered_words() {
    let w = world().await;
    let t = create(
        &w.agent.client,
        template("Arrival", "Crew arrives {{var.day}}"),
    )
    .await;
    w.agent
        .client
        .send_message(
            w.conversation,
            &from_template(t.id, &[("day", "Wednesday")]),
        )
        .await
        .unwrap();
    let query = SearchQuery {
        q: Some("arrives wednesday".into()),
        ..SearchQuery::default()
    };
    let found = w
        .customer
        .client
        .search_messages(&query, None, None)
        .await
        .unwrap();
    assert_eq!(found.items.len(), 1);
    assert_eq!(found.items[0].message.template_id, Some(t.id));
}

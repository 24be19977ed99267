//! Templates against the real daemon: saving (placeholders checked, names
//! unique), rendering every placeholder, sending from a template, and who
//! may use them.

mod common;

use std::collections::BTreeMap;

use commcenter::client::{Client, ClientError};
use commcenter::wire::{
    Channel, ErrorCode, ErrorDetail, Message, MessageStatus, NewMessage, NewProject, NewTemplate,
    NewUser, RenderTemplate, Role, Template, TemplateUpdate,
};
use commcenter::Id;
use common::{open_conversation, request, Actor, TestDaemon};
use http::Method;
use serde_json::json;

fn template(name: &str, body: &str) -> NewTemplate {
    NewTemplate {
        name: name.into(),
        body: body.into(),
        ..NewTemplate::default()
    }
}

/// A `PUT` body with every field: the whole template is replaced.
fn replacement(name: &str, body: &str) -> TemplateUpdate {
    TemplateUpdate {
        name: Some(name.into()),
        channel: Some(None),
        subject: Some(None),
        body: Some(body.into()),
    }
}

fn vars(pairs: &[(&str, &str)]) -> Option<BTreeMap<String, String>> {
    Some(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

/// The status and error of a refused call.
fn refusal<T: std::fmt::Debug>(result: Result<T, ClientError>) -> (u16, ErrorDetail) {
    match result {
        Err(ClientError::Api { status, body }) => (status, body.error),
        other => panic!("expected an API error, got {other:?}"),
    }
}

/// A 422 on `field` whose message names every one of `names`.
fn assert_invalid<T: std::fmt::Debug>(result: Result<T, ClientError>, field: &str, names: &[&str]) {
    let (status, error) = refusal(result);
    assert_eq!(status, 422, "{error:?}");
    assert_eq!(error.code, ErrorCode::Unprocessable);
    assert_eq!(error.field.as_deref(), Some(field), "{error:?}");
    for name in names {
        assert!(
            error.message.contains(name),
            "`{name}` in {:?}",
            error.message
        );
    }
}

/// A customer with every contact detail, a crew member, their project (with
/// an address) and the customer's own conversation.
struct World {
    daemon: TestDaemon,
    agent: Actor,
    customer: Actor,
    crew: Actor,
    project_conversation: Id,
    project: Id,
    conversation: Id,
}

async fn world() -> World {
    let daemon = TestDaemon::start().await;
    let agent = daemon
        .actor(NewUser {
            name: "Priya Shah".into(),
            role: Role::Agent,
            email: None,
            phone: None,
        })
        .await;
    let customer = daemon
        .actor(NewUser {
            name: "Helen  Carter".into(),
            role: Role::Customer,
            email: Some("helen@mail.example".into()),
            phone: Some("+44 7700 900300".into()),
        })
        .await;
    let crew = daemon.crew("Marek Nowak").await;
    let project = daemon
        .admin
        .create_project(&NewProject {
            name: "Loft conversion".into(),
            customer_id: customer.id(),
            address: Some("12 Elm Road, Leeds".into()),
            crew_ids: Some(vec![crew.id()]),
        })
        .await
        .unwrap();
    let conversation = open_conversation(&daemon.admin, customer.id()).await.id;
    World {
        daemon,
        agent,
        customer,
        crew,
        project_conversation: project.conversation_id,
        project: project.id,
        conversation,
    }
}

async fn create(by: &Client, new: NewTemplate) -> Template {
    by.create_template(&new).await.expect("create template")
}

fn from_template(id: Id, variables: &[(&str, &str)]) -> NewMessage {
    NewMessage {
        template_id: Some(id),
        variables: vars(variables),
        ..NewMessage::default()
    }
}

// ---- Saving ----------------------------------------------------------------

#[tokio::test]
async fn a_template_lists_its_placeholders_once_in_order_subject_first() {
    let w = world().await;
    let created = create(
        &w.agent.client,
        NewTemplate {
            subject: Some("{{project.name}}: {{var.day}}".into()),
            ..template(
                "Crew arrives",
                "Hi {{customer.first_name}}, the crew comes {{var.day}}. {{ agent.name }}",
            )
        },
    )
    .await;
    assert_eq!(
        created.variables,
        [
            "project.name",
            "var.day",
            "customer.first_name",
            "agent.name"
        ]
    );
    assert_eq!(created.channel, None);
    assert_eq!(created.created_at, created.updated_at);
    assert_eq!(
        w.agent.client.get_template(created.id).await.unwrap(),
        created
    );
}

#[tokio::test]
async fn the_body_is_stored_as_written_with_spaces_inside_braces_kept() {
    let w = world().await;
    let body = "Dear {{ customer.name }},\n\tsee {{var.link}} {single} }}";
    let created = create(&w.agent.client, template("Link", body)).await;
    assert_eq!(created.body, body);
    assert_eq!(created.variables, ["customer.name", "var.link"]);
}

#[tokio::test]
async fn an_unknown_placeholder_is_refused_at_save_naming_the_field() {
    let w = world().await;
    let saved = w
        .agent
        .client
        .create_template(&template("Typo", "Dear {{customer.nmae}}"))
        .await;
    assert_invalid(saved, "body", &["customer.nmae"]);
    let in_subject = NewTemplate {
        subject: Some("For {{projet.name}}".into()),
        ..template("Typo", "Hello")
    };
    let saved = w.agent.client.create_template(&in_subject).await;
    assert_invalid(saved, "subject", &["projet.name"]);
    let listed = w.agent.client.list_templates(None, None).await.unwrap();
    assert!(listed.items.is_empty(), "nothing was saved");
}

#[tokio::test]
async fn a_malformed_placeholder_is_refused_at_save() {
    let w = world().await;
    for body in [
        "Hello {{customer.name",
        "Hello {{}}",
        "{{var.}}",
        "{{var.two words}}",
    ] {
        let saved = w.agent.client.create_template(&template("Bad", body)).await;
        assert_invalid(saved, "body", &[]);
    }
}

#[tokio::test]
async fn lengths_and_blank_bodies_are_refused_naming_the_field() {
    let w = world().await;
    let c = &w.agent.client;
    let long_name = template(&"n".repeat(201), "Hi");
    assert_invalid(c.create_template(&long_name).await, "name", &[]);
    let long_subject = NewTemplate {
        subject: Some("s".repeat(999)),
        ..template("Long subject", "Hi")
    };
    assert_invalid(c.create_template(&long_subject).await, "subject", &[]);
    let long_body = template("Long body", &"b".repeat(32_001));
    assert_invalid(c.create_template(&long_body).await, "body", &[]);
    assert_invalid(
        c.create_template(&template("Blank", "  \n")).await,
        "body",
        &[],
    );
    assert_invalid(c.create_template(&template(" ", "Hi")).await, "name", &[]);
    let at_limits = NewTemplate {
        subject: Some("s".repeat(998)),
        ..template(&"n".repeat(200), &"b".repeat(32_000))
    };
    c.create_template(&at_limits).await.expect("at the limits");
}

#[tokio::test]
async fn unknown_request_fields_are_refused() {
    let w = world().await;
    let body = json!({"name": "X", "body": "Hi", "colour": "red"});
    let answer = common::post(&w.agent.client, "/api/v1/templates", body).await;
    let error = common::error_of(&answer);
    assert_eq!(answer.status, 400);
    assert_eq!(error.field.as_deref(), Some("colour"));
}

#[tokio::test]
async fn a_duplicate_name_ignoring_case_is_a_conflict() {
    let w = world().await;
    create(&w.agent.client, template("Invoice sent", "Hi")).await;
    let again = w
        .agent
        .client
        .create_template(&template("  invoice SENT ", "Hello"))
        .await;
    let (status, error) = refusal(again);
    assert_eq!(status, 409);
    assert_eq!(error.code, ErrorCode::Conflict);
    assert_eq!(error.field.as_deref(), Some("name"));
}

// ---- Changing and deleting ---------------------------------------------------

#[tokio::test]
async fn put_replaces_the_template_and_keeps_its_id_and_creation_time() {
    let w = world().await;
    let c = &w.agent.client;
    let first = create(
        c,
        NewTemplate {
            channel: Some(Channel::Sms),
            subject: Some("Old".into()),
            ..template("Reminder", "Old {{var.a}}")
        },
    )
    .await;
    // Past the creation's millisecond, so that updated_at must move.
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let updated = c
        .update_template(
            first.id,
            &replacement("Visit reminder", "New {{customer.name}}"),
        )
        .await
        .unwrap();
    assert_eq!(updated.id, first.id);
    assert_eq!(updated.name, "Visit reminder");
    assert_eq!((updated.channel, updated.subject.as_deref()), (None, None));
    assert_eq!(updated.variables, ["customer.name"]);
    assert_eq!(updated.created_at, first.created_at);
    assert!(updated.updated_at > first.updated_at);
    assert_eq!(c.get_template(first.id).await.unwrap(), updated);
}

#[tokio::test]
async fn a_put_with_some_fields_changes_those_and_keeps_the_rest() {
    let w = world().await;
    let c = &w.agent.client;
    let first = create(
        c,
        NewTemplate {
            channel: Some(Channel::Sms),
            subject: Some("Visit".into()),
            ..template("Reminder", "See you {{var.day}}")
        },
    )
    .await;
    let rename = TemplateUpdate {
        name: Some("Visit reminder".into()),
        ..TemplateUpdate::default()
    };
    let renamed = c.update_template(first.id, &rename).await.unwrap();
    assert_eq!(renamed.name, "Visit reminder");
    assert_eq!(
        (
            renamed.channel,
            renamed.subject.as_deref(),
            renamed.body.as_str()
        ),
        (Some(Channel::Sms), Some("Visit"), "See you {{var.day}}")
    );
    let cleared = json!({"channel": null, "subject": null});
    let path = format!("/api/v1/templates/{}", first.id);
    let answer = request(c, Method::PUT, &path, Some(&cleared), &[]).await;
    let cleared: Template = answer.json().unwrap();
    assert_eq!((cleared.channel, cleared.subject), (None, None));
    assert_eq!(cleared.name, "Visit reminder");
}

#[tokio::test]
async fn a_rename_frees_the_old_name_and_may_not_take_anothers() {
    let w = world().await;
    let c = &w.agent.client;
    let quote = create(c, template("Quote", "Hi")).await;
    create(c, template("Invoice", "Hi")).await;
    let clash = c
        .update_template(quote.id, &replacement("INVOICE", "Hi"))
        .await;
    assert_eq!(refusal(clash).0, 409);
    c.update_template(quote.id, &replacement("Quote follow-up", "Hi"))
        .await
        .unwrap();
    create(c, template("Quote", "The old name is free again")).await;
    // Changing only the case of its own name is no clash.
    c.update_template(quote.id, &replacement("quote FOLLOW-UP", "Hi"))
        .await
        .expect("its own name");
}

#[tokio::test]
async fn an_update_with_an_unknown_placeholder_keeps_the_template_as_it_was() {
    let w = world().await;
    let c = &w.agent.client;
    let first = create(c, template("Hello", "Hi {{customer.name}}")).await;
    let bad = c
        .update_template(first.id, &replacement("Hello", "Hi {{customer}}"))
        .await;
    assert_invalid(bad, "body", &["customer"]);
    assert_eq!(c.get_template(first.id).await.unwrap(), first);
}

#[tokio::test]
async fn a_deleted_template_is_gone_and_cannot_be_sent_or_rendered() {
    let w = world().await;
    let c = &w.agent.client;
    let gone = create(c, template("Gone", "Hi {{customer.name}}")).await;
    let sent = c
        .send_message(w.conversation, &from_template(gone.id, &[]))
        .await
        .unwrap();
    c.delete_template(gone.id).await.unwrap();
    assert_eq!(refusal(c.get_template(gone.id).await).0, 404);
    assert_eq!(refusal(c.delete_template(gone.id).await).0, 404);
    let render = c.render_template(gone.id, &RenderTemplate::default()).await;
    assert_eq!(refusal(render).0, 404);
    let send = c
        .send_message(w.conversation, &from_template(gone.id, &[]))
        .await;
    assert_invalid(send, "template_id", &[&gone.id.to_string()]);
    // What was sent from it stays, with its template_id.
    let kept = c.get_message(sent.id).await.unwrap();
    assert_eq!(kept.template_id, Some(gone.id));
    create(c, template("Gone", "The name is free again")).await;
}

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

// ---- Who may ---------------------------------------------------------------

#[tokio::test]
async fn customers_and_crew_may_not_use_templates() {
    let w = world().await;
    let t = create(&w.agent.client, template("Staff only", "Hi")).await;
    let path = format!("/api/v1/templates/{}", t.id);
    let render = format!("{path}/render");
    let body = json!({"name": "Mine", "body": "Hi"});
    let calls: [(Method, &str, Option<&serde_json::Value>); 6] = [
        (Method::GET, "/api/v1/templates", None),
        (Method::POST, "/api/v1/templates", Some(&body)),
        (Method::GET, &path, None),
        (Method::PUT, &path, Some(&body)),
        (Method::DELETE, &path, None),
        (Method::POST, &render, Some(&json!({}))),
    ];
    for who in [&w.customer, &w.crew] {
        for (method, path, body) in &calls {
            let answer = request(&who.client, method.clone(), path, *body, &[]).await;
            let error = common::error_of(&answer);
            assert_eq!(answer.status, 403, "{method} {path} as {:?}", who.user.role);
            assert_eq!(error.code, ErrorCode::Forbidden);
        }
    }
    assert_eq!(w.agent.client.get_template(t.id).await.unwrap(), t);
}

#[tokio::test]
async fn a_customer_may_not_send_from_a_template() {
    let w = world().await;
    let t = create(&w.agent.client, template("T", "Hi")).await;
    let sent = w
        .customer
        .client
        .send_message(w.conversation, &from_template(t.id, &[]))
        .await;
    let (status, error) = refusal(sent);
    assert_eq!(status, 403);
    assert_eq!(error.field.as_deref(), Some("template_id"));
}

// ---- Idempotency and pages -------------------------------------------------

#[tokio::test]
async fn a_repeated_create_with_the_same_key_creates_one_template() {
    let w = world().await;
    let body = json!({"name": "Once", "body": "Hi {{customer.name}}"});
    let headers = [("idempotency-key", "tpl-1")];
    let post = |body: serde_json::Value| {
        let client = w.agent.client.clone();
        async move {
            request(
                &client,
                Method::POST,
                "/api/v1/templates",
                Some(&body),
                &headers,
            )
            .await
        }
    };
    let first = post(body.clone()).await;
    let again = post(body).await;
    assert_eq!(first.status, 201);
    assert_eq!((again.status, &again.body), (201, &first.body));
    let other = post(json!({"name": "Twice", "body": "Hi"})).await;
    assert_eq!(other.status, 409);
    let listed = w.agent.client.list_templates(None, None).await.unwrap();
    assert_eq!(listed.items.len(), 1);
}

#[tokio::test]
async fn pages_list_every_template_once_oldest_first() {
    let w = world().await;
    let mut created = Vec::new();
    for n in 0..5 {
        created.push(
            create(&w.agent.client, template(&format!("T{n}"), "Hi"))
                .await
                .id,
        );
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = w
            .agent
            .client
            .list_templates(Some(2), cursor.as_deref())
            .await
            .unwrap();
        assert!(page.items.len() <= 2);
        seen.extend(page.items.iter().map(|t| t.id));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(seen, created);
    let bad = common::get(&w.agent.client, "/api/v1/templates?cursor=nope").await;
    assert_eq!(common::error_of(&bad).field.as_deref(), Some("cursor"));
}

// ---- Demo data ---------------------------------------------------------------

#[tokio::test]
async fn the_demo_data_has_templates_and_a_message_sent_from_one() {
    let daemon = TestDaemon::start_with(tempfile::tempdir().unwrap(), |s| s.demo = true).await;
    let templates = daemon.admin.list_templates(None, None).await.unwrap().items;
    let names: Vec<&str> = templates.iter().map(|t| t.name.as_str()).collect();
    assert!(names.contains(&"Crew arrives tomorrow"), "{names:?}");
    assert!(templates.iter().any(|t| t.channel.is_some()));
    assert!(templates
        .iter()
        .any(|t| t.variables.iter().any(|v| v.starts_with("var."))));
    let conversations = daemon
        .admin
        .list_conversations(&Default::default())
        .await
        .unwrap()
        .items;
    let quote = conversations
        .iter()
        .find(|c| c.subject.as_deref() == Some("Quote for bathroom"))
        .expect("the demo's quote conversation");
    let messages = daemon
        .admin
        .list_messages(quote.id, None, None)
        .await
        .unwrap();
    let from_template = messages
        .items
        .iter()
        .find(|m| m.template_id.is_some())
        .expect("a message sent from a template");
    assert!(!from_template.body.contains("{{"), "{}", from_template.body);
}

//! Templates against the real daemon: saving (placeholders checked, names
//! unique), changing and deleting, who may use them, idempotent creation,
//! pages, and the demo data. Rendering and sending: `template_sending.rs`.

mod common;
mod templates_support;

use commcenter::wire::{Channel, ErrorCode, NewTemplate, RenderTemplate, Template, TemplateUpdate};
use common::{request, TestDaemon};
use http::Method;
use serde_json::json;
use templates_support::*;

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

//! What the template tests share: a world of staff, a customer with every
//! contact detail, crew, a project, and helpers for requests and refusals.
#![allow(dead_code)]

use std::collections::BTreeMap;

use commcenter::client::{Client, ClientError};
use commcenter::wire::{
    ErrorCode, ErrorDetail, NewMessage, NewProject, NewTemplate, NewUser, Role, Template,
    TemplateUpdate,
};
use commcenter::Id;

use crate::common::{open_conversation, Actor, TestDaemon};

pub fn template(name: &str, body: &str) -> NewTemplate {
    NewTemplate {
        name: name.into(),
        body: body.into(),
        ..NewTemplate::default()
    }
}

/// A `PUT` body with every field: the whole template is replaced.
pub fn replacement(name: &str, body: &str) -> TemplateUpdate {
    TemplateUpdate {
        name: Some(name.into()),
        channel: Some(None),
        subject: Some(None),
        body: Some(body.into()),
    }
}

pub fn vars(pairs: &[(&str, &str)]) -> Option<BTreeMap<String, String>> {
    Some(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

/// The status and error of a refused call.
pub fn refusal<T: std::fmt::Debug>(result: Result<T, ClientError>) -> (u16, ErrorDetail) {
    match result {
        Err(ClientError::Api { status, body }) => (status, body.error),
        other => panic!("expected an API error, got {other:?}"),
    }
}

/// A 422 on `field` whose message names every one of `names`.
pub fn assert_invalid<T: std::fmt::Debug>(
    result: Result<T, ClientError>,
    field: &str,
    names: &[&str],
) {
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
pub struct World {
    pub daemon: TestDaemon,
    pub agent: Actor,
    pub customer: Actor,
    pub crew: Actor,
    pub project_conversation: Id,
    pub project: Id,
    pub conversation: Id,
}

pub async fn world() -> World {
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

pub async fn create(by: &Client, new: NewTemplate) -> Template {
    by.create_template(&new).await.expect("create template")
}

pub fn from_template(id: Id, variables: &[(&str, &str)]) -> NewMessage {
    NewMessage {
        template_id: Some(id),
        variables: vars(variables),
        ..NewMessage::default()
    }
}

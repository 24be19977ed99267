//! The OpenAPI 3.1 document of the API, served at `/api/v1/openapi.json`.
//!
//! Paths come from [`ROUTES`]; each route's operation from the hand-written
//! table in [`operations`]; the schemas of bodies and parameters are derived
//! from the wire types by [`schemas`], so a field cannot drift from its schema.
//! [`files`] adjusts the routes whose bodies are not JSON.

mod files;
mod inbound;
mod operations;
mod schemas;
mod web;

use std::sync::OnceLock;

use commcenter::wire::{ClientFrame, ErrorBody, Event, LiveFrame};
use commcenter::Id;
use serde_json::{json, Map, Value};

use crate::router::{Route, ROUTES};
use operations::{operation, Op};
use schemas::Components;

/// The document, built once.
pub fn document() -> &'static str {
    static DOC: OnceLock<String> = OnceLock::new();
    DOC.get_or_init(|| serde_json::to_string(&build()).expect("the document serializes"))
}

fn build() -> Value {
    let mut components = Components::new();
    let mut paths = Map::new();
    for (method, template, route) in ROUTES {
        let entry = paths
            .entry(template.to_string())
            .or_insert_with(|| json!({}));
        entry[method.as_str().to_lowercase()] = operation_json(template, *route, &mut components);
    }
    websocket_frames(&mut components);
    let mut document = json!({
        "openapi": "3.1.0",
        "info": {
            "title": "commcenter API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The HTTP API of commcenterd. Errors are {\"error\": {\"code\", \"message\", \"field\"}}. Lists take ?limit= (1-500, default 50) and ?cursor=. Times are RFC 3339 UTC with milliseconds. Unknown JSON fields are rejected (400). A caller that may not see a resource gets 404."
        },
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } }
        },
        "security": [{ "bearer": [] }],
        "paths": paths
    });
    document["components"]["schemas"] = Value::Object(components.finish(&mut document));
    document
}

/// The WebSocket's frames, which no HTTP operation can carry: named in the
/// components so that the WebSocket route's description can point at them.
fn websocket_frames(components: &mut Components) {
    components.response::<Event>();
    components.response::<LiveFrame>();
    components.request::<ClientFrame>();
}

fn operation_json(template: &str, route: Route, components: &mut Components) -> Value {
    let op = operation(route, components);
    let error = components.response::<ErrorBody>();
    let mut out = json!({
        "summary": op.summary,
        "description": format!("Who: {}.", op.roles),
        "parameters": parameters(template, &op, components),
        "responses": responses(op.response, &error),
    });
    if matches!(route, Route::Healthz | Route::Readyz | Route::OpenApi) {
        out["security"] = json!([]);
    }
    inbound::adjust(route, &mut out);
    if route == Route::Metrics {
        let text = json!({"schema": {"type": "string"}});
        out["responses"]["200"]["content"][crate::metrics::CONTENT_TYPE] = text;
    }
    if let Some(request) = op.request {
        out["requestBody"] =
            json!({"required": true, "content": {"application/json": {"schema": request}}});
    }
    files::adjust(route, &mut out, &error);
    web::adjust(route, &mut out);
    out
}

/// The path id, the query parameters and `Idempotency-Key`.
fn parameters(template: &str, op: &Op, components: &mut Components) -> Vec<Value> {
    let mut parameters = Vec::new();
    if template.contains("{id}") {
        parameters.push(
            json!({"name": "id", "in": "path", "required": true, "schema": components.request::<Id>()}),
        );
    }
    for param in &op.query {
        parameters.push(json!({"name": param.name, "in": "query", "required": false, "description": param.description, "schema": param.schema}));
    }
    for param in &op.required_query {
        parameters.push(json!({"name": param.name, "in": "query", "required": true, "description": param.description, "schema": param.schema}));
    }
    if op.creates {
        // As `routes::idempotency::key` reads it.
        parameters.push(json!({"name": "Idempotency-Key", "in": "header", "required": false, "description": "1 to 255 visible ASCII characters; a repeat within 24 h returns the first answer, a different body with the same key is 409", "schema": {"type": "string", "pattern": "^[!-~]{1,255}$"}}));
    }
    parameters
}

/// The success answer and the error body of any other.
fn responses((status, body): (u16, Option<Value>), error: &Value) -> Map<String, Value> {
    let mut success = json!({"description": "success"});
    if let Some(body) = body {
        success["content"] = json!({"application/json": {"schema": body}});
    }
    let mut responses = Map::new();
    responses.insert(status.to_string(), success);
    responses.insert(
        "default".into(),
        json!({"description": "error", "content": {"application/json": {"schema": error}}}),
    );
    responses
}

#[cfg(test)]
mod tests {
    use commcenter::wire::{ID_PATTERN, MAX_BODY_CHARS, MAX_TOKEN_DAYS};

    use super::*;

    fn doc() -> Value {
        serde_json::from_str(document()).unwrap()
    }

    fn schema<'a>(doc: &'a Value, name: &str) -> &'a Value {
        &doc["components"]["schemas"][name]
    }

    #[test]
    fn every_route_is_in_the_document() {
        let doc = doc();
        for (method, template, _) in ROUTES {
            let op = &doc["paths"][template][method.as_str().to_lowercase()];
            assert!(
                op.is_object(),
                "{method} {template} is missing from the OpenAPI document"
            );
        }
    }

    #[test]
    fn every_referenced_schema_is_defined() {
        let text = document();
        let doc = doc();
        for part in text.split("\"$ref\":\"").skip(1) {
            let target = part.split('"').next().unwrap();
            let name = target.strip_prefix("#/components/schemas/");
            assert!(
                name.is_some_and(|name| schema(&doc, name).is_object()),
                "{target} is not defined"
            );
        }
    }

    #[test]
    fn every_json_request_body_refuses_unknown_fields() {
        let doc = doc();
        let mut bodies = 0;
        for operations in doc["paths"].as_object().unwrap().values() {
            for op in operations.as_object().unwrap().values() {
                let body = &op["requestBody"]["content"]["application/json"]["schema"]["$ref"];
                if let Some(target) = body.as_str() {
                    let name = target.rsplit('/').next().unwrap();
                    assert_eq!(schema(&doc, name)["additionalProperties"], false, "{name}");
                    bodies += 1;
                }
            }
        }
        assert!(bodies >= 10, "only {bodies} JSON request bodies");
    }

    #[test]
    fn answers_carry_every_field_with_null_where_optional() {
        let doc = doc();
        let user = schema(&doc, "User");
        let required = user["required"].as_array().unwrap();
        assert_eq!(
            required.len(),
            user["properties"].as_object().unwrap().len()
        );
        assert_eq!(
            user["properties"]["email"]["type"],
            json!(["string", "null"])
        );
    }

    #[test]
    fn patch_fields_may_be_left_out_or_null() {
        let doc = doc();
        let patch = schema(&doc, "UserPatch");
        assert!(patch.get("required").is_none(), "{patch}");
        assert_eq!(
            patch["properties"]["email"]["type"],
            json!(["string", "null"])
        );
    }

    #[test]
    fn ids_and_times_are_described_by_their_form() {
        let doc = doc();
        let get_user = &doc["paths"]["/api/v1/users/{id}"]["get"];
        assert_eq!(get_user["parameters"][0]["schema"]["pattern"], ID_PATTERN);
        let user = &schema(&doc, "User")["properties"];
        assert_eq!(user["id"]["pattern"], ID_PATTERN);
        assert_eq!(user["created_at"]["format"], "date-time");
    }

    #[test]
    fn request_limits_are_the_wire_constants() {
        let doc = doc();
        let body = &schema(&doc, "NewMessage")["properties"]["body"];
        assert_eq!(body["maxLength"], MAX_BODY_CHARS);
        let days = &schema(&doc, "NewToken")["properties"]["expires_in_days"];
        assert_eq!(
            (&days["minimum"], &days["maximum"]),
            (&json!(1), &json!(MAX_TOKEN_DAYS))
        );
    }

    #[test]
    fn websocket_frames_are_told_apart_by_their_type() {
        let doc = doc();
        let types: Vec<&Value> = schema(&doc, "ClientFrame")["oneOf"]
            .as_array()
            .unwrap()
            .iter()
            .map(|variant| &variant["properties"]["type"]["const"])
            .collect();
        assert_eq!(types, ["typing", "delivered", "read", "ping"]);
    }
}

//! The OpenAPI 3.1 document of the API, served at `/api/v1/openapi.json`.
//!
//! Paths come from [`ROUTES`]; each route's operation comes from [`operation`],
//! an exhaustive `match`, so a route cannot be added without its description.

use std::sync::OnceLock;

use serde_json::{json, Map, Value};

use crate::router::{Route, ROUTES};

/// The document, built once.
pub fn document() -> &'static str {
    static DOC: OnceLock<String> = OnceLock::new();
    DOC.get_or_init(|| serde_json::to_string(&build()).expect("the document serializes"))
}

/// How one route is described.
struct Op {
    summary: &'static str,
    /// Who may call it, for the description.
    roles: &'static str,
    /// Request body schema name, if the route takes one.
    request: Option<&'static str>,
    /// Success status and response schema (None: no body).
    response: (u16, Option<Value>),
    /// Query parameters: name, schema type, description.
    query: &'static [(&'static str, &'static str, &'static str)],
    /// Whether a creating POST (accepts `Idempotency-Key`).
    creates: bool,
}

fn schema(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn page_of(name: &str) -> Value {
    json!({
        "type": "object",
        "required": ["items", "next_cursor"],
        "properties": {
            "items": { "type": "array", "items": schema(name) },
            "next_cursor": { "type": ["string", "null"] }
        }
    })
}

const PAGING: &[(&str, &str, &str)] = &[
    ("limit", "integer", "page size, 1 to 500 (default 50)"),
    ("cursor", "string", "the next_cursor of the previous page"),
];
const CONVERSATION_FILTERS: &[(&str, &str, &str)] = &[
    ("status", "string", "open, closed or archived"),
    (
        "customer_id",
        "string",
        "only this customer's conversations",
    ),
    ("project_id", "string", "only this project's conversation"),
    (
        "assignee_id",
        "string",
        "only those assigned to this staff user",
    ),
    ("kind", "string", "customer or project"),
    (
        "channel",
        "string",
        "only those with a message on this channel",
    ),
    ("limit", "integer", "page size, 1 to 500 (default 50)"),
    ("cursor", "string", "the next_cursor of the previous page"),
];

const WS_QUERY: &[(&str, &str, &str)] = &[
    (
        "since",
        "integer",
        "resume: replay every event after this seq, then go live",
    ),
    (
        "epoch",
        "string",
        "with since: the epoch of the hello that seq came from; another gets resync_required",
    ),
    (
        "ticket",
        "string",
        "a ticket from POST /api/v1/ws/ticket, instead of the Authorization header",
    ),
];

fn op(summary: &'static str, roles: &'static str, response: (u16, Option<Value>)) -> Op {
    Op {
        summary,
        roles,
        request: None,
        response,
        query: &[],
        creates: false,
    }
}

/// The description of each route.
fn operation(route: Route) -> Op {
    use Route::*;
    let ok = |name: &str| (200, Some(schema(name)));
    let created = |name: &str| (201, Some(schema(name)));
    match route {
        Healthz => op("Liveness: 200 while the process runs", "anyone, no token", ok("Health")),
        Readyz => op("Readiness: 200 when the store answers; 503 while starting or draining", "anyone, no token", ok("Health")),
        OpenApi => op("This document", "anyone, no token", (200, Some(json!({"type": "object"})))),
        Me => op("The caller", "any token", ok("User")),
        CreateUser => Op { request: Some("NewUser"), creates: true, ..op("Create a user", "admin", created("User")) },
        ListUsers => Op {
            query: &[("role", "string", "admin, agent, crew or customer"), ("q", "string", "matches name, email or phone, ignoring case"), ("limit", "integer", "page size, 1 to 500 (default 50)"), ("cursor", "string", "the next_cursor of the previous page")],
            ..op("List users, oldest first", "staff", (200, Some(page_of("User"))))
        },
        GetUser => op("One user", "staff", ok("User")),
        PatchUser => Op { request: Some("UserPatch"), ..op("Change a user's name, email or phone (null clears)", "admin", ok("User")) },
        IssueToken => Op {
            request: Some("NewToken"),
            creates: true,
            ..op("Issue a token; the secret is in this answer only. A repeated Idempotency-Key is refused (409): secrets are not kept", "admin; agents for customer and crew users", created("IssuedToken"))
        },
        ListTokens => op("A user's tokens, without secrets", "admin; agents for customer and crew users", (200, Some(page_of("TokenInfo")))),
        RevokeToken => op("Revoke a token at once", "the token's user; admin; agents for customer and crew tokens", (204, None)),
        CreateProject => Op { request: Some("NewProject"), creates: true, ..op("Create a project and its crew conversation", "staff", created("Project")) },
        ListProjects => Op { query: PAGING, ..op("Projects, newest first", "staff all; crew assigned; customers their own", (200, Some(page_of("Project")))) },
        GetProject => op("One project", "staff; assigned crew; the customer", ok("Project")),
        PatchProject => Op { request: Some("ProjectPatch"), ..op("Change a project (crew_ids replaces the crew)", "staff", ok("Project")) },
        ListProjectMessages => Op { query: PAGING, ..op("The project conversation's messages (as the conversation's)", "staff; assigned crew", (200, Some(page_of("Message")))) },
        SendProjectMessage => Op { request: Some("NewMessage"), creates: true, ..op("Send in the project conversation", "staff; assigned crew", created("Message")) },
        CreateConversation => Op { request: Some("NewConversation"), creates: true, ..op("Open a conversation with a customer", "staff; a customer for themself", created("Conversation")) },
        ListConversations => Op { query: CONVERSATION_FILTERS, ..op("Conversations the caller takes part in, most recent activity first", "any token (filtered to what the caller may see)", (200, Some(page_of("Conversation")))) },
        GetConversation => op("One conversation, with the caller's unread_count", "participants", ok("Conversation")),
        PatchConversation => Op { request: Some("ConversationPatch"), ..op("Change status, assignee (null unassigns) or tags", "staff", ok("Conversation")) },
        ReadConversation => Op { request: Some("ReadUpTo"), ..op("Mark messages up to up_to (default: all) as read by the caller", "participants", ok("Conversation")) },
        ListMessages => Op { query: PAGING, ..op("The newest `limit` messages before the cursor, in ascending time order; next_cursor pages to older ones", "participants (staff-only notes only for staff)", (200, Some(page_of("Message")))) },
        SendMessage => Op { request: Some("NewMessage"), creates: true, ..op("Send a message, log a call, or write a staff-only note", "participants; customers in_app only; crew in_app or phone", created("Message")) },
        GetMessage => op("One message", "participants (staff-only notes only for staff)", ok("Message")),
        MessageDelivered => op("Record delivery to the caller", "participants other than the sender", ok("Receipts")),
        MessageRead => op("Record that the caller read this message and every earlier one in its conversation", "participants other than the sender", ok("Receipts")),
        MessageReceipts => op("Per-recipient receipts and the message's status", "participants", ok("Receipts")),
        WebSocket => Op {
            query: WS_QUERY,
            ..op("Upgrade to the real-time WebSocket: a hello frame, then every event the caller may see as JSON text frames {type, seq, data} (typing and presence frames without seq); client frames typing, delivered, read and ping; client frames over 64 KiB close with 1009, a client too slow to keep up is closed with 1013; a browser Origin other than the daemon's own or an allowed one is 403", "any token, as a bearer header or a ticket", (101, None))
        },
        WsTicket => Op { request: Some("NewWsTicket"), creates: true, ..op("A single-use ticket for GET /api/v1/ws?ticket=, valid 60 s (for browsers, which cannot set headers on a WebSocket). A repeated Idempotency-Key is refused (409): tickets are not kept", "any token", created("WsTicket")) },
        UploadFile => Op { creates: true, ..op("Upload one file (multipart part `file`, or the raw body with Content-Type and ?name=); the type is decided from the bytes; images get dimensions and a thumbnail, and those over 2 MiB are stored re-encoded (compressed, original_size)", "any token", created("FileMeta")) },
        UploadFiles => Op { creates: true, ..op("Upload many files (multipart parts named `files`); each file succeeds or fails on its own", "any token", ok("BatchUpload")) },
        GetFile => op("The file's bytes, streamed, with ETag, If-None-Match (304) and Range (206, 416)", "its uploader, staff, participants of a conversation with a message carrying it; 404 for anyone else", ok("FileMeta")),
        GetFileMeta => op("The file's description", "its uploader, staff, participants of a conversation with a message carrying it; 404 for anyone else", ok("FileMeta")),
        GetFileThumbnail => op("The image's thumbnail (longest side at most 320 px, JPEG or PNG); 404 for files without one (not an image, or HEIC)", "as for the file", ok("FileMeta")),
        Presence => op("Every user: whether they have a WebSocket open, and when they were last seen (now, for those online)", "staff", (200, Some(json!({"type": "array", "items": schema("Presence")})))),
    }
}

fn build() -> Value {
    let mut paths = Map::new();
    for (method, template, route) in ROUTES {
        let entry = paths
            .entry(template.to_string())
            .or_insert_with(|| json!({}));
        entry[method.as_str().to_lowercase()] = operation_json(template, *route);
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "commcenter API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The HTTP API of commcenterd. Errors are {\"error\": {\"code\", \"message\", \"field\"}}. Lists take ?limit= (1-500, default 50) and ?cursor=. Times are RFC 3339 UTC with milliseconds. Unknown JSON fields are rejected (400). A caller that may not see a resource gets 404."
        },
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
            "schemas": crate::openapi_schemas::schemas()
        },
        "security": [{ "bearer": [] }],
        "paths": paths
    })
}

fn operation_json(template: &str, route: Route) -> Value {
    let op = operation(route);
    let mut parameters: Vec<Value> = Vec::new();
    if template.contains("{id}") {
        parameters.push(
            json!({"name": "id", "in": "path", "required": true, "schema": crate::openapi_schemas::id()}),
        );
    }
    for (name, kind, description) in op.query {
        parameters.push(json!({"name": name, "in": "query", "required": false, "description": description, "schema": {"type": kind}}));
    }
    if op.creates {
        parameters.push(json!({"name": "Idempotency-Key", "in": "header", "required": false, "description": "1-255 characters; a repeat within 24 h returns the first answer, a different body with the same key is 409", "schema": {"type": "string"}}));
    }
    let (status, body) = op.response;
    let mut success = json!({"description": "success"});
    if let Some(body) = body {
        success["content"] = json!({"application/json": {"schema": body}});
    }
    let mut responses = Map::new();
    responses.insert(status.to_string(), success);
    responses.insert("default".into(), json!({"description": "error", "content": {"application/json": {"schema": schema("Error")}}}));
    let mut out = json!({
        "summary": op.summary,
        "description": format!("Who: {}.", op.roles),
        "parameters": parameters,
        "responses": responses,
    });
    if matches!(route, Route::Healthz | Route::Readyz | Route::OpenApi) {
        out["security"] = json!([]);
    }
    if let Some(request) = op.request {
        out["requestBody"] =
            json!({"required": true, "content": {"application/json": {"schema": schema(request)}}});
    }
    crate::openapi_files::adjust(route, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_in_the_document() {
        let doc: Value = serde_json::from_str(document()).unwrap();
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
        let doc: Value = serde_json::from_str(text).unwrap();
        for part in text.split("#/components/schemas/").skip(1) {
            let name = part.split('"').next().unwrap();
            assert!(
                doc["components"]["schemas"][name].is_object(),
                "schema {name} is not defined"
            );
        }
    }
}

//! JSON Schemas of the wire types (see `commcenter::wire`), for the OpenAPI
//! document. Kept beside the document; a test in `openapi` checks that every
//! referenced schema exists.

use serde_json::{json, Map, Value};

fn string() -> Value {
    json!({"type": "string"})
}
fn nullable(kind: &str) -> Value {
    json!({"type": [kind, "null"]})
}
/// What ids look like: 26 characters of Crockford base32 (a ULID). Clients
/// treat them as opaque; the pattern lets tools generate valid ones.
pub const ID_PATTERN: &str = "^[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{26}$";

pub fn id() -> Value {
    json!({"type": "string", "pattern": ID_PATTERN, "description": "opaque, time-ordered id"})
}
fn time() -> Value {
    json!({"type": "string", "format": "date-time"})
}
fn nullable_time() -> Value {
    json!({"type": ["string", "null"], "format": "date-time"})
}
fn one_of(values: &[&str]) -> Value {
    json!({"type": "string", "enum": values})
}
fn reference(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}
fn array(items: Value) -> Value {
    json!({"type": "array", "items": items})
}

/// An object schema: every listed property, `required` ones named, no others.
fn object(required: &[&str], properties: Vec<(&str, Value)>) -> Value {
    let properties: Map<String, Value> = properties
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    json!({"type": "object", "required": required, "properties": properties, "additionalProperties": false})
}

/// A response object: every property is always present.
fn record(properties: Vec<(&str, Value)>) -> Value {
    let required: Vec<&str> = properties.iter().map(|(k, _)| *k).collect();
    object(&required, properties)
}

const ROLES: &[&str] = &["admin", "agent", "crew", "customer"];
const CHANNELS: &[&str] = &["in_app", "sms", "email", "phone"];
const STATUSES: &[&str] = &["queued", "sent", "delivered", "read", "failed"];
const CONVERSATION_STATUSES: &[&str] = &["open", "closed", "archived"];

pub fn schemas() -> Value {
    let mut all = Map::new();
    for (name, schema) in users()
        .into_iter()
        .chain(projects())
        .chain(conversations())
        .chain(messages())
        .chain(realtime())
        .chain(crate::openapi_files::schemas())
    {
        all.insert(name.to_owned(), schema);
    }
    Value::Object(all)
}

fn users() -> Vec<(&'static str, Value)> {
    vec![
        ("Health", record(vec![("status", string())])),
        (
            "Error",
            record(vec![(
                "error",
                record(vec![
                    (
                        "code",
                        one_of(&[
                            "bad_request",
                            "unauthorized",
                            "forbidden",
                            "not_found",
                            "conflict",
                            "payload_too_large",
                            "unsupported_media_type",
                            "unprocessable",
                            "rate_limited",
                            "internal",
                            "unavailable",
                            "range_not_satisfiable",
                        ]),
                    ),
                    ("message", string()),
                    ("field", nullable("string")),
                ]),
            )]),
        ),
        (
            "User",
            record(vec![
                ("id", id()),
                ("name", string()),
                ("role", one_of(ROLES)),
                ("email", nullable("string")),
                ("phone", nullable("string")),
                ("created_at", time()),
                ("last_seen_at", nullable_time()),
            ]),
        ),
        (
            "NewUser",
            object(
                &["name", "role"],
                vec![
                    ("name", string()),
                    ("role", one_of(ROLES)),
                    ("email", string()),
                    ("phone", string()),
                ],
            ),
        ),
        (
            "UserPatch",
            object(
                &[],
                vec![
                    ("name", string()),
                    ("email", nullable("string")),
                    ("phone", nullable("string")),
                ],
            ),
        ),
        (
            "NewToken",
            object(
                &[],
                vec![
                    ("label", string()),
                    (
                        "expires_in_days",
                        json!({"type": "integer", "minimum": 1, "maximum": 3650}),
                    ),
                ],
            ),
        ),
        (
            "IssuedToken",
            record(vec![
                ("id", id()),
                ("token", string()),
                ("label", nullable("string")),
                ("created_at", time()),
                ("expires_at", nullable_time()),
            ]),
        ),
        (
            "TokenInfo",
            record(vec![
                ("id", id()),
                ("user_id", id()),
                ("label", nullable("string")),
                ("created_at", time()),
                ("expires_at", nullable_time()),
                ("revoked_at", nullable_time()),
            ]),
        ),
    ]
}

fn projects() -> Vec<(&'static str, Value)> {
    vec![
        (
            "Project",
            record(vec![
                ("id", id()),
                ("name", string()),
                ("customer_id", id()),
                ("address", nullable("string")),
                ("crew_ids", array(id())),
                ("status", one_of(&["active", "done"])),
                ("conversation_id", id()),
                ("created_at", time()),
            ]),
        ),
        (
            "NewProject",
            object(
                &["name", "customer_id"],
                vec![
                    ("name", string()),
                    ("customer_id", id()),
                    ("address", string()),
                    ("crew_ids", array(id())),
                ],
            ),
        ),
        (
            "ProjectPatch",
            object(
                &[],
                vec![
                    ("name", string()),
                    ("address", nullable("string")),
                    ("crew_ids", array(id())),
                    ("status", one_of(&["active", "done"])),
                ],
            ),
        ),
    ]
}

fn conversations() -> Vec<(&'static str, Value)> {
    vec![
        (
            "Conversation",
            record(vec![
                ("id", id()),
                ("kind", one_of(&["customer", "project"])),
                ("customer_id", id()),
                ("project_id", nullable("string")),
                ("subject", nullable("string")),
                ("status", one_of(CONVERSATION_STATUSES)),
                ("assignee_id", nullable("string")),
                ("tags", array(string())),
                ("created_at", time()),
                ("updated_at", time()),
                ("last_message_at", nullable_time()),
                ("last_message_preview", nullable("string")),
                ("message_count", json!({"type": "integer"})),
                (
                    "unread_count",
                    json!({"type": "integer", "description": "for the caller"}),
                ),
            ]),
        ),
        (
            "NewConversation",
            object(
                &["customer_id"],
                vec![("customer_id", id()), ("subject", string())],
            ),
        ),
        (
            "ConversationPatch",
            object(
                &[],
                vec![
                    ("status", one_of(CONVERSATION_STATUSES)),
                    ("assignee_id", nullable("string")),
                    ("tags", array(string())),
                ],
            ),
        ),
        ("ReadUpTo", object(&[], vec![("up_to", id())])),
    ]
}

fn messages() -> Vec<(&'static str, Value)> {
    let location = object(
        &["lat", "lon"],
        vec![
            (
                "lat",
                json!({"type": "number", "minimum": -90, "maximum": 90}),
            ),
            (
                "lon",
                json!({"type": "number", "minimum": -180, "maximum": 180}),
            ),
            (
                "accuracy_m",
                json!({"type": ["number", "null"], "minimum": 0}),
            ),
            ("recorded_at", nullable_time()),
        ],
    );
    vec![
        ("Location", location),
        (
            "FileMeta",
            record(vec![
                ("id", id()),
                ("name", string()),
                ("content_type", string()),
                ("size", json!({"type": "integer"})),
                ("sha256", string()),
                ("width", nullable("integer")),
                ("height", nullable("integer")),
                ("compressed", json!({"type": "boolean"})),
                ("original_size", nullable("integer")),
                ("thumbnail", json!({"type": "boolean"})),
                ("uploaded_by", id()),
                ("created_at", time()),
            ]),
        ),
        (
            "Message",
            record(vec![
                ("id", id()),
                ("conversation_id", id()),
                ("customer_id", id()),
                ("project_id", nullable("string")),
                ("sender_id", id()),
                ("direction", one_of(&["inbound", "outbound"])),
                ("channel", one_of(CHANNELS)),
                ("subject", nullable("string")),
                ("body", string()),
                ("attachments", array(reference("FileMeta"))),
                ("template_id", nullable("string")),
                (
                    "location",
                    json!({"oneOf": [reference("Location"), {"type": "null"}]}),
                ),
                ("private", json!({"type": "boolean"})),
                ("status", one_of(STATUSES)),
                ("error", nullable("string")),
                ("created_at", time()),
                ("delivered_at", nullable_time()),
                ("read_at", nullable_time()),
            ]),
        ),
        (
            "NewMessage",
            object(
                &[],
                vec![
                    ("channel", one_of(CHANNELS)),
                    ("body", json!({"type": "string", "maxLength": 32000})),
                    ("subject", json!({"type": "string", "maxLength": 998})),
                    ("attachments", array(id())),
                    ("template_id", id()),
                    (
                        "variables",
                        json!({"type": "object", "additionalProperties": {"type": "string"}}),
                    ),
                    ("location", reference("Location")),
                    ("private", json!({"type": "boolean"})),
                ],
            ),
        ),
        (
            "RecipientReceipt",
            record(vec![
                ("user_id", id()),
                ("delivered_at", nullable_time()),
                ("read_at", nullable_time()),
            ]),
        ),
        (
            "Receipts",
            record(vec![
                ("message_id", id()),
                ("status", one_of(STATUSES)),
                ("recipients", array(reference("RecipientReceipt"))),
            ]),
        ),
    ]
}

fn realtime() -> Vec<(&'static str, Value)> {
    vec![
        ("NewWsTicket", object(&[], vec![])),
        (
            "WsTicket",
            record(vec![("ticket", string()), ("expires_at", time())]),
        ),
        (
            "Presence",
            record(vec![
                ("user_id", id()),
                ("online", json!({"type": "boolean"})),
                ("last_seen_at", nullable_time()),
            ]),
        ),
    ]
}

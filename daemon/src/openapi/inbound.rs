//! The parts of the document for the inbound webhooks and media links: no
//! bearer token (their signatures authenticate them), the SMS form body,
//! and the media link's path segment and bytes.

use serde_json::{json, Value};

use crate::router::Route;

/// Adjusts an inbound webhook's generated operation; other routes are left alone.
pub fn adjust(route: Route, operation: &mut Value) {
    match route {
        Route::InboundSms => {
            operation["security"] = json!([]);
            operation["requestBody"] = sms_form();
            add_header(operation, "X-Twilio-Signature", "base64 HMAC-SHA1 of the URL and the sorted form parameters, keyed with the SMS auth token");
        }
        Route::InboundEmail => {
            operation["security"] = json!([]);
            add_header(
                operation,
                "X-Commcenter-Signature",
                "sha256=<hex HMAC-SHA256 of the raw body, keyed with the inbound email secret>",
            );
        }
        _ => {}
    }
}

fn sms_form() -> Value {
    let text = json!({"type": "string"});
    json!({
        "required": true,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "required": ["From", "MessageSid"],
                    "properties": {
                        "From": text, "To": text, "Body": text, "MessageSid": text,
                        "NumMedia": text, "MediaUrl0": text
                    },
                    "additionalProperties": {"type": "string"}
                }
            }
        }
    })
}

fn add_header(operation: &mut Value, name: &str, description: &str) {
    let header = json!({"name": name, "in": "header", "required": true, "description": description, "schema": {"type": "string"}});
    match operation["parameters"].as_array_mut() {
        Some(parameters) => parameters.push(header),
        None => operation["parameters"] = json!([header]),
    }
}

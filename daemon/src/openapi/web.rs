//! The parts of the document for the web pages and their assets: no token,
//! HTML, CSS and JavaScript instead of JSON, and the assets' `{name}` segment.

use serde_json::{json, Value};

use crate::router::Route;

/// Adjusts a page's or asset's generated operation; other routes are left alone.
pub fn adjust(route: Route, operation: &mut Value) {
    match route {
        Route::PortalPage | Route::CrewPage => {
            operation["security"] = json!([]);
            operation["responses"]["200"] = text_answer(&["text/html"]);
            conditional(operation);
        }
        Route::PageAsset => {
            operation["security"] = json!([]);
            operation["responses"]["200"] = text_answer(&["text/css", "text/javascript"]);
            conditional(operation);
            operation["parameters"] = json!([{
                "name": "name", "in": "path", "required": true,
                "description": "the asset's fingerprinted name, as the pages refer to it",
                "schema": {"type": "string", "pattern": "^[a-z]+\\.[0-9a-f]{16}\\.(css|js)$"}
            }]);
        }
        _ => {}
    }
}

fn text_answer(types: &[&str]) -> Value {
    let content: serde_json::Map<String, Value> = types
        .iter()
        .map(|t| (t.to_string(), json!({"schema": {"type": "string"}})))
        .collect();
    json!({
        "description": "the file, with ETag and the pages' Content-Security-Policy, Referrer-Policy: no-referrer and X-Content-Type-Options: nosniff",
        "content": content
    })
}

fn conditional(operation: &mut Value) {
    operation["responses"]["304"] = json!({"description": "If-None-Match names the current ETag"});
    let header = json!({"name": "If-None-Match", "in": "header", "required": false, "schema": {"type": "string"}});
    match operation["parameters"].as_array_mut() {
        Some(parameters) => parameters.push(header),
        None => operation["parameters"] = json!([header]),
    }
}

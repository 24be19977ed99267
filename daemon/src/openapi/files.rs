//! The parts of the OpenAPI document that are not JSON in, JSON out: upload
//! bodies (multipart or raw bytes) and file downloads (bytes, 206, 304, 416).

use serde_json::{json, Value};

use crate::router::Route;

/// Adjusts a file route's generated operation; other routes are left alone.
/// `error` is the schema of the error body.
pub fn adjust(route: Route, operation: &mut Value, error: &Value) {
    match route {
        Route::UploadFile => {
            operation["requestBody"] = single_upload_body();
            add_query(operation, "name", "the file name of a raw upload");
        }
        Route::UploadFiles => operation["requestBody"] = batch_upload_body(),
        Route::GetFile | Route::GetFileThumbnail => downloads(operation, error),
        _ => {}
    }
}

fn binary() -> Value {
    json!({"type": "string", "format": "binary"})
}

fn single_upload_body() -> Value {
    json!({
        "required": true,
        "description": "The file, as a multipart part named `file`, or as the raw body with its Content-Type and ?name=. The type is decided from the bytes; a declared type or name that contradicts them is 415. Larger than the limit (default 25 MiB) is 413.",
        "content": {
            "multipart/form-data": {
                "schema": {"type": "object", "required": ["file"], "properties": {"file": binary()}, "additionalProperties": false}
            },
            "*/*": {"schema": binary()}
        }
    })
}

fn batch_upload_body() -> Value {
    json!({
        "required": true,
        "description": "Any number of parts named `files`; each is checked like a single upload, and one bad file does not fail the others.",
        "content": {
            "multipart/form-data": {
                "schema": {"type": "object", "properties": {"files": {"type": "array", "items": binary()}}, "additionalProperties": false}
            }
        }
    })
}

fn add_query(operation: &mut Value, name: &str, description: &str) {
    if let Some(parameters) = operation["parameters"].as_array_mut() {
        parameters.push(json!({"name": name, "in": "query", "required": false, "description": description, "schema": {"type": "string"}}));
    }
}

/// Bytes instead of JSON, plus the conditional and range answers.
fn downloads(operation: &mut Value, error: &Value) {
    let etag =
        json!({"ETag": {"description": "\"<sha256>\" of the bytes", "schema": {"type": "string"}}});
    operation["responses"]["200"] = json!({
        "description": "the bytes; Content-Disposition inline for images, attachment otherwise; X-Content-Type-Options: nosniff; Content-Security-Policy: sandbox",
        "headers": etag,
        "content": {"*/*": {"schema": binary()}}
    });
    operation["responses"]["206"] = json!({
        "description": "the single byte range asked for with Range (with Content-Range)",
        "content": {"*/*": {"schema": binary()}}
    });
    operation["responses"]["304"] = json!({"description": "If-None-Match names the current ETag"});
    operation["responses"]["416"] = json!({
        "description": "the range lies outside the file (code range_not_satisfiable; Content-Range: bytes */size)",
        "content": {"application/json": {"schema": error}}
    });
    if let Some(parameters) = operation["parameters"].as_array_mut() {
        for header in ["Range", "If-Range", "If-None-Match"] {
            parameters.push(json!({"name": header, "in": "header", "required": false, "schema": {"type": "string"}}));
        }
    }
}

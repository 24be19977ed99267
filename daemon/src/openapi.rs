//! The OpenAPI document.
pub fn document() -> &'static str {
    "{}"
}

//! The document's component schemas, derived from the wire types
//! (`commcenter::wire`, which derive `schemars::JsonSchema` beside serde).
//!
//! A type can read differently in the two directions: serde requires an
//! `Option` field when it reads a body only if the field has no default, but
//! always writes it unless `skip_serializing_if` says otherwise. So requests
//! are described as the daemon deserializes them and responses as it
//! serializes them, by two generators. Where one name would get two different
//! schemas (`Location`: optional `accuracy_m` in, always present out), the
//! request's is renamed `<Name>Input`.

use std::collections::{BTreeMap, BTreeSet};

use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, SchemaGenerator};
use serde_json::{Map, Value};

/// Where every named schema lives in the document.
const SCHEMAS: &str = "#/components/schemas/";
/// Where the request generator points its references until [`Components::finish`]
/// moves its schemas beside the others; no reference to it is left after.
const REQUEST_SCHEMAS: &str = "#/components/x-request-schemas/";
/// The suffix of a request schema whose name is taken by a different response one.
const INPUT_SUFFIX: &str = "Input";

/// Collects the schemas that operations refer to.
pub struct Components {
    requests: SchemaGenerator,
    responses: SchemaGenerator,
}

impl Components {
    pub fn new() -> Self {
        let settings = |path: &str| {
            SchemaSettings::draft2020_12().with(|s| {
                s.definitions_path = path.trim_start_matches('#').to_owned().into();
                s.meta_schema = None;
            })
        };
        Components {
            requests: settings(REQUEST_SCHEMAS).for_deserialize().into_generator(),
            responses: settings(SCHEMAS).for_serialize().into_generator(),
        }
    }

    /// The schema of what the daemon reads as a `T` (a body or a parameter).
    pub fn request<T: JsonSchema>(&mut self) -> Value {
        self.requests.subschema_for::<T>().to_value()
    }

    /// The schema of what the daemon writes as a `T`.
    pub fn response<T: JsonSchema>(&mut self) -> Value {
        self.responses.subschema_for::<T>().to_value()
    }

    /// Every named schema referred to so far, keyed by name; rewrites the
    /// request references in `document` (and in the schemas) to their final
    /// names.
    pub fn finish(mut self, document: &mut Value) -> Map<String, Value> {
        let mut schemas = self.responses.take_definitions(true);
        let requests = self.requests.take_definitions(true);
        let renamed = clashing_names(&requests, &schemas);
        let final_name = |name: &str| match renamed.contains(name) {
            true => format!("{name}{INPUT_SUFFIX}"),
            false => name.to_owned(),
        };
        for (name, mut schema) in requests {
            rewrite_request_refs(&mut schema, &final_name);
            schemas.entry(final_name(&name)).or_insert(schema);
        }
        rewrite_request_refs(document, &final_name);
        schemas
    }
}

/// The request schemas that must not share a name with the response schema
/// of that name: those that differ from it, and those that refer to one that
/// must be renamed (their references will differ once it is).
fn clashing_names(
    requests: &Map<String, Value>,
    responses: &Map<String, Value>,
) -> BTreeSet<String> {
    let mut clashing: BTreeSet<String> = requests
        .iter()
        .filter(|(name, schema)| {
            let mut as_response = (*schema).clone();
            rewrite_request_refs(&mut as_response, &|n| n.to_owned());
            responses.get(*name).is_some_and(|r| *r != as_response)
        })
        .map(|(name, _)| name.clone())
        .collect();
    let referrers: BTreeMap<&String, BTreeSet<String>> = requests
        .iter()
        .map(|(name, schema)| (name, request_refs(schema)))
        .collect();
    loop {
        let more: Vec<String> = referrers
            .iter()
            .filter(|(name, refs)| {
                !clashing.contains(name.as_str())
                    && responses.contains_key(name.as_str())
                    && refs.iter().any(|r| clashing.contains(r))
            })
            .map(|(name, _)| (*name).clone())
            .collect();
        if more.is_empty() {
            return clashing;
        }
        clashing.extend(more);
    }
}

/// The names of the request schemas `schema` refers to.
fn request_refs(schema: &Value) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    visit_refs(&mut schema.clone(), &mut |r| {
        if let Some(name) = r.strip_prefix(REQUEST_SCHEMAS) {
            names.insert(name.to_owned());
        }
    });
    names
}

/// Points every request reference in `value` at `SCHEMAS` under its final name.
fn rewrite_request_refs(value: &mut Value, final_name: &dyn Fn(&str) -> String) {
    visit_refs(value, &mut |r| {
        if let Some(name) = r.strip_prefix(REQUEST_SCHEMAS) {
            *r = format!("{SCHEMAS}{}", final_name(name));
        }
    });
}

/// Calls `f` on the target of every `$ref` in `value`, at any depth.
fn visit_refs(value: &mut Value, f: &mut dyn FnMut(&mut String)) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map.iter_mut() {
                match inner {
                    Value::String(target) if key == "$ref" => f(target),
                    _ => visit_refs(inner, f),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|inner| visit_refs(inner, f)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use commcenter::wire::{Location, Message, NewMessage, NewUser, User};
    use serde_json::json;

    use super::*;

    #[test]
    fn a_type_read_and_written_alike_has_one_schema() {
        let mut c = Components::new();
        let mut document = json!([c.request::<NewUser>(), c.response::<User>()]);
        let schemas = c.finish(&mut document);
        let role = json!({"$ref": "#/components/schemas/Role"});
        assert_eq!(schemas["NewUser"]["properties"]["role"], role);
        assert_eq!(schemas["User"]["properties"]["role"], role);
        assert!(!schemas.contains_key("RoleInput"));
    }

    #[test]
    fn a_type_read_otherwise_than_written_gets_an_input_schema() {
        let mut c = Components::new();
        let mut document = json!({"in": c.request::<NewMessage>(), "out": c.response::<Message>()});
        let schemas = c.finish(&mut document);
        assert_eq!(document["in"]["$ref"], "#/components/schemas/NewMessage");
        let location_in = schemas["NewMessage"]["properties"]["location"].to_string();
        assert!(
            location_in.contains("#/components/schemas/LocationInput"),
            "{location_in}"
        );
        let required = |name: &str| schemas[name]["required"].clone();
        assert_eq!(required("LocationInput"), json!(["lat", "lon"]));
        assert_eq!(
            required("Location"),
            json!(["lat", "lon", "accuracy_m", "recorded_at"])
        );
        assert!(!serde_json::to_string(&schemas)
            .unwrap()
            .contains("x-request-schemas"));
    }

    #[test]
    fn only_request_schemas_refuse_unknown_fields() {
        let mut c = Components::new();
        let mut document = json!([c.request::<Location>(), c.response::<User>()]);
        let schemas = c.finish(&mut document);
        assert_eq!(schemas["Location"]["additionalProperties"], json!(false));
        assert!(schemas["User"].get("additionalProperties").is_none());
    }
}

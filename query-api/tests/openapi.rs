//! The OpenAPI document, built from the route table without a server or broker, is complete
//! enough for an off-the-shelf tester to exercise every operation: every path parameter has a
//! schema, every JSON body and every answer names its schema, every reference resolves, the
//! sign-in callback declares its token; and the fields the dashboard pages read exist in the
//! schema of the answer they read, the vocabulary's included.

use query_api::http::openapi::{build, DASHBOARDS};
use query_api::http::routes::{Access, Answer, Verb, ROUTES};
use serde_json::Value;

fn document() -> Value {
    serde_json::to_value(build()).unwrap()
}

fn operation<'a>(doc: &'a Value, verb: Verb, path: &str) -> &'a Value {
    let verb = match verb {
        Verb::Get => "get",
        Verb::Post => "post",
    };
    &doc["paths"][path][verb]
}

/// `schema` with `$ref`s followed.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(reference) => {
            let name = reference
                .strip_prefix("#/components/schemas/")
                .unwrap_or_else(|| panic!("{reference} is not a component"));
            let target = &doc["components"]["schemas"][name];
            assert!(target.is_object(), "{reference} does not resolve");
            resolve(doc, target)
        }
        None => schema,
    }
}

/// The schema of property `name` of an object schema (through `allOf` and `oneOf`).
fn property<'a>(doc: &'a Value, schema: &'a Value, name: &str) -> Option<&'a Value> {
    let schema = resolve(doc, schema);
    if let Some(found) = schema["properties"].get(name) {
        return Some(found);
    }
    ["allOf", "oneOf"]
        .iter()
        .filter_map(|k| schema[*k].as_array())
        .flatten()
        .find_map(|part| property(doc, part, name))
}

/// An array's item schema, or the schema itself.
fn element<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    let schema = resolve(doc, schema);
    if let Some(items) = schema.get("items") {
        return element(doc, items);
    }
    schema
        .get("oneOf")
        .and_then(Value::as_array)
        .and_then(|parts| parts.iter().find(|p| p["type"] != "null"))
        .map_or(schema, |part| element(doc, part))
}

fn every_reference_resolves(doc: &Value, value: &Value) {
    match value {
        Value::Object(map) => {
            if map.contains_key("$ref") {
                resolve(doc, value);
            }
            map.values().for_each(|v| every_reference_resolves(doc, v));
        }
        Value::Array(items) => items.iter().for_each(|v| every_reference_resolves(doc, v)),
        _ => {}
    }
}

#[test]
fn every_operation_declares_its_parameters_body_and_answers_with_schemas() {
    let doc = document();
    every_reference_resolves(&doc, &doc);
    for spec in ROUTES.iter().filter(|s| !s.page) {
        let op = operation(&doc, spec.verb, spec.path);
        assert!(op.is_object(), "{spec:?} missing");
        let parameters = op["parameters"].as_array().cloned().unwrap_or_default();
        for placeholder in spec.path.split('/').filter(|s| s.starts_with('{')) {
            let name = placeholder.trim_matches(['{', '}']);
            let declared = parameters
                .iter()
                .find(|p| p["name"] == name && p["in"] == "path")
                .unwrap_or_else(|| panic!("{spec:?}: {placeholder} undeclared"));
            assert_eq!(declared["required"], true, "{spec:?}: {name}");
            let kind = declared["schema"]["type"].as_str();
            assert!(
                matches!(kind, Some("string" | "integer")),
                "{spec:?}: {name} has no schema type"
            );
        }
        for parameter in &parameters {
            assert!(
                parameter["schema"].is_object(),
                "{spec:?}: {} has no schema",
                parameter["name"]
            );
        }
        match spec.body {
            Some(_) => {
                let schema = &op["requestBody"]["content"]["application/json"]["schema"];
                assert!(schema["$ref"].is_string(), "{spec:?}: body undocumented");
                assert_eq!(op["requestBody"]["required"], true, "{spec:?}");
            }
            None => assert!(op["requestBody"].is_null(), "{spec:?} takes no body"),
        }
        let responses = op["responses"].as_object().unwrap();
        let success = match spec.answer {
            Answer::Json(status, _) | Answer::Empty(status) => status,
            Answer::Text(_) | Answer::Document => 200,
        };
        assert!(
            responses.contains_key(&success.to_string()),
            "{spec:?}: {success} undocumented"
        );
        for (status, response) in responses {
            let status: u16 = status.parse().unwrap();
            let content = response["content"].as_object();
            if status == 204 || (300..400).contains(&status) {
                assert!(content.is_none(), "{spec:?}: {status} has no body");
                continue;
            }
            let content = content.unwrap_or_else(|| panic!("{spec:?}: {status} has no content"));
            for (kind, media) in content {
                assert!(
                    media["schema"].is_object(),
                    "{spec:?}: {status} {kind} has no schema"
                );
            }
        }
        if spec.access == Access::Principal {
            assert!(responses.contains_key("401"), "{spec:?}");
        }
    }
}

/// The types a schema allows, alternatives (`oneOf`) included.
fn types(schema: &Value) -> Vec<&str> {
    let mut out: Vec<&str> = match &schema["oneOf"] {
        Value::Array(parts) => parts.iter().flat_map(types).collect(),
        _ => schema["type"].as_str().into_iter().collect(),
    };
    out.dedup();
    out
}

#[test]
fn the_sign_in_callback_declares_its_token_and_dashboards_their_typed_query() {
    let doc = document();
    let callback = operation(&doc, Verb::Get, "/api/v1/auth/callback");
    let token = callback["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "token")
        .expect("the callback declares token");
    assert_eq!(
        (&token["in"], &token["required"], &token["schema"]["type"]),
        (
            &Value::from("query"),
            &Value::from(true),
            &Value::from("string")
        )
    );
    for dashboard in DASHBOARDS {
        let path = format!("/api/v1/projects/{{project}}/{dashboard}");
        let op = operation(&doc, Verb::Get, &path);
        let parameters = op["parameters"].as_array().unwrap();
        for (name, kind) in [
            ("property", "integer"),
            ("from", "string"),
            ("tz", "string"),
            ("interval", "string"),
            ("class", "string"),
            ("limit", "integer"),
        ] {
            let p = parameters
                .iter()
                .find(|p| p["name"] == name)
                .unwrap_or_else(|| panic!("{dashboard}: {name}"));
            assert_eq!(p["in"], "query", "{dashboard}: {name}");
            assert_eq!(types(&p["schema"]), [kind], "{dashboard}: {name}");
        }
    }
}

#[test]
fn probes_stay_public_and_documented() {
    let doc = document();
    for path in ["/healthz", "/readyz", "/metrics"] {
        let op = operation(&doc, Verb::Get, path);
        assert!(op.is_object(), "{path}");
        assert!(op["security"].is_null(), "{path} is public");
    }
    let metrics = &operation(&doc, Verb::Get, "/metrics")["responses"]["200"]["content"];
    assert!(metrics["text/plain"].is_object());
}

/// The response schema of `GET <path>`.
fn answer<'a>(doc: &'a Value, path: &str) -> &'a Value {
    &operation(doc, Verb::Get, path)["responses"]["200"]["content"]["application/json"]["schema"]
}

/// Every `d.a.b…` chain a page reads, as its segments.
fn reads(script: &str, root: &str) -> Vec<Vec<String>> {
    let pattern = regex::Regex::new(&format!(r"\b{root}((?:\.[A-Za-z_][A-Za-z0-9_]*)+)")).unwrap();
    let mut chains: Vec<Vec<String>> = pattern
        .captures_iter(script)
        .map(|c| c[1].split('.').skip(1).map(str::to_owned).collect())
        .collect();
    chains.sort();
    chains.dedup();
    chains
}

/// Array and string methods a page calls on a field, not fields of the answer.
const METHODS: [&str; 8] = [
    "map", "filter", "find", "slice", "length", "reduce", "every", "some",
];

fn check_reads(doc: &Value, page: &str, script: &str, root: &str, schema: &Value) {
    for chain in reads(script, root) {
        let mut at = schema;
        for segment in &chain {
            if METHODS.contains(&segment.as_str()) {
                break;
            }
            at = property(doc, element(doc, at), segment).unwrap_or_else(|| {
                panic!(
                    "{page} reads {root}.{} but the answer has no {segment}",
                    chain.join(".")
                )
            });
        }
    }
}

#[test]
fn the_fields_the_pages_read_are_in_the_documented_answers() {
    let doc = document();
    let pages = [
        ("events", include_str!("../web/pages/events.js")),
        ("content", include_str!("../web/pages/content.js")),
        ("journeys", include_str!("../web/pages/journeys.js")),
        ("referrals", include_str!("../web/pages/referrals.js")),
        ("conversions", include_str!("../web/pages/conversions.js")),
        ("crawlers", include_str!("../web/pages/crawlers.js")),
    ];
    assert_eq!(pages.len(), DASHBOARDS.len());
    for (name, script) in pages {
        let schema = answer(&doc, &format!("/api/v1/projects/{{project}}/{name}"));
        assert!(schema.is_object(), "{name}");
        check_reads(&doc, name, script, "d", schema);
    }
    let vocabulary = answer(&doc, "/api/v1/vocabulary");
    let mut read = 0;
    for name in query_api::http::web::Assets::iter().filter(|n| n.ends_with(".js")) {
        let file = query_api::http::web::Assets::get(&name).unwrap();
        let script = String::from_utf8_lossy(&file.data);
        read += reads(&script, "vocabulary").len();
        check_reads(&doc, &name, &script, "vocabulary", vocabulary);
    }
    assert!(read >= 4, "the pages read the vocabulary's lists");
    let health = answer(&doc, "/api/v1/admin/health");
    check_reads(
        &doc,
        "admin_health",
        include_str!("../web/pages/admin_health.js"),
        "health",
        health,
    );
}

//! Schema-driven fuzzing of the query API from its own OpenAPI document: schemathesis (PyPI)
//! generates requests for every documented operation — valid, boundary and invalid bodies,
//! parameters and headers — as a signed-in platform admin, against the real broker and
//! ClickHouse. No answer may be a 5xx, and every error answer must be JSON with a
//! machine-readable `error` (`tests/fuzz/optiview_checks.py`).

mod common;

use std::path::Path;
use std::process::Command;

use common::{call, sign_in, start_with, user, Api};
use platform::test_support::{tool, TestDatabase, TestTopics};
use query_api::control_writer::ControlWriter;
use query_api::http::routes::Verb;
use schemas::control::Role;
use serde_json::json;

/// Examples per operation; the whole run stays within a few minutes on a small machine.
const MAX_EXAMPLES: &str = "30";

#[actix_rt::test]
#[ignore = "integration test: needs OPTIVIEW_KAFKA_BROKERS, OPTIVIEW_CLICKHOUSE_URL and OPTIVIEW_SCHEMATHESIS_BIN; infra/test runs it"]
async fn no_generated_request_gets_a_server_error_or_a_malformed_error() {
    let topics = TestTopics::create(&[("control", 1)]).await;
    let control = std::sync::Arc::new(common::writer(&topics).await);
    user(&control, "root@optiview.dev", None, true).await;
    let db = TestDatabase::migrated().await;
    let api = start_with(control.clone(), 100_000, db.client());
    let root = sign_in(&api, "root@optiview.dev").await;
    let ids = tenant(&api, &control, &root).await;
    let (cookie, csrf) = root;

    let checks = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz");
    let schema = format!("{}/api/openapi.json", api.base);
    let schemathesis = tool("OPTIVIEW_SCHEMATHESIS_BIN");
    let base = api.base.clone();
    let scratch_dir = tempfile::tempdir().unwrap();
    let scratch = scratch_dir.path().to_owned();
    // Real ids for the path parameters, so operations get past their 404 to their logic.
    let config = scratch.join("schemathesis.toml");
    std::fs::write(&config, ids).unwrap();
    let output = actix_rt::task::spawn_blocking(move || {
        Command::new(schemathesis)
            .arg("--config-file")
            .arg(&config)
            .args(["run", &schema, "--url", &base])
            .args(["--checks", "not_a_server_error,errors_are_well_formed"])
            .args(["--max-examples", MAX_EXAMPLES, "--workers", "1"])
            .args(["--phases", "examples,coverage,fuzzing"])
            // Signing out would end the session the rest of the run uses.
            .args(["--exclude-path", "/api/v1/auth/logout"])
            .args(["--exclude-path", "/api/v1/auth/logout-everywhere"])
            .args(["--header", &format!("Cookie: {cookie}")])
            .args(["--header", &format!("X-CSRF-Token: {csrf}")])
            // Deterministic: the same run every time, so a failure reproduces.
            .args(["--generation-deterministic"])
            .args(["--no-color"])
            .current_dir(&scratch)
            .env("SCHEMATHESIS_HOOKS", "optiview_checks")
            .env("PYTHONPATH", checks)
            .output()
            .expect("run schemathesis (infra/stack install provides it)")
    })
    .await
    .unwrap();
    let report = String::from_utf8_lossy(&output.stdout);
    eprintln!("{report}");
    assert!(
        output.status.success(),
        "schemathesis found failures:\n{report}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // It really tested operations: a run that found the document empty would also pass.
    assert!(
        report.contains("passed") && !report.contains("No operations"),
        "{report}"
    );
}

/// An organization with a project, its default property, a key and a token; the schemathesis
/// configuration naming them as the path parameters' values.
async fn tenant(api: &Api, control: &ControlWriter, root: &(String, String)) -> String {
    let post = |path: String, body: serde_json::Value| async move {
        post_as(api, root, &path, body).await
    };
    let org = post(
        "/api/v1/organizations".into(),
        json!({ "name": "Fuzz", "domain": "fuzz-target.com", "plan": "pro" }),
    )
    .await["organization"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let created = post(
        format!("/api/v1/organizations/{org}/projects"),
        json!({ "name": "Site", "domain": "fuzz-target.com" }),
    )
    .await;
    let project = created["project"]["id"].as_str().unwrap().to_owned();
    let property = created["property"]["id"].as_i64().unwrap();
    let key = post(format!("/api/v1/properties/{property}/keys"), json!({})).await["api_key"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Tokens belong to a member of the organization.
    user(
        control,
        "owner@fuzz-target.com",
        Some((&org, Role::Owner)),
        false,
    )
    .await;
    let owner = sign_in(api, "owner@fuzz-target.com").await;
    let token = post_as(
        api,
        &owner,
        &format!("/api/v1/organizations/{org}/tokens"),
        json!({ "name": "fuzz" }),
    )
    .await["token"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    format!(
        "[parameters]\n\"path.org\" = \"{org}\"\n\"path.project\" = \"{project}\"\n\
         \"path.property\" = {property}\n\"path.key\" = \"{key}\"\n\"path.token\" = \"{token}\"\n"
    )
}

async fn post_as(
    api: &Api,
    who: &(String, String),
    path: &str,
    body: serde_json::Value,
) -> serde_json::Value {
    let reply = call(api, who, Verb::Post, path, Some(body)).await;
    assert!(
        reply.status < 300,
        "{path}: {} {}",
        reply.status,
        reply.json
    );
    reply.json
}

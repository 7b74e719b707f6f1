//! Install verification against the real broker and engine: a property without events is not
//! installed; once an event row exists, it is, with the event's age.

mod common;

use common::{acme_with_owner, call, sign_in, start_with, user, writer};
use platform::test_support::{TestDatabase, TestTopics};
use query_api::http::routes::Verb;

#[actix_rt::test]
#[ignore = "integration test: needs OPTIVIEW_KAFKA_BROKERS and OPTIVIEW_CLICKHOUSE_URL; infra/test runs it"]
async fn the_wizard_sees_the_first_event_of_its_property() {
    let topics = TestTopics::create(&[("control", 1)]).await;
    let db = TestDatabase::migrated().await;
    let control = std::sync::Arc::new(writer(&topics).await);
    user(&control, "root@optiview.dev", None, true).await;
    let api = start_with(control.clone(), 1_000, db.client());
    let root = sign_in(&api, "root@optiview.dev").await;
    let (org_id, owner) = acme_with_owner(&api, &control, &root).await;
    let body = serde_json::json!({ "name": "Site", "domain": "acme.com" });
    let projects = format!("/api/v1/organizations/{org_id}/projects");
    let project = call(&api, &owner, Verb::Post, &projects, Some(body)).await;
    let project_id = project.json["project"]["id"].as_str().unwrap().to_owned();
    let property = project.json["property"]["id"].as_i64().unwrap();
    let install = format!("/api/v1/properties/{property}/install");

    let before = call(&api, &owner, Verb::Get, &install, None).await;
    assert_eq!(before.status, 200, "{}", before.json);
    assert_eq!(before.json["installed"], false);
    assert_eq!(
        before.json["snippets"],
        serde_json::json!([]),
        "no key, no snippet"
    );

    // The wizard offers a snippet per active key that may collect, newest first; never a secret.
    let keys = format!("/api/v1/properties/{property}/keys");
    let mut made = Vec::new();
    for name in ["first", "second", "revoked"] {
        let key = call(
            &api,
            &owner,
            Verb::Post,
            &keys,
            Some(serde_json::json!({ "name": name })),
        )
        .await;
        assert_eq!(key.status, 201, "{}", key.json);
        made.push(key.json);
    }
    let hits_only = serde_json::json!({ "name": "logs", "permissions": ["hits"] });
    call(&api, &owner, Verb::Post, &keys, Some(hits_only)).await;
    let revoked = made[2]["api_key"]["id"].as_str().unwrap();
    call(
        &api,
        &owner,
        Verb::Post,
        &format!("/api/v1/keys/{revoked}/revoke"),
        None,
    )
    .await;
    let offered = call(&api, &owner, Verb::Get, &install, None).await;
    let snippets = offered.json["snippets"].as_array().unwrap();
    let names: Vec<&str> = snippets
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["second", "first"]);
    for (snippet, key) in snippets.iter().zip([&made[1], &made[0]]) {
        assert_eq!(snippet["key_id"], key["api_key"]["id"]);
        assert_eq!(
            snippet["snippet"], key["snippet"],
            "the same tag as at creation"
        );
        assert!(!offered
            .json
            .to_string()
            .contains(key["secret"].as_str().unwrap()));
    }

    // What the processor writes for the first beacon (another property's row does not count).
    db.client()
        .query(
            "INSERT INTO events (project_id, property_id, event_id, ts, received_at, retention_days)
             VALUES (?, ?, 'e1', now64(3), now64(3) - INTERVAL 3 SECOND, 90),
                    (?, ?, 'e2', now64(3), now64(3), 90)",
        )
        .bind(&project_id)
        .bind(property)
        .bind(&project_id)
        .bind(property + 1000)
        .execute()
        .await
        .unwrap();
    let after = call(&api, &owner, Verb::Get, &install, None).await;
    assert_eq!(after.json["installed"], true, "{}", after.json);
    assert_eq!(after.json["events"], 1);
    let age = after.json["age_seconds"].as_i64().unwrap();
    assert!((3..60).contains(&age), "age {age}");
    api.handle.stop(true).await;
}

//! The dashboard's side of cookieless mode in headless Chromium (Debian's, driven by
//! playwright-core) against this API in-process on the test broker: the owner switches the
//! property on /settings, /install says the mode is on and shows the snippet carrying it,
//! /data-policy explains both modes; no console errors, at laptop and phone widths.

mod common;

use std::sync::Arc;

use common::{start_browsable, user, writer};
use platform::test_support::{TestDatabase, TestTopics};
use schemas::control::ids::new_id;
use schemas::control::{CreateApiKey, CreateOrganization, CreateProject, Permission, Plan, Role};
use serde_json::json;

#[actix_rt::test]
#[ignore = "browser test: needs Chromium and OPTIVIEW_KAFKA_BROKERS and OPTIVIEW_CLICKHOUSE_URL; infra/test runs it"]
async fn an_owner_switches_a_property_to_cookieless_and_the_pages_say_so() {
    let topics = TestTopics::create(&[("control", 1)]).await;
    let db = TestDatabase::migrated().await;
    let control = Arc::new(writer(&topics).await);
    let organization_id = new_id("org");
    let create = CreateOrganization {
        id: organization_id.clone(),
        name: "Private Co".into(),
        domain: "private-test.com".into(),
        plan: Plan::Starter,
    };
    control.submit("test", &create).await.unwrap();
    let email = "owner@private-test.com";
    user(
        &control,
        email,
        Some((&organization_id, Role::Owner)),
        false,
    )
    .await;
    let project = CreateProject {
        id: new_id("prj"),
        organization_id,
        name: "Private site".into(),
        domain: "private-test.com".into(),
    };
    let made = control.submit("test", &project).await.unwrap();
    let property = made.default_property.id;
    let key = CreateApiKey {
        id: new_id("key"),
        property_id: property,
        name: "website tag".into(),
        permissions: vec![Permission::Collect],
        secret_hash: schemas::control::ids::hash_secret("not used"),
    };
    control.submit("test", &key).await.unwrap();
    let api = start_browsable(control.clone(), db.client());

    let config = json!({
        "base": api.base,
        "outbox": api.outbox,
        "email": email,
        "domain": made.default_property.domain,
        "property": property,
    });
    let (report, status) = common::run_browser_script("cookieless_test.mjs", config).await;
    assert!(report["failure"].is_null(), "{}", report["failure"]);
    assert_eq!(report["console_errors"], json!([]), "console errors");
    assert!(status.success());

    assert_eq!(report["mode_before"], "cookies");
    assert!(!report["snippet_before"]
        .as_str()
        .unwrap()
        .contains("data-cookieless"));
    assert_eq!(report["checked_after_switch"], true);
    assert_eq!(report["mode_after"], "cookieless", "{report}");
    assert!(report["mode_text"]
        .as_str()
        .unwrap()
        .starts_with("Cookieless mode is on."));
    assert!(
        report["snippet_after"]
            .as_str()
            .unwrap()
            .contains(r#"data-cookieless="1""#),
        "{report}"
    );
    let (with_cookies, cookieless) = (
        report["policy_cookies"].as_str().unwrap(),
        report["policy_cookieless"].as_str().unwrap(),
    );
    assert!(with_cookies.starts_with("With cookies (the default)"));
    assert!(
        with_cookies.ends_with("Properties in this mode: none."),
        "{with_cookies}"
    );
    assert!(cookieless.contains("destroyed 48 hours"), "{cookieless}");
    assert!(
        cookieless.ends_with("Properties in this mode: private-test.com."),
        "the switched property is listed under cookieless: {cookieless}"
    );
    assert_eq!(
        report["phone_overflow"],
        json!([]),
        "pages wider than a phone"
    );

    assert!(control.view().view().property(property).unwrap().cookieless);
    api.handle.stop(true).await;
}

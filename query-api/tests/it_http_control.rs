//! The control plane over HTTP against the real broker: a platform admin creates organizations,
//! owners create projects (domain policy applied, duplicates refused), members only read, and
//! nobody reaches another tenant's organization — its ids answer 404 on every route.

mod common;

use std::time::Duration;

use common::{client, send, sign_in, start, Api, Reply};
use query_api::control_writer::ControlWriter;
use query_api::http::routes::{Verb, ROUTES};
use schemas::control::ids::new_id;
use schemas::control::{follow, Command, Role};
use schemas::kafka::producer_config;
use schemas::test_support::TestTopics;

async fn writer(topics: &TestTopics) -> ControlWriter {
    let (handle, _task) = follow(&topics.brokers, topics.name(0)).await.unwrap();
    handle
        .wait_caught_up(Duration::from_secs(20))
        .await
        .unwrap();
    ControlWriter::new(
        producer_config(&topics.brokers).create().unwrap(),
        topics.name(0),
        handle,
    )
}

/// A user with `email`, platform admin or member of `org` with `role`.
async fn user(writer: &ControlWriter, email: &str, membership: Option<(&str, Role)>, admin: bool) {
    let id = new_id("usr");
    let create = Command::CreateUser {
        id: id.clone(),
        email: email.into(),
        name: "Someone".into(),
    };
    writer.submit("test", &create).await.unwrap();
    if admin {
        let grant = Command::SetPlatformAdmin {
            user_id: id.clone(),
            platform_admin: true,
        };
        writer.submit("test", &grant).await.unwrap();
    }
    if let Some((org, role)) = membership {
        let member = Command::SetMembership {
            organization_id: org.into(),
            user_id: id,
            role,
            active: true,
        };
        writer.submit("test", &member).await.unwrap();
    }
}

async fn call(
    api: &Api,
    (cookie, csrf): &(String, String),
    verb: Verb,
    path: &str,
    body: Option<serde_json::Value>,
) -> Reply {
    let url = format!("{}{path}", api.base);
    let request = match verb {
        Verb::Get => client().get(url),
        Verb::Post => client()
            .post(url)
            .insert_header(("X-CSRF-Token", csrf.as_str())),
    };
    send(request.insert_header(("Cookie", cookie.as_str())), body).await
}

#[actix_rt::test]
async fn tenants_manage_their_own_organization_and_never_see_another() {
    let topics = TestTopics::create(&[("control", 1)]).await;
    // One writer, as in production: the test's own commands go through the API's writer, so the
    // API's view has applied them when they return.
    let control = std::sync::Arc::new(writer(&topics).await);
    user(&control, "root@optiview.dev", None, true).await;
    let api = start(control.clone());
    let root = sign_in(&api, "root@optiview.dev").await;

    let mut orgs = Vec::new();
    for (name, domain) in [("Acme", "acme.com"), ("Globex", "globex.com")] {
        let body = serde_json::json!({ "name": name, "domain": domain, "plan": "growth" });
        let created = call(&api, &root, Verb::Post, "/api/v1/organizations", Some(body)).await;
        assert_eq!(created.status, 201, "{}", created.json);
        orgs.push(
            created.json["organization"]["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let (acme, globex) = (orgs[0].clone(), orgs[1].clone());
    user(
        &control,
        "owner@acme.com",
        Some((&acme, Role::Owner)),
        false,
    )
    .await;
    user(
        &control,
        "member@acme.com",
        Some((&acme, Role::Member)),
        false,
    )
    .await;
    user(
        &control,
        "owner@globex.com",
        Some((&globex, Role::Owner)),
        false,
    )
    .await;
    let owner = sign_in(&api, "owner@acme.com").await;
    let member = sign_in(&api, "member@acme.com").await;

    // Only a platform admin creates organizations.
    let body = serde_json::json!({ "name": "Mine", "domain": "mine.com", "plan": "pro" });
    let refused = call(
        &api,
        &owner,
        Verb::Post,
        "/api/v1/organizations",
        Some(body),
    )
    .await;
    assert_eq!(
        (refused.status, refused.json["error"].as_str()),
        (403, Some("forbidden"))
    );

    // The owner creates a project; the domain policy stores the registrable domain.
    let projects = format!("/api/v1/organizations/{acme}/projects");
    let body = serde_json::json!({ "name": "Blog", "domain": "https://Blog.Acme.co.uk/" });
    let created = call(&api, &owner, Verb::Post, &projects, Some(body.clone())).await;
    assert_eq!(created.status, 201, "{}", created.json);
    assert_eq!(created.json["project"]["domain"], "acme.co.uk");
    assert!(
        created.json["property"]["id"].is_i64(),
        "a default property"
    );
    let duplicate = call(&api, &owner, Verb::Post, &projects, Some(body)).await;
    assert_eq!(
        (duplicate.status, duplicate.json["error"].as_str()),
        (409, Some("conflict"))
    );
    let bad = serde_json::json!({ "name": "Local", "domain": "localhost" });
    let invalid = call(&api, &owner, Verb::Post, &projects, Some(bad)).await;
    assert_eq!(invalid.status, 422, "{}", invalid.json);
    assert!(invalid.json["message"]
        .as_str()
        .unwrap()
        .starts_with("domain"));
    let unknown_field = serde_json::json!({ "name": "X", "domain": "x.com", "plan": "pro" });
    let rejected = call(&api, &owner, Verb::Post, &projects, Some(unknown_field)).await;
    assert_eq!(rejected.status, 400);

    // A member reads but does not create.
    let listed = call(&api, &member, Verb::Get, &projects, None).await;
    assert_eq!(listed.status, 200);
    assert_eq!(listed.json["projects"].as_array().unwrap().len(), 1);
    let body = serde_json::json!({ "name": "Shop", "domain": "shop-acme.com" });
    let not_owner = call(&api, &member, Verb::Post, &projects, Some(body)).await;
    assert_eq!(not_owner.status, 403);

    // The owner's list holds only their organization, with the plan's data policy.
    let mine = call(&api, &owner, Verb::Get, "/api/v1/organizations", None).await;
    let ids: Vec<&str> = mine.json["organizations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["organization"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [acme.as_str()]);
    let detail = call(
        &api,
        &owner,
        Verb::Get,
        &format!("/api/v1/organizations/{acme}"),
        None,
    )
    .await;
    assert_eq!(detail.json["data_policy"]["events_days"], 180);
    assert_eq!(detail.json["data_policy"]["ai_referrals_days"], 365);

    // Every organization route with the other tenant's id: 404, and nothing written.
    for spec in ROUTES.iter().filter(|r| r.path.contains("{org}")) {
        let path = spec.path.replace("{org}", &globex);
        let body = if path.ends_with("/plan") {
            serde_json::json!({ "plan": "pro" })
        } else {
            serde_json::json!({ "name": "Evil", "domain": "evil.com" })
        };
        let reply = call(&api, &owner, spec.verb, &path, Some(body)).await;
        assert_eq!(reply.status, 404, "{spec:?}: {}", reply.json);
        assert_eq!(reply.json["error"], "not_found");
    }
    let theirs = sign_in(&api, "owner@globex.com").await;
    let globex_projects = format!("/api/v1/organizations/{globex}/projects");
    let empty = call(&api, &theirs, Verb::Get, &globex_projects, None).await;
    assert_eq!(empty.json["projects"], serde_json::json!([]));

    // The platform admin changes a plan; the policy follows.
    let body = serde_json::json!({ "plan": "pro" });
    let plan = format!("/api/v1/organizations/{acme}/plan");
    assert_eq!(
        call(&api, &root, Verb::Post, &plan, Some(body.clone()))
            .await
            .status,
        200
    );
    assert_eq!(
        call(&api, &owner, Verb::Post, &plan, Some(body))
            .await
            .status,
        403
    );
    let detail = call(
        &api,
        &owner,
        Verb::Get,
        &format!("/api/v1/organizations/{acme}"),
        None,
    )
    .await;
    assert_eq!(detail.json["data_policy"]["events_days"], 365);
    api.handle.stop(true).await;
}

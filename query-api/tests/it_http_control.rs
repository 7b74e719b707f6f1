//! The control plane over HTTP against the real broker: a platform admin creates organizations,
//! owners create projects (domain policy applied, duplicates refused), members only read, and
//! nobody reaches another tenant's organization — its ids answer 404 on every route (the
//! platform-admin routes answer every non-admin 403, whatever the id).

mod common;

use common::{call, sign_in, start, user, writer, Reply};
use platform::test_support::TestTopics;
use query_api::http::routes::{Verb, ROUTES};
use schemas::control::Role;

#[actix_rt::test]
#[ignore = "integration test: needs OPTIVIEW_KAFKA_BROKERS; infra/test runs it"]
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
    for (email, org, role) in [
        ("owner@acme.com", &acme, Role::Owner),
        ("member@acme.com", &acme, Role::Member),
        ("owner@globex.com", &globex, Role::Owner),
    ] {
        user(&control, email, Some((org, role)), false).await;
    }
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

    // The owner adds a property and a key; members see the key without secret or hash.
    let acme_project = created.json["project"]["id"].as_str().unwrap().to_owned();
    let props = format!("/api/v1/projects/{acme_project}/properties");
    let body = serde_json::json!({ "domain": "api.acme.co.uk", "kind": "api" });
    let property = call(&api, &owner, Verb::Post, &props, Some(body)).await;
    assert_eq!(property.status, 201, "{}", property.json);
    let property_id = property.json["property"]["id"].as_i64().unwrap();
    let keys = format!("/api/v1/properties/{property_id}/keys");
    let key = call(
        &api,
        &owner,
        Verb::Post,
        &keys,
        Some(serde_json::json!({ "name": "edge" })),
    )
    .await;
    assert_eq!(key.status, 201, "{}", key.json);
    let secret = key.json["secret"].as_str().unwrap().to_owned();
    assert!(key.json["snippet"]
        .as_str()
        .unwrap()
        .contains("data-key-id"));
    let listed = call(&api, &member, Verb::Get, &keys, None).await;
    let text = listed.json.to_string();
    assert_eq!(listed.json["api_keys"].as_array().unwrap().len(), 1);
    assert!(
        !text.contains(&secret) && !text.contains("secret"),
        "{text}"
    );
    let denied = call(
        &api,
        &member,
        Verb::Post,
        &keys,
        Some(serde_json::json!({})),
    )
    .await;
    assert_eq!(denied.status, 403, "members do not create keys");
    let key_id = key.json["api_key"]["id"].as_str().unwrap().to_owned();
    let revoke = format!("/api/v1/keys/{key_id}/revoke");
    assert_eq!(
        call(&api, &member, Verb::Post, &revoke, None).await.status,
        403
    );
    let revoked = call(&api, &owner, Verb::Post, &revoke, None).await;
    assert_eq!(revoked.status, 200, "{}", revoked.json);
    assert_eq!(revoked.json["api_key"]["revoked"], true);
    assert!(control.view().view().api_key(&key_id).unwrap().revoked);

    // AI sources: the four defaults until an admin chooses; only catalog names.
    let sources = format!("/api/v1/projects/{acme_project}/ai-sources");
    let enabled = |reply: &Reply| -> Vec<String> {
        reply.json["ai_sources"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["enabled"] == true)
            .map(|s| s["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let defaults = call(&api, &member, Verb::Get, &sources, None).await;
    assert_eq!(
        enabled(&defaults),
        ["ChatGPT", "Claude", "Gemini", "Perplexity"]
    );
    let choice = serde_json::json!({ "enabled": ["copilot", "ChatGPT"] });
    assert_eq!(
        call(&api, &member, Verb::Post, &sources, Some(choice.clone()))
            .await
            .status,
        403
    );
    let chosen = call(&api, &owner, Verb::Post, &sources, Some(choice)).await;
    assert_eq!(enabled(&chosen), ["ChatGPT", "Copilot"]);
    let unknown = serde_json::json!({ "enabled": ["Skynet"] });
    let refused = call(&api, &owner, Verb::Post, &sources, Some(unknown)).await;
    assert_eq!(refused.status, 400);
    let now = call(&api, &member, Verb::Get, &sources, None).await;
    assert_eq!(
        enabled(&now),
        ["ChatGPT", "Copilot"],
        "a refused change changes nothing"
    );

    // People: addresses on the organization's domain, unless a platform admin allows another.
    let members = format!("/api/v1/organizations/{acme}/members");
    let invite = |email: &str, role: &str, outside: bool| serde_json::json!({ "email": email, "name": "New", "role": role, "allow_outside_domain": outside });
    let added = call(
        &api,
        &owner,
        Verb::Post,
        &members,
        Some(invite("New@Eu.Acme.com", "admin", false)),
    )
    .await;
    assert_eq!(added.status, 201, "{}", added.json);
    let outsider = call(
        &api,
        &owner,
        Verb::Post,
        &members,
        Some(invite("x@gmail.com", "member", true)),
    )
    .await;
    assert_eq!(outsider.status, 422, "owners cannot lift the domain rule");
    let by_member = call(
        &api,
        &member,
        Verb::Post,
        &members,
        Some(invite("m2@acme.com", "member", false)),
    )
    .await;
    assert_eq!(by_member.status, 403);
    let allowed = call(
        &api,
        &root,
        Verb::Post,
        &members,
        Some(invite("consultant@agency.io", "member", true)),
    )
    .await;
    assert_eq!(allowed.status, 201, "{}", allowed.json);
    let listed = call(&api, &member, Verb::Get, &members, None).await;
    let mut emails: Vec<&str> = listed.json["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["email"].as_str().unwrap())
        .collect();
    emails.sort();
    assert_eq!(
        emails,
        [
            "consultant@agency.io",
            "member@acme.com",
            "new@eu.acme.com",
            "owner@acme.com"
        ]
    );

    // The other tenant's organization, project, property and key.
    let theirs = sign_in(&api, "owner@globex.com").await;
    let globex_projects = format!("/api/v1/organizations/{globex}/projects");
    let empty = call(&api, &theirs, Verb::Get, &globex_projects, None).await;
    assert_eq!(empty.json["projects"], serde_json::json!([]));
    let body = serde_json::json!({ "name": "Site", "domain": "globex.com" });
    let their_project = call(&api, &theirs, Verb::Post, &globex_projects, Some(body)).await;
    let their_project_id = their_project.json["project"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let their_property = their_project.json["property"]["id"].as_i64().unwrap();
    let their_key = call(
        &api,
        &theirs,
        Verb::Post,
        &format!("/api/v1/properties/{their_property}/keys"),
        Some(serde_json::json!({})),
    )
    .await;
    let their_key_id = their_key.json["api_key"]["id"].as_str().unwrap().to_owned();
    let their_token = call(
        &api,
        &theirs,
        Verb::Post,
        &format!("/api/v1/organizations/{globex}/tokens"),
        Some(serde_json::json!({ "name": "theirs" })),
    )
    .await;
    let their_token_id = their_token.json["token"]["id"].as_str().unwrap().to_owned();

    let their_owner_id = control
        .view()
        .view()
        .user_by_email("owner@globex.com")
        .unwrap()
        .id
        .clone();

    // Every route with the other tenant's ids: 404, and nothing written.
    for spec in ROUTES.iter().filter(|r| r.path.contains('{')) {
        let path = spec
            .path
            .replace("{org}", &globex)
            .replace("{user}", &their_owner_id)
            .replace("{project}", &their_project_id)
            .replace("{property}", &their_property.to_string())
            .replace("{key}", &their_key_id)
            .replace("{token}", &their_token_id);
        let body = if path.ends_with("/plan") {
            serde_json::json!({ "plan": "pro" })
        } else if path.ends_with("/settings") {
            serde_json::json!({ "active": false, "allow_subdomains": true, "honor_privacy_signals": true })
        } else if path.ends_with("/properties") {
            serde_json::json!({ "domain": "evil.globex.com", "kind": "app" })
        } else if path.ends_with("/platform-admin") {
            serde_json::json!({ "platform_admin": true })
        } else if path.ends_with("/role") {
            serde_json::json!({ "role": "member" })
        } else if path.ends_with("/members") {
            serde_json::json!({ "email": "evil@globex.com", "name": "Evil", "role": "owner" })
        } else if path.ends_with("/ai-sources") {
            serde_json::json!({ "enabled": ["ChatGPT"] })
        } else if path.ends_with("/keys") || path.ends_with("/tokens") {
            serde_json::json!({ "name": "evil" })
        } else {
            serde_json::json!({ "name": "Evil", "domain": "evil.com" })
        };
        let reply = call(&api, &owner, spec.verb, &path, Some(body)).await;
        // Platform-admin routes refuse every other caller alike, whatever the id, so their 403
        // reveals nothing either.
        let expected = if spec.path.starts_with("/api/v1/admin/") {
            (403, "forbidden")
        } else {
            (404, "not_found")
        };
        assert_eq!(
            (
                reply.status,
                reply.json["error"].as_str().unwrap_or_default()
            ),
            expected,
            "{spec:?}: {}",
            reply.json
        );
    }
    {
        let view = control.view().view();
        assert!(!view.api_key(&their_key_id).unwrap().revoked);
        assert!(!view.analyst_token(&their_token_id).unwrap().revoked);
        assert!(view.property(their_property).unwrap().active);
        assert_eq!(view.projects_of(&globex).count(), 1);
        assert_eq!(view.api_keys_of(their_property).count(), 1);
        assert_eq!(view.role_of(&their_owner_id, &globex), Some(Role::Owner));
        let their_owner = view.active_user(&their_owner_id).unwrap();
        assert!(!their_owner.platform_admin);
    }

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

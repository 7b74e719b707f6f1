//! `/api/v1/admin/users` against the real broker: only platform admins reach it; an invitation
//! creates the user and e-mails a link that signs them in; the sign-in is recorded in the control
//! plane (so a fresh view from the topic has it, and the invitation stops being pending); a
//! deactivated user's sessions and analyst tokens are refused at once and no link is sent to
//! them; nobody deactivates themselves and the last platform admin stays.

mod common;

use std::time::Duration;

use common::{
    acme_with_owner, call, call_bearer, follow_link, links, sign_in, start, user, writer,
};
use platform::test_support::TestTopics;
use query_api::http::routes::{Verb, ROUTES};
use serde_json::{json, Value};

/// Ana's entry in the admin list.
async fn listed(api: &common::Api, root: &(String, String), email: &str) -> Value {
    let list = call(api, root, Verb::Get, "/api/v1/admin/users", None).await;
    assert_eq!(list.status, 200, "{}", list.json);
    list.json["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == email)
        .cloned()
        .unwrap_or_else(|| panic!("{email} not listed: {}", list.json))
}

async fn me_status(api: &common::Api, session: &(String, String)) -> u16 {
    call(api, session, Verb::Get, "/api/v1/me", None)
        .await
        .status
}

#[actix_rt::test]
#[ignore = "integration test: needs OPTIVIEW_KAFKA_BROKERS; infra/test runs it"]
async fn platform_admins_invite_and_deactivate_users_and_sign_ins_are_recorded() {
    let topics = TestTopics::create(&[("control", 1)]).await;
    let control = std::sync::Arc::new(writer(&topics).await);
    user(&control, "root@optiview.dev", None, true).await;
    let api = start(control.clone());
    let root = sign_in(&api, "root@optiview.dev").await;
    let (acme, owner) = acme_with_owner(&api, &control, &root).await;

    // Nobody but a platform admin reaches any of the admin user routes, not even an owner.
    let admin_routes: Vec<_> = ROUTES
        .iter()
        .filter(|s| !s.page && s.path.starts_with("/api/v1/admin/users"))
        .collect();
    assert_eq!(admin_routes.len(), 5);
    let root_id = control
        .view()
        .view()
        .user_by_email("root@optiview.dev")
        .unwrap()
        .id
        .clone();
    for spec in &admin_routes {
        let path = spec.path.replace("{user}", &root_id);
        let body = match spec.body {
            Some(_) if spec.path.ends_with("/platform-admin") => {
                Some(json!({ "platform_admin": false }))
            }
            Some(_) => Some(json!({ "email": "x@acme.com", "name": "X" })),
            None => None,
        };
        let refused = call(&api, &owner, spec.verb, &path, body).await;
        assert_eq!(
            (refused.status, refused.json["error"].as_str()),
            (403, Some("forbidden")),
            "{spec:?}"
        );
    }
    assert!(control.view().view().user_by_email("x@acme.com").is_none());

    // The invitation creates the user and sends the link; until it is followed, pending.
    let before = links(&api.outbox).len();
    let invited = call(
        &api,
        &root,
        Verb::Post,
        "/api/v1/admin/users",
        Some(json!({ "email": " Ana@Acme.com ", "name": "Ana" })),
    )
    .await;
    assert_eq!(invited.status, 201, "{}", invited.json);
    assert_eq!(
        (&invited.json["created"], &invited.json["link_sent"]),
        (&json!(true), &json!(true))
    );
    let ana_id = invited.json["user"]["id"].as_str().unwrap().to_owned();
    let sent = links(&api.outbox);
    assert_eq!(sent.len(), before + 1);
    let invitation = sent.last().unwrap().clone();
    let entry = listed(&api, &root, "ana@acme.com").await;
    assert_eq!(
        (
            &entry["pending"],
            &entry["last_sign_in_at"],
            &entry["active"]
        ),
        (&json!(true), &Value::Null, &json!(true))
    );
    // The owner adds her to Acme; the members list shows the invitation as still open.
    let body = json!({ "email": "ana@acme.com", "name": "Ana", "role": "member" });
    let members = format!("/api/v1/organizations/{acme}/members");
    assert_eq!(
        call(&api, &owner, Verb::Post, &members, Some(body))
            .await
            .status,
        201
    );
    let anas = |list: &Value, field: &str| {
        list["members"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["email"] == "ana@acme.com")
            .map(|m| m[field].clone())
    };
    let pending = |list: &Value| anas(list, "pending");
    let list = call(&api, &owner, Verb::Get, &members, None).await;
    assert_eq!(pending(&list.json), Some(json!(true)), "{}", list.json);

    // Following the invitation signs her in, and the sign-in reaches the control plane.
    let ana = follow_link(&api, &invitation).await;
    assert_eq!(me_status(&api, &ana).await, 200);
    let mut recorded = Value::Null;
    for _ in 0..100 {
        recorded = listed(&api, &root, "ana@acme.com").await;
        if !recorded["last_sign_in_at"].is_null() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(recorded["last_sign_in_at"].as_i64().is_some(), "{recorded}");
    assert_eq!(recorded["pending"], false);
    assert_eq!(
        recorded["organizations"],
        json!([{ "organization_id": &acme, "name": "Acme", "role": "member" }])
    );
    let list = call(&api, &owner, Verb::Get, &members, None).await;
    assert_eq!(pending(&list.json), Some(json!(false)), "{}", list.json);
    // Durable: a view rebuilt from the topic alone (another instance, the next start) has it.
    let fresh = writer(&topics).await;
    let rebuilt = fresh.view().view().user(&ana_id).unwrap().last_sign_in_at;
    assert_eq!(rebuilt, recorded["last_sign_in_at"].as_i64());

    // Her token and a second browser work until she is deactivated, then neither does, at once.
    let tokens = format!("/api/v1/organizations/{acme}/tokens");
    let made = call(
        &api,
        &ana,
        Verb::Post,
        &tokens,
        Some(json!({ "name": "notebook" })),
    )
    .await;
    assert_eq!(made.status, 201, "{}", made.json);
    let token = made.json["secret"].as_str().unwrap().to_owned();
    let projects = format!("/api/v1/organizations/{acme}/projects");
    let read = |token: String| {
        let (api, projects) = (&api, &projects);
        async move {
            call_bearer(api, &token, Verb::Get, projects, None)
                .await
                .status
        }
    };
    assert_eq!(read(token.clone()).await, 200);
    let laptop = sign_in(&api, "ana@acme.com").await;
    // A link asked for before the deactivation and not yet followed.
    let asked = common::send(
        common::client().post(format!("{}/api/v1/auth/magic-link", api.base)),
        Some(json!({ "email": "ana@acme.com" })),
    )
    .await;
    assert_eq!(asked.status, 202);
    let unfollowed = links(&api.outbox).pop().unwrap();

    let off = call(
        &api,
        &root,
        Verb::Post,
        &format!("/api/v1/admin/users/{ana_id}/deactivate"),
        None,
    )
    .await;
    assert_eq!(off.status, 200, "{}", off.json);
    assert_eq!(off.json["sessions_ended"], 2);
    assert_eq!(off.json["user"]["active"], false);
    assert_eq!(me_status(&api, &ana).await, 401);
    assert_eq!(me_status(&api, &laptop).await, 401);
    // Her organization still lists her, as deactivated.
    let list = call(&api, &owner, Verb::Get, &members, None).await;
    assert_eq!(
        anas(&list.json, "deactivated"),
        Some(json!(true)),
        "{}",
        list.json
    );
    let refused = call_bearer(&api, &token, Verb::Get, &projects, None).await;
    assert_eq!(
        (refused.status, refused.json["error"].as_str()),
        (401, Some("unauthenticated"))
    );
    // The owner's token list says why her token is refused though it was never revoked.
    let listed = call(&api, &owner, Verb::Get, &tokens, None).await;
    let hers = |listed: &Value, field: &str| {
        listed["tokens"]
            .as_array()
            .and_then(|t| t.iter().find(|t| t["name"] == "notebook"))
            .map(|t| t[field].clone())
    };
    assert_eq!(
        (
            hers(&listed.json, "revoked"),
            hers(&listed.json, "user_deactivated")
        ),
        (Some(json!(false)), Some(json!(true))),
        "{}",
        listed.json
    );
    // No new link for her, the same answer as for anyone; the one sent before no longer works.
    let count = links(&api.outbox).len();
    let asked = common::send(
        common::client().post(format!("{}/api/v1/auth/magic-link", api.base)),
        Some(json!({ "email": "ana@acme.com" })),
    )
    .await;
    assert_eq!(asked.status, 202);
    assert_eq!(
        links(&api.outbox).len(),
        count,
        "no link for a deactivated user"
    );
    let path = unfollowed.strip_prefix("http://api.test").unwrap();
    let late = common::send(common::client().get(format!("{}{path}", api.base)), None).await;
    assert_eq!(late.status, 401, "{}", late.json);
    assert!(late.headers.get("set-cookie").is_none());
    // Nor may she be invited again or made platform admin while deactivated.
    let again = call(
        &api,
        &root,
        Verb::Post,
        "/api/v1/admin/users",
        Some(json!({ "email": "ana@acme.com", "name": "Ana" })),
    )
    .await;
    assert_eq!(
        (again.status, again.json["error"].as_str()),
        (409, Some("user_deactivated"))
    );
    assert_eq!(links(&api.outbox).len(), count);

    // The rules: nobody deactivates themselves, and the last platform admin stays one.
    let own = call(
        &api,
        &root,
        Verb::Post,
        &format!("/api/v1/admin/users/{root_id}/deactivate"),
        None,
    )
    .await;
    assert_eq!(
        (own.status, own.json["error"].as_str()),
        (409, Some("own_account"))
    );
    let last = call(
        &api,
        &root,
        Verb::Post,
        &format!("/api/v1/admin/users/{root_id}/platform-admin"),
        Some(json!({ "platform_admin": false })),
    )
    .await;
    assert_eq!(
        (last.status, last.json["error"].as_str()),
        (409, Some("last_platform_admin"))
    );
    assert_eq!(me_status(&api, &root).await, 200);
    let unknown = call(
        &api,
        &root,
        Verb::Post,
        "/api/v1/admin/users/usr_AbCdEfGh12/deactivate",
        None,
    )
    .await;
    assert_eq!(
        (unknown.status, unknown.json["error"].as_str()),
        (404, Some("not_found"))
    );

    // Reactivated, she has her membership and token back. (Signing in again would be a fourth
    // link to her address within the minute, past the test server's limit of three.)
    let on = call(
        &api,
        &root,
        Verb::Post,
        &format!("/api/v1/admin/users/{ana_id}/reactivate"),
        None,
    )
    .await;
    assert_eq!(on.status, 200, "{}", on.json);
    assert_eq!(on.json["user"]["active"], true);
    assert_eq!(read(token).await, 200);
    let listed = call(&api, &owner, Verb::Get, &tokens, None).await;
    assert_eq!(hers(&listed.json, "user_deactivated"), Some(json!(false)));
    assert!(control
        .view()
        .view()
        .active_user(&ana_id)
        .is_some_and(|u| u.last_sign_in_at.is_some()));
    api.handle.stop(true).await;
}

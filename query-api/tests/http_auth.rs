//! The API server on a real listener: every route in the table is public or answers 401 without a
//! principal; magic-link sign-in, the session cookie, CSRF on cookie writes, logout, rate limits,
//! JSON errors and request ids.

mod common;

use common::{client, links, send, sign_in, start_limited, start_with_view, Api};
use platform::control_follower::ControlHandle;
use query_api::control_writer::ControlWriter;
use query_api::http::routes::{Access, Verb, ROUTES};
use schemas::control::ids::new_id;
use schemas::control::{
    ControlView, CreateOrganization, CreateUser, Plan, Role, SetMembership, SetPlatformAdmin,
};
use schemas::fixtures::submit;

/// A server over a fixed view: these tests only read the control plane, never produce.
fn start_fixed(view: ControlView) -> Api {
    start_with_view(view)
}

#[actix_rt::test]
async fn every_route_is_public_or_needs_a_principal() {
    let api = start_fixed(ControlView::new());
    for spec in ROUTES {
        let url = format!(
            "{}{}",
            api.base,
            spec.path.replace("{org}", "org_AbCdEfGh12")
        );
        let request = match spec.verb {
            Verb::Get => client().get(&url),
            Verb::Post => client().post(&url),
        };
        let reply = send(request, Some(serde_json::json!({}))).await;
        match spec.access {
            Access::Principal => {
                assert_eq!(reply.status, 401, "{spec:?} without credentials");
                assert_eq!(reply.json["error"], "unauthenticated", "{spec:?}");
            }
            Access::Public => assert_ne!(reply.status, 401, "{spec:?} is public"),
        }
        assert!(reply.headers.contains_key("x-request-id"), "{spec:?}");
    }
    let unknown = send(client().get(format!("{}/api/v1/nope", api.base)), None).await;
    assert_eq!(
        (unknown.status, unknown.json["error"].as_str()),
        (404, Some("not_found"))
    );
    api.handle.stop(true).await;
}

#[actix_rt::test]
async fn a_path_called_with_a_method_it_does_not_serve_answers_405_with_allow() {
    let api = start_fixed(ControlView::new());
    for (method, path, allow) in [
        ("DELETE", "/api/v1/me", "GET"),
        ("GET", "/api/v1/auth/logout", "POST"),
        ("PUT", "/api/v1/organizations", "GET, POST"),
        ("GET", "/api/v1/keys/key_x/revoke", "POST"),
        ("POST", "/healthz", "GET"),
    ] {
        let request = client().request(method.parse().unwrap(), format!("{}{path}", api.base));
        let reply = send(request, None).await;
        assert_eq!(reply.status, 405, "{method} {path}");
        assert_eq!(reply.json["error"], "method_not_allowed", "{method} {path}");
        assert!(reply.json["message"].is_string());
        let mut allowed: Vec<&str> = reply
            .headers
            .get("allow")
            .unwrap()
            .to_str()
            .unwrap()
            .split(", ")
            .collect();
        allowed.sort_unstable();
        assert_eq!(allowed.join(", "), allow, "{method} {path}");
    }
    let unknown = send(client().post(format!("{}/api/v1/nope", api.base)), None).await;
    assert_eq!(unknown.status, 404, "unknown paths stay 404");
    api.handle.stop(true).await;
}

#[actix_rt::test]
async fn a_path_segment_of_the_wrong_type_is_a_json_404() {
    let api = start_fixed(common::view_with_users(&["ada@acme.com"]));
    let (cookie, _) = sign_in(&api, "ada@acme.com").await;
    let reply = send(
        client()
            .get(format!("{}/api/v1/properties/0.5/keys", api.base))
            .insert_header(("Cookie", cookie.as_str())),
        None,
    )
    .await;
    assert_eq!(
        (reply.status, reply.json["error"].as_str()),
        (404, Some("not_found"))
    );
    api.handle.stop(true).await;
}

#[actix_rt::test]
async fn a_magic_link_signs_in_once_and_logout_ends_the_session() {
    let api = start_fixed(common::view_with_users(&["ada@acme.com"]));
    let ask = |email: &str| {
        send(
            client().post(format!("{}/api/v1/auth/magic-link", api.base)),
            Some(serde_json::json!({ "email": email })),
        )
    };
    // Known and unknown addresses get the same answer; only the known one gets mail.
    let known = ask("Ada@Acme.com ").await;
    let unknown = ask("eve@acme.com").await;
    assert_eq!((known.status, &known.json), (unknown.status, &unknown.json));
    assert_eq!(known.status, 202);
    let sent = links(&api.outbox);
    assert_eq!(sent.len(), 1);
    let link = sent[0].strip_prefix("http://api.test").unwrap().to_owned();

    let signed_in = send(client().get(format!("{}{link}", api.base)), None).await;
    assert_eq!(signed_in.status, 303);
    let cookie = signed_in
        .headers
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    for attribute in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/"] {
        assert!(cookie.contains(attribute), "{cookie} lacks {attribute}");
    }
    let session = cookie.split(';').next().unwrap().to_owned();
    let again = send(client().get(format!("{}{link}", api.base)), None).await;
    assert_eq!(
        (again.status, again.json["error"].as_str()),
        (401, Some("invalid_link"))
    );

    let me = send(
        client()
            .get(format!("{}/api/v1/me", api.base))
            .insert_header(("Cookie", session.as_str())),
        None,
    )
    .await;
    assert_eq!(me.status, 200);
    assert_eq!(me.json["user"]["email"], "ada@acme.com");
    let csrf = me.json["csrf_token"].as_str().unwrap().to_owned();

    // A cookie write without the CSRF token is refused and changes nothing.
    let forged = send(
        client()
            .post(format!("{}/api/v1/auth/logout", api.base))
            .insert_header(("Cookie", session.as_str())),
        None,
    )
    .await;
    assert_eq!(
        (forged.status, forged.json["error"].as_str()),
        (403, Some("forbidden"))
    );
    let still = send(
        client()
            .get(format!("{}/api/v1/me", api.base))
            .insert_header(("Cookie", session.as_str())),
        None,
    )
    .await;
    assert_eq!(still.status, 200);

    let out = send(
        client()
            .post(format!("{}/api/v1/auth/logout", api.base))
            .insert_header(("Cookie", session.as_str()))
            .insert_header(("X-CSRF-Token", csrf.as_str())),
        None,
    )
    .await;
    assert_eq!(out.status, 204);
    let gone = send(
        client()
            .get(format!("{}/api/v1/me", api.base))
            .insert_header(("Cookie", session.as_str())),
        None,
    )
    .await;
    assert_eq!(gone.status, 401);
    api.handle.stop(true).await;
}

#[actix_rt::test]
async fn sign_in_requests_are_rate_limited_and_bad_input_is_a_json_400() {
    let api = start_fixed(common::view_with_users(&["ada@acme.com"]));
    let url = format!("{}/api/v1/auth/magic-link", api.base);
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let reply = send(
            client().post(&url),
            Some(serde_json::json!({ "email": "ada@acme.com" })),
        )
        .await;
        statuses.push(reply.status);
        if reply.status == 429 {
            assert!(reply.headers.contains_key("retry-after"));
            assert_eq!(reply.json["error"], "rate_limited");
        }
    }
    // The address's limit holds back the e-mails, not the answer: see http_limits.rs.
    assert_eq!(
        statuses,
        [202, 202, 202, 202],
        "the same answer over the limit"
    );
    assert_eq!(
        links(&api.outbox).len(),
        3,
        "3 links per address per minute"
    );

    let bad = send(
        client().post(&url),
        Some(serde_json::json!({ "email": "not-an-address" })),
    )
    .await;
    assert_eq!(
        (bad.status, bad.json["error"].as_str()),
        (400, Some("invalid_request"))
    );
    let malformed = send(
        client()
            .post(&url)
            .insert_header(("Content-Type", "application/json")),
        None,
    )
    .await;
    assert_eq!(malformed.status, 400);
    assert_eq!(malformed.json["error"], "invalid_request");
    api.handle.stop(true).await;
}

#[actix_rt::test]
async fn api_calls_are_limited_per_principal_with_retry_after() {
    let producer = platform::kafka::producer_config("127.0.0.1:9")
        .create()
        .unwrap();
    let writer = ControlWriter::new(
        producer,
        "unused",
        ControlHandle::fixed(common::view_with_users(&["ada@acme.com"])),
    );
    let api = start_limited(std::sync::Arc::new(writer), 3);
    // Signing in calls /me once with the new cookie.
    let (cookie, _) = sign_in(&api, "ada@acme.com").await;
    let me = || {
        send(
            client()
                .get(format!("{}/api/v1/me", api.base))
                .insert_header(("Cookie", cookie.as_str())),
            None,
        )
    };
    assert_eq!(me().await.status, 200);
    assert_eq!(me().await.status, 200);
    let limited = me().await;
    assert_eq!(
        (limited.status, limited.json["error"].as_str()),
        (429, Some("rate_limited"))
    );
    assert!(limited.headers.contains_key("retry-after"));
    // Another principal is not held back by this one, and probes are never limited.
    let (other, _) = sign_in(&api, "ada@acme.com").await;
    let theirs = send(
        client()
            .get(format!("{}/api/v1/me", api.base))
            .insert_header(("Cookie", other.as_str())),
        None,
    )
    .await;
    assert_eq!(theirs.status, 200);
    for _ in 0..5 {
        let probe = send(client().get(format!("{}/healthz", api.base)), None).await;
        assert_eq!(probe.status, 200);
    }
    api.handle.stop(true).await;
}

#[actix_rt::test]
async fn the_openapi_document_lists_every_route_and_the_reference_page_loads_it() {
    let api = start_fixed(ControlView::new());
    let doc = send(client().get(format!("{}/api/openapi.json", api.base)), None).await;
    assert_eq!(doc.status, 200);
    assert!(doc.json["openapi"].as_str().unwrap().starts_with("3."));
    for spec in ROUTES.iter().filter(|s| !s.page) {
        let verb = match spec.verb {
            Verb::Get => "get",
            Verb::Post => "post",
        };
        let operation = &doc.json["paths"][spec.path][verb];
        assert!(operation.is_object(), "{spec:?} missing from the document");
        assert_eq!(
            operation["security"].is_array(),
            spec.access == Access::Principal,
            "{spec:?}: security stated only for routes behind auth"
        );
        let names: Vec<&str> = operation["parameters"]
            .as_array()
            .map(|ps| ps.iter().filter_map(|p| p["name"].as_str()).collect())
            .unwrap_or_default();
        for placeholder in spec.path.split('/').filter(|s| s.starts_with('{')) {
            assert!(
                names.contains(&placeholder.trim_matches(['{', '}'])),
                "{spec:?}: {placeholder} undocumented"
            );
        }
        if query_api::http::openapi::DASHBOARDS
            .iter()
            .any(|d| spec.path.ends_with(&format!("/{d}")))
        {
            for param in ["from", "to", "tz", "interval", "country", "page"] {
                assert!(names.contains(&param), "{spec:?}: {param}");
            }
        }
    }
    let documented: usize = doc.json["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|item| item.as_object().unwrap().len())
        .sum();
    assert_eq!(
        documented,
        ROUTES.iter().filter(|s| !s.page).count(),
        "nothing documented that is not routed, and no dashboard page"
    );
    let page = client()
        .get(format!("{}/api/docs", api.base))
        .send()
        .await
        .unwrap()
        .body()
        .await
        .unwrap();
    let page = String::from_utf8_lossy(&page);
    // The page loads the document from its route rather than carrying a copy.
    assert!(page.contains("api-reference") && page.contains(r#"data-url="/api/openapi.json""#));
}

/// An organization with one user per role, and a platform admin who is a member only.
fn view_with_roles() -> (ControlView, String) {
    let mut view = ControlView::new();
    let org = new_id("org");
    submit(
        &mut view,
        CreateOrganization {
            id: org.clone(),
            name: "Acme".into(),
            domain: "acme.com".into(),
            plan: Plan::Starter,
        },
    )
    .unwrap();
    for (name, role, platform_admin) in [
        ("owner", Role::Owner, false),
        ("admin", Role::Admin, false),
        ("member", Role::Member, false),
        ("root", Role::Member, true),
    ] {
        let id = new_id("usr");
        submit(
            &mut view,
            CreateUser {
                id: id.clone(),
                email: format!("{name}@acme.com"),
                name: name.into(),
            },
        )
        .unwrap();
        submit(
            &mut view,
            SetMembership {
                organization_id: org.clone(),
                user_id: id.clone(),
                role,
                active: true,
            },
        )
        .unwrap();
        if platform_admin {
            submit(
                &mut view,
                SetPlatformAdmin {
                    user_id: id,
                    platform_admin: true,
                },
            )
            .unwrap();
        }
    }
    (view, org)
}

#[actix_rt::test]
async fn me_says_what_the_user_may_do_in_each_organization_as_the_server_decides_it() {
    let (view, org) = view_with_roles();
    let api = start_fixed(view);
    // (user, configures projects: properties, keys, AI sources; creates projects)
    for (name, configure, create) in [
        ("owner", true, true),
        ("admin", true, false),
        ("member", false, false),
        ("root", true, true),
    ] {
        let (cookie, _) = sign_in(&api, &format!("{name}@acme.com")).await;
        let me = send(
            client()
                .get(format!("{}/api/v1/me", api.base))
                .insert_header(("Cookie", cookie.as_str())),
            None,
        )
        .await;
        assert_eq!(me.status, 200);
        let entry = &me.json["organizations"][0];
        assert_eq!(entry["id"], org.as_str(), "{name}");
        assert_eq!(
            (
                &entry["can_configure_projects"],
                &entry["can_create_projects"]
            ),
            (&configure.into(), &create.into()),
            "{name}"
        );
    }
    api.handle.stop(true).await;
}

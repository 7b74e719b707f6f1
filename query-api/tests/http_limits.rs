//! Limits an outsider cannot turn against the service or a user: the limiter tables stay bounded
//! whatever keys arrive, requests for someone's address never lock them out, and only owners
//! touch an organization's owners.

mod common;

use std::net::{IpAddr, Ipv6Addr};
use std::time::Duration;

use common::{call, client, links, send, sign_in, start_with_view};
use query_api::http::routes::Verb;
use query_api::http::state::{LimitSettings, Limits};
use schemas::control::ids::new_id;
use schemas::control::{ControlView, CreateOrganization, CreateUser, Plan, Role, SetMembership};
use schemas::fixtures::submit;

const KEYS: u32 = 100_000;

fn limits(per_minute: u32) -> Limits {
    Limits::new(LimitSettings {
        sign_in_per_email: per_minute,
        sign_in_per_ip: per_minute,
        api_per_ip: per_minute,
        api_per_principal: per_minute,
    })
}

fn ip(i: u32) -> Option<IpAddr> {
    Some(IpAddr::V6(Ipv6Addr::from(u128::from(i) + 1)))
}

#[test]
fn the_limiter_tables_forget_a_hundred_thousand_random_keys_once_pruned() {
    // A bucket refills in a millisecond here, so every key is forgettable right after its use.
    let limits = limits(60_000);
    for i in 0..KEYS {
        limits.api_call(ip(i), Some(format!("cookie-{i}"))).unwrap();
        limits.sign_in(ip(i)).unwrap();
        assert!(limits.may_send_link(&format!("someone-{i}@acme.com")));
    }
    let full = limits.table_sizes();
    assert!(full.api_per_principal >= KEYS as usize, "{full:?}");
    assert!(full.api_per_ip >= KEYS as usize, "{full:?}");
    assert!(full.sign_in_per_ip >= KEYS as usize, "{full:?}");
    assert!(full.links_per_email >= KEYS as usize, "{full:?}");

    std::thread::sleep(Duration::from_millis(50));
    limits.prune();
    let pruned = limits.table_sizes();
    assert!(pruned.total() < 100, "{pruned:?}");
    limits
        .api_call(ip(7), Some("cookie-7".into()))
        .expect("a forgotten key starts afresh");
}

#[test]
fn pruning_keeps_a_key_that_is_held_back() {
    let limits = limits(2);
    let busy = Some("busy".to_owned());
    limits.api_call(None, busy.clone()).unwrap();
    limits.api_call(None, busy.clone()).unwrap();
    let held = limits.api_call(None, busy.clone()).unwrap_err();
    assert_eq!(held.code, "rate_limited");
    limits.prune();
    assert_eq!(
        limits.api_call(None, busy).unwrap_err().code,
        "rate_limited",
        "a prune is no reset"
    );
    limits
        .api_call(None, Some("quiet".into()))
        .expect("another key under its limit still passes");
    assert_eq!(limits.table_sizes().api_per_principal, 2);
}

#[actix_rt::test]
async fn requests_for_an_address_over_its_limit_send_nothing_and_lock_no_one_out() {
    // The test server sends 3 links per address per minute.
    let api = start_with_view(common::view_with_users(&["ada@acme.com"]));
    let url = format!("{}/api/v1/auth/magic-link", api.base);
    let mut answers = Vec::new();
    for _ in 0..6 {
        let reply = send(
            client().post(&url),
            Some(serde_json::json!({ "email": "ada@acme.com" })),
        )
        .await;
        answers.push((reply.status, reply.json));
    }
    let unknown = send(
        client().post(&url),
        Some(serde_json::json!({ "email": "nobody@acme.com" })),
    )
    .await;
    assert!(
        answers
            .iter()
            .all(|a| *a == (unknown.status, unknown.json.clone())),
        "one answer for every request, known or not, over the limit or not: {answers:?}"
    );
    assert_eq!(unknown.status, 202);
    let sent = links(&api.outbox);
    assert_eq!(sent.len(), 3, "no link beyond the address's limit");

    // The first link, sent before the flood, still signs its owner in.
    let path = sent[0].strip_prefix("http://api.test").unwrap();
    let followed = send(client().get(format!("{}{path}", api.base)), None).await;
    assert_eq!(followed.status, 303, "{}", followed.json);
    api.handle.stop(true).await;
}

#[actix_rt::test]
async fn sign_in_requests_from_one_client_are_limited_with_a_429() {
    // The test server lets one client ask for 100 links a minute, whatever the addresses.
    let api = start_with_view(ControlView::new());
    let url = format!("{}/api/v1/auth/magic-link", api.base);
    // A link's worth refills every 0.6 s, so a slow run may pass a few more than 100.
    let mut statuses = Vec::new();
    for i in 0..150 {
        let reply = send(
            client().post(&url),
            Some(serde_json::json!({ "email": format!("guess-{i}@acme.com") })),
        )
        .await;
        statuses.push(reply.status);
        if reply.status == 429 {
            assert_eq!(reply.json["error"], "rate_limited");
            assert!(reply.headers.contains_key("retry-after"));
            break;
        }
    }
    assert!(statuses.len() > 100, "{statuses:?}");
    assert!(statuses[..100].iter().all(|s| *s == 202), "{statuses:?}");
    assert_eq!(statuses.last(), Some(&429), "{statuses:?}");
    api.handle.stop(true).await;
}

const ORG: &str = "org_AcmeAcme12";

/// Acme with one owner, one admin and one member; returns the view and the owner's id.
fn acme() -> ControlView {
    let mut view = ControlView::new();
    let org = CreateOrganization {
        id: ORG.into(),
        name: "Acme".into(),
        domain: "acme.com".into(),
        plan: Plan::Starter,
    };
    submit(&mut view, org).unwrap();
    for (email, role) in [
        ("owner@acme.com", Role::Owner),
        ("admin@acme.com", Role::Admin),
        ("member@acme.com", Role::Member),
    ] {
        let id = new_id("usr");
        let create = CreateUser {
            id: id.clone(),
            email: email.into(),
            name: "Someone".into(),
        };
        submit(&mut view, create).unwrap();
        let membership = SetMembership {
            organization_id: ORG.into(),
            user_id: id,
            role,
            active: true,
        };
        submit(&mut view, membership).unwrap();
    }
    view
}

#[actix_rt::test]
async fn an_admin_cannot_demote_an_owner_and_the_last_owner_stays() {
    // A fixed view: a write that got past the contracts would fail on the missing broker, so a
    // 403/409 here is the decision, and nothing reached the control topic.
    let view = acme();
    let id_of = |email: &str| view.user_by_email(email).unwrap().id.clone();
    let (owner_id, member_id) = (id_of("owner@acme.com"), id_of("member@acme.com"));
    let api = start_with_view(view);
    let members = format!("/api/v1/organizations/{ORG}/members");
    let invite = |email: &str, role: &str| {
        Some(serde_json::json!({ "email": email, "name": "Someone", "role": role }))
    };

    let admin = sign_in(&api, "admin@acme.com").await;
    for role in ["member", "admin"] {
        let demoted = call(
            &api,
            &admin,
            Verb::Post,
            &members,
            invite("owner@acme.com", role),
        )
        .await;
        assert_eq!(
            (demoted.status, demoted.json["error"].as_str()),
            (403, Some("owner_required")),
            "{}",
            demoted.json
        );
    }

    // The member routes hold the same rules.
    let owners_role = format!("{members}/{owner_id}/role");
    let remove_owner = format!("{members}/{owner_id}/remove");
    for (path, body) in [
        (&owners_role, Some(serde_json::json!({ "role": "member" }))),
        (&remove_owner, None),
    ] {
        let refused = call(&api, &admin, Verb::Post, path, body).await;
        assert_eq!(
            (refused.status, refused.json["error"].as_str()),
            (403, Some("owner_required")),
            "{path}: {}",
            refused.json
        );
    }
    let member = sign_in(&api, "member@acme.com").await;
    let by_member = call(
        &api,
        &member,
        Verb::Post,
        &format!("{members}/{member_id}/role"),
        Some(serde_json::json!({ "role": "admin" })),
    )
    .await;
    assert_eq!(
        by_member.status, 403,
        "a member manages no one: {}",
        by_member.json
    );

    let owner = sign_in(&api, "owner@acme.com").await;
    let last = call(&api, &owner, Verb::Post, &remove_owner, None).await;
    assert_eq!(
        (last.status, last.json["error"].as_str()),
        (409, Some("last_owner")),
        "{}",
        last.json
    );
    let stepped_down = call(
        &api,
        &owner,
        Verb::Post,
        &members,
        invite("owner@acme.com", "admin"),
    )
    .await;
    assert_eq!(
        (stepped_down.status, stepped_down.json["error"].as_str()),
        (409, Some("last_owner")),
        "{}",
        stepped_down.json
    );

    let listed = call(&api, &owner, Verb::Get, &members, None).await;
    let owners: Vec<&str> = listed.json["members"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["role"] == "owner")
        .map(|m| m["email"].as_str().unwrap())
        .collect();
    assert_eq!(owners, ["owner@acme.com"], "nothing changed");
    api.handle.stop(true).await;
}

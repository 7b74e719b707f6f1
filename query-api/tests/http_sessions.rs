//! Sessions over HTTP, no broker: the cookie's name and attributes in Secure and plain-HTTP
//! modes, its lifetime, and "sign out everywhere". That a session used all the time still ends at
//! its absolute lifetime is tested on the store with an injected clock (`auth::store`).

mod common;

use common::{client, fixed_writer, links, send, sign_in, start_browsable, start_with_view, Api};
use query_api::http::auth::principal::{INSECURE_SESSION_COOKIE, SESSION_COOKIE};
use query_api::http::auth::store::SESSION_LIFETIME_MS;

async fn me(api: &Api, cookie: &str) -> u16 {
    send(
        client()
            .get(format!("{}/api/v1/me", api.base))
            .insert_header(("Cookie", cookie)),
        None,
    )
    .await
    .status
}

/// The `Set-Cookie` of following the newest sign-in link.
async fn follow_newest_link(api: &Api, public_url: &str) -> String {
    let link = links(&api.outbox).pop().unwrap();
    let path = link.strip_prefix(public_url).unwrap().to_owned();
    let followed = send(client().get(format!("{}{path}", api.base)), None).await;
    assert_eq!(followed.status, 303, "{}", followed.json);
    followed
        .headers
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned()
}

fn attributes(set_cookie: &str) -> Vec<String> {
    set_cookie
        .split(';')
        .skip(1)
        .map(|a| a.trim().to_ascii_lowercase())
        .collect()
}

#[actix_rt::test]
async fn with_secure_cookies_the_session_is_a_host_cookie_that_lasts_at_most_thirty_days() {
    let api = start_with_view(common::view_with_users(&["ada@acme.com"]));
    let asked = send(
        client().post(format!("{}/api/v1/auth/magic-link", api.base)),
        Some(serde_json::json!({ "email": "ada@acme.com" })),
    )
    .await;
    assert_eq!(asked.status, 202);
    let set_cookie = follow_newest_link(&api, "http://api.test").await;
    assert!(
        set_cookie.starts_with(&format!("{SESSION_COOKIE}=")),
        "{set_cookie}"
    );
    assert_eq!(SESSION_COOKIE, "__Host-optiview_session");
    let attributes = attributes(&set_cookie);
    for wanted in ["secure", "path=/", "httponly", "samesite=lax"] {
        assert!(
            attributes.iter().any(|a| a == wanted),
            "{set_cookie} lacks {wanted}"
        );
    }
    assert!(
        !attributes.iter().any(|a| a.starts_with("domain")),
        "a __Host- cookie has no Domain: {set_cookie}"
    );
    // The browser forgets it at the absolute end; the server enforces that end either way.
    let max_age = format!("max-age={}", SESSION_LIFETIME_MS / 1000);
    assert!(
        attributes.contains(&max_age),
        "{set_cookie} lacks {max_age}"
    );

    let value = set_cookie.split(';').next().unwrap().to_owned();
    assert_eq!(me(&api, &value).await, 200);
    // The same value under the unprefixed name has none of the prefix's guarantees: not read.
    let unprefixed = value.replacen(SESSION_COOKIE, INSECURE_SESSION_COOKIE, 1);
    assert_eq!(me(&api, &unprefixed).await, 401);
    api.handle.stop(true).await;
}

#[actix_rt::test]
async fn over_plain_http_localhost_the_cookie_keeps_its_unprefixed_name() {
    let view = common::view_with_users(&["ada@acme.com"]);
    let api = start_browsable(
        fixed_writer(view),
        clickhouse::Client::default().with_url("http://127.0.0.1:9"),
    );
    let asked = send(
        client().post(format!("{}/api/v1/auth/magic-link", api.base)),
        Some(serde_json::json!({ "email": "ada@acme.com" })),
    )
    .await;
    assert_eq!(asked.status, 202);
    let set_cookie = follow_newest_link(&api, &api.base.clone()).await;
    assert!(
        set_cookie.starts_with(&format!("{INSECURE_SESSION_COOKIE}=")),
        "{set_cookie}"
    );
    assert!(!attributes(&set_cookie).iter().any(|a| a == "secure"));
    let value = set_cookie.split(';').next().unwrap().to_owned();
    assert_eq!(me(&api, &value).await, 200);
    api.handle.stop(true).await;
}

#[actix_rt::test]
async fn signing_out_everywhere_ends_every_session_of_the_user_and_no_one_elses() {
    let api = start_with_view(common::view_with_users(&["ada@acme.com", "bob@acme.com"]));
    let (laptop, laptop_csrf) = sign_in(&api, "ada@acme.com").await;
    let (phone, _) = sign_in(&api, "ada@acme.com").await;
    let (bob, bob_csrf) = sign_in(&api, "bob@acme.com").await;
    assert_ne!(laptop, phone);
    for cookie in [&laptop, &phone, &bob] {
        assert_eq!(me(&api, cookie).await, 200);
    }
    let url = format!("{}/api/v1/auth/logout-everywhere", api.base);

    // A cookie write: without the session's CSRF token (or with another user's) nothing ends.
    for csrf in [None, Some(bob_csrf.as_str())] {
        let mut request = client()
            .post(&url)
            .insert_header(("Cookie", laptop.as_str()));
        if let Some(csrf) = csrf {
            request = request.insert_header(("X-CSRF-Token", csrf));
        }
        let forged = send(request, None).await;
        assert_eq!(
            (forged.status, forged.json["error"].as_str()),
            (403, Some("forbidden"))
        );
    }
    assert_eq!(me(&api, &phone).await, 200);

    let out = send(
        client()
            .post(&url)
            .insert_header(("Cookie", laptop.as_str()))
            .insert_header(("X-CSRF-Token", laptop_csrf.as_str())),
        None,
    )
    .await;
    assert_eq!(out.status, 200, "{}", out.json);
    assert_eq!(out.json["sessions_ended"], 2);
    let removal = out.headers.get("set-cookie").unwrap().to_str().unwrap();
    assert!(
        removal.starts_with(&format!("{SESSION_COOKIE}=;")),
        "{removal}"
    );
    assert!(
        attributes(removal).iter().any(|a| a == "secure"),
        "{removal}"
    );

    assert_eq!(me(&api, &laptop).await, 401);
    assert_eq!(
        me(&api, &phone).await,
        401,
        "the other device is signed out too"
    );
    assert_eq!(me(&api, &bob).await, 200, "another user stays signed in");
    let again = send(
        client()
            .post(&url)
            .insert_header(("Cookie", laptop.as_str()))
            .insert_header(("X-CSRF-Token", laptop_csrf.as_str())),
        None,
    )
    .await;
    assert_eq!(again.status, 401);
    api.handle.stop(true).await;
}

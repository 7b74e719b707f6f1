//! The API server on a real listener, and an HTTP client for it, shared by the API tests.

#![allow(dead_code)]

use std::path::Path;
use std::sync::Arc;

use actix_web::web;
use metrics_exporter_prometheus::PrometheusHandle;
use query_api::control_writer::ControlWriter;
use query_api::http::auth::mail::Mailer;
use query_api::http::auth::outbox::Outbox;
use query_api::http::auth::store::AuthStore;
use query_api::http::server::serve;
use query_api::http::state::{ApiConfig, ApiState, LimitSettings, Limits};

pub struct Api {
    pub base: String,
    pub handle: actix_web::dev::ServerHandle,
    _dir: tempfile::TempDir,
    pub outbox: std::path::PathBuf,
}

/// A writer over a fixed control view (no broker), for tests that never write.
pub fn fixed_writer(view: schemas::control::ControlView) -> Arc<ControlWriter> {
    // Every sign-in records itself through the writer, off the request; with no broker that
    // write can only fail, and it holds the writer's lock until it does, so it fails fast here.
    let producer = platform::kafka::producer_config("127.0.0.1:9")
        .set("message.timeout.ms", "300")
        .create()
        .unwrap();
    Arc::new(ControlWriter::new(
        producer,
        "unused",
        platform::control_follower::ControlHandle::fixed(view),
    ))
}

/// The server over a fixed control view (no broker), for tests that never write.
pub fn start_with_view(view: schemas::control::ControlView) -> Api {
    start(fixed_writer(view))
}

/// … whose `/metrics` renders `prometheus`.
pub fn start_measured(view: schemas::control::ControlView, prometheus: PrometheusHandle) -> Api {
    start_configured(
        fixed_writer(view),
        1_000,
        unreachable_clickhouse(),
        None,
        false,
        None,
        Some(prometheus),
    )
}

fn unreachable_clickhouse() -> clickhouse::Client {
    clickhouse::Client::default().with_url("http://127.0.0.1:9")
}

/// The server over `writer`, with sign-in limited to 3 links per address per minute.
pub fn start(writer: Arc<ControlWriter>) -> Api {
    start_limited(writer, 1_000)
}

/// … and at most `per_principal` API calls per principal per minute.
pub fn start_limited(writer: Arc<ControlWriter>, per_principal: u32) -> Api {
    // Tests that read analytics pass their own database; the rest never query.
    start_with(writer, per_principal, unreachable_clickhouse())
}

pub fn start_with(
    writer: Arc<ControlWriter>,
    per_principal: u32,
    clickhouse: clickhouse::Client,
) -> Api {
    start_mailing(writer, per_principal, clickhouse, None)
}

/// … sending sign-in links with `mailer` instead of the test's outbox file.
pub fn start_mailing(
    writer: Arc<ControlWriter>,
    per_principal: u32,
    clickhouse: clickhouse::Client,
    mailer: Option<Mailer>,
) -> Api {
    start_configured(writer, per_principal, clickhouse, mailer, false, None, None)
}

/// … with the Slack webhook of /admin/health's test alert.
pub fn start_alerting(
    writer: Arc<ControlWriter>,
    clickhouse: clickhouse::Client,
    slack_webhook_url: Option<String>,
) -> Api {
    start_configured(
        writer,
        1_000,
        clickhouse,
        None,
        false,
        slack_webhook_url,
        None,
    )
}

/// The server as a browser uses it: sign-in links point at the server itself and the session
/// cookie works over plain-HTTP loopback.
pub fn start_browsable(writer: Arc<ControlWriter>, clickhouse: clickhouse::Client) -> Api {
    start_configured(writer, 10_000, clickhouse, None, true, None, None)
}

fn start_configured(
    writer: Arc<ControlWriter>,
    per_principal: u32,
    clickhouse: clickhouse::Client,
    mailer: Option<Mailer>,
    browsable: bool,
    slack_webhook_url: Option<String>,
    prometheus: Option<PrometheusHandle>,
) -> Api {
    // Internal errors are logged, not answered: show them in failing tests' output.
    let _ = tracing_subscriber::fmt().with_test_writer().try_init();
    let dir = tempfile::tempdir().unwrap();
    let outbox = dir.path().join("outbox.jsonl");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let state = ApiState {
        writer,
        clickhouse,
        auth: AuthStore::default(),
        mailer: mailer.unwrap_or_else(|| Mailer::Outbox(Outbox::new(&outbox))),
        limits: Limits::new(LimitSettings {
            sign_in_per_email: if browsable { 100 } else { 3 },
            sign_in_per_ip: 100,
            api_per_ip: 10_000,
            api_per_principal: per_principal,
        }),
        config: ApiConfig {
            public_url: if browsable {
                base.clone()
            } else {
                "http://api.test".into()
            },
            secure_cookies: !browsable,
            slack_webhook_url,
        },
        // Without a recorder of the test's own, /metrics renders an empty one: the process-wide
        // recorder belongs to the one test binary that installs it.
        prometheus: prometheus.or_else(|| {
            Some(
                platform::telemetry::prometheus_builder()
                    .unwrap()
                    .build_recorder()
                    .handle(),
            )
        }),
    };
    let server = serve(listener, web::Data::new(state)).unwrap();
    let handle = server.handle();
    actix_rt::spawn(server);
    Api {
        base,
        handle,
        _dir: dir,
        outbox,
    }
}

pub fn links(outbox: &Path) -> Vec<String> {
    std::fs::read_to_string(outbox)
        .unwrap_or_default()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["link"].as_str().unwrap().to_owned()
        })
        .collect()
}

pub struct Reply {
    pub status: u16,
    pub headers: awc::http::header::HeaderMap,
    pub json: serde_json::Value,
}

pub async fn send(request: awc::ClientRequest, json: Option<serde_json::Value>) -> Reply {
    let mut response = match json {
        Some(json) => request.send_json(&json).await.unwrap(),
        None => request.send().await.unwrap(),
    };
    let bytes = response.body().await.unwrap();
    Reply {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        json: serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
    }
}

pub fn client() -> awc::Client {
    // No redirects followed: the callback's 303 and cookie are what is tested.
    awc::Client::builder().disable_redirects().finish()
}

/// Signs `email` in through the magic link; returns (cookie header value, CSRF token).
pub async fn sign_in(api: &Api, email: &str) -> (String, String) {
    let asked = send(
        client().post(format!("{}/api/v1/auth/magic-link", api.base)),
        Some(serde_json::json!({ "email": email })),
    )
    .await;
    assert_eq!(asked.status, 202);
    let link = links(&api.outbox).pop().unwrap();
    follow_link(api, &link).await
}

/// Follows a sign-in link from the outbox; returns (cookie header value, CSRF token).
pub async fn follow_link(api: &Api, link: &str) -> (String, String) {
    let path = link.strip_prefix("http://api.test").unwrap().to_owned();
    let followed = send(client().get(format!("{}{path}", api.base)), None).await;
    assert_eq!(followed.status, 303, "{}", followed.json);
    let cookie = followed
        .headers
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap();
    let cookie = cookie.split(';').next().unwrap().to_owned();
    let me = send(
        client()
            .get(format!("{}/api/v1/me", api.base))
            .insert_header(("Cookie", cookie.as_str())),
        None,
    )
    .await;
    (cookie, me.json["csrf_token"].as_str().unwrap().to_owned())
}

// Helpers for tests against the real broker.

use platform::control_follower::follow;
use platform::kafka::producer_config;
use platform::test_support::TestTopics;
use query_api::http::routes::Verb;
use schemas::control::ids::new_id;
use schemas::control::{CreateUser, Role, SetMembership, SetPlatformAdmin};
use std::time::Duration;

pub async fn writer(topics: &TestTopics) -> ControlWriter {
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
pub async fn user(
    writer: &ControlWriter,
    email: &str,
    membership: Option<(&str, Role)>,
    admin: bool,
) {
    let id = new_id("usr");
    let create = CreateUser {
        id: id.clone(),
        email: email.into(),
        name: "Someone".into(),
    };
    writer.submit("test", &create).await.unwrap();
    if admin {
        let grant = SetPlatformAdmin {
            user_id: id.clone(),
            platform_admin: true,
        };
        writer.submit("test", &grant).await.unwrap();
    }
    if let Some((org, role)) = membership {
        let member = SetMembership {
            organization_id: org.into(),
            user_id: id,
            role,
            active: true,
        };
        writer.submit("test", &member).await.unwrap();
    }
}

/// Organization "Acme" on acme.com, created by the platform admin `root`, with
/// owner@acme.com as its owner; returns the organization's id and the owner's session.
pub async fn acme_with_owner(
    api: &Api,
    writer: &ControlWriter,
    root: &(String, String),
) -> (String, (String, String)) {
    let body = serde_json::json!({ "name": "Acme", "domain": "acme.com", "plan": "starter" });
    let org = call(api, root, Verb::Post, "/api/v1/organizations", Some(body)).await;
    let org_id = org.json["organization"]["id"].as_str().unwrap().to_owned();
    user(
        writer,
        "owner@acme.com",
        Some((&org_id, Role::Owner)),
        false,
    )
    .await;
    (org_id, sign_in(api, "owner@acme.com").await)
}

pub async fn call(
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

/// A call with an analyst token instead of a session.
pub async fn call_bearer(
    api: &Api,
    token: &str,
    verb: Verb,
    path: &str,
    body: Option<serde_json::Value>,
) -> Reply {
    let url = format!("{}{path}", api.base);
    let request = match verb {
        Verb::Get => client().get(url),
        Verb::Post => client().post(url),
    };
    send(request.bearer_auth(token), body).await
}

/// A control view holding one user per address (and nothing else), for tests without a broker.
#[allow(dead_code)]
pub fn view_with_users(emails: &[&str]) -> schemas::control::ControlView {
    let mut view = schemas::control::ControlView::new();
    for (n, email) in emails.iter().enumerate() {
        schemas::fixtures::submit(
            &mut view,
            schemas::control::CreateUser {
                id: schemas::control::ids::new_id("usr"),
                email: (*email).into(),
                name: format!("User {n}"),
            },
        )
        .unwrap();
    }
    view
}

/// Runs `browser/<script>` under node with `config` and returns the JSON report it prints last,
/// with the process's exit status; panics with its output when there is no report.
pub async fn run_browser_script(
    script: &str,
    config: serde_json::Value,
) -> (serde_json::Value, std::process::ExitStatus) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("browser")
        .join(script);
    let output = actix_rt::task::spawn_blocking(move || {
        std::process::Command::new("node")
            .arg(script)
            .arg(config.to_string())
            .output()
            .expect("run node (infra/stack install provides it)")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let report = stdout
        .lines()
        .last()
        .and_then(|l| serde_json::from_str(l).ok())
        .unwrap_or_else(|| {
            panic!(
                "no report from the browser:\n{stdout}\n{}",
                String::from_utf8_lossy(&output.stderr)
            )
        });
    (report, output.status)
}

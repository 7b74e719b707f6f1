//! The partner runbook in headless Chromium (Debian's, driven by playwright-core) against the
//! real services: the collector and the processors as their own processes on the test broker
//! and ClickHouse, this API in-process. Sign in with the magic link from the outbox → create a
//! project → its default property → an API key → /install → a page carrying the snippet → the
//! verification turns green → the pageview is on /events and in ClickHouse. A platform admin
//! invites a user from /admin/users, who signs in with the e-mailed link. Then every page
//! with an empty project and with the demo's data, at laptop and phone widths. Screenshots are
//! kept under $CARGO_TARGET_DIR/browser-artifacts (or the temp dir).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::Arc;
use std::time::Duration;

use common::{start_browsable, user, writer};
use platform::test_support::webhook::WebhookReceiver;
use platform::test_support::{free_port, random_name, TestDatabase, TestTopics};
use query_api::demo::{self, DemoArgs};
use query_api::http::openapi::DASHBOARDS;
use schemas::control::ids::new_id;
use schemas::control::{CreateOrganization, Plan, PropertyKind, Role};
use schemas::vocab::{CrawlResource, RobotsVerdict, VerificationMethod, Vocabulary};
use serde_json::json;

/// A service process, stopped when the test ends however it ends.
struct Service(Child);

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The other services' binaries sit beside this package's (infra/test builds every binary).
fn binary(name: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_BIN_EXE_query-api"))
        .parent()
        .unwrap()
        .join(name);
    assert!(
        path.exists(),
        "{} is not built: run the tests through infra/test, which builds every service",
        path.display()
    );
    path
}

fn spawn(name: &str, args: &[&str], env: &[(&str, String)], log: &Path) -> Service {
    let log = std::fs::File::create(log).unwrap();
    let child = Command::new(binary(name))
        .args(args)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .env("RUST_LOG", "warn")
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    Service(child)
}

async fn wait_ready(url: &str, what: &str, log: &Path) {
    let client = awc::Client::default();
    for _ in 0..300 {
        if let Ok(response) = client.get(url).send().await {
            if response.status().is_success() {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "{what} never became ready at {url}:\n{}",
        std::fs::read_to_string(log).unwrap_or_default()
    );
}

fn artifacts() -> PathBuf {
    let base = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    base.join("browser-artifacts").join("dashboard")
}

#[actix_rt::test]
#[ignore = "browser test: needs Chromium and OPTIVIEW_KAFKA_BROKERS and OPTIVIEW_CLICKHOUSE_URL; infra/test runs it"]
async fn a_new_partner_walks_the_runbook_and_every_page_renders() {
    let topics = TestTopics::create(&[
        ("control", 1),
        ("beacons", 2),
        ("sessions", 2),
        ("deadletter", 1),
        ("edge-stats", 1),
    ])
    .await;
    let db = TestDatabase::migrated().await;
    let clickhouse_url = std::env::var("OPTIVIEW_CLICKHOUSE_URL").expect("infra/test sets it");
    let logs = tempfile::tempdir().unwrap();

    let edge_port = free_port();
    let edge_url = format!("http://127.0.0.1:{edge_port}");
    let common_env = [
        ("OPTIVIEW_KAFKA_BROKERS", topics.brokers.clone()),
        ("OPTIVIEW_CONTROL_TOPIC", topics.name(0).to_owned()),
        ("OPTIVIEW_BEACONS_TOPIC", topics.name(1).to_owned()),
        // The collector seals hits' addresses with these keys and the loader opens them.
        (
            "OPTIVIEW_ADDRESS_KEY_DIR",
            logs.path().join("address-keys").display().to_string(),
        ),
    ];
    let edge_log = logs.path().join("edge.log");
    let mut edge_env = common_env.to_vec();
    edge_env.extend([
        ("OPTIVIEW_EDGE_LISTEN", format!("127.0.0.1:{edge_port}")),
        ("OPTIVIEW_EDGE_STATS_TOPIC", topics.name(4).to_owned()),
        ("OPTIVIEW_IP_SALT", "browser-test".to_owned()),
        // The demo replays visitors from many addresses and countries, as behind a proxy: the
        // loopback replay is that proxy.
        (
            "OPTIVIEW_TRUSTED_PROXIES",
            "127.0.0.1/32,::1/128".to_owned(),
        ),
        ("OPTIVIEW_EDGE_COUNTRY_HEADER", "CF-IPCountry".to_owned()),
    ]);
    let _edge = spawn("ingest-edge", &[], &edge_env, &edge_log);
    // The demo site's robots.txt, served as the loader fetches every property's.
    let robots_site = WebhookReceiver::start().await;
    robots_site.reply_with(demo::site::ROBOTS_TXT);
    let ops_port = free_port();
    let processor_log = logs.path().join("processor.log");
    let loader_group = random_name("browser-loader");
    let mut processor_env = common_env.to_vec();
    processor_env.extend([
        ("OPTIVIEW_SESSIONS_TOPIC", topics.name(2).to_owned()),
        ("OPTIVIEW_DEADLETTER_TOPIC", topics.name(3).to_owned()),
        ("OPTIVIEW_LOADER_GROUP", loader_group.clone()),
        ("OPTIVIEW_CLICKHOUSE_URL", clickhouse_url.clone()),
        ("OPTIVIEW_CLICKHOUSE_DATABASE", db.name.clone()),
        (
            "OPTIVIEW_PROCESSOR_OPS_ADDR",
            format!("127.0.0.1:{ops_port}"),
        ),
        ("OPTIVIEW_BATCH_MS", "300".to_owned()),
        ("OPTIVIEW_ROBOTS_URL", robots_site.url.clone()),
        // The test's robots.txt server is on loopback, which production never fetches from.
        ("OPTIVIEW_ROBOTS_ALLOW_PRIVATE_ADDRESSES", "true".to_owned()),
    ]);
    let _processor = spawn(
        "stream-processors",
        &["run"],
        &processor_env,
        &processor_log,
    );

    // The health processor, so /admin/health shows its jobs' first runs and the loader's lag.
    let health_port = free_port();
    let health_log = logs.path().join("health.log");
    let health_env = [
        ("OPTIVIEW_KAFKA_BROKERS", topics.brokers.clone()),
        ("OPTIVIEW_EDGE_STATS_TOPIC", topics.name(4).to_owned()),
        ("OPTIVIEW_DEADLETTER_TOPIC", topics.name(3).to_owned()),
        ("OPTIVIEW_HEALTH_GROUP", random_name("browser-health")),
        ("OPTIVIEW_CLICKHOUSE_URL", clickhouse_url.clone()),
        ("OPTIVIEW_CLICKHOUSE_DATABASE", db.name.clone()),
        (
            "OPTIVIEW_HEALTH_OPS_ADDR",
            format!("127.0.0.1:{health_port}"),
        ),
        ("OPTIVIEW_HEALTH_TICK_MS", "2000".to_owned()),
        (
            "OPTIVIEW_LAG_GROUPS",
            format!("{loader_group}={}", topics.name(1)),
        ),
    ];
    let _health = spawn("stream-processors", &["health"], &health_env, &health_log);

    // Snippets name the collector the browser reaches (read when a snippet is made).
    std::env::set_var("OPTIVIEW_EDGE_URL", &edge_url);
    let control = Arc::new(writer(&topics).await);
    let api = start_browsable(control.clone(), db.client());
    wait_ready(&format!("{edge_url}/readyz"), "ingest-edge", &edge_log).await;
    wait_ready(
        &format!("http://127.0.0.1:{ops_port}/readyz"),
        "stream-processors",
        &processor_log,
    )
    .await;
    wait_ready(
        &format!("http://127.0.0.1:{health_port}/readyz"),
        "stream-processors health",
        &health_log,
    )
    .await;

    // The partner: an owner of an organization that has no project yet.
    let organization_id = new_id("org");
    let create = CreateOrganization {
        id: organization_id.clone(),
        name: "Runbook Co".into(),
        domain: "optiview-test.com".into(),
        plan: Plan::Starter,
    };
    control.submit("test", &create).await.unwrap();
    user(
        &control,
        "owner@optiview-test.com",
        Some((&organization_id, Role::Owner)),
        false,
    )
    .await;

    // The demo, as `infra/stack up` loads it, but smaller.
    let site = tempfile::tempdir().unwrap();
    let made = demo::run(
        &control,
        &DemoArgs {
            clickhouse: platform::test_support::clickhouse_args(&db.name),
            edge_url: edge_url.clone(),
            email: "demo@example.com".into(),
            site_dir: site.path().to_owned(),
            sessions: 150,
            days: 3,
            seed: 7,
            force: false,
            wait_seconds: 120,
        },
    )
    .await
    .unwrap();
    let demo_project = made["project_id"].as_str().unwrap().to_owned();
    assert!(site.path().join("pricing/index.html").exists());

    // The dashboards are the API's dashboard endpoints, each with its page of the same name.
    let dashboards: Vec<String> = DASHBOARDS.iter().map(|d| format!("/{d}")).collect();
    let setup = [
        "/install",
        "/api-keys",
        "/members",
        "/tokens",
        "/account",
        "/settings",
        "/sources",
        "/projects",
        "/data-policy",
    ];
    let pages: Vec<String> = dashboards
        .iter()
        .cloned()
        .chain(setup.iter().map(|p| p.to_string()))
        .collect();
    let shots = artifacts();
    let _ = std::fs::remove_dir_all(&shots);
    let config = json!({
        "base": api.base,
        "outbox": api.outbox,
        "shots": shots,
        "partner": {
            "email": "owner@optiview-test.com",
            "domain": "optiview-test.com",
            "empty_domain": "optiview-empty-test.net",
            // The kind a new project's default property has, as the Kind column shows it.
            "default_kind": PropertyKind::Website.as_str(),
        },
        "demo": { "email": "demo@example.com", "project": demo_project },
        "pages": &pages,
        "dashboards": &dashboards,
    });
    let (report, status) = common::run_browser_script("dashboard_test.mjs", config).await;
    eprintln!("screenshots: {}", shots.display());
    assert!(report["failure"].is_null(), "{}", report["failure"]);
    assert_eq!(report["console_errors"], json!([]), "console errors");
    assert!(status.success());

    // The runbook: the widget turned green (the script waits 30 s at most) after the page loaded,
    // and the pageview is on /events and in ClickHouse, with the page's URL.
    let steps: Vec<&str> = report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        steps,
        [
            "signed in",
            "project created",
            "key created",
            "test page loaded",
            "verification green",
            "pageview on events"
        ]
    );
    assert_eq!(report["secret_shown"], true);
    // The owner made the colleague an admin; the admin's attempt to demote the owner was refused
    // with the server's words.
    assert_eq!(
        report["members"]["colleague_role"], "admin",
        "{}",
        report["members"]
    );
    let refusal = report["members"]["admin_demoting_owner"]
        .as_str()
        .unwrap_or_default();
    assert!(refusal.contains("only an owner"), "{refusal}");
    assert_eq!(report["members"]["owner_still"], "owner");
    // Invited and not yet signed in, the colleague was listed as a pending invitation.
    assert_eq!(report["members"]["colleague_pending"], 1);
    // That refusal is the one request the run expected to fail.
    assert_eq!(
        report["expected_refusals"].as_array().map(Vec::len),
        Some(1),
        "{}",
        report["expected_refusals"]
    );
    // The token worked as Bearer from outside the browser until its Revoke button was pressed.
    assert_eq!(
        report["analyst_token"],
        json!({ "curl_names_it": true, "used": 200, "after_revoke": 401 })
    );
    // The platform admin invited a newcomer from /admin/users (pending until they signed in);
    // the e-mailed link signed them in, the list showed when, and deactivating them ended their
    // session at once.
    let admin_users = &report["admin_users"];
    assert_eq!(admin_users["pending_before"], 1, "{admin_users}");
    assert_eq!(
        admin_users["signed_in_as"], "newcomer@optiview-test.com",
        "{admin_users}"
    );
    assert_eq!(admin_users["pending_after"], 0, "{admin_users}");
    let last_sign_in = admin_users["last_sign_in"].as_str().unwrap_or("never");
    assert_ne!(last_sign_in, "never", "{admin_users}");
    assert_eq!(admin_users["after_deactivate"], 401, "{admin_users}");
    // The crawlers page's first table downloaded as CSV with every row it shows.
    let csv = &report["csv"];
    assert!(
        csv["file"].as_str().unwrap_or_default().ends_with(".csv"),
        "{csv}"
    );
    assert!(csv["rows"].as_u64().unwrap_or(0) > 0, "{csv}");
    assert_eq!(csv["rows"], csv["shown"], "{csv}");
    // The crawlers page's evidence and robots.txt panels name values in words, never their
    // identifiers, and the demo gives each of them rows.
    let panels = &report["crawler_panels"];
    let identifiers: Vec<&str> = CrawlResource::ALL
        .iter()
        .map(|v| v.as_str())
        .chain(RobotsVerdict::ALL.iter().map(|v| v.as_str()))
        .chain(VerificationMethod::ALL.iter().map(|v| v.as_str()))
        .collect();
    for figure in [
        "Resources read",
        "robots.txt verdict",
        "Verification method",
    ] {
        let labels: Vec<&str> = panels[figure]
            .as_array()
            .unwrap_or_else(|| panic!("no {figure} panel: {panels}"))
            .iter()
            .map(|l| l.as_str().unwrap())
            .collect();
        assert!(!labels.is_empty(), "{figure} is empty: {panels}");
        for label in &labels {
            assert!(!identifiers.contains(label), "{figure} shows {label:?}");
        }
    }
    let words = |figure: &str| panels[figure].to_string();
    for word in ["robots.txt", "llms.txt", "Sitemap", "Markdown rendition"] {
        assert!(words("Resources read").contains(word), "{word}: {panels}");
    }
    for word in ["Disallowed by robots.txt", "Allowed by robots.txt"] {
        assert!(
            words("robots.txt verdict").contains(word),
            "{word}: {panels}"
        );
    }
    let tables = &report["crawler_tables"];
    for table in [
        "robots.txt violations at the time",
        "robots.txt violations under the current file",
        "Machine-readable files read by agent",
    ] {
        assert!(tables[table].as_u64().unwrap_or(0) > 0, "{table}: {tables}");
    }
    // A click on a country bar filtered the events page to that country (fewer events when the
    // demo has several countries, never none), named it in a chip, and the chip undid it.
    let filter = &report["bar_filter"];
    let (before, after) = (
        filter["before"].as_u64().unwrap_or(0),
        filter["after"].as_u64().unwrap_or(0),
    );
    assert!(after > 0 && after <= before, "{filter}");
    if filter["bars"].as_u64().unwrap_or(0) > 1 {
        assert!(after < before, "{filter}");
    }
    let country = filter["country"].as_str().unwrap_or_default();
    assert!(
        !country.is_empty()
            && filter["chip"]
                .as_str()
                .unwrap_or_default()
                .contains(country),
        "{filter}"
    );
    assert_eq!(filter["cleared"], filter["before"], "{filter}");
    assert_eq!(filter["chips_left"], 0, "{filter}");
    // The account page listed both of the partner's browsers, marked this one, and ended the
    // other.
    assert_eq!(
        report["sessions"],
        json!({ "listed": 2, "current_marked": 1, "other_after": 401, "this_after": 200 })
    );
    // The button ended both of the partner's sessions: this browser's and another one's.
    assert_eq!(
        report["sign_out_everywhere"],
        json!({ "other_before": 200, "this_page": "/login", "this_after": 401, "other_after": 401 })
    );
    assert_eq!(report["events_pageviews"], 1);
    let (views, url): (u64, String) = db
        .client()
        .query(&format!(
            "SELECT count(), any(url) FROM events
             WHERE project_id NOT IN (?) AND event_type = {}",
            schemas::vocab::sql_literal(schemas::vocab::EventType::Pageview)
        ))
        .bind(&demo_project)
        .fetch_one()
        .await
        .unwrap();
    assert_eq!(views, 1);
    assert!(url.starts_with("http://www.optiview-test.com:"), "{url}");

    // Every page: no error state, every control labelled; dashboards draw with demo data and
    // send an empty project to the install wizard; nothing wider than a phone.
    let visited = report["pages"].as_array().unwrap();
    // Each page with the empty project and with the demo (plus the three admin pages), four on a
    // phone (/admin/users among them).
    assert_eq!(visited.len(), pages.len() * 2 + 3 + 4, "{visited:?}");
    for page in visited {
        assert!(page["error"].is_null(), "{page}");
        assert_eq!(page["unlabelled"], 0, "{page}");
        let dashboard = dashboards
            .iter()
            .any(|d| page["path"].as_str().unwrap().starts_with(&format!("{d}?")));
        match page["project"].as_str().unwrap() {
            "empty" if dashboard => assert_eq!(page["install_link"], true, "{page}"),
            "demo" if dashboard => {
                assert!(page["empty"].is_null(), "{page}");
                let drawn = page["charts"].as_u64().unwrap() + page["bars"].as_u64().unwrap();
                let journeys = page["path"].as_str().unwrap().starts_with("/journeys");
                assert!(drawn > 0 || journeys, "{page}");
            }
            "demo-phone" => assert_eq!(page["horizontal_overflow"], 0, "{page}"),
            _ => {}
        }
    }
    assert_eq!(report["first_tab_stop"], "Skip to content");
    for name in [
        "05-install-green",
        "06-events-after-first-pageview",
        "demo-crawlers",
    ] {
        assert!(shots.join(format!("{name}.png")).exists(), "{name}");
    }
    api.handle.stop(true).await;
}

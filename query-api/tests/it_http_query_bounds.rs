//! Dashboard queries are bounded, against the real engine: the server's client sends
//! `max_execution_time`, `max_memory_usage` and `readonly` with every query; every dashboard
//! answers under the default bounds, and a query over its bound answers 503
//! `query_too_expensive` with a message for people and none of the engine's text.

mod common;

use common::{call, fixed_writer, sign_in, start_with};
use platform::test_support::TestDatabase;
use query_api::http::analytics::sql::{bounded, Query, QueryBounds};
use query_api::http::routes::Verb;
use schemas::control::ids::new_id;
use schemas::control::{ControlView, CreateUser, Permission, Plan, Role, SetMembership};
use schemas::fixtures::{onboard, submit};

const DASHBOARDS: [&str; 6] = [
    "events",
    "content",
    "journeys",
    "referrals",
    "conversions",
    "crawlers",
];

/// A project and its owner, `owner@acme.com`.
fn tenant() -> (ControlView, String, i64) {
    let mut view = ControlView::new();
    let tenant = onboard(
        &mut view,
        "acme.com",
        Plan::Starter,
        vec![Permission::Collect],
    );
    let user_id = new_id("usr");
    submit(
        &mut view,
        CreateUser {
            id: user_id.clone(),
            email: "owner@acme.com".into(),
            name: "Owner".into(),
        },
    )
    .unwrap();
    submit(
        &mut view,
        SetMembership {
            organization_id: tenant.org,
            user_id,
            role: Role::Owner,
            active: true,
        },
    )
    .unwrap();
    (view, tenant.project, tenant.property)
}

/// One row in each table a dashboard reads, yesterday: over empty tables some queries read
/// nothing and so never reach a bound.
async fn seed(client: &clickhouse::Client, project: &str, property: i64) {
    for (table, time, retention) in [
        ("events", "ts", true),
        ("ai_referrals", "ts", false),
        ("crawler_hits", "ts", true),
        ("conversions", "ts", true),
        ("sessions", "opened_at", false),
    ] {
        let (column, value) = if retention {
            (", retention_days", ", 400")
        } else {
            ("", "")
        };
        client
            .query(&format!(
                "INSERT INTO {table} (project_id, property_id, {time}{column}) \
                 VALUES ('{project}', {property}, now64(3) - INTERVAL 1 DAY{value})"
            ))
            .execute()
            .await
            .unwrap();
    }
}

#[actix_rt::test]
#[ignore = "integration test: needs OPTIVIEW_CLICKHOUSE_URL; infra/test runs it"]
async fn every_dashboard_answers_within_the_default_bounds_and_503s_over_them() {
    let db = TestDatabase::migrated().await;
    let (view, project, property) = tenant();
    seed(&db.client(), &project, property).await;
    // The default window: the last 7 days, yesterday included.
    let window = "";

    let within = start_with(
        fixed_writer(view.clone()),
        10_000,
        bounded(db.client(), QueryBounds::default()),
    );
    let owner = sign_in(&within, "owner@acme.com").await;
    for dashboard in DASHBOARDS {
        let path = format!("/api/v1/projects/{project}/{dashboard}{window}");
        let reply = call(&within, &owner, Verb::Get, &path, None).await;
        assert_eq!(reply.status, 200, "{dashboard}: {}", reply.json);
    }
    within.handle.stop(true).await;

    // One byte: no query can stay under it, so the engine stops each one.
    let over = start_with(
        fixed_writer(view),
        10_000,
        bounded(
            db.client(),
            QueryBounds {
                max_memory_bytes: 1,
                ..QueryBounds::default()
            },
        ),
    );
    let owner = sign_in(&over, "owner@acme.com").await;
    for dashboard in DASHBOARDS {
        let path = format!("/api/v1/projects/{project}/{dashboard}{window}");
        let reply = call(&over, &owner, Verb::Get, &path, None).await;
        assert_eq!(
            (reply.status, reply.json["error"].as_str()),
            (503, Some("query_too_expensive")),
            "{dashboard}: {}",
            reply.json
        );
        let message = reply.json["message"].as_str().unwrap();
        assert!(message.contains("narrow the time window"), "{message}");
        for engine in ["DB::", "Code:", "MEMORY_LIMIT", "SELECT"] {
            assert!(!message.contains(engine), "{dashboard}: {message}");
        }
        assert_eq!(
            reply.headers.get("retry-after"),
            None,
            "retrying the same query does not help"
        );
    }
    over.handle.stop(true).await;
}

#[actix_rt::test]
#[ignore = "integration test: needs OPTIVIEW_CLICKHOUSE_URL; infra/test runs it"]
async fn the_servers_client_reads_only() {
    let db = TestDatabase::migrated().await;
    let client = bounded(db.client(), QueryBounds::default());
    let write = client
        .query("CREATE TABLE bounds_probe (x UInt8) ENGINE = Memory")
        .execute()
        .await
        .unwrap_err();
    assert!(write.to_string().contains("readonly"), "{write}");
    // The engine takes the bounds as sent.
    let settings: Vec<(String, String)> = client
        .query(
            "SELECT name, value FROM system.settings \
             WHERE name IN ('max_execution_time', 'max_memory_usage', 'readonly') ORDER BY name",
        )
        .fetch_all()
        .await
        .unwrap();
    let expected = [
        ("max_execution_time", "10"),
        ("max_memory_usage", "2147483648"),
        ("readonly", "2"),
    ];
    let settings: Vec<(&str, &str)> = settings
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    assert_eq!(settings, expected);
}

#[actix_rt::test]
#[ignore = "integration test: needs OPTIVIEW_CLICKHOUSE_URL; infra/test runs it"]
async fn a_query_over_its_time_is_stopped_and_answers_too_expensive() {
    let db = TestDatabase::migrated().await;
    let client = bounded(
        db.client(),
        QueryBounds {
            max_execution_secs: 1,
            ..QueryBounds::default()
        },
    );
    // Minutes of work; the engine stops it after a second.
    let slow = Query::default().sql("SELECT count() AS n FROM numbers(1000000000000)");
    let started = std::time::Instant::now();
    let error = slow.rows::<serde_json::Value>(&client).await.unwrap_err();
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    assert_eq!(
        (error.status.as_u16(), error.code),
        (503, "query_too_expensive")
    );
}

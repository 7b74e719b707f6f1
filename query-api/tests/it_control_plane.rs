//! The control plane on the real broker: validate → produce → read-your-writes, and every
//! follower folding the topic to the same view.

use std::process::Command as Process;
use std::time::{Duration, Instant};

use platform::control_follower::{follow, ControlHandle};
use platform::kafka::producer_config;
use platform::test_support::TestTopics;
use query_api::control_writer::{ControlWriter, WriteError};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::producer::FutureProducer;
use rdkafka::ClientConfig;
use schemas::control::ids::{hash_secret, new_id, new_secret};
use schemas::control::{
    ChangePlan, CommandError, CreateApiKey, CreateOrganization, CreateProject, Permission, Plan,
    RevokeApiKey,
};

async fn writer(topics: &TestTopics) -> ControlWriter {
    let (handle, _task) = follow(&topics.brokers, topics.name(0)).await.unwrap();
    handle
        .wait_caught_up(Duration::from_secs(20))
        .await
        .unwrap();
    let producer: FutureProducer = producer_config(&topics.brokers).create().unwrap();
    ControlWriter::new(producer, topics.name(0), handle)
}

fn high_watermark(topics: &TestTopics) -> i64 {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &topics.brokers)
        .set("group.id", "wm")
        .create()
        .unwrap();
    consumer
        .fetch_watermarks(topics.name(0), 0, Duration::from_secs(10))
        .unwrap()
        .1
}

/// Onboards one tenant; returns (organization id, property id, key id).
async fn onboard(writer: &ControlWriter, domain: &str) -> (String, i64, String) {
    let org = new_id("org");
    writer
        .submit(
            "test",
            &CreateOrganization {
                id: org.clone(),
                name: "Acme".into(),
                domain: domain.into(),
                plan: Plan::Growth,
            },
        )
        .await
        .unwrap();
    let project = new_id("prj");
    let created = writer
        .submit(
            "test",
            &CreateProject {
                id: project,
                organization_id: org.clone(),
                name: "Site".into(),
                domain: domain.into(),
            },
        )
        .await
        .unwrap();
    let property = created.default_property.id;
    let key = new_id("key");
    let command = CreateApiKey {
        id: key.clone(),
        property_id: property,
        name: "tag".into(),
        permissions: vec![Permission::Collect],
        secret_hash: hash_secret(&new_secret()),
    };
    writer.submit("test", &command).await.unwrap();
    (org, property, key)
}

#[tokio::test]
#[ignore = "integration test: needs OPTIVIEW_KAFKA_BROKERS; infra/test runs it"]
async fn a_write_is_visible_in_the_writers_view_when_submit_returns() {
    let topics = TestTopics::create(&[("control", 1)]).await;
    let writer = writer(&topics).await;
    let (org, property, key) = onboard(&writer, "acme.com").await;
    // No waiting here: submit only returns once its own view applied the events.
    let view = writer.view().view();
    let ctx = view.key_context(&key).expect("key visible immediately");
    assert_eq!(
        (ctx.organization.id.as_str(), ctx.property.id),
        (org.as_str(), property)
    );
    assert_eq!(ctx.retention_days(), 180);
}

#[tokio::test]
#[ignore = "integration test: needs OPTIVIEW_KAFKA_BROKERS; infra/test runs it"]
async fn a_new_follower_rebuilds_the_same_view_from_the_topic() {
    let topics = TestTopics::create(&[("control", 1)]).await;
    let writer = writer(&topics).await;
    onboard(&writer, "acme.com").await;
    onboard(&writer, "beta.io").await;
    let (org, _, key) = onboard(&writer, "gamma.dev").await;
    writer
        .submit(
            "test",
            &ChangePlan {
                organization_id: org,
                plan: Plan::Pro,
            },
        )
        .await
        .unwrap();
    writer
        .submit("test", &RevokeApiKey { key_id: key })
        .await
        .unwrap();

    let (fresh, _task) = follow(&topics.brokers, topics.name(0)).await.unwrap();
    fresh.wait_caught_up(Duration::from_secs(20)).await.unwrap();
    assert!(fresh.caught_up());
    assert_eq!(*fresh.view(), *writer.view().view());
    assert_eq!(fresh.view().events_applied(), 3 * 4 + 2);
}

#[tokio::test]
#[ignore = "integration test: needs OPTIVIEW_KAFKA_BROKERS; infra/test runs it"]
async fn a_running_follower_sees_a_new_key_within_two_seconds() {
    let topics = TestTopics::create(&[("control", 1)]).await;
    let (follower, _task): (ControlHandle, _) =
        follow(&topics.brokers, topics.name(0)).await.unwrap();
    follower
        .wait_caught_up(Duration::from_secs(20))
        .await
        .unwrap();
    let writer = writer(&topics).await;
    let (_, _, key) = onboard(&writer, "acme.com").await;
    let started = Instant::now();
    while follower.view().key_context(&key).is_none() {
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "key not seen by the other follower within 2 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
#[ignore = "integration test: needs OPTIVIEW_KAFKA_BROKERS; infra/test runs it"]
async fn a_rejected_command_writes_nothing() {
    let topics = TestTopics::create(&[("control", 1)]).await;
    let writer = writer(&topics).await;
    let (org, _, _) = onboard(&writer, "acme.com").await;
    let before = high_watermark(&topics);
    let duplicate = CreateOrganization {
        id: org,
        name: "Again".into(),
        domain: "x.com".into(),
        plan: Plan::Starter,
    };
    let err = writer.submit("test", &duplicate).await.unwrap_err();
    assert!(
        matches!(
            err,
            WriteError::Rejected(CommandError::AlreadyExists { .. })
        ),
        "{err:?}"
    );
    assert!(!err.is_retryable());
    let bad_domain = CreateProject {
        id: new_id("prj"),
        organization_id: new_id("org"),
        name: "x".into(),
        domain: "localhost".into(),
    };
    assert!(matches!(
        writer.submit("test", &bad_domain).await,
        Err(WriteError::Rejected(_))
    ));
    assert_eq!(high_watermark(&topics), before);
}

fn admin(topics: &TestTopics, args: &[&str]) -> (i32, serde_json::Value, String) {
    let out = Process::new(env!("CARGO_BIN_EXE_query-api"))
        .arg("admin")
        .args(args)
        .env("OPTIVIEW_KAFKA_BROKERS", &topics.brokers)
        .env("OPTIVIEW_CONTROL_TOPIC", topics.name(0))
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let json = serde_json::from_str(&stdout).unwrap_or(serde_json::Value::Null);
    (
        out.status.code().unwrap(),
        json,
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[tokio::test]
#[ignore = "integration test: needs OPTIVIEW_KAFKA_BROKERS; infra/test runs it"]
async fn the_admin_cli_onboards_a_tenant_from_the_shell() {
    let topics = TestTopics::create(&[("control", 1)]).await;
    let (code, org, _) = admin(
        &topics,
        &[
            "create-org",
            "--name",
            "Acme",
            "--domain",
            "https://www.Acme.com/",
            "--plan",
            "pro",
        ],
    );
    assert_eq!(code, 0);
    assert_eq!(org["organization"]["domain"], "acme.com");
    let org_id = org["organization"]["id"].as_str().unwrap().to_owned();

    let (code, project, _) = admin(
        &topics,
        &[
            "create-project",
            "--org",
            &org_id,
            "--name",
            "Site",
            "--domain",
            "acme.com",
        ],
    );
    assert_eq!(code, 0);
    let property = project["property"]["id"].as_i64().unwrap();
    let project_id = project["project"]["id"].as_str().unwrap().to_owned();

    let (code, key, _) = admin(
        &topics,
        &["create-key", "--property", &property.to_string()],
    );
    assert_eq!(code, 0);
    let key_id = key["api_key"]["id"].as_str().unwrap();
    let secret = key["secret"].as_str().unwrap();
    let snippet = key["snippet"].as_str().unwrap();
    assert!(
        snippet.contains(&format!("data-key-id=\"{key_id}\""))
            && snippet.contains(&format!("data-project-id=\"{project_id}\""))
    );

    // The secret was shown once and only its hash is in the log.
    let (view, _task) = follow(&topics.brokers, topics.name(0)).await.unwrap();
    view.wait_caught_up(Duration::from_secs(20)).await.unwrap();
    let stored = view.view().api_key(key_id).unwrap().clone();
    assert_eq!(stored.secret_hash, hash_secret(secret));
    assert_ne!(stored.secret_hash, secret);

    let (code, _, stderr) = admin(
        &topics,
        &[
            "create-project",
            "--org",
            "org_doesnotexi",
            "--name",
            "X",
            "--domain",
            "x.com",
        ],
    );
    assert_eq!(code, 2);
    assert!(stderr.contains("not found"), "{stderr}");
}

#[tokio::test]
#[ignore = "integration test: needs OPTIVIEW_KAFKA_BROKERS; infra/test runs it"]
async fn the_first_platform_admin_is_bootstrapped_from_the_shell() {
    let topics = TestTopics::create(&[("control", 1)]).await;
    let grant = [
        "grant-platform-admin",
        "--email",
        "Root@Optiview.dev",
        "--name",
        "Root",
    ];
    let (code, out, stderr) = admin(&topics, &grant);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(out["user"]["platform_admin"], true);
    let user_id = out["user"]["id"].as_str().unwrap().to_owned();
    // Again: the same user, not a second one.
    let (code, again, _) = admin(&topics, &grant);
    assert_eq!(code, 0);
    assert_eq!(again["user"]["id"], user_id.as_str());

    let (view, _task) = follow(&topics.brokers, topics.name(0)).await.unwrap();
    view.wait_caught_up(Duration::from_secs(20)).await.unwrap();
    let user = view
        .view()
        .user_by_email("root@optiview.dev")
        .unwrap()
        .clone();
    assert!(user.platform_admin);
    assert_eq!(user.id, user_id);
}

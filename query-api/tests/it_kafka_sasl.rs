//! The services authenticate to Kafka with the SASL settings of their environment: a broker of
//! the test's own that admits only SCRAM-SHA-512 users, driven through the real `query-api`
//! binary (its topic admin, its control-topic follower and its producer).

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use platform::kafka::client_config_with;
use platform::kafka::security::{KafkaSecurity, SaslCredentials, SaslMechanism, SecurityProtocol};
use platform::test_support::OwnBroker;
use rdkafka::consumer::{BaseConsumer, Consumer};

const USER: &str = "api";
const PASSWORD: &str = "scram-pw-7c41e0";

fn query_api(broker: &OwnBroker, env: &[(&str, &str)], args: &[&str]) -> Output {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut command = Command::new(env!("CARGO_BIN_EXE_query-api"));
    command
        .current_dir(repo)
        .args(args)
        .env("OPTIVIEW_KAFKA_BROKERS", broker.brokers())
        .env_remove("OPTIVIEW_KAFKA_SECURITY_PROTOCOL")
        .env_remove("OPTIVIEW_KAFKA_SASL_MECHANISM")
        .env_remove("OPTIVIEW_KAFKA_SASL_USERNAME")
        .env_remove("OPTIVIEW_KAFKA_SASL_PASSWORD")
        .env_remove("OPTIVIEW_KAFKA_SSL_CA_LOCATION");
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().expect("run query-api")
}

fn sasl_env(password: &str) -> [(&'static str, &str); 4] {
    [
        ("OPTIVIEW_KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT"),
        ("OPTIVIEW_KAFKA_SASL_MECHANISM", "SCRAM-SHA-512"),
        ("OPTIVIEW_KAFKA_SASL_USERNAME", USER),
        ("OPTIVIEW_KAFKA_SASL_PASSWORD", password),
    ]
}

/// Topic names the broker reports to a client that authenticates as `password`.
fn topics_seen_with(broker: &OwnBroker, password: &str) -> Result<Vec<String>, String> {
    let security = KafkaSecurity {
        protocol: SecurityProtocol::SaslPlaintext,
        sasl: Some(SaslCredentials {
            mechanism: SaslMechanism::ScramSha512,
            username: USER.into(),
            password: platform::kafka::security::Password::new(password),
        }),
        ca_location: None,
    };
    let consumer: BaseConsumer = client_config_with(&broker.brokers(), &security)
        .set("group.id", "sasl-metadata")
        .create()
        .map_err(|e| e.to_string())?;
    let metadata = consumer
        .fetch_metadata(None, Duration::from_secs(10))
        .map_err(|e| e.to_string())?;
    Ok(metadata
        .topics()
        .iter()
        .map(|t| t.name().to_owned())
        .collect())
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
#[ignore = "integration test: needs OPTIVIEW_TANSU_BIN (a SASL broker of its own); infra/test runs it"]
fn a_service_with_the_users_credentials_creates_topics_and_writes_the_control_topic() {
    let broker = OwnBroker::start_with_scram_user(USER, PASSWORD);

    let out = query_api(&broker, &sasl_env(PASSWORD), &["topics"]);
    assert!(out.status.success(), "topics: {}", text(&out.stderr));
    let seen = topics_seen_with(&broker, PASSWORD).expect("authenticated metadata");
    assert!(
        seen.iter().any(|t| t == schemas::topics::CONTROL),
        "{seen:?}"
    );

    // Follows the control topic (a consumer), then produces to it.
    let out = query_api(
        &broker,
        &sasl_env(PASSWORD),
        &[
            "admin",
            "create-org",
            "--name",
            "Acme",
            "--domain",
            "acme.com",
        ],
    );
    assert!(out.status.success(), "create-org: {}", text(&out.stderr));
    let made: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON answer");
    assert_eq!(made["organization"]["domain"], "acme.com");
}

#[test]
#[ignore = "integration test: needs OPTIVIEW_TANSU_BIN (a SASL broker of its own); infra/test runs it"]
fn a_wrong_password_or_none_changes_nothing_and_the_password_is_not_printed() {
    let broker = OwnBroker::start_with_scram_user(USER, PASSWORD);
    let wrong = "wrong-pw-marker-93d2";

    let create_org = [
        "admin",
        "create-org",
        "--name",
        "Mallory",
        "--domain",
        "mallory.example",
    ];
    for env in [&sasl_env(wrong)[..], &[]] {
        let out = query_api(&broker, env, &create_org);
        assert!(!out.status.success(), "create-org succeeded with {env:?}");
        let printed = text(&out.stderr) + &text(&out.stdout);
        assert!(!printed.contains(wrong), "{printed}");
    }
    // The broker refuses the wrong password to any client, and the attempts created nothing
    // (the control topic would exist had either reached the broker's admin or producer).
    assert!(topics_seen_with(&broker, wrong).is_err());
    let seen = topics_seen_with(&broker, PASSWORD).expect("authenticated metadata");
    assert!(
        !seen.iter().any(|t| t == schemas::topics::CONTROL),
        "{seen:?}"
    );
}

#[test]
fn incomplete_settings_exit_2_naming_the_variable_before_connecting() {
    // Port 9 (discard): nothing is contacted, the settings are refused first.
    let out = Command::new(env!("CARGO_BIN_EXE_query-api"))
        .args(["topics"])
        .env("OPTIVIEW_KAFKA_BROKERS", "127.0.0.1:9")
        .env("OPTIVIEW_KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
        .env("OPTIVIEW_KAFKA_SASL_PASSWORD", "pw-marker-51aa")
        .env_remove("OPTIVIEW_KAFKA_SASL_USERNAME")
        .output()
        .expect("run query-api");
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("OPTIVIEW_KAFKA_SASL_USERNAME"), "{stderr}");
    assert!(!stderr.contains("pw-marker-51aa"), "{stderr}");
}

//! `query-api topics` against the test broker: missing topics are created, a second run changes
//! nothing, and a topic short of (or beyond) its defined partitions is refused without --grow.

use platform::kafka::admin::{partition_counts, reconcile_topics, TopicAdminError};
use platform::test_support::{kafka_brokers, random_name};
use schemas::topics::TopicDefinition;

fn defined(name: &str, partitions: i32) -> TopicDefinition {
    TopicDefinition {
        name: name.to_owned(),
        partitions,
        retention_ms: 86_400_000,
        cleanup_policy: "delete".into(),
    }
}

#[tokio::test]
#[ignore = "integration test: needs OPTIVIEW_KAFKA_BROKERS; infra/test runs it"]
async fn topics_are_created_once_and_a_partition_mismatch_is_refused() {
    let brokers = kafka_brokers();
    let (a, b) = (random_name("visitors"), random_name("single"));
    let definitions = [defined(&a, 3), defined(&b, 1)];
    let first = reconcile_topics(&brokers, &definitions, 1, false)
        .await
        .unwrap();
    let mut created = first.created.clone();
    created.sort();
    let mut expected = vec![a.clone(), b.clone()];
    expected.sort();
    assert_eq!((created, first.grown.len()), (expected, 0));
    let counts = partition_counts(&brokers, &[&a, &b]).unwrap();
    assert_eq!((counts[&a], counts[&b]), (3, 1));

    let again = reconcile_topics(&brokers, &definitions, 1, false)
        .await
        .unwrap();
    assert!(
        again.created.is_empty() && again.grown.is_empty(),
        "{again:?}"
    );

    let short = reconcile_topics(&brokers, &[defined(&a, 6)], 1, false).await;
    assert!(
        matches!(&short, Err(TopicAdminError::Short { topic, has: 3, defined: 6 }) if *topic == a),
        "{short:?}"
    );
    let beyond = reconcile_topics(&brokers, &[defined(&a, 2)], 1, false).await;
    assert!(
        matches!(
            &beyond,
            Err(TopicAdminError::Shrink {
                has: 3,
                defined: 2,
                ..
            })
        ),
        "{beyond:?}"
    );
    // Neither refusal changed the topic.
    assert_eq!(partition_counts(&brokers, &[&a]).unwrap()[&a], 3);
}

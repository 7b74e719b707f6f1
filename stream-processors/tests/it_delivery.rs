//! Delivery against the test broker: a record the broker (here librdkafka, by size, before
//! sending) refuses for good comes back to the caller instead of being retried forever, and the
//! records around it are delivered.

use std::time::{Duration, Instant};

use platform::kafka::producer_config;
use platform::test_support::TestTopics;
use rdkafka::producer::FutureProducer;
use stream_processors::load::delivery::{deliver_all, Outgoing};
use tokio::sync::watch;

fn record(topic: &str, key: &str, bytes: usize) -> Outgoing {
    Outgoing {
        topic: topic.to_owned(),
        partition: None,
        key: key.to_owned(),
        payload: vec![b'x'; bytes],
    }
}

#[tokio::test]
#[ignore = "integration test: needs OPTIVIEW_KAFKA_BROKERS; infra/test runs it"]
async fn an_oversized_record_is_handed_back_and_the_others_are_delivered() {
    let topics = TestTopics::create(&[("out", 1)]).await;
    let producer: FutureProducer = producer_config(&topics.brokers)
        .set("message.max.bytes", "10000")
        .create()
        .unwrap();
    let (_stop, stopped) = watch::channel(false);
    let topic = topics.name(0);
    let started = Instant::now();
    let refused = deliver_all(
        &producer,
        vec![
            record(topic, "a", 100),
            record(topic, "big", 50_000),
            record(topic, "b", 100),
        ],
        &stopped,
    )
    .await
    .unwrap();
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0].record.key, "big");
    assert!(
        refused[0].error.to_string().contains("too large"),
        "{}",
        refused[0].error
    );
    // Refused at once: not retried until a timeout.
    assert!(started.elapsed() < Duration::from_secs(10));
    let delivered: Vec<Vec<u8>> =
        platform::test_support::read_raw(&topics.brokers, topic, 1, 2).await;
    assert_eq!(delivered.len(), 2, "the small records were delivered");
}

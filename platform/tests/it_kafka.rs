//! rdkafka (bundled librdkafka) against the real broker: the delivery guarantees DESIGN.md relies on.

use std::time::{Duration, Instant};

use platform::kafka::admin::ensure_topics;
use platform::kafka::{consumer_config, producer_config};
use platform::test_support::{random_name, OwnBroker, TestTopics};
use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::message::{BorrowedMessage, Message};
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use schemas::topics::TopicDefinition;

async fn produce_all(
    producer: &FutureProducer,
    topic: &str,
    range: std::ops::Range<u32>,
) -> Vec<(i32, i64)> {
    let mut acks = Vec::new();
    for i in range {
        let payload = format!("msg-{i}");
        let key = format!("k{}", i % 7);
        let delivery = producer
            .send(
                FutureRecord::to(topic).key(&key).payload(&payload),
                Duration::from_secs(30),
            )
            .await
            .unwrap_or_else(|(e, _)| panic!("produce {i}: {e}"));
        acks.push((delivery.partition, delivery.offset));
    }
    acks
}

async fn recv_n(consumer: &StreamConsumer, n: usize) -> Vec<(i32, i64, String)> {
    let mut out = Vec::new();
    while out.len() < n {
        let message = tokio::time::timeout(Duration::from_secs(30), consumer.recv())
            .await
            .unwrap_or_else(|_| panic!("timed out after {} of {n} messages", out.len()))
            .expect("consume");
        out.push(describe(&message));
    }
    out
}

fn describe(m: &BorrowedMessage<'_>) -> (i32, i64, String) {
    (
        m.partition(),
        m.offset(),
        String::from_utf8(m.payload().unwrap().to_vec()).unwrap(),
    )
}

async fn wait_for_assignment(
    consumer: &StreamConsumer,
    what: impl Fn(&TopicPartitionList) -> bool,
) -> TopicPartitionList {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        // Polling drives the group protocol; no message is expected here.
        let _ = tokio::time::timeout(Duration::from_millis(100), consumer.recv()).await;
        let assignment = consumer.assignment().unwrap();
        if what(&assignment) {
            return assignment;
        }
        assert!(
            Instant::now() < deadline,
            "group assignment did not settle: {assignment:?}"
        );
    }
}

#[tokio::test]
#[ignore = "integration test: needs OPTIVIEW_KAFKA_BROKERS; infra/test runs it"]
async fn idempotent_acks_all_producer_delivers_every_message_once_in_order() {
    let topics = TestTopics::create(&[("it_produce", 1)]).await;
    let producer: FutureProducer = producer_config(&topics.brokers).create().unwrap();
    let acks = produce_all(&producer, topics.name(0), 0..500).await;
    let offsets: Vec<i64> = acks.iter().map(|a| a.1).collect();
    assert_eq!(
        offsets,
        (0..500).collect::<Vec<i64>>(),
        "one partition: dense offsets in send order"
    );

    let consumer: StreamConsumer = consumer_config(&topics.brokers, &random_name("g"))
        .create()
        .unwrap();
    consumer.subscribe(&[topics.name(0)]).unwrap();
    let got = recv_n(&consumer, 500).await;
    let payloads: Vec<String> = got.into_iter().map(|m| m.2).collect();
    assert_eq!(
        payloads,
        (0..500).map(|i| format!("msg-{i}")).collect::<Vec<_>>()
    );
    // Nothing extra arrives: no duplicates from retries.
    assert!(
        tokio::time::timeout(Duration::from_millis(700), consumer.recv())
            .await
            .is_err()
    );
}

#[tokio::test]
#[ignore = "integration test: needs OPTIVIEW_KAFKA_BROKERS; infra/test runs it"]
async fn manual_commits_let_a_rejoining_consumer_resume_exactly_after_the_last_commit() {
    let topics = TestTopics::create(&[("it_commit", 1)]).await;
    let producer: FutureProducer = producer_config(&topics.brokers).create().unwrap();
    produce_all(&producer, topics.name(0), 0..100).await;
    let group = random_name("g");

    {
        let first: StreamConsumer = consumer_config(&topics.brokers, &group).create().unwrap();
        first.subscribe(&[topics.name(0)]).unwrap();
        let mut last = None;
        for _ in 0..40 {
            let m = tokio::time::timeout(Duration::from_secs(30), first.recv())
                .await
                .unwrap()
                .unwrap();
            last = Some(m.offset());
            if m.offset() == 39 {
                // Only what was processed is committed: offset 40 is the next to read.
                first.commit_message(&m, CommitMode::Sync).unwrap();
            }
        }
        assert_eq!(last, Some(39));
        // Read further without committing: these must be redelivered.
        recv_n(&first, 10).await;
    }

    let second: StreamConsumer = consumer_config(&topics.brokers, &group).create().unwrap();
    second.subscribe(&[topics.name(0)]).unwrap();
    let resumed = recv_n(&second, 60).await;
    assert_eq!(resumed.first().map(|m| m.1), Some(40));
    assert_eq!(resumed.last().map(|m| m.1), Some(99));
}

#[tokio::test]
#[ignore = "integration test: needs OPTIVIEW_KAFKA_BROKERS; infra/test runs it"]
async fn a_second_consumer_joining_the_group_takes_over_part_of_the_partitions() {
    let topics = TestTopics::create(&[("it_rebalance", 4)]).await;
    let group = random_name("g");
    let a: StreamConsumer = consumer_config(&topics.brokers, &group).create().unwrap();
    a.subscribe(&[topics.name(0)]).unwrap();
    wait_for_assignment(&a, |t| t.count() == 4).await;

    let b: StreamConsumer = consumer_config(&topics.brokers, &group).create().unwrap();
    b.subscribe(&[topics.name(0)]).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let _ = tokio::time::timeout(Duration::from_millis(100), a.recv()).await;
        let _ = tokio::time::timeout(Duration::from_millis(100), b.recv()).await;
        let (ta, tb) = (a.assignment().unwrap(), b.assignment().unwrap());
        let pa: Vec<i32> = ta.elements().iter().map(|e| e.partition()).collect();
        let pb: Vec<i32> = tb.elements().iter().map(|e| e.partition()).collect();
        if !pa.is_empty() && !pb.is_empty() && pa.len() + pb.len() == 4 {
            assert!(
                pa.iter().all(|p| !pb.contains(p)),
                "partitions shared: {pa:?} {pb:?}"
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "rebalance did not split partitions: {pa:?} {pb:?}"
        );
    }
}

#[tokio::test]
#[ignore = "integration test: needs OPTIVIEW_KAFKA_BROKERS; infra/test runs it"]
async fn acked_messages_survive_kill_9_and_restart_of_the_broker() {
    let mut broker = OwnBroker::start();
    let topic = random_name("it_durable");
    let def = TopicDefinition {
        name: topic.clone(),
        partitions: 2,
        retention_ms: 86_400_000,
        cleanup_policy: "delete".into(),
    };
    ensure_topics(&broker.brokers(), &[def], 1).await.unwrap();
    let acks = {
        let producer: FutureProducer = producer_config(&broker.brokers()).create().unwrap();
        let acks = produce_all(&producer, &topic, 0..200).await;
        producer.flush(Duration::from_secs(10)).unwrap();
        acks
    };

    broker.kill_9();
    broker.restart();

    let consumer: StreamConsumer = ClientConfig::new()
        .set("bootstrap.servers", broker.brokers())
        .set("group.id", random_name("g"))
        .set("enable.auto.commit", "false")
        .create()
        .unwrap();
    let mut assignment = TopicPartitionList::new();
    for p in 0..2 {
        assignment
            .add_partition_offset(&topic, p, Offset::Beginning)
            .unwrap();
    }
    consumer.assign(&assignment).unwrap();
    let mut got = recv_n(&consumer, 200).await;
    got.sort_by_key(|m| (m.0, m.1));
    let mut acked = acks.clone();
    acked.sort();
    assert_eq!(
        got.iter().map(|m| (m.0, m.1)).collect::<Vec<_>>(),
        acked,
        "every acked (partition, offset) is back"
    );
    let mut payloads: Vec<String> = got.into_iter().map(|m| m.2).collect();
    payloads.sort();
    let mut expected: Vec<String> = (0..200).map(|i| format!("msg-{i}")).collect();
    expected.sort();
    assert_eq!(payloads, expected);
}

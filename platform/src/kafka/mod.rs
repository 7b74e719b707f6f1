//! Kafka client settings shared by every service, so delivery guarantees are set in one place.

use std::time::Duration;

use rdkafka::consumer::{Consumer, ConsumerContext};
use rdkafka::error::KafkaResult;
use rdkafka::ClientConfig;

/// Environment variable naming the bootstrap brokers (`host:port,...`).
pub const BROKERS_ENV: &str = "OPTIVIEW_KAFKA_BROKERS";
pub const DEFAULT_BROKERS: &str = "127.0.0.1:9092";

/// The start of every client's configuration: the brokers and how to authenticate to them
/// (`security`, from the environment).
///
/// Panics when the environment's security settings are invalid; services check them first
/// (`security::validated_from_env`) and exit with the problem instead.
pub fn client_config(brokers: &str) -> ClientConfig {
    match security::from_env_once() {
        Ok(settings) => client_config_with(brokers, settings),
        Err(problem) => panic!("Kafka security settings: {problem}"),
    }
}

/// [`client_config`] with explicit security settings.
pub fn client_config_with(brokers: &str, security: &security::KafkaSecurity) -> ClientConfig {
    let mut config = ClientConfig::new();
    config.set("bootstrap.servers", brokers);
    security.apply(&mut config);
    config
}

/// A producer that loses nothing it acknowledged: acks from all in-sync replicas, idempotent
/// retries (no duplicates, order kept per partition), lz4 batches with a short linger.
/// The collector answers only after the acknowledgement, so linger is request latency: 2 ms
/// measured p99 ≈ 18 ms at half load against 23 ms with 5 ms, at 0.80× vs 0.93× of the
/// bare producer's throughput (edge_load). Nagle off: produce requests are latency-bound.
pub fn producer_config(brokers: &str) -> ClientConfig {
    let mut config = client_config(brokers);
    config
        .set("acks", "all")
        .set("enable.idempotence", "true")
        .set("compression.type", "lz4")
        .set("linger.ms", "2")
        .set("socket.nagle.disable", "true")
        .set("message.timeout.ms", "30000")
        // librdkafka's default, named: the sessions rebuild computes the same (partitioner.rs).
        .set("partitioner", partitioner::PARTITIONER);
    config
}

/// A group consumer whose offsets move only when the caller stores them after its output is
/// durable: auto-commit commits only what was explicitly stored.
pub fn consumer_config(brokers: &str, group_id: &str) -> ClientConfig {
    let mut config = client_config(brokers);
    config
        .set("group.id", group_id)
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("auto.offset.reset", "earliest")
        .set("enable.partition.eof", "false")
        .set("session.timeout.ms", "10000");
    config
}

/// The partition ids of `topic`, from the cluster's metadata.
pub fn partition_ids<C: ConsumerContext, K: Consumer<C>>(
    consumer: &K,
    topic: &str,
    timeout: Duration,
) -> KafkaResult<Vec<i32>> {
    let metadata = consumer.fetch_metadata(Some(topic), timeout)?;
    Ok(metadata
        .topics()
        .iter()
        .flat_map(|t| t.partitions().iter().map(|p| p.id()))
        .collect())
}

pub mod admin;
pub mod errors;
pub mod partitioner;
pub mod security;

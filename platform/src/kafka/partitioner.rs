//! Which partition a keyed record lands on, computed as the producers compute it. Every producer
//! is built from `producer_config`, which names librdkafka's `consistent_random` partitioner:
//! CRC-32 (IEEE) of the key modulo the partition count (random only for records without a key,
//! which the visitor-keyed topics never have). Rebuilding the sessions changelog for a new
//! partition count relies on this being exactly where the collector's beacons go.

/// The `partitioner` setting of every producer.
pub const PARTITIONER: &str = "consistent_random";

/// The partition of `partitions` that a record keyed `key` is produced to.
///
/// Panics when `partitions` is not positive (a topic has at least one partition).
pub fn partition_for(key: &[u8], partitions: i32) -> i32 {
    let count = u32::try_from(partitions)
        .ok()
        .filter(|&n| n > 0)
        .expect("a topic has at least one partition");
    // librdkafka: rd_crc32(key, keylen) % partition_cnt, unsigned.
    i32::try_from(crc32fast::hash(key) % count).expect("below an i32 partition count")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_partition_is_the_keys_crc32_modulo_the_count() {
        // CRC-32/ISO-HDLC's check value: crc32("123456789") = 0xCBF43926 = 3421780262.
        assert_eq!(crc32fast::hash(b"123456789"), 0xCBF4_3926);
        assert_eq!(
            partition_for(b"123456789", 6),
            (3_421_780_262u64 % 6) as i32
        );
        assert_eq!(partition_for(b"123456789", 1), 0);
        assert!((0..1000).all(|i| {
            let p = partition_for(format!("7:v{i}").as_bytes(), 12);
            (0..12).contains(&p)
        }));
    }

    #[test]
    fn every_producer_names_the_partitioner_computed_here() {
        let producer = crate::kafka::producer_config("127.0.0.1:9092");
        assert_eq!(producer.get("partitioner"), Some(PARTITIONER));
    }
}

//! What a Kafka client error means for a retry, decided here for every caller by librdkafka's
//! error code.

use rdkafka::error::KafkaError;
use rdkafka::types::RDKafkaErrorCode;

pub use crate::retry::Retry;

/// Codes with which the broker (or librdkafka before sending) refuses the record itself.
const RECORD_REFUSED: &[RDKafkaErrorCode] = &[
    RDKafkaErrorCode::MessageSizeTooLarge,
    RDKafkaErrorCode::InvalidMessageSize,
    RDKafkaErrorCode::InvalidMessage,
    RDKafkaErrorCode::InvalidRecord,
    RDKafkaErrorCode::BadMessage,
    RDKafkaErrorCode::InvalidArgument,
];

pub fn classify_code(code: RDKafkaErrorCode) -> Retry {
    // Anything else — brokers down, leaders moving, timeouts, a topic or an ACL not there yet —
    // may pass later; a record must not become a dead letter because of the broker's state.
    if RECORD_REFUSED.contains(&code) {
        Retry::Permanent
    } else {
        Retry::Transient
    }
}

pub fn classify(error: &KafkaError) -> Retry {
    match error.rdkafka_error_code() {
        Some(code) => classify_code(code),
        None => Retry::Transient,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_the_broker_refuses_is_permanent() {
        for code in [
            RDKafkaErrorCode::MessageSizeTooLarge,
            RDKafkaErrorCode::InvalidRecord,
        ] {
            assert_eq!(classify_code(code), Retry::Permanent, "{code:?}");
        }
        assert_eq!(
            classify(&KafkaError::MessageProduction(
                RDKafkaErrorCode::MessageSizeTooLarge
            )),
            Retry::Permanent
        );
    }

    #[test]
    fn the_brokers_state_is_transient() {
        for code in [
            RDKafkaErrorCode::AllBrokersDown,
            RDKafkaErrorCode::MessageTimedOut,
            RDKafkaErrorCode::NotLeaderForPartition,
            RDKafkaErrorCode::UnknownTopicOrPartition,
            RDKafkaErrorCode::TopicAuthorizationFailed,
            RDKafkaErrorCode::QueueFull,
            RDKafkaErrorCode::Authentication,
        ] {
            assert_eq!(classify_code(code), Retry::Transient, "{code:?}");
        }
    }
}

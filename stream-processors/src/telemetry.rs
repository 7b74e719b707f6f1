//! Metric names, in one place so they can be found by grep.

pub const RECORDS_CONSUMED: &str = "optiview_processor_records_consumed_total";
pub const ROWS_INSERTED: &str = "optiview_processor_rows_inserted_total";
pub const INSERT_RETRIES: &str = "optiview_processor_insert_retries_total";
pub const DEAD_LETTERS: &str = "optiview_processor_dead_letters_total";
/// Dead letters the broker refused for good (too large): lost, so counted.
pub const DEAD_LETTERS_REFUSED: &str = "optiview_processor_dead_letters_refused_total";
pub const BATCH_SECONDS: &str = "optiview_processor_batch_seconds";
pub const TOO_LATE_FOR_SESSION: &str = "optiview_processor_too_late_for_session_total";
/// Server hits whose sealed address had lost its key (processed after the verification window).
pub const ADDRESSES_EXPIRED: &str = "optiview_processor_addresses_expired_total";
/// Sealed addresses that did not open with their day's key (damaged, or not this event's).
pub const ADDRESSES_UNREADABLE: &str = "optiview_processor_addresses_unreadable_total";
/// Sealed addresses whose key should exist (within the window) but is not in the directory.
pub const ADDRESSES_KEY_MISSING: &str = "optiview_processor_addresses_key_missing_total";
/// Reverse-DNS checks that ended, by outcome (verified, spoofed, undecided).
pub const RDNS_LOOKUPS: &str = "optiview_processor_rdns_lookups_total";
/// Lookups not started because the bound on those running was reached.
pub const RDNS_LOOKUPS_REFUSED: &str = "optiview_processor_rdns_lookups_refused_total";
/// Server hits held back for a reverse-DNS verdict …
pub const RDNS_HELD: &str = "optiview_processor_rdns_held_total";
/// … written without waiting instead (room or lookups full) …
pub const RDNS_NOT_HELD: &str = "optiview_processor_rdns_not_held_total";
/// … released into a batch, `how` = answered (with DNS's verdict) or unanswered (without) …
pub const RDNS_RELEASED: &str = "optiview_processor_rdns_released_total";
/// … and waiting now.
pub const RDNS_WAITING: &str = "optiview_processor_rdns_waiting";
pub const CHANGELOG_RECORDS: &str = "optiview_processor_changelog_records_total";
pub const SESSIONS_RESTORED: &str = "optiview_processor_partitions_restored_total";
pub const CONSUMER_LAG: &str = "optiview_processor_consumer_lag";
pub const CONSUMER_REJOINS: &str = "optiview_processor_consumer_rejoins_total";
pub const ACTIVE_VISITORS: &str = "optiview_processor_active_visitors";
pub const ALERTS_SENT: &str = "optiview_health_alerts_sent_total";
pub const ALERTS_FAILED: &str = "optiview_health_alert_delivery_failures_total";
pub const HEALTH_ERROR_RATE: &str = "optiview_health_error_rate";
pub const HEALTH_P95_MS: &str = "optiview_health_p95_ms";
pub const HEALTH_LATE_RECORDS: &str = "optiview_health_late_records_total";
pub const GROUP_LAG: &str = "optiview_health_consumer_group_lag";
pub const JOB_RUNS: &str = "optiview_jobs_runs_total";

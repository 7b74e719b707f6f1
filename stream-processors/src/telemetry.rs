//! Metric names, in one place so they can be found by grep.

pub const RECORDS_CONSUMED: &str = "optiview_processor_records_consumed_total";
pub const ROWS_INSERTED: &str = "optiview_processor_rows_inserted_total";
pub const INSERT_RETRIES: &str = "optiview_processor_insert_retries_total";
pub const DEAD_LETTERS: &str = "optiview_processor_dead_letters_total";
pub const BATCH_SECONDS: &str = "optiview_processor_batch_seconds";

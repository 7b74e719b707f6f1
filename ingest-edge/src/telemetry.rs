//! Metric names, in one place so they can be found by grep.

pub const REQUESTS: &str = "optiview_edge_requests_total";
pub const REQUEST_SECONDS: &str = "optiview_edge_request_duration_seconds";
pub const EVENTS_ACCEPTED: &str = "optiview_edge_events_accepted_total";
pub const EVENTS_PRODUCED: &str = "optiview_edge_events_produced_total";
pub const PRODUCE_ERRORS: &str = "optiview_edge_produce_errors_total";
pub const IN_FLIGHT: &str = "optiview_edge_events_in_flight";

//! Request bodies to validated values. Pure: every error names the offending field.

pub mod collect;
pub mod hits;
mod limits;

pub use collect::{parse_collect, CollectBatch, IncomingEvent};
pub use hits::{parse_hits, IncomingHit};
pub use limits::truncate_chars;

/// Host of an origin or URL (`https://www.acme.com:8443` → `www.acme.com`).
pub fn collect_host(url: &str) -> Option<String> {
    limits::url_host(url)
}

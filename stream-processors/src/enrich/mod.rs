//! Pure enrichment shared by every processor: user-agent class, AI referral source, URL
//! normalization and content type. The catalogs are data (`schemas::catalog`), compiled into
//! matchers once at start.

pub mod bots;
pub mod browser;
pub mod enricher;
pub mod event;
pub mod network;
pub mod nonbrowser;
pub mod operators;
pub mod page;
pub mod referral;
pub mod resource;
pub mod robots;
pub mod ua_cache;
pub mod user_agent;
pub mod verify;
pub mod web_bot_auth;

pub use event::{Crawl, EnrichedEvent, Network};
pub use referral::{Attribution, Attributor};
pub use user_agent::{Classifier, UaClass};

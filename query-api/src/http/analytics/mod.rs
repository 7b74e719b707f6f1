//! The dashboards API: read-only, parameterized ClickHouse queries scoped to one project the
//! principal may see.

pub mod content;
pub mod conversions;
pub mod crawler_evidence;
pub mod crawler_rows;
pub mod crawlers;
pub mod events;
pub mod install;
pub mod journeys;
pub mod referrals;
pub mod request;
pub mod robots;
pub mod series;
pub mod sessions;
pub mod sql;
pub mod window;

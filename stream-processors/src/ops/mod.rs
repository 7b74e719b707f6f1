//! The processor's own health: what the loop reports, how far behind its group is, whether it is
//! stuck, and the HTTP endpoints that show it.

pub mod backlog;
pub mod group_lag;
pub mod server;
pub mod status;
pub mod watchdog;

//! The processor's own health: what the loop reports, and the HTTP endpoints that show it.

pub mod server;
pub mod status;

//! The HTTP API: the route table (every route public or behind a principal, in one place), JSON
//! errors with request ids, authentication, and the handlers.

pub mod access;
pub mod admin_health;
pub mod analytics;
pub mod auth;
pub mod control;
pub mod error;
pub mod openapi;
pub mod rate_limit;
pub mod request_id;
pub mod route_spec;
pub mod routes;
pub mod server;
pub mod state;
pub mod telemetry;
pub mod vocabulary;
pub mod web;

//! query-api: dashboards JSON, analyst API, the control plane's only writer, and ops commands.

pub mod admin_cli;
pub mod ai_catalog;
pub mod api_keys;
pub mod control_writer;
pub mod demo;
pub mod http;
pub mod ops;
pub mod users;

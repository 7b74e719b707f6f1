//! The control plane over HTTP: each write is a command the writer validates against its view,
//! produces to `optiview.control.v1`, and answers once its own view applied it.

pub mod ai_sources;
pub mod keys;
pub mod members;
pub mod organizations;
pub mod projects;
pub mod properties;
pub mod tokens;
pub mod users;

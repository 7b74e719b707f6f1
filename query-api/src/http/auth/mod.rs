//! Who is calling: magic-link sign-in with a session cookie (CSRF-checked writes), and the
//! `Principal` extractor every non-public handler takes.

pub mod handlers;
pub mod links;
pub mod mail;
pub mod outbox;
pub mod principal;
pub mod store;

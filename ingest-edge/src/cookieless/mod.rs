//! Cookieless mode: the tag stores nothing on the device, and the edge derives the visitor id from
//! a salt that rotates every UTC day and is destroyed after 48 hours.

pub mod salts;
pub mod visitor;

pub use salts::{purge_every, salt_lifetime, CookielessSalts};
pub use visitor::visitor_id;

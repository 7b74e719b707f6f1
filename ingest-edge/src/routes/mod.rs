//! HTTP handlers, one file per route family.

pub mod collect;
pub mod health;
pub mod hits;
pub mod key_access;
pub mod tag;

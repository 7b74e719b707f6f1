//! Sessionization: the synchronous core (`Sessionizer::apply`) that the consumer loop drives.

mod core;
mod session;

pub use core::{Output, SessionConfig, Sessionizer};
pub use session::{Session, Step, Visit};

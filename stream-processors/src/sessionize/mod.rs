//! Sessionization: the synchronous core (`Sessionizer::apply`) that the consumer loop drives, and
//! its changelog form on `optiview.sessions.v1`.

pub mod changelog;
mod core;
mod session;

pub use core::{Applied, Placement, Restored, SessionConfig, Sessionizer};
pub use session::{fingerprint, AiTouch, Session, Visit, Visitor};

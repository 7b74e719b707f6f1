//! Sessionization: the synchronous core (`Sessionizer::apply`) that the consumer loop drives, and
//! its changelog form on `optiview.sessions.v1`.

pub mod changelog;
mod core;
mod interner;
mod session;

pub use core::{Applied, Placement, Restored, SessionConfig, Sessionizer};
pub use interner::Interner;
pub use session::{
    canonical_utm, fingerprint, utm_pairs, AiTouch, Session, SessionId, Visit, Visitor,
};

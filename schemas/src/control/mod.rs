//! The control plane's contract: entities, events, the fold every service keeps, validation.

pub mod command;
pub mod domain;
pub mod events;
pub mod follower;
pub mod ids;
pub mod view;

pub use command::{Command, CommandError};
pub use events::*;
pub use follower::{follow, ControlHandle, FollowerError};
pub use view::{ControlView, KeyContext};

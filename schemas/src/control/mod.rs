//! The control plane's contract: entities, events, the fold every service keeps, validation.
//! The follower that keeps a view current from the topic is `platform::control_follower`.

pub mod command;
pub mod domain;
pub mod events;
pub mod ids;
pub mod view;

pub use command::{
    ChangePlan, CommandError, CreateAnalystToken, CreateApiKey, CreateOrganization, CreateProject,
    CreateProperty, CreateUser, Decide, Decision, ProjectCreated, RecordSignIn, RevokeAnalystToken,
    RevokeApiKey, SetAiSources, SetMembership, SetPlatformAdmin, SetUserActive, Stamp,
    UpdateProperty,
};
pub use events::*;
pub use view::{ControlView, KeyContext};

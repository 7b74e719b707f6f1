//! Command validation: the view decides whether a command is allowed and which events it yields.
//! Pure: ids, secrets and the clock come in with the command, so deciding is deterministic.
//!
//! Each command is its own type whose [`Decide`] impl names what it creates or changes, so a
//! caller reads `decision.outcome.default_property` instead of picking events by position.

mod analyst_token;
mod api_key;
mod checks;
mod error;
mod membership;
mod organization;
mod project;
mod property;
mod user;

pub use analyst_token::{CreateAnalystToken, RevokeAnalystToken};
pub use api_key::{CreateApiKey, RevokeApiKey};
pub use error::CommandError;
pub use membership::SetMembership;
pub use organization::{ChangePlan, CreateOrganization};
pub use project::{CreateProject, ProjectCreated, SetAiSources};
pub use property::{CreateProperty, UpdateProperty};
pub use user::{CreateUser, RecordSignIn, SetPlatformAdmin, SetUserActive};

use super::events::{ControlEvent, Entity};
use super::view::ControlView;

/// A command the control view can validate.
pub trait Decide {
    /// The entities the command creates or changes, in their state after it.
    type Outcome;

    /// Validates `self` against `view`; nothing is applied.
    fn decide(
        &self,
        view: &ControlView,
        stamp: Stamp<'_>,
    ) -> Result<Decision<Self::Outcome>, CommandError>;
}

/// An accepted command: what it yields, and the events that carry it out.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision<T> {
    pub outcome: T,
    /// In the order they must be produced and applied (a project before its default property).
    pub events: Vec<ControlEvent>,
}

impl<T> Decision<T> {
    fn one(outcome: T, event: ControlEvent) -> Self {
        Decision {
            outcome,
            events: vec![event],
        }
    }
}

/// Who issued a command and when: what every event of its decision records.
#[derive(Debug, Clone, Copy)]
pub struct Stamp<'a> {
    pub actor: &'a str,
    pub now_ms: i64,
}

impl Stamp<'_> {
    fn event(&self, action: &str, changed: &[&str], entity: Entity<'_>) -> ControlEvent {
        ControlEvent::new(self.actor, action, changed, self.now_ms, entity)
    }
}

impl ControlView {
    /// Validates `command` against the current state and returns what it yields with the events
    /// that carry it out.
    pub fn decide<C: Decide>(
        &self,
        actor: &str,
        now_ms: i64,
        command: &C,
    ) -> Result<Decision<C::Outcome>, CommandError> {
        command.decide(self, Stamp { actor, now_ms })
    }
}

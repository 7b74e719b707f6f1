//! A user's role in an organization.

use super::super::events::{Entity, Membership, Role};
use super::super::view::ControlView;
use super::{CommandError, Decide, Decision, Stamp};

#[derive(Debug, Clone, PartialEq)]
pub struct SetMembership {
    pub organization_id: String,
    pub user_id: String,
    pub role: Role,
    pub active: bool,
}

impl Decide for SetMembership {
    type Outcome = Membership;

    fn decide(
        &self,
        view: &ControlView,
        stamp: Stamp<'_>,
    ) -> Result<Decision<Membership>, CommandError> {
        view.existing_organization(&self.organization_id)?;
        view.existing_user(&self.user_id)?;
        let membership = Membership {
            organization_id: self.organization_id.clone(),
            user_id: self.user_id.clone(),
            role: self.role,
            active: self.active,
        };
        let event = stamp.event(
            "membership.set",
            &["role", "active"],
            Entity::Membership(&membership),
        );
        Ok(Decision::one(membership, event))
    }
}

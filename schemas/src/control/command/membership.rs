//! A user's role in an organization. Owners are guarded here, so every writer (API, CLI, demo)
//! is held to the same rules: only an owner (or a platform admin) makes, changes or removes an
//! owner, and an organization always keeps at least one active owner.

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

impl SetMembership {
    fn makes_owner(&self) -> bool {
        self.active && self.role == Role::Owner
    }
}

/// Whether `actor` may touch the owners of `organization_id`. An actor that is not a user is an
/// operator's tool (`admin-cli`, the demo setup) holding broker credentials, which already grant
/// everything; a user must be an active owner there or a platform admin.
fn may_manage_owners(view: &ControlView, actor: &str, organization_id: &str) -> bool {
    match view.user(actor) {
        None => true,
        Some(user) => {
            user.platform_admin || view.role_of(&user.id, organization_id) == Some(Role::Owner)
        }
    }
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
        let is_owner = view.role_of(&self.user_id, &self.organization_id) == Some(Role::Owner);
        if (is_owner || self.makes_owner())
            && !may_manage_owners(view, stamp.actor, &self.organization_id)
        {
            return Err(CommandError::OwnerRequired {
                organization_id: self.organization_id.clone(),
            });
        }
        if is_owner && !self.makes_owner() {
            let others = view
                .members_of(&self.organization_id)
                .filter(|m| m.active && m.role == Role::Owner && m.user_id != self.user_id)
                .count();
            if others == 0 {
                return Err(CommandError::LastOwner {
                    organization_id: self.organization_id.clone(),
                });
            }
        }
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

//! Organizations: creating one, changing its plan.

use super::super::domain;
use super::super::events::{Entity, Organization, Plan};
use super::super::view::ControlView;
use super::checks::{already_exists, require_id, require_name};
use super::{CommandError, Decide, Decision, Stamp};

#[derive(Debug, Clone, PartialEq)]
pub struct CreateOrganization {
    pub id: String,
    pub name: String,
    pub domain: String,
    pub plan: Plan,
}

impl Decide for CreateOrganization {
    type Outcome = Organization;

    fn decide(
        &self,
        view: &ControlView,
        stamp: Stamp<'_>,
    ) -> Result<Decision<Organization>, CommandError> {
        require_id("org", "id", &self.id)?;
        if view.organization(&self.id).is_some() {
            return Err(already_exists("organization", &self.id));
        }
        let organization = Organization {
            id: self.id.clone(),
            name: require_name("name", &self.name)?,
            domain: domain::normalize(&self.domain)?.host,
            plan: self.plan,
            created_at: stamp.now_ms,
        };
        let event = stamp.event(
            "organization.created",
            &["id", "name", "domain", "plan", "created_at"],
            Entity::Organization(&organization),
        );
        Ok(Decision::one(organization, event))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ChangePlan {
    pub organization_id: String,
    pub plan: Plan,
}

impl Decide for ChangePlan {
    type Outcome = Organization;

    fn decide(
        &self,
        view: &ControlView,
        stamp: Stamp<'_>,
    ) -> Result<Decision<Organization>, CommandError> {
        let mut organization = view.existing_organization(&self.organization_id)?.clone();
        organization.plan = self.plan;
        let event = stamp.event(
            "organization.plan_changed",
            &["plan"],
            Entity::Organization(&organization),
        );
        Ok(Decision::one(organization, event))
    }
}

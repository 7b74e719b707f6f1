//! A member's analyst tokens for one organization: issuing one, revoking it.

use super::super::events::{AnalystToken, Entity, TokenScope};
use super::super::view::ControlView;
use super::checks::{
    already_exists, invalid, not_found, require_hex_sha256, require_id, require_name,
};
use super::{CommandError, Decide, Decision, Stamp};

/// Only for an active member of the organization: a token never outlives its user's access.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateAnalystToken {
    pub id: String,
    pub organization_id: String,
    pub user_id: String,
    pub name: String,
    pub scope: TokenScope,
    pub secret_hash: String,
}

impl Decide for CreateAnalystToken {
    type Outcome = AnalystToken;

    fn decide(
        &self,
        view: &ControlView,
        stamp: Stamp<'_>,
    ) -> Result<Decision<AnalystToken>, CommandError> {
        require_id("tok", "id", &self.id)?;
        if view.analyst_token(&self.id).is_some() {
            return Err(already_exists("analyst token", &self.id));
        }
        view.existing_organization(&self.organization_id)?;
        if view.role_of(&self.user_id, &self.organization_id).is_none() {
            return Err(invalid(
                "user_id",
                "must be an active member of the organization",
            ));
        }
        require_hex_sha256(&self.secret_hash)?;
        let token = AnalystToken {
            id: self.id.clone(),
            organization_id: self.organization_id.clone(),
            user_id: self.user_id.clone(),
            name: require_name("name", &self.name)?,
            scope: self.scope,
            secret_hash: self.secret_hash.clone(),
            revoked: false,
            created_at: stamp.now_ms,
        };
        let event = stamp.event(
            "analyst_token.created",
            &[
                "id",
                "organization_id",
                "user_id",
                "name",
                "scope",
                "secret_hash",
                "created_at",
            ],
            Entity::AnalystToken(&token),
        );
        Ok(Decision::one(token, event))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct RevokeAnalystToken {
    pub token_id: String,
}

impl Decide for RevokeAnalystToken {
    type Outcome = AnalystToken;

    fn decide(
        &self,
        view: &ControlView,
        stamp: Stamp<'_>,
    ) -> Result<Decision<AnalystToken>, CommandError> {
        let mut token = view
            .analyst_token(&self.token_id)
            .ok_or_else(|| not_found("analyst token", &self.token_id))?
            .clone();
        token.revoked = true;
        let event = stamp.event(
            "analyst_token.revoked",
            &["revoked"],
            Entity::AnalystToken(&token),
        );
        Ok(Decision::one(token, event))
    }
}

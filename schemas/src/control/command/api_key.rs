//! A property's API keys: issuing one (its secret hashed by the caller), revoking it.

use super::super::events::{ApiKey, Entity, Permission};
use super::super::view::ControlView;
use super::checks::{
    already_exists, invalid, not_found, require_hex_sha256, require_id, require_name,
};
use super::{CommandError, Decide, Decision, Stamp};

#[derive(Debug, Clone, PartialEq)]
pub struct CreateApiKey {
    pub id: String,
    pub property_id: i64,
    pub name: String,
    pub permissions: Vec<Permission>,
    pub secret_hash: String,
}

impl Decide for CreateApiKey {
    type Outcome = ApiKey;

    fn decide(
        &self,
        view: &ControlView,
        stamp: Stamp<'_>,
    ) -> Result<Decision<ApiKey>, CommandError> {
        require_id("key", "id", &self.id)?;
        if view.api_key(&self.id).is_some() {
            return Err(already_exists("api key", &self.id));
        }
        let property = view.existing_property(self.property_id)?;
        if self.permissions.is_empty() {
            return Err(invalid(
                "permissions",
                "at least one of collect, hits, read",
            ));
        }
        require_hex_sha256(&self.secret_hash)?;
        let mut permissions = self.permissions.clone();
        permissions.sort_by_key(|p| *p as u8);
        permissions.dedup();
        let key = ApiKey {
            id: self.id.clone(),
            project_id: property.project_id.clone(),
            property_id: self.property_id,
            name: require_name("name", &self.name)?,
            permissions,
            secret_hash: self.secret_hash.clone(),
            revoked: false,
            created_at: stamp.now_ms,
        };
        let event = stamp.event(
            "api_key.created",
            &[
                "id",
                "project_id",
                "property_id",
                "name",
                "permissions",
                "secret_hash",
                "created_at",
            ],
            Entity::ApiKey(&key),
        );
        Ok(Decision::one(key, event))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct RevokeApiKey {
    pub key_id: String,
}

impl Decide for RevokeApiKey {
    type Outcome = ApiKey;

    fn decide(
        &self,
        view: &ControlView,
        stamp: Stamp<'_>,
    ) -> Result<Decision<ApiKey>, CommandError> {
        let mut key = view
            .api_key(&self.key_id)
            .ok_or_else(|| not_found("api key", &self.key_id))?
            .clone();
        key.revoked = true;
        let event = stamp.event("api_key.revoked", &["revoked"], Entity::ApiKey(&key));
        Ok(Decision::one(key, event))
    }
}

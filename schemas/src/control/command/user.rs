//! Users: creating one, granting or withdrawing platform admin.

use super::super::events::{Entity, User};
use super::super::view::ControlView;
use super::checks::{already_exists, invalid, require_id, require_name};
use super::{CommandError, Decide, Decision, Stamp};

#[derive(Debug, Clone, PartialEq)]
pub struct CreateUser {
    pub id: String,
    pub email: String,
    pub name: String,
}

impl Decide for CreateUser {
    type Outcome = User;

    fn decide(&self, view: &ControlView, stamp: Stamp<'_>) -> Result<Decision<User>, CommandError> {
        require_id("usr", "id", &self.id)?;
        if view.user(&self.id).is_some() {
            return Err(already_exists("user", &self.id));
        }
        let email = self.email.trim().to_lowercase();
        let valid_email = email.split_once('@').is_some_and(|(local, host)| {
            !local.is_empty() && host.contains('.') && !email.contains(char::is_whitespace)
        });
        if !valid_email {
            return Err(invalid("email", "must look like name@example.com"));
        }
        if view.user_by_email(&email).is_some() {
            return Err(already_exists("user with email", email));
        }
        let user = User {
            id: self.id.clone(),
            email,
            name: require_name("name", &self.name)?,
            created_at: stamp.now_ms,
            platform_admin: false,
        };
        let event = stamp.event(
            "user.created",
            &["id", "email", "name", "created_at"],
            Entity::User(&user),
        );
        Ok(Decision::one(user, event))
    }
}

/// Grants or withdraws the platform-admin flag.
#[derive(Debug, Clone, PartialEq)]
pub struct SetPlatformAdmin {
    pub user_id: String,
    pub platform_admin: bool,
}

impl Decide for SetPlatformAdmin {
    type Outcome = User;

    fn decide(&self, view: &ControlView, stamp: Stamp<'_>) -> Result<Decision<User>, CommandError> {
        let mut user = view.existing_user(&self.user_id)?.clone();
        user.platform_admin = self.platform_admin;
        let event = stamp.event(
            "user.platform_admin_changed",
            &["platform_admin"],
            Entity::User(&user),
        );
        Ok(Decision::one(user, event))
    }
}

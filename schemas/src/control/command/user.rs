//! Users: creating one, granting or withdrawing platform admin, deactivating and reactivating,
//! and recording a sign-in. The platform always keeps one active platform admin, and nobody
//! deactivates their own account, so these rules hold for the API and the admin CLI alike.

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
            deactivated_at: None,
            last_sign_in_at: None,
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
        if self.platform_admin && !user.is_active() {
            return Err(CommandError::Deactivated {
                user_id: user.id.clone(),
            });
        }
        if !self.platform_admin {
            refuse_last_platform_admin(view, &user)?;
        }
        user.platform_admin = self.platform_admin;
        let event = stamp.event(
            "user.platform_admin_changed",
            &["platform_admin"],
            Entity::User(&user),
        );
        Ok(Decision::one(user, event))
    }
}

/// Refuses to take the last active platform admin away (by withdrawing the flag or by
/// deactivating them): nobody could then create organizations or reactivate anyone.
fn refuse_last_platform_admin(view: &ControlView, user: &User) -> Result<(), CommandError> {
    if !(user.platform_admin && user.is_active()) {
        return Ok(());
    }
    let others = view
        .users()
        .filter(|u| u.platform_admin && u.is_active() && u.id != user.id)
        .count();
    if others == 0 {
        return Err(CommandError::LastPlatformAdmin {
            user_id: user.id.clone(),
        });
    }
    Ok(())
}

/// Deactivates (`active: false`) or reactivates a user. Deactivation keeps their memberships and
/// tokens as they are, so reactivating restores their access; while deactivated, the API refuses
/// every credential of theirs.
#[derive(Debug, Clone, PartialEq)]
pub struct SetUserActive {
    pub user_id: String,
    pub active: bool,
}

impl Decide for SetUserActive {
    type Outcome = User;

    fn decide(&self, view: &ControlView, stamp: Stamp<'_>) -> Result<Decision<User>, CommandError> {
        let mut user = view.existing_user(&self.user_id)?.clone();
        if self.active {
            user.deactivated_at = None;
        } else {
            if stamp.actor == user.id {
                return Err(CommandError::OwnAccount {
                    user_id: user.id.clone(),
                });
            }
            refuse_last_platform_admin(view, &user)?;
            // Deactivating twice keeps the first time: when access actually ended.
            user.deactivated_at = user.deactivated_at.or(Some(stamp.now_ms));
        }
        let action = if self.active {
            "user.reactivated"
        } else {
            "user.deactivated"
        };
        let event = stamp.event(action, &["deactivated_at"], Entity::User(&user));
        Ok(Decision::one(user, event))
    }
}

/// A followed sign-in link, recorded so every instance (and the next start) knows when the user
/// last signed in, and which invitations were never taken up. A deactivated user's is refused,
/// which also closes the race with a deactivation decided a moment before.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordSignIn {
    pub user_id: String,
}

impl Decide for RecordSignIn {
    type Outcome = User;

    fn decide(&self, view: &ControlView, stamp: Stamp<'_>) -> Result<Decision<User>, CommandError> {
        let mut user = view.existing_user(&self.user_id)?.clone();
        if !user.is_active() {
            return Err(CommandError::Deactivated {
                user_id: user.id.clone(),
            });
        }
        user.last_sign_in_at = Some(stamp.now_ms);
        let event = stamp.event("user.signed_in", &["last_sign_in_at"], Entity::User(&user));
        Ok(Decision::one(user, event))
    }
}

//! Why a command was refused.

use super::super::domain::DomainError;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    #[error("{kind} {id} not found")]
    NotFound { kind: &'static str, id: String },
    #[error("{kind} {id} already exists")]
    AlreadyExists { kind: &'static str, id: String },
    #[error("invalid {field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    #[error("invalid domain: {0}")]
    Domain(#[from] DomainError),
    /// A user who is neither an owner of the organization nor a platform admin tried to make,
    /// change or remove an owner.
    #[error("only an owner of organization {organization_id} changes its owners")]
    OwnerRequired { organization_id: String },
    /// The change would leave the organization without an active owner.
    #[error("organization {organization_id} would be left without an owner")]
    LastOwner { organization_id: String },
    /// A platform admin tried to deactivate their own account: they would lock themselves out
    /// with nobody asked.
    #[error("user {user_id} cannot deactivate their own account")]
    OwnAccount { user_id: String },
    /// The change would leave the platform without an active platform admin, so nobody could
    /// create organizations or reactivate anyone.
    #[error("user {user_id} is the last active platform admin")]
    LastPlatformAdmin { user_id: String },
    /// The user is deactivated: they cannot sign in, nor be granted platform admin.
    #[error("user {user_id} is deactivated")]
    Deactivated { user_id: String },
}

impl CommandError {
    /// Machine-readable code for API error bodies.
    pub fn code(&self) -> &'static str {
        match self {
            CommandError::NotFound { .. } => "not_found",
            CommandError::AlreadyExists { .. } => "already_exists",
            CommandError::Invalid { .. } => "invalid_field",
            CommandError::Domain(_) => "invalid_domain",
            CommandError::OwnerRequired { .. } => "owner_required",
            CommandError::LastOwner { .. } => "last_owner",
            CommandError::OwnAccount { .. } => "own_account",
            CommandError::LastPlatformAdmin { .. } => "last_platform_admin",
            CommandError::Deactivated { .. } => "user_deactivated",
        }
    }
}

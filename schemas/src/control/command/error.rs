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
        }
    }
}

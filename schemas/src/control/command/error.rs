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
}

impl CommandError {
    /// Machine-readable code for API error bodies.
    pub fn code(&self) -> &'static str {
        match self {
            CommandError::NotFound { .. } => "not_found",
            CommandError::AlreadyExists { .. } => "already_exists",
            CommandError::Invalid { .. } => "invalid_field",
            CommandError::Domain(_) => "invalid_domain",
        }
    }
}

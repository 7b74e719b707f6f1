//! Checks several commands share: id and name shapes, secret hashes, references that must exist.

use super::super::events::{Organization, Project, Property, User};
use super::super::ids::is_valid_id;
use super::super::view::ControlView;
use super::CommandError;

pub(super) fn invalid(field: &'static str, reason: impl Into<String>) -> CommandError {
    CommandError::Invalid {
        field,
        reason: reason.into(),
    }
}

pub(super) fn require_id(
    prefix: &'static str,
    field: &'static str,
    id: &str,
) -> Result<(), CommandError> {
    if is_valid_id(prefix, id) {
        Ok(())
    } else {
        Err(invalid(
            field,
            format!("must be {prefix}_ followed by 10 letters or digits"),
        ))
    }
}

/// The trimmed name.
pub(super) fn require_name(field: &'static str, name: &str) -> Result<String, CommandError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(invalid(field, "must be 1 to 200 characters"));
    }
    Ok(name.to_owned())
}

pub(super) fn require_hex_sha256(secret_hash: &str) -> Result<(), CommandError> {
    if secret_hash.len() == 64 && secret_hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(())
    } else {
        Err(invalid("secret_hash", "must be a hex SHA-256"))
    }
}

pub(super) fn already_exists(kind: &'static str, id: impl Into<String>) -> CommandError {
    CommandError::AlreadyExists {
        kind,
        id: id.into(),
    }
}

pub(super) fn not_found(kind: &'static str, id: impl Into<String>) -> CommandError {
    CommandError::NotFound {
        kind,
        id: id.into(),
    }
}

impl ControlView {
    pub(super) fn existing_organization(&self, id: &str) -> Result<&Organization, CommandError> {
        self.organization(id)
            .ok_or_else(|| not_found("organization", id))
    }

    pub(super) fn existing_user(&self, id: &str) -> Result<&User, CommandError> {
        self.user(id).ok_or_else(|| not_found("user", id))
    }

    pub(super) fn existing_project(&self, id: &str) -> Result<&Project, CommandError> {
        self.project(id).ok_or_else(|| not_found("project", id))
    }

    pub(super) fn existing_property(&self, id: i64) -> Result<&Property, CommandError> {
        self.property(id)
            .ok_or_else(|| not_found("property", id.to_string()))
    }
}

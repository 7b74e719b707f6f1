//! The checks every authenticated route makes on a resolved key, in the order that tells the
//! caller the most precise error.

use schemas::control::{KeyContext, Permission};

use crate::error::EdgeError;

pub fn require(ctx: &KeyContext<'_>, permission: Permission) -> Result<(), EdgeError> {
    if ctx.key.revoked {
        return Err(EdgeError::RevokedKey);
    }
    if !ctx.key.permissions.contains(&permission) {
        return Err(EdgeError::MissingPermission(match permission {
            Permission::Collect => "collect",
            Permission::Hits => "hits",
            Permission::Read => "read",
        }));
    }
    if !ctx.property.active {
        return Err(EdgeError::InactiveProperty);
    }
    Ok(())
}

//! Whether a crawler hit is from the operator it claims.

use serde::{Deserialize, Serialize};

use super::Vocabulary;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Verification {
    /// From an address the claimed operator publishes.
    Verified,
    /// Claims an operator that publishes addresses, from an address outside them.
    Spoofed,
    /// The claimed agent's operator publishes nothing to check against.
    Unverifiable,
    /// The operator publishes addresses, but the hit's own address was gone before it could be
    /// checked: its day's key was destroyed at the end of the verification window.
    Unchecked,
}

impl Vocabulary for Verification {
    const ALL: &'static [Self] = &[
        Verification::Verified,
        Verification::Spoofed,
        Verification::Unverifiable,
        Verification::Unchecked,
    ];

    fn as_str(self) -> &'static str {
        match self {
            Verification::Verified => "verified",
            Verification::Spoofed => "spoofed",
            Verification::Unverifiable => "unverifiable",
            Verification::Unchecked => "unchecked",
        }
    }
}

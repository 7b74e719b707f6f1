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

/// How a verdict of [`Verification::Verified`] or [`Verification::Spoofed`] was reached. The
/// strongest evidence the hit carries decides: a signature speaks for the request itself, a
/// reverse-DNS name and a published range for its address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum VerificationMethod {
    /// Web Bot Auth: an HTTP message signature (RFC 9421) by a key in the operator's directory.
    WebBotAuth,
    /// Forward-confirmed reverse DNS: the address's name is in the operator's domain and that
    /// name resolves back to the address.
    ReverseDns,
    /// The address is in (or outside) the ranges the operator publishes.
    IpRanges,
}

impl Vocabulary for VerificationMethod {
    const ALL: &'static [Self] = &[
        VerificationMethod::WebBotAuth,
        VerificationMethod::ReverseDns,
        VerificationMethod::IpRanges,
    ];

    fn as_str(self) -> &'static str {
        match self {
            VerificationMethod::WebBotAuth => "web_bot_auth",
            VerificationMethod::ReverseDns => "reverse_dns",
            VerificationMethod::IpRanges => "ip_ranges",
        }
    }
}

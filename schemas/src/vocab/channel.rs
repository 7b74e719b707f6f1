//! How a visit arrived: the channel of its referrer (or URL markers).

use serde::{Deserialize, Serialize};

use super::Vocabulary;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// An AI assistant or answer engine (referrer or URL marker).
    Ai,
    Search,
    Social,
    /// A webmail client (a link in an e-mail opened in the browser).
    Email,
    /// Any other site.
    Referral,
    /// No referrer.
    Direct,
    /// A page of the same site.
    Internal,
}

impl Vocabulary for Channel {
    const ALL: &'static [Self] = &[
        Channel::Ai,
        Channel::Search,
        Channel::Social,
        Channel::Email,
        Channel::Referral,
        Channel::Direct,
        Channel::Internal,
    ];

    fn as_str(self) -> &'static str {
        match self {
            Channel::Ai => "ai",
            Channel::Search => "search",
            Channel::Social => "social",
            Channel::Email => "email",
            Channel::Referral => "referral",
            Channel::Direct => "direct",
            Channel::Internal => "internal",
        }
    }
}

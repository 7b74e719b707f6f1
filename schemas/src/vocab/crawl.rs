//! What a robot asked for, and whether the site's robots.txt let it.

use serde::{Deserialize, Serialize};

use super::Vocabulary;

/// A crawler hit's verdict under the property's robots.txt (RFC 9309), for the agent's product
/// token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RobotsVerdict {
    /// A rule of the group that applies to the agent allows the path.
    Allowed,
    /// A rule of the group that applies to the agent disallows the path.
    Disallowed,
    /// The file has no rule for this agent and path (or the site has no robots.txt): allowed by
    /// default, but nobody decided it.
    NoRule,
    /// No robots.txt was known for the property when the hit was processed.
    Unknown,
}

impl Vocabulary for RobotsVerdict {
    const ALL: &'static [Self] = &[
        RobotsVerdict::Allowed,
        RobotsVerdict::Disallowed,
        RobotsVerdict::NoRule,
        RobotsVerdict::Unknown,
    ];

    fn as_str(self) -> &'static str {
        match self {
            RobotsVerdict::Allowed => "allowed",
            RobotsVerdict::Disallowed => "disallowed",
            RobotsVerdict::NoRule => "no_rule",
            RobotsVerdict::Unknown => "unknown",
        }
    }
}

/// The files written for machines that a crawler hit asked for; everything else is a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CrawlResource {
    Page,
    RobotsTxt,
    LlmsTxt,
    LlmsFullTxt,
    Sitemap,
    /// A Markdown rendition of a page (`/docs/intro.md`).
    Markdown,
    Feed,
}

impl Vocabulary for CrawlResource {
    const ALL: &'static [Self] = &[
        CrawlResource::Page,
        CrawlResource::RobotsTxt,
        CrawlResource::LlmsTxt,
        CrawlResource::LlmsFullTxt,
        CrawlResource::Sitemap,
        CrawlResource::Markdown,
        CrawlResource::Feed,
    ];

    fn as_str(self) -> &'static str {
        match self {
            CrawlResource::Page => "page",
            CrawlResource::RobotsTxt => "robots_txt",
            CrawlResource::LlmsTxt => "llms_txt",
            CrawlResource::LlmsFullTxt => "llms_full_txt",
            CrawlResource::Sitemap => "sitemap",
            CrawlResource::Markdown => "markdown",
            CrawlResource::Feed => "feed",
        }
    }
}

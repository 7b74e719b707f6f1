//! `GET /api/v1/vocabulary`: the values the dashboard offers in its forms and selects, each with
//! the label it shows, rendered from the enums. The web app builds its choices from this answer,
//! so it spells none of the values itself.

use actix_web::web;
use schemas::control::{Plan, PropertyKind, Role, TokenScope};
use schemas::vocab::{
    AgentClass, Channel, ContentType, CrawlResource, RobotsVerdict, Verification,
    VerificationMethod, Vocabulary,
};
use serde::Serialize;
use utoipa::ToSchema;

use super::analytics::content::ContentSort;

/// One value and how the dashboard names it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Choice<T: ToSchema> {
    pub value: T,
    pub label: &'static str,
}

/// Each list in the order the dashboard offers it; where a form has a default, it is the first.
#[derive(Debug, Serialize, ToSchema)]
pub struct Vocabularies {
    /// An organization's plan; the first is a new organization's default.
    pub plans: Vec<Choice<Plan>>,
    /// A member's role in an organization, most powerful (the owner) first.
    pub roles: Vec<Choice<Role>>,
    /// What a property sends from; the first is a new property's default.
    pub property_kinds: Vec<Choice<PropertyKind>>,
    /// The content dashboard's `sort`; the first is the default.
    pub content_sorts: Vec<Choice<ContentSort>>,
    /// What an analyst token may do; the first (read-only) is a new token's default.
    pub token_scopes: Vec<Choice<TokenScope>>,
    /// How the dashboards name the values their breakdowns show.
    pub agent_classes: Vec<Choice<AgentClass>>,
    pub channels: Vec<Choice<Channel>>,
    pub verifications: Vec<Choice<Verification>>,
    pub verification_methods: Vec<Choice<VerificationMethod>>,
    pub robots_verdicts: Vec<Choice<RobotsVerdict>>,
    /// What a crawler asked for (the crawlers dashboard's "what agents read").
    pub crawl_resources: Vec<Choice<CrawlResource>>,
    /// What kind of page a URL is (the content dashboard's type column).
    pub content_types: Vec<Choice<ContentType>>,
}

fn choices<T: Vocabulary + ToSchema>(label: fn(T) -> &'static str) -> Vec<Choice<T>> {
    T::ALL
        .iter()
        .map(|&value| Choice {
            value,
            label: label(value),
        })
        .collect()
}

fn plan_label(plan: Plan) -> &'static str {
    match plan {
        Plan::Starter => "Starter",
        Plan::Growth => "Growth",
        Plan::Pro => "Pro",
    }
}

fn role_label(role: Role) -> &'static str {
    match role {
        Role::Owner => "Owner",
        Role::Admin => "Admin",
        Role::Member => "Member",
    }
}

fn token_scope_label(scope: TokenScope) -> &'static str {
    match scope {
        TokenScope::Read => "Read only",
        TokenScope::ReadWrite => "Read and write (within your role)",
    }
}

fn agent_class_label(class: AgentClass) -> &'static str {
    match class {
        AgentClass::AiTrainingCrawler => "AI training crawler",
        AgentClass::AiSearchCrawler => "AI search crawler",
        AgentClass::AiAssistant => "AI assistant",
        AgentClass::AiAgent => "AI agent",
        AgentClass::SearchEngineCrawler => "Search engine crawler",
        AgentClass::LinkPreview => "Link preview fetcher",
        AgentClass::OtherBot => "Other bot",
        AgentClass::Human => "Human",
    }
}

fn channel_label(channel: Channel) -> &'static str {
    match channel {
        Channel::Ai => "AI assistant",
        Channel::Search => "Search",
        Channel::Social => "Social",
        Channel::Email => "E-mail",
        Channel::Referral => "Other website",
        Channel::Direct => "Direct",
        Channel::Internal => "Internal",
    }
}

fn verification_label(verification: Verification) -> &'static str {
    match verification {
        Verification::Verified => "Verified",
        Verification::Spoofed => "Spoofed",
        Verification::Unverifiable => "Unverifiable",
        Verification::Unchecked => "Unchecked (address expired)",
    }
}

fn verification_method_label(method: VerificationMethod) -> &'static str {
    match method {
        VerificationMethod::WebBotAuth => "Web Bot Auth signature",
        VerificationMethod::ReverseDns => "Reverse DNS",
        VerificationMethod::IpRanges => "Published IP ranges",
    }
}

fn robots_verdict_label(verdict: RobotsVerdict) -> &'static str {
    match verdict {
        RobotsVerdict::Allowed => "Allowed by robots.txt",
        RobotsVerdict::Disallowed => "Disallowed by robots.txt",
        RobotsVerdict::NoRule => "No rule",
        RobotsVerdict::Unknown => "robots.txt not known",
    }
}

fn crawl_resource_label(resource: CrawlResource) -> &'static str {
    match resource {
        CrawlResource::Page => "Page",
        CrawlResource::RobotsTxt => "robots.txt",
        CrawlResource::LlmsTxt => "llms.txt",
        CrawlResource::LlmsFullTxt => "llms-full.txt",
        CrawlResource::Sitemap => "Sitemap",
        CrawlResource::Markdown => "Markdown rendition",
        CrawlResource::Feed => "Feed",
    }
}

fn content_type_label(content_type: ContentType) -> &'static str {
    match content_type {
        ContentType::Home => "Home page",
        ContentType::Article => "Article",
        ContentType::Docs => "Documentation",
        ContentType::Product => "Product page",
        ContentType::Pricing => "Pricing",
        ContentType::Category => "Category page",
        ContentType::Other => "Other",
    }
}

fn property_kind_label(kind: PropertyKind) -> &'static str {
    match kind {
        PropertyKind::Website => "Website (the tag)",
        PropertyKind::App => "App",
        PropertyKind::Api => "API (server-side hits)",
    }
}

impl Vocabularies {
    pub fn new() -> Self {
        Vocabularies {
            plans: choices(plan_label),
            roles: choices(role_label),
            property_kinds: choices(property_kind_label),
            content_sorts: choices(ContentSort::label),
            token_scopes: choices(token_scope_label),
            agent_classes: choices(agent_class_label),
            channels: choices(channel_label),
            verifications: choices(verification_label),
            verification_methods: choices(verification_method_label),
            robots_verdicts: choices(robots_verdict_label),
            crawl_resources: choices(crawl_resource_label),
            content_types: choices(content_type_label),
        }
    }
}

impl Default for Vocabularies {
    fn default() -> Self {
        Self::new()
    }
}

pub async fn vocabularies() -> web::Json<Vocabularies> {
    web::Json(Vocabularies::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_default_to_the_first_choice() {
        let v = Vocabularies::new();
        assert_eq!(v.plans[0].value, Plan::Starter);
        assert_eq!(v.roles[0].value, Role::Owner);
        assert_eq!(v.property_kinds[0].value, PropertyKind::Website);
        assert_eq!(v.content_sorts[0].value, ContentSort::default());
        assert_eq!(v.token_scopes[0].value, TokenScope::default());
    }

    #[test]
    fn values_are_sent_in_their_text_form() {
        let json = serde_json::to_value(Vocabularies::new()).unwrap();
        assert_eq!(json["plans"][0]["value"], Plan::Starter.as_str());
        assert_eq!(
            json["content_sorts"][1]["value"],
            ContentSort::AiCrawlerHits.as_str()
        );
        assert_eq!(json["property_kinds"][2]["label"], "API (server-side hits)");
        assert_eq!(
            json["agent_classes"][0]["value"],
            AgentClass::AiTrainingCrawler.as_str()
        );
        assert_eq!(json["verifications"][1]["label"], "Spoofed");
    }

    #[test]
    fn every_content_type_has_its_own_words() {
        let v = Vocabularies::new();
        let labels: std::collections::HashSet<_> =
            v.content_types.iter().map(|c| c.label).collect();
        assert_eq!(v.content_types.len(), ContentType::ALL.len());
        assert_eq!(
            labels.len(),
            ContentType::ALL.len(),
            "two types share a label"
        );
        for choice in &v.content_types {
            assert_ne!(
                choice.label,
                choice.value.as_str(),
                "{:?} is shown as its identifier",
                choice.value
            );
        }
    }
}

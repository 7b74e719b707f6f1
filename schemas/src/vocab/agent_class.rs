//! What kind of client sent a hit.

use serde::{Deserialize, Serialize};

use super::Vocabulary;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AgentClass {
    AiTrainingCrawler,
    AiSearchCrawler,
    /// User-triggered fetchers (ChatGPT-User, Perplexity-User, Claude-User).
    AiAssistant,
    /// Agentic browsers and coding agents acting for a user.
    AiAgent,
    SearchEngineCrawler,
    /// Fetches one page when a link is shared, to draw its preview card (facebookexternalhit,
    /// Slackbot-LinkExpanding, Twitterbot): neither a crawl nor an AI's reading.
    LinkPreview,
    /// SEO, monitoring, scanners, feed readers, HTTP libraries, headless automation.
    OtherBot,
    Human,
}

impl Vocabulary for AgentClass {
    const ALL: &'static [Self] = &[
        AgentClass::AiTrainingCrawler,
        AgentClass::AiSearchCrawler,
        AgentClass::AiAssistant,
        AgentClass::AiAgent,
        AgentClass::SearchEngineCrawler,
        AgentClass::LinkPreview,
        AgentClass::OtherBot,
        AgentClass::Human,
    ];

    fn as_str(self) -> &'static str {
        match self {
            AgentClass::AiTrainingCrawler => "ai_training_crawler",
            AgentClass::AiSearchCrawler => "ai_search_crawler",
            AgentClass::AiAssistant => "ai_assistant",
            AgentClass::AiAgent => "ai_agent",
            AgentClass::SearchEngineCrawler => "search_engine_crawler",
            AgentClass::LinkPreview => "link_preview",
            AgentClass::OtherBot => "other_bot",
            AgentClass::Human => "human",
        }
    }
}

impl AgentClass {
    /// The AI classes: what dashboards count as "AI crawler hits".
    pub const AI: [AgentClass; 4] = [
        AgentClass::AiTrainingCrawler,
        AgentClass::AiSearchCrawler,
        AgentClass::AiAssistant,
        AgentClass::AiAgent,
    ];

    pub fn is_bot(self) -> bool {
        self != AgentClass::Human
    }

    pub fn is_ai(self) -> bool {
        Self::AI.contains(&self)
    }
}

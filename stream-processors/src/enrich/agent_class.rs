//! What kind of client sent a hit.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentClass {
    AiTrainingCrawler,
    AiSearchCrawler,
    /// User-triggered fetchers (ChatGPT-User, Perplexity-User, Claude-User).
    AiAssistant,
    /// Agentic browsers and coding agents acting for a user.
    AiAgent,
    SearchEngineCrawler,
    /// SEO, monitoring, scanners, feed readers, HTTP libraries, headless automation.
    OtherBot,
    Human,
}

impl AgentClass {
    pub const ALL: [AgentClass; 7] = [
        AgentClass::AiTrainingCrawler,
        AgentClass::AiSearchCrawler,
        AgentClass::AiAssistant,
        AgentClass::AiAgent,
        AgentClass::SearchEngineCrawler,
        AgentClass::OtherBot,
        AgentClass::Human,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AgentClass::AiTrainingCrawler => "ai_training_crawler",
            AgentClass::AiSearchCrawler => "ai_search_crawler",
            AgentClass::AiAssistant => "ai_assistant",
            AgentClass::AiAgent => "ai_agent",
            AgentClass::SearchEngineCrawler => "search_engine_crawler",
            AgentClass::OtherBot => "other_bot",
            AgentClass::Human => "human",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }

    pub fn is_bot(self) -> bool {
        self != AgentClass::Human
    }

    pub fn is_ai(self) -> bool {
        matches!(
            self,
            AgentClass::AiTrainingCrawler
                | AgentClass::AiSearchCrawler
                | AgentClass::AiAssistant
                | AgentClass::AiAgent
        )
    }
}

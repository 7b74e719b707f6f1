//! One user agent → class, agent and operator (robots) or browser, OS and device (humans).

use serde::Serialize;

use super::bots::BotMatcher;
use super::browser::BrowserParser;
use super::nonbrowser::NonBrowser;
use schemas::catalog;
use schemas::vocab::AgentClass;

/// What the `classify` command prints and the processors store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UaClass {
    pub class: AgentClass,
    pub agent: Option<String>,
    pub operator: Option<String>,
    /// Index of the agent in the catalog (for IP verification); not printed.
    #[serde(skip)]
    pub catalog_agent: Option<usize>,
    pub browser: Option<String>,
    pub browser_major: Option<String>,
    pub os: Option<String>,
    pub device: Option<&'static str>,
}

pub struct Classifier {
    bots: BotMatcher,
    nonbrowser: NonBrowser,
    browsers: BrowserParser,
}

impl Classifier {
    /// Compiles the shipped catalogs.
    pub fn from_catalog() -> anyhow::Result<Self> {
        Ok(Self {
            bots: BotMatcher::new(catalog::agents(), &catalog::bot_patterns())?,
            nonbrowser: NonBrowser::from_catalog()?,
            browsers: BrowserParser::new()?,
        })
    }

    pub fn bots(&self) -> &BotMatcher {
        &self.bots
    }

    pub fn classify(&self, ua: &str) -> UaClass {
        let ua = ua.trim();
        if ua.is_empty() {
            // No user agent at all: no browser omits it.
            return robot(AgentClass::OtherBot, None, None, None);
        }
        if let Some(bot) = self.bots.find(ua) {
            return robot(
                bot.class,
                Some(bot.name.to_owned()),
                bot.operator.map(str::to_owned),
                bot.agent,
            );
        }
        if self.nonbrowser.is_match(ua) {
            // No robot word, but nothing a browser sends either: a library, a feed reader, a
            // monitor. Named by its product token, the part a person would recognise.
            return robot(AgentClass::OtherBot, Some(product_token(ua)), None, None);
        }
        let b = self.browsers.parse(ua);
        UaClass {
            class: AgentClass::Human,
            agent: None,
            operator: None,
            catalog_agent: None,
            browser: Some(b.family.into_owned()),
            browser_major: b.major.map(str::to_owned),
            os: Some(b.os.into_owned()),
            device: Some(b.device.as_str()),
        }
    }
}

/// `python-requests/2.31` → `python-requests`: the first word before its version, at most 40
/// characters.
fn product_token(ua: &str) -> String {
    let word = ua
        .split(|c: char| c.is_whitespace() || c == '/' || c == ';' || c == '(')
        .find(|w| !w.is_empty())
        .unwrap_or("");
    let name: String = word.chars().take(40).collect();
    if name.chars().any(char::is_alphanumeric) {
        name
    } else {
        "non-browser client".to_owned()
    }
}

fn robot(
    class: AgentClass,
    agent: Option<String>,
    operator: Option<String>,
    catalog_agent: Option<usize>,
) -> UaClass {
    UaClass {
        class,
        agent,
        operator,
        catalog_agent,
        browser: None,
        browser_major: None,
        os: None,
        device: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_classes_partners_care_about() {
        let c = Classifier::from_catalog().unwrap();
        let cases = [
            ("Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)", AgentClass::AiTrainingCrawler, "GPTBot", Some("OpenAI")),
            ("Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko); compatible; ChatGPT-User/1.0; +https://openai.com/bot", AgentClass::AiAssistant, "ChatGPT-User", Some("OpenAI")),
            ("Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; ClaudeBot/1.0; +claudebot@anthropic.com)", AgentClass::AiTrainingCrawler, "ClaudeBot", Some("Anthropic")),
            ("Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; PerplexityBot/1.0; +https://perplexity.ai/perplexitybot)", AgentClass::AiSearchCrawler, "PerplexityBot", Some("Perplexity")),
            ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", AgentClass::SearchEngineCrawler, "Googlebot", Some("Google")),
        ];
        for (ua, class, agent, operator) in cases {
            let got = c.classify(ua);
            assert_eq!(got.class, class, "{ua}");
            assert_eq!(got.agent.as_deref(), Some(agent), "{ua}");
            assert_eq!(got.operator.as_deref(), operator, "{ua}");
        }
        let human = c.classify("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15");
        assert_eq!(human.class, AgentClass::Human);
        assert_eq!(human.browser.as_deref(), Some("Safari"));
        assert_eq!(human.browser_major.as_deref(), Some("17"));
        assert_eq!(human.os.as_deref(), Some("Mac OS X"));
        assert_eq!(human.device, Some("desktop"));
        assert_eq!(c.classify("curl/8.5.0").class, AgentClass::OtherBot);
        assert_eq!(c.classify("").class, AgentClass::OtherBot);
    }

    #[test]
    fn clients_with_no_robot_word_but_no_browser_shape_are_automated_by_their_product() {
        let c = Classifier::from_catalog().unwrap();
        for (ua, product) in [
            (
                "Feedly/1.0 (+http://www.feedly.com/fetcher.html; 2 subscribers)",
                "Feedly",
            ),
            ("Ansible-httpget", "Ansible-httpget"),
            ("ruby", "ruby"),
            ("-", "non-browser client"),
        ] {
            let got = c.classify(ua);
            assert_eq!(
                (got.class, got.agent.as_deref()),
                (AgentClass::OtherBot, Some(product)),
                "{ua}"
            );
        }
    }
}

//! One user agent → class, agent and operator (robots) or browser, OS and device (humans).

use serde::Serialize;

use super::bots::BotMatcher;
use super::browser::BrowserParser;
use super::nonbrowser::NonBrowser;
use super::operators::{class_for_operator, Operators};
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
    operators: Operators,
    nonbrowser: NonBrowser,
    browsers: BrowserParser,
}

impl Classifier {
    /// Compiles the shipped catalogs.
    pub fn from_catalog() -> anyhow::Result<Self> {
        Self::with_patterns(&catalog::bot_patterns())
    }

    /// The shipped catalogs with only these robot patterns (conformance measures one pattern
    /// list on the other's examples).
    pub fn with_patterns(patterns: &[catalog::BotPattern]) -> anyhow::Result<Self> {
        Ok(Self {
            bots: BotMatcher::new(catalog::agents(), patterns)?,
            operators: Operators::from_catalog(),
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
        // The operator a domain in the user agent names: asked by several steps, found once.
        let named = std::cell::OnceCell::new();
        let by_domain = || *named.get_or_init(|| self.operator_by_domain(ua));
        if let Some((bot, spelled)) = self.bots.catalog_match(ua) {
            if !self.names_another_operator(by_domain(), spelled, bot.operator) {
                return robot(
                    bot.class,
                    Some(bot.name.to_owned()),
                    bot.operator.map(str::to_owned),
                    bot.agent,
                );
            }
        }
        if let Some(bot) = self.bots.pattern_match(ua) {
            let name = if bot.name == "bot" {
                agent_token(ua)
            } else {
                bot.name.to_owned()
            };
            return self.operated_robot(by_domain(), bot.class, name);
        }
        if by_domain().is_some() {
            // A browser's user agent points to no site: one that names an operator's is theirs.
            return self.operated_robot(by_domain(), AgentClass::OtherBot, agent_token(ua));
        }
        if self.nonbrowser.is_match(ua) {
            // No robot word, but nothing a browser sends either: a library, a feed reader, a
            // monitor. Named by its product token, the part a person would recognise.
            return self.operated_robot(by_domain(), AgentClass::OtherBot, product_token(ua));
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

impl UaClass {
    /// A browser the tag saw being driven (`schemas::beacon::automation` bits): a robot inside a
    /// real browser engine, whatever its user agent says. Robots stay what they were.
    pub fn with_automation(mut self, bits: u8) -> Self {
        use schemas::beacon::automation::{HEADLESS, WEBDRIVER};
        if self.class != AgentClass::Human || bits == 0 {
            return self;
        }
        let name = if i32::from(bits) & WEBDRIVER != 0 {
            "WebDriver-controlled browser"
        } else if i32::from(bits) & HEADLESS != 0 {
            "Headless browser"
        } else {
            "Automated browser"
        };
        self.class = AgentClass::OtherBot;
        self.agent = Some(name.to_owned());
        self
    }
}

impl Classifier {
    /// Whether the user agent's own evidence puts a catalog token under another operator: the
    /// domain it names (`Exabot … +http://www.exabot.com`) or its exact spelling of the token
    /// being another operator's product (`Exabot` vs Exa's `ExaBot`). A token two agents share
    /// is decided by the operator's context, not by which list had it first.
    fn names_another_operator(
        &self,
        by_domain: Option<usize>,
        spelled: &str,
        claimed: Option<&str>,
    ) -> bool {
        let Some(claimed) = claimed.and_then(|name| self.operators.named(name)) else {
            return false;
        };
        let other = by_domain.or_else(|| {
            self.operators
                .of_token(spelled)
                .filter(|&i| self.operators.get(i).products.contains(&spelled))
        });
        other.is_some_and(|i| i != claimed)
    }

    /// A robot no catalog lists: its operator from the domain it names or its product token,
    /// and for an AI operator the AI class its wording implies.
    fn operated_robot(&self, by_domain: Option<usize>, class: AgentClass, name: String) -> UaClass {
        let Some(i) = by_domain.or_else(|| self.operators.of_token(&name)) else {
            return robot(class, Some(name), None, None);
        };
        let op = self.operators.get(i);
        let class = class_for_operator(op.kind, class, &name);
        robot(class, Some(name), Some(op.name.to_owned()), None)
    }
}

impl Classifier {
    /// The operator whose domain the user agent names, when it names a site at all.
    fn operator_by_domain(&self, ua: &str) -> Option<usize> {
        names_a_site(ua)
            .then(|| self.operators.named_by_domain(ua))
            .flatten()
    }
}

/// A URL, a `www.` host or an e-mail address: what bot pages and contact lines look like.
fn names_a_site(ua: &str) -> bool {
    ua.contains("://") || ua.contains("www.") || ua.contains('@') || ua.contains("+")
}

/// The robot's own product in a browser-like user agent: the first `Name/version` that is not a
/// browser's (`Mozilla/5.0 (compatible; FooBot/1.0; …)` → `FooBot`), else the first word.
fn agent_token(ua: &str) -> String {
    const BROWSER_WORDS: [&str; 9] = [
        "mozilla",
        "applewebkit",
        "khtml",
        "gecko",
        "chrome",
        "safari",
        "version",
        "mobile",
        "compatible",
    ];
    ua.split(|c: char| c.is_whitespace() || c == ';' || c == '(' || c == ')' || c == ',')
        .filter_map(|w| w.split_once('/'))
        .map(|(name, _)| name.trim_start_matches('+'))
        .find(|name| {
            name.len() >= 2
                && name.chars().any(char::is_alphabetic)
                && !name.contains(':')
                && !BROWSER_WORDS.contains(&name.to_ascii_lowercase().as_str())
        })
        .map(|name| name.chars().take(40).collect())
        .unwrap_or_else(|| product_token(ua))
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
    fn a_token_two_operators_share_is_decided_by_the_operators_context() {
        let c = Classifier::from_catalog().unwrap();
        // Exa's AI crawler and Exalead's old search crawler differ only in case.
        let exalead =
            c.classify("Mozilla/5.0 (compatible; Exabot/3.0; +http://www.exabot.com/go/robot)");
        assert_eq!(
            (exalead.class, exalead.operator.as_deref()),
            (AgentClass::SearchEngineCrawler, Some("Exalead"))
        );
        let exa = c.classify("Mozilla/5.0 (compatible; ExaBot/1.0; +https://exa.ai/bot)");
        assert_eq!(
            (exa.class, exa.operator.as_deref()),
            (AgentClass::AiSearchCrawler, Some("Exa"))
        );
        // Facebook's link-preview fetcher is its own class, not a training crawler.
        let preview =
            c.classify("facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)");
        assert_eq!(
            (preview.class, preview.operator.as_deref()),
            (AgentClass::LinkPreview, Some("Meta"))
        );
    }

    #[test]
    fn an_ai_operators_agent_no_catalog_lists_is_named_by_its_domain_or_product() {
        let c = Classifier::from_catalog().unwrap();
        let cases = [
            // A contact address in an operator's domain.
            (
                "Mozilla/5.0 (compatible; Bytespider; spider-feedback@bytedance.com)",
                "ByteDance",
            ),
            // A new product token of a known AI lab, with its bot page.
            (
                "Mozilla/5.0 (compatible; Claude-Indexer/0.1; +https://www.anthropic.com/bots)",
                "Anthropic",
            ),
            ("Kimi-User/1.0 (+https://www.kimi.com/bot)", "Moonshot AI"),
        ];
        for (ua, operator) in cases {
            let got = c.classify(ua);
            assert!(got.class.is_bot(), "{ua}");
            assert_eq!(got.operator.as_deref(), Some(operator), "{ua}");
        }
        let indexer = c.classify(cases[1].0);
        assert_eq!(indexer.class, AgentClass::AiSearchCrawler);
        assert_eq!(indexer.agent.as_deref(), Some("Claude-Indexer"));
        assert_eq!(c.classify(cases[2].0).class, AgentClass::AiAssistant);
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

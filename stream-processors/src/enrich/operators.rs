//! Who runs a robot: the operator a user agent names through a domain (its bot page, a contact
//! address) or through the product its token starts with, and the class an AI operator's agent
//! that no catalog lists gets from its own wording.

use std::collections::HashMap;

use schemas::catalog::{OperatorEntry, OperatorKind};
use schemas::vocab::AgentClass;

pub struct Operators {
    entries: Vec<OperatorEntry>,
    by_domain: HashMap<&'static str, usize>,
    by_name: HashMap<String, usize>,
    /// Products by their first three letters, lowercase: a token is compared only with the few
    /// products it could start with (the classifier asks this for every robot).
    by_prefix: HashMap<[u8; 3], Vec<(&'static str, usize)>>,
}

impl Operators {
    pub fn new(entries: Vec<OperatorEntry>) -> Self {
        let mut by_domain = HashMap::new();
        let mut by_name = HashMap::new();
        let mut by_prefix: HashMap<[u8; 3], Vec<(&'static str, usize)>> = HashMap::new();
        for (i, op) in entries.iter().enumerate() {
            by_name.insert(op.name.to_ascii_lowercase(), i);
            for domain in &op.domains {
                by_domain.insert(*domain, i);
            }
            for product in &op.products {
                if let Some(key) = prefix_key(product) {
                    by_prefix.entry(key).or_default().push((*product, i));
                }
            }
        }
        Self {
            entries,
            by_domain,
            by_name,
            by_prefix,
        }
    }

    pub fn from_catalog() -> Self {
        Self::new(schemas::catalog::operators())
    }

    pub fn get(&self, i: usize) -> &OperatorEntry {
        &self.entries[i]
    }

    pub fn named(&self, name: &str) -> Option<usize> {
        self.by_name.get(&name.to_ascii_lowercase()).copied()
    }

    /// The operators whose domains the user agent names, first mention first. Only words with a
    /// dot and a letter-only last label are domains: `537.36` and `10.0` are versions.
    pub fn named_by_domain(&self, ua: &str) -> Option<usize> {
        if !ua.contains('.') {
            return None;
        }
        ua.split(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_'))
            .filter_map(|word| {
                let word = word.trim_matches('.');
                let (_, tld) = word.rsplit_once('.')?;
                (tld.len() >= 2 && tld.bytes().all(|b| b.is_ascii_alphabetic()))
                    .then(|| self.owner_of_host(&word.to_ascii_lowercase()))
                    .flatten()
            })
            .next()
    }

    /// `crawl-1-2-3-4.googlebot.com` → Google: the host or any parent domain of it.
    fn owner_of_host(&self, host: &str) -> Option<usize> {
        let mut rest = host;
        loop {
            if let Some(i) = self.by_domain.get(rest) {
                return Some(*i);
            }
            rest = rest.split_once('.')?.1;
        }
    }

    /// The operator whose product name the token starts with, longest product first; case
    /// decides before it is ignored (`ExaBot` is Exa's, `Exabot` Exalead's).
    pub fn of_token(&self, token: &str) -> Option<usize> {
        let candidates = self.by_prefix.get(&prefix_key(token)?)?;
        for fold in [false, true] {
            let best = candidates
                .iter()
                .filter(|(product, _)| starts_with_product(token, product, fold))
                .max_by_key(|(product, _)| product.len());
            if let Some((_, i)) = best {
                return Some(*i);
            }
        }
        None
    }
}

/// The first three bytes, ASCII-lowercased; products are at least three letters long.
fn prefix_key(text: &str) -> Option<[u8; 3]> {
    let bytes = text.as_bytes().get(..3)?;
    Some([
        bytes[0].to_ascii_lowercase(),
        bytes[1].to_ascii_lowercase(),
        bytes[2].to_ascii_lowercase(),
    ])
}

/// `ExaBot` starts with the product `Exa`, `Example` does not: the product must end at a word
/// boundary (not followed by a lowercase letter, unless by a robot word: `Googlebot`).
fn starts_with_product(token: &str, product: &str, fold: bool) -> bool {
    let Some(head) = token.as_bytes().get(..product.len()) else {
        return false;
    };
    let same = if fold {
        head.eq_ignore_ascii_case(product.as_bytes())
    } else {
        head == product.as_bytes()
    };
    if product.len() < 3 || !same {
        return false;
    }
    let rest = &token.as_bytes()[product.len()..];
    let starts =
        |word: &[u8]| rest.len() >= word.len() && rest[..word.len()].eq_ignore_ascii_case(word);
    !rest.first().is_some_and(u8::is_ascii_lowercase)
        || starts(b"bot")
        || starts(b"spider")
        || starts(b"crawler")
}

/// The class an AI operator's agent that no catalog lists takes from its own name:
/// `…-User`/fetchers act for one person's request, `…-SearchBot`/indexers feed an answer
/// engine, agents act, everything else collects.
pub fn ai_class_by_wording(token: &str) -> AgentClass {
    let t = token.to_ascii_lowercase();
    if t.contains("user") || t.contains("fetch") || t.contains("assistant") {
        AgentClass::AiAssistant
    } else if t.contains("search") || t.contains("index") {
        AgentClass::AiSearchCrawler
    } else if t.contains("agent") {
        AgentClass::AiAgent
    } else {
        AgentClass::AiTrainingCrawler
    }
}

/// The class of a robot whose operator is known but whose agent no catalog lists.
pub fn class_for_operator(
    kind: OperatorKind,
    pattern_class: AgentClass,
    token: &str,
) -> AgentClass {
    match kind {
        OperatorKind::Ai if !pattern_class.is_ai() && pattern_class != AgentClass::LinkPreview => {
            ai_class_by_wording(token)
        }
        _ => pattern_class,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_in_bot_pages_and_contact_addresses_name_the_operator() {
        let ops = Operators::from_catalog();
        let name = |ua: &str| ops.named_by_domain(ua).map(|i| ops.get(i).name);
        assert_eq!(
            name("Mozilla/5.0 (compatible; Bytespider; spider-feedback@bytedance.com)"),
            Some("ByteDance")
        );
        assert_eq!(
            name("Mozilla/5.0 (compatible; Exabot/3.0; +http://www.exabot.com/go/robot)"),
            Some("Exalead")
        );
        assert_eq!(
            name("FooBot/1.0 (+https://docs.anthropic.com/bots)"),
            Some("Anthropic")
        );
        // Versions and Windows builds are not domains.
        assert_eq!(
            name("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"),
            None
        );
    }

    #[test]
    fn a_token_starting_with_a_product_is_its_operators_and_case_tells_lookalikes_apart() {
        let ops = Operators::from_catalog();
        let name = |t: &str| ops.of_token(t).map(|i| ops.get(i).name);
        assert_eq!(name("ExaBot"), Some("Exa"));
        assert_eq!(name("Exabot"), Some("Exalead"));
        assert_eq!(name("ChatGPT-Browser"), Some("OpenAI"));
        assert_eq!(name("Zz"), None);
    }

    #[test]
    fn wording_decides_the_ai_class() {
        assert_eq!(ai_class_by_wording("Kimi-User"), AgentClass::AiAssistant);
        assert_eq!(
            ai_class_by_wording("DeepSeek-SearchBot"),
            AgentClass::AiSearchCrawler
        );
        assert_eq!(ai_class_by_wording("Manus-Agent"), AgentClass::AiAgent);
        assert_eq!(
            ai_class_by_wording("DeepSeekBot"),
            AgentClass::AiTrainingCrawler
        );
    }
}

//! User agent → its class, remembered: a human's user agent costs the uap-core browser and OS
//! regexes (most of an event's enrichment), and live traffic repeats the same few thousand user
//! agents. The class depends on nothing but the user agent and the catalogs compiled at start, so
//! a remembered one is the one `classify` would give. Bounded in bytes; TinyLFU admission keeps a
//! flood of one-off user agents from evicting the common ones.

use moka::sync::Cache;

use super::user_agent::{Classifier, UaClass};

/// Longer user agents are classified every time: rare, and they would crowd the cache.
const MAX_CACHED_LEN: usize = 1024;
/// About 40,000 typical entries.
const CAPACITY_BYTES: u64 = 16 * 1024 * 1024;

pub struct UaCache {
    cache: Cache<String, UaClass>,
}

impl Default for UaCache {
    fn default() -> Self {
        Self {
            cache: Cache::builder()
                .max_capacity(CAPACITY_BYTES)
                .weigher(|ua: &String, class: &UaClass| {
                    u32::try_from(ua.len() + weight(class)).unwrap_or(u32::MAX)
                })
                .build(),
        }
    }
}

impl UaCache {
    pub fn classify(&self, classifier: &Classifier, ua: &str) -> UaClass {
        if ua.len() > MAX_CACHED_LEN {
            return classifier.classify(ua);
        }
        if let Some(class) = self.cache.get(ua) {
            return class;
        }
        let class = classifier.classify(ua);
        self.cache.insert(ua.to_owned(), class.clone());
        class
    }
}

/// Heap and inline bytes of an entry's class.
fn weight(class: &UaClass) -> usize {
    let text = |s: &Option<String>| s.as_ref().map_or(0, String::len);
    std::mem::size_of::<UaClass>()
        + text(&class.agent)
        + text(&class.operator)
        + text(&class.browser)
        + text(&class.browser_major)
        + text(&class.os)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_remembered_class_is_the_one_the_classifier_gives() {
        let classifier = Classifier::from_catalog().unwrap();
        let cache = UaCache::default();
        let long = format!("Mozilla/5.0 (X11; Linux x86_64) {}", "x".repeat(2000));
        for ua in [
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
            "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)",
            "curl/8.4.0",
            "  ",
            long.as_str(),
        ] {
            let fresh = classifier.classify(ua);
            assert_eq!(cache.classify(&classifier, ua), fresh, "first: {ua}");
            assert_eq!(cache.classify(&classifier, ua), fresh, "remembered: {ua}");
        }
        cache.cache.run_pending_tasks();
        assert_eq!(
            cache.cache.entry_count(),
            4,
            "the over-long one is not kept"
        );
    }
}

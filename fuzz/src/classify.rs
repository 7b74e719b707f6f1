//! The processors' classifiers under fuzzing: any user agent, page URL and referrer is classified
//! without a panic into a consistent answer, and any beacon enriches or is rejected with a reason.
//!
//! Shared by the libFuzzer targets and `stream-processors/tests/fuzz_classifiers.rs` (included
//! by path).

use std::sync::LazyLock;

use schemas::beacon::Beacon;
use schemas::vocab::{AgentClass, Channel};
use stream_processors::enrich::enricher::{Enricher, PropertyContext};
use stream_processors::enrich::page::ContentRules;
use stream_processors::enrich::{Attribution, Attributor, Classifier};

static CLASSIFIER: LazyLock<Classifier> =
    LazyLock::new(|| Classifier::from_catalog().expect("the shipped catalog compiles"));
static ATTRIBUTOR: LazyLock<Attributor> = LazyLock::new(Attributor::from_catalog);
static ENRICHER: LazyLock<Enricher> =
    LazyLock::new(|| Enricher::from_catalog().expect("the shipped catalog compiles"));
static RULES: LazyLock<ContentRules> = LazyLock::new(ContentRules::default);

/// A user agent: robots carry no browser, humans no agent.
pub fn user_agent(bytes: &[u8]) -> AgentClass {
    let ua = String::from_utf8_lossy(bytes);
    let class = CLASSIFIER.classify(&ua);
    if class.class == AgentClass::Human {
        assert_eq!(
            (&class.agent, &class.operator, class.catalog_agent),
            (&None, &None, None),
            "a human with a robot's name: {ua:?}"
        );
        assert!(class.browser.is_some(), "a human without a browser: {ua:?}");
    } else {
        assert_eq!(
            (&class.browser, &class.os, class.device),
            (&None, &None, None),
            "a robot with a browser: {ua:?}"
        );
    }
    if let Some(i) = class.catalog_agent {
        let agent = &CLASSIFIER.bots().agents()[i];
        assert_eq!(class.agent.as_deref(), Some(agent.name.as_str()));
    }
    class.class
}

/// A page URL and a referrer, split at the first newline (no newline: a page without referrer).
/// An AI source always says how it matched and makes the channel AI; nothing else does.
pub fn referrer(bytes: &[u8]) -> Attribution {
    let text = String::from_utf8_lossy(bytes);
    let (page, referrer) = match text.split_once('\n') {
        Some((page, referrer)) => (page, Some(referrer)),
        None => (&*text, None),
    };
    let a = ATTRIBUTOR.attribute(page, referrer);
    assert_eq!(
        a.ai_source.is_some(),
        a.matched_by.is_some(),
        "{page:?} {referrer:?}: {a:?}"
    );
    assert_eq!(
        a.ai_source.is_some(),
        a.channel == Channel::Ai,
        "{page:?} {referrer:?}: {a:?}"
    );
    a
}

/// A beacon the edge accepted or the decoder read: enriched, or rejected with a reason.
pub fn enrich(beacon: &Beacon) -> bool {
    let property = PropertyContext {
        organization_id: "org_fuzz",
        retention_days: 90,
        content_rules: &RULES,
    };
    match ENRICHER.enrich(beacon, &property, beacon.received_at) {
        Ok(event) => {
            assert!(
                event.url.starts_with("http://") || event.url.starts_with("https://"),
                "an enriched event with URL {:?}",
                event.url
            );
            true
        }
        Err(rejection) => {
            assert!(!rejection.detail.is_empty(), "a rejection without detail");
            false
        }
    }
}

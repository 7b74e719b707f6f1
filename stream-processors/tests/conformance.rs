//! Classifier conformance over the public reference sets in reference-data/. Each test prints its
//! recall / accuracy figures (`cargo test -p stream-processors --test conformance -- --nocapture`).

use std::collections::HashMap;

use schemas::vocab::AgentClass;
use stream_processors::enrich::Classifier;

fn reference(path: &str) -> String {
    let full = format!("{}/../reference-data/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("reading {full}: {e}"))
}

/// (pattern, instance, tags) rows of crawler-user-agents.
fn crawler_instances() -> Vec<(String, String, String)> {
    reference("crawlers/pattern_instances.tsv")
        .lines()
        .skip(1)
        .filter_map(|l| {
            let mut cols = l.split('\t');
            Some((
                cols.next()?.to_owned(),
                cols.next()?.to_owned(),
                cols.next().unwrap_or("").to_owned(),
            ))
        })
        .collect()
}

fn contains_word(haystack: &str, word: &str) -> bool {
    let (h, w) = (haystack.to_ascii_lowercase(), word.to_ascii_lowercase());
    h.match_indices(&w).any(|(i, _)| {
        let before = h[..i].chars().next_back();
        let after = h[i + w.len()..].chars().next();
        before.is_none_or(|c| !c.is_ascii_alphanumeric())
            && after.is_none_or(|c| !c.is_ascii_alphanumeric())
    })
}

#[test]
fn every_ai_robots_token_with_an_example_user_agent_is_detected_with_its_operator() {
    let classifier = Classifier::from_catalog().unwrap();
    let robots: HashMap<String, serde_json::Value> =
        serde_json::from_str(&reference("ai-agents/ai-robots-txt.robots.json")).unwrap();
    let instances = crawler_instances();
    let catalog = classifier.bots().agents();
    let (mut checked, mut failures) = (0, Vec::new());
    for token in robots.keys() {
        let Some(entry) = catalog.iter().find(|a| &a.name == token) else {
            continue; // robots.txt-only words left out of the catalog (see generate.py)
        };
        // Example user agents that carry this token and no other catalog token (an example such
        // as "Claude-User (claude-code/2.1)" names two agents and proves nothing about either).
        let examples = instances.iter().filter(|(_, ua, _)| {
            contains_word(ua, token)
                && !catalog.iter().any(|other| {
                    !other.name.eq_ignore_ascii_case(token) && contains_word(ua, &other.name)
                })
        });
        for (_, ua, _) in examples {
            checked += 1;
            let got = classifier.classify(ua);
            let ok = got.agent.as_deref() == Some(entry.name.as_str())
                && got.class == entry.class
                && got.class.is_bot()
                && got.operator.as_deref() == Some(entry.operator.as_str())
                && !entry.operator.is_empty();
            if !ok {
                failures.push(format!("{token}: {ua} → {got:?}"));
            }
        }
    }
    println!(
        "ai-robots tokens with example UAs: {checked} user agents checked, recall {:.1} %",
        100.0 * (checked - failures.len()) as f64 / checked.max(1) as f64
    );
    assert!(checked > 50, "expected many examples, found {checked}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_crawler_user_agents_instance_is_a_bot() {
    let classifier = Classifier::from_catalog().unwrap();
    // Patterns the catalog leaves out on purpose, each with its reason (generate.py).
    let excluded: Vec<&str> = schemas::catalog::excluded_bot_patterns()
        .iter()
        .map(|e| e.pattern)
        .collect();
    let all = crawler_instances();
    let instances: Vec<_> = all
        .iter()
        .filter(|(p, _, _)| !excluded.contains(&p.as_str()))
        .collect();
    println!(
        "crawler-user-agents: {} instances of {} patterns left out by the catalog (see bot_patterns_excluded.tsv)",
        all.len() - instances.len(),
        excluded.len()
    );
    assert!(all.len() - instances.len() <= all.len() / 100);
    let mut missed = Vec::new();
    let mut search_as_search = (0, 0);
    for (pattern, ua, tags) in instances.iter().copied() {
        let got = classifier.classify(ua);
        if got.class == AgentClass::Human {
            missed.push(format!("{pattern}: {ua}"));
        }
        if tags.split(',').any(|t| t == "search-engine") {
            search_as_search.1 += 1;
            if got.class == AgentClass::SearchEngineCrawler || got.class.is_ai() {
                search_as_search.0 += 1;
            }
        }
    }
    println!(
        "crawler-user-agents: {} instances, bot recall {:.2} %; search-engine instances classed search or AI: {:.1} %",
        instances.len(),
        100.0 * (instances.len() - missed.len()) as f64 / instances.len() as f64,
        100.0 * search_as_search.0 as f64 / search_as_search.1.max(1) as f64
    );
    assert!(instances.len() > 2000);
    assert!(
        missed.is_empty(),
        "classified human:\n{}",
        missed.join("\n")
    );
}

#[derive(serde::Deserialize)]
struct UapCases {
    test_cases: Vec<UapCase>,
}

#[derive(serde::Deserialize)]
struct UapCase {
    user_agent_string: String,
    family: String,
    major: Option<String>,
}

#[test]
fn uap_core_browser_cases_are_human_with_the_expected_browser_family() {
    let classifier = Classifier::from_catalog().unwrap();
    let cases: UapCases = serde_yaml::from_str(&reference("browsers/test_ua.yaml")).unwrap();
    // uap-core's own device regexes name robots "Spider"; those are not browser cases.
    let regexes: ua_parser::Regexes<'_> =
        serde_json::from_str(schemas::catalog::UAP_REGEXES).unwrap();
    let devices = ua_parser::device::Builder::new()
        .push_all(regexes.device_parsers)
        .unwrap()
        .build()
        .unwrap();
    let browser_cases: Vec<&UapCase> = cases
        .test_cases
        .iter()
        .filter(|c| {
            let ua = c.user_agent_string.as_str();
            // Browsers send Mozilla/… (or, old Opera, Opera/…); libraries and apps do not.
            (ua.starts_with("Mozilla/") || ua.starts_with("Opera/"))
                && devices.extract(ua).is_none_or(|d| d.device != "Spider")
        })
        .collect();
    let (mut human, mut family_ok, mut major_ok) = (0, 0, 0);
    let mut flagged = Vec::new();
    for case in &browser_cases {
        let got = classifier.classify(&case.user_agent_string);
        if got.class != AgentClass::Human {
            flagged.push(format!(
                "{} ({}) → {:?} {:?}",
                case.user_agent_string, case.family, got.class, got.agent
            ));
            continue;
        }
        human += 1;
        if got.browser.as_deref() == Some(case.family.as_str()) {
            family_ok += 1;
            if got.browser_major == case.major {
                major_ok += 1;
            }
        }
    }
    let n = browser_cases.len() as f64;
    println!(
        "uap-core browser cases: {} (of {}; {} spiders left out); human {:.1} %, family accuracy {:.1} %, family+major {:.1} %",
        browser_cases.len(),
        cases.test_cases.len(),
        cases.test_cases.len() - browser_cases.len(),
        100.0 * human as f64 / n,
        100.0 * family_ok as f64 / n,
        100.0 * major_ok as f64 / n
    );
    for f in flagged.iter().take(40) {
        println!("  not human: {f}");
    }
    assert!(human as f64 / n >= 0.95, "human recall below 95 %");
    assert!(family_ok as f64 / n >= 0.95, "family accuracy below 95 %");
}

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
        // An example that spells the token in another case is another agent's when that
        // spelling is another operator's product (Exalead's `Exabot` vs Exa's `ExaBot`): the
        // classifier decides those by the operator's context, tested in enrich::user_agent.
        let examples = instances.iter().filter(|(_, ua, _)| {
            contains_word(ua, token)
                && ua.contains(token.as_str())
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

#[derive(serde::Deserialize)]
struct ArcjetBot {
    id: String,
    categories: Vec<String>,
    instances: ArcjetInstances,
}

#[derive(serde::Deserialize)]
struct ArcjetInstances {
    accepted: Vec<String>,
}

/// arcjet's example user agents: each is a robot; its `ai` bots land in an AI class with an
/// operator; its link previews are link previews. Measured twice: with every pattern, and with
/// crawler-user-agents' patterns alone on the examples those patterns do not match — the same
/// kind of set as the unseen "bots no crawler-user-agents pattern matches", where only the
/// catalog, the operator rules and the non-browser check can find them.
#[test]
fn arcjet_well_known_bots_are_robots_and_its_ai_bots_ai() {
    let bots: Vec<ArcjetBot> =
        serde_json::from_str(&reference("crawlers/well-known-bots.json")).unwrap();
    let full = Classifier::from_catalog().unwrap();
    let cua_only: Vec<_> = schemas::catalog::bot_patterns()
        .into_iter()
        .filter(|p| p.source == "crawler-user-agents")
        .collect();
    let without_arcjet = Classifier::with_patterns(&cua_only).unwrap();
    let cua_matcher =
        stream_processors::enrich::bots::BotMatcher::new(Vec::new(), &cua_only).unwrap();

    let (mut n, mut bot, mut unmatched, mut unmatched_bot) = (0, 0, 0, 0);
    let (mut ai_n, mut ai_class, mut ai_operator) = (0, 0, 0);
    let (mut preview_n, mut preview_ok) = (0, 0);
    let mut misses = Vec::new();
    for b in &bots {
        let is_ai = b.categories.iter().any(|c| c == "ai");
        let is_preview = b.categories.iter().any(|c| c == "preview");
        for ua in &b.instances.accepted {
            n += 1;
            let got = full.classify(ua);
            if got.class.is_bot() {
                bot += 1;
            } else {
                misses.push(format!("{}: {ua}", b.id));
            }
            if is_ai {
                ai_n += 1;
                ai_class += usize::from(got.class.is_ai());
                ai_operator += usize::from(got.operator.is_some());
            }
            if is_preview {
                preview_n += 1;
                preview_ok += usize::from(got.class == AgentClass::LinkPreview);
            }
            if cua_matcher.pattern_match(ua).is_none() {
                unmatched += 1;
                unmatched_bot += usize::from(without_arcjet.classify(ua).class.is_bot());
            }
        }
    }
    let pct = |a: usize, b: usize| 100.0 * a as f64 / b.max(1) as f64;
    println!(
        "arcjet well-known-bots: {n} example UAs, bot recall {:.1} %; {ai_n} of `ai` bots: AI class {:.1} %, operator named {:.1} %; {preview_n} link previews as link_preview {:.1} %",
        pct(bot, n),
        pct(ai_class, ai_n),
        pct(ai_operator, ai_n),
        pct(preview_ok, preview_n)
    );
    println!(
        "arcjet examples no crawler-user-agents pattern matches: {unmatched}, flagged automated without arcjet's patterns {:.1} %",
        pct(unmatched_bot, unmatched)
    );
    for m in misses.iter().take(30) {
        println!("  human: {m}");
    }
    assert!(n > 1000, "{n}");
    assert!(pct(bot, n) >= 99.0, "bot recall below 99 %");
    // arcjet files SEO, plagiarism and media-monitoring crawlers under `ai` too (Turnitin,
    // Botify, Mediatoolkit); crawler-user-agents' tags call them what they are.
    assert!(
        pct(ai_class, ai_n) >= 75.0,
        "AI bots in an AI class below 75 %"
    );
}

#[derive(serde::Deserialize)]
struct DeviceCases {
    test_cases: Vec<DeviceCase>,
}

#[derive(serde::Deserialize)]
struct DeviceCase {
    user_agent_string: String,
    family: String,
}

/// The browser false-positive rate: uap-core's device cases are real phones, tablets, TVs and
/// desktops (uap-core names robots' devices "Spider"); every distinct browser user agent among
/// them (Mozilla/… or Opera/…) must be a person.
#[test]
fn uap_core_device_browsers_are_people_at_a_false_positive_rate_of_at_most_a_tenth_of_a_percent() {
    let classifier = Classifier::from_catalog().unwrap();
    let cases: DeviceCases = serde_yaml::from_str(&reference("browsers/test_device.yaml")).unwrap();
    let mut seen = std::collections::HashSet::new();
    let browsers: Vec<&DeviceCase> = cases
        .test_cases
        .iter()
        .filter(|c| {
            let ua = c.user_agent_string.as_str();
            (ua.starts_with("Mozilla/") || ua.starts_with("Opera/"))
                && c.family != "Spider"
                && seen.insert(ua)
        })
        .collect();
    let flagged: Vec<String> = browsers
        .iter()
        .filter_map(|c| {
            let got = classifier.classify(&c.user_agent_string);
            got.class.is_bot().then(|| {
                format!(
                    "{} ({}) → {:?} {:?}",
                    c.user_agent_string, c.family, got.class, got.agent
                )
            })
        })
        .collect();
    let rate = 100.0 * flagged.len() as f64 / browsers.len() as f64;
    println!(
        "uap-core device browsers: {} distinct user agents, flagged as robots {} ({rate:.3} %)",
        browsers.len(),
        flagged.len()
    );
    for f in &flagged {
        println!("  robot: {f}");
    }
    assert!(browsers.len() > 9000, "{}", browsers.len());
    assert!(
        rate <= 0.1,
        "browser false-positive rate {rate:.3} % above 0.1 %"
    );
}

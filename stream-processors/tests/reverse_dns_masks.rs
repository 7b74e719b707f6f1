//! The reverse-DNS catalog against the classifier: each row's agent is the name the classifier
//! gives the example user agents of the arcjet bots the row was built from, so a claim is checked
//! against the masks of the operator it names.

use stream_processors::enrich::Classifier;
use stream_processors::rdns::masks::compile;

fn reference(path: &str) -> String {
    let full = format!("{}/../reference-data/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("reading {full}: {e}"))
}

#[test]
fn every_mask_agent_is_what_the_classifier_names_its_examples() {
    let classifier = Classifier::from_catalog().unwrap();
    let bots: Vec<serde_json::Value> =
        serde_json::from_str(&reference("crawlers/well-known-bots.json")).unwrap();
    let (mut checked, mut failures) = (0, Vec::new());
    for row in schemas::catalog::reverse_dns_masks() {
        for mask in &row.masks {
            assert!(compile(mask).is_ok(), "{}: {mask}", row.agent);
        }
        for source in &row.sources {
            let bot = bots
                .iter()
                .find(|b| b["id"] == *source)
                .unwrap_or_else(|| panic!("{}: no arcjet bot {source}", row.agent));
            let examples = bot["instances"]["accepted"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            assert!(!examples.is_empty(), "{source}: no example user agent");
            for ua in examples.iter().filter_map(|u| u.as_str()) {
                checked += 1;
                let got = classifier.classify(ua);
                if !got.class.is_bot()
                    || !got
                        .agent
                        .as_deref()
                        .is_some_and(|a| a.eq_ignore_ascii_case(row.agent))
                {
                    failures.push(format!("{source} {ua:?}: {:?} {:?}", got.class, got.agent));
                }
            }
        }
    }
    println!("{checked} example user agents checked against their rows' agents");
    assert!(checked >= 20, "{checked}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

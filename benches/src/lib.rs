//! Benchmarks live in benches/; see README. This library holds what several of them read.

/// Real user agents from `reference-data/`: (browsers from the uap-core test cases, crawlers from
/// crawler-user-agents' pattern instances).
pub fn reference_user_agents() -> (Vec<String>, Vec<String>) {
    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/../reference-data/");
    let crawlers = std::fs::read_to_string(format!("{data}crawlers/pattern_instances.tsv"))
        .expect("reference crawler data");
    let browsers = std::fs::read_to_string(format!("{data}browsers/test_ua.yaml"))
        .expect("reference browser data");
    let bots = crawlers
        .lines()
        .skip(1)
        .filter_map(|l| l.split('\t').nth(1).map(str::to_owned))
        .collect();
    let humans = browsers
        .lines()
        .filter_map(|l| {
            let v = l.trim().strip_prefix("- user_agent_string: ")?;
            Some(v.trim_matches(['\'', '"']).to_owned())
        })
        .collect();
    (humans, bots)
}
pub mod cpu;
pub mod edge;
pub mod synthetic;
pub mod workload;

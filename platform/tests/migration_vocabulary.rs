//! The migrations spell shared vocabulary values in SQL they cannot take from Rust (column
//! defaults, materialized views). They must agree with `schemas::vocab`, where the values are
//! defined: every literal compared with or defaulted into a vocabulary column is one of its
//! values, and every AI class list is exactly `AgentClass::AI`.

use std::path::Path;

use platform::clickhouse::migrations::load_dir;
use regex::Regex;
use schemas::alerts::{AlertRule, AlertState};
use schemas::vocab::{
    sql_list, AgentClass, Channel, CrawlResource, EventSource, EventType, JobStatus, RobotsVerdict,
    Verification, VerificationMethod, Vocabulary,
};

fn migrations_sql() -> Vec<(String, String)> {
    let dir = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../infra/clickhouse/migrations"
    ));
    load_dir(dir)
        .unwrap()
        .into_iter()
        .map(|m| (format!("{:04}_{}", m.version, m.name), m.sql))
        .collect()
}

/// Whether a text is a value of one vocabulary enum.
type Defined = fn(&str) -> bool;

fn parses<T: Vocabulary>(text: &str) -> bool {
    T::parse(text).is_some()
}

#[test]
fn every_vocabulary_literal_in_the_migrations_is_a_defined_value() {
    let columns: [(&str, Defined); 11] = [
        ("source", parses::<EventSource>),
        ("event_type", parses::<EventType>),
        ("channel", parses::<Channel>),
        ("agent_class", parses::<AgentClass>),
        ("verification", parses::<Verification>),
        ("verification_method", parses::<VerificationMethod>),
        ("robots", parses::<RobotsVerdict>),
        ("resource", parses::<CrawlResource>),
        ("status", parses::<JobStatus>),
        ("rule", parses::<AlertRule>),
        ("state", parses::<AlertState>),
    ];
    let mut checked = 0;
    let mut wrong = Vec::new();
    for (migration, sql) in migrations_sql() {
        for (column, valid) in columns {
            let literal = Regex::new(&format!(
                r"\b{column}\s*(?:=|!=|LowCardinality\(String\)\s+DEFAULT)\s*'([^']*)'"
            ))
            .unwrap();
            for found in literal.captures_iter(&sql) {
                let value = &found[1];
                // '' is "none" (e.g. no verification for a human visit), not a value.
                if value.is_empty() {
                    continue;
                }
                checked += 1;
                if !valid(value) {
                    wrong.push(format!("{migration}: {column} = '{value}'"));
                }
            }
        }
    }
    assert!(
        checked >= 15,
        "found only {checked} literals: is the pattern stale?"
    );
    assert!(wrong.is_empty(), "undefined values: {wrong:?}");
}

#[test]
fn every_ai_class_list_in_the_migrations_is_the_vocabularys() {
    let list = Regex::new(r"agent_class\s+IN\s*(\([^)]*\))").unwrap();
    let expected = sql_list(&AgentClass::AI);
    let mut lists = 0;
    for (migration, sql) in migrations_sql() {
        for found in list.captures_iter(&sql) {
            lists += 1;
            let normalized = found[1].split_whitespace().collect::<Vec<_>>().join(" ");
            assert_eq!(normalized, expected, "{migration}");
        }
    }
    assert!(lists >= 2, "found {lists} AI class lists");
}

//! The topic definition file every environment is created from.

use schemas::topics::{self, bundled_definitions, parse_definitions, parse_visitor_key};

#[test]
fn every_design_topic_is_defined_once() {
    let defs = bundled_definitions();
    let mut names: Vec<&str> = defs.iter().map(|d| d.name.as_str()).collect();
    names.sort();
    let mut expected = topics::ALL.to_vec();
    expected.sort();
    assert_eq!(names, expected);
}

#[test]
fn sessions_are_co_partitioned_with_their_input() {
    let defs = bundled_definitions();
    let partitions = |name: &str| defs.iter().find(|d| d.name == name).unwrap().partitions;
    assert_eq!(partitions(topics::BEACONS), partitions(topics::SESSIONS));
}

#[test]
fn one_setting_sizes_beacons_and_sessions_and_nothing_else() {
    let text = include_str!("../../infra/topics.tsv");
    let at = |n: i32| -> Vec<(String, i32)> {
        parse_definitions(text, n)
            .unwrap()
            .into_iter()
            .map(|d| (d.name, d.partitions))
            .collect()
    };
    let (six, twelve) = (at(6), at(12));
    assert_eq!(six, at(topics::DEFAULT_VISITOR_PARTITIONS));
    for ((name, p6), (_, p12)) in six.iter().zip(&twelve) {
        if name == topics::BEACONS || name == topics::SESSIONS {
            assert_eq!((*p6, *p12), (6, 12), "{name}");
        } else {
            assert_eq!(p6, p12, "{name} does not follow the visitor partitions");
        }
    }
    let err = parse_definitions(text, 0).unwrap_err().to_string();
    assert!(err.contains("at least 1"), "{err}");
}

#[test]
fn a_visitor_key_reads_back_as_its_property_and_visitor() {
    let key = topics::visitor_key(42, "v:with:colons");
    assert_eq!(parse_visitor_key(&key), Some((42, "v:with:colons")));
    assert_eq!(parse_visitor_key("no-colon"), None);
    assert_eq!(parse_visitor_key("x:v"), None);
}

#[test]
fn the_control_topic_is_one_compacted_partition_kept_forever() {
    let control = bundled_definitions()
        .into_iter()
        .find(|d| d.name == topics::CONTROL)
        .unwrap();
    assert_eq!(
        (
            control.partitions,
            control.retention_ms,
            control.cleanup_policy.as_str()
        ),
        (1, -1, "compact")
    );
}

#[test]
fn beacons_outlive_the_longest_plan_retention_for_replay() {
    let beacons = bundled_definitions()
        .into_iter()
        .find(|d| d.name == topics::BEACONS)
        .unwrap();
    assert!(
        beacons.retention_ms >= 365 * 86_400_000,
        "{}",
        beacons.retention_ms
    );
}

#[test]
fn malformed_definitions_name_the_line() {
    let err = parse_definitions("# c\nt\t0\t1\tdelete\n", 6)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("line 2") && err.contains("partitions"),
        "{err}"
    );
    assert!(parse_definitions("t\t1\t1\tshred\n", 6).is_err());
    assert!(parse_definitions("t\t1\n", 6).is_err());
    let err = parse_definitions("t\t1\t-1\tdelete\n", 6)
        .unwrap_err()
        .to_string();
    assert!(err.contains("finite retention"), "{err}");
}

//! The topic definition file every environment is created from.

use schemas::topics::{self, bundled_definitions, parse_definitions};

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
    let err = parse_definitions("# c\nt\t0\t1\tdelete\n")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("line 2") && err.contains("partitions"),
        "{err}"
    );
    assert!(parse_definitions("t\t1\t1\tshred\n").is_err());
    assert!(parse_definitions("t\t1\n").is_err());
    let err = parse_definitions("t\t1\t-1\tdelete\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("finite retention"), "{err}");
}

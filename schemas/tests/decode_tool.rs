//! The ops decode command, run as a real process on encoded topic bytes.

use std::io::Write;
use std::process::{Command, Stdio};

use schemas::control::{ControlEvent, Entity, Organization, Plan};
use schemas::encode;

fn run(args: &[&str], stdin: &[u8]) -> (i32, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_optiview-schemas"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
    )
}

fn org_event(name: &str) -> Vec<u8> {
    let org = Organization {
        id: "org_AbCdEfGh12".into(),
        name: name.into(),
        domain: "acme.com".into(),
        plan: Plan::Pro,
        created_at: 1,
    };
    encode(&ControlEvent::new(
        "admin-cli",
        "organization.created",
        &["name"],
        1,
        Entity::Organization(&org),
    ))
    .unwrap()
}

#[test]
fn decodes_one_raw_message_to_json() {
    let (code, out) = run(&["decode"], &org_event("Acme"));
    assert_eq!(code, 0);
    let json: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(json["organization"]["name"], "Acme");
    assert_eq!(json["organization"]["plan"], "pro");
}

#[test]
fn decodes_size_prefixed_and_hex_streams() {
    let (a, b) = (org_event("A"), org_event("B"));
    let mut framed = format!("{} ", a.len()).into_bytes();
    framed.extend_from_slice(&a);
    framed.extend_from_slice(format!("{} ", b.len()).as_bytes());
    framed.extend_from_slice(&b);
    let (code, out) = run(&["decode", "--framed"], &framed);
    assert_eq!(code, 0);
    let names: Vec<String> = out
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["organization"]["name"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(names, ["A", "B"]);

    let hex_lines = format!("{}\n{}\n", hex::encode(&a), hex::encode(&b));
    let (code, out) = run(&["decode", "--hex"], hex_lines.as_bytes());
    assert_eq!(code, 0);
    assert_eq!(out.lines().count(), 2);
}

#[test]
fn undecodable_input_reports_a_json_error_and_fails() {
    let (code, out) = run(&["decode"], b"{\"not\": \"avro\"}");
    assert_eq!(code, 1);
    let json: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert!(
        json["error"].as_str().unwrap().contains("single-object"),
        "{out}"
    );
}

//! The evaluation commands as a user runs them: lines on stdin, one JSON object per line out.

use std::io::Write;
use std::process::{Command, Stdio};

fn run(subcommand: &str, input: &str) -> Vec<serde_json::Value> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_stream-processors"))
        .arg(subcommand)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn classify_prints_one_object_per_user_agent() {
    let out = run(
        "classify",
        "Mozilla/5.0 (compatible; GPTBot/1.2; +https://openai.com/gptbot)\nMozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1\n",
    );
    assert_eq!(out.len(), 2);
    assert_eq!(out[0]["class"], "ai_training_crawler");
    assert_eq!(out[0]["agent"], "GPTBot");
    assert_eq!(out[0]["operator"], "OpenAI");
    assert_eq!(out[0]["browser"], serde_json::Value::Null);
    assert_eq!(out[1]["class"], "human");
    assert_eq!(out[1]["browser"], "Mobile Safari");
    assert_eq!(out[1]["browser_major"], "17");
    assert_eq!(out[1]["os"], "iOS");
    assert_eq!(out[1]["device"], "mobile");
    for key in [
        "class",
        "agent",
        "operator",
        "browser",
        "browser_major",
        "os",
        "device",
    ] {
        assert!(out[0].get(key).is_some(), "missing {key}");
    }
}

#[test]
fn attribute_reads_url_tab_referrer_lines() {
    let out = run(
        "attribute",
        "https://acme.com/\thttps://www.perplexity.ai/search?q=x\nhttps://acme.com/?utm_source=chatgpt.com\t\nhttps://acme.com/\n",
    );
    assert_eq!(out.len(), 3);
    assert_eq!(out[0]["ai_source"], "Perplexity");
    assert_eq!(out[0]["channel"], "ai");
    assert_eq!(out[0]["matched_by"], "referrer_host");
    assert_eq!(out[1]["ai_source"], "ChatGPT");
    assert_eq!(out[1]["matched_by"], "url_marker");
    assert_eq!(out[2]["ai_source"], serde_json::Value::Null);
    assert_eq!(out[2]["channel"], "direct");
}

#[test]
fn run_refuses_a_batch_of_zero_rows_before_connecting() {
    let output = Command::new(env!("CARGO_BIN_EXE_stream-processors"))
        .args(["run", "--batch-rows", "0", "--brokers", "127.0.0.1:1"])
        .output()
        .unwrap();
    // A usage error, as clap reports a flag it cannot parse.
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr).trim(),
        "error: invalid --batch-rows: is 0; use at least 1"
    );
}

#[test]
fn health_names_the_flag_whose_value_cannot_work() {
    let output = Command::new(env!("CARGO_BIN_EXE_stream-processors"))
        .args(["health", "--dedup-minutes=-1", "--brokers", "127.0.0.1:1"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr).trim(),
        "error: invalid --dedup-minutes: is -1; use 0 or more"
    );
}

#[test]
fn catalog_version_prints_the_catalogs_version() {
    let output = Command::new(env!("CARGO_BIN_EXE_stream-processors"))
        .arg("catalog-version")
        .output()
        .unwrap();
    assert!(output.status.success());
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        schemas::catalog::version()
    );
}

//! Secrets given through the environment are not printed back by the command line: clap shows
//! `[env: NAME=value]` in `--help` for every variable that is set, unless told not to.

use std::process::Command;

fn serve_help(env: &[(&str, &str)]) -> String {
    let mut command = Command::new(env!("CARGO_BIN_EXE_query-api"));
    command.args(["serve", "--help"]);
    for (name, value) in env {
        command.env(name, value);
    }
    let out = command.output().expect("run query-api");
    assert!(out.status.success());
    String::from_utf8(out.stdout).expect("UTF-8 help")
}

#[test]
fn help_shows_plain_settings_but_not_the_secret_ones() {
    let help = serve_help(&[
        ("OPTIVIEW_API_LISTEN", "127.0.0.1:48123"),
        (
            "OPTIVIEW_SMTP_URL",
            "smtp://mailer:smtp-marker-0b7e@mail.example:587",
        ),
        (
            "OPTIVIEW_SLACK_WEBHOOK_URL",
            "https://hooks.slack.com/services/T0/B0/slack-marker-5c2a",
        ),
        ("OPTIVIEW_CLICKHOUSE_PASSWORD", "ch-marker-91fe"),
    ]);
    // A plain setting is echoed, so the secrets' absence is clap's doing, not an empty help.
    assert!(help.contains("127.0.0.1:48123"), "{help}");
    for marker in ["smtp-marker-0b7e", "slack-marker-5c2a", "ch-marker-91fe"] {
        assert!(!help.contains(marker), "{marker} in:\n{help}");
    }
}

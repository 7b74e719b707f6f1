//! Health alerts and the Slack message they become; shared by the health processor (which raises
//! them) and the API (whose "send test alert" posts the same shape).

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::vocab::Vocabulary;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertRule {
    ErrorRate,
    LatencyP95,
    CronStall,
    /// A consumer group's lag has grown for longer than the threshold.
    ConsumerLag,
    /// A consumer group has no active member.
    NoConsumer,
    /// One operator's crawler hits on a project in the window are a multiple of its trailing
    /// baseline.
    CrawlSurge,
    /// Hits that claim one agent but fail its verification surge on a project.
    SpoofedSurge,
    Test,
}

impl Vocabulary for AlertRule {
    const ALL: &'static [Self] = &[
        AlertRule::ErrorRate,
        AlertRule::LatencyP95,
        AlertRule::CronStall,
        AlertRule::ConsumerLag,
        AlertRule::NoConsumer,
        AlertRule::CrawlSurge,
        AlertRule::SpoofedSurge,
        AlertRule::Test,
    ];

    fn as_str(self) -> &'static str {
        match self {
            AlertRule::ErrorRate => "error_rate",
            AlertRule::LatencyP95 => "latency_p95",
            AlertRule::CronStall => "cron_stall",
            AlertRule::ConsumerLag => "consumer_lag",
            AlertRule::NoConsumer => "no_consumer",
            AlertRule::CrawlSurge => "crawl_surge",
            AlertRule::SpoofedSurge => "spoofed_surge",
            AlertRule::Test => "test",
        }
    }
}

impl AlertRule {
    fn title(self) -> &'static str {
        match self {
            AlertRule::ErrorRate => "Collector error rate",
            AlertRule::LatencyP95 => "Collector p95 latency",
            AlertRule::CronStall => "Scheduled job stalled",
            AlertRule::ConsumerLag => "Consumer lag growing",
            AlertRule::NoConsumer => "Consumer group without members",
            AlertRule::CrawlSurge => "Crawl surge",
            AlertRule::SpoofedSurge => "Spoofed crawler surge",
            AlertRule::Test => "Test alert",
        }
    }

    /// How the value compares with the threshold when the rule is breached.
    fn breach_comparison(self) -> &'static str {
        match self {
            AlertRule::NoConsumer => "<",
            _ => ">",
        }
    }

    /// `value` as a person reads it: rates in percent, latency in ms, stalls in minutes.
    pub fn format(self, value: f64) -> String {
        match self {
            AlertRule::ErrorRate => format!("{:.2} %", value * 100.0),
            AlertRule::LatencyP95 => format!("{value:.0} ms"),
            AlertRule::CronStall => format!("{value:.0} min since last success"),
            AlertRule::ConsumerLag => format!("{value:.0} s growing"),
            AlertRule::NoConsumer => format!("{value:.0} active member(s)"),
            AlertRule::CrawlSurge | AlertRule::SpoofedSurge => {
                format!("{value:.1}× the trailing baseline")
            }
            AlertRule::Test => format!("{value}"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertState {
    Firing,
    Resolved,
    Test,
}

impl Vocabulary for AlertState {
    const ALL: &'static [Self] = &[AlertState::Firing, AlertState::Resolved, AlertState::Test];

    fn as_str(self) -> &'static str {
        match self {
            AlertState::Firing => "firing",
            AlertState::Resolved => "resolved",
            AlertState::Test => "test",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    pub rule: AlertRule,
    /// `global`, `property:<id>`, `job:<name>` or `group:<consumer group>`.
    pub scope: String,
    pub state: AlertState,
    pub value: f64,
    pub threshold: f64,
    /// What the value was measured over, e.g. "5 min ending 12:05 UTC".
    pub window: String,
    /// Extra conditions of the rule a reader needs, e.g. "and ≥ 500 events".
    pub condition: String,
    pub at_ms: i64,
}

/// The incoming-webhook body: a plain-text fallback and blocks with rule, scope, value,
/// threshold, window and a link to the health page of the dashboard served at `public_url`.
pub fn slack_message(alert: &Alert, public_url: &str) -> Value {
    let health_url = format!("{}/admin/health", public_url.trim_end_matches('/'));
    let (marker, verb) = match alert.state {
        AlertState::Firing => (":red_circle:", "firing"),
        AlertState::Resolved => (":large_green_circle:", "resolved"),
        AlertState::Test => (":white_circle:", "test"),
    };
    let title = format!("{marker} {} {verb}", alert.rule.title());
    let value = alert.rule.format(alert.value);
    let threshold = format!(
        "{} {}{}",
        alert.rule.breach_comparison(),
        alert.rule.format(alert.threshold),
        if alert.condition.is_empty() {
            String::new()
        } else {
            format!(" {}", alert.condition)
        }
    );
    let field =
        |name: &str, text: &str| json!({"type": "mrkdwn", "text": format!("*{name}*\n{text}")});
    json!({
        "text": format!("{title}: {} {value} (threshold {threshold}, {})", alert.scope, alert.window),
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": title}},
            {"type": "section", "fields": [
                field("Rule", alert.rule.as_str()),
                field("Scope", &alert.scope),
                field("Value", &value),
                field("Threshold", &threshold),
                field("Window", &alert.window),
                field("State", alert.state.as_str()),
            ]},
            {"type": "section", "text": {"type": "mrkdwn", "text": format!("<{health_url}|Open /admin/health>")}},
        ]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_names_rule_scope_value_threshold_window_and_links_the_health_page() {
        let alert = Alert {
            rule: AlertRule::ErrorRate,
            scope: "property:42".into(),
            state: AlertState::Firing,
            value: 0.02,
            threshold: 0.01,
            window: "5 min ending 12:05 UTC".into(),
            condition: "and ≥ 500 events".into(),
            at_ms: 0,
        };
        let message = slack_message(&alert, "https://optiview.example/");
        let text = message.to_string();
        for needle in [
            "error_rate",
            "property:42",
            "2.00 %",
            "> 1.00 % and ≥ 500 events",
            "5 min ending 12:05 UTC",
            "<https://optiview.example/admin/health|",
        ] {
            assert!(text.contains(needle), "{needle} missing from {text}");
        }
        assert_eq!(message["blocks"][0]["type"], "header");
        assert!(message["text"].as_str().unwrap().contains("firing"));
    }
}

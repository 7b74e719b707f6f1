//! Connections shared by the server and the ops subcommands, configured from the environment.

use std::time::Duration;

use clap::Args;
use metrics_exporter_prometheus::PrometheusHandle;
use platform::client_ip::ClientIpArgs;
use platform::config::{ConfigError, Environment, Validate};
use platform::control_follower::follow;
use platform::kafka::{producer_config, BROKERS_ENV, DEFAULT_BROKERS};
use rdkafka::producer::FutureProducer;
use schemas::topics;

use crate::control_writer::ControlWriter;
use crate::http::analytics::sql::{bounded, QueryBounds};
use crate::http::auth::mail::Mailer;
use crate::http::auth::outbox::Outbox;
use crate::http::auth::store::{AuthStore, SessionLifetimes};
use crate::http::state::{ApiConfig, ApiState, LimitSettings, Limits};

pub use platform::clickhouse::ClickHouseArgs;

#[derive(Debug, Clone, Args)]
pub struct KafkaArgs {
    /// Bootstrap brokers, host:port[,host:port].
    #[arg(long, env = BROKERS_ENV, default_value = DEFAULT_BROKERS)]
    pub brokers: String,
    /// Control topic to follow and write.
    #[arg(long, env = "OPTIVIEW_CONTROL_TOPIC", default_value = topics::CONTROL)]
    pub control_topic: String,
}

/// Follows the control topic until caught up, then returns a writer on top of it.
pub async fn control_writer(kafka: &KafkaArgs) -> anyhow::Result<ControlWriter> {
    let (handle, _task) = follow(&kafka.brokers, &kafka.control_topic).await?;
    handle.wait_caught_up(Duration::from_secs(30)).await?;
    let producer: FutureProducer = producer_config(&kafka.brokers).create()?;
    Ok(ControlWriter::new(
        producer,
        kafka.control_topic.clone(),
        handle,
    ))
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub clickhouse: ClickHouseArgs,
    /// Address to listen on.
    #[arg(long, env = "OPTIVIEW_API_LISTEN", default_value = "127.0.0.1:8081")]
    pub listen: String,
    /// Base URL of links sent by e-mail.
    #[arg(
        long,
        env = "OPTIVIEW_PUBLIC_URL",
        default_value = "http://127.0.0.1:8081"
    )]
    pub public_url: String,
    /// SMTP server for sign-in e-mails, e.g. `smtp://user:pass@mail.example.com:587?tls=required`
    /// or `smtps://…:465`; without it they go to `--outbox`. Carries a password: never shown.
    #[arg(long, env = "OPTIVIEW_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// Sender of sign-in e-mails.
    #[arg(
        long,
        env = "OPTIVIEW_MAIL_FROM",
        default_value = "Optiview <no-reply@optiview.localhost>"
    )]
    pub mail_from: String,
    /// File that receives sign-in e-mails (one JSON line each) when no SMTP server is set.
    #[arg(long, env = "OPTIVIEW_OUTBOX", default_value = ".stack/outbox.jsonl")]
    pub outbox: std::path::PathBuf,
    /// Slack incoming webhook of the test alert on /admin/health (the health processor's). The
    /// URL is the secret: never shown.
    #[arg(long, env = "OPTIVIEW_SLACK_WEBHOOK_URL", hide_env_values = true)]
    pub slack_webhook_url: Option<String>,
    /// Send the session cookie without `Secure` (plain-HTTP localhost only).
    #[arg(long, env = "OPTIVIEW_INSECURE_COOKIES")]
    pub insecure_cookies: bool,
    /// `production` refuses settings that only a laptop may use: insecure cookies, a plain-HTTP
    /// public URL, sign-in e-mails written to a file, no trusted proxy in front, Kafka other
    /// than SASL_SSL.
    #[arg(long, env = "OPTIVIEW_ENVIRONMENT", value_enum, default_value_t = Environment::Local)]
    pub environment: Environment,
    /// Sign-in links per e-mail address per minute.
    #[arg(long, default_value_t = 5)]
    pub sign_in_per_email: u32,
    /// Sign-in links per client IP per minute.
    #[arg(long, default_value_t = 20)]
    pub sign_in_per_ip: u32,
    /// API calls per client IP per minute.
    #[arg(long, env = "OPTIVIEW_API_PER_IP", default_value_t = 1200)]
    pub api_per_ip: u32,
    /// API calls per signed-in principal per minute.
    #[arg(long, env = "OPTIVIEW_API_PER_PRINCIPAL", default_value_t = 600)]
    pub api_per_principal: u32,
    /// Which proxies are believed about the client address the per-IP limits are keyed on.
    #[command(flatten)]
    pub client_ip: ClientIpArgs,
    /// Longest a dashboard query may run in ClickHouse (`max_execution_time`), in seconds; over it
    /// the call answers 503 `query_too_expensive`.
    #[arg(long, env = "OPTIVIEW_QUERY_TIMEOUT_SECS", default_value_t = 10)]
    pub query_timeout_secs: u64,
    /// Most memory a dashboard query may use in ClickHouse (`max_memory_usage`), in MiB.
    #[arg(long, env = "OPTIVIEW_QUERY_MAX_MEMORY_MIB", default_value_t = 2048)]
    pub query_max_memory_mib: u64,
    /// A session ends after this many hours without use.
    #[arg(long, env = "OPTIVIEW_SESSION_IDLE_HOURS", default_value_t = 14 * 24)]
    pub session_idle_hours: u32,
    /// A session ends this many hours after sign-in, however much it is used.
    #[arg(long, env = "OPTIVIEW_SESSION_LIFETIME_HOURS", default_value_t = 30 * 24)]
    pub session_lifetime_hours: u32,
}

/// An absolute URL with one of `schemes`.
fn url_with(flag: &'static str, text: &str, schemes: &[&str]) -> Result<(), ConfigError> {
    let url =
        url::Url::parse(text).map_err(|e| ConfigError::new(flag, format!("{text:?}: {e}")))?;
    if !schemes.contains(&url.scheme()) {
        return Err(ConfigError::new(
            flag,
            format!("{text:?} is not a {} URL", schemes.join(" or ")),
        ));
    }
    if !url.has_host() {
        return Err(ConfigError::new(flag, format!("{text:?} names no host")));
    }
    Ok(())
}

impl ServeArgs {
    /// What production needs beyond a working configuration.
    fn production_requirements(&self) -> Result<(), ConfigError> {
        if self.insecure_cookies {
            return Err(ConfigError::new(
                "--insecure-cookies",
                "is set in production; session cookies must be Secure",
            ));
        }
        if !self.public_url.starts_with("https://") {
            return Err(ConfigError::new(
                "--public-url",
                format!(
                    "{:?} is not https in production; sign-in links and Secure cookies need it",
                    self.public_url
                ),
            ));
        }
        if self.smtp_url.is_none() {
            return Err(ConfigError::new(
                "--smtp-url",
                "is unset in production; sign-in links would only be written to --outbox",
            ));
        }
        // HTTPS means a TLS proxy in front; without trusting it every user shares its
        // address, and one bucket of the per-address limits.
        if self.client_ip.trusted_proxies.is_empty() && self.client_ip.client_ip_header.is_none() {
            return Err(ConfigError::new(
                "--trusted-proxies",
                "is empty in production; name the TLS proxy in front (or --client-ip-header)",
            ));
        }
        Ok(())
    }
}

impl Validate for ServeArgs {
    fn validate(&self) -> Result<(), ConfigError> {
        let limits = [
            ("--sign-in-per-email", self.sign_in_per_email),
            ("--sign-in-per-ip", self.sign_in_per_ip),
            ("--api-per-ip", self.api_per_ip),
            ("--api-per-principal", self.api_per_principal),
        ];
        if let Some((flag, _)) = limits.iter().find(|(_, per_minute)| *per_minute == 0) {
            return Err(ConfigError::new(flag, "is 0; use at least 1 (per minute)"));
        }
        // 0 means "no limit" to ClickHouse: refused rather than silently unbounded.
        let bounds = [
            ("--query-timeout-secs", self.query_timeout_secs),
            ("--query-max-memory-mib", self.query_max_memory_mib),
            ("--session-idle-hours", u64::from(self.session_idle_hours)),
            (
                "--session-lifetime-hours",
                u64::from(self.session_lifetime_hours),
            ),
        ];
        if let Some((flag, _)) = bounds.iter().find(|(_, value)| *value == 0) {
            return Err(ConfigError::new(flag, "is 0; use at least 1"));
        }
        if self.query_max_memory_mib > 1 << 30 {
            return Err(ConfigError::new(
                "--query-max-memory-mib",
                "is more than any server has; use MiB",
            ));
        }
        let port = self
            .listen
            .rsplit_once(':')
            .map(|(_, port)| port.parse::<u16>());
        if !matches!(port, Some(Ok(_))) {
            return Err(ConfigError::new(
                "--listen",
                format!("{:?} is not host:port", self.listen),
            ));
        }
        url_with("--public-url", &self.public_url, &["http", "https"])?;
        if self.environment == Environment::Production {
            self.production_requirements()?;
        }
        if let Some(smtp) = &self.smtp_url {
            url_with("--smtp-url", smtp, &["smtp", "smtps"])?;
            self.mail_from
                .parse::<lettre::message::Mailbox>()
                .map_err(|e| {
                    ConfigError::new("--mail-from", format!("{:?}: {e}", self.mail_from))
                })?;
        }
        if let Some(hook) = self
            .slack_webhook_url
            .as_deref()
            .filter(|u| !u.trim().is_empty())
        {
            url_with("--slack-webhook-url", hook, &["https", "http"])?;
        }
        Ok(())
    }
}

impl ServeArgs {
    pub fn query_bounds(&self) -> QueryBounds {
        QueryBounds {
            max_execution_secs: self.query_timeout_secs,
            max_memory_bytes: self.query_max_memory_mib << 20,
        }
    }

    pub fn session_lifetimes(&self) -> SessionLifetimes {
        const HOUR_MS: i64 = 3_600_000;
        SessionLifetimes {
            idle_ms: i64::from(self.session_idle_hours) * HOUR_MS,
            absolute_ms: i64::from(self.session_lifetime_hours) * HOUR_MS,
        }
    }

    /// `prometheus` renders `/metrics` (none: it answers 404).
    pub fn state(
        &self,
        writer: ControlWriter,
        prometheus: Option<PrometheusHandle>,
    ) -> anyhow::Result<ApiState> {
        let mailer = match &self.smtp_url {
            Some(url) => Mailer::smtp(url, &self.mail_from)?,
            None => Mailer::Outbox(Outbox::new(&self.outbox)),
        };
        Ok(ApiState {
            writer: std::sync::Arc::new(writer),
            clickhouse: bounded(self.clickhouse.client(), self.query_bounds()),
            auth: AuthStore::new(self.session_lifetimes()),
            mailer,
            limits: Limits::new(LimitSettings {
                sign_in_per_email: self.sign_in_per_email,
                sign_in_per_ip: self.sign_in_per_ip,
                api_per_ip: self.api_per_ip,
                api_per_principal: self.api_per_principal,
            })
            .behind(self.client_ip.clone()),
            config: ApiConfig {
                public_url: self.public_url.clone(),
                secure_cookies: !self.insecure_cookies,
                slack_webhook_url: self
                    .slack_webhook_url
                    .clone()
                    .filter(|url| !url.trim().is_empty()),
            },
            prometheus,
        })
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        serve: ServeArgs,
    }

    fn flag_of(args: &[&str]) -> Option<&'static str> {
        let cli =
            Cli::try_parse_from(std::iter::once("query-api").chain(args.iter().copied())).unwrap();
        cli.serve.validate().err().map(|e| e.flag)
    }

    #[test]
    fn the_defaults_are_valid_and_each_bad_value_names_its_flag() {
        assert_eq!(flag_of(&[]), None);
        assert_eq!(flag_of(&["--api-per-ip", "0"]), Some("--api-per-ip"));
        assert_eq!(
            flag_of(&["--sign-in-per-email", "0"]),
            Some("--sign-in-per-email")
        );
        assert_eq!(flag_of(&["--listen", "8081"]), Some("--listen"));
        assert_eq!(
            flag_of(&["--public-url", "example.com"]),
            Some("--public-url")
        );
        assert_eq!(
            flag_of(&["--public-url", "ftp://example.com"]),
            Some("--public-url")
        );
        assert_eq!(
            flag_of(&["--smtp-url", "mail.example.com:587"]),
            Some("--smtp-url")
        );
        assert_eq!(
            flag_of(&[
                "--smtp-url",
                "smtp://mail.example.com",
                "--mail-from",
                "nobody"
            ]),
            Some("--mail-from")
        );
        assert_eq!(
            flag_of(&[
                "--smtp-url",
                "smtps://mail.example.com:465",
                "--public-url",
                "https://optiview.example"
            ]),
            None
        );
        assert_eq!(
            flag_of(&["--slack-webhook-url", "hooks.slack.com/x"]),
            Some("--slack-webhook-url")
        );
        for flag in [
            "--query-timeout-secs",
            "--query-max-memory-mib",
            "--session-idle-hours",
            "--session-lifetime-hours",
        ] {
            assert_eq!(flag_of(&[flag, "0"]), Some(flag));
        }
    }

    #[test]
    fn production_refuses_what_only_a_laptop_may_use() {
        let ready = [
            ("--environment", "production"),
            ("--public-url", "https://optiview.example"),
            ("--smtp-url", "smtps://mail.example:465"),
            ("--trusted-proxies", "10.0.0.0/8"),
        ];
        let args = |changed: &[(&'static str, Option<&'static str>)]| -> Vec<&'static str> {
            let mut out = Vec::new();
            for (flag, value) in ready {
                match changed.iter().find(|(f, _)| *f == flag) {
                    Some((_, None)) => {}
                    Some((_, Some(other))) => out.extend([flag, *other]),
                    None => out.extend([flag, value]),
                }
            }
            out.extend(
                changed
                    .iter()
                    .filter(|(f, _)| !ready.iter().any(|(r, _)| r == f))
                    .map(|(f, _)| *f),
            );
            out
        };
        assert_eq!(flag_of(&args(&[])), None);
        // Each requirement alone: the ready set with one setting spoiled.
        let spoiled = [
            (("--insecure-cookies", None), "--insecure-cookies"),
            (
                ("--public-url", Some("http://optiview.example")),
                "--public-url",
            ),
            (("--smtp-url", None), "--smtp-url"),
            (("--trusted-proxies", None), "--trusted-proxies"),
        ];
        for (change, flag) in spoiled {
            let args = args(&[change]);
            assert_eq!(flag_of(&args), Some(flag), "{args:?}");
        }
        // The same settings are fine on a laptop.
        assert_eq!(
            flag_of(&[
                "--insecure-cookies",
                "--public-url",
                "http://127.0.0.1:8081"
            ]),
            None
        );
    }

    #[test]
    fn the_default_bounds_are_ten_seconds_two_gib_and_thirty_days() {
        let cli = Cli::try_parse_from(["query-api"]).unwrap();
        assert_eq!(cli.serve.query_bounds(), QueryBounds::default());
        assert_eq!(cli.serve.session_lifetimes(), SessionLifetimes::default());
    }
}

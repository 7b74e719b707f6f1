//! Connections shared by the server and the ops subcommands, configured from the environment.

use std::time::Duration;

use clap::Args;
use metrics_exporter_prometheus::PrometheusHandle;
use platform::control_follower::follow;
use platform::kafka::{producer_config, BROKERS_ENV, DEFAULT_BROKERS};
use rdkafka::producer::FutureProducer;
use schemas::topics;

use crate::control_writer::ControlWriter;
use crate::http::auth::mail::Mailer;
use crate::http::auth::outbox::Outbox;
use crate::http::auth::store::AuthStore;
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
    /// or `smtps://…:465`; without it they go to `--outbox`.
    #[arg(long, env = "OPTIVIEW_SMTP_URL")]
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
    /// Send the session cookie without `Secure` (plain-HTTP localhost only).
    /// Slack incoming webhook of the test alert on /admin/health (the health processor's).
    #[arg(long, env = "OPTIVIEW_SLACK_WEBHOOK_URL")]
    pub slack_webhook_url: Option<String>,
    #[arg(long, env = "OPTIVIEW_INSECURE_COOKIES")]
    pub insecure_cookies: bool,
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
}

impl ServeArgs {
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
            clickhouse: self.clickhouse.client(),
            auth: AuthStore::default(),
            mailer,
            limits: Limits::new(LimitSettings {
                sign_in_per_email: self.sign_in_per_email,
                sign_in_per_ip: self.sign_in_per_ip,
                api_per_ip: self.api_per_ip,
                api_per_principal: self.api_per_principal,
            }),
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

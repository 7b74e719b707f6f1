//! What every handler can reach, built once in `server::serve`'s caller.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::{Arc, RwLockReadGuard};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use metrics_exporter_prometheus::PrometheusHandle;
use schemas::control::ControlView;

use super::auth::mail::Mailer;
use super::auth::store::AuthStore;
use super::error::ApiError;
use crate::control_writer::ControlWriter;

pub struct ApiConfig {
    /// Where links in e-mails point, e.g. `http://127.0.0.1:8081`.
    pub public_url: String,
    /// `Secure` on the session cookie; off only when explicitly serving plain-HTTP localhost.
    pub secure_cookies: bool,
    /// Where /admin/health's "send test alert" posts; none: the action answers 409.
    pub slack_webhook_url: Option<String>,
}

pub struct ApiState {
    pub writer: Arc<ControlWriter>,
    /// Reads what stream-processors wrote; every query binds its values.
    pub clickhouse: clickhouse::Client,
    pub auth: AuthStore,
    /// Where sign-in links go: SMTP or the local outbox file.
    pub mailer: Mailer,
    pub limits: Limits,
    pub config: ApiConfig,
    /// Renders `/metrics`; none where no recorder is installed (tests).
    pub prometheus: Option<PrometheusHandle>,
}

impl ApiState {
    /// The control view as the writer last applied it; hold it only while deciding, never across
    /// an await (writes wait for the view to apply them).
    pub fn view(&self) -> RwLockReadGuard<'_, ControlView> {
        self.writer.view().view()
    }
}

/// Every API call is limited per client IP and per principal (its session); sign-in harder, per
/// e-mail address and per client IP.
pub struct Limits {
    sign_in_per_email: DefaultKeyedRateLimiter<String>,
    sign_in_per_ip: DefaultKeyedRateLimiter<IpAddr>,
    api_per_ip: DefaultKeyedRateLimiter<IpAddr>,
    api_per_principal: DefaultKeyedRateLimiter<String>,
}

/// Requests per minute.
#[derive(Debug, Clone, Copy)]
pub struct LimitSettings {
    pub sign_in_per_email: u32,
    pub sign_in_per_ip: u32,
    pub api_per_ip: u32,
    pub api_per_principal: u32,
}

fn per_minute(n: u32) -> Quota {
    Quota::per_minute(NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN))
}

fn limited(not_until: governor::NotUntil<governor::clock::QuantaInstant>) -> ApiError {
    ApiError::rate_limited(
        not_until
            .wait_time_from(DefaultClock::default().now())
            .as_secs()
            + 1,
    )
}

impl Limits {
    pub fn new(settings: LimitSettings) -> Self {
        Self {
            sign_in_per_email: RateLimiter::keyed(per_minute(settings.sign_in_per_email)),
            sign_in_per_ip: RateLimiter::keyed(per_minute(settings.sign_in_per_ip)),
            api_per_ip: RateLimiter::keyed(per_minute(settings.api_per_ip)),
            api_per_principal: RateLimiter::keyed(per_minute(settings.api_per_principal)),
        }
    }

    /// `principal` is what identifies the caller's credentials (a hash of the session cookie).
    pub fn api_call(&self, ip: Option<IpAddr>, principal: Option<String>) -> Result<(), ApiError> {
        if let Some(ip) = ip {
            self.api_per_ip.check_key(&ip).map_err(limited)?;
        }
        if let Some(principal) = principal {
            self.api_per_principal
                .check_key(&principal)
                .map_err(limited)?;
        }
        Ok(())
    }

    pub fn sign_in(&self, email: &str, ip: Option<IpAddr>) -> Result<(), ApiError> {
        if let Some(ip) = ip {
            self.sign_in_per_ip.check_key(&ip).map_err(limited)?;
        }
        self.sign_in_per_email
            .check_key(&email.to_owned())
            .map_err(limited)
    }
}

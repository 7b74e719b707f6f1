//! What every handler can reach, built once in `server::serve`'s caller.

use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, RwLockReadGuard};
use std::time::{Duration, Instant};

use actix_web::http::header::HeaderMap;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use metrics_exporter_prometheus::PrometheusHandle;
use platform::client_ip::ClientIpArgs;
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

/// Every API call is limited per client IP and per principal (its session); sign-in per client IP,
/// and the links sent per e-mail address.
///
/// Each limiter holds one entry per key it has seen, and keys are chosen by callers (any cookie,
/// any address), so the tables are pruned now and then: a key whose bucket has refilled is
/// indistinguishable from a new one and is dropped, while a key still held back stays.
pub struct Limits {
    links_per_email: DefaultKeyedRateLimiter<String>,
    sign_in_per_ip: DefaultKeyedRateLimiter<IpAddr>,
    api_per_ip: DefaultKeyedRateLimiter<IpAddr>,
    api_per_principal: DefaultKeyedRateLimiter<String>,
    /// Who the client is behind the proxies in front of the API: the per-IP tables are keyed on
    /// it, never on a forwarding header an untrusted peer sent.
    client_ip: ClientIpArgs,
    /// When the tables were last pruned; held while pruning, so one caller prunes at a time.
    pruned_at: Mutex<Instant>,
}

/// How often the limiter tables are pruned: between prunes they grow at most by the keys seen in
/// this time.
const PRUNE_EVERY: Duration = Duration::from_secs(60);

/// Requests per minute.
#[derive(Debug, Clone, Copy)]
pub struct LimitSettings {
    /// Sign-in links sent to one address; over it the request is answered as always but no
    /// further link is sent (the links already sent stay valid).
    pub sign_in_per_email: u32,
    pub sign_in_per_ip: u32,
    pub api_per_ip: u32,
    pub api_per_principal: u32,
}

/// Keys held by each limiter table, for tests and diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitTableSizes {
    pub links_per_email: usize,
    pub sign_in_per_ip: usize,
    pub api_per_ip: usize,
    pub api_per_principal: usize,
}

impl LimitTableSizes {
    pub fn total(&self) -> usize {
        self.links_per_email + self.sign_in_per_ip + self.api_per_ip + self.api_per_principal
    }
}

fn prune<K: Hash + Eq + Clone>(table: &DefaultKeyedRateLimiter<K>) {
    table.retain_recent();
    table.shrink_to_fit();
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
            links_per_email: RateLimiter::keyed(per_minute(settings.sign_in_per_email)),
            sign_in_per_ip: RateLimiter::keyed(per_minute(settings.sign_in_per_ip)),
            api_per_ip: RateLimiter::keyed(per_minute(settings.api_per_ip)),
            api_per_principal: RateLimiter::keyed(per_minute(settings.api_per_principal)),
            client_ip: ClientIpArgs::default(),
            pruned_at: Mutex::new(Instant::now()),
        }
    }

    /// Keys the per-IP limits on the client these proxies vouch for (by default nobody is
    /// trusted: the socket peer).
    pub fn behind(mut self, proxies: ClientIpArgs) -> Self {
        self.client_ip = proxies;
        self
    }

    /// The client address the per-IP limits are keyed on (`platform::client_ip`).
    pub fn client_ip(&self, peer: Option<IpAddr>, headers: &HeaderMap) -> Option<IpAddr> {
        self.client_ip.client_ip(peer, headers)
    }

    /// `principal` is what identifies the caller's credentials (a hash of the session cookie).
    pub fn api_call(&self, ip: Option<IpAddr>, principal: Option<String>) -> Result<(), ApiError> {
        self.prune_now_and_then();
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

    /// Asking for a sign-in link from `ip`: over the limit is a 429.
    pub fn sign_in(&self, ip: Option<IpAddr>) -> Result<(), ApiError> {
        self.prune_now_and_then();
        match ip {
            Some(ip) => self.sign_in_per_ip.check_key(&ip).map_err(limited),
            None => Ok(()),
        }
    }

    /// Whether another sign-in link may be sent to `email` now. Not an error to the caller: a
    /// flood of requests for someone's address slows the e-mails, never their signing in.
    pub fn may_send_link(&self, email: &str) -> bool {
        self.links_per_email.check_key(&email.to_owned()).is_ok()
    }

    /// Drops every key whose bucket is full again, and gives the memory back.
    pub fn prune(&self) {
        prune(&self.links_per_email);
        prune(&self.sign_in_per_ip);
        prune(&self.api_per_ip);
        prune(&self.api_per_principal);
    }

    pub fn table_sizes(&self) -> LimitTableSizes {
        LimitTableSizes {
            links_per_email: self.links_per_email.len(),
            sign_in_per_ip: self.sign_in_per_ip.len(),
            api_per_ip: self.api_per_ip.len(),
            api_per_principal: self.api_per_principal.len(),
        }
    }

    fn prune_now_and_then(&self) {
        // Busy means another caller is pruning: no one waits for it.
        let Ok(mut pruned_at) = self.pruned_at.try_lock() else {
            return;
        };
        if pruned_at.elapsed() >= PRUNE_EVERY {
            self.prune();
            *pruned_at = Instant::now();
        }
    }
}

//! Everything a request handler needs, in one place.

use std::sync::Arc;

use metrics_exporter_prometheus::PrometheusHandle;
use platform::control_follower::ControlHandle;
use platform::ip_database::SharedNetworkDatabases;
use platform::raw_address::AddressKeys;

use crate::clock::{Clock, SystemClock};
use crate::config::EdgeConfig;
use crate::cookieless::CookielessSalts;
use crate::rate_limit::{LimitSettings, RateLimits};
use crate::sink::BeaconSink;
use crate::stats::StatsCollector;
use crate::telemetry::RequestMetrics;

pub struct AppState {
    pub config: EdgeConfig,
    pub control: ControlHandle,
    pub sink: Arc<dyn BeaconSink>,
    /// Seal server hits' raw addresses; shared with the processors through their directory.
    /// Without them a hit's address is not written at all.
    pub address_keys: Option<AddressKeys>,
    pub limits: RateLimits,
    pub stats: Arc<StatsCollector>,
    pub prometheus: Option<PrometheusHandle>,
    pub request_metrics: RequestMetrics,
    pub cookieless: Arc<CookielessSalts>,
    /// The address → network and country databases; empty (every lookup answers nothing) until
    /// `with_networks`.
    pub networks: SharedNetworkDatabases,
}

impl AppState {
    pub fn new(
        config: EdgeConfig,
        control: ControlHandle,
        sink: Arc<dyn BeaconSink>,
        prometheus: Option<PrometheusHandle>,
    ) -> Self {
        let limits = RateLimits::new(LimitSettings {
            key_rps: config.key_rps,
            key_burst: config.key_burst,
            tag_rps: config.tag_rps,
            tag_burst: config.tag_burst,
            ip_rps: config.ip_rps,
            ip_burst: config.ip_burst,
        });
        let stats = Arc::new(StatsCollector::new(config.instance_id.clone()));
        let cookieless = Arc::new(CookielessSalts::new(
            config.cookieless_salt_dir.clone(),
            Arc::new(SystemClock),
        ));
        Self {
            config,
            control,
            sink,
            address_keys: None,
            limits,
            stats,
            prometheus,
            request_metrics: RequestMetrics::default(),
            cookieless,
            networks: SharedNetworkDatabases::default(),
        }
    }

    pub fn with_networks(mut self, networks: SharedNetworkDatabases) -> Self {
        self.networks = networks;
        self
    }

    pub fn with_address_keys(mut self, keys: AddressKeys) -> Self {
        self.address_keys = Some(keys);
        self
    }

    /// The cookieless salts on `clock` instead of the machine's: how a test moves to the next day.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.cookieless = Arc::new(CookielessSalts::new(
            self.config.cookieless_salt_dir.clone(),
            clock,
        ));
        self
    }
}

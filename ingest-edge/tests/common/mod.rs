//! A control view with several tenants, and the real server on port 0.

#![allow(dead_code)]

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::web;
use clap::Parser;
use ingest_edge::config::EdgeConfig;
use ingest_edge::server::serve;
use ingest_edge::sink::BeaconSink;
use ingest_edge::state::AppState;
use platform::control_follower::ControlHandle;
use platform::raw_address::{AddressKeys, Opened};
use schemas::beacon::Beacon;
use schemas::control::{ControlView, Permission, Plan};
use schemas::Contract;

pub use schemas::fixtures::Tenant;

/// Applies a command that must succeed.
pub fn submit<C: schemas::control::Decide>(view: &mut ControlView, command: C) -> C::Outcome {
    schemas::fixtures::submit(view, command).unwrap().outcome
}

pub fn onboard(view: &mut ControlView, domain: &str, permissions: Vec<Permission>) -> Tenant {
    schemas::fixtures::onboard(view, domain, Plan::Growth, permissions)
}

pub fn all() -> Vec<Permission> {
    vec![Permission::Collect, Permission::Hits, Permission::Read]
}

/// Default configuration with test overrides given as command-line flags.
pub fn config(flags: &[&str]) -> EdgeConfig {
    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        config: EdgeConfig,
    }
    // A directory of this test process's own, so no test writes salts into the source tree,
    // unless the test names one.
    let salts = std::env::temp_dir().join(format!("optiview-edge-salts-{}", std::process::id()));
    let salts = salts.to_string_lossy().into_owned();
    let mut args = vec!["ingest-edge", "--ip-salt", "test-salt"];
    if !flags.contains(&"--cookieless-salt-dir") {
        args.extend(["--cookieless-salt-dir", &salts]);
    }
    args.extend_from_slice(flags);
    Cli::parse_from(args).config
}

pub struct Running {
    pub base: String,
    pub state: web::Data<AppState>,
    /// The keys the server seals addresses with, in a directory of this test's own.
    pub address_keys: AddressKeys,
    handle: actix_web::dev::ServerHandle,
    _key_dir: tempfile::TempDir,
}

impl Running {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        actix_web::rt::spawn(async move { handle.stop(false).await });
    }
}

pub fn start(view: ControlView, sink: Arc<dyn BeaconSink>, config: EdgeConfig) -> Running {
    start_state(AppState::new(
        config,
        ControlHandle::fixed(view),
        sink,
        None,
    ))
}

/// The real server on port 0 around a state the test built (e.g. on a test clock), sealing
/// addresses with keys of its own.
pub fn start_state(state: AppState) -> Running {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let key_dir = tempfile::tempdir().unwrap();
    let address_keys = AddressKeys::open(key_dir.path(), chrono::Duration::hours(72)).unwrap();
    let state = web::Data::new(state.with_address_keys(address_keys.clone()));
    let server = serve(state.clone(), listener).unwrap();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    Running {
        base,
        state,
        address_keys,
        handle,
        _key_dir: key_dir,
    }
}

/// A tag envelope for a tenant, with the given events.
pub fn envelope(t: &Tenant, events: serde_json::Value) -> serde_json::Value {
    serde_json::json!({
        "key_id": t.key, "project_id": t.project, "property_id": t.property,
        "visitor_id": "v1", "session_id": "s1", "events": events
    })
}

pub fn pageview(url: &str) -> serde_json::Value {
    serde_json::json!({ "id": "evt-1", "type": "pageview", "ts": 1795515332000i64, "url": url, "title": "Home", "referrer": "https://chatgpt.com/" })
}

/// Reads a topic from the beginning until `want` messages arrived or nothing came for 3 s.
pub async fn read_all<T: Contract>(
    brokers: &str,
    topic: &str,
    partitions: i32,
    want: usize,
) -> Vec<T> {
    platform::test_support::read_topic(brokers, topic, partitions, want).await
}

/// The address a beacon's server hit carries, opened with the server's keys.
pub fn opened_address(server: &Running, beacon: &Beacon) -> Option<String> {
    let hit = beacon.hit.as_ref()?;
    assert_eq!(hit.ip, None, "the plain field is never written");
    let sealed = hit.sealed_ip.as_ref()?;
    match server
        .address_keys
        .open_sealed(sealed, &beacon.event_id, chrono::Utc::now())
        .unwrap()
    {
        Opened::Address(address) => Some(address),
        other => panic!("{other:?}"),
    }
}

/// Writes the view's events to the control topic, as query-api would.
pub async fn publish(brokers: &str, topic: &str, events: &[schemas::control::ControlEvent]) {
    let producer: rdkafka::producer::FutureProducer =
        platform::kafka::producer_config(brokers).create().unwrap();
    for event in events {
        let payload = schemas::encode(event).unwrap();
        producer
            .send(
                rdkafka::producer::FutureRecord::to(topic)
                    .key(&event.entity_id)
                    .payload(&payload),
                std::time::Duration::from_secs(10),
            )
            .await
            .unwrap();
    }
}

/// Rebuilds the control events that produced `view` (organizations, projects, properties, keys).
pub fn control_log(view: &ControlView) -> Vec<schemas::control::ControlEvent> {
    use schemas::control::{ControlEvent, Entity};
    let mut events = Vec::new();
    for org in view.organizations() {
        events.push(ControlEvent::new(
            "test",
            "organization.created",
            &[],
            1,
            Entity::Organization(org),
        ));
        for project in view.projects_of(&org.id) {
            events.push(ControlEvent::new(
                "test",
                "project.created",
                &[],
                1,
                Entity::Project(project),
            ));
            for property in view.properties_of(&project.id) {
                events.push(ControlEvent::new(
                    "test",
                    "property.created",
                    &[],
                    1,
                    Entity::Property(property),
                ));
                for key in view.api_keys_of(property.id) {
                    events.push(ControlEvent::new(
                        "test",
                        "api_key.created",
                        &[],
                        1,
                        Entity::ApiKey(key),
                    ));
                }
            }
        }
    }
    events
}

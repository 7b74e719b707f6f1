//! Fixtures for tests and benchmarks: a sample beacon and tenants onboarded into a view. Behind
//! the `fixtures` feature, out of the production build.

use std::collections::HashMap;

use crate::beacon::{Beacon, TagEvent, TagEventType};
use crate::control::ids::{hash_secret, new_id, new_secret};
use crate::control::{
    CommandError, ControlEvent, ControlView, CreateApiKey, CreateOrganization, CreateProject,
    Decide, Decision, Permission, Plan,
};

/// A browser conversion beacon with every optional field set, for tests and benchmarks.
/// A changelog record of `visitor`'s session `session` at `version` (its times and counts follow
/// the version), having applied input `offset`.
pub fn sample_session_update(
    visitor: &str,
    session: &str,
    version: i32,
    offset: i64,
) -> crate::session::SessionUpdate {
    let started_at = 1_000 * i64::from(version);
    crate::session::SessionUpdate {
        session_id: session.into(),
        organization_id: "org_1".into(),
        project_id: "prj_1".into(),
        property_id: 1,
        visitor_id: visitor.into(),
        started_at,
        last_seen_at: started_at,
        pageviews: version,
        events: version,
        entry_url: "https://acme.com/".into(),
        exit_url: "https://acme.com/".into(),
        referrer_host: None,
        ai_source: None,
        agent_class: "human".into(),
        converted: false,
        conversions: 0,
        conversion_value: 0.0,
        closed: false,
        input_offset: offset,
        version,
        opened_at: started_at,
        referrer: None,
        channel: "direct".into(),
        utm: Default::default(),
        seen: Vec::new(),
        last_ai_source: None,
        last_ai_at: None,
        watermark: started_at,
    }
}

pub fn sample_tag_beacon() -> Beacon {
    Beacon {
        event_id: "6f1c7d9e-0000-4000-8000-000000000001".into(),
        received_at: 1_764_000_000_123,
        request_id: "req-1".into(),
        key_id: "key_AbCdEfGh12".into(),
        project_id: "prj_AbCdEfGh12".into(),
        property_id: 42,
        visitor_id: "v-123".into(),
        // A whole browser user agent: a bare "Mozilla/5.0" has no browser shape and is a robot.
        user_agent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15".into(),
        ip_hash: "ab12".into(),
        country: Some("DE".into()),
        asn: None,
        as_organization: None,
        tag: Some(TagEvent {
            event_type: TagEventType::Conversion,
            client_ts: Some(1_764_000_000_000),
            session_id: Some("s-1".into()),
            url: "https://example.com/pricing?utm_source=chatgpt.com".into(),
            referrer: Some("https://chatgpt.com/".into()),
            title: Some("Pricing".into()),
            screen: Some("1920x1080".into()),
            language: Some("de-DE".into()),
            time_zone: Some("Europe/Berlin".into()),
            utm: HashMap::from([("utm_source".into(), "chatgpt.com".into())]),
            name: Some("signup".into()),
            props: HashMap::from([("plan".into(), "pro".into())]),
            value: Some(49.5),
            currency: Some("EUR".into()),
            automation: None,
        }),
        hit: None,
    }
}

/// A tenant onboarded into a [`ControlView`] for tests.
pub struct Tenant {
    pub org: String,
    pub project: String,
    pub property: i64,
    pub key: String,
    pub secret: String,
}

/// Decides `command` against `view` and applies its events, as the follower would after the
/// broker acknowledged them.
pub fn submit<C: Decide>(
    view: &mut ControlView,
    command: C,
) -> Result<Decision<C::Outcome>, CommandError> {
    let decision = view.decide("test", 1_764_000_000_000, &command)?;
    for event in &decision.events {
        view.apply(event).expect("decided events apply");
    }
    Ok(decision)
}

/// Organization, project (with its default property) and an API key with `permissions`.
pub fn onboard(
    view: &mut ControlView,
    domain: &str,
    plan: Plan,
    permissions: Vec<Permission>,
) -> Tenant {
    onboard_events(view, domain, plan, permissions).0
}

/// [`onboard`], also returning the control events it applied, in order: what a test writes to a
/// control topic for a real process to follow.
pub fn onboard_events(
    view: &mut ControlView,
    domain: &str,
    plan: Plan,
    permissions: Vec<Permission>,
) -> (Tenant, Vec<ControlEvent>) {
    let mut events = Vec::new();
    let org = new_id("org");
    recorded(
        &mut events,
        view,
        CreateOrganization {
            id: org.clone(),
            name: "Tenant".into(),
            domain: domain.into(),
            plan,
        },
    )
    .expect("organization");
    let project = new_id("prj");
    let created = recorded(
        &mut events,
        view,
        CreateProject {
            id: project.clone(),
            organization_id: org.clone(),
            name: "Site".into(),
            domain: domain.into(),
        },
    )
    .expect("project");
    let property = created.outcome.default_property.id;
    let key = new_id("key");
    let secret = new_secret();
    let command = CreateApiKey {
        id: key.clone(),
        property_id: property,
        name: "key".into(),
        permissions,
        secret_hash: hash_secret(&secret),
    };
    recorded(&mut events, view, command).expect("api key");
    let tenant = Tenant {
        org,
        project,
        property,
        key,
        secret,
    };
    (tenant, events)
}

/// [`submit`], appending the applied events to `events`.
fn recorded<C: Decide>(
    events: &mut Vec<ControlEvent>,
    view: &mut ControlView,
    command: C,
) -> Result<Decision<C::Outcome>, CommandError> {
    let decision = submit(view, command)?;
    events.extend(decision.events.iter().cloned());
    Ok(decision)
}

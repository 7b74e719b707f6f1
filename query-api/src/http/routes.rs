//! Every route, in one table: its method, path and who may call it. Routes are registered only
//! from here, so a route cannot exist without saying whether it is public; `tests/http_auth.rs`
//! calls every non-public route without credentials and expects 401.

use actix_web::web;

use super::admin_health;
use super::analytics::{content, conversions, crawlers, events, install, journeys, referrals};
use super::auth::handlers as auth;
use super::control::{ai_sources, keys, members, organizations, projects, properties, tokens};
use super::openapi;
use super::server::{healthz, readyz};
use super::web as web_pages;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Deliberately open: probes, and the sign-in steps themselves.
    Public,
    /// A signed-in user (session cookie; writes also need the CSRF token).
    Principal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verb {
    Get,
    Post,
}

/// Attaches the handler to a route of the right method.
type Attach = fn(actix_web::Route) -> actix_web::Route;

#[derive(Debug, Clone, Copy)]
pub struct RouteSpec {
    pub verb: Verb,
    pub path: &'static str,
    pub access: Access,
    /// One line for the OpenAPI document.
    pub summary: &'static str,
    /// A dashboard page (HTML), left out of the API's OpenAPI document.
    pub page: bool,
    attach: Attach,
}

const fn get(
    path: &'static str,
    access: Access,
    summary: &'static str,
    attach: Attach,
) -> RouteSpec {
    RouteSpec {
        verb: Verb::Get,
        path,
        access,
        summary,
        page: false,
        attach,
    }
}

const fn post(
    path: &'static str,
    access: Access,
    summary: &'static str,
    attach: Attach,
) -> RouteSpec {
    RouteSpec {
        verb: Verb::Post,
        path,
        access,
        summary,
        page: false,
        attach,
    }
}

/// A dashboard page: the public HTML shell, whose data comes from the routes behind auth.
const fn page(path: &'static str, summary: &'static str) -> RouteSpec {
    RouteSpec {
        verb: Verb::Get,
        path,
        access: Access::Public,
        summary,
        page: true,
        attach: |r| r.to(web_pages::page),
    }
}

use Access::{Principal, Public};

pub const ROUTES: &[RouteSpec] = &[
    get("/api/openapi.json", Public, "This OpenAPI document", |r| {
        r.to(openapi::document_json)
    }),
    get("/api/docs", Public, "Interactive API reference", |r| {
        r.to(openapi::reference_page)
    }),
    get("/healthz", Public, "Liveness probe", |r| r.to(healthz)),
    page("/", "Dashboard home (goes to the current project's events)"),
    page("/login", "Sign in with a magic link"),
    page("/projects", "Projects of the organization; create one"),
    page("/settings", "Properties of the current project"),
    page("/api-keys", "API keys: create, list, revoke"),
    page("/install", "Install wizard with live verification"),
    page("/sources", "AI sources shown in the dashboards"),
    page("/events", "Events dashboard"),
    page("/content", "Content dashboard"),
    page("/journeys", "Journeys dashboard"),
    page("/referrals", "AI referrals dashboard"),
    page("/conversions", "Conversions dashboard"),
    page("/crawlers", "AI crawlers dashboard"),
    page("/data-policy", "Retention and what is collected"),
    page(
        "/admin/organizations",
        "Platform admins: organizations and owners",
    ),
    page(
        "/admin/health",
        "Platform admins: ingest health, consumer lag, jobs and alerts",
    ),
    RouteSpec {
        verb: Verb::Get,
        path: "/assets/{file:.*}",
        access: Public,
        summary: "Dashboard scripts, styles and vendor files",
        page: true,
        attach: |r| r.to(web_pages::asset),
    },
    get(
        "/readyz",
        Public,
        "Readiness: the control view is caught up",
        |r| r.to(readyz),
    ),
    post(
        "/api/v1/auth/magic-link",
        Public,
        "Email a single-use sign-in link (same answer for unknown addresses)",
        |r| r.to(auth::request_link),
    ),
    get(
        "/api/v1/auth/callback",
        Public,
        "Follow a sign-in link: sets the session cookie",
        |r| r.to(auth::follow_link),
    ),
    post(
        "/api/v1/auth/logout",
        Principal,
        "End this browser session",
        |r| r.to(auth::logout),
    ),
    get(
        "/api/v1/me",
        Principal,
        "The signed-in user, their organizations and the CSRF token",
        |r| r.to(auth::me),
    ),
    get(
        "/api/v1/admin/health",
        Principal,
        "Ingest rate, error rate, p95 latency, consumer lag, jobs and recent alerts (platform admins)",
        |r| r.to(admin_health::overview),
    ),
    post(
        "/api/v1/admin/health/test-alert",
        Principal,
        "Send a test alert to the Slack webhook (platform admins)",
        |r| r.to(admin_health::test_alert),
    ),
    post(
        "/api/v1/organizations",
        Principal,
        "Create an organization (platform admins)",
        |r| r.to(organizations::create),
    ),
    get(
        "/api/v1/organizations",
        Principal,
        "Organizations the principal can see",
        |r| r.to(organizations::list),
    ),
    get(
        "/api/v1/organizations/{org}",
        Principal,
        "An organization and its data policy",
        |r| r.to(organizations::detail),
    ),
    post(
        "/api/v1/organizations/{org}/plan",
        Principal,
        "Change the plan (platform admins)",
        |r| r.to(organizations::change_plan),
    ),
    post(
        "/api/v1/organizations/{org}/projects",
        Principal,
        "Create a project and its default property (owners)",
        |r| r.to(projects::create),
    ),
    get(
        "/api/v1/organizations/{org}/projects",
        Principal,
        "Projects of an organization",
        |r| r.to(projects::list),
    ),
    post(
        "/api/v1/organizations/{org}/members",
        Principal,
        "Invite or change a member",
        |r| r.to(members::invite),
    ),
    get(
        "/api/v1/organizations/{org}/members",
        Principal,
        "Members of an organization",
        |r| r.to(members::list),
    ),
    post(
        "/api/v1/projects/{project}/properties",
        Principal,
        "Add a property",
        |r| r.to(properties::create),
    ),
    get(
        "/api/v1/projects/{project}/properties",
        Principal,
        "Properties of a project",
        |r| r.to(properties::list),
    ),
    get(
        "/api/v1/projects/{project}/ai-sources",
        Principal,
        "The AI source catalog with this project's choices",
        |r| r.to(ai_sources::list),
    ),
    post(
        "/api/v1/projects/{project}/ai-sources",
        Principal,
        "Choose the AI sources the project tracks",
        |r| r.to(ai_sources::set),
    ),
    post(
        "/api/v1/properties/{property}/settings",
        Principal,
        "Change a property's flags",
        |r| r.to(properties::configure),
    ),
    post(
        "/api/v1/properties/{property}/keys",
        Principal,
        "Create an API key (secret shown once)",
        |r| r.to(keys::create),
    ),
    get(
        "/api/v1/properties/{property}/keys",
        Principal,
        "API keys of a property, without secrets",
        |r| r.to(keys::list),
    ),
    get(
        "/api/v1/properties/{property}/install",
        Principal,
        "Install verification: last event and its age",
        |r| r.to(install::status),
    ),
    post(
        "/api/v1/keys/{key}/revoke",
        Principal,
        "Revoke an API key",
        |r| r.to(keys::revoke),
    ),
    get(
        "/api/v1/projects/{project}/events",
        Principal,
        "Events: totals, time series, breakdowns",
        |r| r.to(events::report),
    ),
    get(
        "/api/v1/projects/{project}/content",
        Principal,
        "Content: discovered pages with views, AI crawler hits and referrals",
        |r| r.to(content::report),
    ),
    get(
        "/api/v1/projects/{project}/journeys",
        Principal,
        "Journeys: session metrics, top paths, latest sessions",
        |r| r.to(journeys::report),
    ),
    get(
        "/api/v1/projects/{project}/referrals",
        Principal,
        "AI referrals: sessions per assistant, landing pages, engagement",
        |r| r.to(referrals::report),
    ),
    get(
        "/api/v1/projects/{project}/conversions",
        Principal,
        "Conversions by AI source under both attribution models",
        |r| r.to(conversions::report),
    ),
    get(
        "/api/v1/projects/{project}/crawlers",
        Principal,
        "AI crawlers: hits by operator, agent, class, status; crawl-to-referral",
        |r| r.to(crawlers::report),
    ),
    post(
        "/api/v1/organizations/{org}/tokens",
        Principal,
        "Create an analyst API token (shown once)",
        |r| r.to(tokens::create),
    ),
    get(
        "/api/v1/organizations/{org}/tokens",
        Principal,
        "The caller's analyst tokens",
        |r| r.to(tokens::list),
    ),
    post(
        "/api/v1/tokens/{token}/revoke",
        Principal,
        "Revoke an analyst token",
        |r| r.to(tokens::revoke),
    ),
];

/// Registers every route of the table with its handler.
pub fn configure(cfg: &mut web::ServiceConfig) {
    for spec in ROUTES {
        let method = match spec.verb {
            Verb::Get => web::get(),
            Verb::Post => web::post(),
        };
        cfg.route(spec.path, (spec.attach)(method));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_has_no_duplicates() {
        let mut seen = std::collections::HashSet::new();
        for spec in ROUTES {
            assert!(seen.insert((spec.verb, spec.path)), "{spec:?} twice");
        }
    }
}

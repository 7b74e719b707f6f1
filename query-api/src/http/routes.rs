//! Every route, in one table: its method, path and who may call it. Routes are registered only
//! from here, so a route cannot exist without saying whether it is public; `tests/http_auth.rs`
//! calls every non-public route without credentials and expects 401.

use actix_web::web;

use super::analytics::{content, conversions, crawlers, events, install, journeys, referrals};
use super::auth::handlers as auth;
use super::control::{ai_sources, keys, members, organizations, projects, properties, tokens};
use super::server::{healthz, readyz};

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
    attach: Attach,
}

const fn get(path: &'static str, access: Access, attach: Attach) -> RouteSpec {
    RouteSpec {
        verb: Verb::Get,
        path,
        access,
        attach,
    }
}

const fn post(path: &'static str, access: Access, attach: Attach) -> RouteSpec {
    RouteSpec {
        verb: Verb::Post,
        path,
        access,
        attach,
    }
}

use Access::{Principal, Public};

pub const ROUTES: &[RouteSpec] = &[
    get("/healthz", Public, |r| r.to(healthz)),
    get("/readyz", Public, |r| r.to(readyz)),
    post("/api/v1/auth/magic-link", Public, |r| {
        r.to(auth::request_link)
    }),
    get("/api/v1/auth/callback", Public, |r| r.to(auth::follow_link)),
    post("/api/v1/auth/logout", Principal, |r| r.to(auth::logout)),
    get("/api/v1/me", Principal, |r| r.to(auth::me)),
    post("/api/v1/organizations", Principal, |r| {
        r.to(organizations::create)
    }),
    get("/api/v1/organizations", Principal, |r| {
        r.to(organizations::list)
    }),
    get("/api/v1/organizations/{org}", Principal, |r| {
        r.to(organizations::detail)
    }),
    post("/api/v1/organizations/{org}/plan", Principal, |r| {
        r.to(organizations::change_plan)
    }),
    post("/api/v1/organizations/{org}/projects", Principal, |r| {
        r.to(projects::create)
    }),
    get("/api/v1/organizations/{org}/projects", Principal, |r| {
        r.to(projects::list)
    }),
    post("/api/v1/organizations/{org}/members", Principal, |r| {
        r.to(members::invite)
    }),
    get("/api/v1/organizations/{org}/members", Principal, |r| {
        r.to(members::list)
    }),
    post("/api/v1/projects/{project}/properties", Principal, |r| {
        r.to(properties::create)
    }),
    get("/api/v1/projects/{project}/properties", Principal, |r| {
        r.to(properties::list)
    }),
    get("/api/v1/projects/{project}/ai-sources", Principal, |r| {
        r.to(ai_sources::list)
    }),
    post("/api/v1/projects/{project}/ai-sources", Principal, |r| {
        r.to(ai_sources::set)
    }),
    post("/api/v1/properties/{property}/settings", Principal, |r| {
        r.to(properties::configure)
    }),
    post("/api/v1/properties/{property}/keys", Principal, |r| {
        r.to(keys::create)
    }),
    get("/api/v1/properties/{property}/keys", Principal, |r| {
        r.to(keys::list)
    }),
    get("/api/v1/properties/{property}/install", Principal, |r| {
        r.to(install::status)
    }),
    post("/api/v1/keys/{key}/revoke", Principal, |r| {
        r.to(keys::revoke)
    }),
    get("/api/v1/projects/{project}/events", Principal, |r| {
        r.to(events::report)
    }),
    get("/api/v1/projects/{project}/content", Principal, |r| {
        r.to(content::report)
    }),
    get("/api/v1/projects/{project}/journeys", Principal, |r| {
        r.to(journeys::report)
    }),
    get("/api/v1/projects/{project}/referrals", Principal, |r| {
        r.to(referrals::report)
    }),
    get("/api/v1/projects/{project}/conversions", Principal, |r| {
        r.to(conversions::report)
    }),
    get("/api/v1/projects/{project}/crawlers", Principal, |r| {
        r.to(crawlers::report)
    }),
    post("/api/v1/organizations/{org}/tokens", Principal, |r| {
        r.to(tokens::create)
    }),
    get("/api/v1/organizations/{org}/tokens", Principal, |r| {
        r.to(tokens::list)
    }),
    post("/api/v1/tokens/{token}/revoke", Principal, |r| {
        r.to(tokens::revoke)
    }),
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

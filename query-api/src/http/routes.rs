//! Every route, in one table: its method, path and who may call it. Routes are registered only
//! from here, so a route cannot exist without saying whether it is public; `tests/http_routes.rs`
//! calls every non-public route without credentials and expects 401.

use actix_web::web;

use super::analytics::install;
use super::auth::handlers as auth;
use super::control::{ai_sources, keys, members, organizations, projects, properties};
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

#[derive(Debug, Clone, Copy)]
pub struct RouteSpec {
    pub verb: Verb,
    pub path: &'static str,
    pub access: Access,
}

const fn route(verb: Verb, path: &'static str, access: Access) -> RouteSpec {
    RouteSpec { verb, path, access }
}

pub const ROUTES: &[RouteSpec] = &[
    route(Verb::Get, "/healthz", Access::Public),
    route(Verb::Get, "/readyz", Access::Public),
    route(Verb::Post, "/api/v1/auth/magic-link", Access::Public),
    route(Verb::Get, "/api/v1/auth/callback", Access::Public),
    route(Verb::Post, "/api/v1/auth/logout", Access::Principal),
    route(Verb::Get, "/api/v1/me", Access::Principal),
    route(Verb::Post, "/api/v1/organizations", Access::Principal),
    route(Verb::Get, "/api/v1/organizations", Access::Principal),
    route(Verb::Get, "/api/v1/organizations/{org}", Access::Principal),
    route(
        Verb::Post,
        "/api/v1/organizations/{org}/plan",
        Access::Principal,
    ),
    route(
        Verb::Post,
        "/api/v1/organizations/{org}/projects",
        Access::Principal,
    ),
    route(
        Verb::Get,
        "/api/v1/organizations/{org}/projects",
        Access::Principal,
    ),
    route(
        Verb::Post,
        "/api/v1/projects/{project}/properties",
        Access::Principal,
    ),
    route(
        Verb::Get,
        "/api/v1/projects/{project}/properties",
        Access::Principal,
    ),
    route(
        Verb::Post,
        "/api/v1/properties/{property}/settings",
        Access::Principal,
    ),
    route(
        Verb::Post,
        "/api/v1/properties/{property}/keys",
        Access::Principal,
    ),
    route(
        Verb::Get,
        "/api/v1/properties/{property}/keys",
        Access::Principal,
    ),
    route(Verb::Post, "/api/v1/keys/{key}/revoke", Access::Principal),
    route(
        Verb::Get,
        "/api/v1/projects/{project}/ai-sources",
        Access::Principal,
    ),
    route(
        Verb::Post,
        "/api/v1/projects/{project}/ai-sources",
        Access::Principal,
    ),
    route(
        Verb::Post,
        "/api/v1/organizations/{org}/members",
        Access::Principal,
    ),
    route(
        Verb::Get,
        "/api/v1/organizations/{org}/members",
        Access::Principal,
    ),
    route(
        Verb::Get,
        "/api/v1/properties/{property}/install",
        Access::Principal,
    ),
];

/// Registers every route of the table with its handler.
pub fn configure(cfg: &mut web::ServiceConfig) {
    for spec in ROUTES {
        let method = match spec.verb {
            Verb::Get => web::get(),
            Verb::Post => web::post(),
        };
        let handler = match (spec.verb, spec.path) {
            (Verb::Get, "/healthz") => method.to(healthz),
            (Verb::Get, "/readyz") => method.to(readyz),
            (Verb::Post, "/api/v1/auth/magic-link") => method.to(auth::request_link),
            (Verb::Get, "/api/v1/auth/callback") => method.to(auth::follow_link),
            (Verb::Post, "/api/v1/auth/logout") => method.to(auth::logout),
            (Verb::Get, "/api/v1/me") => method.to(auth::me),
            (Verb::Post, "/api/v1/organizations") => method.to(organizations::create),
            (Verb::Get, "/api/v1/organizations") => method.to(organizations::list),
            (Verb::Get, "/api/v1/organizations/{org}") => method.to(organizations::detail),
            (Verb::Post, "/api/v1/organizations/{org}/plan") => {
                method.to(organizations::change_plan)
            }
            (Verb::Post, "/api/v1/organizations/{org}/projects") => method.to(projects::create),
            (Verb::Get, "/api/v1/organizations/{org}/projects") => method.to(projects::list),
            (Verb::Post, "/api/v1/projects/{project}/properties") => method.to(properties::create),
            (Verb::Get, "/api/v1/projects/{project}/properties") => method.to(properties::list),
            (Verb::Post, "/api/v1/properties/{property}/settings") => {
                method.to(properties::configure)
            }
            (Verb::Post, "/api/v1/properties/{property}/keys") => method.to(keys::create),
            (Verb::Get, "/api/v1/properties/{property}/keys") => method.to(keys::list),
            (Verb::Post, "/api/v1/keys/{key}/revoke") => method.to(keys::revoke),
            (Verb::Get, "/api/v1/properties/{property}/install") => method.to(install::status),
            (Verb::Post, "/api/v1/organizations/{org}/members") => method.to(members::invite),
            (Verb::Get, "/api/v1/organizations/{org}/members") => method.to(members::list),
            (Verb::Get, "/api/v1/projects/{project}/ai-sources") => method.to(ai_sources::list),
            (Verb::Post, "/api/v1/projects/{project}/ai-sources") => method.to(ai_sources::set),
            (verb, path) => unreachable!("route {verb:?} {path} has no handler"),
        };
        cfg.route(spec.path, handler);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_has_no_duplicates_and_every_entry_has_a_handler() {
        let mut seen = std::collections::HashSet::new();
        for spec in ROUTES {
            assert!(seen.insert((spec.verb, spec.path)), "{spec:?} twice");
        }
        // Building the app runs `configure`, which panics on an entry without a handler.
        let _ = actix_web::App::new().configure(configure);
    }
}

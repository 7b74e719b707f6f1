//! Every route, in one table: its method, path, who may call it, and the shapes it takes and
//! answers. Routes are registered only from here, so a route cannot exist without saying whether
//! it is public; `tests/http_auth.rs` calls every non-public route without credentials and expects
//! 401, and the OpenAPI document (`openapi.rs`) is generated from the same table.

use actix_web::http::header;
use actix_web::{web, HttpResponse};

use super::admin_health::{self, HealthOverview, TestAlertSent};
use super::analytics::content::{self, ContentReport};
use super::analytics::conversions::{self, ConversionsReport};
use super::analytics::crawlers::{self, CrawlersReport};
use super::analytics::events::{self, EventsReport};
use super::analytics::install::{self, InstallStatus};
use super::analytics::journeys::{self, JourneysReport};
use super::analytics::referrals::{self, ReferralsReport};
use super::analytics::request::DashboardQuery;
use super::auth::handlers::{
    self as auth, Callback, LinkSent, MagicLinkRequest, Me, SessionEnded, SessionList,
    SignedOutEverywhere,
};
use super::control::ai_sources::{self, AiSourceList, Enabled};
use super::control::keys::{self, KeyList, KeyRevoked, NewKey};
use super::control::members::{self, Invitation, MemberList, MembershipReply, RoleChange};
use super::control::organizations::{
    self, NewOrganization, NewPlan, OrganizationDetail, OrganizationList, OrganizationReply,
};
use super::control::projects::{self, NewProject, ProjectCreatedReply, ProjectList};
use super::control::properties::{self, NewProperty, PropertyList, PropertyReply, Settings};
use super::control::tokens::{self, NewToken, TokenCreated, TokenList, TokenRevoked};
use super::control::users::{
    self as admin_users, PlatformAdminChange, UserDeactivated, UserInvitation, UserInvited,
    UserList, UserReply,
};
use super::error::ErrorBody;
use super::openapi;
use super::route_spec::{action, created, get, json, post, query_of, Attach, SchemaOf};
pub use super::route_spec::{Access, Answer, RouteSpec, Verb};
use super::server::{healthz, metrics, readyz, Liveness, Readiness};
use super::vocabulary::{self, Vocabularies};
use super::web as web_pages;
use crate::api_keys::CreatedKey;

/// A dashboard page: the public HTML shell, whose data comes from the routes behind auth.
const fn page(path: &'static str, summary: &'static str) -> RouteSpec {
    RouteSpec {
        verb: Verb::Get,
        path,
        access: Access::Public,
        summary,
        page: true,
        body: None,
        query: None,
        answer: Answer::Text("text/html"),
        attach: |r| r.to(web_pages::page),
    }
}

/// A dashboard endpoint: `GET /api/v1/projects/{project}/<name>` with the shared query.
const fn dashboard(
    path: &'static str,
    summary: &'static str,
    answer: Answer,
    attach: Attach,
) -> RouteSpec {
    get(path, Access::Principal, summary, answer, attach).with_query(query_of::<DashboardQuery>)
}

use Access::{Principal, Public};

pub const ROUTES: &[RouteSpec] = &[
    get(
        "/api/openapi.json",
        Public,
        "This OpenAPI document",
        Answer::Document,
        |r| r.to(openapi::document_json),
    ),
    get(
        "/api/docs",
        Public,
        "Interactive API reference",
        Answer::Text("text/html"),
        |r| r.to(openapi::reference_page),
    ),
    get(
        "/healthz",
        Public,
        "Liveness probe",
        json::<Liveness>(),
        |r| r.to(healthz),
    ),
    get(
        "/metrics",
        Public,
        "Prometheus metrics: requests and latency per route",
        Answer::Text("text/plain"),
        |r| r.to(metrics),
    ),
    page("/", "Dashboard home (goes to the current project's events)"),
    page("/login", "Sign in with a magic link"),
    page("/projects", "Projects of the organization; create one"),
    page("/settings", "Properties of the current project"),
    page("/api-keys", "API keys: create, list, revoke"),
    page(
        "/account",
        "Your account: active sessions, sign out a device or everywhere",
    ),
    page(
        "/members",
        "Members: invite, change roles, remove (owners only for owners)",
    ),
    page(
        "/tokens",
        "Analyst tokens: create (shown once, with a curl line), list, revoke",
    ),
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
        "/admin/users",
        "Platform admins: every user, invite by address, platform admin, deactivate",
    ),
    page(
        "/admin/health",
        "Platform admins: ingest health, consumer lag, jobs and alerts",
    ),
    RouteSpec {
        attach: |r| r.to(web_pages::asset),
        ..page(
            "/assets/{file:.*}",
            "Dashboard scripts, styles and vendor files",
        )
    },
    get(
        "/readyz",
        Public,
        "Readiness: the control view is caught up (503 with the same body until it is)",
        json::<Readiness>(),
        |r| r.to(readyz),
    ),
    post::<MagicLinkRequest>(
        "/api/v1/auth/magic-link",
        Public,
        "Email a single-use sign-in link (same answer for unknown addresses)",
        Answer::Json(202, SchemaOf::of::<LinkSent>()),
        |r| r.to(auth::request_link),
    ),
    get(
        "/api/v1/auth/callback",
        Public,
        "Follow a sign-in link: sets the session cookie and redirects to the dashboard",
        Answer::Empty(303),
        |r| r.to(auth::follow_link),
    )
    .with_query(query_of::<Callback>),
    action(
        "/api/v1/auth/logout",
        Principal,
        "End this browser session",
        Answer::Empty(204),
        |r| r.to(auth::logout),
    ),
    action(
        "/api/v1/auth/logout-everywhere",
        Principal,
        "Sign out everywhere: end every session of the signed-in user, this one included",
        json::<SignedOutEverywhere>(),
        |r| r.to(auth::logout_everywhere),
    ),
    get(
        "/api/v1/auth/sessions",
        Principal,
        "The signed-in user's live browser sessions: device, since when, last used",
        json::<SessionList>(),
        |r| r.to(auth::sessions),
    ),
    action(
        "/api/v1/auth/sessions/{session}/end",
        Principal,
        "End one of the signed-in user's sessions (another device)",
        json::<SessionEnded>(),
        |r| r.to(auth::end_session),
    ),
    get(
        "/api/v1/vocabulary",
        Public,
        "The values the dashboard's forms offer (plans, roles, property kinds, content sorts) with their labels; defaults first",
        json::<Vocabularies>(),
        |r| r.to(vocabulary::vocabularies),
    ),
    get(
        "/api/v1/me",
        Principal,
        "The signed-in user, their organizations and the CSRF token",
        json::<Me>(),
        |r| r.to(auth::me),
    ),
    get(
        "/api/v1/admin/health",
        Principal,
        "Ingest rate, error rate, p95 latency, consumer lag, jobs and recent alerts (platform admins)",
        json::<HealthOverview>(),
        |r| r.to(admin_health::overview),
    ),
    action(
        "/api/v1/admin/health/test-alert",
        Principal,
        "Send a test alert to the Slack webhook (platform admins)",
        json::<TestAlertSent>(),
        |r| r.to(admin_health::test_alert),
    ),
    get(
        "/api/v1/admin/users",
        Principal,
        "Every user with their organizations and roles, platform-admin flag and last sign-in (platform admins)",
        json::<UserList>(),
        |r| r.to(admin_users::list),
    ),
    post::<UserInvitation>(
        "/api/v1/admin/users",
        Principal,
        "Invite by address: create the user if new and e-mail a sign-in link (platform admins)",
        created::<UserInvited>(),
        |r| r.to(admin_users::invite),
    ),
    post::<PlatformAdminChange>(
        "/api/v1/admin/users/{user}/platform-admin",
        Principal,
        "Grant or withdraw platform admin (one active platform admin always stays; platform admins)",
        json::<UserReply>(),
        |r| r.to(admin_users::set_platform_admin),
    ),
    action(
        "/api/v1/admin/users/{user}/deactivate",
        Principal,
        "Deactivate a user: their sessions and tokens stop working at once (not yourself; platform admins)",
        json::<UserDeactivated>(),
        |r| r.to(admin_users::deactivate),
    ),
    action(
        "/api/v1/admin/users/{user}/reactivate",
        Principal,
        "Reactivate a user with the memberships and tokens they had (platform admins)",
        json::<UserReply>(),
        |r| r.to(admin_users::reactivate),
    ),
    post::<NewOrganization>(
        "/api/v1/organizations",
        Principal,
        "Create an organization (platform admins)",
        created::<OrganizationReply>(),
        |r| r.to(organizations::create),
    ),
    get(
        "/api/v1/organizations",
        Principal,
        "Organizations the principal can see",
        json::<OrganizationList>(),
        |r| r.to(organizations::list),
    ),
    get(
        "/api/v1/organizations/{org}",
        Principal,
        "An organization and its data policy",
        json::<OrganizationDetail>(),
        |r| r.to(organizations::detail),
    ),
    post::<NewPlan>(
        "/api/v1/organizations/{org}/plan",
        Principal,
        "Change the plan (platform admins)",
        json::<OrganizationReply>(),
        |r| r.to(organizations::change_plan),
    ),
    post::<NewProject>(
        "/api/v1/organizations/{org}/projects",
        Principal,
        "Create a project and its default property (owners)",
        created::<ProjectCreatedReply>(),
        |r| r.to(projects::create),
    ),
    get(
        "/api/v1/organizations/{org}/projects",
        Principal,
        "Projects of an organization",
        json::<ProjectList>(),
        |r| r.to(projects::list),
    ),
    post::<Invitation>(
        "/api/v1/organizations/{org}/members",
        Principal,
        "Invite or change a member",
        created::<MembershipReply>(),
        |r| r.to(members::invite),
    ),
    get(
        "/api/v1/organizations/{org}/members",
        Principal,
        "Members of an organization",
        json::<MemberList>(),
        |r| r.to(members::list),
    ),
    post::<RoleChange>(
        "/api/v1/organizations/{org}/members/{user}/role",
        Principal,
        "Change a member's role (only owners make or change owners; the last owner stays)",
        json::<MembershipReply>(),
        |r| r.to(members::change_role),
    ),
    action(
        "/api/v1/organizations/{org}/members/{user}/remove",
        Principal,
        "Remove a member (only owners remove owners; the last owner stays)",
        json::<MembershipReply>(),
        |r| r.to(members::remove),
    ),
    post::<NewProperty>(
        "/api/v1/projects/{project}/properties",
        Principal,
        "Add a property",
        created::<PropertyReply>(),
        |r| r.to(properties::create),
    ),
    get(
        "/api/v1/projects/{project}/properties",
        Principal,
        "Properties of a project",
        json::<PropertyList>(),
        |r| r.to(properties::list),
    ),
    get(
        "/api/v1/projects/{project}/ai-sources",
        Principal,
        "The AI source catalog with this project's choices",
        json::<AiSourceList>(),
        |r| r.to(ai_sources::list),
    ),
    post::<Enabled>(
        "/api/v1/projects/{project}/ai-sources",
        Principal,
        "Choose the AI sources the project tracks",
        json::<AiSourceList>(),
        |r| r.to(ai_sources::set),
    ),
    post::<Settings>(
        "/api/v1/properties/{property}/settings",
        Principal,
        "Change a property's flags",
        json::<PropertyReply>(),
        |r| r.to(properties::configure),
    ),
    post::<NewKey>(
        "/api/v1/properties/{property}/keys",
        Principal,
        "Create an API key (secret shown once)",
        created::<CreatedKey>(),
        |r| r.to(keys::create),
    ),
    get(
        "/api/v1/properties/{property}/keys",
        Principal,
        "API keys of a property, without secrets",
        json::<KeyList>(),
        |r| r.to(keys::list),
    ),
    get(
        "/api/v1/properties/{property}/install",
        Principal,
        "Install verification: last event and its age",
        json::<InstallStatus>(),
        |r| r.to(install::status),
    ),
    action(
        "/api/v1/keys/{key}/revoke",
        Principal,
        "Revoke an API key",
        json::<KeyRevoked>(),
        |r| r.to(keys::revoke),
    ),
    dashboard(
        "/api/v1/projects/{project}/events",
        "Events: totals, time series, breakdowns",
        json::<EventsReport>(),
        |r| r.to(events::report),
    ),
    dashboard(
        "/api/v1/projects/{project}/content",
        "Content: discovered pages with views, AI crawler hits and referrals",
        json::<ContentReport>(),
        |r| r.to(content::report),
    ),
    dashboard(
        "/api/v1/projects/{project}/journeys",
        "Journeys: session metrics, top paths, latest sessions",
        json::<JourneysReport>(),
        |r| r.to(journeys::report),
    ),
    dashboard(
        "/api/v1/projects/{project}/referrals",
        "AI referrals: sessions per assistant, landing pages, engagement",
        json::<ReferralsReport>(),
        |r| r.to(referrals::report),
    ),
    dashboard(
        "/api/v1/projects/{project}/conversions",
        "Conversions by AI source under both attribution models",
        json::<ConversionsReport>(),
        |r| r.to(conversions::report),
    ),
    dashboard(
        "/api/v1/projects/{project}/crawlers",
        "AI crawlers: hits by operator, agent, class, status; crawl-to-referral; verification methods, what agents read, networks; robots.txt compliance then and now",
        json::<CrawlersReport>(),
        |r| r.to(crawlers::report),
    ),
    post::<NewToken>(
        "/api/v1/organizations/{org}/tokens",
        Principal,
        "Create an analyst API token (shown once)",
        created::<TokenCreated>(),
        |r| r.to(tokens::create),
    ),
    get(
        "/api/v1/organizations/{org}/tokens",
        Principal,
        "The caller's analyst tokens in the organization; every member's for its admins and owners",
        json::<TokenList>(),
        |r| r.to(tokens::list),
    ),
    action(
        "/api/v1/tokens/{token}/revoke",
        Principal,
        "Revoke an analyst token",
        json::<TokenRevoked>(),
        |r| r.to(tokens::revoke),
    ),
];

/// Registers every route of the table with its handler, one resource per path, so a path called
/// with a method it does not serve answers 405 with `Allow` rather than 404.
pub fn configure(cfg: &mut web::ServiceConfig) {
    let mut by_path: Vec<(&'static str, Vec<&RouteSpec>)> = Vec::new();
    for spec in ROUTES {
        match by_path.iter_mut().find(|(path, _)| *path == spec.path) {
            Some((_, specs)) => specs.push(spec),
            None => by_path.push((spec.path, vec![spec])),
        }
    }
    for (path, specs) in by_path {
        let allow: Vec<&str> = specs.iter().map(|s| s.verb.as_str()).collect();
        let allow = allow.join(", ");
        let mut resource = web::resource(path);
        for spec in specs {
            let method = match spec.verb {
                Verb::Get => web::get(),
                Verb::Post => web::post(),
            };
            resource = resource.route((spec.attach)(method));
        }
        cfg.service(resource.default_service(web::to(move || {
            let allow = allow.clone();
            async move { method_not_allowed(&allow) }
        })));
    }
}

fn method_not_allowed(allow: &str) -> HttpResponse {
    HttpResponse::MethodNotAllowed()
        .insert_header((header::ALLOW, allow))
        .json(ErrorBody {
            error: "method_not_allowed",
            message: &format!("this path answers {allow} only"),
        })
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

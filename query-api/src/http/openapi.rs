//! The OpenAPI 3 document, generated from the route table (so no route can be missing from it)
//! and the dashboards' query type, and an interactive reference page over it.

use std::sync::LazyLock;

use actix_web::HttpResponse;
use utoipa::openapi::path::{
    HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn, PathsBuilder,
};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{
    ComponentsBuilder, ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, Required,
    ResponseBuilder,
};
use utoipa::IntoParams;

use super::analytics::request::DashboardQuery;
use super::auth::principal::SESSION_COOKIE;
use super::routes::{Access, Verb, ROUTES};

/// The dashboards: `GET /api/v1/projects/{project}/<name>` with the shared query parameters.
pub const DASHBOARDS: [&str; 6] = [
    "events",
    "content",
    "journeys",
    "referrals",
    "conversions",
    "crawlers",
];

fn is_dashboard(path: &str) -> bool {
    path.strip_prefix("/api/v1/projects/{project}/")
        .is_some_and(|rest| DASHBOARDS.contains(&rest))
}

fn tag_of(path: &str) -> &'static str {
    match path.split('/').nth(3) {
        Some("auth") | Some("me") => "authentication",
        Some("organizations") if path.ends_with("/tokens") => "analyst tokens",
        Some("tokens") => "analyst tokens",
        Some("projects") if is_dashboard(path) => "dashboards",
        Some(_) => "control plane",
        None => "operations",
    }
}

fn json_response(description: &str) -> utoipa::openapi::Response {
    ResponseBuilder::new()
        .description(description)
        .content("application/json", ContentBuilder::new().build())
        .build()
}

fn build() -> OpenApi {
    let mut paths = PathsBuilder::new().build();
    for spec in ROUTES.iter().filter(|s| !s.page) {
        let mut op = OperationBuilder::new()
            .summary(Some(spec.summary))
            .operation_id(Some(format!(
                "{}{}",
                match spec.verb {
                    Verb::Get => "get",
                    Verb::Post => "post",
                },
                spec.path.replace(['/', '{', '}', '-', '.'], "_")
            )))
            .tag(tag_of(spec.path))
            .response("200", json_response("success"))
            .response("400", json_response("invalid request: `{error, message}`"))
            .response("429", json_response("rate limited; see Retry-After"));
        for segment in spec.path.split('/') {
            if let Some(name) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                op = op.parameter(
                    ParameterBuilder::new()
                        .name(name)
                        .parameter_in(ParameterIn::Path)
                        .required(Required::True)
                        .build(),
                );
            }
        }
        if is_dashboard(spec.path) {
            op = op.parameters(Some(DashboardQuery::into_params(|| {
                Some(ParameterIn::Query)
            })));
        }
        if spec.verb == Verb::Post {
            op = op.request_body(Some(
                RequestBodyBuilder::new()
                    .content("application/json", ContentBuilder::new().build())
                    .build(),
            ));
        }
        if spec.access == Access::Principal {
            op = op
                .response("401", json_response("no live session or token"))
                .response("404", json_response("not found, or another tenant's"))
                .security(SecurityRequirement::new("session", Vec::<String>::new()))
                .security(SecurityRequirement::new(
                    "analyst_token",
                    Vec::<String>::new(),
                ));
        }
        let method = match spec.verb {
            Verb::Get => HttpMethod::Get,
            Verb::Post => HttpMethod::Post,
        };
        paths.add_path_operation(spec.path, vec![method], op.build());
    }
    let components = ComponentsBuilder::new()
        .security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                SESSION_COOKIE,
                "set by the magic-link callback; writes also need the X-CSRF-Token header from /api/v1/me",
            ))),
        )
        .security_scheme(
            "analyst_token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("an analyst token (ovt_…), read-only unless created read_write"))
                    .build(),
            ),
        )
        .build();
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("Optiview API")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(
                    "Control plane, dashboards and analyst API. Errors are JSON `{error, message}`.",
                ))
                .build(),
        )
        .paths(paths)
        .components(Some(components))
        .build()
}

static DOCUMENT: LazyLock<String> =
    LazyLock::new(|| build().to_json().expect("the document serializes"));

pub fn document() -> &'static str {
    &DOCUMENT
}

pub async fn document_json() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(document())
}

static PAGE: LazyLock<String> = LazyLock::new(|| utoipa_scalar::Scalar::new(build()).to_html());

/// Scalar's reference page: it loads its script from a CDN in the reader's browser.
pub async fn reference_page() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(PAGE.as_str())
}

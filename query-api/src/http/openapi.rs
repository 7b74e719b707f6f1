//! The OpenAPI 3 document, generated from the route table (so no route can be missing from it):
//! each operation's path and query parameters, its request body and its answers, with schemas
//! derived from the Rust types the handlers take and answer; and an interactive reference page.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use actix_web::HttpResponse;
use utoipa::openapi::path::{
    HttpMethod, OperationBuilder, Parameter, ParameterBuilder, ParameterIn, PathsBuilder,
};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{
    ComponentsBuilder, ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, Ref, RefOr, Required,
    Response, ResponseBuilder, Schema,
};

use super::auth::principal::SESSION_COOKIE;
use super::route_spec::{Access, Answer, RouteSpec, SchemaOf, Verb, ERROR};
use super::routes::ROUTES;

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

/// The component schemas the document has collected, by name.
#[derive(Default)]
struct Components(BTreeMap<String, RefOr<Schema>>);

impl Components {
    /// A reference to `schema`, listing it and everything it refers to.
    fn reference(&mut self, schema: SchemaOf) -> RefOr<Schema> {
        let name = (schema.name)().into_owned();
        let mut listed = vec![(name.clone(), (schema.schema)())];
        (schema.referenced)(&mut listed);
        for (name, schema) in listed {
            if let Some(known) = self.0.get(&name) {
                // Two types of one name would silently document one of them for both.
                assert_eq!(
                    serde_json::to_value(known).ok(),
                    serde_json::to_value(&schema).ok(),
                    "two schemas named {name}"
                );
            }
            self.0.insert(name, schema);
        }
        RefOr::Ref(Ref::from_schema_name(name))
    }
}

fn typed(kind: Type) -> RefOr<Schema> {
    let format =
        matches!(kind, Type::Integer).then_some(SchemaFormat::KnownFormat(KnownFormat::Int64));
    RefOr::T(Schema::Object(
        ObjectBuilder::new()
            .schema_type(kind)
            .format(format)
            .build(),
    ))
}

fn content(description: &str, content_type: &str, schema: RefOr<Schema>) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            content_type,
            ContentBuilder::new().schema(Some(schema)).build(),
        )
        .build()
}

/// Property ids are integers (the collector and the tag number them); every other id is text.
fn path_parameter(name: &str) -> Parameter {
    let kind = if name == "property" {
        Type::Integer
    } else {
        Type::String
    };
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Path)
        .required(Required::True)
        .schema(Some(typed(kind)))
        .build()
}

fn success(answer: Answer, components: &mut Components) -> (u16, Response) {
    match answer {
        Answer::Json(status, schema) => (
            status,
            content("OK", "application/json", components.reference(schema)),
        ),
        Answer::Empty(303) => (
            303,
            ResponseBuilder::new()
                .description("redirect; `Location` says where")
                .build(),
        ),
        Answer::Empty(status) => (status, ResponseBuilder::new().description("done").build()),
        Answer::Text(content_type) => (200, content("OK", content_type, typed(Type::String))),
        Answer::Document => (200, content("OK", "application/json", typed(Type::Object))),
    }
}

/// The failures an operation may answer, each with the JSON error body.
fn failures(spec: &RouteSpec) -> Vec<(u16, &'static str)> {
    let mut out = vec![
        (400, "invalid request"),
        (429, "rate limited; see Retry-After"),
        (503, "temporarily unavailable; retry shortly"),
    ];
    if spec.access == Access::Principal {
        out.extend([
            (401, "no live session or token"),
            (403, "not allowed: role, CSRF token or token scope"),
            (404, "not found, or another tenant's"),
        ]);
        if spec.verb == Verb::Post {
            out.extend([
                (409, "conflicts with what exists, or not configured"),
                (422, "a field breaks a rule; the message names it"),
            ]);
        }
    }
    if spec.query.is_some() && spec.access == Access::Public {
        // The sign-in callback: the link is unknown, used or expired.
        out.push((401, "the link is not valid (any more)"));
    }
    if spec.path.ends_with("/test-alert") {
        out.push((502, "Slack did not take the message"));
    }
    out
}

fn operation(spec: &RouteSpec, components: &mut Components) -> utoipa::openapi::path::Operation {
    let verb = match spec.verb {
        Verb::Get => "get",
        Verb::Post => "post",
    };
    let (status, answer) = success(spec.answer, components);
    let mut op = OperationBuilder::new()
        .summary(Some(spec.summary))
        .operation_id(Some(format!(
            "{verb}{}",
            spec.path.replace(['/', '{', '}', '-', '.'], "_")
        )))
        .tag(tag_of(spec.path))
        .response(status.to_string(), answer);
    for (status, description) in failures(spec) {
        op = op.response(
            status.to_string(),
            content(description, "application/json", components.reference(ERROR)),
        );
    }
    for segment in spec.path.split('/') {
        if let Some(name) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            op = op.parameter(path_parameter(name));
        }
    }
    if let Some(query) = spec.query {
        op = op.parameters(Some(query()));
    }
    if let Some(body) = spec.body {
        op = op.request_body(Some(
            RequestBodyBuilder::new()
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(components.reference(body)))
                        .build(),
                )
                .required(Some(Required::True))
                .build(),
        ));
    }
    if spec.access == Access::Principal {
        op = op
            .security(SecurityRequirement::new("session", Vec::<String>::new()))
            .security(SecurityRequirement::new(
                "analyst_token",
                Vec::<String>::new(),
            ));
    }
    op.build()
}

pub fn build() -> OpenApi {
    let mut paths = PathsBuilder::new().build();
    let mut components = Components::default();
    for spec in ROUTES.iter().filter(|s| !s.page) {
        let method = match spec.verb {
            Verb::Get => HttpMethod::Get,
            Verb::Post => HttpMethod::Post,
        };
        paths.add_path_operation(spec.path, vec![method], operation(spec, &mut components));
    }
    let components = ComponentsBuilder::new()
        .schemas_from_iter(components.0)
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
                    "Control plane, dashboards and analyst API. Errors are JSON `{error, message}`; \
                     a path called with a method it does not serve answers 405 with `Allow`.",
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

/// The interactive reference over [`document_json`], rendered by a vendored copy of Scalar.
pub async fn reference_page() -> HttpResponse {
    super::web::docs_page()
}

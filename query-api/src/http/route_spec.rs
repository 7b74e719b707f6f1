//! What a route of the table declares: method, path, access, and the shapes it takes and
//! answers, as plain data and function pointers so the table stays a `const`.

use std::borrow::Cow;

use utoipa::openapi::path::{Parameter, ParameterIn};
use utoipa::openapi::{RefOr, Schema};
use utoipa::{IntoParams, ToSchema};

use super::error::ErrorBody;

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

impl Verb {
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Get => "GET",
            Verb::Post => "POST",
        }
    }
}

/// Attaches the handler to a route of the right method.
pub type Attach = fn(actix_web::Route) -> actix_web::Route;

/// A Rust type's OpenAPI schema, held by the route table as plain functions so the table stays a
/// `const`; the document references it by name and lists it (and what it refers to) once.
#[derive(Clone, Copy)]
pub struct SchemaOf {
    pub name: fn() -> Cow<'static, str>,
    pub schema: fn() -> RefOr<Schema>,
    pub referenced: fn(&mut Vec<(String, RefOr<Schema>)>),
}

impl SchemaOf {
    pub const fn of<T: ToSchema>() -> Self {
        SchemaOf {
            name: T::name,
            schema: T::schema,
            referenced: T::schemas,
        }
    }
}

impl std::fmt::Debug for SchemaOf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&(self.name)())
    }
}

/// What a successful call answers.
#[derive(Debug, Clone, Copy)]
pub enum Answer {
    /// A JSON body of this type, with this status.
    Json(u16, SchemaOf),
    /// No body: 204, or a 303 redirect (`Location`).
    Empty(u16),
    /// Text of this content type: HTML pages and assets, Prometheus metrics.
    Text(&'static str),
    /// The OpenAPI document (any JSON object).
    Document,
}

pub const fn json<T: ToSchema>() -> Answer {
    Answer::Json(200, SchemaOf::of::<T>())
}

pub const fn created<T: ToSchema>() -> Answer {
    Answer::Json(201, SchemaOf::of::<T>())
}

/// The error body every failure answers, for the document.
pub const ERROR: SchemaOf = SchemaOf::of::<ErrorBody<'static>>();

/// A type's fields as query parameters.
pub type QueryOf = fn() -> Vec<Parameter>;

pub fn query_of<T: IntoParams>() -> Vec<Parameter> {
    T::into_params(|| Some(ParameterIn::Query))
}

#[derive(Debug, Clone, Copy)]
pub struct RouteSpec {
    pub verb: Verb,
    pub path: &'static str,
    pub access: Access,
    /// One line for the OpenAPI document.
    pub summary: &'static str,
    /// A dashboard page (HTML), left out of the API's OpenAPI document.
    pub page: bool,
    /// The JSON body a POST takes; none when it takes none.
    pub body: Option<SchemaOf>,
    /// The query parameters it reads.
    pub query: Option<QueryOf>,
    pub answer: Answer,
    pub attach: Attach,
}

impl RouteSpec {
    pub const fn with_query(self, query: QueryOf) -> Self {
        RouteSpec {
            query: Some(query),
            ..self
        }
    }
}

pub const fn get(
    path: &'static str,
    access: Access,
    summary: &'static str,
    answer: Answer,
    attach: Attach,
) -> RouteSpec {
    RouteSpec {
        verb: Verb::Get,
        path,
        access,
        summary,
        page: false,
        body: None,
        query: None,
        answer,
        attach,
    }
}

/// A POST taking a JSON body of type `B`.
pub const fn post<B: ToSchema>(
    path: &'static str,
    access: Access,
    summary: &'static str,
    answer: Answer,
    attach: Attach,
) -> RouteSpec {
    RouteSpec {
        verb: Verb::Post,
        path,
        access,
        summary,
        page: false,
        body: Some(SchemaOf::of::<B>()),
        query: None,
        answer,
        attach,
    }
}

/// A POST that takes no body: the path says what to do (revoke, log out, send a test alert).
pub const fn action(
    path: &'static str,
    access: Access,
    summary: &'static str,
    answer: Answer,
    attach: Attach,
) -> RouteSpec {
    RouteSpec {
        verb: Verb::Post,
        path,
        access,
        summary,
        page: false,
        body: None,
        query: None,
        answer,
        attach,
    }
}

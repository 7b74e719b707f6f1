//! Properties of a project (what a key collects for): admins create and configure, members read.

use actix_web::{web, HttpResponse};
use schemas::control::{CreateProperty, Property, PropertyKind, Role, UpdateProperty};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::http::access;
use crate::http::auth::principal::Principal;
use crate::http::error::ApiError;
use crate::http::state::ApiState;

#[derive(Serialize, ToSchema)]
pub struct PropertyReply {
    pub property: Property,
}

#[derive(Serialize, ToSchema)]
pub struct PropertyList {
    pub properties: Vec<Property>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewProperty {
    domain: String,
    kind: PropertyKind,
    #[serde(default)]
    allow_subdomains: bool,
    /// Start in cookieless mode: the tag stores nothing on the device.
    #[serde(default)]
    cookieless: bool,
}

pub async fn create(
    principal: Principal,
    path: web::Path<String>,
    body: web::Json<NewProperty>,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiError> {
    let project_id = {
        let view = state.view();
        access::project(&view, &principal, &path, access::CONFIGURE_PROJECTS)?
            .id
            .clone()
    };
    let body = body.into_inner();
    let command = CreateProperty {
        project_id,
        domain: body.domain,
        kind: body.kind,
        allow_subdomains: body.allow_subdomains,
        cookieless: body.cookieless,
    };
    let property = state.writer.submit(&principal.user_id, &command).await?;
    Ok(HttpResponse::Created().json(PropertyReply { property }))
}

pub async fn list(
    principal: Principal,
    path: web::Path<String>,
    state: web::Data<ApiState>,
) -> Result<web::Json<PropertyList>, ApiError> {
    let view = state.view();
    let project = access::project(&view, &principal, &path, Role::Member)?;
    let properties = view.properties_of(&project.id).cloned().collect();
    Ok(web::Json(PropertyList { properties }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    active: bool,
    allow_subdomains: bool,
    honor_privacy_signals: bool,
    /// Cookieless mode; left out, it stays as it is, so a client that predates the switch never
    /// turns cookies back on by omission.
    #[serde(default)]
    cookieless: Option<bool>,
}

pub async fn configure(
    principal: Principal,
    path: web::Path<i64>,
    body: web::Json<Settings>,
    state: web::Data<ApiState>,
) -> Result<web::Json<PropertyReply>, ApiError> {
    let (property_id, cookieless) = {
        let view = state.view();
        let property = access::property(&view, &principal, *path, access::CONFIGURE_PROJECTS)?;
        (property.id, body.cookieless.unwrap_or(property.cookieless))
    };
    let command = UpdateProperty {
        property_id,
        active: body.active,
        allow_subdomains: body.allow_subdomains,
        honor_privacy_signals: body.honor_privacy_signals,
        cookieless,
    };
    let property = state.writer.submit(&principal.user_id, &command).await?;
    Ok(web::Json(PropertyReply { property }))
}

//! Projects of an organization: created by its owner, each with a default website property.

use actix_web::{web, HttpResponse};
use schemas::control::ids::new_id;
use schemas::control::{CreateProject, Role};
use serde::Deserialize;
use serde_json::json;

use crate::http::access;
use crate::http::auth::principal::Principal;
use crate::http::error::ApiError;
use crate::http::state::ApiState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewProject {
    name: String,
    domain: String,
}

pub async fn create(
    principal: Principal,
    path: web::Path<String>,
    body: web::Json<NewProject>,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiError> {
    let organization_id = {
        let view = state.view();
        access::organization(&view, &principal, &path, Role::Owner)?
            .id
            .clone()
    };
    let body = body.into_inner();
    let command = CreateProject {
        id: new_id("prj"),
        organization_id,
        name: body.name,
        domain: body.domain,
    };
    let created = state.writer.submit(&principal.user_id, &command).await?;
    Ok(HttpResponse::Created()
        .json(json!({ "project": created.project, "property": created.default_property })))
}

pub async fn list(
    principal: Principal,
    path: web::Path<String>,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiError> {
    let view = state.view();
    let org = access::organization(&view, &principal, &path, Role::Member)?;
    let mut projects: Vec<serde_json::Value> = view
        .projects_of(&org.id)
        .map(|p| {
            let properties: Vec<_> = view.properties_of(&p.id).collect();
            json!({ "project": p, "properties": properties })
        })
        .collect();
    projects.sort_by(|a, b| {
        a["project"]["name"]
            .as_str()
            .cmp(&b["project"]["name"].as_str())
    });
    Ok(HttpResponse::Ok().json(json!({ "projects": projects })))
}

//! Projects of an organization: created by its owner, each with a default website property.

use actix_web::{web, HttpResponse};
use schemas::control::ids::new_id;
use schemas::control::{CreateProject, Project, Property, Role};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::http::access;
use crate::http::auth::principal::Principal;
use crate::http::error::ApiError;
use crate::http::state::ApiState;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewProject {
    name: String,
    /// Any URL or host of the site; the project keeps its registrable domain.
    domain: String,
}

#[derive(Serialize, ToSchema)]
pub struct ProjectCreatedReply {
    pub project: Project,
    /// The default website property, on the exact host given.
    pub property: Property,
}

#[derive(Serialize, ToSchema)]
pub struct ProjectList {
    /// By name.
    pub projects: Vec<ProjectEntry>,
}

#[derive(Serialize, ToSchema)]
pub struct ProjectEntry {
    pub project: Project,
    pub properties: Vec<Property>,
}

pub async fn create(
    principal: Principal,
    path: web::Path<String>,
    body: web::Json<NewProject>,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiError> {
    let organization_id = {
        let view = state.view();
        access::organization(&view, &principal, &path, access::CREATE_PROJECTS)?
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
    Ok(HttpResponse::Created().json(ProjectCreatedReply {
        project: created.project,
        property: created.default_property,
    }))
}

pub async fn list(
    principal: Principal,
    path: web::Path<String>,
    state: web::Data<ApiState>,
) -> Result<web::Json<ProjectList>, ApiError> {
    let view = state.view();
    let org = access::organization(&view, &principal, &path, Role::Member)?;
    let mut projects: Vec<ProjectEntry> = view
        .projects_of(&org.id)
        .map(|p| ProjectEntry {
            project: p.clone(),
            properties: view.properties_of(&p.id).cloned().collect(),
        })
        .collect();
    projects.sort_by(|a, b| a.project.name.cmp(&b.project.name));
    Ok(web::Json(ProjectList { projects }))
}

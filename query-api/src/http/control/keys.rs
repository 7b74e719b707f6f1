//! API keys of a property: admins create (the secret is in that answer only) and revoke; members
//! list them without secret or hash.

use actix_web::{web, HttpResponse};
use schemas::control::{Permission, RevokeApiKey, Role};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api_keys::{self, PublicKey};
use crate::http::access;
use crate::http::auth::principal::Principal;
use crate::http::error::ApiError;
use crate::http::state::ApiState;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewKey {
    /// `default` unless named.
    #[serde(default = "default_name")]
    name: String,
    /// Standard ingestion (`collect`, `hits`) unless asked otherwise.
    #[serde(default = "standard_ingestion")]
    permissions: Vec<Permission>,
}

#[derive(Serialize, ToSchema)]
pub struct KeyList {
    pub api_keys: Vec<PublicKey>,
}

#[derive(Serialize, ToSchema)]
pub struct KeyRevoked {
    pub api_key: PublicKey,
}

fn default_name() -> String {
    "default".into()
}

fn standard_ingestion() -> Vec<Permission> {
    vec![Permission::Collect, Permission::Hits]
}

pub async fn create(
    principal: Principal,
    path: web::Path<i64>,
    body: web::Json<NewKey>,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiError> {
    let property_id = {
        let view = state.view();
        access::property(&view, &principal, *path, access::CONFIGURE_PROJECTS)?.id
    };
    let body = body.into_inner();
    let created = api_keys::issue(
        &state.writer,
        &principal.user_id,
        property_id,
        body.name,
        body.permissions,
    )
    .await?;
    Ok(HttpResponse::Created().json(created))
}

pub async fn list(
    principal: Principal,
    path: web::Path<i64>,
    state: web::Data<ApiState>,
) -> Result<web::Json<KeyList>, ApiError> {
    let view = state.view();
    let property = access::property(&view, &principal, *path, Role::Member)?;
    let api_keys = view.api_keys_of(property.id).map(PublicKey::from).collect();
    Ok(web::Json(KeyList { api_keys }))
}

/// Takes effect at the collector as soon as its control view applies the event (≤ 2 s).
pub async fn revoke(
    principal: Principal,
    path: web::Path<String>,
    state: web::Data<ApiState>,
) -> Result<web::Json<KeyRevoked>, ApiError> {
    let key_id = {
        let view = state.view();
        access::api_key(&view, &principal, &path, access::CONFIGURE_PROJECTS)?
            .id
            .clone()
    };
    let key = state
        .writer
        .submit(&principal.user_id, &RevokeApiKey { key_id })
        .await?;
    Ok(web::Json(KeyRevoked {
        api_key: PublicKey::from(&key),
    }))
}

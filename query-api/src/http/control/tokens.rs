//! Analyst API tokens: a signed-in user issues one for an organization they belong to (the
//! token is in that answer only), lists their own, and revokes them; organization admins may
//! revoke anyone's. A token acts with its user's current role, read-only unless asked otherwise.

use actix_web::{web, HttpResponse};
use schemas::control::ids::{hash_secret, new_analyst_token, new_id};
use schemas::control::{AnalystToken, CreateAnalystToken, RevokeAnalystToken, Role, TokenScope};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::http::access;
use crate::http::auth::principal::Principal;
use crate::http::error::ApiError;
use crate::http::state::ApiState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    name: String,
    #[serde(default)]
    scope: TokenScope,
}

fn public(token: &AnalystToken) -> Value {
    json!({
        "id": token.id,
        "organization_id": token.organization_id,
        "user_id": token.user_id,
        "name": token.name,
        "scope": token.scope,
        "revoked": token.revoked,
        "created_at": token.created_at,
    })
}

pub async fn create(
    principal: Principal,
    path: web::Path<String>,
    body: web::Json<NewToken>,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiError> {
    principal.require_session()?;
    {
        let view = state.view();
        access::organization(&view, &principal, &path, Role::Member)?;
    }
    let secret = new_analyst_token();
    let body = body.into_inner();
    let command = CreateAnalystToken {
        id: new_id("tok"),
        organization_id: path.into_inner(),
        user_id: principal.user_id.clone(),
        name: body.name,
        scope: body.scope,
        secret_hash: hash_secret(&secret),
    };
    let token = state.writer.submit(&principal.user_id, &command).await?;
    Ok(HttpResponse::Created().json(json!({
        "token": public(&token),
        "secret": secret,
        "note": "the token is shown once; send it as `Authorization: Bearer <token>`",
    })))
}

/// The caller's own tokens in the organization, without secret or hash.
pub async fn list(
    principal: Principal,
    path: web::Path<String>,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiError> {
    let view = state.view();
    let org = access::organization(&view, &principal, &path, Role::Member)?;
    let tokens: Vec<Value> = view
        .analyst_tokens_of(&org.id, &principal.user_id)
        .map(public)
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "tokens": tokens })))
}

pub async fn revoke(
    principal: Principal,
    path: web::Path<String>,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiError> {
    {
        let view = state.view();
        access::analyst_token(&view, &principal, &path)?;
    }
    let command = RevokeAnalystToken {
        token_id: path.into_inner(),
    };
    let token = state.writer.submit(&principal.user_id, &command).await?;
    Ok(HttpResponse::Ok().json(json!({ "token": public(&token) })))
}

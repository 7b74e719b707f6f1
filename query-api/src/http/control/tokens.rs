//! Analyst API tokens: a signed-in user issues one for an organization they belong to (the
//! token is in that answer only), lists their own, and revokes them; organization admins may
//! revoke anyone's. A token acts with its user's current role, read-only unless asked otherwise.

use actix_web::{web, HttpResponse};
use schemas::control::ids::{hash_secret, new_analyst_token, new_id};
use schemas::control::{
    AnalystToken, ControlView, CreateAnalystToken, RevokeAnalystToken, Role, TokenScope,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::http::access;
use crate::http::auth::principal::Principal;
use crate::http::error::ApiError;
use crate::http::state::ApiState;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    name: String,
    /// `read` unless asked otherwise.
    #[serde(default)]
    scope: TokenScope,
}

/// A token as its user sees it: never its secret or hash.
#[derive(Serialize, ToSchema)]
pub struct PublicToken {
    pub id: String,
    pub organization_id: String,
    pub user_id: String,
    /// Whose token it is, for an organization admin's list.
    pub user_email: String,
    pub name: String,
    pub scope: TokenScope,
    pub revoked: bool,
    /// Its user's account is deactivated: the token is refused until the account is reactivated.
    pub user_deactivated: bool,
    pub created_at: i64,
}

impl PublicToken {
    fn of(view: &ControlView, token: &AnalystToken) -> Self {
        PublicToken {
            id: token.id.clone(),
            organization_id: token.organization_id.clone(),
            user_id: token.user_id.clone(),
            user_email: view
                .user(&token.user_id)
                .map(|u| u.email.clone())
                .unwrap_or_default(),
            name: token.name.clone(),
            scope: token.scope,
            revoked: token.revoked,
            user_deactivated: view.active_user(&token.user_id).is_none(),
            created_at: token.created_at,
        }
    }
}

/// The only answer that holds the secret.
#[derive(Serialize, ToSchema)]
pub struct TokenCreated {
    pub token: PublicToken,
    /// `ovt_…`: send it as `Authorization: Bearer <secret>`.
    pub secret: String,
    pub note: &'static str,
}

#[derive(Serialize, ToSchema)]
pub struct TokenList {
    pub tokens: Vec<PublicToken>,
}

#[derive(Serialize, ToSchema)]
pub struct TokenRevoked {
    pub token: PublicToken,
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
    Ok(HttpResponse::Created().json(TokenCreated {
        token: PublicToken::of(&state.view(), &token),
        secret,
        note: "the token is shown once; send it as `Authorization: Bearer <token>`",
    }))
}

/// The caller's own tokens in the organization, or every member's for its admins and owners
/// (who may revoke them), without secret or hash.
pub async fn list(
    principal: Principal,
    path: web::Path<String>,
    state: web::Data<ApiState>,
) -> Result<web::Json<TokenList>, ApiError> {
    let view = state.view();
    let org = access::organization(&view, &principal, &path, Role::Member)?;
    let tokens: Vec<PublicToken> = if access::may(&view, &principal, &org.id, Role::Admin) {
        view.analyst_tokens_in(&org.id)
            .map(|t| PublicToken::of(&view, t))
            .collect()
    } else {
        view.analyst_tokens_of(&org.id, &principal.user_id)
            .map(|t| PublicToken::of(&view, t))
            .collect()
    };
    Ok(web::Json(TokenList { tokens }))
}

pub async fn revoke(
    principal: Principal,
    path: web::Path<String>,
    state: web::Data<ApiState>,
) -> Result<web::Json<TokenRevoked>, ApiError> {
    {
        let view = state.view();
        access::analyst_token(&view, &principal, &path)?;
    }
    let command = RevokeAnalystToken {
        token_id: path.into_inner(),
    };
    let token = state.writer.submit(&principal.user_id, &command).await?;
    Ok(web::Json(TokenRevoked {
        token: PublicToken::of(&state.view(), &token),
    }))
}

//! Install verification: the last event received for a property and how old it is, so the
//! install wizard turns green once the first beacon went through edge → Kafka → processor; and
//! the snippet of each key the tag can use (key ids are public: they are in every page's HTML).

use actix_web::web;
use schemas::control::{Permission, Role};
use serde::Serialize;
use utoipa::ToSchema;

use crate::api_keys::tag_snippet;
use crate::http::access;
use crate::http::auth::principal::Principal;
use crate::http::error::ApiError;
use crate::http::state::ApiState;

#[derive(Debug, Serialize, ToSchema)]
pub struct InstallStatus {
    /// An event of the property has arrived.
    pub installed: bool,
    pub events: u64,
    /// RFC 3339, when the last event was received.
    pub last_event_at: Option<String>,
    pub age_seconds: Option<i64>,
    /// The property is in cookieless mode, and every snippet below says so.
    pub cookieless: bool,
    /// The tag of each live key that may collect, newest first.
    pub snippets: Vec<KeySnippet>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct KeySnippet {
    pub key_id: String,
    pub name: String,
    pub snippet: String,
}

pub async fn status(
    principal: Principal,
    path: web::Path<i64>,
    state: web::Data<ApiState>,
) -> Result<web::Json<InstallStatus>, ApiError> {
    let (project_id, property_id, cookieless, snippets) = {
        let view = state.view();
        let property = access::property(&view, &principal, *path, Role::Member)?;
        let mut keys: Vec<_> = view
            .api_keys_of(property.id)
            .filter(|k| !k.revoked && k.permissions.contains(&Permission::Collect))
            .collect();
        keys.sort_by_key(|k| std::cmp::Reverse(k.created_at));
        let snippets: Vec<KeySnippet> = keys
            .into_iter()
            .map(|k| KeySnippet {
                key_id: k.id.clone(),
                name: k.name.clone(),
                snippet: tag_snippet(&k.id, &k.project_id, k.property_id, property.cookieless),
            })
            .collect();
        (
            property.project_id.clone(),
            property.id,
            property.cookieless,
            snippets,
        )
    };
    let (events, last_ms): (u64, i64) = state
        .clickhouse
        .query(
            "SELECT count(), toInt64(ifNull(toUnixTimestamp64Milli(max(received_at)), 0))
             FROM events WHERE project_id = ? AND property_id = ?",
        )
        .bind(&project_id)
        .bind(u64::try_from(property_id).unwrap_or_default())
        .fetch_one()
        .await
        .map_err(ApiError::internal)?;
    let now = chrono::Utc::now().timestamp_millis();
    let installed = events > 0;
    Ok(web::Json(InstallStatus {
        installed,
        events,
        last_event_at: installed
            .then(|| chrono::DateTime::from_timestamp_millis(last_ms).map(|t| t.to_rfc3339()))
            .flatten(),
        age_seconds: installed.then(|| (now - last_ms).max(0) / 1000),
        cookieless,
        snippets,
    }))
}

//! Install verification: the last event received for a property and how old it is, so the
//! install wizard turns green once the first beacon went through edge → Kafka → processor; and
//! the snippet of each key the tag can use (key ids are public: they are in every page's HTML).

use actix_web::{web, HttpResponse};
use schemas::control::{Permission, Role};
use serde_json::json;

use crate::api_keys::tag_snippet;
use crate::http::access;
use crate::http::auth::principal::Principal;
use crate::http::error::ApiError;
use crate::http::state::ApiState;

pub async fn status(
    principal: Principal,
    path: web::Path<i64>,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiError> {
    let (project_id, property_id, snippets) = {
        let view = state.view();
        let property = access::property(&view, &principal, *path, Role::Member)?;
        let mut keys: Vec<_> = view
            .api_keys_of(property.id)
            .filter(|k| !k.revoked && k.permissions.contains(&Permission::Collect))
            .collect();
        keys.sort_by_key(|k| std::cmp::Reverse(k.created_at));
        let snippets: Vec<serde_json::Value> = keys
            .into_iter()
            .map(|k| {
                json!({
                    "key_id": k.id,
                    "name": k.name,
                    "snippet": tag_snippet(&k.id, &k.project_id, k.property_id),
                })
            })
            .collect();
        (property.project_id.clone(), property.id, snippets)
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
    Ok(HttpResponse::Ok().json(if events == 0 {
        json!({ "installed": false, "events": 0, "last_event_at": null, "age_seconds": null, "snippets": snippets })
    } else {
        json!({
            "installed": true,
            "events": events,
            "last_event_at": chrono::DateTime::from_timestamp_millis(last_ms).map(|t| t.to_rfc3339()),
            "age_seconds": (now - last_ms).max(0) / 1000,
            "snippets": snippets,
        })
    }))
}

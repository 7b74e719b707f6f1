//! Issuing API keys, shared by the admin CLI and the HTTP API: the secret is shown once, in this
//! answer, and only its hash is written; a key's public form never carries either.

use schemas::control::ids::{hash_secret, new_id, new_secret};
use schemas::control::{ApiKey, CreateApiKey, Permission};
use serde_json::{json, Value};

use crate::control_writer::{ControlWriter, WriteError};

/// A key as listings show it.
pub fn public(key: &ApiKey) -> Value {
    json!({
        "id": key.id,
        "name": key.name,
        "project_id": key.project_id,
        "property_id": key.property_id,
        "permissions": key.permissions,
        "revoked": key.revoked,
        "created_at": key.created_at,
    })
}

/// Creates a key on `property_id`; the answer holds the secret and the tag snippet.
pub async fn create(
    writer: &ControlWriter,
    actor: &str,
    property_id: i64,
    name: String,
    permissions: Vec<Permission>,
) -> Result<Value, WriteError> {
    let secret = new_secret();
    let command = CreateApiKey {
        id: new_id("key"),
        property_id,
        name,
        permissions,
        secret_hash: hash_secret(&secret),
    };
    let key = writer.submit(actor, &command).await?;
    let domain = writer
        .view()
        .view()
        .property(key.property_id)
        .map(|p| p.domain.clone());
    Ok(json!({
        "api_key": public(&key),
        "secret": secret,
        "note": "the secret is shown once; store it now",
        "snippet": tag_snippet(&key.id, &key.project_id, key.property_id),
        "domain": domain,
    }))
}

/// The `<script>` tag a partner pastes; `OPTIVIEW_EDGE_URL` names the collector's public URL.
pub fn tag_snippet(key_id: &str, project_id: &str, property_id: i64) -> String {
    let edge =
        std::env::var("OPTIVIEW_EDGE_URL").unwrap_or_else(|_| "http://127.0.0.1:8080".into());
    format!(
        "<script async src=\"{edge}/v1/tag.js\" data-key-id=\"{key_id}\" data-project-id=\"{project_id}\" data-property-id=\"{property_id}\" data-clicks=\"1\" data-spa=\"1\"></script>"
    )
}

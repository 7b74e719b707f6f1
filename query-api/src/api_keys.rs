//! Issuing API keys, shared by the admin CLI and the HTTP API: the secret is shown once, in this
//! answer, and only its hash is written; a key's public form never carries either.

use schemas::control::ids::{hash_secret, new_id, new_secret};
use schemas::control::{ApiKey, CreateApiKey, Permission};
use serde::Serialize;
use serde_json::{json, Value};
use utoipa::ToSchema;

use crate::control_writer::{ControlWriter, WriteError};

/// A key as listings show it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicKey {
    pub id: String,
    pub name: String,
    pub project_id: String,
    pub property_id: i64,
    pub permissions: Vec<Permission>,
    pub revoked: bool,
    pub created_at: i64,
}

impl From<&ApiKey> for PublicKey {
    fn from(key: &ApiKey) -> Self {
        PublicKey {
            id: key.id.clone(),
            name: key.name.clone(),
            project_id: key.project_id.clone(),
            property_id: key.property_id,
            permissions: key.permissions.clone(),
            revoked: key.revoked,
            created_at: key.created_at,
        }
    }
}

/// The only answer that holds the secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedKey {
    pub api_key: PublicKey,
    pub secret: String,
    pub note: &'static str,
    /// The `<script>` tag carrying the key id.
    pub snippet: String,
    /// The property's domain.
    pub domain: Option<String>,
}

/// Creates a key on `property_id`; the answer holds the secret and the tag snippet.
pub async fn issue(
    writer: &ControlWriter,
    actor: &str,
    property_id: i64,
    name: String,
    permissions: Vec<Permission>,
) -> Result<CreatedKey, WriteError> {
    let secret = new_secret();
    let command = CreateApiKey {
        id: new_id("key"),
        property_id,
        name,
        permissions,
        secret_hash: hash_secret(&secret),
    };
    let key = writer.submit(actor, &command).await?;
    let (domain, cookieless) = writer
        .view()
        .view()
        .property(key.property_id)
        .map_or((None, false), |p| (Some(p.domain.clone()), p.cookieless));
    Ok(CreatedKey {
        api_key: PublicKey::from(&key),
        secret,
        note: "the secret is shown once; store it now",
        snippet: tag_snippet(&key.id, &key.project_id, key.property_id, cookieless),
        domain,
    })
}

/// [`issue`], as the JSON the admin CLI prints.
pub async fn create(
    writer: &ControlWriter,
    actor: &str,
    property_id: i64,
    name: String,
    permissions: Vec<Permission>,
) -> Result<Value, WriteError> {
    Ok(json!(
        issue(writer, actor, property_id, name, permissions).await?
    ))
}

/// The `<script>` tag a partner pastes; `OPTIVIEW_EDGE_URL` names the collector's public URL. A
/// cookieless property's snippet carries `data-cookieless="1"`, so the tag stores nothing on the
/// device from its first line on (the edge also answers in kind to a stale snippet).
pub fn tag_snippet(key_id: &str, project_id: &str, property_id: i64, cookieless: bool) -> String {
    let edge =
        std::env::var("OPTIVIEW_EDGE_URL").unwrap_or_else(|_| "http://127.0.0.1:8080".into());
    let mode = if cookieless {
        " data-cookieless=\"1\""
    } else {
        ""
    };
    format!(
        "<script async src=\"{edge}/v1/tag.js\" data-key-id=\"{key_id}\" data-project-id=\"{project_id}\" data-property-id=\"{property_id}\" data-clicks=\"1\" data-spa=\"1\"{mode}></script>"
    )
}

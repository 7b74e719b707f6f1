//! `query-api admin …`: onboarding from the shell before the UI exists. Every subcommand goes
//! through the same [`ControlWriter`] as the API, so the same validation applies.

use clap::Subcommand;
use schemas::control::ids::{hash_secret, new_id, new_secret};
use schemas::control::{Command, Permission, Plan, PropertyKind, Role};
use serde_json::json;

use crate::control_writer::{ControlWriter, WriteError};

const ACTOR: &str = "admin-cli";

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create an organization.
    CreateOrg {
        #[arg(long)]
        name: String,
        #[arg(long)]
        domain: String,
        #[arg(long, value_enum, default_value = "starter")]
        plan: Plan,
    },
    /// Change an organization's plan (and with it the retention of new data).
    ChangePlan {
        #[arg(long)]
        org: String,
        #[arg(long, value_enum)]
        plan: Plan,
    },
    /// Create a user and optionally add them to an organization.
    CreateUser {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        org: Option<String>,
        #[arg(long, value_enum, default_value = "member")]
        role: Role,
    },
    /// Make a user a platform admin (creating the user first if the address is new): how the
    /// first platform admin is bootstrapped.
    GrantPlatformAdmin {
        #[arg(long)]
        email: String,
        /// Name for a new user.
        #[arg(long, default_value = "Platform admin")]
        name: String,
    },
    /// Create a project with its default website property.
    CreateProject {
        #[arg(long)]
        org: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        domain: String,
    },
    /// Add a property to a project.
    CreateProperty {
        #[arg(long)]
        project: String,
        #[arg(long)]
        domain: String,
        #[arg(long, value_enum, default_value = "website")]
        kind: PropertyKind,
        #[arg(long)]
        allow_subdomains: bool,
    },
    /// Create an API key for a property; prints its secret once.
    CreateKey {
        #[arg(long)]
        property: i64,
        #[arg(long, default_value = "default")]
        name: String,
        #[arg(long, value_enum, value_delimiter = ',', default_values = ["collect", "hits", "read"])]
        permissions: Vec<Permission>,
    },
    /// Revoke an API key.
    RevokeKey {
        #[arg(long)]
        key: String,
    },
}

/// Runs one admin command and returns the JSON to print.
pub async fn run(
    writer: &ControlWriter,
    command: AdminCommand,
) -> Result<serde_json::Value, WriteError> {
    match command {
        AdminCommand::CreateOrg { name, domain, plan } => {
            let id = new_id("org");
            let events = writer
                .submit(
                    ACTOR,
                    &Command::CreateOrganization {
                        id,
                        name,
                        domain,
                        plan,
                    },
                )
                .await?;
            Ok(json!({ "organization": events[0].organization }))
        }
        AdminCommand::ChangePlan { org, plan } => {
            let events = writer
                .submit(
                    ACTOR,
                    &Command::ChangePlan {
                        organization_id: org,
                        plan,
                    },
                )
                .await?;
            Ok(json!({ "organization": events[0].organization }))
        }
        AdminCommand::GrantPlatformAdmin { email, name } => {
            let existing = writer
                .view()
                .view()
                .user_by_email(&email.trim().to_lowercase())
                .map(|u| u.id.clone());
            let user_id = match existing {
                Some(id) => id,
                None => {
                    let id = new_id("usr");
                    let command = Command::CreateUser {
                        id: id.clone(),
                        email,
                        name,
                    };
                    writer.submit(ACTOR, &command).await?;
                    id
                }
            };
            let command = Command::SetPlatformAdmin {
                user_id,
                platform_admin: true,
            };
            let events = writer.submit(ACTOR, &command).await?;
            Ok(json!({ "user": events[0].user }))
        }
        AdminCommand::CreateUser {
            email,
            name,
            org,
            role,
        } => {
            let id = new_id("usr");
            let user = writer
                .submit(
                    ACTOR,
                    &Command::CreateUser {
                        id: id.clone(),
                        email,
                        name,
                    },
                )
                .await?;
            let membership = match org {
                Some(organization_id) => {
                    let command = Command::SetMembership {
                        organization_id,
                        user_id: id,
                        role,
                        active: true,
                    };
                    writer.submit(ACTOR, &command).await?[0].membership.clone()
                }
                None => None,
            };
            Ok(json!({ "user": user[0].user, "membership": membership }))
        }
        AdminCommand::CreateProject { org, name, domain } => {
            let id = new_id("prj");
            let events = writer
                .submit(
                    ACTOR,
                    &Command::CreateProject {
                        id,
                        organization_id: org,
                        name,
                        domain,
                    },
                )
                .await?;
            Ok(json!({ "project": events[0].project, "property": events[1].property }))
        }
        AdminCommand::CreateProperty {
            project,
            domain,
            kind,
            allow_subdomains,
        } => {
            let command = Command::CreateProperty {
                project_id: project,
                domain,
                kind,
                allow_subdomains,
            };
            let events = writer.submit(ACTOR, &command).await?;
            Ok(json!({ "property": events[0].property }))
        }
        AdminCommand::CreateKey {
            property,
            name,
            permissions,
        } => {
            let id = new_id("key");
            let secret = new_secret();
            let command = Command::CreateApiKey {
                id,
                property_id: property,
                name,
                permissions,
                secret_hash: hash_secret(&secret),
            };
            let events = writer.submit(ACTOR, &command).await?;
            let key = events[0]
                .api_key
                .as_ref()
                .expect("api_key.created carries the key");
            let view = writer.view().view();
            let project_id = &key.project_id;
            Ok(json!({
                "api_key": { "id": key.id, "name": key.name, "property_id": key.property_id, "project_id": project_id, "permissions": key.permissions },
                "secret": secret,
                "note": "the secret is shown once; store it now",
                "snippet": tag_snippet(&key.id, project_id, key.property_id),
                "domain": view.property(key.property_id).map(|p| p.domain.clone()),
            }))
        }
        AdminCommand::RevokeKey { key } => {
            let events = writer
                .submit(ACTOR, &Command::RevokeApiKey { key_id: key })
                .await?;
            let key = events[0]
                .api_key
                .as_ref()
                .expect("api_key.revoked carries the key");
            Ok(json!({ "api_key": { "id": key.id, "revoked": key.revoked } }))
        }
    }
}

/// The `<script>` tag a partner pastes; `OPTIVIEW_EDGE_URL` names the collector's public URL.
pub fn tag_snippet(key_id: &str, project_id: &str, property_id: i64) -> String {
    let edge =
        std::env::var("OPTIVIEW_EDGE_URL").unwrap_or_else(|_| "http://127.0.0.1:8080".into());
    format!(
        "<script async src=\"{edge}/v1/tag.js\" data-key-id=\"{key_id}\" data-project-id=\"{project_id}\" data-property-id=\"{property_id}\" data-clicks=\"1\" data-spa=\"1\"></script>"
    )
}

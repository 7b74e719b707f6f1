//! `query-api admin …`: onboarding from the shell before the UI exists. Every subcommand goes
//! through the same [`ControlWriter`] as the API, so the same validation applies.

use clap::Subcommand;
use schemas::control::ids::new_id;
use schemas::control::{
    ChangePlan, CreateOrganization, CreateProject, CreateProperty, CreateUser, Permission, Plan,
    PropertyKind, RevokeApiKey, Role, SetMembership, SetPlatformAdmin,
};
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
        #[arg(long, value_enum, default_value_t = Plan::Starter)]
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
        #[arg(long, value_enum, default_value_t = Role::Member)]
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
        #[arg(long, value_enum, default_value_t = PropertyKind::Website)]
        kind: PropertyKind,
        #[arg(long)]
        allow_subdomains: bool,
        /// No cookie and nothing stored on the device; the edge derives a daily visitor id.
        #[arg(long)]
        cookieless: bool,
    },
    /// Create an API key for a property; prints its secret once.
    CreateKey {
        #[arg(long)]
        property: i64,
        #[arg(long, default_value = "default")]
        name: String,
        #[arg(long, value_enum, value_delimiter = ',', default_values_t = [Permission::Collect, Permission::Hits, Permission::Read])]
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
            let organization = writer
                .submit(
                    ACTOR,
                    &CreateOrganization {
                        id,
                        name,
                        domain,
                        plan,
                    },
                )
                .await?;
            Ok(json!({ "organization": organization }))
        }
        AdminCommand::ChangePlan { org, plan } => {
            let organization = writer
                .submit(
                    ACTOR,
                    &ChangePlan {
                        organization_id: org,
                        plan,
                    },
                )
                .await?;
            Ok(json!({ "organization": organization }))
        }
        AdminCommand::GrantPlatformAdmin { email, name } => {
            let user_id = crate::users::find_or_create(writer, ACTOR, &email, name).await?;
            let command = SetPlatformAdmin {
                user_id,
                platform_admin: true,
            };
            let user = writer.submit(ACTOR, &command).await?;
            Ok(json!({ "user": user }))
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
                    &CreateUser {
                        id: id.clone(),
                        email,
                        name,
                    },
                )
                .await?;
            let membership = match org {
                Some(organization_id) => {
                    let command = SetMembership {
                        organization_id,
                        user_id: id,
                        role,
                        active: true,
                    };
                    Some(writer.submit(ACTOR, &command).await?)
                }
                None => None,
            };
            Ok(json!({ "user": user, "membership": membership }))
        }
        AdminCommand::CreateProject { org, name, domain } => {
            let id = new_id("prj");
            let created = writer
                .submit(
                    ACTOR,
                    &CreateProject {
                        id,
                        organization_id: org,
                        name,
                        domain,
                    },
                )
                .await?;
            Ok(json!({ "project": created.project, "property": created.default_property }))
        }
        AdminCommand::CreateProperty {
            project,
            domain,
            kind,
            allow_subdomains,
            cookieless,
        } => {
            let command = CreateProperty {
                project_id: project,
                domain,
                kind,
                allow_subdomains,
                cookieless,
            };
            let property = writer.submit(ACTOR, &command).await?;
            Ok(json!({ "property": property }))
        }
        AdminCommand::CreateKey {
            property,
            name,
            permissions,
        } => Ok(crate::api_keys::create(writer, ACTOR, property, name, permissions).await?),
        AdminCommand::RevokeKey { key } => {
            let key = writer.submit(ACTOR, &RevokeApiKey { key_id: key }).await?;
            Ok(json!({ "api_key": { "id": key.id, "revoked": key.revoked } }))
        }
    }
}

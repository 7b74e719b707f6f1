//! The demo tenant, created once and found again on later runs: an organization on
//! `example.com` (reserved for examples, so it can never be a partner's), its owner (also a
//! platform admin, so every page has something to show), a project with its default website
//! property, five AI sources, and a fresh ingestion key per run.

use schemas::control::ids::new_id;
use schemas::control::{
    CreateOrganization, CreateProject, Permission, Plan, PropertyKind, RevokeApiKey, Role,
    SetAiSources, SetMembership, SetPlatformAdmin,
};

use crate::api_keys;
use crate::control_writer::ControlWriter;
use crate::users::find_or_create;

pub const DOMAIN: &str = "example.com";
const ORGANIZATION: &str = "Example Co (demo)";
const PROJECT: &str = "Example site";
const KEY_NAME: &str = "demo replay";
const ACTOR: &str = "demo";
pub const AI_SOURCES: [&str; 5] = ["ChatGPT", "Claude", "Perplexity", "Gemini", "Copilot"];

#[derive(Debug, Clone)]
pub struct Tenant {
    pub organization_id: String,
    pub project_id: String,
    pub property_id: i64,
    pub key_id: String,
    /// Sends the server-side crawler hits; never printed.
    pub key_secret: String,
    pub snippet: String,
    pub email: String,
}

pub async fn ensure(writer: &ControlWriter, email: &str) -> anyhow::Result<Tenant> {
    let organization_id = match existing_organization(writer) {
        Some(id) => id,
        None => {
            let id = new_id("org");
            let command = CreateOrganization {
                id: id.clone(),
                name: ORGANIZATION.into(),
                domain: DOMAIN.into(),
                plan: Plan::Growth,
            };
            writer.submit(ACTOR, &command).await?;
            id
        }
    };
    let user_id = find_or_create(writer, ACTOR, email, "Demo Owner".into()).await?;
    let member = SetMembership {
        organization_id: organization_id.clone(),
        user_id: user_id.clone(),
        role: Role::Owner,
        active: true,
    };
    writer.submit(ACTOR, &member).await?;
    let admin = SetPlatformAdmin {
        user_id,
        platform_admin: true,
    };
    writer.submit(ACTOR, &admin).await?;

    let project_id = match existing_project(writer, &organization_id) {
        Some(id) => id,
        None => {
            let id = new_id("prj");
            let command = CreateProject {
                id: id.clone(),
                organization_id: organization_id.clone(),
                name: PROJECT.into(),
                domain: DOMAIN.into(),
            };
            writer.submit(ACTOR, &command).await?;
            id
        }
    };
    let sources = SetAiSources {
        project_id: project_id.clone(),
        enabled: AI_SOURCES.iter().map(|s| s.to_string()).collect(),
    };
    writer.submit(ACTOR, &sources).await?;
    let property_id = website_property(writer, &project_id)
        .ok_or_else(|| anyhow::anyhow!("project {project_id} has no website property"))?;

    // Only this run's key knows its secret, so the previous run's keys go.
    let stale: Vec<String> = writer
        .view()
        .view()
        .api_keys_of(property_id)
        .filter(|k| k.name == KEY_NAME && !k.revoked)
        .map(|k| k.id.clone())
        .collect();
    for key_id in stale {
        writer.submit(ACTOR, &RevokeApiKey { key_id }).await?;
    }
    let created = api_keys::create(
        writer,
        ACTOR,
        property_id,
        KEY_NAME.into(),
        vec![Permission::Collect, Permission::Hits],
    )
    .await?;
    let text = |field: &str| created[field].as_str().unwrap_or_default().to_owned();
    Ok(Tenant {
        organization_id,
        project_id,
        property_id,
        key_id: created["api_key"]["id"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        key_secret: text("secret"),
        snippet: text("snippet"),
        email: email.to_owned(),
    })
}

fn existing_organization(writer: &ControlWriter) -> Option<String> {
    let view = writer.view().view();
    let found = view
        .organizations()
        .find(|o| o.name == ORGANIZATION && o.domain == DOMAIN)
        .map(|o| o.id.clone());
    found
}

fn existing_project(writer: &ControlWriter, organization_id: &str) -> Option<String> {
    let view = writer.view().view();
    let found = view
        .projects_of(organization_id)
        .find(|p| p.name == PROJECT)
        .map(|p| p.id.clone());
    found
}

fn website_property(writer: &ControlWriter, project_id: &str) -> Option<i64> {
    let view = writer.view().view();
    let found = view
        .properties_of(project_id)
        .filter(|p| p.kind == PropertyKind::Website)
        .map(|p| p.id)
        .min();
    found
}

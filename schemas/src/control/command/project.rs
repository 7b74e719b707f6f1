//! Projects: creating one (with its default website property), choosing its AI sources.

use super::super::domain;
use super::super::events::{AiSources, Entity, Project, Property, PropertyKind};
use super::super::view::ControlView;
use super::checks::{already_exists, require_id, require_name};
use super::property::PROPERTY_CREATED;
use super::{CommandError, Decide, Decision, Stamp};

/// Creates the project and its default website property on the same domain.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateProject {
    pub id: String,
    pub organization_id: String,
    pub name: String,
    pub domain: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ProjectCreated {
    pub project: Project,
    /// The website property on the exact host that was entered.
    pub default_property: Property,
}

impl Decide for CreateProject {
    type Outcome = ProjectCreated;

    fn decide(
        &self,
        view: &ControlView,
        stamp: Stamp<'_>,
    ) -> Result<Decision<ProjectCreated>, CommandError> {
        require_id("prj", "id", &self.id)?;
        view.existing_organization(&self.organization_id)?;
        if view.project(&self.id).is_some() {
            return Err(already_exists("project", &self.id));
        }
        // The project is the site (its registrable domain); its default property is the exact
        // host that was entered.
        let domain::Domain { host, registrable } = domain::normalize(&self.domain)?;
        let name = require_name("name", &self.name)?;
        for other in view.projects_of(&self.organization_id) {
            if other.domain == registrable {
                return Err(already_exists("project for domain", registrable));
            }
            if other.name.eq_ignore_ascii_case(&name) {
                return Err(already_exists("project named", name));
            }
        }
        let project = Project {
            id: self.id.clone(),
            organization_id: self.organization_id.clone(),
            name,
            domain: registrable,
            created_at: stamp.now_ms,
        };
        let default_property = view.new_property(&self.id, host, PropertyKind::Website, false);
        let events = vec![
            stamp.event(
                "project.created",
                &["id", "organization_id", "name", "domain", "created_at"],
                Entity::Project(&project),
            ),
            stamp.event(
                "property.created",
                PROPERTY_CREATED,
                Entity::Property(&default_property),
            ),
        ];
        Ok(Decision {
            outcome: ProjectCreated {
                project,
                default_property,
            },
            events,
        })
    }
}

/// Replaces the project's enabled AI sources (names are stored trimmed, lower-case, unique).
#[derive(Debug, Clone, PartialEq)]
pub struct SetAiSources {
    pub project_id: String,
    pub enabled: Vec<String>,
}

impl Decide for SetAiSources {
    type Outcome = AiSources;

    fn decide(
        &self,
        view: &ControlView,
        stamp: Stamp<'_>,
    ) -> Result<Decision<AiSources>, CommandError> {
        view.existing_project(&self.project_id)?;
        let mut enabled: Vec<String> = self
            .enabled
            .iter()
            .map(|s| s.trim().to_lowercase())
            .filter(|s| !s.is_empty())
            .collect();
        enabled.sort();
        enabled.dedup();
        let sources = AiSources {
            project_id: self.project_id.clone(),
            enabled,
        };
        let event = stamp.event("ai_sources.set", &["enabled"], Entity::AiSources(&sources));
        Ok(Decision::one(sources, event))
    }
}

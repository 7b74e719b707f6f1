//! Command validation: the view decides whether a command is allowed and which events it yields.
//! Pure: ids, secrets and the clock come in with the command, so `decide` is deterministic.

use super::domain::{self, DomainError};
use super::events::{
    AiSources, AnalystToken, ApiKey, ControlEvent, Entity, Membership, Organization, Permission,
    Plan, Project, Property, PropertyKind, Role, TokenScope, User,
};
use super::ids::is_valid_id;
use super::view::ControlView;

#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    CreateOrganization {
        id: String,
        name: String,
        domain: String,
        plan: Plan,
    },
    ChangePlan {
        organization_id: String,
        plan: Plan,
    },
    CreateUser {
        id: String,
        email: String,
        name: String,
    },
    /// Grants or withdraws the platform-admin flag.
    SetPlatformAdmin {
        user_id: String,
        platform_admin: bool,
    },
    SetMembership {
        organization_id: String,
        user_id: String,
        role: Role,
        active: bool,
    },
    /// Creates the project and its default website property on the same domain.
    CreateProject {
        id: String,
        organization_id: String,
        name: String,
        domain: String,
    },
    CreateProperty {
        project_id: String,
        domain: String,
        kind: PropertyKind,
        allow_subdomains: bool,
    },
    UpdateProperty {
        property_id: i64,
        active: bool,
        allow_subdomains: bool,
        honor_privacy_signals: bool,
    },
    CreateApiKey {
        id: String,
        property_id: i64,
        name: String,
        permissions: Vec<Permission>,
        secret_hash: String,
    },
    RevokeApiKey {
        key_id: String,
    },
    SetAiSources {
        project_id: String,
        enabled: Vec<String>,
    },
    /// Only for an active member of the organization: a token never outlives its user's access.
    CreateAnalystToken {
        id: String,
        organization_id: String,
        user_id: String,
        name: String,
        scope: TokenScope,
        secret_hash: String,
    },
    RevokeAnalystToken {
        token_id: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    #[error("{kind} {id} not found")]
    NotFound { kind: &'static str, id: String },
    #[error("{kind} {id} already exists")]
    AlreadyExists { kind: &'static str, id: String },
    #[error("invalid {field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    #[error("invalid domain: {0}")]
    Domain(#[from] DomainError),
}

impl CommandError {
    /// Machine-readable code for API error bodies.
    pub fn code(&self) -> &'static str {
        match self {
            CommandError::NotFound { .. } => "not_found",
            CommandError::AlreadyExists { .. } => "already_exists",
            CommandError::Invalid { .. } => "invalid_field",
            CommandError::Domain(_) => "invalid_domain",
        }
    }
}

/// The fields a `property.created` event sets.
const PROPERTY_CREATED: &[&str] = &[
    "id",
    "project_id",
    "domain",
    "kind",
    "active",
    "allow_subdomains",
];

fn invalid(field: &'static str, reason: impl Into<String>) -> CommandError {
    CommandError::Invalid {
        field,
        reason: reason.into(),
    }
}

fn require_id(prefix: &'static str, field: &'static str, id: &str) -> Result<(), CommandError> {
    if is_valid_id(prefix, id) {
        Ok(())
    } else {
        Err(invalid(
            field,
            format!("must be {prefix}_ followed by 10 letters or digits"),
        ))
    }
}

fn require_name(field: &'static str, name: &str) -> Result<String, CommandError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(invalid(field, "must be 1 to 200 characters"));
    }
    Ok(name.to_owned())
}

impl ControlView {
    /// Validates `command` against the current state and returns the events that carry it out.
    pub fn decide(
        &self,
        actor: &str,
        now_ms: i64,
        command: &Command,
    ) -> Result<Vec<ControlEvent>, CommandError> {
        let event = |action: &str, changed: &[&str], entity: Entity<'_>| {
            ControlEvent::new(actor, action, changed, now_ms, entity)
        };
        match command {
            Command::CreateOrganization {
                id,
                name,
                domain,
                plan,
            } => {
                require_id("org", "id", id)?;
                if self.organization(id).is_some() {
                    return Err(CommandError::AlreadyExists {
                        kind: "organization",
                        id: id.clone(),
                    });
                }
                let org = Organization {
                    id: id.clone(),
                    name: require_name("name", name)?,
                    domain: domain::normalize(domain)?.host,
                    plan: *plan,
                    created_at: now_ms,
                };
                Ok(vec![event(
                    "organization.created",
                    &["id", "name", "domain", "plan", "created_at"],
                    Entity::Organization(&org),
                )])
            }
            Command::ChangePlan {
                organization_id,
                plan,
            } => {
                let mut org = self.existing_organization(organization_id)?.clone();
                org.plan = *plan;
                Ok(vec![event(
                    "organization.plan_changed",
                    &["plan"],
                    Entity::Organization(&org),
                )])
            }
            Command::CreateUser { id, email, name } => {
                require_id("usr", "id", id)?;
                if self.user(id).is_some() {
                    return Err(CommandError::AlreadyExists {
                        kind: "user",
                        id: id.clone(),
                    });
                }
                let email = email.trim().to_lowercase();
                let valid_email = email.split_once('@').is_some_and(|(local, host)| {
                    !local.is_empty() && host.contains('.') && !email.contains(char::is_whitespace)
                });
                if !valid_email {
                    return Err(invalid("email", "must look like name@example.com"));
                }
                if self.user_by_email(&email).is_some() {
                    return Err(CommandError::AlreadyExists {
                        kind: "user with email",
                        id: email,
                    });
                }
                let user = User {
                    id: id.clone(),
                    email,
                    name: require_name("name", name)?,
                    created_at: now_ms,
                    platform_admin: false,
                };
                Ok(vec![event(
                    "user.created",
                    &["id", "email", "name", "created_at"],
                    Entity::User(&user),
                )])
            }
            Command::SetPlatformAdmin {
                user_id,
                platform_admin,
            } => {
                let mut user = self
                    .user(user_id)
                    .ok_or_else(|| CommandError::NotFound {
                        kind: "user",
                        id: user_id.clone(),
                    })?
                    .clone();
                user.platform_admin = *platform_admin;
                Ok(vec![event(
                    "user.platform_admin_changed",
                    &["platform_admin"],
                    Entity::User(&user),
                )])
            }
            Command::SetMembership {
                organization_id,
                user_id,
                role,
                active,
            } => {
                self.existing_organization(organization_id)?;
                if self.user(user_id).is_none() {
                    return Err(CommandError::NotFound {
                        kind: "user",
                        id: user_id.clone(),
                    });
                }
                let membership = Membership {
                    organization_id: organization_id.clone(),
                    user_id: user_id.clone(),
                    role: *role,
                    active: *active,
                };
                Ok(vec![event(
                    "membership.set",
                    &["role", "active"],
                    Entity::Membership(&membership),
                )])
            }
            Command::CreateProject {
                id,
                organization_id,
                name,
                domain,
            } => {
                require_id("prj", "id", id)?;
                self.existing_organization(organization_id)?;
                if self.project(id).is_some() {
                    return Err(CommandError::AlreadyExists {
                        kind: "project",
                        id: id.clone(),
                    });
                }
                // The project is the site (its registrable domain); its default property is the
                // exact host that was entered.
                let domain::Domain { host, registrable } = domain::normalize(domain)?;
                let name = require_name("name", name)?;
                for other in self.projects_of(organization_id) {
                    if other.domain == registrable {
                        return Err(CommandError::AlreadyExists {
                            kind: "project for domain",
                            id: registrable,
                        });
                    }
                    if other.name.eq_ignore_ascii_case(&name) {
                        return Err(CommandError::AlreadyExists {
                            kind: "project named",
                            id: name,
                        });
                    }
                }
                let project = Project {
                    id: id.clone(),
                    organization_id: organization_id.clone(),
                    name,
                    domain: registrable,
                    created_at: now_ms,
                };
                let property = self.new_property(id, host, PropertyKind::Website, false);
                Ok(vec![
                    event(
                        "project.created",
                        &["id", "organization_id", "name", "domain", "created_at"],
                        Entity::Project(&project),
                    ),
                    event(
                        "property.created",
                        PROPERTY_CREATED,
                        Entity::Property(&property),
                    ),
                ])
            }
            Command::CreateProperty {
                project_id,
                domain,
                kind,
                allow_subdomains,
            } => {
                if self.project(project_id).is_none() {
                    return Err(CommandError::NotFound {
                        kind: "project",
                        id: project_id.clone(),
                    });
                }
                let domain = domain::normalize(domain)?.host;
                if self
                    .properties_of(project_id)
                    .any(|p| p.domain == domain && p.kind == *kind)
                {
                    return Err(CommandError::AlreadyExists {
                        kind: "property",
                        id: format!("{kind:?} {domain}").to_lowercase(),
                    });
                }
                let property = self.new_property(project_id, domain, *kind, *allow_subdomains);
                Ok(vec![event(
                    "property.created",
                    PROPERTY_CREATED,
                    Entity::Property(&property),
                )])
            }
            Command::UpdateProperty {
                property_id,
                active,
                allow_subdomains,
                honor_privacy_signals,
            } => {
                let mut property = self.existing_property(*property_id)?.clone();
                let mut changed = Vec::new();
                if property.active != *active {
                    changed.push("active");
                }
                if property.allow_subdomains != *allow_subdomains {
                    changed.push("allow_subdomains");
                }
                if property.honor_privacy_signals != *honor_privacy_signals {
                    changed.push("honor_privacy_signals");
                }
                property.active = *active;
                property.allow_subdomains = *allow_subdomains;
                property.honor_privacy_signals = *honor_privacy_signals;
                Ok(vec![event(
                    "property.updated",
                    &changed,
                    Entity::Property(&property),
                )])
            }
            Command::CreateApiKey {
                id,
                property_id,
                name,
                permissions,
                secret_hash,
            } => {
                require_id("key", "id", id)?;
                if self.api_key(id).is_some() {
                    return Err(CommandError::AlreadyExists {
                        kind: "api key",
                        id: id.clone(),
                    });
                }
                let property = self.existing_property(*property_id)?;
                if permissions.is_empty() {
                    return Err(invalid(
                        "permissions",
                        "at least one of collect, hits, read",
                    ));
                }
                require_hex_sha256(secret_hash)?;
                let mut permissions = permissions.clone();
                permissions.sort_by_key(|p| *p as u8);
                permissions.dedup();
                let key = ApiKey {
                    id: id.clone(),
                    project_id: property.project_id.clone(),
                    property_id: *property_id,
                    name: require_name("name", name)?,
                    permissions,
                    secret_hash: secret_hash.clone(),
                    revoked: false,
                    created_at: now_ms,
                };
                Ok(vec![event(
                    "api_key.created",
                    &[
                        "id",
                        "project_id",
                        "property_id",
                        "name",
                        "permissions",
                        "secret_hash",
                        "created_at",
                    ],
                    Entity::ApiKey(&key),
                )])
            }
            Command::RevokeApiKey { key_id } => {
                let mut key = self
                    .api_key(key_id)
                    .ok_or_else(|| CommandError::NotFound {
                        kind: "api key",
                        id: key_id.clone(),
                    })?
                    .clone();
                key.revoked = true;
                Ok(vec![event(
                    "api_key.revoked",
                    &["revoked"],
                    Entity::ApiKey(&key),
                )])
            }
            Command::SetAiSources {
                project_id,
                enabled,
            } => {
                if self.project(project_id).is_none() {
                    return Err(CommandError::NotFound {
                        kind: "project",
                        id: project_id.clone(),
                    });
                }
                let mut enabled: Vec<String> = enabled
                    .iter()
                    .map(|s| s.trim().to_lowercase())
                    .filter(|s| !s.is_empty())
                    .collect();
                enabled.sort();
                enabled.dedup();
                let sources = AiSources {
                    project_id: project_id.clone(),
                    enabled,
                };
                Ok(vec![event(
                    "ai_sources.set",
                    &["enabled"],
                    Entity::AiSources(&sources),
                )])
            }
            Command::CreateAnalystToken {
                id,
                organization_id,
                user_id,
                name,
                scope,
                secret_hash,
            } => {
                require_id("tok", "id", id)?;
                if self.analyst_token(id).is_some() {
                    return Err(CommandError::AlreadyExists {
                        kind: "analyst token",
                        id: id.clone(),
                    });
                }
                self.existing_organization(organization_id)?;
                if self.role_of(user_id, organization_id).is_none() {
                    return Err(invalid(
                        "user_id",
                        "must be an active member of the organization",
                    ));
                }
                require_hex_sha256(secret_hash)?;
                let token = AnalystToken {
                    id: id.clone(),
                    organization_id: organization_id.clone(),
                    user_id: user_id.clone(),
                    name: require_name("name", name)?,
                    scope: *scope,
                    secret_hash: secret_hash.clone(),
                    revoked: false,
                    created_at: now_ms,
                };
                Ok(vec![event(
                    "analyst_token.created",
                    &[
                        "id",
                        "organization_id",
                        "user_id",
                        "name",
                        "scope",
                        "secret_hash",
                        "created_at",
                    ],
                    Entity::AnalystToken(&token),
                )])
            }
            Command::RevokeAnalystToken { token_id } => {
                let mut token = self
                    .analyst_token(token_id)
                    .ok_or_else(|| CommandError::NotFound {
                        kind: "analyst token",
                        id: token_id.clone(),
                    })?
                    .clone();
                token.revoked = true;
                Ok(vec![event(
                    "analyst_token.revoked",
                    &["revoked"],
                    Entity::AnalystToken(&token),
                )])
            }
        }
    }

    /// A new active property with the next free id.
    fn new_property(
        &self,
        project_id: &str,
        domain: String,
        kind: PropertyKind,
        allow_subdomains: bool,
    ) -> Property {
        Property {
            id: self.next_property_id(),
            project_id: project_id.to_owned(),
            domain,
            kind,
            active: true,
            allow_subdomains,
            honor_privacy_signals: false,
        }
    }

    fn existing_organization(&self, id: &str) -> Result<&Organization, CommandError> {
        self.organization(id).ok_or_else(|| CommandError::NotFound {
            kind: "organization",
            id: id.to_owned(),
        })
    }

    fn existing_property(&self, id: i64) -> Result<&Property, CommandError> {
        self.property(id).ok_or_else(|| CommandError::NotFound {
            kind: "property",
            id: id.to_string(),
        })
    }
}

fn require_hex_sha256(secret_hash: &str) -> Result<(), CommandError> {
    if secret_hash.len() == 64 && secret_hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(())
    } else {
        Err(invalid("secret_hash", "must be a hex SHA-256"))
    }
}

//! Control-plane entities and the event that carries one entity's full state after a change.

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::codec::{compile_once, Compiled, Contract};
use crate::vocab::Vocabulary;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Plan {
    Starter,
    Growth,
    Pro,
}

/// Starter first: the plan a new organization is offered by default.
impl Vocabulary for Plan {
    const ALL: &'static [Self] = &[Plan::Starter, Plan::Growth, Plan::Pro];

    fn as_str(self) -> &'static str {
        match self {
            Plan::Starter => "starter",
            Plan::Growth => "growth",
            Plan::Pro => "pro",
        }
    }
}

impl Plan {
    /// Days raw events are kept (DESIGN.md: Retention).
    pub fn event_retention_days(self) -> u32 {
        match self {
            Plan::Starter => 90,
            Plan::Growth => 180,
            Plan::Pro => 365,
        }
    }
}

/// Declared in the order of the Avro enum's symbols: apache-avro writes a variant by its index,
/// so the two orders must agree (they did not once, and an owner was stored as a member).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Owner,
    Admin,
    Member,
}

/// Most powerful first.
impl Vocabulary for Role {
    const ALL: &'static [Self] = &[Role::Owner, Role::Admin, Role::Member];

    fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Member => "member",
        }
    }
}

impl Role {
    fn power(self) -> u8 {
        match self {
            Role::Member => 0,
            Role::Admin => 1,
            Role::Owner => 2,
        }
    }
}

/// Ordered by power: `Owner` can do everything `Admin` can, and so on.
impl Ord for Role {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.power().cmp(&other.power())
    }
}

impl PartialOrd for Role {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PropertyKind {
    Website,
    App,
    Api,
}

/// Website first: the kind a new property is offered by default.
impl Vocabulary for PropertyKind {
    const ALL: &'static [Self] = &[PropertyKind::Website, PropertyKind::App, PropertyKind::Api];

    fn as_str(self) -> &'static str {
        match self {
            PropertyKind::Website => "website",
            PropertyKind::App => "app",
            PropertyKind::Api => "api",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// Send tag beacons to /v1/collect.
    Collect,
    /// Send server hits to /v1/hits with the secret.
    Hits,
    /// Read the analyst API with the secret.
    Read,
}

impl Vocabulary for Permission {
    const ALL: &'static [Self] = &[Permission::Collect, Permission::Hits, Permission::Read];

    fn as_str(self) -> &'static str {
        match self {
            Permission::Collect => "collect",
            Permission::Hits => "hits",
            Permission::Read => "read",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Organization {
    pub id: String,
    pub name: String,
    pub domain: String,
    pub plan: Plan,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub id: String,
    pub email: String,
    pub name: String,
    pub created_at: i64,
    /// May create organizations and see every one.
    #[serde(default)]
    pub platform_admin: bool,
    /// When a platform admin deactivated the user; `None` while active. A deactivated user
    /// keeps their memberships (reactivation restores them) but no credential of theirs works.
    #[serde(default)]
    pub deactivated_at: Option<i64>,
    /// When the user last followed a sign-in link; `None` for an invitation never taken up.
    #[serde(default)]
    pub last_sign_in_at: Option<i64>,
}

impl User {
    pub fn is_active(&self) -> bool {
        self.deactivated_at.is_none()
    }

    /// Invited (by an admin, or as a member) but never signed in.
    pub fn is_pending(&self) -> bool {
        self.last_sign_in_at.is_none()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Membership {
    pub organization_id: String,
    pub user_id: String,
    pub role: Role,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Project {
    pub id: String,
    pub organization_id: String,
    pub name: String,
    pub domain: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Property {
    pub id: i64,
    pub project_id: String,
    pub domain: String,
    pub kind: PropertyKind,
    pub active: bool,
    pub allow_subdomains: bool,
    pub honor_privacy_signals: bool,
    /// The tag sets no cookie and stores nothing on the device; the edge derives the visitor id
    /// from the address, user agent and property with a salt that lives 48 hours. Absent in
    /// records written before the flag existed: those properties use cookies.
    #[serde(default)]
    pub cookieless: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiKey {
    pub id: String,
    pub project_id: String,
    pub property_id: i64,
    pub name: String,
    pub permissions: Vec<Permission>,
    pub secret_hash: String,
    pub revoked: bool,
    pub created_at: i64,
}

/// What an analyst token may do; declared in the Avro enum's symbol order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TokenScope {
    /// GET requests only: the default, since most analyst use is reading dashboards' data.
    #[default]
    Read,
    /// Also writes, still bounded by the user's role in the organization.
    ReadWrite,
}

impl Vocabulary for TokenScope {
    const ALL: &'static [Self] = &[TokenScope::Read, TokenScope::ReadWrite];

    fn as_str(self) -> &'static str {
        match self {
            TokenScope::Read => "read",
            TokenScope::ReadWrite => "read_write",
        }
    }
}

/// A user's Bearer token for one organization. The secret is shown once; only its hash is kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnalystToken {
    pub id: String,
    pub organization_id: String,
    pub user_id: String,
    pub name: String,
    pub scope: TokenScope,
    pub secret_hash: String,
    pub revoked: bool,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AiSources {
    pub project_id: String,
    pub enabled: Vec<String>,
}

/// One entity's full state after a change. Exactly one entity field is set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ControlEvent {
    pub event_id: String,
    pub at: i64,
    pub actor: String,
    pub entity_id: String,
    pub action: String,
    pub changed: Vec<String>,
    pub organization: Option<Organization>,
    pub user: Option<User>,
    pub membership: Option<Membership>,
    pub project: Option<Project>,
    pub property: Option<Property>,
    pub api_key: Option<ApiKey>,
    pub ai_sources: Option<AiSources>,
    #[serde(default)]
    pub analyst_token: Option<AnalystToken>,
}

/// The entity a [`ControlEvent`] carries, borrowed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Entity<'a> {
    Organization(&'a Organization),
    User(&'a User),
    Membership(&'a Membership),
    Project(&'a Project),
    Property(&'a Property),
    ApiKey(&'a ApiKey),
    AiSources(&'a AiSources),
    AnalystToken(&'a AnalystToken),
}

impl ControlEvent {
    /// A new event around one entity; `entity_id` is derived from it so keys cannot drift.
    pub fn new(actor: &str, action: &str, changed: &[&str], at: i64, entity: Entity<'_>) -> Self {
        let mut event = ControlEvent {
            event_id: uuid::Uuid::new_v4().to_string(),
            at,
            actor: actor.to_owned(),
            entity_id: entity_id(entity),
            action: action.to_owned(),
            changed: changed.iter().map(|s| (*s).to_owned()).collect(),
            organization: None,
            user: None,
            membership: None,
            project: None,
            property: None,
            api_key: None,
            ai_sources: None,
            analyst_token: None,
        };
        match entity {
            Entity::Organization(e) => event.organization = Some(e.clone()),
            Entity::User(e) => event.user = Some(e.clone()),
            Entity::Membership(e) => event.membership = Some(e.clone()),
            Entity::Project(e) => event.project = Some(e.clone()),
            Entity::Property(e) => event.property = Some(e.clone()),
            Entity::ApiKey(e) => event.api_key = Some(e.clone()),
            Entity::AiSources(e) => event.ai_sources = Some(e.clone()),
            Entity::AnalystToken(e) => event.analyst_token = Some(e.clone()),
        }
        event
    }

    /// The entity this event carries, or `None` for a malformed event with no entity.
    pub fn entity(&self) -> Option<Entity<'_>> {
        let found = [
            self.organization.as_ref().map(Entity::Organization),
            self.user.as_ref().map(Entity::User),
            self.membership.as_ref().map(Entity::Membership),
            self.project.as_ref().map(Entity::Project),
            self.property.as_ref().map(Entity::Property),
            self.api_key.as_ref().map(Entity::ApiKey),
            self.ai_sources.as_ref().map(Entity::AiSources),
            self.analyst_token.as_ref().map(Entity::AnalystToken),
        ];
        let mut set = found.into_iter().flatten();
        match (set.next(), set.next()) {
            (Some(one), None) => Some(one),
            _ => None,
        }
    }
}

/// The topic key of an entity: prefixed so ids of different kinds never collide.
pub fn entity_id(entity: Entity<'_>) -> String {
    match entity {
        Entity::Organization(e) => e.id.clone(),
        Entity::User(e) => e.id.clone(),
        Entity::Membership(e) => format!("mem:{}:{}", e.organization_id, e.user_id),
        Entity::Project(e) => e.id.clone(),
        Entity::Property(e) => format!("prop:{}", e.id),
        Entity::ApiKey(e) => e.id.clone(),
        Entity::AiSources(e) => format!("ais:{}", e.project_id),
        Entity::AnalystToken(e) => e.id.clone(),
    }
}

static COMPILED: OnceLock<Compiled> = OnceLock::new();

impl Contract for ControlEvent {
    const SCHEMA_JSON: &'static str = include_str!("../../avro/control.avsc");
    fn compiled() -> &'static Compiled {
        compile_once(&COMPILED, Self::SCHEMA_JSON)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agrees_with_serde<T>()
    where
        T: Vocabulary + Serialize + serde::de::DeserializeOwned + std::fmt::Debug,
    {
        for value in T::ALL {
            let text = value.as_str();
            assert_eq!(serde_json::to_value(value).unwrap(), text);
            assert_eq!(
                serde_json::from_value::<T>(serde_json::Value::from(text)).unwrap(),
                *value
            );
        }
    }

    #[test]
    fn control_values_have_the_text_serde_gives_them() {
        agrees_with_serde::<Plan>();
        agrees_with_serde::<Role>();
        agrees_with_serde::<PropertyKind>();
        agrees_with_serde::<Permission>();
        agrees_with_serde::<TokenScope>();
    }
}

//! `ControlView`: the deterministic fold of `optiview.control.v1` every service keeps in memory.

use std::collections::{BTreeMap, HashMap};

use super::domain::origin_allowed;
use super::events::{
    AiSources, AnalystToken, ApiKey, ControlEvent, Entity, Membership, Organization, Plan, Project,
    Property, Role, User,
};

/// The latest state of every control-plane entity, with the indexes lookups need.
///
/// Folding the same events in the same order always yields the same view; a later event for an
/// entity replaces its earlier state whole (events carry full state).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ControlView {
    pub(crate) organizations: BTreeMap<String, Organization>,
    pub(crate) users: BTreeMap<String, User>,
    pub(crate) memberships: BTreeMap<(String, String), Membership>,
    pub(crate) projects: BTreeMap<String, Project>,
    pub(crate) properties: BTreeMap<i64, Property>,
    pub(crate) api_keys: BTreeMap<String, ApiKey>,
    pub(crate) ai_sources: BTreeMap<String, AiSources>,
    pub(crate) analyst_tokens: BTreeMap<String, AnalystToken>,
    token_by_secret_hash: HashMap<String, String>,
    key_by_secret_hash: HashMap<String, String>,
    user_by_email: HashMap<String, String>,
    events_applied: u64,
}

/// Everything a collector needs to know about a key, resolved in one lookup.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KeyContext<'a> {
    pub key: &'a ApiKey,
    pub property: &'a Property,
    pub project: &'a Project,
    pub organization: &'a Organization,
}

impl KeyContext<'_> {
    pub fn plan(&self) -> Plan {
        self.organization.plan
    }

    pub fn retention_days(&self) -> u32 {
        self.organization.plan.event_retention_days()
    }

    /// True when the key may be used now: not revoked and its property active.
    pub fn usable(&self) -> bool {
        !self.key.revoked && self.property.active
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("control event {event_id} carries no single entity")]
pub struct MalformedEvent {
    pub event_id: String,
}

impl ControlView {
    pub fn new() -> Self {
        Self::default()
    }

    /// Folds one event into the view.
    pub fn apply(&mut self, event: &ControlEvent) -> Result<(), MalformedEvent> {
        let entity = event.entity().ok_or_else(|| MalformedEvent {
            event_id: event.event_id.clone(),
        })?;
        match entity {
            Entity::Organization(o) => {
                self.organizations.insert(o.id.clone(), o.clone());
            }
            Entity::User(u) => {
                if let Some(old) = self.users.get(&u.id) {
                    self.user_by_email.remove(&old.email);
                }
                self.user_by_email
                    .insert(u.email.to_lowercase(), u.id.clone());
                self.users.insert(u.id.clone(), u.clone());
            }
            Entity::Membership(m) => {
                let key = (m.organization_id.clone(), m.user_id.clone());
                self.memberships.insert(key, m.clone());
            }
            Entity::Project(p) => {
                self.projects.insert(p.id.clone(), p.clone());
            }
            Entity::Property(p) => {
                self.properties.insert(p.id, p.clone());
            }
            Entity::ApiKey(k) => {
                if let Some(old) = self.api_keys.get(&k.id) {
                    self.key_by_secret_hash.remove(&old.secret_hash);
                }
                self.key_by_secret_hash
                    .insert(k.secret_hash.clone(), k.id.clone());
                self.api_keys.insert(k.id.clone(), k.clone());
            }
            Entity::AiSources(a) => {
                self.ai_sources.insert(a.project_id.clone(), a.clone());
            }
            Entity::AnalystToken(t) => {
                if let Some(old) = self.analyst_tokens.get(&t.id) {
                    self.token_by_secret_hash.remove(&old.secret_hash);
                }
                self.token_by_secret_hash
                    .insert(t.secret_hash.clone(), t.id.clone());
                self.analyst_tokens.insert(t.id.clone(), t.clone());
            }
        }
        self.events_applied += 1;
        Ok(())
    }

    /// Builds a view from events in log order, skipping malformed ones.
    pub fn fold<'a>(events: impl IntoIterator<Item = &'a ControlEvent>) -> Self {
        let mut view = Self::new();
        for event in events {
            let _ = view.apply(event);
        }
        view
    }

    pub fn events_applied(&self) -> u64 {
        self.events_applied
    }

    pub fn organization(&self, id: &str) -> Option<&Organization> {
        self.organizations.get(id)
    }

    pub fn user(&self, id: &str) -> Option<&User> {
        self.users.get(id)
    }

    /// Every user, by id.
    pub fn users(&self) -> impl Iterator<Item = &User> {
        self.users.values()
    }

    /// The user, unless unknown or deactivated: what every credential is checked against.
    pub fn active_user(&self, id: &str) -> Option<&User> {
        self.users.get(id).filter(|u| u.is_active())
    }

    /// The user's memberships in every organization, active or not.
    pub fn memberships_of<'a>(
        &'a self,
        user_id: &'a str,
    ) -> impl Iterator<Item = &'a Membership> + 'a {
        self.memberships
            .values()
            .filter(move |m| m.user_id == user_id)
    }

    pub fn user_by_email(&self, email: &str) -> Option<&User> {
        self.user_by_email
            .get(&email.to_lowercase())
            .and_then(|id| self.users.get(id))
    }

    pub fn project(&self, id: &str) -> Option<&Project> {
        self.projects.get(id)
    }

    pub fn property(&self, id: i64) -> Option<&Property> {
        self.properties.get(&id)
    }

    pub fn properties(&self) -> impl Iterator<Item = &Property> {
        self.properties.values()
    }

    pub fn api_key(&self, id: &str) -> Option<&ApiKey> {
        self.api_keys.get(id)
    }

    pub fn ai_sources(&self, project_id: &str) -> Option<&AiSources> {
        self.ai_sources.get(project_id)
    }

    pub fn analyst_token(&self, id: &str) -> Option<&AnalystToken> {
        self.analyst_tokens.get(id)
    }

    /// The token whose secret hashes to `secret_hash`, revoked or not.
    pub fn analyst_token_by_secret_hash(&self, secret_hash: &str) -> Option<&AnalystToken> {
        let id = self.token_by_secret_hash.get(secret_hash)?;
        self.analyst_tokens.get(id)
    }

    /// One user's tokens for one organization.
    pub fn analyst_tokens_of<'a>(
        &'a self,
        organization_id: &'a str,
        user_id: &'a str,
    ) -> impl Iterator<Item = &'a AnalystToken> + 'a {
        self.analyst_tokens_in(organization_id)
            .filter(move |t| t.user_id == user_id)
    }

    /// Every user's tokens for one organization.
    pub fn analyst_tokens_in<'a>(
        &'a self,
        organization_id: &'a str,
    ) -> impl Iterator<Item = &'a AnalystToken> + 'a {
        self.analyst_tokens
            .values()
            .filter(move |t| t.organization_id == organization_id)
    }

    pub fn organizations(&self) -> impl Iterator<Item = &Organization> {
        self.organizations.values()
    }

    pub fn projects_of<'a>(
        &'a self,
        organization_id: &'a str,
    ) -> impl Iterator<Item = &'a Project> + 'a {
        self.projects
            .values()
            .filter(move |p| p.organization_id == organization_id)
    }

    pub fn properties_of<'a>(
        &'a self,
        project_id: &'a str,
    ) -> impl Iterator<Item = &'a Property> + 'a {
        self.properties
            .values()
            .filter(move |p| p.project_id == project_id)
    }

    pub fn api_keys_of(&self, property_id: i64) -> impl Iterator<Item = &ApiKey> + '_ {
        self.api_keys
            .values()
            .filter(move |k| k.property_id == property_id)
    }

    /// Resolves key → property → project → organization. `None` when any link is missing.
    pub fn key_context(&self, key_id: &str) -> Option<KeyContext<'_>> {
        let key = self.api_keys.get(key_id)?;
        self.context_of(key)
    }

    /// Resolves a server-side secret (by its hash) to its key's context.
    pub fn key_context_by_secret_hash(&self, secret_hash: &str) -> Option<KeyContext<'_>> {
        let key_id = self.key_by_secret_hash.get(secret_hash)?;
        self.key_context(key_id)
    }

    fn context_of<'a>(&'a self, key: &'a ApiKey) -> Option<KeyContext<'a>> {
        let property = self.properties.get(&key.property_id)?;
        let project = self.projects.get(&property.project_id)?;
        let organization = self.organizations.get(&project.organization_id)?;
        Some(KeyContext {
            key,
            property,
            project,
            organization,
        })
    }

    /// Whether a request whose `Origin` host is `origin_host` may send events for the property.
    pub fn origin_allowed(&self, property_id: i64, origin_host: &str) -> bool {
        self.properties
            .get(&property_id)
            .is_some_and(|p| p.active && origin_allowed(&p.domain, origin_host, p.allow_subdomains))
    }

    /// The organization's memberships, active or not.
    pub fn members_of<'a>(
        &'a self,
        organization_id: &'a str,
    ) -> impl Iterator<Item = &'a Membership> + 'a {
        self.memberships
            .values()
            .filter(move |m| m.organization_id == organization_id)
    }

    /// The user's active role in the organization, if any.
    pub fn role_of(&self, user_id: &str, organization_id: &str) -> Option<Role> {
        self.memberships
            .get(&(organization_id.to_owned(), user_id.to_owned()))
            .filter(|m| m.active)
            .map(|m| m.role)
    }

    /// The id the next property gets: ids are dense and never reused.
    pub fn next_property_id(&self) -> i64 {
        self.properties.keys().next_back().map_or(1, |max| max + 1)
    }
}
